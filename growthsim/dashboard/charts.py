"""The dashboard's charts as matplotlib figures (no pyplot: safe off the main thread)."""

import numpy as np
from matplotlib.figure import Figure

#: Member columns by acquisition channel (they sum to members) and their legend labels.
CHANNELS = (("members_seed", "seed"), ("members_organic", "organic"),
            ("members_paid", "paid"), ("members_wom", "word of mouth"), ("members_koc", "KOC"))
STAGE_COLOURS = ("#c8c8c8", "#9ecae1", "#31a354", "#de2d26")  # unaware, aware, member, churned
AB_COLOURS = ("#3182bd", "#e6550d")


def run_figure(snap, width=12.0):
    """Six panels of a live run: members by channel, DAU/MAU, tiers, trust and fatigue.

    Parameters
    ----------
    snap : growthsim.dashboard.state.Snapshot
    width : float
        Figure width in inches.

    Examples
    --------
    >>> from growthsim.dashboard.state import LiveRun
    >>> from growthsim.scenario import Scenario
    >>> live = LiveRun(Scenario().with_overrides({"population.n": 1_000, "run.days": 10}))
    >>> _ = live.advance(10)
    >>> [ax.get_title() for ax in run_figure(live.snapshot()).axes][:2]
    ['Members by channel', 'DAU / MAU']
    """
    fig = Figure(figsize=(width, width * 0.5), layout="constrained")
    axes = fig.subplots(2, 3)
    df = snap.metrics
    day = df["day"].to_numpy() if len(df) else np.zeros(0)
    xmax = max(snap.days - 1, 1)

    ax = axes[0, 0]
    if len(df):
        ax.stackplot(day, *[df[c].to_numpy() for c, _ in CHANNELS],
                     labels=[label for _, label in CHANNELS])
        ax.legend(loc="upper left", fontsize=7)
    _style(ax, "Members by channel", "members", xmax)

    ax = axes[0, 1]
    if len(df):
        ax.plot(day, df["dau_mau"].to_numpy(), color="#3182bd")
    ax.set_ylim(0, 1)
    _style(ax, "DAU / MAU", "ratio", xmax)

    ax = axes[0, 2]
    tiers = [c for c in df.columns if c.startswith("tier_")]
    used = [c for c in tiers if len(df) and df[c].to_numpy().any()]
    if used:
        ax.stackplot(day, *[df[c].to_numpy() for c in used],
                     labels=[c.replace("_", " ") for c in used])
        ax.legend(loc="upper left", fontsize=7)
    _style(ax, "Members by tier", "members", xmax)

    _hist(axes[1, 0], snap.trust, "Trust of members (now)", "#31a354")
    _hist(axes[1, 1], snap.fatigue, "Fatigue of members (now)", "#e6550d")

    ax = axes[1, 2]
    if len(df):
        ax.plot(day, df["trust_mean"].to_numpy(), label="trust", color="#31a354")
        ax.plot(day, df["fatigue_mean"].to_numpy(), label="fatigue", color="#e6550d")
        ax.legend(loc="upper left", fontsize=7)
    ax.set_ylim(0, 1)
    _style(ax, "Mean trust and fatigue", "mean", xmax)
    fig.suptitle(f"Day {snap.day:,} of {snap.days:,}", fontsize=10)
    return fig


def _style(ax, title, ylabel, xmax):
    ax.set_title(title, fontsize=10)
    ax.set_xlim(0, xmax)
    ax.set_xlabel("day", fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)


