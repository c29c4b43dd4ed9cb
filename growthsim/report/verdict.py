"""Plain-language verdicts on paired differences between scenarios.

A difference ``other - base`` with a confidence interval is *clear* when the
interval excludes zero; whether it is a gain or a loss depends on the metric
(:data:`HIGHER_IS_BETTER`: more members is good, more churn or cost is bad).
This module needs only pandas, so command-line tables can use it without
loading matplotlib.
"""

import math

import numpy as np
import pandas as pd

#: Whether a larger value is better, per metric (daily, yearly and final names).
#: None: neither (the verdict says increase/decrease, not gain/loss).
HIGHER_IS_BETTER = {
    "members": True, "members_end": True, "cum_members": True, "cum_members_end": True,
    "joins": True, "new_members": True, "new_wom": True, "new_koc": True, "new_organic": True,
    "wom_share": True, "dau": True, "mau": True, "dau_mau": True, "mau_share": True,
    "activity_per_member_week": True, "share_rate": True, "ugc_posts": True,
    "revenue": True, "cum_revenue": True, "revenue_per_member": True, "ltv": True,
    "ltv_cac": True, "ltv_cac_end": True, "k_factor": True, "trust_mean": True,
    "churned": False, "churn_rate": False, "fatigue_mean": False, "silent_30": False,
    "reward_cost": False, "ad_cost": False, "koc_cost": False, "acquisition_cost": False,
    "cac": False, "cac_paid": False, "cycle_time": False,
    "paid_share": None, "new_paid": None, "kocs": None, "kocs_end": None,
}

#: How a metric is named in a sentence and its unit: "" (a count or plain number),
#: "%" (a share in [0, 1], differences in percentage points) or "¥" (money).
METRIC_TEXT = {
    "members": ("members", ""), "members_end": ("members", ""),
    "cum_members": ("people ever joined", ""), "cum_members_end": ("people ever joined", ""),
    "joins": ("joins", ""), "new_members": ("joins", ""), "churned": ("churned members", ""),
    "kocs": ("KOCs", ""), "kocs_end": ("KOCs", ""), "ugc_posts": ("member posts", ""),
    "wom_share": ("word-of-mouth share of joins", "%"), "paid_share": ("paid share of joins", "%"),
    "dau_mau": ("DAU/MAU", "%"), "mau_share": ("MAU share of members", "%"),
    "churn_rate": ("churn rate", "%"), "share_rate": ("share rate", "%"),
    "revenue": ("revenue", "¥"), "cum_revenue": ("revenue to date", "¥"),
    "revenue_per_member": ("revenue per member", "¥"), "ltv": ("LTV", "¥"),
    "reward_cost": ("reward cost", "¥"), "ad_cost": ("ad spend", "¥"),
    "koc_cost": ("KOC fees", "¥"), "acquisition_cost": ("acquisition cost", "¥"),
    "cac": ("CAC", "¥"), "cac_paid": ("paid CAC", "¥"), "ltv_cac": ("LTV/CAC", ""),
    "ltv_cac_end": ("LTV/CAC", ""), "dau": ("daily active members", ""),
    "mau": ("monthly active members", ""),
    "activity_per_member_week": ("weekly interactions per member", ""),
    "k_factor": ("viral coefficient K", ""), "cycle_time": ("referral cycle time", " days"),
    "trust_mean": ("mean trust", ""),
}

# Counted things read "12,300 more members"; other quantities "revenue ¥12,300 higher".
_COUNTED = {"members", "members_end", "cum_members", "cum_members_end", "joins",
            "new_members", "churned", "kocs", "kocs_end", "ugc_posts"}
# Levels at the end of a year read "ends year 5 with ..."; flows "... in year 5".
_LEVELS = {"members_end", "cum_members_end", "kocs_end", "ltv_cac_end"}


def outcome(ci_low, ci_high, higher_is_better=True):
    """``"gain"``, ``"loss"``, ``"increase"``, ``"decrease"``, ``"unclear"`` or ``"n/a"``.

    Clear (gain/loss, or increase/decrease when ``higher_is_better`` is None)
    only when the interval excludes zero; ``"n/a"`` without an interval.

    Examples
    --------
    >>> outcome(2.0, 5.0), outcome(-1.0, 5.0), outcome(2.0, 5.0, False), outcome(-3, -1, None)
    ('gain', 'unclear', 'loss', 'decrease')
    """
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return "n/a"
    if ci_low <= 0 <= ci_high:
        return "unclear"
    up = ci_low > 0
    if higher_is_better is None:
        return "increase" if up else "decrease"
    return "gain" if up == bool(higher_is_better) else "loss"


