"""Where growth came from: joins by channel and referral generation, K and cycle time,
and referred members compared with the others.

Two sources, never mixed within one figure:

* **join events** come from the daily flows of :attr:`GrowthModel.metrics`; they count
  every join, re-joins included, and agree with the metrics by construction;
* **people** come from the state arrays (``model.population.I`` / ``.F``), which keep
  one record per person: that of their *latest* membership. A churned person who
  re-joins gets a new joined day, channel, referrer and generation; their revenue,
  shares and referral counts keep accumulating across memberships. A referral link
  ``i -> r`` therefore describes ``r``'s current membership only if ``r`` joined no
  later than ``i`` (``joined[r] <= joined[i]``); otherwise ``r`` re-joined since, the
  link is *broken* and the chain above ``i`` is unknown.

Everything is vectorised NumPy over people (pointer jumping for referral chains),
so it runs on models of millions of people. The functions read a model and never
step it; :mod:`growthsim.report.attribution` draws their tables.

Examples
--------
>>> import growthsim as gs
>>> from growthsim import attribution as at
>>> sc = gs.Scenario().with_overrides({"population.n": 2_000, "seeding.initial_members": 50,
...                                   "ads.daily_budget": [100.0]})
>>> model = gs.GrowthModel(sc, seed=3)
>>> _ = model.run(days=60)
>>> s = at.summary(model)
>>> 0.0 <= s["wom_share"] <= 1.0, s["max_generation"] >= 1
(True, True)
"""

import numpy as np
import pandas as pd

from growthsim.kernels import layout as L

#: Acquisition channels of :func:`by_channel`, in stacking order.
CHANNELS = ("seed", "organic", "paid", "wom", "koc", "koc_signed")
#: Root categories of :func:`by_generation`: how the first person of a chain joined.
ROOTS = ("koc", "seed", "organic", "paid", "unknown")
#: Schmitt, Skiera & Van den Bulte (2011): referred / other customers.
PUBLISHED = {"value_h": 1.16, "retention_h": 1.18, "churn_h": 0.82}
PUBLISHED_SOURCE = ("Schmitt, Skiera & Van den Bulte (2011), Referral programs and customer "
                    "value, Journal of Marketing 75(1): 46-59 (value >= 16% higher); "
                    "18% more likely to stay (same study, Harvard Business Review, 2011)")
_REFERRED = (L.ACQ_WOM, L.ACQ_KOC)
_OTHER = (L.ACQ_PAID, L.ACQ_ORGANIC)


def _period_of(day, period):
    """1-based period of each day: days [0, period) are period 1."""
    if not period > 0:
        raise ValueError(f"period must be a positive number of days; got {period!r}")
    return (np.asarray(day) // period).astype(np.int64) + 1


def _ratio(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    out = np.full(np.broadcast(a, b).shape, np.nan)
    np.divide(a, b, out=out, where=b > 0)
    return out


def _sums(periods, n_periods, values):
    return np.bincount(periods - 1, weights=np.asarray(values, dtype=float),
                       minlength=n_periods)[:n_periods]


def by_channel(model, period=365):
    """Join events per period by acquisition channel, and each channel's share.

    Parameters
    ----------
    model : GrowthModel
        A model that has run at least one day.
    period : float
        Period length in days; period ``p`` (1-based) holds days
        ``[(p - 1) * period, p * period)``. Use 365.25 to match
        :func:`growthsim.metrics.yearly`.

    Returns
    -------
    pandas.DataFrame
        Index ``period`` (1, 2, ...). Columns: ``days`` simulated in the period;
        joins by channel, :data:`CHANNELS` — ``seed`` (day-0 members), ``organic``
        (discovery and notes visits), ``paid``, ``wom``, ``koc`` (referred by a
        KOC), ``koc_signed`` (KOCs who joined at signing); ``notes``, the part of
        ``organic`` that came from notes; ``total`` (sum of the channels); and
        ``share_<channel>`` = channel / total.

    Notes
    -----
    Counts are join *events* from the daily flows (``new_organic``, ``new_paid``,
    ``new_wom``, ``new_koc``, ``kocs_signed``), so a person who churned and re-joined
    counts once per join; the seeds are ``cum_members - new_members - kocs_signed``
    on day 0. The state arrays only keep each person's latest join: without re-joins
    (``conversion.rejoin_factor`` = 0) the two agree exactly.

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 2_000,
    ...                                   "seeding.initial_members": 50})
    >>> model = gs.GrowthModel(sc, seed=3)
    >>> df = model.run(days=60)
    >>> t = by_channel(model, period=30)
    >>> list(t.index), int(t.loc[1, "seed"])
    ([1, 2], 50)
    >>> int(t["paid"].sum()) == int(df["new_paid"].sum())
    True
    """
    df = model.metrics
    _period_of(0, period)
    cols = ["days", *CHANNELS, "notes", "total", *(f"share_{c}" for c in CHANNELS)]
    if len(df) == 0:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="period", dtype=np.int64))
    p = _period_of(df["day"].to_numpy(), period)
    n_p = int(p.max())
    out = {"days": np.bincount(p - 1, minlength=n_p)[:n_p]}
    seeds = np.zeros(n_p)
    seeds[p[0] - 1] = df["cum_members"].iloc[0] - df["new_members"].iloc[0] \
        - df["kocs_signed"].iloc[0]
    out["seed"] = seeds
    for name, col in (("organic", "new_organic"), ("paid", "new_paid"), ("wom", "new_wom"),
                      ("koc", "new_koc"), ("koc_signed", "kocs_signed"),
                      ("notes", "new_notes")):
        out[name] = _sums(p, n_p, df[col].to_numpy())
    table = pd.DataFrame(out, index=pd.RangeIndex(1, n_p + 1, name="period")).astype(np.int64)
    table["total"] = table[list(CHANNELS)].sum(axis=1)
    for c in CHANNELS:
        table[f"share_{c}"] = _ratio(table[c], table["total"])
    return table[cols]


