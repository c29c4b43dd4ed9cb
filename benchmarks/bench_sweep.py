"""(g) Sweep throughput on 1 and 2 local workers and a 2-worker Dask cluster; store overhead.

Throughput: one sweep (``experiments/sweeps/p_share.toml``'s grid, its market shrunk to
``--people`` people over ``--days`` days, ``--reps`` replications per point: 64 runs by
default, a small sweep by the standard of the thousands a sensitivity analysis needs, but
enough that starting the workers and the last run's tail are a small part of the wall
time) run in full, into a fresh DuckDB store each time, on

* ``processes`` with 1 worker process,
* ``processes`` with 2 worker processes,
* ``dask``: a ``LocalCluster`` of 2 worker processes on 127.0.0.1,

taking turns (1w, 2w, dask, 1w, ...). Every worker runs numba with one thread, so the
workers are the only parallelism and the ratios measure how a sweep scales out. Times are
wall clock of :func:`growthsim.experiment.sweep.run_sweep` from the call to the last run
stored, including the start of the worker processes (and of the cluster). The three
tables of results are checked identical. Beside the wall time, the sum of the runs' own
durations (as the store records them) shows how much two runs at once slow each other
(shared memory bandwidth and cache): the ceiling of the speed-up on this machine.

Store overhead per run: the same runs computed once in this process, then each run's
``Store.put`` into an on-disk DuckDB file timed alone (median per run, against the median
run time), and the per-run cost of reading a whole sweep back when every run is reused.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

SWEEP = C.ROOT / "experiments" / "sweeps" / "p_share.toml"
CONFIGS = (("1 worker", "processes", 1), ("2 workers", "processes", 2),
           ("Dask 2 workers", "dask", 2))


def the_sweep(people, days, reps):
    """The benchmark sweep: p_share.toml's points in a smaller market."""
    from growthsim.experiment.sweep import load_sweep

    sw = load_sweep(SWEEP)
    base = sw.base.with_overrides({"population.n": people, "run.days": days})
    return dataclasses.replace(sw, base=base, replications=reps)


def timed_sweep(sw, executor, workers):
    """Run the whole sweep into a fresh store; (seconds, runs, results table, summed run
    seconds)."""
    from growthsim import store as gstore
    from growthsim.experiment.dask import DaskExecutor
    from growthsim.experiment.executors import ProcessExecutor
    from growthsim.experiment.sweep import run_sweep

    ex = (DaskExecutor(workers=workers, threads=1) if executor == "dask"
          else ProcessExecutor(workers=workers, threads=1))
    with tempfile.TemporaryDirectory() as d, gstore.open(Path(d) / "bench.duckdb") as st:
        t0 = time.perf_counter()
        res = run_sweep(sw, store=st, executor=ex)
        dt = time.perf_counter() - t0
        table = res.table.sort_values(["point", "replication"]).reset_index(drop=True)
        busy = float(st.query("SELECT sum(wall_seconds) AS s FROM runs")["s"].iloc[0])
    return dt, len(table), table, busy


def store_overhead(sw, repeats):
    """Median seconds of a run, of its Store.put, and per run of reading back a reused sweep."""
    from growthsim import store as gstore
    from growthsim.experiment.replications import replication_seeds
    from growthsim.experiment.stored import run_one
    from growthsim.experiment.sweep import run_sweep

    scenarios = [sc for _, _, sc in sw.points()]
    seeds = replication_seeds(sw.seed, sw.replications)
    tasks = [(k, r, s) for k in range(len(scenarios)) for r, s in enumerate(seeds)]
    outs = [run_one(scenarios, t) for t in tasks]
    run_s = [o["wall_seconds"] for o in outs]
    put_s, read_s = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as d, gstore.open(Path(d) / "o.duckdb") as st:
            for (k, _, seed), o in zip(tasks, outs):
                rid = gstore.run_id(scenarios[k], seed)
                t0 = time.perf_counter()
                st.put(rid, scenarios[k], seed, o["daily"], cohorts=o["cohorts"],
                       started_at=o["started_at"], wall_seconds=o["wall_seconds"])
                put_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            res = run_sweep(sw, store=st, executor="serial")
            read_s.append((time.perf_counter() - t0) / len(tasks))
            assert res.stored.computed == 0, "the read-back should reuse every run"
    rows = outs[0]["daily"].shape[0]
    return C.stats(run_s), C.stats(put_s), C.stats(read_s), rows


