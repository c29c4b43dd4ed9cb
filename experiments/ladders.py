"""Which reward ladder? Every named design of growthsim.levers.LADDERS over five years.

Runs the baseline with each ladder (common random numbers), and reports members, word of
mouth, reward spend and its efficiency, with 95% confidence intervals; plus the R2 test of a
launch: referred joins in the first two months after each programme starts in an established
community.

    python experiments/ladders.py [--reps 8] [--n 200000] [--workers 2]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from _common import base_scenario, ci_table, executor, overview, parse, run, save, savefig, \
    totals  # noqa: E402
from growthsim import levers  # noqa: E402

METRICS = {"members_end": "{:,.0f}", "referred": "{:,.0f}", "wom_share": "{:.1%}",
           "reward_cost": "{:,.0f}", "reward_per_referred": "{:,.1f}",
           "churn_per_member_year": "{:.1%}", "cac": "{:,.1f}", "ltv_cac_end": "{:.2f}"}


def main():
    args = parse(__doc__)
    base = base_scenario(args)
    names = list(levers.LADDERS)
    scenarios = {name: levers.apply(base, ladder=name, name=name) for name in names}
    cmp = run(scenarios, args)
    tot = totals(cmp)
    table, summary = ci_table(tot, list(METRICS), METRICS, order=names)
    save(table, summary, args)
    diff = cmp.differences(baseline="none", metrics=["members_end", "joins", "wom_share",
                                                     "reward_cost"])
    diff.to_csv(args.out / "differences_vs_none.csv")

    panels = [("referred", "referred joins over the run"),
              ("reward_per_referred", "reward spend per referred join (yuan)")]
    overview(cmp, summary, args, names, panels, "ladders")

    launch = launch_test(args, names)
    launch.to_csv(args.out / "launch.csv")
    print(launch.to_string())
    fig, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(len(names))
    ax.bar(x - 0.2, launch["month_1"], 0.4, label="month 1")
    ax.bar(x + 0.2, launch["month_2"], 0.4, label="month 2")
    ax.set_xticks(x, names, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("referred joins")
    ax.set_title("after a launch in an established community (R2)")
    ax.legend()
    savefig(fig, args, "launch")


def launch_test(args, names):
    """R2's setting: the programme starts in a 5,000-member community of a 50k market."""
    from growthsim.experiment import compare

    over = {"population.n": 50_000, "seeding.initial_members": 5_000, "run.days": 60,
            "ads.daily_budget": [0.0], "organic.p_discover": 0.0}
    import growthsim as gs

    scenarios = {n: levers.apply(gs.Scenario(), ladder=n, name=n).with_overrides(over)
                 for n in names}
    cmp = compare(scenarios, reps=args.reps, seed=args.seed, progress=True, **executor(args))
    d = cmp.daily
    d["referred"] = d["new_wom"] + d["new_koc"]
    d["month"] = np.where(d["day"] < 30, "month_1", "month_2")
    per = d.groupby(["scenario", "rep", "month"])["referred"].sum().unstack("month")
    out = per.groupby("scenario").mean().reindex(names)
    out["fall"] = 1 - out["month_2"] / out["month_1"]
    return out


if __name__ == "__main__":
    main()