def referral_links(I):
    """Which referral links describe the referrer's current membership.

    Returns boolean arrays ``(intact, broken)`` over people: a person who ever
    joined with a referrer ``r`` has an intact link if ``r`` joined no later than
    they did, and a broken one if ``r`` has re-joined since (the referrer's
    channel and chain at the time are overwritten).

    Examples
    --------
    >>> import numpy as np
    >>> from growthsim.kernels import layout as L
    >>> I = np.zeros((3, L.N_I), dtype=np.int32)
    >>> I[:, L.I_JOINED] = [40, 10, 12]      # person 0 re-joined on day 40
    >>> I[:, L.I_REFERRER] = [-1, 0, 1]
    >>> [a.tolist() for a in referral_links(I)]
    [[False, False, True], [False, True, False]]
    """
    n = I.shape[0]
    joined = I[:, L.I_JOINED].astype(np.int64)
    ref = I[:, L.I_REFERRER].astype(np.int64)
    linked = (joined >= 0) & (ref >= 0) & (ref < n)
    safe = np.where(linked, ref, 0)
    intact = linked & (joined[safe] >= 0) & (joined[safe] <= joined)
    return intact, linked & ~intact


def referral_roots(I):
    """Root and depth of every person's referral chain, by pointer jumping.

    Parameters
    ----------
    I : numpy.ndarray
        The int32 state matrix (``model.population.I``).

    Returns
    -------
    root : numpy.ndarray of int64
        The generation-0 ancestor of each person who ever joined (themselves for
        non-referred joins); -1 for people who never joined and for people whose
        chain is broken by a re-join (see the module notes) or, in a hand-made
        state, runs into a cycle.
    depth : numpy.ndarray of int64
        Links from the person up to ``root`` (valid where ``root >= 0``); it equals
        the recorded ``generation`` on every intact chain.

    Notes
    -----
    Each person ``i`` points to ``a[i]`` at distance ``d[i]`` (their referrer at
    distance 1; roots point to themselves at 0). One jump sets
    ``d <- d + d[a]`` and ``a <- a[a]``, doubling the span, so ``ceil(log2 n)``
    jumps of whole-array NumPy indexing reach every root.

    Examples
    --------
    >>> import numpy as np
    >>> from growthsim.kernels import layout as L
    >>> I = np.zeros((4, L.N_I), dtype=np.int32)
    >>> I[:, L.I_JOINED] = [0, 1, 2, 3]
    >>> I[:, L.I_REFERRER] = [-1, 0, 1, 2]
    >>> root, depth = referral_roots(I)
    >>> root.tolist(), depth.tolist()
    ([0, 0, 0, 0], [0, 1, 2, 3])
    """
    n = I.shape[0]
    idx = np.arange(n, dtype=np.int64)
    joined = I[:, L.I_JOINED].astype(np.int64)
    intact, broken = referral_links(I)
    parent = np.where(intact, I[:, L.I_REFERRER], idx)
    anc, dist = parent, intact.astype(np.int64)
    for _ in range(max(1, int(n).bit_length()) + 1):
        nxt = anc[anc]
        if np.array_equal(nxt, anc):
            break
        dist = dist + dist[anc]
        anc = nxt
    ok = (joined >= 0) & (parent[anc] == anc) & ~broken[anc]
    return np.where(ok, anc, -1), np.where(ok, dist, -1)