def _hist(ax, values, title, colour):
    ax.hist(values, bins=np.linspace(0, 1, 21), color=colour, alpha=0.8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("value", fontsize=8)
    ax.set_ylabel("members", fontsize=8)
    ax.tick_params(labelsize=7)


def neighbourhood_figure(ego, size=6.0):
    """The sampled neighbourhood: colour = stage, dot size = tier, black ring = KOC.

    Parameters
    ----------
    ego : dict
        :func:`growthsim.dashboard.state.ego_network` with current ``stage``, ``tier``
        and ``koc`` arrays (a snapshot's ``ego``).
    size : float
        Figure size in inches.

    Examples
    --------
    >>> ego = dict(center=0, nodes=np.arange(3), hops=np.array([0, 1, 1]),
    ...            edges=np.array([[0, 1], [0, 2]]), weight=np.array([0.5, 1.0]),
    ...            pos=np.array([[0, 0], [1, 0], [0, 1.0]]), stage=np.array([2, 0, 3]),
    ...            tier=np.array([1, 0, 0]), koc=np.array([0, 0, 1]))
    >>> neighbourhood_figure(ego).axes[0].get_title()
    'Neighbourhood of person 0 (3 people)'
    """
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(size, size), layout="constrained")
    ax = fig.subplots()
    pos = ego["pos"]
    if len(ego["edges"]):
        segs = pos[ego["edges"]]
        ax.add_collection(LineCollection(segs, linewidths=0.3 + 1.2 * ego["weight"],
                                         colors="#999999", alpha=0.4, zorder=1))
    colours = np.array(STAGE_COLOURS)[np.clip(ego["stage"], 0, 3)]
    sizes = 18 + 40 * ego["tier"]
    ax.scatter(pos[:, 0], pos[:, 1], s=sizes, c=colours, zorder=2,
               edgecolors=np.where(ego["koc"] > 0, "black", "none"), linewidths=1.2)
    ax.scatter(pos[:1, 0], pos[:1, 1], s=160, facecolors="none", edgecolors="black",
               linewidths=1.5, zorder=3)
    handles = [Line2D([], [], marker="o", ls="", color=c, label=s)
               for s, c in zip(("unaware", "aware", "member", "churned"), STAGE_COLOURS)]
    handles.append(Line2D([], [], marker="o", ls="", mfc="white", mec="black", label="KOC"))
    ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.8)
    ax.set_title(f"Neighbourhood of person {ego['center']} ({len(pos)} people)", fontsize=10)
    ax.set_axis_off()
    ax.autoscale_view()
    return fig


def ab_figure(bands, diff, metric, width=12.0):
    """A/B: each variant's daily mean with its 95% band, and the paired difference B - A.

    Examples
    --------
    >>> import pandas as pd
    >>> bands = pd.DataFrame({"scenario": ["A: x"] * 2 + ["B: y"] * 2, "day": [0, 1] * 2,
    ...                       "mean": [1.0, 2, 1, 3], "ci_low": [0.5, 1, 0.5, 2],
    ...                       "ci_high": [1.5, 3, 1.5, 4]})
    >>> diff = pd.DataFrame({"day": [0, 1], "mean": [0.0, 1], "ci_low": [0.0, 0.2],
    ...                      "ci_high": [0.0, 1.8]})
    >>> [ax.get_title() for ax in ab_figure(bands, diff, "members").axes]
    ['members: mean and 95% band', 'Difference B - A (paired, 95% band)']
    """
    fig = Figure(figsize=(width, width * 0.33), layout="constrained")
    left, right = fig.subplots(1, 2)
    for colour, (name, part) in zip(AB_COLOURS, bands.groupby("scenario", sort=True)):
        left.plot(part["day"], part["mean"], color=colour, label=name)
        left.fill_between(part["day"], part["ci_low"], part["ci_high"], color=colour,
                          alpha=0.25, linewidth=0)
    left.legend(loc="upper left", fontsize=8)
    left.set_title(f"{metric}: mean and 95% band", fontsize=10)
    right.plot(diff["day"], diff["mean"], color="#636363")
    right.fill_between(diff["day"], diff["ci_low"], diff["ci_high"], color="#636363",
                       alpha=0.25, linewidth=0)
    right.axhline(0, color="black", linewidth=0.8)
    right.set_title("Difference B - A (paired, 95% band)", fontsize=10)
    for ax in (left, right):
        ax.set_xlabel("day", fontsize=8)
        ax.tick_params(labelsize=7)
    return fig
