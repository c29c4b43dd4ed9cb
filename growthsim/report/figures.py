"""Figures of replicated runs: daily metrics with interval bands across replications.

Every function takes the tidy *daily* table (columns ``scenario``,
``replication``, ``seed``, ``day`` and one column per metric of
:attr:`GrowthModel.metrics`; ``rep`` is accepted for ``replication``, and a
table without ``scenario`` is one unnamed scenario), draws on ``ax`` (a new
figure's axes when None) and returns the Axes.

A band is the mean over replications of each day's value, with the Student-t
interval of that mean, ``mean ± t_{(1+level)/2, n-1} * sd / sqrt(n)``, shaded
around it. With a single replication there is no interval and no band: only
the line. Horizons over one year are drawn in years (``day / 365.25``, the
year of :func:`growthsim.metrics.yearly`), shorter ones in days.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter
from scipy import stats

from growthsim.report.attribution import COLORS

#: Census columns of current members by the channel of their latest join, in stacking order.
CHANNEL_COLUMNS = ("members_seed", "members_organic", "members_paid", "members_wom",
                   "members_koc")

#: LTV/CAC of 3 is the usual rule of thumb for a healthy acquisition spend.
LTV_CAC_HEALTHY = 3.0

_DAYS_PER_YEAR = 365.25


def _axes(ax):
    return plt.subplots(figsize=(7, 4))[1] if ax is None else ax


def _tidy(daily, *columns):
    """``daily`` with ``scenario`` and ``replication`` columns, checked for ``columns``."""
    if not isinstance(daily, pd.DataFrame):
        raise TypeError(f"daily must be a pandas DataFrame; got {type(daily).__name__}")
    if daily.empty:
        raise ValueError("daily has no rows")
    if "replication" not in daily.columns and "rep" in daily.columns:
        daily = daily.rename(columns={"rep": "replication"})
    if "scenario" not in daily.columns:
        daily = daily.assign(scenario="")
    missing = [c for c in ("day", *columns) if c not in daily.columns]
    if missing:
        raise ValueError(f"daily has no column {missing[0]!r}")
    return daily


def scenarios(daily):
    """Scenario names in order of first appearance.

    Examples
    --------
    >>> scenarios(pd.DataFrame({"scenario": ["b", "a", "b"], "day": [0, 0, 1]}))
    ['b', 'a']
    """
    if "scenario" not in daily.columns:
        return [""]
    return [str(s) for s in pd.unique(daily["scenario"])]


def _one(daily, scenario):
    """The rows of one scenario (default the first) and its name."""
    names = scenarios(daily)
    if scenario is None:
        scenario = names[0]
    if scenario not in names:
        raise ValueError(f"no scenario {scenario!r} in the table; scenarios: "
                         f"{', '.join(map(repr, names))}")
    return daily[daily["scenario"] == scenario], scenario


def intervals(daily, metric, *, level=0.95, scale=1.0, window=None):
    """Per scenario and day: mean over replications and its t interval.

    Parameters
    ----------
    daily : pandas.DataFrame
        Tidy daily table (see the module docstring).
    metric : str
        Column to summarise; NaN values are left out.
    level : float
        Confidence level in (0, 1).
    scale : float
        Factor applied to the values (100 for percentages).
    window : int, optional
        Replace each run's values by their trailing mean over ``window`` days
        (fewer at the start) before averaging: smooths a weekly rhythm.

    Returns
    -------
    pandas.DataFrame
        Index ``(scenario, day)`` (scenarios in order of appearance, days
        sorted); columns ``mean``, ``ci_low``, ``ci_high`` (NaN where fewer
        than two replications have a value), ``n``.

    Examples
    --------
    >>> d = pd.DataFrame({"replication": [0, 1, 2], "day": 0, "members": [10, 12, 14]})
    >>> intervals(d, "members").round(3).values.tolist()
    [[12.0, 7.032, 16.968, 3.0]]
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    d = _tidy(daily, metric)
    values = pd.to_numeric(d[metric], errors="coerce").astype(float) * scale
    if window is not None:
        values = _trailing_mean(d, values, window)
    g = values.groupby([d["scenario"].astype(str), d["day"]], sort=True)
    s = g.agg(["mean", "std", "count"])
    n = s["count"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf((1 + level) / 2, np.where(n >= 2, n - 1, np.nan))
        half = t * s["std"].to_numpy() / np.sqrt(n)
    out = pd.DataFrame({"mean": s["mean"], "ci_low": s["mean"] - half,
                        "ci_high": s["mean"] + half, "n": n.astype(float)}, index=s.index)
    out.index.names = ["scenario", "day"]
    return out.reindex(scenarios(d), level="scenario")


def _trailing_mean(d, values, window):
    """Each run's trailing ``window``-day mean (a run: one scenario and replication)."""
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive number of days; got {window!r}")
    keys = ["scenario", "replication"] if "replication" in d.columns else ["scenario"]
    runs = d[[*keys, "day"]].assign(_v=values.to_numpy()).reset_index(drop=True)
    runs = runs.sort_values([*keys, "day"], kind="stable")
    rolled = runs.groupby(keys, sort=False)["_v"].rolling(int(window), min_periods=1).mean()
    rolled.index = rolled.index.get_level_values(-1)      # row positions in d
    return pd.Series(rolled.sort_index().to_numpy(), index=d.index)


def _time(days, horizon):
    """x values and axis label: years for horizons over a year, else days."""
    days = np.asarray(days, dtype=float)
    if horizon > 365:
        return days / _DAYS_PER_YEAR, "years"
    return days, "day"


def band(daily, metric, *, ax=None, level=0.95, label=None, color=None, scale=1.0,
         window=None):
    """Mean line and shaded t interval across replications of a daily metric, per scenario.

    Parameters
    ----------
    daily : pandas.DataFrame
        Tidy daily table, one or several scenarios.
    metric : str
    ax : matplotlib.axes.Axes, optional
    level : float
        Confidence level of the band.
    label : str, optional
        Legend label (default the scenario name, or ``metric`` for an
        unnamed scenario); with several scenarios, ``"label: scenario"``.
    color : color, optional
        Default the next color of the axes' cycle, one per scenario.
    scale : float
        Factor applied to the values (100 for percentages).
    window : int, optional
        Trailing mean of each run over ``window`` days first (see :func:`intervals`).

    Returns
    -------
    matplotlib.axes.Axes
        One line per scenario, and one shaded band (a PolyCollection) per
        scenario that has at least two replications; a single replication
        draws no band.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> d = pd.DataFrame({"scenario": "a", "replication": [0, 0, 1, 1], "day": [0, 1, 0, 1],
    ...                   "members": [10, 12, 11, 15]})
    >>> ax = band(d, "members")
    >>> len(ax.lines), len(ax.collections)
    (1, 1)
    >>> len(band(d[d["replication"] == 0], "members").collections)
    0
    """
    ax = _axes(ax)
    iv = intervals(daily, metric, level=level, scale=scale, window=window)
    names = list(dict.fromkeys(iv.index.get_level_values("scenario")))
    horizon = int(iv.index.get_level_values("day").max()) + 1
    for name in names:
        part = iv.xs(name, level="scenario")
        x, xlabel = _time(part.index.to_numpy(), horizon)
        text = label if label is not None else (name or metric)
        if label is not None and len(names) > 1:
            text = f"{label}: {name}"
        (line,) = ax.plot(x, part["mean"].to_numpy(), color=color, lw=1.5, label=text)
        if np.isfinite(part["ci_low"].to_numpy()).any():
            ax.fill_between(x, part["ci_low"].to_numpy(), part["ci_high"].to_numpy(),
                            color=line.get_color(), alpha=0.25, lw=0)
    ax.set_xlabel(xlabel)
    if not ax.get_ylabel():
        ax.set_ylabel(metric)
    if len(names) > 1:
        ax.legend(fontsize="small")
    return ax


def _stack(ax, x, series, colors, labels):
    """Stacked areas (fill_between, one PolyCollection per layer); returns the top."""
    bottom = np.zeros(len(x))
    for y, c, lab in zip(series, colors, labels):
        top = bottom + y
        ax.fill_between(x, bottom, top, color=c, alpha=0.85, lw=0, label=lab)
        bottom = top
    return bottom


def plot_members_by_channel(daily, *, ax=None, scenario=None, level=0.95):
    """Members by the channel of their latest join (stacked), with the band of all members.

    Parameters
    ----------
    daily : pandas.DataFrame
        Tidy daily table with the census columns :data:`CHANNEL_COLUMNS`.
    ax : matplotlib.axes.Axes, optional
    scenario : str, optional
        The scenario to draw (default the first).
    level : float
        Confidence level of the members band.

    Returns
    -------
    matplotlib.axes.Axes
        One stacked area per channel that ever has members (means over
        replications: they sum to the mean of ``members``), then the line of
        ``members`` with its band (no band with a single replication).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> d = pd.DataFrame({"replication": [0, 0, 1, 1], "day": [0, 1, 0, 1],
    ...                   "members_seed": 5, "members_organic": [1, 2, 1, 3],
    ...                   "members_paid": 0, "members_wom": [0, 1, 0, 2], "members_koc": 0})
    >>> d["members"] = d[list(CHANNEL_COLUMNS)].sum(axis=1)
    >>> len(plot_members_by_channel(d).collections)   # seed, organic, wom, members band
    4
    """
    ax = _axes(ax)
    d, scenario = _one(_tidy(daily, "members", *CHANNEL_COLUMNS), scenario)
    means = d.groupby("day", sort=True)[list(CHANNEL_COLUMNS)].mean()
    used = [c for c in CHANNEL_COLUMNS if means[c].max() > 0]
    x, _ = _time(means.index.to_numpy(), int(means.index.max()) + 1)
    short = [c.removeprefix("members_") for c in used]
    _stack(ax, x, [means[c].to_numpy() for c in used], [COLORS[s] for s in short], short)
    band(d, "members", ax=ax, level=level, label="all members", color="black")
    ax.set_ylabel("members")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Members by acquisition channel{_suffix(scenario)}")
    ax.legend(fontsize="small", loc="upper left")
    return ax


def _suffix(scenario):
    return f": {scenario}" if scenario else ""


def plot_dau_mau(daily, *, ax=None, level=0.95, window=7):
    """DAU/MAU (%) per scenario with bands across replications.

    The content cadence gives activity a weekly rhythm; by default each run
    is smoothed by its trailing 7-day mean (the first days average fewer).

    Parameters
    ----------
    daily : pandas.DataFrame
        Tidy daily table with ``dau_mau``.
    ax : matplotlib.axes.Axes, optional
    level : float
    window : int or None
        Trailing mean over this many days (None: the raw daily values).

    Returns
    -------
    matplotlib.axes.Axes
        A line per scenario and a band per scenario with >= 2 replications.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> d = pd.DataFrame({"scenario": ["a", "a", "b", "b"], "replication": [0, 1, 0, 1],
    ...                   "day": 0, "dau_mau": [0.2, 0.3, 0.4, 0.5]})
    >>> ax = plot_dau_mau(d)
    >>> len(ax.lines), len(ax.collections), float(ax.lines[1].get_ydata()[0])
    (2, 2, 45.0)
    """
    ax = _axes(ax)
    ax.set_ylabel("DAU/MAU (%)" + (f", {window}-day mean" if window else ""))
    band(daily, "dau_mau", ax=ax, level=level, scale=100.0, window=window)
    ax.set_ylim(bottom=0)
    ax.set_title("Stickiness: DAU/MAU")
    return ax


def plot_ltv_cac(daily, *, ax=None, level=0.95):
    """LTV/CAC per scenario with bands, and a dashed line at 3.

    An LTV/CAC of 3 is a common rule of thumb for healthy acquisition spend
    (a member brings three times what they cost); it is not a law. Both are
    cumulative to date (see :data:`growthsim.metrics.COLUMNS`), so early days
    are dominated by the seed members' cost.

    Parameters
    ----------
    daily : pandas.DataFrame
        Tidy daily table with ``ltv_cac``.
    ax : matplotlib.axes.Axes, optional
    level : float

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> d = pd.DataFrame({"replication": [0, 1, 0, 1], "day": [0, 0, 1, 1],
    ...                   "ltv_cac": [1.0, 1.2, 2.0, 2.6]})
    >>> ax = plot_ltv_cac(d)
    >>> [float(y) for y in ax.lines[-1].get_ydata()]
    [3.0, 3.0]
    """
    ax = _axes(ax)
    ax.set_ylabel("LTV / CAC")
    band(daily, "ltv_cac", ax=ax, level=level)
    ax.axhline(LTV_CAC_HEALTHY, color="grey", ls="--", lw=1,
               label="3: rule-of-thumb health threshold")
    ax.set_ylim(bottom=0)
    ax.set_title("LTV / CAC (cumulative)")
    ax.legend(fontsize="small")
    return ax


def tier_columns(daily):
    """The ``tier_k`` columns of a table, in tier order.

    Examples
    --------
    >>> tier_columns(pd.DataFrame(columns=["day", "tier_10", "tier_2", "tier_0"]))
    ['tier_0', 'tier_2', 'tier_10']
    """
    tiers = [c for c in daily.columns if c.startswith("tier_") and c[5:].isdigit()]
    return sorted(tiers, key=lambda c: int(c[5:]))


def plot_tiers(daily, *, ax=None, scenario=None):
    """Share of members at each ladder tier over time (stacked), mean across replications.

    Each replication's shares (tier count / members) are averaged over the
    replications that have members that day. Only tiers that ever have
    members are drawn.

    Parameters
    ----------
    daily : pandas.DataFrame
        Tidy daily table with ``members`` and ``tier_*`` columns.
    ax : matplotlib.axes.Axes, optional
    scenario : str, optional
        The scenario to draw (default the first).

    Returns
    -------
    matplotlib.axes.Axes
        One stacked area per tier drawn (in % of members).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> d = pd.DataFrame({"day": [0, 1], "members": [10, 10], "tier_0": [10, 6],
    ...                   "tier_1": [0, 4], "tier_2": 0})
    >>> len(plot_tiers(d).collections)
    2
    """
    ax = _axes(ax)
    d, scenario = _one(_tidy(daily, "members"), scenario)
    tiers = [t for t in tier_columns(d) if d[t].max() > 0]
    if not tiers:
        raise ValueError("daily has no tier_* column with members")
    members = d["members"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = d[tiers].to_numpy(dtype=float) / members[:, None] * 100
    shares = pd.DataFrame(shares, columns=tiers).groupby(d["day"].to_numpy()).mean()
    x, xlabel = _time(shares.index.to_numpy(), int(shares.index.max()) + 1)
    top = max(int(t[5:]) for t in tiers)
    cmap = plt.get_cmap("viridis")
    _stack(ax, x, [np.nan_to_num(shares[t].to_numpy()) for t in tiers],
           [cmap(int(t[5:]) / max(1, top)) for t in tiers], [f"tier {t[5:]}" for t in tiers])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share of members (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"Members by reward tier{_suffix(scenario)}")
    ax.legend(fontsize="small", loc="lower left")
    return ax


def retention_matrix(cohorts, *, scenario=None, max_age=None):
    """Cohort x age retention, averaged over replications weighted by cohort size.

    Parameters
    ----------
    cohorts : pandas.DataFrame
        Columns ``cohort``, ``age``, ``size``, ``retained`` (as
        :func:`growthsim.metrics.cohort_matrix`), plus ``scenario`` and
        ``replication`` when there are several.
    scenario : str, optional
        Default the first scenario.
    max_age : int, optional
        Leave out older ages.

    Returns
    -------
    pandas.DataFrame
        Rows ``cohort`` 0..last, columns ``age`` 0..last; NaN where no
        replication observed the cohort at that age.

    Examples
    --------
    >>> c = pd.DataFrame({"replication": [0, 1, 0], "cohort": [0, 0, 1], "age": [1, 1, 0],
    ...                   "size": [10, 30, 5], "retained": [0.5, 0.9, 1.0]})
    >>> retention_matrix(c).values.tolist()
    [[nan, 0.8], [1.0, nan]]
    """
    c = _tidy_cohorts(cohorts)
    c, _ = _one(c, scenario)
    if max_age is not None:
        c = c[c["age"] <= max_age]
    if c.empty:
        raise ValueError("no cohort observations to draw")
    w = c["size"].astype(float)
    kept = (c["retained"].astype(float) * w).groupby([c["cohort"], c["age"]]).sum()
    share = kept / w.groupby([c["cohort"], c["age"]]).sum()
    m = share.unstack("age")
    ages = range(0, int(c["age"].max()) + 1)
    return m.reindex(index=range(0, int(c["cohort"].max()) + 1), columns=ages)


def _tidy_cohorts(cohorts):
    if not isinstance(cohorts, pd.DataFrame):
        raise TypeError(f"cohorts must be a pandas DataFrame; got {type(cohorts).__name__}")
    missing = [c for c in ("cohort", "age", "size", "retained") if c not in cohorts.columns]
    if missing:
        raise ValueError(f"cohorts has no column {missing[0]!r}")
    return cohorts if "scenario" in cohorts.columns else cohorts.assign(scenario="")


def plot_retention(cohorts, *, ax=None, scenario=None, max_age=None):
    """Heatmap of retention by joining month (rows) and months since joining (columns).

    Values are :func:`retention_matrix`: shares still a member, averaged over
    replications weighted by cohort size; blank cells were never observed
    (the cohort was too young when the run ended).

    Parameters
    ----------
    cohorts : pandas.DataFrame
        Tidy cohorts table (``scenario, replication, seed, cohort, age, size, retained``).
    ax : matplotlib.axes.Axes, optional
    scenario : str, optional
        Default the first.
    max_age : int, optional
        Leave out older ages.

    Returns
    -------
    matplotlib.axes.Axes
        The heatmap is ``ax.images[0]`` (values in [0, 1]), with a colour bar.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> c = pd.DataFrame({"cohort": [0, 0, 1], "age": [0, 1, 0], "size": [10, 10, 4],
    ...                   "retained": [1.0, 0.7, 1.0]})
    >>> ax = plot_retention(c)
    >>> ax.images[0].get_array().tolist()
    [[1.0, 0.7], [1.0, None]]
    """
    ax = _axes(ax)
    c = _tidy_cohorts(cohorts)
    _, scenario = _one(c, scenario)
    m = retention_matrix(c, scenario=scenario, max_age=max_age)
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")
    im = ax.imshow(np.ma.masked_invalid(m.to_numpy(dtype=float)), cmap=cmap, vmin=0, vmax=1,
                   aspect="auto", origin="upper", interpolation="nearest")
    ax.figure.colorbar(im, ax=ax, label="still a member", format=PercentFormatter(xmax=1))
    ax.set_xlabel("months since joining")
    ax.set_ylabel("joining month (cohort)")
    ax.set_title(f"Retention by cohort{_suffix(scenario)}")
    return ax


def plot_difference(daily, metric, base, other, *, ax=None, level=0.95, scale=1.0,
                    window=None):
    """Paired difference ``other - base`` of a daily metric, with its t band and a zero line.

    Replications are paired on ``replication`` (days on ``day``): under common
    random numbers (the same seed per replication) the pair shares its graph
    and random draws, so the difference is measured with far less noise than
    two separate bands suggest. Pairs missing either side are left out; a
    single pair draws no band.

    Parameters
    ----------
    daily : pandas.DataFrame
        Tidy daily table holding both scenarios.
    metric : str
    base, other : str
        Scenario names.
    ax : matplotlib.axes.Axes, optional
    level : float
    scale : float
        Factor applied to the difference (100: percentage points of a share).
    window : int, optional
        Trailing mean of each paired difference over ``window`` days.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> d = pd.DataFrame({"scenario": ["a"] * 2 + ["b"] * 2, "replication": [0, 1, 0, 1],
    ...                   "day": 0, "members": [10, 20, 13, 24]})
    >>> ax = plot_difference(d, "members", "a", "b")
    >>> float(ax.lines[-1].get_ydata()[0]), len(ax.collections)
    (3.5, 1)
    """
    d = _tidy(daily, metric, "replication")
    _one(d, base)
    _one(d, other)
    keys = ["replication", "day"]
    pair = d.loc[d["scenario"] == other, [*keys, metric]].merge(
        d.loc[d["scenario"] == base, [*keys, metric]], on=keys, suffixes=("", "_base"))
    if pair.empty:
        raise ValueError(f"no replication of {other!r} pairs with one of {base!r}")
    diff = pair[keys].assign(scenario=f"{other} - {base}",
                             **{metric: pair[metric] - pair[f"{metric}_base"]})
    ax = _axes(ax)
    ax.axhline(0, color="black", lw=0.8)
    if not ax.get_ylabel():
        ax.set_ylabel(f"difference in {metric}")
    band(diff, metric, ax=ax, level=level, scale=scale, window=window)
    ax.set_title(f"{metric}: {other} - {base} (paired)")
    ax.legend(fontsize="small")
    return ax
