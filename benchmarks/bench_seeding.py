"""(f) KOC seeding: time of every strategy of growthsim.seeding.select, and the spread it buys.

Graphs: NetHEPT (Chen, Wang & Yang 2009; the deduplicated directed file, weighted cascade,
k = 50: the setting in which snowgy/Influence_Maximization reports IMM at 1294-1298) and a
Barabási–Albert graph of 100k ties (n = 20,000, m = 5, growthsim's generator, seed 1) under the
uniform independent cascade p = 0.01 and under the weighted cascade, k = 50.

Every strategy is timed ``repeats`` times after one warm-up call (numba compiled or loaded from
its cache); the figure is the median, with the interquartile range. Each strategy's seed set is
then scored by one Monte-Carlo spread estimate (10,000 simulations, 2,000 in quick mode, the
same simulated worlds for every strategy). IMM runs with epsilon = 0.1 and ell = 1, CELF with
1,000 live-edge worlds (200 in quick mode) and fewer repeats, as it is the slow one.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

K = 50


def load_graphs():
    from dataclasses import replace

    from growthsim.graphs import barabasi_albert, read_edgelist

    nethept = replace(read_edgelist(C.GRAPHS / "NetHEPT_dedup_wc.txt.gz", directed=True),
                      node_ids=None)
    ba = barabasi_albert(20_000, 5, seed=1)
    return [("NetHEPT (directed)", nethept, None), ("BA 20k m=5", ba, 0.01),
            ("BA 20k m=5", ba, None)]


def main(argv=None):
    args = C.parse(C.parser(__doc__.splitlines()[0]), argv)
    from growthsim.seeding import STRATEGIES, select, spread

    info = C.machine()
    C.header("bench_seeding", info, args)
    n_sims_celf = 200 if args.quick else 1000
    n_eval = 2_000 if args.quick else 10_000
    rows, results = [], []
    for gname, g, p in load_graphs():
        label = "WC" if p is None else f"p={p}"
        print(f"\n{gname}: {g!r}, {label}", flush=True)
        for strategy in STRATEGIES:
            kw = dict(p=p, seed=1, epsilon=0.1, ell=1.0, n_sims=n_sims_celf)
            reps = max(1, args.repeats // 2) if strategy == "celf" else args.repeats
            chosen = []
            st = C.timeit(lambda: chosen.append(select(g, K, strategy, **kw)), repeats=reps)
            mean, sem = spread(g, chosen[-1], p=p, n_sims=n_eval, seed=7)
            rows.append([gname, label, strategy, C.fmt_med(st), f"{mean:,.1f} ± {sem:.1f}"])
            results.append({"graph": gname, "n": g.n, "edges": g.n_edges,
                            "directed": g.directed, "p": p, "k": K, "strategy": strategy,
                            "timing": st, "spread_mean": mean, "spread_sem": sem,
                            "spread_sims": n_eval, "celf_sims": n_sims_celf,
                            "seeds": chosen[-1]})
            print(f"  {strategy:16s} {C.fmt_med(st):32s} spread {mean:,.1f} ± {sem:.1f}",
                  flush=True)
    tables = [C.table(rows, ["graph", "cascade", "strategy", "select time (median [IQR])",
                             f"spread ± sem ({n_eval:,} sims)"],
                      title=f"select(graph, k={K}, strategy): median of {args.repeats} "
                            f"repeats (CELF: {max(1, args.repeats // 2)}, "
                            f"{n_sims_celf:,} worlds); IMM epsilon 0.1, ell 1")]
    C.save("bench_seeding", info, args, results, tables)


if __name__ == "__main__":
    main()
