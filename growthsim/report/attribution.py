"""Plots of the attribution tables (:mod:`growthsim.attribution`).

Each function takes a table, draws on ``ax`` (a new figure's axes when None) and
returns the Axes.
"""

import matplotlib.pyplot as plt
import numpy as np

from growthsim.attribution import CHANNELS, ROOTS

COLORS = {"seed": "#7f7f7f", "organic": "#2ca02c", "paid": "#d62728", "wom": "#1f77b4",
          "koc": "#ff7f0e", "koc_signed": "#9467bd", "unknown": "#c7c7c7"}


def _axes(ax):
    return plt.subplots(figsize=(6, 4))[1] if ax is None else ax


def plot_channels(table, ax=None):
    """Stacked bars of joins per period by acquisition channel.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`growthsim.attribution.by_channel` (one row per period).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One bar per period and channel (channels with no joins are not drawn).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.DataFrame({"seed": [10, 0], "organic": [5, 6], "paid": [20, 30], "wom": [8, 12],
    ...                   "koc": [0, 0], "koc_signed": [0, 0]},
    ...                  index=pd.RangeIndex(1, 3, name="period"))
    >>> len(plot_channels(t).patches)
    8
    """
    ax = _axes(ax)
    x = np.arange(len(table))
    bottom = np.zeros(len(table))
    for c in CHANNELS:
        y = table[c].to_numpy(dtype=float)
        if y.sum() > 0:
            ax.bar(x, y, bottom=bottom, color=COLORS[c], label=c)
            bottom += y
    ax.set_xticks(x, [str(p) for p in table.index])
    ax.set_xlabel(table.index.name or "period")
    ax.set_ylabel("joins")
    ax.set_ylim(0, 1.3 * max(1.0, bottom.max()))     # room for the legend
    ax.set_title("Joins by acquisition channel")
    ax.legend(fontsize="small")
    return ax


def plot_generations(table, ax=None, log=None):
    """Bars of people by referral generation and root channel of their chain.

    One bar per generation and root channel, side by side (stacking would distort
    a log scale).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`growthsim.attribution.by_generation`.
    ax : matplotlib.axes.Axes, optional
    log : bool, optional
        Log y axis; by default when the generations span more than a factor 100.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.DataFrame({"koc": [2, 30, 5], "seed": [50, 40, 1], "organic": [0, 0, 0],
    ...                   "paid": [900, 3, 0], "unknown": [0, 1, 0]})
    >>> ax = plot_generations(t)
    >>> len(ax.patches), ax.get_yscale()
    (12, 'log')
    """
    ax = _axes(ax)
    x = np.arange(len(table))
    roots = [c for c in ROOTS if table[c].sum() > 0]
    width = 0.8 / max(1, len(roots))
    for k, c in enumerate(roots):
        ax.bar(x - 0.4 + (k + 0.5) * width, table[c].to_numpy(dtype=float), width=width,
               color=COLORS[c], label=f"root: {c}")
    counts = table[roots].to_numpy(dtype=float)
    counts = counts[counts > 0]
    if log is None:
        log = counts.size > 0 and counts.max() > 100 * counts.min()
    if log:
        ax.set_yscale("log")
        ax.set_ylim(bottom=0.5)
    ax.set_xticks(x, [str(g) for g in table.index])
    ax.set_xlabel("referral generation")
    ax.set_ylabel("people")
    ax.set_title("People by generation and root of their chain")
    ax.legend(fontsize="small")
    return ax


def plot_referred_vs_other(table, ax=None):
    """Referred / other ratios in the model against the published ones.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`growthsim.attribution.referred_vs_other` (rows ``ratio`` and
        ``published``).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Two bars (model, published) for value and retention at the horizon, and
        one (model) for the spending rate and the churn hazard; a line marks 1.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> cols = ["value_h", "retention_h", "revenue_per_year", "hazard"]
    >>> t = pd.DataFrame([[1.0, 0.98, 1.02, 1.03], [1.16, 1.18, None, None]],
    ...                  index=["ratio", "published"], columns=cols)
    >>> len(plot_referred_vs_other(t).patches)
    6
    """
    ax = _axes(ax)
    names = {"value_h": "value at horizon", "retention_h": "retention at horizon",
             "revenue_per_year": "revenue per member-year", "hazard": "churn hazard"}
    x = np.arange(len(names))
    model = table.loc["ratio", list(names)].to_numpy(dtype=float)
    published = table.loc["published", list(names)].to_numpy(dtype=float)
    has = np.isfinite(published)
    bars = ax.bar(x - 0.2, model, width=0.4, color="#1f77b4", label="model")
    ax.bar_label(bars, fmt="%.2f", fontsize="small")
    bars = ax.bar(x[has] + 0.2, published[has], width=0.4, color="#bcbd22",
                  label="Schmitt, Skiera & Van den Bulte 2011")
    ax.bar_label(bars, fmt="%.2f", fontsize="small")
    ax.set_ylim(0, 1.25 * np.nanmax(np.r_[model, published, 1.0]))
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(x, list(names.values()), rotation=15)
    ax.set_ylabel("referred / other")
    ax.set_title("Referred vs paid and organic members")
    ax.legend(fontsize="small")
    return ax
