"""Draw docs/images/members_by_channel.png, the README's picture, from real runs.

The baseline scenario (scenarios/baseline.toml) over its five years, in a market scaled
down from 1M to ``--n`` people: seed members and ad budgets are scaled by the same factor
so that each channel keeps its weight. Four replications; the band is the 95% interval
of all members. Takes a few minutes on one core at the default size::

    .venv/bin/python docs/images/make_readme_figure.py            # n = 50,000
    .venv/bin/python docs/images/make_readme_figure.py --n 5000   # a quick look
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import growthsim as gs  # noqa: E402
from growthsim.experiment import replicate  # noqa: E402
from growthsim.report.figures import plot_members_by_channel  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def scaled_baseline(n):
    """The baseline in an ``n``-person market, seeds and ad budgets scaled with it."""
    sc = gs.load_scenario(REPO / "scenarios" / "baseline.toml")
    f = n / sc.population.n
    return sc.with_overrides({
        "population.n": n,
        "seeding.initial_members": max(1, round(sc.seeding.initial_members * f)),
        "ads.daily_budget": [b * f for b in sc.ads.daily_budget],
    })


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50_000, help="people in the market")
    ap.add_argument("--reps", type=int, default=4, help="replications")
    ap.add_argument("--out", type=Path, default=HERE / "members_by_channel.png")
    args = ap.parse_args(argv)
    sc = scaled_baseline(args.n)
    reps = replicate(sc, args.reps, seed=sc.run.seed)
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    plot_members_by_channel(reps.daily, ax=ax)
    ax.set_title(f"Baseline community over five years ({args.n:,}-person market, "
                 f"{args.reps} replications)", fontsize="medium")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