def _text(metric):
    """(label, unit, counted) of a metric; ``tier_k`` reads "members at tier k"."""
    if metric.startswith("tier_") and metric[5:].isdigit():
        return f"members at tier {metric[5:]}", "", True
    label, unit = METRIC_TEXT.get(metric, (metric, ""))
    return label, unit, metric in _COUNTED


def format_difference(metric, diff, ci_low, ci_high, *, unit=None):
    """A signed difference and its interval as short texts, e.g. ``("+1,230", "+940 to +1,520")``.

    Three significant figures on the largest of the three; shares (unit
    ``"%"``) in percentage points (``pp``), money with ``¥``.

    Examples
    --------
    >>> format_difference("revenue", 29_000.4, 18_843.0, 39_157.2)
    ('+¥29,000', '+¥18,800 to +¥39,200')
    >>> format_difference("dau_mau", 0.0055, 0.00202, 0.00898)
    ('+0.550 pp', '+0.202 to +0.898 pp')
    >>> format_difference("members_end", 13.0, -37.8, 63.8)
    ('+13', '-38 to +64')
    """
    _, default_unit, counted = _text(metric)
    unit = default_unit if unit is None else unit
    k = 100.0 if unit == "%" else 1.0
    d, lo, hi = float(diff) * k, float(ci_low) * k, float(ci_high) * k
    dec = _decimals(d, lo, hi, counted=counted and unit == "")
    pp = " pp" if unit == "%" else ""
    text = _fmt(d, dec, unit, sign=True) + pp if np.isfinite(d) else "n/a"
    ci = f"{_fmt(lo, dec, unit, True)} to {_fmt(hi, dec, unit, True)}{pp}" \
        if np.isfinite(lo) and np.isfinite(hi) else "n/a"
    return text, ci


def _decimals(*values, counted=False):
    """Decimals giving three significant figures to the largest magnitude (may be < 0).

    Counts of people read better whole ("13 more members", not "13.0") once
    the largest magnitude reaches one.
    """
    m = max((abs(v) for v in values if np.isfinite(v)), default=0.0)
    dec = 0 if m == 0 else 2 - math.floor(math.log10(m))
    return min(dec, 0) if counted and m >= 1 else dec


def _fmt(x, decimals, unit, sign=False):
    """A number with thousands separators; ``%`` gives percentage points, ``¥`` a prefix."""
    text = f"{abs(round(x, decimals)):,.{max(0, decimals)}f}"
    if unit == "¥":
        text = "¥" + text
    elif unit and unit != "%":
        text += unit if unit.startswith(" ") else " " + unit
    if sign and round(x, decimals) != 0:
        text = ("+" if x > 0 else "-") + text
    return text


def verdict(metric, base, other, diff, ci_low, ci_high, *, unit=None, higher_is_better=True,
            year=None, level=0.95):
    """One plain-language sentence on the difference ``other - base`` of a metric.

    Parameters
    ----------
    metric : str
        Named in the sentence as in :data:`METRIC_TEXT` (else as is).
    base, other : str
        Scenario names.
    diff, ci_low, ci_high : float
        Mean paired difference ``other - base`` and its confidence interval.
    unit : str, optional
        ``"¥"`` for money, ``"%"`` for a share in [0, 1] (shown in percentage
        points), any other text as a suffix, ``""`` for a plain number;
        default from :data:`METRIC_TEXT`.
    higher_is_better : bool or None
        None: the metric has no good direction (increase/decrease).
    year : int, optional
        The simulated year the figures belong to.
    level : float
        Confidence level of the interval (for the text).

    Returns
    -------
    str
        ``"<other> has <difference> than <base> [in year <year>] (95% CI ...):
        <conclusion>."``, or ``"<other> ends year <year> with ..."`` for
        year-end levels (``*_end``). The conclusion is "a clear gain"/"a clear
        loss" (interval excludes zero; "increase"/"decrease" when
        ``higher_is_better`` is None), "no clear difference (the interval
        includes zero)" or "too few replications to judge" (no interval).

    Examples
    --------
    >>> print(verdict("members_end", "baseline", "ladder_1_3_10", 12_312, 10_080, 14_530,
    ...               year=5))
    ladder_1_3_10 ends year 5 with 12,300 more members than baseline
    (95% CI 10,100 to 14,500): a clear gain.
    >>> print(verdict("churn_rate", "baseline", "push", 0.004, -0.001, 0.009,
    ...               higher_is_better=False))
    push has churn rate 0.400 percentage points higher than baseline
    (95% CI -0.100 to +0.900): no clear difference (the interval includes zero).
    >>> print(verdict("cac", "baseline", "ads", 12.5, 8.3, 16.0, higher_is_better=False,
    ...               year=2))
    ads has CAC ¥12.5 higher than baseline in year 2 (95% CI ¥8.3 to ¥16.0): a clear loss.
    """
    label, default_unit, counted = _text(metric)
    unit = default_unit if unit is None else unit
    k = 100.0 if unit == "%" else 1.0
    d, lo, hi = float(diff) * k, float(ci_low) * k, float(ci_high) * k
    dec = _decimals(d, lo, hi, counted=counted and unit == "")
    result = outcome(lo, hi, higher_is_better)
    amount = _fmt(d, dec, unit) + (" percentage points" if unit == "%" else "")
    up = d > 0
    if round(d, dec) == 0:
        what = f"the same {label} as"
    elif counted and unit == "":
        what = f"{amount} {'more' if up else 'fewer'} {label} than"
    else:
        what = f"{label} {amount} {'higher' if up else 'lower'} than"
    if year is not None and metric in _LEVELS:
        sentence = f"{other} ends year {year} with {what} {base}"
    else:
        sentence = f"{other} has {what} {base}" + (f" in year {year}" if year is not None else "")
    return f"{sentence} {_interval(result, lo, hi, dec, unit, level)}: {_conclusion(result)}."


