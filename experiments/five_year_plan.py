"""Is the report's five-year plan feasible? scenarios/five_year_plan.toml with its targets.

Replicates the plan and reports, for each declared target, how often it was met (with a
Clopper-Pearson interval) and the figure reached; plus the yearly trajectory.

    python experiments/five_year_plan.py [--reps 5] [--n 4000000] [--workers 2]
    python experiments/five_year_plan.py --reps 2 --replot   # redraw from the saved tables
"""

import argparse

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
    args = parse(__doc__, reps=5, n=4_000_000, replot=True)
    if args.replot:  # redraw the figure from the tables of an earlier run
        plot(args.out, base_scenario(args, "scenarios/five_year_plan.toml"), args.reps)
        return
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

    trajectory = reps.daily.groupby("day")[["members", "cum_members"]].agg(["min", "max"])
    trajectory.columns = [f"{a}_{b}" for a, b in trajectory.columns]
    trajectory.iloc[::7].to_csv(args.out / "trajectory.csv")  # weekly: enough for the figure
    plot(args.out, plan, args.reps)


def plot(out, plan, reps):
    """The figure, from the tables this script wrote into ``out`` (so it can be redrawn)."""
    import pandas as pd

    rates = pd.read_csv(out / "targets.csv")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained",
                             gridspec_kw={"width_ratios": [1, 1.2]})
    ax = axes[0]
    if (out / "trajectory.csv").is_file():
        tr = pd.read_csv(out / "trajectory.csv")
        years = tr["day"] / 365.25
        for col, label, colour in (("cum_members", "people who ever joined", "#4c72b0"),
                                   ("members", "current members", "#55a868")):
            ax.fill_between(years, tr[f"{col}_min"], tr[f"{col}_max"], color=colour,
                            alpha=0.6, label=f"{label} (range of {reps} runs)")
    else:  # older outputs: the yearly means and their 95% intervals
        ys = pd.read_csv(out / "yearly_summary.csv")
        for col, label, colour in (("cum_members_end", "people who ever joined", "#4c72b0"),
                                   ("members_end", "current members", "#55a868")):
            part = ys[ys["metric"] == col]
            ax.errorbar(part["year"], part["mean"],
                        yerr=[part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]],
                        marker="o", capsize=3, color=colour,
                        label=f"{label}, end of year (mean, 95% CI, {reps} runs)")
    ax.axhline(plan.population.n, color="grey", lw=0.8, ls=":")
    ax.annotate(f"market: {plan.population.n:,} people", (0.1, plan.population.n),
                xytext=(0, 3), textcoords="offset points", fontsize=7, color="grey")
    for t in plan.targets:
        if t.metric in ("cum_members_end", "members_end") and not t.relative_to_year:
            ax.scatter([t.year], [t.value], marker="x", color="red", zorder=3, s=60)
            ax.annotate(t.name, (t.year, t.value), fontsize=7, color="red",
                        ha="right" if t.year > 2.5 else "left",
                        xytext=(-6 if t.year > 2.5 else 6, -10), textcoords="offset points")
    ax.set_yscale("log")
    ax.set_xlim(0, 5.2)
    ax.set_ylim(3e4, plan.population.n * 1.6)
    ax.set_xlabel("year")
    ax.set_ylabel("people")
    ax.set_title("the plan's market; red crosses: its size targets")
    ax.legend(fontsize=7, loc="lower right")
    y = np.arange(len(rates))
    met = rates["rate"].to_numpy()
    axes[1].barh(y, met, color=np.where(met >= 0.5, "#55a868", "#c44e52"),
                 xerr=[met - rates["ci_low"], rates["ci_high"] - met], capsize=3)
    labels = [f"{t}  (reached: {_fmt(a)})" for t, a in zip(rates["target"],
                                                           rates["actual_mean"])]
    axes[1].set_yticks(y, labels, fontsize=7)
    axes[1].set_xlim(0, 1)
    axes[1].set_xlabel(f"share of {reps} runs meeting the target (95% Clopper-Pearson CI)")
    axes[1].invert_yaxis()
    savefig(fig, argparse.Namespace(out=out), "five_year_plan")


def _fmt(x):
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


if __name__ == "__main__":
    main()
