"""Targets declared in a scenario (``[[targets]]``), checked against a run's yearly figures.

A target names a yearly figure (a column of :func:`growthsim.metrics.yearly`),
a year, a comparison and a threshold, e.g. "at least 100,000 members at the
end of year 1". With ``relative_to_year = k`` the figure is divided by its own
value in year k first ("revenue per member +80% over year 1" is
``metric = "revenue_per_member"``, ``year = 5``, ``value = 1.8``,
``relative_to_year = 1``). Over replications, :func:`success_rates` says how
often each target was met, with a confidence interval.
"""

import math

import numpy as np
import pandas as pd

OPS = {">=": np.greater_equal, "<=": np.less_equal}


def evaluate(scenario, yearly):
    """Check every target of ``scenario`` against one run's yearly table.

    Parameters
    ----------
    scenario : Scenario
        Supplies ``scenario.targets``.
    yearly : pandas.DataFrame
        :func:`growthsim.metrics.yearly` of one run (index or column ``year``).

    Returns
    -------
    pandas.DataFrame
        One row per target: ``target, metric, year, op, value, actual, met``.
        ``actual`` is NaN and ``met`` False when the run did not reach the year.

    Examples
    --------
    >>> import pandas as pd
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"targets": [
    ...     {"name": "members", "metric": "members_end", "year": 1, "value": 100}]})
    >>> yearly = pd.DataFrame({"year": [1], "members_end": [150]})
    >>> evaluate(sc, yearly)[["target", "actual", "met"]]
        target  actual   met
    0  members   150.0  True
    """
    table = yearly.set_index("year") if "year" in yearly.columns else yearly
    rows = []
    for t in scenario.targets:
        actual = _figure(table, t.metric, t.year)
        if t.relative_to_year:
            base = _figure(table, t.metric, t.relative_to_year)
            actual = actual / base if base and not math.isnan(base) else math.nan
        met = bool(not math.isnan(actual) and OPS[t.op](actual, t.value))
        rows.append(dict(target=t.name, metric=t.metric, year=t.year, op=t.op, value=t.value,
                         relative_to_year=t.relative_to_year, actual=actual, met=met,
                         source=t.source))
    return pd.DataFrame(rows, columns=["target", "metric", "year", "op", "value",
                                       "relative_to_year", "actual", "met", "source"])


def _figure(table, metric, year):
    if year not in table.index:
        return math.nan
    if metric not in table.columns:
        # Tier columns exist only for the tiers a ladder has: no such tier holds nobody.
        if metric.startswith("tier_"):
            return 0.0
        raise KeyError(f"yearly table has no column {metric!r}")
    return float(table.loc[year, metric])


def success_rates(scenario, yearly_by_rep, level=0.95):
    """How often each target was met over replications.

    Parameters
    ----------
    scenario : Scenario
    yearly_by_rep : pandas.DataFrame
        Yearly tables of several runs stacked, with a ``rep`` column.
    level : float
        Confidence level of the Clopper-Pearson interval of the success rate.

    Returns
    -------
    pandas.DataFrame
        One row per target: the target's terms, ``runs``, ``met`` (count),
        ``rate``, ``ci_low``, ``ci_high`` and the ``actual`` figure's mean and
        5th / 95th percentiles across runs.

    Examples
    --------
    >>> import pandas as pd
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"targets": [
    ...     {"name": "members", "metric": "members_end", "year": 1, "value": 100}]})
    >>> yearly = pd.DataFrame({"rep": [0, 1, 2, 3], "year": [1, 1, 1, 1],
    ...                        "members_end": [150, 90, 120, 101]})
    >>> success_rates(sc, yearly)[["target", "runs", "met", "rate"]]
        target  runs  met  rate
    0  members     4    3  0.75
    """
    from scipy.stats import binomtest

    parts = [evaluate(scenario, part.drop(columns="rep")).assign(rep=rep)
             for rep, part in yearly_by_rep.groupby("rep", sort=True)]
    if not parts:
        raise ValueError("no runs to evaluate: yearly_by_rep is empty")
    each = pd.concat(parts, ignore_index=True)
    rows = []
    for k, t in enumerate(scenario.targets):
        mine = each.iloc[k::len(scenario.targets)]
        n, met = len(mine), int(mine["met"].sum())
        ci = binomtest(met, n).proportion_ci(confidence_level=level, method="exact")
        actual = mine["actual"].to_numpy(dtype=float)
        finite = actual[~np.isnan(actual)]
        rows.append(dict(target=t.name, metric=t.metric, year=t.year, op=t.op, value=t.value,
                         relative_to_year=t.relative_to_year, runs=n, met=met,
                         rate=met / n, ci_low=ci.low, ci_high=ci.high,
                         actual_mean=finite.mean() if len(finite) else math.nan,
                         actual_p05=np.percentile(finite, 5) if len(finite) else math.nan,
                         actual_p95=np.percentile(finite, 95) if len(finite) else math.nan,
                         source=t.source))
    return pd.DataFrame(rows)