def _interval(result, lo, hi, dec, unit, level):
    pct = f"{level:.0%}"
    if result == "n/a":
        return "(no interval: fewer than two replications)"
    if result == "unclear":
        return f"({pct} CI {_fmt(lo, dec, unit, True)} to {_fmt(hi, dec, unit, True)})"
    a, b = sorted((abs(lo), abs(hi)))     # magnitudes, in the direction just stated
    return f"({pct} CI {_fmt(a, dec, unit)} to {_fmt(b, dec, unit)})"


def _conclusion(result):
    return {"gain": "a clear gain", "loss": "a clear loss",
            "increase": "a clear increase", "decrease": "a clear decrease",
            "unclear": "no clear difference (the interval includes zero)",
            "n/a": "too few replications to judge"}[result]


def verdicts(differences, base, higher_is_better=None, *, level=0.95):
    """Add a ``verdict`` column (and ``outcome``) to a table of paired differences.

    Parameters
    ----------
    differences : pandas.DataFrame
        As :meth:`growthsim.experiment.Comparison.differences`: ``scenario``,
        ``metric`` and optionally ``year`` as index levels or columns; the
        difference in ``mean`` (or ``diff``); ``ci_low``, ``ci_high``.
    base : str
        The baseline scenario the differences are taken from.
    higher_is_better : None, bool or dict, optional
        None: :data:`HIGHER_IS_BETTER`; a bool for every metric; a dict
        updating :data:`HIGHER_IS_BETTER`.
    level : float
        Confidence level of the intervals (for the text).

    Returns
    -------
    pandas.DataFrame
        A copy with the columns ``outcome`` (see :func:`outcome`) and ``verdict``.

    Examples
    --------
    >>> d = pd.DataFrame({"scenario": ["ads", "ads"], "year": [1, 1],
    ...                   "metric": ["members_end", "churn_rate"], "mean": [1500.0, -0.02],
    ...                   "ci_low": [900.0, -0.03], "ci_high": [2100.0, -0.01]})
    >>> verdicts(d, "base")["outcome"].tolist()
    ['gain', 'gain']
    """
    if not isinstance(differences, pd.DataFrame):
        raise TypeError("differences must be a pandas DataFrame; got "
                        f"{type(differences).__name__}")
    flat = differences.reset_index() if _has_keys_in_index(differences) else differences
    value = "mean" if "mean" in flat.columns else "diff"
    missing = [c for c in ("scenario", "metric", value, "ci_low", "ci_high")
               if c not in flat.columns]
    if missing:
        raise ValueError(f"differences has no column {missing[0]!r}")
    better = dict(HIGHER_IS_BETTER)
    if isinstance(higher_is_better, dict):
        better.update(higher_is_better)
    years = flat["year"] if "year" in flat.columns else [None] * len(flat)
    out, texts = differences.copy(), []
    hib = []
    for row, year in zip(flat.itertuples(index=False), years):
        row = row._asdict()
        h = higher_is_better if isinstance(higher_is_better, bool) \
            else better.get(row["metric"])
        hib.append(h)
        texts.append(verdict(row["metric"], base, row["scenario"], row[value], row["ci_low"],
                             row["ci_high"], higher_is_better=h, level=level,
                             year=None if year is None or pd.isna(year) else int(year)))
    out["outcome"] = [outcome(lo, hi, h) for lo, hi, h in
                      zip(flat["ci_low"], flat["ci_high"], hib)]
    out["verdict"] = texts
    return out


def _has_keys_in_index(frame):
    return any(name in ("scenario", "metric", "year") for name in frame.index.names)
