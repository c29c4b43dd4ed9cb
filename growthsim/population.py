"""Member state: one row per person in an int32 and a float64 matrix.

The column layout lives in :mod:`growthsim.kernels.layout`; this module packs
a scenario into the parameter vectors the kernels read and draws the initial
state of every person.
"""

import numpy as np

from growthsim.kernels import layout as L
from growthsim.kernels.init import init_people

SHARE_MODES = {"active": L.SHARE_ACTIVE, "daily": L.SHARE_DAILY, "on_join": L.SHARE_ON_JOIN}


def pack_params(sc, n, complete):
    """Constant parameter vector ``P`` of a scenario (see layout.P_*).

    Examples
    --------
    >>> from growthsim.scenario import Scenario
    >>> from growthsim.kernels import layout as L
    >>> P = pack_params(Scenario(), n=1_000, complete=False)
    >>> float(P[L.P_P_SHARE]), float(P[L.P_N])
    (0.04, 1000.0)
    """
    P = np.zeros(L.N_P)
    ch, co, cv, rw, cu = sc.channels, sc.content, sc.conversion, sc.rewards, sc.churn
    values = {
        "SEED": sc.run.seed, "N": n, "SHARE_WHEN": SHARE_MODES[sc.sharing.share_when],
        "P_SHARE": sc.sharing.p_share, "KOC_SHARE_MULT": sc.koc.share_mult,
        "KOC_CRED": sc.koc.credibility,
        "W_PRIVATE": ch.weight_private, "W_VIDEO": ch.weight_video, "W_NOTES": ch.weight_notes,
        "REACH_PRIVATE": ch.reach_private, "REACH_FOLLOWERS": ch.reach_followers,
        "VIDEO_STRANGERS": ch.video_strangers, "CONV_PRIVATE": ch.conversion_private,
        "CONV_VIDEO": ch.conversion_video, "CONV_NOTES": ch.conversion_notes,
        "NOTES_VIEWS": ch.notes_views, "NOTES_KEEP": 2.0 ** (-1.0 / ch.notes_half_life),
        "P_CONVERT": cv.p_convert, "TIE_EXP": cv.tie_strength_exponent,
        "TRUST_WEIGHT": cv.trust_weight, "EXPOSURE_DECAY": cv.exposure_decay,
        "REJOIN": cv.rejoin_factor,
        "FATIGUE_ON": co.fatigue, "FAT_RECOVERY": co.fatigue_recovery,
        "TRUST_ON": co.trust_dynamics, "TRUST_GAIN_VALUE": co.trust_gain_value,
        "TRUST_GAIN_INTER": co.trust_gain_interaction, "TRUST_LOSS_PROMO": co.trust_loss_promo,
        "UGC_PROPENSITY": co.ugc_propensity, "TIER_ENG": rw.tier_engagement,
        "LOSS_AVERSION": rw.loss_aversion and rw.enabled, "LA_BOOST": rw.loss_aversion_boost,
        "DEMOTE_AFTER": rw.demote_after, "REWARDS_ON": rw.enabled,
        "METRIC_REFERRALS": rw.metric == "referrals", "PER_SHARE_CASH": rw.per_share_cash,
        "PER_SHARE_BOOST": rw.per_share_boost, "NEWCOMER_REWARD": rw.newcomer_reward,
        "NEWCOMER_BOOST": rw.newcomer_boost if rw.enabled else 0.0, "VARIED": rw.varied,
        "HAB_RATE": rw.habituation_rate, "VARIED_FACTOR": rw.varied_factor,
        "HAB_RECOVERY": rw.habituation_recovery, "GOAL_GRADIENT": rw.goal_gradient,
        "RELAX_DAYS": rw.relax_days, "RELAX_FACTOR": rw.relax_factor,
        "WAKEUP_ON": sc.interventions.wakeup, "WAKEUP_AFTER": sc.interventions.wakeup_after,
        "WAKEUP_SUCCESS": sc.interventions.wakeup_success,
        "CHURN_ON": cu.enabled, "BASE_HAZARD": cu.base_hazard, "SILENCE_W": cu.silence_weight,
        "SILENCE_CAP": cu.silence_cap, "FATIGUE_W": cu.fatigue_weight,
        "TRUST_W": cu.trust_weight, "TIER_W": cu.tier_weight,
        "CREATOR_FACTOR": cu.creator_factor, "LOW_ACT_W": cu.low_activity_weight,
        "HIGH_ACT_FACTOR": cu.high_activity_factor, "NWOM_PROB": cu.nwom_prob,
        "NWOM_HIT": cu.nwom_trust_hit,
        "P_PURCHASE": sc.purchases.p_purchase, "BASKET": sc.purchases.basket,
        "TIER_SPEND": sc.purchases.tier_spend, "ENG_SPEND": sc.purchases.engagement_weight,
        "P_AD": sc.ads.p_convert, "P_DISCOVER_DAY": sc.organic.p_discover / 365.0,
        "COMPLETE": complete, "PER_REF_CASH": rw.per_referral_cash,
        "PER_REF_BOOST": rw.per_referral_boost, "HAB_CASH": rw.habituation_cash,
        "NORM_HAB": rw.norm_habituation, "CROWDING": rw.crowding_out,
        "CHECKIN_ON": co.checkin, "CHECKIN_P": co.checkin_completion,
        "REFERRER_BOND": cu.referrer_bond,
    }
    for name, value in values.items():
        P[getattr(L, "P_" + name)] = float(value)
    return P


