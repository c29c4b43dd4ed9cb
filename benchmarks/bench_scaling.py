"""(e) Time per simulated day against the number of active members, 10^4 to 10^7 people.

The baseline scenario at n = 1e4, 1e5, 1e6, 1e7 (circles of ~200 people, mean degree 20) with
``seeding.initial_members = n // 10``, so a fixed tenth of everyone is a member from day 0;
~30 days each (10 with --quick, which stops at 1e6). Each size runs in its own process
(``_child.py``) so its peak RSS is its own. The slope of log(time per day) against
log(mean members) is fitted by least squares: 1 means linear scaling, below 1 means fixed
per-day costs still weigh. Time per day is the ``step()`` loop; the pandas metrics table that
``run()`` builds once at the end (~10 ms, whatever the size) is reported apart. 10M people must
stay within 6 GB peak RSS.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

LIMIT_10M = 6 * 1024 ** 3


def slope(xs, ys):
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sxx if sxx > 0 else float("nan")


def main(argv=None):
    p = C.parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", default=None, help="comma-separated n (default 1e4..1e7; "
                   "1e4..1e6 with --quick)")
    p.add_argument("--days", type=int, default=None)
    args = C.parse(p, argv)
    info = C.machine()
    C.header("bench_scaling", info, args)
    sizes = [int(float(x)) for x in args.sizes.split(",")] if args.sizes else (
        [10**4, 10**5, 10**6] if args.quick else [10**4, 10**5, 10**6, 10**7])
    days = args.days or (10 if args.quick else 30)
    child = Path(__file__).resolve().parent / "_child.py"
    import json

    rows, results = [], []
    for n in sizes:
        reps = 1 if n >= 10**6 else (args.repeats if n <= 10**4 else min(3, args.repeats))
        runs = []
        for _ in range(reps):
            r = C.run_child([child, json.dumps({"n": n, "days": days, "overrides":
                                                {"seeding.initial_members": n // 10}})],
                            timeout=1800)
            runs.append(r)
            if "error" in r:
                break
        ok = [r for r in runs if "error" not in r]
        if not ok:
            print(f"  n={n:,}: FAILED {runs[-1]['error']}", flush=True)
            rows.append([f"{n:,}", "-", "-", "-", "-", "-", "-", runs[-1]["error"][:60]])
            results.append({"n": n, "error": runs[-1]["error"]})
            continue
        st = C.stats([r["s_per_day"] for r in ok])
        ks = C.stats([r["kernel_s_per_day"] for r in ok])
        r0 = ok[0]
        peak = max(r["peak_run"] for r in ok)
        fits = "" if n < 10**7 else ("fits 6 GB" if peak <= LIMIT_10M else "OVER 6 GB")
        rows.append([f"{n:,}", f"{r0['edges']:,}", f"{r0['mean_members']:,.0f}", C.fmt_med(st),
                     C.fmt_s(ks["median"]),
                     C.fmt_rate(r0["mean_members"] / st["median"]),
                     f"{C.fmt_s(r0['graph_s'])} / {C.fmt_s(r0['init_s'])} / "
                     f"{C.fmt_s(r0['metrics_frame_s'])}",
                     f"{C.fmt_bytes(peak)} {fits}".strip()])
        results.append({"n": n, "days": days, "runs": ok, "s_per_day": st,
                        "kernel_s_per_day": ks, "mean_members": r0["mean_members"],
                        "peak_rss": peak})
        print(f"  n={n:,}: {C.fmt_med(st)} per day, kernels {C.fmt_s(ks['median'])}, "
              f"members {r0['mean_members']:,.0f}, peak {C.fmt_bytes(peak)}, {len(ok)} runs",
              flush=True)
    good = [r for r in results if "error" not in r]
    tables = [C.table(rows, ["n", "edges", "mean members", "s/day [IQR]", "kernels s/day",
                             "member-days/s", "graph / init / metrics table", "peak RSS"],
                      title=f"Scaling: baseline, initial_members = n/10, {days} days per size "
                            f"(median of runs: 5 at 1e4, 3 at 1e5, 1 above; quick: 3/3/1)")]
    fit = {}
    if len(good) >= 2:
        xs = [r["mean_members"] for r in good]
        fit["all"] = slope(xs, [r["s_per_day"]["median"] for r in good])
        fit["kernels"] = slope(xs, [r["kernel_s_per_day"]["median"] for r in good])
        big = [r for r in good if r["n"] >= 10**5]
        if len(big) >= 2:
            fit["n>=1e5"] = slope([r["mean_members"] for r in big],
                                  [r["s_per_day"]["median"] for r in big])
        line = (f"slope of log(s/day) vs log(members): {fit['all']:.3f} (whole day), "
                f"{fit['kernels']:.3f} (kernels only)")
        if "n>=1e5" in fit:
            line += f", {fit['n>=1e5']:.3f} (whole day, n >= 1e5)"
        print("\n" + line + "  (1 = linear)")
        tables.append(line)
    C.save("bench_scaling", info, args, {"sizes": results, "slope": fit}, tables)


if __name__ == "__main__":
    main()
