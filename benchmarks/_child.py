"""Child process for the memory and scaling benchmarks: one model, measured stage by stage.

    python benchmarks/_child.py '{"n": 1000000, "days": 30, "overrides": {...}}'

Prints one JSON line (read by ``_common.run_child``): times of graph generation, model
construction and the days (``step()`` loop: s/day, also inside kernels only; the pandas metrics
table, built once per run, is timed apart), members, and memory: the graph's
and the state's array bytes, current RSS and peak RSS (ru_maxrss) after each stage. Running
each size in its own process is what makes the peak RSS figures mean anything.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402


def main():
    spec = json.loads(sys.argv[1])
    n, days = int(spec["n"]), int(spec["days"])
    out = {"n": n, "days": days}
    import growthsim as gs
    from growthsim.build import build_graph
    from growthsim.population import derive_seed

    # compile / load every kernel first, on a tiny model
    gs.GrowthModel(C.baseline(2_000, **{"population.n_groups": 10}), seed=1).run(days=3)
    import numba

    out["numba_threads"] = numba.config.NUMBA_NUM_THREADS
    out["rss_base"] = C.rss_bytes()
    out["peak_base"] = C.peak_rss_bytes()

    sc = C.baseline(n, days=days, **spec.get("overrides", {}))
    t0 = time.perf_counter()
    g = build_graph(sc, derive_seed(sc.run.seed, "graph"))
    out["graph_s"] = time.perf_counter() - t0
    out["edges"] = g.n_edges
    out["stored_edges"] = int(len(g.indices))
    out["graph_bytes"] = g.nbytes
    out["graph_arrays"] = {k: int(v.nbytes) for k, v in g._arrays().items() if v is not None}
    out["rss_graph"] = C.rss_bytes()
    out["peak_graph"] = C.peak_rss_bytes()

    t0 = time.perf_counter()
    m = gs.GrowthModel(sc, graph=g)
    out["init_s"] = time.perf_counter() - t0
    out["state_bytes"] = int(m.population.nbytes + m.members.nbytes + m._pending.nbytes
                             + m._touched.nbytes)
    out["population_bytes"] = int(m.population.nbytes)
    out["rss_init"] = C.rss_bytes()
    out["peak_init"] = C.peak_rss_bytes()
    out["members_start"] = m.n_members

    warm = int(spec.get("warm_days", 0))
    if warm:
        m.run(days=warm)
    with C.KernelTimer() as kt:
        t0 = time.perf_counter()
        for _ in range(days):  # step() loop: the metrics table is timed on its own below
            m.step()
        run_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    df = m.metrics
    out["metrics_frame_s"] = time.perf_counter() - t0
    tail = df.iloc[warm:]
    out["run_s"] = run_s
    out["s_per_day"] = run_s / days
    out["kernel_s_per_day"] = kt.total / days
    out["kernel_seconds"] = kt.seconds
    out["mean_members"] = float(tail["members"].mean())
    out["member_days"] = int(tail["members"].sum())
    out["members_end"] = m.n_members
    out["rss_run"] = C.rss_bytes()
    out["peak_run"] = C.peak_rss_bytes()
    C.child_report(**out)


if __name__ == "__main__":
    main()
