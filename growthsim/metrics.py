"""Daily metrics: definitions, the per-day table, yearly figures and cohort retention.

Every column of :attr:`GrowthModel.metrics` is listed in :data:`COLUMNS` with
its definition; docs/model.md renders the same list. :func:`yearly` condenses
a run to one row per year, its columns defined in :data:`YEARLY_COLUMNS`.
"""

import numpy as np
import pandas as pd

from growthsim.kernels import layout as L
from growthsim.kernels.census import CENSUS_NAMES, MAX_TIERS

CENSUS_INDEX = {name: k for k, name in enumerate(CENSUS_NAMES)}

FLOW_NAMES = (
    "day", "weekday", "new_members", "new_wom", "new_koc", "new_paid", "new_organic",
    "new_notes", "kocs_signed", "churned", "nwom_emitters", "exposures", "reached",
    "referral_lag_sum", "notes_stock", "ad_cost", "koc_cost", "newcomer_reward_cost",
    "intervention_cost", "exposures_koc", "ad_impressions", "checkin_cost",
)

COLUMNS = {
    "day": "Day index (0 = first simulated day).",
    "weekday": "Day of week, 0 = Monday.",
    "members": "Members at the end of the day (joined, not churned).",
    "new_members": "People who joined today (new_wom + new_koc + new_paid + new_organic).",
    "new_wom": "Joins referred by an ordinary member's share.",
    "new_koc": "Joins referred by a KOC's share.",
    "new_paid": "Joins from ad impressions.",
    "new_organic": "Unaided joins: discovery (Bass innovation) and notes visits.",
    "new_notes": "The part of new_organic that came from notes visits.",
    "kocs_signed": "KOCs signed today who were not yet members (they join at signing).",
    "churned": "Members who left today.",
    "nwom_emitters": "Churners who spread negative word of mouth today.",
    "exposures": "Share exposures of non-members today.",
    "reached": "Distinct non-members reached by shares today.",
    "referral_lag_sum": "Sum over today's referrals of days since the referrer joined.",
    "notes_stock": "Live notes (decayed count) after today.",
    "ad_cost": "Ad spend today (yuan).",
    "koc_cost": "KOC fees today (yuan; fee per 30 days spread daily).",
    "newcomer_reward_cost": "Two-sided rewards paid to referred newcomers (yuan).",
    "intervention_cost": "Wake-up pushes sent times their cost (yuan).",
    "exposures_koc": "The part of exposures that came from KOCs' shares.",
    "ad_impressions": "Ad impressions bought today (budget / cpm * 1000).",
    "checkin_cost": "Check-in rewards paid today: checkins * content.checkin_cost (yuan).",
    "dau": "Members active today (read or interacted).",
    "wau": "Members active in the last 7 days.",
    "mau": "Members active in the last 30 days.",
    "reads": "Reads by members today.",
    "interactions": "Interactions by members today.",
    "ugc_posts": "Posts made by members today.",
    "shares": "Members who shared today.",
    "shares_private": "Shares in private groups today.",
    "shares_video": "Shares on the short-video platform today.",
    "shares_notes": "Shares as notes today.",
    "wakeups": "Wake-up pushes sent today.",
    "wakeups_success": "Pushes that brought the member back.",
    "reward_cost_ladder": "Ladder and per-share rewards paid today (yuan).",
    "revenue": "Purchases by members today (yuan).",
    "buyers": "Members who bought today.",
    "trust_mean": "Mean trust of members.",
    "trust_low": "Members with trust below 0.3.",
    "fatigue_mean": "Mean content fatigue of members.",
    "fatigue_high": "Members with fatigue above 0.7.",
    "habituation_mean": "Mean reward habituation of members.",
    "silent_7": "Members silent for more than 7 days.",
    "silent_30": "Members silent for more than 30 days.",
    "weekly_interactions": "Mean weekly interaction rate of members (7-day average).",
    "kocs": "KOCs among members.",
    "creators": "Members who have posted at least once.",
    "checkins": "Members who completed today's check-in task (each is one interaction).",
    **{f"tier_{t}": f"Members at ladder tier {t}." for t in range(MAX_TIERS)},
    "members_seed": "Members whose latest join was as a seed (the initial members).",
    "members_organic": "Members whose latest join was organic (discovery or notes visits).",
    "members_paid": "Members whose latest join came from an ad.",
    "members_wom": "Members whose latest join was referred by an ordinary member.",
    "members_koc": "Members referred by a KOC or signed as KOCs (latest join); the five "
                   "members_* columns sum to members.",
    "reward_cost": "All reward spend today: ladder, per-share, newcomer and check-in rewards "
                   "(yuan).",
    "acquisition_cost": "ad_cost + koc_cost + reward_cost - checkin_cost (yuan): check-in "
                        "rewards keep members, they do not bring any.",
    "dau_mau": "dau / mau.",
    "wom_share": "Share of today's joins referred by members or KOCs.",
    "share_rate": "shares / dau: share of active members who shared.",
    "activity_per_member_week": "7 * interactions / members.",
    "cycle_time": "Mean days from a referrer's join to their referrals' joins (last 30 days).",
    "k_factor": "Viral coefficient: referrals per member per cycle, "
                "(30-day referrals / 30-day member-days) * cycle_time.",
    "cum_members": "People who ever joined (including seeds and signed KOCs).",
    "cum_revenue": "Revenue to date (yuan).",
    "cac": "Blended acquisition cost: cumulative acquisition_cost / cumulative joins.",
    "cac_paid": "Cumulative ad_cost / cumulative new_paid.",
    "ltv": "Gross margin to date per member ever joined (yuan).",
    "ltv_cac": "ltv / cac.",
}