def _root_category(I, root):
    """Index into :data:`ROOTS` of each root (KOCs first, then the root's channel)."""
    cat = np.full(root.shape, ROOTS.index("unknown"), dtype=np.int64)
    ok = root >= 0
    r = root[ok]
    acq = I[r, L.I_ACQ]
    c = np.full(r.shape, ROOTS.index("unknown"), dtype=np.int64)
    for name, code in (("seed", L.ACQ_SEED), ("organic", L.ACQ_ORGANIC), ("paid", L.ACQ_PAID),
                       ("koc", L.ACQ_KOC_SIGNED)):
        c[acq == code] = ROOTS.index(name)
    c[I[r, L.I_KOC] != 0] = ROOTS.index("koc")
    cat[ok] = c
    return cat


def by_generation(model):
    """People who ever joined, by referral generation and root channel of their chain.

    Parameters
    ----------
    model : GrowthModel

    Returns
    -------
    pandas.DataFrame
        Index ``generation`` (0, 1, ..., the largest recorded): generation 0 are
        non-referred joins, generation g + 1 were referred by a member of
        generation g ("KOC -> friend -> friend's friend" are generations 0, 1, 2).
        Columns :data:`ROOTS` count people by the root of their chain — ``koc``:
        the root is a KOC (however they joined), else the root's channel ``seed``,
        ``organic`` (incl. notes) or ``paid``; ``unknown``: the chain is broken by a
        re-join — then ``total`` and ``share`` (of everyone who ever joined).
        ``attrs`` holds ``mean_generation``, ``max_generation``, ``share_beyond_1``
        (share of people in generation 2 or later) and ``people``.

    Notes
    -----
    People are counted once, by their latest membership; the generation is the
    one recorded when they joined (exact even where the chain above is broken).
    Roots come from :func:`referral_roots`.

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 2_000,
    ...                                   "seeding.initial_members": 50,
    ...                                   "ads.daily_budget": [100.0]})
    >>> model = gs.GrowthModel(sc, seed=3)
    >>> _ = model.run(days=60)
    >>> t = by_generation(model)
    >>> int(t.loc[0, "seed"]) >= 1, int(t["total"].sum()) == t.attrs["people"]
    (True, True)
    """
    I = model.population.I
    ever = I[:, L.I_JOINED] >= 0
    root, _ = referral_roots(I)
    gen = I[ever, L.I_GENERATION].astype(np.int64)
    cat = _root_category(I, root)[ever]
    n_gen = int(gen.max()) + 1 if gen.size else 0
    counts = np.zeros((n_gen, len(ROOTS)), dtype=np.int64)
    np.add.at(counts, (gen, cat), 1)
    table = pd.DataFrame(counts, columns=list(ROOTS),
                         index=pd.RangeIndex(n_gen, name="generation"))
    table["total"] = counts.sum(axis=1)
    people = int(gen.size)
    table["share"] = _ratio(table["total"], people)
    table.attrs.update(people=people,
                       mean_generation=float(gen.mean()) if people else np.nan,
                       max_generation=n_gen - 1 if people else -1,
                       share_beyond_1=float(np.mean(gen >= 2)) if people else np.nan)
    return table