def pack_segments(sc):
    """Segment matrix ``SEG`` (rows: segments; columns: layout.SEG_*).

    Examples
    --------
    >>> from growthsim.scenario import Scenario
    >>> from growthsim.kernels import layout as L
    >>> SEG = pack_segments(Scenario())
    >>> SEG.shape[0], float(SEG[0, L.SEG_SHARE])   # gen_z's share propensity
    (4, 1.3)
    """
    segs = sc.population.segments
    SEG = np.zeros((len(segs), L.N_SEG_COLS))
    for k, s in enumerate(segs):
        SEG[k] = (s.engagement, s.share_propensity, s.conversion, s.spend, s.trust0)
    return SEG


def pack_levels(sc):
    """Ladder matrix ``LEV`` (rows: levels; columns: layout.LEV_*).

    Examples
    --------
    >>> from growthsim.scenario import Scenario
    >>> from growthsim.kernels import layout as L
    >>> LEV = pack_levels(Scenario())
    >>> LEV.shape[0], LEV[:, L.LEV_THRESHOLD].tolist()
    (3, [1.0, 3.0, 10.0])
    """
    levels = sc.rewards.levels if sc.rewards.enabled else ()
    LEV = np.zeros((len(levels), L.N_LEV_COLS))
    for k, lv in enumerate(levels):
        LEV[k] = (lv.threshold, lv.cost, lv.share_boost,
                  getattr(sc.rewards, "habituation_" + lv.kind))
    return LEV


class Population:
    """State of every person: ``I`` (int32) and ``F`` (float64), one row each.

    Parameters
    ----------
    scenario : Scenario
    graph : SocialGraph
        Supplies the number of people and optional group/segment labels.

    Examples
    --------
    >>> from growthsim.scenario import Scenario
    >>> from growthsim.graphs import ring
    >>> pop = Population(Scenario(), ring(100, 4))
    >>> pop
    Population(n=100, members=0, state=21.5 KiB)
    >>> pop.column("stage")[:5]
    array([0, 0, 0, 0, 0], dtype=int32)
    """

    def __init__(self, scenario, graph):
        n = graph.n
        self.n = n
        self.I = np.empty((n, L.N_I), dtype=np.int32)
        self.F = np.empty((n, L.N_F), dtype=np.float64)
        SEG = pack_segments(scenario)
        seg_cum = np.cumsum([s.share for s in scenario.population.segments])
        ch = scenario.channels
        platform_p = np.array([ch.on_private, ch.on_video, ch.on_notes])
        empty_i32 = np.zeros(0, dtype=np.int32)
        group = graph.group if graph.group is not None else empty_i32
        segs = graph.segment.astype(np.int32) if graph.segment is not None else empty_i32
        init_people(scenario.run.seed, SEG, seg_cum, platform_p,
                    scenario.content.ugc_concentration, scenario.content.engagement_spread,
                    group.astype(np.int32), segs,
                    self.I, self.F)

    def column(self, name):
        """One state column by name (a view), e.g. ``"trust"`` or ``"stage"``."""
        name = name.lower()
        if name in L.I_NAMES:
            return self.I[:, L.I_NAMES.index(name)]
        if name in L.F_NAMES:
            return self.F[:, L.F_NAMES.index(name)]
        raise KeyError(f"no state column {name!r}; have {', '.join(L.I_NAMES + L.F_NAMES)}")

    @property
    def nbytes(self):
        return self.I.nbytes + self.F.nbytes

    def __repr__(self):
        members = int(np.count_nonzero(self.I[:, L.I_STAGE] == L.MEMBER))
        return (f"Population(n={self.n:,}, members={members:,}, "
                f"state={_human(self.nbytes)})")


def _human(nbytes):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if nbytes < 1024 or unit == "GiB":
            return f"{nbytes:.1f} {unit}" if unit != "B" else f"{nbytes} B"
        nbytes /= 1024


def derive_seed(seed, purpose):
    """A sub-seed for a purpose (graph, selection), stable across versions.

    The purpose string enters through its SHA-256 digest, so different
    purposes (even anagrams such as "rep12" and "rep21") get unrelated seeds.

    Examples
    --------
    >>> derive_seed(1, "rep12") != derive_seed(1, "rep21")
    True
    """
    import hashlib

    from growthsim.kernels.rng import hash64_py

    tag = int.from_bytes(hashlib.sha256(purpose.encode()).digest()[:4], "little") >> 1
    return hash64_py(seed, -2, 0, tag, 0) >> 1


def koc_followers(seed, n, kocs, mean):
    """Synthetic audiences for KOCs on a graph without follow edges.

    Each KOC gets Poisson(``mean``) followers drawn uniformly from the market;
    repeats and the KOC itself are dropped, so a follower is reached at most
    once per share. Returns the follow CSR ``(indptr, indices)`` over all
    ``n`` people (rows of non-KOCs are empty).

    Examples
    --------
    >>> indptr, idx = koc_followers(1, 1_000, [3, 7], 50.0)
    >>> int(indptr[-1]) == len(idx), bool(3 not in idx[indptr[3]:indptr[4]])
    (True, True)
    """
    gen = np.random.default_rng(derive_seed(seed, "followers"))
    kocs = np.asarray(kocs, dtype=np.int64)
    counts = gen.poisson(mean, size=len(kocs))
    rows = np.repeat(kocs, counts)
    cols = gen.integers(0, n, size=len(rows), dtype=np.int64)
    keys = np.unique(rows[rows != cols] * n + cols[rows != cols])
    rows, cols = keys // n, keys % n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, cols.astype(np.int32)