#: Columns of :func:`yearly`, one row per simulated year, with their definitions.
YEARLY_COLUMNS = {
    "year": "Year of the run, 1-based: day d falls in year floor(d / 365.25) + 1.",
    "days": "Days of the year that were simulated (365 or 366; fewer in a partial last year).",
    "members_end": "Members at the end of the year's last simulated day.",
    "joins": "People who joined in the year (sum of new_members; seeds and signed KOCs "
             "are counted in cum_members_end, not here).",
    "wom_share": "(new_wom + new_koc) / joins: share of the year's joins referred by "
                 "members or KOCs (NaN without joins).",
    "paid_share": "new_paid / joins: share of the year's joins from ads (NaN without joins).",
    "churned": "Members who left in the year.",
    "churn_rate": "churned / mean daily members over the year.",
    "dau_mau": "Mean of the daily dau_mau over the year's last 30 simulated days.",
    "mau_share": "Mean of the daily mau / members over the year's last 30 simulated days.",
    "activity_per_member_week": "Mean of the daily activity_per_member_week over the year.",
    "share_rate": "Sum of shares / sum of dau over the year: share of active member-days "
                  "with a share.",
    "kocs_end": "KOCs among members at the year's end.",
    "ugc_posts": "Posts made by members in the year.",
    "revenue": "Purchases by members in the year (yuan).",
    "revenue_per_member": "revenue / mean daily members over the year (yuan per member-year).",
    "reward_cost": "Reward spend in the year: the daily reward_cost summed (yuan).",
    "ad_cost": "Ad spend in the year (yuan).",
    "koc_cost": "KOC fees in the year (yuan).",
    "acquisition_cost": "ad_cost + koc_cost + reward_cost of the year, less check-in rewards "
                        "(yuan).",
    "cac": "The year's acquisition_cost / joins (yuan per join; NaN without joins). "
           "The daily cac column is cumulative instead.",
    "ltv_cac_end": "The daily ltv_cac (cumulative LTV / cumulative CAC) on the year's "
                   "last day.",
    "cum_members_end": "People who ever joined, at the year's end (seeds and KOCs included).",
    **{f"tier_{t}": f"Members at ladder tier {t} at the year's end (tiers the ladder has)."
       for t in range(MAX_TIERS)},
}


def pack_row(flows, census_row):
    """One day's figures as a flat float array (flows then census).

    Examples
    --------
    >>> import numpy as np
    >>> flows = {name: 1.0 for name in FLOW_NAMES}
    >>> row = pack_row(flows, np.zeros(len(CENSUS_NAMES)))
    >>> row.shape == (len(FLOW_NAMES) + len(CENSUS_NAMES),), bool((row[:len(FLOW_NAMES)] == 1).all())
    (True, True)
    """
    row = np.empty(len(FLOW_NAMES) + len(CENSUS_NAMES))
    for k, name in enumerate(FLOW_NAMES):
        row[k] = flows[name]
    row[len(FLOW_NAMES):] = census_row
    return row


