"""(c) The 1M-person, ~10M-edge, five-year daily baseline run, graph generation included.

Runs ``scenarios/baseline.toml`` as it is (1M people in 5,000 interest circles, mean degree 20
-> ~10M undirected edges, 300 seed members, 1,826 daily ticks) and splits the wall time:

* JIT      - compiling every kernel from scratch, measured in a child process with an empty
             NUMBA_CACHE_DIR (what a first run on a fresh machine pays), and the cache-load time
             this process paid in its own warm-up (what a later run pays);
* graph    - generating the circles graph into CSR arrays;
* init     - GrowthModel construction (per-person state, seed members);
* simulation - ``run()`` over all days (per year, and per kernel).

Target: <= 30 s wall on 2 cores, JIT compile excluded. ``--quick`` simulates one year only.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402


def jit_child():
    """Child: compile everything a baseline run needs, on a tiny model; report seconds."""
    t0 = time.perf_counter()
    import growthsim as gs  # noqa: F401
    t1 = time.perf_counter()
    sc = C.baseline(2_000, **{"population.n_groups": 10})
    m = gs.GrowthModel(sc, seed=1)
    m.run(days=3)
    t2 = time.perf_counter()
    C.child_report(import_s=t1 - t0, jit_s=t2 - t1)


def main(argv=None):
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--jit-child":
        return jit_child()
    p = C.parser(__doc__.splitlines()[0])
    p.add_argument("--days", type=int, default=None, help="days to simulate (default 1826, "
                   "365 with --quick)")
    p.add_argument("--skip-cold-jit", action="store_true",
                   help="do not measure the cold compile in a child process")
    args = C.parse(p, argv)
    info = C.machine()
    C.header("bench_million", info, args)

    cold = None
    if not args.skip_cold_jit:
        with tempfile.TemporaryDirectory() as d:
            cold = C.run_child([Path(__file__).resolve(), "--jit-child"], timeout=900,
                               env={"NUMBA_CACHE_DIR": d})
        print(f"  cold JIT (empty cache, child process): {C.fmt_s(cold.get('jit_s'))} "
              f"(+ import {C.fmt_s(cold.get('import_s'))}) {cold.get('error', '')}", flush=True)

    sw = C.Stopwatch()
    with sw("import"):
        import growthsim as gs
        from growthsim.build import build_graph
        from growthsim.population import derive_seed
    with sw("jit (cache load / compile, this process)"):
        gs.GrowthModel(C.baseline(2_000, **{"population.n_groups": 10}), seed=1).run(days=3)
    print(f"  warm-up in this process (cache load or compile): "
          f"{C.fmt_s(sw.t['jit (cache load / compile, this process)'])}", flush=True)

    sc = gs.load_scenario(C.ROOT / "scenarios" / "baseline.toml")
    days = args.days or (365 if args.quick else sc.run.days)
    with sw("graph"):
        g = build_graph(sc, derive_seed(sc.run.seed, "graph"))
    print(f"  graph: {g!r} in {C.fmt_s(sw.t['graph'])}", flush=True)
    with sw("init"):
        m = gs.GrowthModel(sc, graph=g)
    print(f"  init: {C.fmt_s(sw.t['init'])}", flush=True)
    years = []
    with C.KernelTimer() as kt, sw("simulation"):
        done = 0
        while done < days:
            chunk = min(365, days - done)
            t0 = time.perf_counter()
            m.run(days=chunk)
            years.append({"days": chunk, "seconds": time.perf_counter() - t0,
                          "members_end": m.n_members})
            done += chunk
            print(f"  days {done - chunk}-{done - 1}: {C.fmt_s(years[-1]['seconds'])}, "
                  f"members {m.n_members:,}", flush=True)
    df = m.metrics
    member_days = int(df["members"].sum())
    wall = sw.t["graph"] + sw.t["init"] + sw.t["simulation"]
    kern = kt.total
    rows = [
        ["JIT compile, cold cache (child process)", C.fmt_s(cold.get("jit_s")) if cold else "-"],
        ["JIT warm-up this process (numba cache load)",
         C.fmt_s(sw.t["jit (cache load / compile, this process)"])],
        ["graph generation (circles, CSR)", C.fmt_s(sw.t["graph"])],
        ["init (GrowthModel construction)", C.fmt_s(sw.t["init"])],
        [f"simulation ({days} days)", C.fmt_s(sw.t["simulation"])],
        ["  of which inside numba kernels", f"{C.fmt_s(kern)} "
                                            f"({100 * kern / sw.t['simulation']:.0f}%)"],
        ["  of which Python around kernels + metrics",
         C.fmt_s(sw.t["simulation"] - kern)],
        ["WALL graph + init + simulation (target <= 30 s)", C.fmt_s(wall)],
        ["members at the end", f"{m.n_members:,}"],
        ["member-days simulated", f"{member_days:,}"],
        ["agent-steps (member-days) per second", C.fmt_rate(member_days / sw.t["simulation"])],
        ["peak RSS", C.fmt_bytes(C.peak_rss_bytes())],
    ]
    tables = [C.table(rows, ["part", "value"],
                      title=f"1M-person baseline, {g.n_edges:,} edges, {days} days, one run "
                            f"({info['numba_threads']} numba threads)")]
    krows = sorted(kt.seconds.items(), key=lambda kv: -kv[1])
    tables.append(C.table([[k, C.fmt_s(v), f"{100 * v / sw.t['simulation']:.1f}%",
                            f"{kt.calls[k]:,}", C.fmt_s(v / kt.calls[k])] for k, v in krows],
                          ["kernel", "total", "share of simulation", "calls", "per call"],
                          title="Where the simulation time goes (per kernel)"))
    C.save("bench_million", info, args, {
        "days": days, "n": g.n, "edges": g.n_edges, "seconds": sw.t, "cold_jit": cold,
        "years": years, "members_end": m.n_members, "member_days": member_days,
        "wall_excluding_jit": wall, "kernel_seconds": kt.seconds, "kernel_calls": kt.calls,
        "peak_rss": C.peak_rss_bytes()}, tables)


if __name__ == "__main__":
    main()
