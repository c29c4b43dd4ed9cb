"""The HTML report of replicated runs: tables, verdicts and figures in one page.

:func:`write_report` draws the figures of :mod:`growthsim.report.figures` to
PNG files and renders ``report.html`` from the package template
``templates/report.html.j2`` (Jinja2). The page is self-contained apart from
the PNGs it links relatively: no JavaScript, no external CSS.
"""

import re
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import growthsim
from growthsim import metrics as M
from growthsim.experiment.comparison import HEADLINE
from growthsim.experiment.stats import summarize
from growthsim.report import figures as F
from growthsim.report.verdict import format_difference, verdicts

#: Daily metrics drawn as paired differences from the base when comparing: (scale, trailing
#: mean window in days, y label); DAU/MAU in percentage points, smoothed like its own figure.
DIFFERENCE_METRICS = {
    "members": (1.0, None, "members"),
    "dau_mau": (100.0, 7, "DAU/MAU (pp, 7-day mean)"),
    "ltv_cac": (1.0, None, "LTV/CAC"),
}

CAPTIONS = {
    "members_by_channel": "Current members by the channel of their latest join (means over "
                          "replications); the black line is all members with its 95% band. "
                          "Read which channel carries growth and whether word of mouth takes "
                          "over from paid.",
    "dau_mau": "Share of the month's active members who are active on a given day: higher is "
               "a stickier community.",
    "tiers": "Share of members at each reward tier (means over replications): how fast "
             "members climb the ladder and where they stall.",
    "retention": "Share of each monthly cohort (row) still a member after 0, 1, 2, ... months "
                 "(column); blank cells were not observable yet. Read down a column to see "
                 "whether later cohorts keep better than early ones.",
    "ltv_cac": "Cumulative margin per member ever joined over cumulative acquisition cost per "
               "join; the dashed line at 3 is a common rule of thumb for healthy spend, not "
               "a law.",
    "difference": "Paired difference from {base}, day by day (same seeds: common random "
                  "numbers), with its 95% band: where the band clears the zero line the "
                  "difference is clear.",
}


def write_report(out_dir, daily, cohorts=None, *, summary=None, comparison=None,
                 title="growthsim report", scenarios_meta=None):
    """Write ``report.html`` and its PNG figures under ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Created if missing; figures go to ``out_dir/figures/``.
    daily : pandas.DataFrame
        Tidy daily table (``scenario, replication, seed, day`` and the metrics).
    cohorts : pandas.DataFrame, optional
        Tidy cohorts table (``scenario, replication, seed, cohort, age, size,
        retained``); without it there is no retention heatmap.
    summary : pandas.DataFrame or dict, optional
        The yearly means with 95% intervals: a frame with ``scenario``,
        ``year``, ``metric`` (index levels or columns) and ``mean``,
        ``ci_low``, ``ci_high`` (as :meth:`Comparison.summary`), or a
        summary.json document (``{"scenarios": [{"name", "means": {year:
        {metric: {mean, ci_low, ci_high}}}}, ...]}``, or the ``scenarios``
        part alone, as a list or a dict by name). Default: computed from
        ``daily`` with :func:`growthsim.metrics.yearly`.
    comparison : pandas.DataFrame or list of dict, optional
        Paired differences (``scenario``, ``metric``, ``diff`` or ``mean``,
        ``ci_low``, ``ci_high``, optional ``year``, ``base`` and ``verdict``;
        as :meth:`Comparison.differences` or summary.json's ``comparison``).
        The base is its ``base`` column, else the first scenario of ``daily``.
        Adds the comparison table and the ``difference_<metric>.png`` figures.
    title : str
    scenarios_meta : dict of str to dict, optional
        Per scenario, extra facts shown in the scenario table (e.g. ``file``,
        ``scenario_hash``); default from a summary.json ``summary``.

    Returns
    -------
    pathlib.Path
        The written ``report.html``.

    Examples
    --------
    >>> import tempfile
    >>> d = pd.DataFrame({"scenario": "s", "replication": [0, 0, 1, 1], "seed": [7, 7, 8, 8],
    ...                   "day": [0, 1, 0, 1], "members": [10, 12, 11, 14],
    ...                   "dau_mau": [0.3, 0.4, 0.35, 0.38], "ltv_cac": [0.1, 0.2, 0.1, 0.3]})
    >>> out = write_report(tempfile.mkdtemp(), d, summary=pd.DataFrame())
    >>> sorted(p.name for p in (out.parent / "figures").iterdir())
    ['dau_mau.png', 'ltv_cac.png']
    """
    d = F._tidy(daily)
    names = F.scenarios(d)
    out = Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    cmp = _comparison(comparison, d, names)
    figs, omitted = _figures(out, d, names, cohorts, cmp)
    meta = _scenarios_meta(summary) if scenarios_meta is None else dict(scenarios_meta)
    context = {
        "title": title,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "version": growthsim.__version__,
        "scenarios": _scenario_rows(d, names, meta),
        "yearly": _yearly_table(d, names, summary),
        "comparison": _comparison_rows(cmp),
        "figures": figs,
        "omitted": omitted,
    }
    path = out / "report.html"
    path.write_text(_template().render(**context), encoding="utf-8")
    return path


