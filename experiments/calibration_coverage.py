"""Do calibration intervals cover the truth as often as they claim? A coverage study.

Repeats the recovery of ``calibration_recovery.py`` on many independent "observed"
communities (same true parameters, a fresh seed for the observed run and for the
calibration each time) and counts how often each parameter's 95% interval holds the true
value. It also sets the spread of the estimates across data sets (the sampling error the
interval should describe) beside the spread the bootstrap reports, and the estimates' bias,
all on the unit scale the search uses (log for these three parameters). Writes
``coverage.csv`` (one row per data set and parameter), ``coverage.md`` / ``summary.json``
(the table) and ``coverage.png`` to docs/findings/calibration/.

    python experiments/calibration_coverage.py [--datasets 100] [--n 5000] [--days 364]
"""

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "experiments"))

from _common import markdown  # noqa: E402
from calibration_recovery import BOUNDS, TRUTH, observe, world  # noqa: E402
from scipy.stats import binomtest  # noqa: E402


def parse():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--datasets", type=int, default=100, help="independent observed data sets")
    ap.add_argument("--n", type=int, default=5_000, help="people in the market")
    ap.add_argument("--days", type=int, default=364, help="days observed (whole weeks)")
    ap.add_argument("--replications", type=int, default=2, help="runs per evaluation")
    ap.add_argument("--bootstrap", type=int, default=40, help="bootstrap draws per calibration")
    ap.add_argument("--method", default="linear", choices=("linear", "refit"),
                    help="bootstrap method")
    ap.add_argument("--seed-sets", type=int, default=8,
                    help="linear bootstrap: seed sets measuring the calibration's own noise "
                         "(0: assume it is 1/R of the data's)")
    ap.add_argument("--n-start", type=int, default=8, help="points of the start design")
    ap.add_argument("--seed", type=int, default=20261124, help="base seed")
    ap.add_argument("--workers", type=int, default=2, help="calibrations at once")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "findings" / "calibration")
    return ap.parse_args()


def one(args, k):
    """Calibrate data set ``k``; rows (one per parameter) of estimate, interval and spread."""
    from growthsim.experiment.calibrate import calibrate

    base = world(args)
    obs = observe(base.with_overrides(TRUTH), 10_000 + k)
    res = calibrate(base, obs, list(TRUTH), bounds=BOUNDS, replications=args.replications,
                    seed=args.seed + 7919 * k, bootstrap=args.bootstrap,
                    bootstrap_method=args.method, seed_sets=args.seed_sets,
                    n_start=args.n_start, truth=TRUTH)
    rows = []
    for p, r in zip(res.params, res.estimates.itertuples(index=False)):
        draws = np.array([p.unit(x) for x in res.draws[p.key].dropna()])
        rows.append({"dataset": k, "param": p.key, "truth": r.truth, "estimate": r.estimate,
                     "low": r.low, "high": r.high, "covered": bool(r.low <= r.truth <= r.high),
                     "u_truth": p.unit(r.truth), "u_estimate": p.unit(r.estimate),
                     "u_boot_sd": float(draws.std(ddof=1)) if len(draws) > 1 else np.nan,
                     "evaluations": res.evaluations})
    return rows


def _init():
    """One numba thread per calibration: the workers share the cores."""
    import numba

    numba.set_num_threads(1)


def summarise(df, level=0.95):
    rows = []
    for key, g in df.groupby("param", sort=False):
        err = g["u_estimate"] - g["u_truth"]
        hits, n = int(g["covered"].sum()), len(g)
        ci = binomtest(hits, n).proportion_ci(level, method="exact")
        sd = float(err.std(ddof=1))
        rows.append({"parameter": key, "data sets": n,
                     "coverage": f"{hits / n:.0%} [{ci.low:.0%}, {ci.high:.0%}]",
                     "bias / sd": f"{err.mean() / sd:+.2f}",
                     "sd of estimates": f"{sd:.4f}",
                     "bootstrap sd (rms)": f"{np.sqrt(np.mean(g['u_boot_sd'] ** 2)):.4f}",
                     "ratio": f"{np.sqrt(np.mean(g['u_boot_sd'] ** 2)) / sd:.2f}",
                     "_hits": hits})
    return pd.DataFrame(rows)


def figure(df, path):
    from matplotlib.figure import Figure

    keys = list(dict.fromkeys(df["param"]))
    fig = Figure(figsize=(4.2 * len(keys), 4.2), layout="constrained")
    for ax, key in zip(fig.subplots(1, len(keys), squeeze=False).ravel(), keys):
        g = df[df["param"] == key].sort_values("estimate").reset_index(drop=True)
        color = np.where(g["covered"], "#4C72B0", "#C44E52")
        ax.hlines(g.index, g["low"], g["high"], colors=color, lw=1)
        ax.plot(g["estimate"], g.index, "o", ms=2, color="k")
        ax.axvline(g["truth"].iloc[0], color="#C44E52", lw=1.2, label="truth")
        ax.set_xscale("log" if BOUNDS[key][1] / BOUNDS[key][0] > 20 else "linear")
        ax.set_title(f"{key}: {int(g['covered'].sum())} of {len(g)} intervals hold the truth",
                     fontsize=9)
        ax.set_xlabel("estimate and 95% interval (red: misses)")
        ax.set_yticks([])
        ax.legend(fontsize=7, frameon=False)
    fig.savefig(path, dpi=110)


def main():
    args = parse()
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    rows = []
    from tqdm.auto import tqdm

    with ProcessPoolExecutor(args.workers, initializer=_init) as pool:
        futs = [pool.submit(one, args, k) for k in range(args.datasets)]
        for f in tqdm(as_completed(futs), total=len(futs), desc="calibrations"):
            rows.extend(f.result())
    df = pd.DataFrame(rows).sort_values(["dataset", "param"], kind="stable")
    df.to_csv(args.out / "coverage.csv", index=False)
    tab = summarise(df)
    (args.out / "coverage.md").write_text(markdown(tab.drop(columns="_hits")
                                                   .set_index("parameter")), encoding="utf-8")
    figure(df, args.out / "coverage.png")
    summary = {"datasets": args.datasets, "n": args.n, "days": args.days,
               "replications": args.replications, "bootstrap": args.bootstrap,
               "method": args.method, "seed_sets": args.seed_sets, "truth": TRUTH,
               "minutes": round((time.time() - t0) / 60, 1), "argv": sys.argv[1:],
               "table": tab.drop(columns="_hits").to_dict("records")}
    (args.out / "coverage.json").write_text(json.dumps(summary, indent=1) + "\n",
                                            encoding="utf-8")
    print(tab.drop(columns="_hits").to_string(index=False))
    print(f"{summary['minutes']} min; outputs in {args.out}")


if __name__ == "__main__":
    main()
