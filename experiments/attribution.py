"""Where does growth come from? Attribution of the baseline by channel and referral generation,
the viral coefficient K and cycle time, and referred vs other members (Schmitt et al. 2011).

    python experiments/attribution.py [--reps 8] [--n 200000] [--workers 2]
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from _common import base_scenario, ci_table, executor, markdown, parse, savefig  # noqa: E402


def collect(model):
    """Attribution tables of one finished run (top level: pickled to worker processes)."""
    from growthsim import attribution as at

    return {**at.summary(model), "channels": at.by_channel(model),
            "generations": at.by_generation(model),
            "referred_vs_other": at.referred_vs_other(model)}


SCALARS = {"wom_share": "{:.1%}", "k": "{:.3f}", "cycle_time": "{:.0f}",
           "mean_generation": "{:.2f}", "max_generation": "{:.0f}", "share_beyond_1": "{:.1%}",
           "value_ratio": "{:.3f}", "retention_ratio": "{:.3f}", "churn_ratio": "{:.3f}",
           "hazard_ratio": "{:.3f}",
           "revenue_rate_ratio": "{:.3f}"}


def main():
    args = parse(__doc__)
    from growthsim.experiment import replicate
    from growthsim.report.attribution import plot_channels, plot_generations, \
        plot_referred_vs_other

    base = base_scenario(args)
    reps = replicate(base, reps=args.reps, seed=args.seed, collect=collect, progress=True,
                     **executor(args))
    scal = pd.DataFrame([{k: v for k, v in c.items() if k in SCALARS} for c in reps.collected])
    scal["scenario"] = "baseline"
    table, summary = ci_table(scal, list(SCALARS), SCALARS)
    table = table.T
    table.index.name = "figure"
    table.to_csv(args.out / "headline.csv")
    (args.out / "headline.md").write_text(markdown(table))
    summary.to_csv(args.out / "headline_summary.csv")
    print(markdown(table))

    def mean_table(key):
        frames = [c[key] for c in reps.collected]
        return pd.concat(frames).groupby(level=0).mean()

    channels = mean_table("channels")
    generations = mean_table("generations")
    rvo = mean_table("referred_vs_other")
    for name, t in (("channels", channels), ("generations", generations),
                    ("referred_vs_other", rvo)):
        t.to_csv(args.out / f"{name}.csv")
        (args.out / f"{name}.md").write_text(markdown(t.round(3)))
        print(f"\n{name} (mean of {args.reps} runs)\n" + markdown(t.round(3)))

    fig, axes = plt.subplots(1, 3, figsize=(16, 4))
    plot_channels(channels, ax=axes[0])
    plot_generations(generations, ax=axes[1])
    plot_referred_vs_other(rvo, ax=axes[2])
    savefig(fig, args, "attribution")


if __name__ == "__main__":
    main()
