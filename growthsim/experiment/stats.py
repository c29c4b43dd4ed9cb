"""Confidence intervals over replications, computed from plain DataFrames.

Both functions take a long table with one row per replication and group
(e.g. the output of :meth:`Replications.yearly`: columns ``rep``, ``year``
and one column per metric), so they can be checked on synthetic data without
running a simulation.
"""

import numpy as np
import pandas as pd
from scipy import stats

from growthsim.experiment.executors import ExperimentError

_NOT_METRICS = {"rep", "scenario", "days"}


def summarize(frame, metrics=None, by="year", level=0.95):
    """Mean, standard deviation and Student-t confidence interval per group and metric.

    The rows of each group are taken as independent replications; the
    interval is ``mean ± t_{(1+level)/2, n-1} * std / sqrt(n)`` with the
    sample standard deviation (ddof = 1). NaN values are left out (``n``
    counts the rest); with ``n < 2`` the interval is NaN.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per replication and group.
    metrics : sequence of str, optional
        Columns to summarise; default every numeric column except ``by``,
        ``rep``, ``scenario`` and ``days``.
    by : str or sequence of str or None
        Grouping columns (None: all rows form one group).
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    pandas.DataFrame
        Index ``(*by, "metric")``; columns ``mean``, ``std``, ``ci_low``,
        ``ci_high``, ``n``.

    Examples
    --------
    >>> df = pd.DataFrame({"rep": [0, 1, 2, 0, 1, 2], "year": [1, 1, 1, 2, 2, 2],
    ...                    "members": [10.0, 12.0, 14.0, 20.0, 20.0, 20.0]})
    >>> s = summarize(df)
    >>> s.loc[(1, "members")].round(3).tolist()
    [12.0, 2.0, 7.032, 16.968, 3.0]
    >>> s.loc[(2, "members"), ["ci_low", "ci_high"]].tolist()
    [20.0, 20.0]
    """
    by = [] if by is None else [by] if isinstance(by, str) else list(by)
    _check_level(level)
    metrics = _metrics(frame, metrics, exclude=set(by))
    if by:
        missing = [c for c in by if c not in frame.columns]
        if missing:
            raise ExperimentError(f"no column {missing[0]!r} to group by; "
                                  f"columns: {', '.join(map(str, frame.columns))}")
        g = frame.groupby(by, sort=True)[metrics]
        mean, std, n = g.mean(), g.std(ddof=1), g.count()
        out = pd.DataFrame({"mean": mean.stack(), "std": std.stack(), "n": n.stack()})
        out.index.names = [*by, "metric"]
    else:
        values = frame[metrics].astype(float)
        out = pd.DataFrame({"mean": values.mean(), "std": values.std(ddof=1),
                            "n": values.count()})
        out.index.name = "metric"
    half = _half_width(out["std"].to_numpy(), out["n"].to_numpy(), level)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    out["n"] = out["n"].astype(np.int64)
    return out[["mean", "std", "ci_low", "ci_high", "n"]]


def paired_differences(frame, baseline, *, group="scenario", pair="rep", by="year",
                       metrics=None, level=0.95):
    """Differences from a baseline group, paired by replication, with paired-t intervals.

    For every group other than ``baseline`` and every metric, the difference
    ``value - baseline value`` is taken within each pair (same ``pair`` and
    ``by`` values: the same replication seed and year) and summarised as in
    :func:`summarize`. Pairing removes the variation the groups share (common
    random numbers), so the interval is much narrower than comparing two
    independent means. ``p_value`` is the two-sided paired t test of a zero
    mean difference.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per group, pair and ``by`` value.
    baseline : str
        The reference value of ``group``.
    group, pair : str
        Column naming the compared groups (scenarios) and the pairing column.
    by : str or sequence of str or None
        Grouping columns within which differences are summarised.
    metrics : sequence of str, optional
        Default: every numeric column except the key columns.
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    pandas.DataFrame
        Index ``(group, *by, "metric")``; columns ``mean``, ``std``, ``ci_low``,
        ``ci_high``, ``n``, ``p_value``.

    Examples
    --------
    >>> df = pd.DataFrame({"scenario": ["a"] * 3 + ["b"] * 3, "rep": [0, 1, 2] * 2,
    ...                    "year": [1] * 6, "joins": [100, 200, 300, 110, 212, 308]})
    >>> d = paired_differences(df, "a")
    >>> d.loc[("b", 1, "joins"), ["mean", "n"]].tolist()
    [10.0, 3.0]
    >>> bool(d.loc[("b", 1, "joins"), "ci_low"] > 0)
    True
    """
    by = [] if by is None else [by] if isinstance(by, str) else list(by)
    for col in (group, pair, *by):
        if col not in frame.columns:
            raise ExperimentError(f"no column {col!r}; columns: "
                                  f"{', '.join(map(str, frame.columns))}")
    names = list(pd.unique(frame[group]))
    if baseline not in names:
        raise ExperimentError(f"unknown baseline {baseline!r}; valid: "
                              f"{', '.join(repr(x) for x in names)}")
    metrics = _metrics(frame, metrics, exclude={group, pair, *by})
    keys = [pair, *by]
    tables = {name: _keyed(part, keys, metrics, name)
              for name, part in frame.groupby(group, sort=False)}
    parts = {}
    for name in names:
        if name == baseline:
            continue
        diff = tables[name].sub(tables[baseline]).dropna(how="all").reset_index()
        s = summarize(diff, metrics, by=by or None, level=level)
        s["p_value"] = _p_value(s["mean"].to_numpy(), s["std"].to_numpy(), s["n"].to_numpy())
        parts[name] = s
    if not parts:
        cols = ["mean", "std", "ci_low", "ci_high", "n", "p_value"]
        return pd.DataFrame(columns=cols, index=pd.MultiIndex.from_arrays(
            [[]] * (len(by) + 2), names=[group, *by, "metric"]))
    out = pd.concat(parts, names=[group])
    return out


def _keyed(part, keys, metrics, name):
    table = part.set_index(keys)[metrics].astype(float)
    if not table.index.is_unique:
        raise ExperimentError(f"{name!r} has more than one row per {', '.join(keys)}")
    return table


def _metrics(frame, metrics, exclude):
    if metrics is None:
        numeric = frame.select_dtypes(include=["number", "bool"]).columns
        return [c for c in numeric if c not in exclude and c not in _NOT_METRICS]
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in metrics if m not in frame.columns]
    if unknown:
        raise ExperimentError(f"unknown metric {unknown[0]!r}; available: "
                              f"{', '.join(c for c in frame.columns if c not in exclude)}")
    return metrics


def _check_level(level):
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ExperimentError(f"level must be a number in (0, 1); got {level!r}")


def _half_width(std, n, level):
    n = n.astype(float)
    ok = n >= 2
    q = np.full(n.shape, np.nan)
    q[ok] = stats.t.ppf(0.5 + level / 2, n[ok] - 1)
    return np.where(ok, q * std / np.sqrt(np.where(ok, n, 1.0)), np.nan)


def _p_value(mean, std, n):
    n = n.astype(float)
    p = np.full(mean.shape, np.nan)
    ok = (n >= 2) & np.isfinite(mean) & np.isfinite(std)
    se = np.where(ok, std, 1.0) / np.sqrt(np.where(ok, n, 1.0))
    exact = ok & (se == 0)
    p[exact] = np.where(mean[exact] == 0, 1.0, 0.0)
    tested = ok & (se > 0)
    p[tested] = 2 * stats.t.sf(np.abs(mean[tested] / se[tested]), n[tested] - 1)
    return p
