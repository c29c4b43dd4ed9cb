"""Is the report's five-year plan feasible? scenarios/five_year_plan.toml with its targets.

Replicates the plan and reports, for each declared target, how often it was met (with a
Clopper-Pearson interval) and the figure reached; plus the yearly trajectory.

    python experiments/five_year_plan.py [--reps 5] [--n 4000000] [--workers 2]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from _common import base_scenario, ci_table, executor, markdown, parse, savefig  # noqa: E402
from growthsim import targets  # noqa: E402

YEARLY = {"members_end": "{:,.0f}", "joins": "{:,.0f}", "wom_share": "{:.1%}",
          "mau_share": "{:.1%}", "dau_mau": "{:.1%}", "churn_rate": "{:.1%}",
          "kocs_end": "{:,.0f}", "ugc_posts": "{:,.0f}", "revenue": "{:,.0f}",
          "ad_cost": "{:,.0f}", "cum_members_end": "{:,.0f}", "ltv_cac_end": "{:.2f}"}


def main():
    args = parse(__doc__, reps=5, n=4_000_000)
    from growthsim.experiment import replicate

    plan = base_scenario(args, "scenarios/five_year_plan.toml")
    reps = replicate(plan, reps=args.reps, seed=args.seed, progress=True, **executor(args))
    yearly = reps.yearly()
    rates = targets.success_rates(plan, yearly)
    rates.to_csv(args.out / "targets.csv")
    shown = rates[["target", "runs", "met", "rate", "ci_low", "ci_high", "actual_mean",
                   "actual_p05", "actual_p95"]].set_index("target")
    (args.out / "targets.md").write_text(markdown(shown.round(3)))
    print(markdown(shown.round(3)))

    table, summary = ci_table(yearly, list(YEARLY), YEARLY, by="year")
    table.to_csv(args.out / "yearly.csv")
    (args.out / "yearly.md").write_text(markdown(table))
    summary.to_csv(args.out / "yearly_summary.csv")
    print(markdown(table))

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    d = reps.daily
    for rep, part in d.groupby("rep"):
        axes[0].plot(part["day"] / 365.25, part["cum_members"], color="#4c72b0", alpha=0.5)
    for t in plan.targets:
        if t.metric in ("cum_members_end", "members_end") and not t.relative_to_year:
            axes[0].scatter([t.year], [t.value], marker="x", color="red", zorder=3)
            axes[0].annotate(t.name, (t.year, t.value), fontsize=7, xytext=(-120, 5),
                             textcoords="offset points")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("year")
    axes[0].set_ylabel("people who ever joined")
    axes[0].set_title(f"the plan, {args.reps} runs; red: targets")
    y = np.arange(len(rates))
    axes[1].barh(y, rates["rate"], xerr=[rates["rate"] - rates["ci_low"],
                                         rates["ci_high"] - rates["rate"]], capsize=3)
    axes[1].set_yticks(y, rates["target"], fontsize=7)
    axes[1].set_xlim(0, 1)
    axes[1].set_xlabel("share of runs meeting the target (95% CI)")
    axes[1].invert_yaxis()
    savefig(fig, args, "five_year_plan")


if __name__ == "__main__":
    main()
