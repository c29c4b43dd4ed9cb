"""Which content cadence? Every named design of growthsim.levers.CADENCES over five years.

Runs the baseline with each cadence (common random numbers) and reports activity, churn,
members, word of mouth and revenue, with 95% confidence intervals.

    python experiments/cadence.py [--reps 8] [--n 200000] [--workers 2]
"""

import matplotlib

matplotlib.use("Agg")

from _common import base_scenario, ci_table, overview, parse, run, save, totals  # noqa: E402
from growthsim import levers  # noqa: E402

METRICS = {"members_end": "{:,.0f}", "interactions_per_member_week": "{:.2f}",
           "dau_per_member": "{:.1%}", "churn_per_member_year": "{:.1%}",
           "wom_share": "{:.1%}", "revenue": "{:,.0f}", "reward_cost": "{:,.0f}",
           "ltv_cac_end": "{:.2f}"}


def main():
    args = parse(__doc__)
    base = base_scenario(args)
    names = list(levers.CADENCES)
    scenarios = {name: levers.apply(base, cadence=name, name=name) for name in names}
    cmp = run(scenarios, args)
    tot = totals(cmp)
    table, summary = ci_table(tot, list(METRICS), METRICS, order=names)
    save(table, summary, args)
    cmp.differences(baseline=names[0], metrics=["members_end", "churn_rate", "dau_mau"]) \
        .to_csv(args.out / f"differences_vs_{names[0]}.csv")

    panels = [("interactions_per_member_week", "interactions per member-week"),
              ("churn_per_member_year", "churn per member-year")]
    overview(cmp, summary, args, names, panels, "cadence")


if __name__ == "__main__":
    main()
