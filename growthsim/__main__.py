"""``python -m growthsim``: run a scenario over its horizon and print a yearly summary.

Usage: ``python -m growthsim [SCENARIO.toml] [--days N] [--seed S] [--set key=value ...]``
(default scenario: scenarios/baseline.toml).
"""

import argparse
import sys
import time
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"


def parse_value(text):
    """A --set value as TOML would read it (number, bool, string or list)."""
    import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def yearly_summary(df):
    """One row per simulated year: the figures a strategist reads first.

    A display of :func:`growthsim.metrics.yearly` (percentages, thousands of yuan).
    """
    import pandas as pd

    from growthsim.metrics import yearly

    y = yearly(df).set_index("year")
    return pd.DataFrame({
        "members": y["members_end"],
        "joined": y["joins"],
        "wom+koc %": 100 * y["wom_share"].fillna(0.0),
        "paid %": 100 * y["paid_share"].fillna(0.0),
        "churned": y["churned"],
        "DAU/MAU %": 100 * y["dau_mau"],
        "revenue ¥k": y["revenue"] / 1e3,
        "rewards ¥k": y["reward_cost"] / 1e3,
        "ads ¥k": y["ad_cost"] / 1e3,
        "LTV/CAC": y["ltv_cac_end"],
    })


def main(argv=None):
    from growthsim.errors import GrowthsimError

    ap = argparse.ArgumentParser(prog="growthsim", description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=str(DEFAULT), help="scenario TOML file")
    ap.add_argument("--days", type=int, help="override run.days")
    ap.add_argument("--seed", type=int, help="override run.seed")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a parameter, e.g. --set koc.count=100")
    args = ap.parse_args(argv)
    try:
        return _run(args)
    except GrowthsimError as exc:
        print(f"growthsim: error: {exc}", file=sys.stderr)
        return 2


def _run(args):
    import growthsim as gs
    from growthsim.errors import ScenarioError

    sc = gs.load_scenario(args.scenario)
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise ScenarioError(f"--set expects KEY=VALUE; got {item!r}")
        overrides[key.strip()] = parse_value(value.strip())
    if args.days is not None:
        overrides["run.days"] = args.days
    if overrides:
        sc = sc.with_overrides(overrides)
    t0 = time.perf_counter()
    model = gs.GrowthModel(sc, seed=args.seed)
    t1 = time.perf_counter()
    print(f"{sc.name}: {sc.description}")
    print(f"graph: {model.graph!r} (built in {t1 - t0:.1f} s)")
    df = model.run(progress=sys.stderr.isatty())
    t2 = time.perf_counter()
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:,.1f}".format):
        print(yearly_summary(df).to_string())
    last = df.iloc[-1]
    print(f"\n{len(df):,} days simulated in {t2 - t1:.1f} s; {int(last['cum_members']):,} people "
          f"ever joined; {int(last['members']):,} members at the end; "
          f"LTV/CAC {last['ltv_cac']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
