"""Can calibration recover known parameters? A recovery at a realistic size.

Simulates one "observed" community with known values of three parameters (the sharing
probability, the organic discovery rate and the ad conversion probability), keeps only what
an operator would see - weekly members and weekly joins by channel (word of mouth, organic,
paid) - and calibrates the three parameters back from a Sobol design over wide ranges, with
linearised parametric bootstrap intervals. Writes the table true vs estimate with its
interval, the fit figure, the observed series and the search history to
docs/findings/calibration/.

    python experiments/calibration_recovery.py [--n 50000] [--days 728] [--workers 2]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import growthsim as gs  # noqa: E402
from _common import markdown  # noqa: E402
from growthsim.experiment.calibrate import calibrate  # noqa: E402
from growthsim.experiment.stored import jsonable  # noqa: E402
from growthsim.model import GrowthModel  # noqa: E402

TRUTH = {"sharing.p_share": 0.06, "organic.p_discover": 0.15, "ads.p_convert": 0.0008}
BOUNDS = {"sharing.p_share": (0.01, 0.3), "organic.p_discover": (0.02, 1.0),
          "ads.p_convert": (0.0001, 0.005)}
SERIES = {"members": "last", "new_wom": "sum", "new_organic": "sum", "new_paid": "sum"}


def parse():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--n", type=int, default=50_000, help="people in the market")
    ap.add_argument("--days", type=int, default=728, help="days observed (whole weeks)")
    ap.add_argument("--replications", type=int, default=2, help="runs per evaluation")
    ap.add_argument("--bootstrap", type=int, default=40, help="bootstrap draws")
    ap.add_argument("--n-start", type=int, default=16, help="points of the start design")
    ap.add_argument("--seed", type=int, default=20261124, help="base seed of the calibration")
    ap.add_argument("--observed-seed", type=int, default=7,
                    help="seed of the 'observed' run (not one the calibration uses)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (1: serial)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "findings" / "calibration")
    return ap.parse_args()


def world(args):
    """The baseline at the script's size: seeds and a steady ad budget in proportion to the
    market (200 seeds and 500 yuan a day per 50,000 people)."""
    scale = args.n / 50_000
    return gs.load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides({
        "name": "calibration_recovery", "population.n": args.n, "run.days": args.days,
        "seeding.initial_members": max(20, round(200 * scale)),
        "ads.daily_budget": [500.0 * scale], "conversion.p_convert": 0.01})


def observe(sc, seed):
    """What an operator sees of one run: weekly members (week's end) and joins (summed)."""
    daily = GrowthModel(sc, seed=seed).run()
    g = daily.groupby(daily["day"] // 7)
    out = {"week": np.arange(g.ngroups)}
    for col, how in SERIES.items():
        out[col] = (g[col].last() if how == "last" else g[col].sum()).to_numpy()
    return pd.DataFrame(out)


def table(res):
    est = res.estimates
    rows = []
    for r in est.itertuples(index=False):
        rows.append({"parameter": r.param, "truth": f"{r.truth:.4g}",
                     "estimate": f"{r.estimate:.4g}",
                     "95% interval": f"[{r.low:.4g}, {r.high:.4g}]",
                     "error": f"{r.estimate / r.truth - 1:+.1%}",
                     "truth inside": "yes" if r.low <= r.truth <= r.high else "NO",
                     "searched": f"{r.lo:g} .. {r.hi:g} ({r.scale})"})
    return pd.DataFrame(rows)


def main():
    args = parse()
    args.out.mkdir(parents=True, exist_ok=True)
    base = world(args)
    t0 = time.time()
    obs = observe(base.with_overrides(TRUTH), args.observed_seed)
    obs.to_csv(args.out / "observed.csv", index=False)
    ex = {"executor": "processes", "workers": args.workers} if args.workers > 1 else {}
    res = calibrate(base, obs, list(TRUTH), bounds=BOUNDS, replications=args.replications,
                    seed=args.seed, bootstrap=args.bootstrap, n_start=args.n_start,
                    truth=TRUTH, progress=True, **ex)
    minutes = (time.time() - t0) / 60
    print(res)
    tab = table(res)
    tab.to_csv(args.out / "recovery.csv", index=False)
    (args.out / "recovery.md").write_text(markdown(tab.set_index("parameter")),
                                          encoding="utf-8")
    res.estimates.to_csv(args.out / "estimates.csv", index=False)
    res.history.to_csv(args.out / "history.csv", index=False)
    res.draws.to_csv(args.out / "bootstrap_draws.csv", index=False)
    res.plot().savefig(args.out / "fit.png", dpi=110)
    summary = {**res.summary(), "n": args.n, "observed_seed": args.observed_seed,
               "truth": TRUTH, "minutes": round(minutes, 1),
               "runs": res.runs,
               "argv": sys.argv[1:]}
    (args.out / "summary.json").write_text(json.dumps(jsonable(summary), indent=1) + "\n",
                                           encoding="utf-8")
    print(tab.to_string(index=False))
    print(f"{minutes:.1f} min; outputs in {args.out}")


if __name__ == "__main__":
    main()