def main(argv=None):
    p = C.parser(__doc__.splitlines()[0])
    p.add_argument("--people", type=int, default=None, help="people per run (default 50,000)")
    p.add_argument("--days", type=int, default=None, help="days per run (default 730)")
    p.add_argument("--reps", type=int, default=None, help="replications per point (default 8)")
    args = C.parse(p, argv)
    people = args.people or (5_000 if args.quick else 50_000)
    days = args.days or (180 if args.quick else 730)
    reps = args.reps or (2 if args.quick else 8)
    repeats = 2 if args.quick else max(1, args.repeats // 2 + 1)

    info = C.machine()
    C.header("bench_sweep", info, args)
    sw = the_sweep(people, days, reps)
    runs = len(sw) * sw.replications
    print(f"\nsweep: {SWEEP.relative_to(C.ROOT)}, {len(sw)} points x {reps} replications = "
          f"{runs} runs of {people:,} people x {days} days; {repeats} turns", flush=True)

    times = {name: [] for name, _, _ in CONFIGS}
    busy = {name: [] for name, _, _ in CONFIGS}
    tables = {}
    timed_sweep(sw, "processes", 2)  # warm the numba cache for the workers
    for _ in range(repeats):
        for name, executor, workers in CONFIGS:
            dt, n, table, work = timed_sweep(sw, executor, workers)
            times[name].append(dt)
            busy[name].append(work)
            tables[name] = table
            print(f"  {name}: {dt:.1f} s ({n / dt:.2f} runs/s; runs' own time {work:.1f} s)",
                  flush=True)
    first = tables[CONFIGS[0][0]]
    identical = {name: bool(t.equals(first)) for name, t in tables.items()}

    base = C.stats(times[CONFIGS[0][0]])["median"]
    base_busy = C.stats(busy[CONFIGS[0][0]])["median"]
    rows, results = [], []
    for name, executor, workers in CONFIGS:
        st, bs = C.stats(times[name]), C.stats(busy[name])
        # the speed-up if the workers were busy all the time: runs' time alone / per worker
        ceiling = base_busy / (bs["median"] / workers)
        rows.append([name, C.fmt_med(st), f"{runs / st['median']:.2f}",
                     C.fmt_x(base / st["median"]), f"{bs['median']:.1f}",
                     C.fmt_x(ceiling), "yes" if identical[name] else "NO"])
        results.append({"config": name, "executor": executor, "workers": workers,
                        "threads_per_worker": 1, "runs": runs, "timing": st,
                        "runs_per_s": runs / st["median"], "speedup": base / st["median"],
                        "run_seconds_sum": bs, "speedup_ceiling": ceiling,
                        "identical": identical[name]})
    t1 = C.table(rows, ["executor", "sweep wall (median [IQR])", "runs/s",
                        "speed-up vs 1 worker", "runs' own seconds (sum)",
                        "ceiling (runs' time / workers)", "same results"],
                  title="Sweep throughput (1 numba thread per worker)")

    run_st, put_st, read_st, n_rows = store_overhead(sw, repeats)
    t2 = C.table([["run (model + metrics + cohorts)", C.fmt_med(run_st), "100%"],
                  ["Store.put (one transaction)", C.fmt_med(put_st),
                   f"{put_st['median'] / run_st['median']:.1%}"],
                  ["read back per run (sweep fully reused)", C.fmt_med(read_st),
                   f"{read_st['median'] / run_st['median']:.1%}"]],
                 ["per run", "seconds (median [IQR])", "of a run"],
                 title=f"Store overhead per run ({n_rows} daily rows per run)")
    results.append({"store": {"run": run_st, "put": put_st, "read_back": read_st,
                              "daily_rows": n_rows}})
    if not args.no_save:
        C.save("bench_sweep", info, args, results, tables=[t1, t2])


if __name__ == "__main__":
    main()
