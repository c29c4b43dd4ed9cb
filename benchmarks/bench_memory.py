"""(d) Peak memory per person and per edge: growthsim's state and graph bytes vs peak RSS.

The baseline scenario (circles of ~200 people, mean degree 20, 300 seed members) at 1M and
10M people (1M and 3M with --quick), each in its own process (``_child.py``), simulating a
few days. Reported: the bytes of the graph's CSR arrays and of the per-person state
(``Population`` I/F matrices + member, pending and touched lists), and the process RSS:
after imports + JIT (the base), the peak while the graph is generated, after construction,
and the peak over the run. Per person = (peak - base) / n; per edge = graph bytes / edge.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402


def main(argv=None):
    p = C.parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", default=None)
    p.add_argument("--days", type=int, default=5)
    args = C.parse(p, argv)
    info = C.machine()
    C.header("bench_memory", info, args)
    sizes = [int(float(x)) for x in args.sizes.split(",")] if args.sizes else (
        [10**6, 3 * 10**6] if args.quick else [10**6, 10**7])
    child = Path(__file__).resolve().parent / "_child.py"
    rows, rows2, results = [], [], []
    for n in sizes:
        r = C.run_child([child, json.dumps({"n": n, "days": args.days})], timeout=1800)
        results.append(r)
        if "error" in r:
            print(f"  n={n:,}: FAILED {r['error']}", flush=True)
            rows.append([f"{n:,}"] + ["-"] * 8 + [r["error"][:60]])
            continue
        base = r["peak_base"]
        peak = r["peak_run"]
        E = r["edges"]
        rows.append([f"{n:,}", f"{E:,}", C.fmt_bytes(r["graph_bytes"]),
                     f"{r['graph_bytes'] / E:.1f} B", C.fmt_bytes(r["state_bytes"]),
                     f"{r['state_bytes'] / n:.0f} B", C.fmt_bytes(base),
                     C.fmt_bytes(r["peak_graph"]), C.fmt_bytes(peak),
                     f"{(peak - base) / n:.0f} B",
                     f"{(r['graph_bytes'] + r['state_bytes']) / max(1, peak - base):.0%}"])
        rows2.append([f"{n:,}", ", ".join(f"{k} {C.fmt_bytes(v)}"
                                          for k, v in r["graph_arrays"].items()),
                      C.fmt_bytes(r["population_bytes"]), C.fmt_s(r["graph_s"]),
                      C.fmt_s(r["init_s"]), C.fmt_s(r["s_per_day"])])
        print(f"  n={n:,}: peak {C.fmt_bytes(peak)}", flush=True)
    tables = [C.table(rows, ["n", "edges", "graph bytes", "per edge", "state bytes",
                             "state per person", "RSS base (imports+JIT)",
                             "peak RSS through graph build", "peak RSS through run",
                             "(peak - base) per person", "arrays / (peak - base)"],
                      title=f"Memory: baseline, {args.days} days simulated, one process per "
                            f"size (edges = undirected ties; stored twice in CSR)"),
              C.table(rows2, ["n", "graph arrays", "Population I+F", "graph s", "init s",
                              "s/day"], title="Breakdown")]
    C.save("bench_memory", info, args, results, tables)


if __name__ == "__main__":
    main()
