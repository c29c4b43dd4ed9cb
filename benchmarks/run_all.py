"""Run every benchmark in turn (each in its own process) and keep the printed tables.

    .venv/bin/python benchmarks/run_all.py            # full (~15-25 min on 2 cores)
    .venv/bin/python benchmarks/run_all.py --quick    # a few minutes
    .venv/bin/python benchmarks/run_all.py --only cascade,million --threads 1

Output is echoed and also written to benchmarks/results/run_all[_<only>][_quick]_t<threads>.log; each script
writes its JSON to benchmarks/results/<name>[_quick]_t<threads>.json.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = {"cascade": "bench_cascade_peers.py", "mesa": "bench_model_vs_mesa.py",
         "million": "bench_million.py", "memory": "bench_memory.py",
         "scaling": "bench_scaling.py", "seeding": "bench_seeding.py",
         "sweep": "bench_sweep.py"}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--only", default=None, help="comma-separated: " + ", ".join(ORDER))
    a = p.parse_args()
    names = [x.strip() for x in a.only.split(",")] if a.only else list(ORDER)
    extra = (["--quick"] if a.quick else []) + \
        (["--threads", str(a.threads)] if a.threads else []) + \
        (["--repeats", str(a.repeats)] if a.repeats else [])
    (HERE / "results").mkdir(exist_ok=True)
    threads = a.threads or os.environ.get("NUMBA_NUM_THREADS") or os.cpu_count()
    only = "_" + "-".join(names) if a.only else ""
    log = HERE / "results" / f"run_all{only}{'_quick' if a.quick else ''}_t{threads}.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE.parent) + (os.pathsep + env["PYTHONPATH"]
                                            if env.get("PYTHONPATH") else "")
    failed = []
    with open(log, "w") as f:
        for name in names:
            cmd = [sys.executable, str(HERE / ORDER[name]), *extra]
            banner = f"\n==== {ORDER[name]} {' '.join(extra)} ====\n"
            print(banner, flush=True)
            f.write(banner)
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, env=env, cwd=str(HERE.parent))
            for line in proc.stdout:
                sys.stdout.write(line)
                f.write(line)
                f.flush()
            rc = proc.wait()
            msg = f"---- {ORDER[name]}: exit {rc} after {time.perf_counter() - t0:.0f} s\n"
            print(msg, flush=True)
            f.write(msg)
            if rc:
                failed.append(name)
    print(f"log: {log}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