_INT_COLUMNS = {"day", "weekday", "members", "new_members", "new_wom", "new_koc", "new_paid",
                "new_organic", "new_notes", "kocs_signed", "churned", "nwom_emitters",
                "exposures", "exposures_koc", "checkins", "reached", "dau", "wau", "mau", "reads", "interactions",
                "ugc_posts", "shares", "shares_private", "shares_video", "shares_notes",
                "wakeups", "wakeups_success", "buyers", "trust_low", "fatigue_high", "silent_7",
                "silent_30", "kocs", "creators", "members_seed", "members_organic",
                "members_paid", "members_wom", "members_koc"} | {f"tier_{t}" for t in range(MAX_TIERS)}


def frame(rows, scenario):
    """The metrics table with derived columns (see :data:`COLUMNS`).

    Built in one DataFrame call from NumPy columns, so a short run (a cascade)
    does not pay pandas' per-column costs.

    Examples
    --------
    >>> import growthsim as gs
    >>> model = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300}), seed=1)
    >>> _ = model.run(days=10)
    >>> df = frame(model._rows, model.scenario)
    >>> df.equals(model.metrics), list(df.columns[:3])
    (True, ['day', 'weekday', 'new_members'])
    """
    names = FLOW_NAMES + CENSUS_NAMES
    data = np.vstack(rows) if rows else np.zeros((0, len(names)))
    n_levels = len(scenario.rewards.levels) if scenario.rewards.enabled else 0
    dropped = {f"tier_{t}" for t in range(n_levels + 1, MAX_TIERS)}
    cols = {}
    for k, name in enumerate(names):
        if name not in dropped:
            col = data[:, k]
            cols[name] = col.astype(np.int64) if name in _INT_COLUMNS else col
    cols.update(derived(cols, scenario.purchases.margin, seeds=_seeds(cols)))
    return pd.DataFrame(cols, copy=False)


def _seeds(cols):
    if len(cols["day"]) == 0:
        return 0
    return int(cols["members"][0] + cols["churned"][0] - cols["new_members"][0]
               - cols["kocs_signed"][0])