def viral(model, period=365):
    """Viral coefficient K and referral cycle time per period and overall.

    Parameters
    ----------
    model : GrowthModel
    period : float
        Period length in days (see :func:`by_channel`).

    Returns
    -------
    pandas.DataFrame
        Index ``period`` (1, 2, ..., then ``"all"``). Event columns (daily flows):

        * ``days``, ``member_days`` (sum of end-of-day ``members``),
          ``referrals`` (``new_wom`` + ``new_koc``);
        * ``rate`` = referrals / member_days: referrals per member per day;
        * ``cycle_time`` = sum of ``referral_lag_sum`` / referrals: mean days from
          the referrer's join to the referral's join, over referrals made in the
          period;
        * ``k`` = rate * cycle_time: referrals per member per referral cycle.

        Cohort columns (people whose latest join falls in the period):

        * ``cohort``: their number; ``cohort_referrals``: people they referred,
          lifetime so far (intact links, see :func:`referral_roots`);
        * ``k_cohort`` = cohort_referrals / cohort: direct referrals per joiner;
        * ``cohort_age``: mean days from their join to the end of the run. Young
          cohorts are right-censored (they will refer more), so compare
          ``k_cohort`` across cohorts of similar age only.

    Notes
    -----
    ``k`` and ``cycle_time`` are the period versions of the daily metrics
    ``k_factor`` and ``cycle_time``: ``cycle_time`` equals the metric when the
    period is its 30-day window, and so does ``k_factor`` (referrals per member-day of
    the window times the cycle time) on the same
    window. ``k`` > 1 means each cycle's members bring more than themselves;
    ``k_cohort`` is the marketing "each user brings K users" figure.

    ``cohort_referrals`` miss referrals whose referee later re-joined by another
    route or whose referrer re-joined since (their links are overwritten or
    broken); ``attrs["unlinked_referrals"]`` counts them: all referral events
    (the sum of the ``referrals`` state column) less the intact links.

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 2_000,
    ...                                   "seeding.initial_members": 50,
    ...                                   "ads.daily_budget": [100.0]})
    >>> model = gs.GrowthModel(sc, seed=3)
    >>> df = model.run(days=60)
    >>> v = viral(model, period=30)
    >>> list(v.index)
    [1, 2, 'all']
    >>> int(v.loc["all", "referrals"]) == int((df["new_wom"] + df["new_koc"]).sum())
    True
    """
    df = model.metrics
    if len(df) == 0:
        raise ValueError("viral() needs a model that has run at least one day")
    p = _period_of(df["day"].to_numpy(), period)
    n_p = int(p.max())
    refs = (df["new_wom"] + df["new_koc"]).to_numpy()
    ev = {"days": np.bincount(p - 1, minlength=n_p)[:n_p].astype(float),
          "member_days": _sums(p, n_p, df["members"].to_numpy()),
          "referrals": _sums(p, n_p, refs),
          "lag": _sums(p, n_p, df["referral_lag_sum"].to_numpy())}
    ev = {k: np.r_[v, v.sum()] for k, v in ev.items()}
    I = model.population.I
    ever = np.flatnonzero(I[:, L.I_JOINED] >= 0)
    joined = I[ever, L.I_JOINED].astype(np.int64)
    cp = np.minimum(_period_of(joined, period), n_p)
    intact, _ = referral_links(I)
    linked = np.bincount(I[intact, L.I_REFERRER], minlength=I.shape[0])
    cohort = np.r_[np.bincount(cp - 1, minlength=n_p)[:n_p], len(ever)].astype(float)
    c_refs = _sums(cp, n_p, linked[ever])
    c_age = _sums(cp, n_p, model.day - joined)
    table = pd.DataFrame({
        "days": ev["days"], "member_days": ev["member_days"], "referrals": ev["referrals"],
        "rate": _ratio(ev["referrals"], ev["member_days"]),
        "cycle_time": _ratio(ev["lag"], ev["referrals"]),
        "cohort": cohort, "cohort_referrals": np.r_[c_refs, c_refs.sum()],
        "cohort_age": _ratio(np.r_[c_age, c_age.sum()], cohort),
    }, index=pd.Index([*range(1, n_p + 1), "all"], name="period", dtype=object))
    table.insert(5, "k", table["rate"] * table["cycle_time"].fillna(0.0))
    table["k_cohort"] = _ratio(table["cohort_referrals"], table["cohort"])
    ints = ["days", "member_days", "referrals", "cohort", "cohort_referrals"]
    table = table.astype({c: np.int64 for c in ints})
    table.attrs["unlinked_referrals"] = int(I[:, L.I_REFERRALS].astype(np.int64).sum()
                                            - intact.sum())
    return table