def _template():
    env = jinja2.Environment(loader=jinja2.PackageLoader("growthsim.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2")


def _slug(name, taken):
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"
    base, k = slug, 2
    while slug in taken:
        slug, k = f"{base}_{k}", k + 1
    taken.add(slug)
    return slug


def _save(out, stem, draw, size=(7.0, 4.0)):
    """Draw on a new Agg figure (not pyplot's: nothing to close, no backend switch)."""
    fig = Figure(figsize=size, dpi=110, layout="constrained")
    draw(fig.subplots())
    fig.savefig(out / "figures" / f"{stem}.png")
    return f"figures/{stem}.png"


def _figures(out, d, names, cohorts, comparison):
    """Draw every figure the tables allow; returns (figures, notes on those not drawn)."""
    figs, omitted, taken = [], [], set()
    if not all(c in d.columns for c in F.CHANNEL_COLUMNS):
        omitted.append("Members by channel: the results have no members_* census columns.")
    if cohorts is None:
        omitted.append("Retention by cohort: no cohort table was given.")
    figs.append(_fig("DAU/MAU", "dau_mau",
                     _save(out, "dau_mau", lambda ax: F.plot_dau_mau(d, ax=ax))))
    for n in names:
        sfx = "" if len(names) == 1 else "_" + _slug(n, taken)
        figs += _scenario_figures(out, d[d["scenario"] == n], n, sfx, cohorts, omitted)
    figs.append(_fig("LTV/CAC", "ltv_cac",
                     _save(out, "ltv_cac", lambda ax: F.plot_ltv_cac(d, ax=ax))))
    figs.sort(key=lambda f: list(CAPTIONS).index(f["kind"]))    # stable: scenarios in order
    return figs + _difference_figures(out, d, names, comparison), omitted


def _scenario_figures(out, rows, name, sfx, cohorts, omitted):
    """Members by channel, tiers and retention of one scenario (file names end in ``sfx``)."""
    figs, label = [], f" ({name})" if sfx else ""
    if all(c in rows.columns for c in F.CHANNEL_COLUMNS):
        figs.append(_fig(f"Members by channel{label}", "members_by_channel", _save(
            out, "members_by_channel" + sfx, lambda ax: F.plot_members_by_channel(rows, ax=ax))))
    if any(rows[t].notna().any() for t in F.tier_columns(rows) if t != "tier_0"):
        figs.append(_fig(f"Reward tiers{label}", "tiers", _save(
            out, "tiers" + sfx, lambda ax: F.plot_tiers(rows, ax=ax))))
    else:
        omitted.append(f"Reward tiers{label}: the scenario has no reward ladder.")
    if cohorts is None:
        return figs
    mine = cohorts[cohorts["scenario"] == name] if "scenario" in cohorts.columns else cohorts
    if mine.empty:
        omitted.append(f"Retention by cohort{label}: the cohort table has no rows for it.")
    else:
        figs.append(_fig(f"Retention by cohort{label}", "retention", _save(
            out, "retention" + sfx, lambda ax: F.plot_retention(mine, ax=ax), size=(7.0, 5.0))))
    return figs


def _fig(heading, kind, src, **fmt):
    return {"kind": kind, "heading": heading, "src": src,
            "caption": CAPTIONS[kind].format(**fmt)}


def _difference_figures(out, d, names, comparison):
    if comparison is None or len(names) < 2:
        return []
    base = comparison["base"].iloc[0] if len(comparison) else names[0]
    others = [n for n in names if n != base]
    figs = []
    for metric, (scale, window, ylabel) in DIFFERENCE_METRICS.items():
        if metric not in d.columns or base not in names:
            continue

        def draw(ax, metric=metric, scale=scale, window=window, ylabel=ylabel):
            ax.set_ylabel(f"difference in {ylabel}")
            for other in others:
                F.plot_difference(d, metric, base, other, ax=ax, scale=scale, window=window)
            ax.set_title(f"{metric}: difference from {base} (paired)")

        src = _save(out, f"difference_{metric}", draw)
        figs.append(_fig(f"Difference in {metric}", "difference", src, base=base))
    return figs


def _scenarios_meta(summary):
    return {s["name"]: {k: v for k, v in s.items() if k in ("file", "scenario_hash")}
            for s in _summary_scenarios(summary) if isinstance(s, dict) and "name" in s}


def _summary_scenarios(summary):
    """The per-scenario entries of a summary.json document (a list of dicts)."""
    if not isinstance(summary, dict):
        return []
    part = summary.get("scenarios", summary)
    if isinstance(part, dict):
        return [{"name": k, **v} for k, v in part.items() if isinstance(v, dict)]
    return list(part) if isinstance(part, list) else []


def _scenario_rows(d, names, meta):
    keys = list(dict.fromkeys(k for m in meta.values() for k in m))
    rows = []
    for n in names:
        rows_n = d[d["scenario"] == n]
        reps = rows_n.groupby("replication")["seed"].first() if "seed" in d.columns \
            and "replication" in d.columns else pd.Series(dtype=float)
        rows.append({"name": n or "(unnamed)", "days": int(rows_n["day"].max()) + 1,
                     "replications": max(1, len(reps)),
                     "seeds": ", ".join(str(int(s)) for s in reps),
                     "extra": [_text(meta.get(n, {}).get(k)) for k in keys]})
    return {"keys": keys, "rows": rows}


def _text(value):
    return "" if value is None else str(value)


def _summary_frame(summary, d, names):
    """Yearly summary as columns scenario, year, metric, mean, ci_low, ci_high."""
    if summary is None:
        return _summary_from_daily(d, names)
    if isinstance(summary, pd.DataFrame):
        s = summary.reset_index() if any(k in summary.index.names for k in
                                         ("scenario", "year", "metric")) else summary
        if "scenario" not in s.columns and len(s):
            s = s.assign(scenario=names[0])
        return s
    rows = [{"scenario": e["name"], "year": int(y), "metric": m, **stats}
            for e in _summary_scenarios(summary)
            for y, by_metric in (e.get("means") or {}).items()
            for m, stats in by_metric.items() if isinstance(stats, dict)]
    return pd.DataFrame(rows)


def _summary_from_daily(d, names):
    keys = ["scenario", "replication"] if "replication" in d.columns else ["scenario"]
    parts = [M.yearly(run.sort_values("day")).assign(**dict(zip(keys, k)))
             for k, run in d.groupby(keys, sort=False)]
    y = pd.concat(parts, ignore_index=True)
    metrics = [m for m in HEADLINE if m in y.columns]
    return summarize(y, metrics, by=["scenario", "year"]).reset_index()


def _cell(value, fmt):
    return fmt.format(value) if value is not None and np.isfinite(value) else "n/a"


def _numeric(frame, columns):
    """``columns`` as floats (JSON nulls become NaN)."""
    return frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce").astype(float)
                           for c in columns})


