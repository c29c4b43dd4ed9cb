"""What the experiment scripts share: arguments, the base scenario, whole-run totals, output.

Each script answers one question by comparing designs under common random numbers
(`growthsim.experiment.compare`), then writes a table (CSV and Markdown) and figures to
``docs/findings/<question>/`` so that docs/findings.md can show them.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import growthsim as gs  # noqa: E402
from growthsim.experiment.stats import summarize  # noqa: E402


def parse(doc, *, reps=8, n=200_000, days=1826, replot=False):
    """Command-line arguments every script takes (and ``--replot`` if the script can redraw)."""
    ap = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    ap.add_argument("--reps", type=int, default=reps, help=f"replications (default {reps})")
    ap.add_argument("--n", type=int, default=n, help=f"people in the market (default {n:,})")
    ap.add_argument("--days", type=int, default=days, help=f"days simulated (default {days})")
    ap.add_argument("--seed", type=int, default=20261124, help="base seed of the replications")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (1: serial)")
    ap.add_argument("--out", type=Path, default=None,
                    help="output folder (default docs/findings/<script name>)")
    if replot:
        ap.add_argument("--replot", action="store_true",
                        help="only redraw the figure from the tables already in --out")
    args = ap.parse_args()
    name = Path(sys.argv[0]).stem
    args.out = args.out or ROOT / "docs" / "findings" / name
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def base_scenario(args, path="scenarios/baseline.toml"):
    """The baseline scenario at the script's market size and horizon."""
    sc = gs.load_scenario(ROOT / path)
    return sc.with_overrides({"population.n": args.n, "run.days": args.days})


def executor(args):
    """The executor arguments of ``--workers``: processes above 1, else serial."""
    if args.workers > 1:
        return {"executor": "processes", "workers": args.workers}
    return {"executor": "serial"}


def run(scenarios, args, collect=None):
    """Compare scenarios with common random numbers, with a progress bar."""
    from growthsim.experiment import compare

    return compare(scenarios, reps=args.reps, seed=args.seed, collect=collect, progress=True,
                   **executor(args))


def totals(cmp):
    """Whole-run figures, one row per scenario and replication."""
    d = cmp.daily
    g = d.groupby(["scenario", "rep"], sort=False)
    last = g.tail(1).set_index(["scenario", "rep"])
    cols = ["new_members", "new_wom", "new_koc", "new_paid", "new_organic", "churned",
            "reward_cost", "ad_cost", "koc_cost", "acquisition_cost", "revenue",
            "interactions", "shares", "members", "dau"]
    s = g[cols].sum()
    out = pd.DataFrame({
        "members_end": last["members"],
        "cum_members": last["cum_members"],
        "joins": s["new_members"],
        "referred": s["new_wom"] + s["new_koc"],
        "wom_share": (s["new_wom"] + s["new_koc"]) / s["new_members"],
        "koc_joins": s["new_koc"],
        "churn_per_member_year": s["churned"] / s["members"] * 365.25,
        "interactions_per_member_week": 7 * s["interactions"] / s["members"],
        "dau_per_member": s["dau"] / s["members"],
        "reward_cost": s["reward_cost"],
        "koc_cost": s["koc_cost"],
        "acquisition_cost": s["acquisition_cost"],
        "revenue": s["revenue"],
        "cac": s["acquisition_cost"] / s["new_members"],
        "reward_per_referred": s["reward_cost"] / (s["new_wom"] + s["new_koc"]),
        "ltv_cac_end": last["ltv_cac"],
    })
    return out.reset_index()


def ci_table(frame, metrics, formats, by="scenario", order=None):
    """``mean ± 95% CI half-width`` per group, as strings, plus the numeric summary."""
    s = summarize(frame, metrics, by=by)
    rows = {}
    groups = order or list(dict.fromkeys(frame[by]))
    for name in groups:
        part = s.xs(name, level=by)
        row = {}
        for m in metrics:
            r = part.loc[m]
            half = r["ci_high"] - r["mean"]
            fmt = formats.get(m, "{:,.3g}")
            row[m] = fmt.format(r["mean"]) + (f" ± {fmt.format(half)}"
                                               if np.isfinite(half) else "")
        rows[name] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by
    return out, s


def markdown(table):
    """A DataFrame as a GitHub Markdown table (no extra dependency)."""
    cols = [table.index.name or ""] + [str(c) for c in table.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in table.iterrows():
        lines.append("| " + " | ".join([str(idx)] + [str(v) for v in row]) + " |")
    return "\n".join(lines) + "\n"


def save(table, summary, args, name="table"):
    """Write the table (CSV + Markdown) and its numeric summary (CSV); print the Markdown."""
    table.to_csv(args.out / f"{name}.csv")
    (args.out / f"{name}.md").write_text(markdown(table))
    summary.to_csv(args.out / f"{name}_summary.csv")
    print(markdown(table))


def savefig(fig, args, name):
    path = args.out / f"{name}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    print(f"figure: {path}")


def members_over_time(cmp, ax, order=None):
    """Mean members by day per scenario, with a 95% band over replications."""
    d = cmp.daily
    for name in order or cmp.names:
        part = d[d["scenario"] == name].pivot(index="day", columns="rep", values="members")
        m, sd = part.mean(axis=1), part.std(axis=1)
        half = 1.96 * sd / np.sqrt(part.shape[1])
        ax.plot(part.index / 365.25, m, label=name)
        ax.fill_between(part.index / 365.25, m - half, m + half, alpha=0.2)
    ax.set_xlabel("year")
    ax.set_ylabel("members")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)


def bars(summary, metric, ax, order, title=None, scale=1.0):
    """Bar chart of one metric's mean per scenario with 95% CI whiskers."""
    part = summary.xs(metric, level="metric").reindex(order)
    mean = part["mean"] * scale
    err = (part["ci_high"] - part["mean"]) * scale
    ax.bar(range(len(order)), mean, yerr=err, capsize=3, color="#4c72b0")
    ax.set_xticks(range(len(order)), order, rotation=30, ha="right", fontsize=8)
    ax.set_title(title or metric, fontsize=10)
    ax.grid(axis="y", alpha=0.3)


def overview(cmp, summary, args, names, panels, name):
    """Members over time beside one bar chart per ``(metric, title)`` panel; saved as ``name``."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 1 + len(panels), figsize=(5 * (1 + len(panels)), 4))
    members_over_time(cmp, axes[0], order=names)
    axes[0].set_title(f"members ({args.n:,}-person market, {args.reps} runs each)")
    for ax, (metric, title) in zip(axes[1:], panels):
        bars(summary, metric, ax, names, title)
    savefig(fig, args, name)
