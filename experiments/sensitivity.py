"""Which levers matter most? A global sensitivity analysis of the baseline over five years.

Varies five levers of scenarios/baseline.toml together (Morris elementary effects by default,
or Sobol' indices with --method sobol) in a market of 20,000 people over five years and
explains members at year 5, the word-of-mouth share of year 5's joins and LTV/CAC at the end
of year 5. Runs go through a results store, so an interrupted analysis resumes where it
stopped. Writes table.md/.csv (indices with 95% bootstrap half-widths), indices.csv (tidy),
samples.csv (every point and its outcomes), summary.json and sensitivity.png to
docs/findings/sensitivity/.

    python experiments/sensitivity.py [--method morris|sobol] [--trajectories 8] [--n 20000]

--trajectories is the number of Morris trajectories (default 8) or Sobol' N (default 16).
"""

import argparse
import json
import sys
import time

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from _common import ROOT, base_scenario, executor, markdown, parse  # noqa: E402
from growthsim import store as gstore  # noqa: E402
from growthsim.experiment.sensitivity import INDICES, points_needed, sensitivity  # noqa: E402

#: The levers and their ranges (each within the schema's bounds).
LEVERS = {
    "sharing.p_share": (0.01, 0.08),          # share readiness per active day (baseline 0.04)
    "ads.daily_budget": (0.0, 4_000.0),       # yuan per day, every year (baseline 1,000-2,000)
    "rewards.per_referral_boost": (0.0, 2.0),  # pull of a 10-yuan reward per referred join
    "churn.base_hazard": (0.0001, 0.0005),    # per member-day (baseline 0.00023)
    "content.posts": (1.0, 6.0),              # operator posts per day, every day (baseline 2-3)
}
METRICS = ("members_end", "wom_share", "ltv_cac_end")
FORMATS = {"members_end": "{:,.0f}", "wom_share": "{:.3f}", "ltv_cac_end": "{:.2f}"}


def main():
    args = arguments()
    # A referral reward's cash only costs; its pull (per_referral_boost) is what moves people.
    base = base_scenario(args).with_overrides({"name": "baseline_20k",
                                               "rewards.per_referral_cash": 10.0})
    n = args.trajectories or (8 if args.method == "morris" else 16)
    total = points_needed(args.method, n, len(LEVERS)) * args.reps
    print(f"{args.method}: {total} runs of {args.n:,} people over {args.days} days")
    started = time.time()
    store_path = ROOT / "results" / "sensitivity.duckdb"
    store_path.parent.mkdir(exist_ok=True)
    with gstore.open(store_path) as st:
        res = sensitivity(base, list(LEVERS), method=args.method, n=n, metrics=METRICS,
                          ranges=LEVERS, replications=args.reps, seed=args.seed, store=st,
                          progress=True, **executor(args))
    minutes = (time.time() - started) / 60
    print(res)
    table = wide_table(res)
    table.to_csv(args.out / "table.csv")
    (args.out / "table.md").write_text(markdown(table))
    res.indices.to_csv(args.out / "indices.csv", index=False)
    res.samples.to_csv(args.out / "samples.csv", index=False)
    summary = {**res.summary(), "minutes": round(minutes, 1), "store": str(store_path.name),
               "levers": {k: list(v) for k, v in LEVERS.items()}}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1, allow_nan=False) + "\n")
    levels = by_level(res.samples, "ads.daily_budget")
    levels.to_csv(args.out / "by_ad_budget.csv")
    (args.out / "by_ad_budget.md").write_text(markdown(levels))
    print(markdown(levels))
    fig = res.plot()
    fig.savefig(args.out / "sensitivity.png", dpi=110)
    print(markdown(table))
    print(f"{res.computed} runs computed, {res.reused} reused, {minutes:.1f} min; "
          f"outputs in {args.out}")


def wide_table(res):
    """One row per metric and lever, ranked by mu_star (or ST): ``value ± half-width``."""
    idx = res.indices.set_index(["metric", "param", "index"])
    main = "mu_star" if res.method == "morris" else "ST"
    spread = res.samples[list(METRICS)].agg(["min", "max"])
    rows = []
    for metric in METRICS:
        fmt = FORMATS[metric] if res.method == "morris" else "{:.2f}"
        order = sorted(LEVERS, key=lambda p: -idx.at[(metric, p, main), "value"])
        for param in order:
            row = {"metric": metric, "lever": param, "range": "{} to {}".format(*LEVERS[param])}
            for index in INDICES[res.method]:
                value, conf = idx.loc[(metric, param, index), ["value", "conf"]]
                row[index] = fmt.format(value) + ("" if np.isnan(conf) else
                                                  f" ± {fmt.format(conf)}")
            row["outcome range"] = f"{FORMATS[metric].format(spread.at['min', metric])} to " \
                                   f"{FORMATS[metric].format(spread.at['max', metric])}"
            rows.append(row)
    return pd.DataFrame(rows).set_index("metric")


def by_level(s, lever):
    """Outcomes by the lever's value in the samples (Morris: 4 levels): mean (min to max)."""
    rows = {}
    for value, part in s.groupby(s[lever].round(6)):
        row = {"points": len(part)}
        for metric in METRICS:
            fmt = FORMATS[metric]
            row[metric] = f"{fmt.format(part[metric].mean())} ({fmt.format(part[metric].min())}" \
                          f" to {fmt.format(part[metric].max())})"
        rows[f"{value:,.0f}"] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = lever
    return out


def arguments():
    """_common.parse's arguments, plus --method and --trajectories (not in its --help)."""
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--method", choices=("morris", "sobol"), default="morris")
    extra.add_argument("--trajectories", type=int, default=None)
    known, rest = extra.parse_known_args()
    sys.argv[1:] = rest
    args = parse(__doc__, reps=1, n=20_000, days=1826)
    args.method, args.trajectories = known.method, known.trajectories
    return args


if __name__ == "__main__":
    main()