def _yearly_table(d, names, summary):
    s = _summary_frame(summary, d, names)
    need = {"scenario", "year", "metric", "mean", "ci_low", "ci_high"}
    if s.empty or not need <= set(s.columns):
        return None
    s = _numeric(s, ["mean", "ci_low", "ci_high"])
    metrics = [m for m in HEADLINE if m in set(s["metric"])]
    rows = []
    for (n, year), part in s.groupby(["scenario", "year"], sort=False):
        by = part.set_index("metric")
        cells = []
        for m in metrics:
            if m not in by.index:
                cells.append(("", ""))
                continue
            lo, hi = by.at[m, "ci_low"], by.at[m, "ci_high"]
            ci = f"{_cell(lo, HEADLINE[m])} – {_cell(hi, HEADLINE[m])}" \
                if np.isfinite(lo) and np.isfinite(hi) else ""
            cells.append((_cell(by.at[m, "mean"], HEADLINE[m]), ci))
        rows.append({"scenario": n, "year": int(year), "cells": cells})
    order = {n: k for k, n in enumerate(names)}
    rows.sort(key=lambda r: (order.get(r["scenario"], len(order)), r["year"]))
    return {"metrics": metrics, "rows": rows}


def _comparison(comparison, d, names):
    """Paired differences with columns scenario, base, metric, diff, ci_low, ci_high, verdict."""
    if comparison is None:
        return None
    c = pd.DataFrame(comparison) if not isinstance(comparison, pd.DataFrame) else comparison
    if any(k in c.index.names for k in ("scenario", "year", "metric")):
        c = c.reset_index()
    if "diff" not in c.columns and "mean" in c.columns:
        c = c.rename(columns={"mean": "diff"})
    if "base" not in c.columns:
        c = c.assign(base=names[0])
    missing = [k for k in ("scenario", "metric", "diff", "ci_low", "ci_high") if k not in c]
    if missing:
        raise ValueError(f"comparison has no column {missing[0]!r}")
    c = _numeric(c, ["diff", "ci_low", "ci_high"])
    if "verdict" not in c.columns:
        c = pd.concat([verdicts(part, base) for base, part in c.groupby("base", sort=False)])
    return c


def _comparison_rows(c):
    if c is None:
        return None
    rows = []
    for r in c.to_dict("records"):
        diff, ci = format_difference(r["metric"], r["diff"], r["ci_low"], r["ci_high"])
        rows.append({"scenario": r["scenario"], "base": r["base"],
                     "year": "" if "year" not in c or pd.isna(r["year"]) else int(r["year"]),
                     "metric": r["metric"], "diff": diff, "ci": ci,
                     "outcome": r.get("outcome", ""), "verdict": r["verdict"]})
    return {"has_year": "year" in c.columns, "rows": rows}