def _exposure_days(I, day):
    """Days of each person's latest membership on which they could buy or churn.

    Purchases and churn decisions start the day after joining; a churner still
    buys on their churn day. So a churner was at risk ``churn_day - joined`` days,
    a member ``day - 1 - joined`` days (``day`` = days simulated).
    """
    joined = I[:, L.I_JOINED].astype(np.int64)
    churned = I[:, L.I_STAGE] == L.CHURNED
    end = np.where(churned, I[:, L.I_CHURN_DAY].astype(np.int64), day - 1)
    return np.maximum(end - joined, 0), churned


def _group_figures(sel, I, F, day, horizon):
    exposure, churned = _exposure_days(I, day)
    joined = I[:, L.I_JOINED].astype(np.int64)
    years = exposure[sel].sum() / 365.0
    old = sel & (joined + horizon <= day - 1)
    life = np.minimum(exposure[old], horizon)
    kept = ~churned[old] | (exposure[old] > horizon)
    rev_year = _ratio(F[sel, L.F_REVENUE].sum(), years)
    life_h = life.mean() / 365.0 if old.any() else np.nan
    return {"members": int(sel.sum()), "member_years": years,
            "revenue_per_year": float(rev_year),
            "hazard": float(_ratio(churned[sel].sum(), years)),
            "n_h": int(old.sum()),
            "retention_h": float(kept.mean()) if old.any() else np.nan,
            "years_h": life_h,
            "value_h": float(rev_year * life_h)}


def referred_vs_other(model, horizon=365):
    """Referred members against paid and organic ones: value, retention, churn.

    Parameters
    ----------
    model : GrowthModel
    horizon : int
        Days after joining at which retention and value are read.

    Returns
    -------
    pandas.DataFrame
        Rows ``referred`` (latest join by ``wom`` or ``koc``), ``other`` (``paid`` or
        ``organic``, notes visits included), ``paid``, ``organic``, ``ratio``
        (referred / other) and ``published`` (:data:`PUBLISHED`). Seeds and signed
        KOCs are left out: they were picked, not acquired. Columns:

        * ``members``: people in the group; ``member_years``: their days at risk
          / 365 (from the day after joining to the churn day or the last
          simulated day);
        * ``revenue_per_year``: revenue to date / member_years (yuan);
        * ``hazard``: churns / member_years (per member-year);
        * ``n_h``: people who joined at least ``horizon`` days before the last
          simulated day (old enough); ``retention_h``: the share of them still a
          member ``horizon`` days after joining; ``churn_h`` = 1 - retention_h;
        * ``years_h``: their mean membership years within the first ``horizon``
          days (restricted mean lifetime);
        * ``value_h`` = revenue_per_year * years_h: expected revenue of a joiner
          in their first ``horizon`` days.

        ``attrs["published_source"]`` cites the benchmark.

    Notes
    -----
    *Definitions.* The state keeps revenue *to date* only, not revenue by age, so
    revenue in the first ``horizon`` days is not observed for members older than
    that; ``value_h`` assumes a member's spending rate does not depend on their
    age. In runs of n = 50k over 3 years its referred / other ratio was within
    0.035 of the ratio of exact first-year revenues recorded while stepping the
    model. ``hazard`` pools all membership ages, so it weighs a group that
    joined later (referred members, when word of mouth builds up) towards early
    membership; compare ``retention_h`` for like-for-like ages.
    A re-joiner's revenue includes earlier memberships while their days at risk
    are the latest membership's, which overstates their rate slightly (re-joins
    were under 3% of joins). The published figures compare customers of similar
    demographics and time of acquisition; these are raw group means. The
    retention benchmark is quoted both as "18% more likely to stay" (used here)
    and as "18% lower churn"; the latter is a smaller retention ratio when
    retention is high.

    *What the model reproduces, and why.* The published gap has two mechanisms
    (Van den Bulte, Bayer, Skiera & Schmitt 2018, Journal of Marketing Research
    55(1)): *better matching* (referrers bring people who fit, on traits the firm
    does not see) and *social enrichment* (referred customers churn less while
    their referrer stays). The model has the second as ``churn.referrer_bond``:
    a member's churn hazard is multiplied by it while their referrer is still a
    member. It has no matching: a share converts its receiver with a
    probability proportional to the receiver's segment ``conversion`` times
    (1 - w + 2 w trust), ads and unaided discovery convert whoever they reach,
    so referral selects *between* segments but not within one, and referred and
    paid joiners of a segment spend alike. With the bond switched off (1.0) the
    ratios are about 1 (n = 50k, 3 years: value 1.01-1.03, one-year retention
    1.01). At the default 0.85 the one-year churn of referred members is about
    18% lower than other members' (``churn_h`` ratio near 0.82, the "18% lower
    churn" reading of the benchmark), their one-year retention about 3% higher
    and their first-year value about 3% higher. The "18% more likely to stay"
    reading (``retention_h`` 1.18) cannot be met while others' one-year
    retention is above 1/1.18 = 85% (it is about 83% at the defaults), and the
    +16% value needs matching on spending the model does not have: both are
    reported as not reproduced. Measured figures are in docs/findings.md.

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 2_000,
    ...                                   "seeding.initial_members": 50,
    ...                                   "ads.daily_budget": [100.0]})
    >>> model = gs.GrowthModel(sc, seed=3)
    >>> _ = model.run(days=60)
    >>> t = referred_vs_other(model, horizon=30)
    >>> list(t.index)
    ['referred', 'other', 'paid', 'organic', 'ratio', 'published']
    >>> float(t.loc["published", "value_h"])
    1.16
    """
    I, F, day = model.population.I, model.population.F, model.day
    ever = I[:, L.I_JOINED] >= 0
    acq = I[:, L.I_ACQ]
    groups = {"referred": ever & np.isin(acq, _REFERRED),
              "other": ever & np.isin(acq, _OTHER),
              "paid": ever & (acq == L.ACQ_PAID),
              "organic": ever & (acq == L.ACQ_ORGANIC)}
    table = pd.DataFrame({g: _group_figures(sel, I, F, day, int(horizon))
                          for g, sel in groups.items()}).T
    table.insert(table.columns.get_loc("retention_h") + 1, "churn_h",
                 1.0 - table["retention_h"].astype(float))
    rates = ["revenue_per_year", "hazard", "retention_h", "churn_h", "years_h", "value_h"]
    ratio = pd.Series(np.nan, index=table.columns)
    ratio[rates] = _ratio(table.loc["referred", rates].astype(float),
                          table.loc["other", rates].astype(float))
    published = pd.Series(np.nan, index=table.columns)
    for k, v in PUBLISHED.items():
        published[k] = v
    table.loc["ratio"] = ratio
    table.loc["published"] = published
    table = table.astype(float)
    table.attrs.update(horizon=int(horizon), published_source=PUBLISHED_SOURCE)
    return table


