"""(a) The full growthsim model vs the plain Mesa twin (growthsim.reference.ReferenceModel).

Both run the baseline scenario (every mechanic on) on the same graph with the same seed, so
they simulate exactly the same days (the twin is bit-identical; the script checks the metrics
tables are equal). Sizes 10k and 100k people; circles scaled to ~200 people (n // 200).

Two seedings:
* ``baseline``  - the file's 300 initial members (members stay in the low thousands at these
                  sizes, so fixed per-day costs weigh heavily);
* ``members n/10`` - ``seeding.initial_members = n // 10``: per-member work dominates.

Per configuration: time of ``run(days)`` from a freshly built model (construction not
timed, reported separately), per simulated day; agent-steps = member-days (sum over the days
of the members that day, the ``members`` column) per second; the ratio of the two. growthsim
is also given as "kernels only" (time inside its numba kernels), which shows how much of its
day is Python around the kernels. The two models take turns (gs, ref, gs, ref, ...).
Target in the issue: growthsim >= 500x the Mesa reference at 100k.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402


def first_difference(a, b):
    """Where two metrics tables first differ: 'column day k (a vs b)'."""
    import numpy as np

    best = None
    for col in a.columns:
        if col not in b.columns:
            return f"column {col} missing"
        x, y = a[col].to_numpy(dtype=float), b[col].to_numpy(dtype=float)
        bad = np.nonzero(~((x == y) | (np.isnan(x) & np.isnan(y))))[0]
        if len(bad) and (best is None or bad[0] < best[1]):
            best = (col, int(bad[0]), x[bad[0]], y[bad[0]])
    if best is None:
        return "dtypes differ"
    return f"first {best[0]} day {best[1]} ({best[2]:g} vs {best[3]:g})"


def main(argv=None):
    p = C.parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,100000")
    args = C.parse(p, argv)
    info = C.machine()
    C.header("bench_model_vs_mesa", info, args)

    import growthsim as gs
    from growthsim.build import build_graph
    from growthsim.population import derive_seed

    try:
        from growthsim.reference import ReferenceModel
    except ImportError as exc:
        print(f"growthsim.reference.ReferenceModel not available ({exc}); nothing to compare")
        return

    seed = 1
    sizes = [int(x) for x in args.sizes.split(",")]
    # warm-up: compile or load every kernel
    gs.GrowthModel(C.baseline(2_000, **{"population.n_groups": 10}), seed=seed).run(days=5)

    rows, results = [], []
    for variant in ("baseline", "members n/10"):
        for n in sizes:
            days = (30 if args.quick else 60) if variant == "baseline" else (10 if args.quick else 30)
            extra = {} if variant == "baseline" else {"seeding.initial_members": n // 10}
            sc = C.baseline(n, days=days, **extra)
            t0 = time.perf_counter()
            g = build_graph(sc.with_overrides({"run.seed": seed}), derive_seed(seed, "graph"))
            t_graph = time.perf_counter() - t0
            reps = args.repeats if n <= 10_000 else min(args.repeats, 3)
            build = {"growthsim": [], "reference": []}
            frames = {}

            def make(kind):
                t = time.perf_counter()
                m = (gs.GrowthModel if kind == "growthsim" else ReferenceModel)(sc, graph=g,
                                                                                 seed=seed)
                build[kind].append(time.perf_counter() - t)
                return m

            def run(m, kind):
                df = m.run(days=days)
                frames[kind] = df
                return days, int(df["members"].sum())

            res = C.take_turns({"growthsim": (lambda: make("growthsim"),
                                              lambda m: run(m, "growthsim")),
                                "reference": (lambda: make("reference"),
                                              lambda m: run(m, "reference"))},
                               repeats=reps, warmup=0)
            same = frames["growthsim"].equals(frames["reference"])
            diff = "" if same else first_difference(frames["growthsim"], frames["reference"])
            # growthsim's kernel share of the day (one more, instrumented run)
            m = gs.GrowthModel(sc, graph=g, seed=seed)
            with C.KernelTimer() as kt:
                t = time.perf_counter()
                for _ in range(days):
                    m.step()
                t_inst = time.perf_counter() - t
            t = time.perf_counter()
            _ = m.metrics
            t_frame = time.perf_counter() - t
            md = res["growthsim"]["values"][0]
            md_ref = res["reference"]["values"][0]
            t_gs, t_ref = res["growthsim"]["median"], res["reference"]["median"]
            t_kern = kt.total / days
            rate_gs, rate_ref = md / (t_gs * days), md_ref / (t_ref * days)
            rate_k = md / kt.total
            top = sorted(kt.seconds.items(), key=lambda kv: -kv[1])[:3]
            rows.append([variant, f"{n:,}", days, f"{md:,}", C.fmt_med(res["growthsim"]),
                         C.fmt_s(t_kern), C.fmt_med(res["reference"]), C.fmt_rate(rate_gs),
                         C.fmt_rate(rate_k), C.fmt_rate(rate_ref), C.fmt_x(t_ref / t_gs),
                         C.fmt_x(t_ref / t_kern), "yes" if same else f"NO: {diff}"])
            results.append({"variant": variant, "n": n, "days": days, "member_days": md, "member_days_reference": md_ref,
                            "graph_seconds": t_graph, "edges": g.n_edges,
                            "s_per_day": {k: {a: b for a, b in v.items() if a != "values"}
                                          for k, v in res.items()},
                            "growthsim_kernels_s_per_day": t_kern,
                            "growthsim_step_only_s_per_day": t_inst / days,
                            "growthsim_metrics_frame_s": t_frame,
                            "kernel_seconds": kt.seconds,
                            "construct_s": {k: C.stats(v) for k, v in build.items()},
                            "agent_steps_per_s": {"growthsim": rate_gs, "reference": rate_ref,
                                                  "growthsim_kernels": rate_k},
                            "ratio": t_ref / t_gs, "ratio_kernels": t_ref / t_kern,
                            "identical_metrics": same, "first_difference": diff})
            print(f"  {variant} n={n:,}: {days} days, members at end "
                  f"{int(frames['growthsim']['members'].iloc[-1]):,}; construct gs "
                  f"{C.fmt_s(C.stats(build['growthsim'])['median'])}, ref "
                  f"{C.fmt_s(C.stats(build['reference'])['median'])}; gs per day "
                  f"{C.fmt_s(t_gs)}; instrumented: step() {C.fmt_s(t_inst / days)}/day of which "
                  f"kernels {C.fmt_s(t_kern)}, metrics frame {C.fmt_s(t_frame)} per run "
                  f"(top: {', '.join(f'{a} {C.fmt_s(b / days)}' for a, b in top)}); "
                  f"{reps} repeats", flush=True)

    tables = [C.table(rows, ["seeding", "n", "days", "gs member-days", "gs s/day [IQR]",
                             "gs kernels s/day", "Mesa ref s/day [IQR]", "gs agent-steps/s",
                             "gs kernels agent-steps/s", "Mesa agent-steps/s",
                             "ratio", "ratio (kernels)", "identical metrics (gs vs ref)"],
                      title="growthsim vs plain Mesa twin, same scenario, graph, seed and days "
                            "(median of repeats taking turns; construction not timed). "
                            "Target: ratio >= 500x at 100k.")]
    C.save("bench_model_vs_mesa", info, args, results, tables)


if __name__ == "__main__":
    main()