def _ratio(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    out = np.full(a.shape, np.nan)
    np.divide(a, b, out=out, where=b > 0)
    return out


def _rolling_sum(x, w):
    c = np.cumsum(np.asarray(x, dtype=float))
    out = c.copy()
    out[w:] -= c[:-w]
    return out


def derived(c, margin, seeds=0):
    """Ratio and cumulative columns from the daily columns ``c`` (a dict of arrays).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> df = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300}), seed=1).run(days=10)
    >>> d = derived({k: df[k].to_numpy() for k in df.columns}, margin=0.35)
    >>> bool(np.allclose(d["acquisition_cost"], df["acquisition_cost"]))
    True
    """
    d = {}
    d["reward_cost"] = c["reward_cost_ladder"] + c["newcomer_reward_cost"] + c["checkin_cost"]
    # check-in rewards are retention spend, like wake-up pushes: not part of CAC
    d["acquisition_cost"] = c["ad_cost"] + c["koc_cost"] + c["reward_cost_ladder"] \
        + c["newcomer_reward_cost"]
    d["dau_mau"] = _ratio(c["dau"], c["mau"])
    referred = c["new_wom"] + c["new_koc"]
    d["wom_share"] = _ratio(referred, c["new_members"])
    d["share_rate"] = _ratio(c["shares"], c["dau"])
    d["activity_per_member_week"] = _ratio(7 * c["interactions"], c["members"])
    ref30 = _rolling_sum(referred, 30)
    d["cycle_time"] = _ratio(_rolling_sum(c["referral_lag_sum"], 30), ref30)
    days = np.minimum(np.arange(1, len(referred) + 1), 30)
    mem30 = _rolling_sum(c["members"], 30) / days
    # referrals per member-day over the window, times the cycle time in days
    d["k_factor"] = _ratio(ref30, mem30 * days) * np.nan_to_num(d["cycle_time"])
    d["cum_members"] = seeds + np.cumsum(c["new_members"] + c["kocs_signed"])
    d["cum_revenue"] = np.cumsum(c["revenue"])
    d["cac"] = _ratio(np.cumsum(d["acquisition_cost"]), np.cumsum(c["new_members"]))
    d["cac_paid"] = _ratio(np.cumsum(c["ad_cost"]), np.cumsum(c["new_paid"]))
    d["ltv"] = _ratio(d["cum_revenue"] * margin, d["cum_members"])
    d["ltv_cac"] = _ratio(d["ltv"], d["cac"])
    return d


_YEARLY_SUMS = ("new_members", "new_wom", "new_koc", "new_paid", "churned", "ugc_posts",
                "revenue", "reward_cost", "ad_cost", "koc_cost", "acquisition_cost", "shares",
                "dau")


def yearly(df, days_per_year=365.25):
    """One row per simulated year of a daily metrics table (see :data:`YEARLY_COLUMNS`).

    Parameters
    ----------
    df : pandas.DataFrame
        One run's daily table (:attr:`GrowthModel.metrics`), sorted by day.
    days_per_year : float
        Day ``d`` belongs to year ``floor(d / days_per_year) + 1``; the default
        makes a 1,826-day run exactly five years.

    Returns
    -------
    pandas.DataFrame
        One row per year with the columns of :data:`YEARLY_COLUMNS` (the
        ``tier_*`` columns the daily table has). Flows are sums over the year,
        stocks are taken on its last day, ``dau_mau`` and ``mau_share`` are
        means over its last 30 days. A partial last year is kept: ``days``
        says how long it is.

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 2_000})
    >>> df = gs.GrowthModel(sc, seed=1).run(days=400)
    >>> y = yearly(df)
    >>> y[["year", "days"]].values.tolist()
    [[1, 366], [2, 34]]
    >>> int(y["joins"].sum()) == int(df["new_members"].sum())
    True
    """
    tiers = [c for c in df.columns if c.startswith("tier_")]
    names = [c for c in YEARLY_COLUMNS if not c.startswith("tier_")] + tiers
    year = (df["day"].to_numpy() // days_per_year).astype(np.int64)
    if np.any(np.diff(year) < 0):
        raise ValueError("yearly() needs a daily table sorted by day")
    starts = np.flatnonzero(np.r_[True, np.diff(year) > 0])
    ends = np.r_[starts[1:], len(year)].astype(np.int64)
    col = {c: df[c].to_numpy() for c in set(_YEARLY_SUMS) | {
        "members", "mau", "dau_mau", "activity_per_member_week", "kocs", "ltv_cac",
        "cum_members", *tiers}}
    rows = [_one_year(col, tiers, int(year[a]) + 1, a, b) for a, b in zip(starts, ends)]
    out = pd.DataFrame(rows, columns=names)
    ints = ["year", "days", "members_end", "joins", "churned", "kocs_end", "ugc_posts",
            "cum_members_end", *tiers]
    return out.astype({c: np.int64 for c in ints})


def _one_year(col, tiers, year, a, b):
    s = {name: col[name][a:b].sum() for name in _YEARLY_SUMS}
    joins = s["new_members"]
    last, tail = b - 1, slice(max(a, b - 30), b)
    row = {
        "year": year, "days": b - a, "members_end": col["members"][last], "joins": joins,
        "wom_share": _div(s["new_wom"] + s["new_koc"], joins),
        "paid_share": _div(s["new_paid"], joins),
        "churned": s["churned"],
        "churn_rate": _div(s["churned"], col["members"][a:b].mean()),
        "dau_mau": _nanmean(col["dau_mau"][tail]),
        "mau_share": _nanmean(_ratio(col["mau"][tail], col["members"][tail])),
        "activity_per_member_week": _nanmean(col["activity_per_member_week"][a:b]),
        "share_rate": _div(s["shares"], s["dau"]),
        "kocs_end": col["kocs"][last], "ugc_posts": s["ugc_posts"], "revenue": s["revenue"],
        "revenue_per_member": _div(s["revenue"], col["members"][a:b].mean()),
        "reward_cost": s["reward_cost"], "ad_cost": s["ad_cost"], "koc_cost": s["koc_cost"],
        "acquisition_cost": s["acquisition_cost"],
        "cac": _div(s["acquisition_cost"], joins),
        "ltv_cac_end": col["ltv_cac"][last], "cum_members_end": col["cum_members"][last],
    }
    row.update({t: col[t][last] for t in tiers})
    return row


def _div(a, b):
    return float(a) / float(b) if b > 0 else np.nan


def _nanmean(x):
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    return float(x[ok].mean()) if ok.any() else np.nan


def cohort_retention(population, today, days=(1, 7, 30, 365), cohort="month"):
    """Share of each joining cohort still a member N days after joining.

    Parameters
    ----------
    population : Population
    today : int
        Days simulated so far; cohorts too young for a horizon get NaN there.
    days : sequence of int
        Horizons (D1, D7, D30, yearly, ...).
    cohort : {"month", "week", "year"}
        Cohort width (30, 7 or 365 days).

    Returns
    -------
    pandas.DataFrame
        One row per cohort (its first day), columns ``size`` and ``d{N}``.

    Examples
    --------
    >>> import growthsim as gs
    >>> model = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                     "seeding.initial_members": 10}), seed=1)
    >>> _ = model.run(days=40)
    >>> r = cohort_retention(model.population, model.day, days=(1, 30))
    >>> r.columns.tolist(), int(r["size"].iloc[0]) >= 10
    (['size', 'd1', 'd30'], True)
    """
    width = {"week": 7, "month": 30, "year": 365}[cohort]
    I = population.I
    ever = I[:, L.I_JOINED] >= 0
    joined = I[ever, L.I_JOINED].astype(np.int64)
    left = I[ever, L.I_CHURN_DAY].astype(np.int64)
    stage = I[ever, L.I_STAGE]
    left = np.where(stage == L.MEMBER, np.iinfo(np.int64).max, left)
    cohorts = joined // width
    out = {"cohort_start": [], "size": []}
    for h in days:
        out[f"d{h}"] = []
    for c in np.unique(cohorts):
        sel = cohorts == c
        out["cohort_start"].append(int(c * width))
        out["size"].append(int(sel.sum()))
        for h in days:
            old = sel & (joined + h < today)
            out[f"d{h}"].append(float(np.mean(left[old] > joined[old] + h))
                                if old.any() else np.nan)
    return pd.DataFrame(out).set_index("cohort_start")


def cohort_matrix(model, period=30):
    """Retention of every joining cohort at every age: the data of a cohort heatmap.

    A person belongs to the cohort of their latest join (``joined // period``);
    at age ``a`` (periods since joining) they are *observable* if
    ``joined + a * period`` is a simulated day and *retained* if they had not
    left by then.

    Parameters
    ----------
    model : GrowthModel
        A model that has run (its population state is read, not changed).
    period : int
        Days per cohort and per age step (30: months).

    Returns
    -------
    pandas.DataFrame
        Columns ``cohort``, ``age`` (int), ``size`` (observable people of the
        cohort at that age, int) and ``retained`` (their share still a member,
        in [0, 1]); one row per cohort and age with ``size`` > 0, sorted.

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 2_000})
    >>> model = gs.GrowthModel(sc, seed=1)
    >>> _ = model.run(days=90)
    >>> m = cohort_matrix(model)
    >>> list(m.columns), int(m["age"].max())
    (['cohort', 'age', 'size', 'retained'], 2)
    >>> bool((m.loc[m["age"] == 0, "retained"] == 1).all())
    True
    """
    if isinstance(period, bool) or not isinstance(period, (int, np.integer)) or period < 1:
        raise ValueError(f"period must be a positive number of days; got {period!r}")
    I, today = model.population.I, model.day
    ever = I[:, L.I_JOINED] >= 0
    joined = I[ever, L.I_JOINED].astype(np.int64)
    left = np.where(I[ever, L.I_STAGE] == L.MEMBER, np.iinfo(np.int64).max,
                    I[ever, L.I_CHURN_DAY].astype(np.int64))
    cohort = joined // period
    frames = []
    n_cohorts = int(cohort.max()) + 1 if len(cohort) else 0
    for age in range(0, max(0, (today - 1) // period) + 1):
        at = joined + age * period
        seen = at < today
        if not seen.any():
            break
        size = np.bincount(cohort[seen], minlength=n_cohorts)
        kept = np.bincount(cohort[seen], weights=(left[seen] > at[seen]).astype(float),
                           minlength=n_cohorts)
        rows = np.flatnonzero(size)
        frames.append(pd.DataFrame({"cohort": rows, "age": age, "size": size[rows],
                                    "retained": kept[rows] / size[rows]}))
    if not frames:
        return pd.DataFrame({"cohort": pd.Series(dtype=np.int64), "age": pd.Series(dtype=np.int64),
                             "size": pd.Series(dtype=np.int64),
                             "retained": pd.Series(dtype=float)})
    out = pd.concat(frames, ignore_index=True).sort_values(["cohort", "age"], ignore_index=True)
    return out.astype({"cohort": np.int64, "age": np.int64, "size": np.int64})