def summary(model, period=365, horizon=365):
    """Headline figures of :func:`by_channel`, :func:`viral`, :func:`by_generation` and
    :func:`referred_vs_other` as a dict of floats.

    Keys: ``wom_share`` (referred joins / all joins after day 0, events, seeds and
    signed KOCs excluded, as the metric ``wom_share``), ``k``, ``cycle_time``,
    ``k_cohort`` (overall), ``mean_generation``, ``max_generation``,
    ``share_beyond_1``, ``value_ratio``, ``retention_ratio``, ``churn_ratio``, ``hazard_ratio``,
    ``revenue_rate_ratio`` (referred / other) and the published ``value_ratio`` and
    ``retention_ratio`` as ``published_value_ratio``, ``published_retention_ratio``.

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 2_000,
    ...                                   "seeding.initial_members": 50})
    >>> model = gs.GrowthModel(sc, seed=3)
    >>> _ = model.run(days=60)
    >>> sorted(summary(model))[:3]
    ['churn_ratio', 'cycle_time', 'hazard_ratio']
    """
    ch = by_channel(model, period)
    joins = ch[["organic", "paid", "wom", "koc"]].to_numpy().sum()
    v = viral(model, period).loc["all"]
    g = by_generation(model).attrs
    r = referred_vs_other(model, horizon).loc["ratio"]
    return {
        "wom_share": float(_ratio(ch["wom"].sum() + ch["koc"].sum(), joins)),
        "k": float(v["k"]), "cycle_time": float(v["cycle_time"]),
        "k_cohort": float(v["k_cohort"]),
        "mean_generation": g["mean_generation"], "max_generation": float(g["max_generation"]),
        "share_beyond_1": g["share_beyond_1"],
        "value_ratio": float(r["value_h"]), "retention_ratio": float(r["retention_h"]),
        "churn_ratio": float(r["churn_h"]),
        "hazard_ratio": float(r["hazard"]), "revenue_rate_ratio": float(r["revenue_per_year"]),
        "published_value_ratio": PUBLISHED["value_h"],
        "published_retention_ratio": PUBLISHED["retention_h"],
    }
