"""Every numba kernel against its plain-Python twin in :mod:`growthsim.reference`.

Each test builds a random but valid state (people at every stage, KOCs, churned people,
ranked members, stale scratch columns, a member list in random order with junk past its
end) on a small graph, runs the kernel on one copy and the ReferenceModel's method on
another, and demands exact equality of every column of ``I`` and ``F`` and of the kernel's
outputs. Hypothesis varies seeds, days and parameters; the awkward cases (no members,
everyone sharing, probabilities of 0 and 1, no ladder, no budget, Poisson means past the
normal-approximation switch) are listed explicitly. ``test_perturbed_twin_differs`` shows
the comparison is sharp enough to see a parameter nudged by one part in a billion.
"""

from dataclasses import dataclass, field
from functools import lru_cache

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import growthsim as gs
from growthsim.graphs import complete, erdos_renyi, from_edges, ring
from growthsim.kernels import layout as L
from growthsim.kernels.acquisition import acquisition_step
from growthsim.kernels.activity import activity_step
from growthsim.kernels.census import N_CENSUS, census
from growthsim.kernels.churn import churn_apply, churn_decide
from growthsim.kernels.content import content_step
from growthsim.kernels.conversion import conversion_step
from growthsim.kernels.events import crisis_shock
from growthsim.kernels.init import init_people
from growthsim.kernels.interventions import interventions_step
from growthsim.kernels.membership import finish_day, join
from growthsim.kernels.purchases import purchases_step
from growthsim.kernels.rewards import rewards_step
from growthsim.kernels.sharing import sharing_step
from growthsim.model import _graph_arrays
from growthsim.population import pack_params
from growthsim.reference import ReferenceModel, int_power, named

EMPTY_I32 = np.zeros(0, np.int32)
EMPTY_I64 = np.zeros(0, np.int64)


# -- graphs ---------------------------------------------------------------------------------
def _weighted(g, seed):
    """The same ties with random strengths in (0, 1]."""
    rng = np.random.default_rng(seed)
    src = np.repeat(np.arange(g.n), np.diff(g.indptr))
    keep = src < g.indices
    w = rng.uniform(0.01, 1.0, int(keep.sum()))
    return from_edges(g.n, src[keep], g.indices[keep], weight=w, name=g.name + " weighted")


def _multigraph(n, seed):
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, n, 4 * n), rng.integers(0, n, 4 * n)
    src, dst = np.concatenate([src, src[:n]]), np.concatenate([dst, dst[:n]])
    g = from_edges(n, src, dst, weight=rng.uniform(0.05, 1.0, len(src)),
                   symmetric_listing=False, name="multigraph")
    assert g.multiplicity is not None and g.multiplicity.max() > 1
    return g


def _with_follows(g, seed):
    rng = np.random.default_rng(seed)
    stars = rng.choice(g.n, 6, replace=False)
    src = np.repeat(stars, 12)
    return g.with_follows(src, rng.integers(0, g.n, len(src))).with_labels(
        group=rng.integers(-1, 5, g.n), segment=rng.integers(0, 3, g.n))


@lru_cache(maxsize=None)
def graph(name):
    return {
        "ring": lambda: ring(40, 4),
        "erdos_renyi": lambda: _weighted(erdos_renyi(120, 6, seed=1), seed=2),
        "multigraph": lambda: _multigraph(60, seed=3),
        "complete": lambda: complete(70),
        "follows": lambda: _with_follows(_weighted(ring(50, 4), seed=4), seed=5),
        "no_ties": lambda: from_edges(25, [], []),
    }[name]()


GRAPHS = ("ring", "erdos_renyi", "multigraph", "complete", "follows", "no_ties")


# -- random parameters ------------------------------------------------------------------------
def random_scenario(rng, everything_on=False):
    """Valid scenario parameters drawn at random, extremes (0 and 1) included."""
    r = rng.random

    def pick(*xs):
        return xs[int(rng.integers(len(xs)))]

    def prob():
        return pick(0.0, 1.0, r(), 0.2 * r())

    def flag():
        return True if everything_on else bool(rng.integers(2))

    return gs.Scenario().with_overrides({
        "run.seed": int(rng.integers(0, 2**40)),
        "sharing.share_when": pick("active", "daily", "on_join"),
        "sharing.p_share": prob(),
        "koc.share_mult": 3 * r(), "koc.credibility": 3 * r(),
        "channels.weight_private": r(), "channels.weight_video": r(),
        "channels.weight_notes": 0.01 + 0.99 * r(),
        "channels.reach_private": prob(), "channels.reach_followers": prob(),
        "channels.video_strangers": pick(0.0, 5 * r(), 35.0),
        "channels.conversion_private": 2 * r(), "channels.conversion_video": 2 * r(),
        "channels.conversion_notes": 2 * r(), "channels.notes_views": 2 * r(),
        "channels.notes_half_life": 1 + 100 * r(),
        "conversion.p_convert": prob(),
        "conversion.tie_strength_exponent": pick(0.0, 1.0, 3 * r()),
        "conversion.trust_weight": 2 * r(), "conversion.exposure_decay": pick(0.0, 1.0, r()),
        "conversion.rejoin_factor": prob(),
        "content.fatigue": flag(), "content.fatigue_recovery": r(),
        "content.trust_dynamics": flag(), "content.trust_gain_value": 0.2 * r(),
        "content.trust_gain_interaction": 0.2 * r(), "content.trust_loss_promo": 0.2 * r(),
        "content.ugc_propensity": prob(),
        "content.checkin": flag(), "content.checkin_completion": prob(),
        "rewards.enabled": flag(), "rewards.metric": pick("shares", "referrals"),
        "rewards.per_share_cash": pick(0.0, 3 * r()) if not everything_on else 1 + r(),
        "rewards.per_share_boost": r(), "rewards.newcomer_boost": r(),
        "rewards.per_referral_cash": pick(0.0, 5 * r()) if not everything_on else 1 + r(),
        "rewards.per_referral_boost": r(), "rewards.habituation_cash": 2 * r(),
        "rewards.crowding_out": r(), "rewards.norm_habituation": r(),
        "rewards.varied": flag(), "rewards.habituation_rate": r(),
        "rewards.varied_factor": r(), "rewards.habituation_recovery": 0.1 * r(),
        "rewards.goal_gradient": 2 * r(), "rewards.relax_days": int(rng.integers(0, 10)),
        "rewards.relax_factor": r(), "rewards.loss_aversion": flag(),
        "rewards.demote_after": int(rng.integers(1, 8)), "rewards.loss_aversion_boost": r(),
        "rewards.tier_engagement": 0.3 * r(),
        "interventions.wakeup": flag(), "interventions.wakeup_after": int(rng.integers(1, 8)),
        "interventions.wakeup_success": prob(),
        "churn.enabled": flag(), "churn.base_hazard": 0.3 * r(),
        "churn.silence_weight": 3 * r(), "churn.silence_cap": int(rng.integers(1, 40)),
        "churn.fatigue_weight": 3 * r(), "churn.trust_weight": 3 * r(),
        "churn.tier_weight": r(), "churn.creator_factor": r(),
        "churn.low_activity_weight": r(), "churn.high_activity_factor": r(),
        "churn.nwom_prob": prob(), "churn.nwom_trust_hit": r(),
        "purchases.p_purchase": prob(), "purchases.basket": 200 * r(),
        "purchases.tier_spend": r(), "purchases.engagement_weight": r(),
        "ads.p_convert": pick(0.0, 1.0, 0.01 * r()), "organic.p_discover": pick(0.0, 10 * r()),
    })


def random_segments(rng, n_seg):
    SEG = np.empty((n_seg, L.N_SEG_COLS))
    SEG[:, L.SEG_ENGAGEMENT] = rng.uniform(0, 2, n_seg)
    SEG[:, L.SEG_SHARE] = rng.uniform(0, 2, n_seg)
    SEG[:, L.SEG_CONVERSION] = rng.uniform(0, 2, n_seg)
    SEG[:, L.SEG_SPEND] = rng.uniform(0, 3, n_seg)
    SEG[:, L.SEG_TRUST0] = rng.uniform(0, 1, n_seg)
    return SEG


def random_levels(rng, n_lev):
    LEV = np.empty((n_lev, L.N_LEV_COLS))
    LEV[:, L.LEV_THRESHOLD] = np.cumsum(rng.integers(1, 6, n_lev))
    LEV[:, L.LEV_COST] = rng.uniform(0, 50, n_lev)
    LEV[:, L.LEV_BOOST] = rng.uniform(0, 1, n_lev)
    LEV[:, L.LEV_HAB] = rng.choice([0.0, 1.0, rng.uniform(0, 2), 20.0], n_lev)
    return LEV


def random_context(rng):
    D = np.zeros(L.N_D)
    D[L.D_SLOT] = rng.uniform(0.5, 1.5)
    D[L.D_READ_LOAD] = rng.choice([0.0, rng.uniform(0, 4)])
    D[L.D_INT_LOAD] = rng.uniform(0, 2)
    D[L.D_FAT_PER_READ] = rng.uniform(0, 0.5)
    D[L.D_VALUE_READ_FRAC] = rng.uniform(0, 1)
    D[L.D_PROMO_READ_FRAC] = rng.uniform(0, 1 - D[L.D_VALUE_READ_FRAC])
    D[L.D_SHARE_MULT] = rng.uniform(0.5, 3)
    D[L.D_CONV_MULT] = rng.uniform(0.5, 3)
    D[L.D_NWOM_MULT] = rng.uniform(1, 3)
    D[L.D_IMPRESSIONS] = rng.choice([0.0, rng.uniform(0, 3e4)])
    return D


# -- random state ---------------------------------------------------------------------------
@dataclass
class Case:
    """One day's inputs to a kernel, and how to build its reference twin."""

    graph: object
    day: int
    P: np.ndarray
    D: np.ndarray
    SEG: np.ndarray
    LEV: np.ndarray
    I: np.ndarray
    F: np.ndarray
    members: np.ndarray  # length n; entries past n_members are junk a kernel must not read
    n_members: int
    pending: list
    follow: tuple
    seed: int  # for init_people, which takes the scenario's integer seed
    init: dict = field(default_factory=dict)
    notes_stock: float = 0.0
    notes_today: float = 0.0
    shock: float = 0.0

    @property
    def n(self):
        return self.graph.n

    @property
    def today(self):
        return named(self.D, L._D_NAMES)

    def twin(self):
        return ReferenceModel.from_arrays(
            self.I.copy(), self.F.copy(), self.P, self.SEG, self.LEV, self.graph,
            members=self.members[:self.n_members], pending=self.pending,
            follow=self.follow if len(self.follow[0]) else None, notes_stock=self.notes_stock)


def make_case(graph_name, seed, day, *, everything_on=False, member_frac=None, n_seg=None,
              n_lev=None, churned_in_list=False, P_set=None, D_set=None, share_today=None):
    rng = np.random.default_rng(seed)
    g = graph(graph_name)
    n = g.n
    sc = random_scenario(rng, everything_on)
    P = pack_params(sc, n, g.complete)
    for name, value in (P_set or {}).items():
        P[getattr(L, "P_" + name)] = value
    D = random_context(rng)
    for name, value in (D_set or {}).items():
        D[getattr(L, "D_" + name)] = value
    SEG = random_segments(rng, int(rng.integers(1, 5)) if n_seg is None else n_seg)
    LEV = random_levels(rng, int(rng.integers(0, 5)) if n_lev is None else n_lev)

    # Born as init_people draws them, then given a random history.
    shares = rng.uniform(0.1, 1, len(SEG))
    init = dict(seed=int(rng.integers(0, 2**62)), seg_cum=np.cumsum(shares / shares.sum()),
                platform_p=rng.choice([0.0, 1.0, rng.uniform()], 3),
                ugc_sigma=float(rng.choice([0.0, rng.uniform(0, 3)])),
                taste_sigma=float(rng.choice([0.0, rng.uniform(0, 2)])),
                group=g.group if g.group is not None else EMPTY_I32,
                segment=g.segment.astype(np.int32) if g.segment is not None else EMPTY_I32)
    I = np.empty((n, L.N_I), np.int32)
    F = np.empty((n, L.N_F))
    init_people(init["seed"], SEG, init["seg_cum"], init["platform_p"], init["ugc_sigma"],
                init["taste_sigma"], init["group"], init["segment"], I, F)

    frac = rng.uniform() if member_frac is None else member_frac
    stage = rng.choice(4, size=n, p=[(1 - frac) * 0.4, (1 - frac) * 0.3, frac,
                                     (1 - frac) * 0.3])
    member, churned = stage == L.MEMBER, stage == L.CHURNED
    ever = member | churned
    I[:, L.I_STAGE] = stage
    I[:, L.I_TIER] = np.where(member, rng.integers(0, len(LEV) + 1, n), 0)
    I[:, L.I_PLATFORMS] = rng.integers(0, 8, n)
    I[:, L.I_KOC] = rng.random(n) < 0.15
    joined = np.where(ever, day - rng.integers(0, 40, n), -1)
    I[:, L.I_JOINED] = joined
    I[:, L.I_CHURN_DAY] = np.where(churned, np.minimum(day, joined + rng.integers(1, 9, n)),
                                   -1)
    # Short silences, so that "silent for exactly k days" rules fire.
    I[:, L.I_LAST_ACTIVE] = np.where(ever, np.maximum(joined, day - rng.integers(0, 25, n)),
                                     L.NEVER)
    I[:, L.I_LAST_REWARD] = np.where(rng.random(n) < 0.5, L.NEVER,
                                     day - rng.integers(0, 12, n))
    I[:, L.I_ACTIVE_DAYS] = rng.integers(0, 50, n)
    I[:, L.I_READS] = rng.integers(0, 200, n)
    I[:, L.I_INTERACTIONS] = rng.integers(0, 80, n)
    I[:, L.I_SHARES] = rng.integers(0, 25, n)
    I[:, L.I_REFERRALS] = rng.integers(0, 12, n)
    I[:, L.I_REF_PAID] = np.maximum(0, I[:, L.I_REFERRALS] - rng.integers(0, 3, n))
    counted = I[:, L.I_REFERRALS] if P[L.P_METRIC_REFERRALS] > 0 else I[:, L.I_SHARES]
    I[:, L.I_OFFSET] = np.where(rng.random(n) < 0.3, (counted * rng.random(n)).astype(int), 0)
    I[:, L.I_REFERRER] = np.where(ever & (rng.random(n) < 0.5), rng.integers(0, n, n), -1)
    I[:, L.I_GENERATION] = rng.integers(0, 5, n)
    I[:, L.I_ACQ] = rng.integers(0, 7, n)
    I[:, L.I_ACQ_PLATFORM] = rng.integers(0, 4, n)
    I[:, L.I_POSTS] = rng.integers(0, 3, n) * (rng.random(n) < 0.4)
    I[:, L.I_EXPOSURES] = rng.integers(0, 6, n) * (rng.random(n) < 0.5)
    I[:, L.I_FRESH] = member & (rng.random(n) < 0.3)
    I[:, L.I_READS_TODAY] = rng.poisson(1.0, n)
    I[:, L.I_INTER_TODAY] = rng.poisson(0.7, n)
    I[:, L.I_ACTIVE_TODAY] = I[:, L.I_READS_TODAY] + I[:, L.I_INTER_TODAY] > 0
    I[:, L.I_POSTED_TODAY] = rng.integers(0, 2, n)
    I[:, L.I_SHARE_TODAY] = rng.integers(0, 4, n) if share_today is None else share_today
    I[:, L.I_PUSH_TODAY] = rng.integers(0, 3, n)
    I[:, L.I_CHURN_TODAY] = member & (rng.random(n) < 0.2)
    I[:, L.I_EXP_TODAY] = 0  # the conversion kernel leaves it 0 for everyone
    I[:, L.I_BEST_REF] = rng.integers(0, n, n)
    I[:, L.I_BEST_PATH] = rng.integers(0, 3, n)

    def unit():  # values in [0, 1] with the ends themselves common
        return np.where(rng.random(n) < 0.15, rng.integers(0, 2, n), rng.random(n))

    F[:, L.F_TRUST] = unit()
    F[:, L.F_FATIGUE] = unit()
    F[:, L.F_HABITUATION] = unit()
    F[:, L.F_WEEKLY] = rng.uniform(0, 10, n)
    F[:, L.F_REVENUE] = rng.uniform(0, 500, n) * (rng.random(n) < 0.5)
    F[:, L.F_REWARD_TODAY] = rng.uniform(0, 20, n)
    F[:, L.F_REVENUE_TODAY] = rng.uniform(0, 20, n)
    F[:, L.F_BEST_SCORE] = rng.random(n)

    # Some people joined earlier today: members already, waiting to enter the member list.
    ids = np.flatnonzero(member)
    rng.shuffle(ids)
    n_pending = int(rng.integers(0, 4)) if len(ids) > 4 else 0
    pending = [int(j) for j in ids[:n_pending]]
    I[pending, L.I_JOINED] = day
    I[pending, L.I_LAST_ACTIVE] = day
    listed = list(ids[n_pending:])
    if churned_in_list:  # after churn_apply: today's churners are still listed
        for j in listed:
            if I[j, L.I_CHURN_TODAY]:
                I[j, L.I_STAGE] = L.CHURNED
                I[j, L.I_CHURN_DAY] = day
                I[j, L.I_TIER] = 0
    members = rng.integers(0, n, n).astype(np.int32)  # junk beyond n_members
    members[:len(listed)] = listed

    if g.follow_indptr is not None:
        follow = (g.follow_indptr, g.follow_indices)
    elif rng.random() < 0.5:  # as GrowthModel draws them for KOCs: repeats and self-follows
        counts = np.where(I[:, L.I_KOC] == 1, rng.poisson(8, n), 0)
        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(counts, out=indptr[1:])
        follow = (indptr, rng.integers(0, n, int(indptr[-1])).astype(np.int32))
    else:
        follow = (EMPTY_I64, EMPTY_I32)
    return Case(graph=g, day=day, P=P, D=D, SEG=SEG, LEV=LEV, I=I, F=F, members=members,
                n_members=len(listed), pending=pending, follow=follow, seed=init["seed"],
                init=init, notes_stock=float(rng.choice([0.0, rng.uniform(0, 30)])),
                notes_today=float(rng.integers(0, 6)), shock=float(rng.uniform()))


# -- each kernel and its twin -----------------------------------------------------------------
def _pending_buffer(c):
    buf = np.zeros(c.n, np.int32)
    buf[:len(c.pending)] = c.pending
    return buf


def _conversion(c, I, F):
    indptr, indices, weight, mult = _graph_arrays(c.graph)
    pending, out = _pending_buffer(c), np.zeros(7)
    m = conversion_step(c.day, c.members, c.n_members, c.P, c.D, c.SEG, I, F, indptr, indices,
                        weight, mult, c.follow[0], c.follow[1], np.zeros(c.n, np.int32),
                        pending, len(c.pending), out)
    return list(out), list(pending[:m])


def _conversion_twin(c, ref):
    out = ref.spread_shares(c.day, c.today)
    return [float(x) for x in out], [p.index for p in ref.pending]


def _acquisition(c, I, F):
    pending, out = _pending_buffer(c), np.zeros(4)
    m = acquisition_step(c.day, c.P, c.D, c.SEG, I, F, c.notes_stock, c.notes_today, pending,
                         len(c.pending), out)
    return list(out), list(pending[:m])


def _acquisition_twin(c, ref):
    out = ref.acquire(c.day, c.today, c.notes_today)
    return [float(x) for x in out], [p.index for p in ref.pending]


def _churn_apply(c, I, F):
    indptr, indices, weight, _ = _graph_arrays(c.graph)
    return tuple(churn_apply(c.day, c.members, c.n_members, c.P, c.D, I, F, indptr, indices,
                             weight))


def _census(c, I, F):
    out = np.zeros(N_CENSUS)
    census(c.day, c.members, c.n_members, _pending_buffer(c), len(c.pending), I, F, out)
    return list(out)


def _finish_day(c, I, F):
    members = c.members.copy()
    m = finish_day(members, c.n_members, _pending_buffer(c), len(c.pending), I)
    return list(members[:m])


def _finish_day_twin(c, ref):
    ref.finish_day()
    return [p.index for p in ref.members]


def _init_people(c, I, F):
    k = c.init
    init_people(k["seed"], c.SEG, k["seg_cum"], k["platform_p"], k["ugc_sigma"],
                k["taste_sigma"], k["group"], k["segment"], I, F)


def _init_people_twin(c, ref):
    k = c.init
    ref.draw_people(k["seed"], k["seg_cum"], k["platform_p"], k["ugc_sigma"],
                    k["taste_sigma"], k["group"], k["segment"])


def _join_args(c):
    rng = np.random.default_rng(c.day + 7)
    outsiders = np.flatnonzero(c.I[:, L.I_STAGE] != L.MEMBER)
    j = int(rng.choice(outsiders)) if len(outsiders) else -1
    listed = c.members[:c.n_members]
    referrer = int(rng.choice(listed)) if len(listed) and rng.random() < 0.7 else -1
    return j, int(rng.integers(0, 7)), int(rng.integers(0, 4)), referrer


def _join(c, I, F):
    j, acq, platform, referrer = _join_args(c)
    if j < 0:
        return []
    pending = _pending_buffer(c)
    m = join(c.P, I, F, j, c.day, acq, platform, referrer, pending, len(c.pending))
    return list(pending[:m])


def _join_twin(c, ref):
    j, acq, platform, referrer = _join_args(c)
    if j < 0:
        return []
    ref.people[j].join(c.day, acq, platform, ref.people[referrer] if referrer >= 0 else None)
    return [p.index for p in ref.pending]


#: kernel name -> (run the kernel on (case, I, F), run the twin on (case, reference model))
KERNELS = {
    "init_people": (_init_people, _init_people_twin),
    "content_step": (
        lambda c, I, F: content_step(c.day, c.members, c.n_members, c.P, c.D, c.SEG, I, F),
        lambda c, ref: ref.content(c.day, c.today)),
    "activity_step": (
        lambda c, I, F: activity_step(c.day, c.members, c.n_members, I, F),
        lambda c, ref: ref.activity(c.day)),
    "sharing_step": (
        lambda c, I, F: sharing_step(c.day, c.members, c.n_members, c.P, c.D, c.SEG, c.LEV,
                                     I, F),
        lambda c, ref: ref.sharing(c.day, c.today)),
    "conversion_step": (_conversion, _conversion_twin),
    "acquisition_step": (_acquisition, _acquisition_twin),
    "rewards_step": (
        lambda c, I, F: rewards_step(c.day, c.members, c.n_members, c.P, c.LEV, I, F),
        lambda c, ref: ref.rewards(c.day)),
    "interventions_step": (
        lambda c, I, F: interventions_step(c.day, c.members, c.n_members, c.P, I),
        lambda c, ref: ref.interventions(c.day)),
    "churn_decide": (
        lambda c, I, F: churn_decide(c.day, c.members, c.n_members, c.P, I, F),
        lambda c, ref: ref.churn_decide(c.day)),
    "churn_apply": (_churn_apply, lambda c, ref: ref.churn_apply(c.day, c.today)),
    "purchases_step": (
        lambda c, I, F: purchases_step(c.day, c.members, c.n_members, c.P, c.SEG, I, F),
        lambda c, ref: ref.purchases(c.day)),
    "crisis_shock": (lambda c, I, F: crisis_shock(F, c.shock),
                     lambda c, ref: ref.crisis_shock(c.shock)),
    "census": (_census, lambda c, ref: ref.census(c.day)),
    "join": (_join, _join_twin),
    "finish_day": (_finish_day, _finish_day_twin),
}
# Kernels that run after churn_apply, when today's churners are still in the member list.
AFTER_CHURN = {"purchases_step", "crisis_shock", "census", "finish_day"}


def run_pair(name, c):
    """Run kernel and twin on copies of the case; return both states and outputs."""
    kernel, twin = KERNELS[name]
    I, F = c.I.copy(), c.F.copy()
    out_kernel = kernel(c, I, F)
    ref = c.twin()
    out_twin = twin(c, ref)
    I2, F2 = ref.to_arrays()
    return (I, F, out_kernel), (I2, F2, out_twin)


def assert_twins(name, c):
    (I, F, out_k), (I2, F2, out_r) = run_pair(name, c)
    for label, a, b, names in (("I", I, I2, L.I_NAMES), ("F", F, F2, L.F_NAMES)):
        if not np.array_equal(a, b):
            rows, cols = np.nonzero(a != b)
            r, k = rows[0], cols[0]
            pytest.fail(f"{name}: {label} differs in {len(rows)} cells; first: person {r}, "
                        f"column {names[k]!r}, kernel {a[r, k]!r} vs twin {b[r, k]!r}")
    assert _plain(out_k) == _plain(out_r), f"{name}: outputs differ"
    return I, F, out_k


def _plain(x):
    """Outputs as nested lists of Python floats, compared exactly with ==."""
    if x is None:
        return None
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_plain(v) for v in x]
    return float(x)


def case_for(name, graph_name, seed, day, **kw):
    kw.setdefault("churned_in_list", name in AFTER_CHURN)
    return make_case(graph_name, seed, day, **kw)


# -- the tests ------------------------------------------------------------------------------
@pytest.mark.parametrize("graph_name", GRAPHS)
@pytest.mark.parametrize("name", list(KERNELS))
def test_twin_every_mechanic_on(name, graph_name):
    """Fixed seeds; rewards with ladder, cash, loss aversion and varied rewards, churn,
    wake-ups and trust dynamics all on; several segments and ladder levels."""
    for seed in range(3):
        c = case_for(name, graph_name, 1000 * seed + 17, 30 + seed, everything_on=True,
                     n_seg=3, n_lev=3, member_frac=0.3 + 0.2 * seed)
        assert c.n_members > 0
        assert_twins(name, c)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), day=st.integers(0, 400),
       graph_name=st.sampled_from(GRAPHS))
@pytest.mark.parametrize("name", list(KERNELS))
def test_twin_random(name, seed, day, graph_name):
    assert_twins(name, case_for(name, graph_name, seed, day))


@pytest.mark.parametrize("name", list(KERNELS))
def test_twin_no_members(name):
    for graph_name in ("ring", "complete"):
        c = case_for(name, graph_name, 5, 12, member_frac=0.0)
        assert c.n_members == 0
        assert_twins(name, c)


def test_twin_no_people_on_any_platform_and_one_segment():
    c = make_case("erdos_renyi", 3, 9, n_seg=1, n_lev=0)
    c.I[:, L.I_PLATFORMS] = 0
    for name in ("sharing_step", "conversion_step", "acquisition_step", "rewards_step"):
        assert_twins(name, c)


# (kernel, parameter settings, context settings): probabilities at 0 and 1 and other ends.
EXTREMES = [
    ("content_step", {"UGC_PROPENSITY": 0.0}, {}),
    ("content_step", {"UGC_PROPENSITY": 1.0, "FATIGUE_ON": 0.0, "TRUST_ON": 0.0}, {}),
    ("content_step", {}, {"READ_LOAD": 0.0, "INT_LOAD": 0.0}),
    ("content_step", {}, {"READ_LOAD": 40.0}),  # Poisson means above 30
    ("content_step", {"CHECKIN_ON": 1.0, "CHECKIN_P": 0.0}, {}),
    ("content_step", {"CHECKIN_ON": 1.0, "CHECKIN_P": 1.0}, {"READ_LOAD": 0.0}),
    ("content_step", {"CHECKIN_ON": 0.0, "CHECKIN_P": 1.0}, {"INT_LOAD": 0.0}),
    ("sharing_step", {"P_SHARE": 0.0}, {}),
    ("sharing_step", {"P_SHARE": 1.0, "SHARE_WHEN": L.SHARE_DAILY, "REWARDS_ON": 1.0}, {}),
    ("sharing_step", {"P_SHARE": 0.5, "SHARE_WHEN": L.SHARE_ON_JOIN}, {}),
    ("sharing_step", {"W_PRIVATE": 0.0, "W_VIDEO": 0.0, "W_NOTES": 0.0}, {}),
    ("conversion_step", {"P_CONVERT": 0.0}, {}),
    ("conversion_step", {"P_CONVERT": 1.0, "REACH_PRIVATE": 1.0, "REACH_FOLLOWERS": 1.0}, {}),
    ("conversion_step", {"REACH_PRIVATE": 0.0, "REACH_FOLLOWERS": 0.0}, {}),
    ("conversion_step", {"EXPOSURE_DECAY": 0.0, "REJOIN": 1.0, "TIE_EXP": 0.0}, {}),
    ("conversion_step", {"EXPOSURE_DECAY": 1.0, "REJOIN": 0.0, "TIE_EXP": 2.5}, {}),
    ("conversion_step", {"VIDEO_STRANGERS": 45.0, "REACH_PRIVATE": 0.9}, {}),
    ("acquisition_step", {"P_AD": 0.0, "P_DISCOVER_DAY": 0.0, "NOTES_VIEWS": 0.0}, {}),
    ("acquisition_step", {"P_AD": 1.0, "P_DISCOVER_DAY": 1.0, "REJOIN": 1.0}, {}),
    ("acquisition_step", {"P_AD": 0.01, "REJOIN": 0.0}, {"IMPRESSIONS": 0.0}),
    ("acquisition_step", {"NOTES_VIEWS": 50.0, "P_CONVERT": 1.0}, {}),
    ("rewards_step", {"REWARDS_ON": 0.0}, {}),
    ("rewards_step", {"REWARDS_ON": 1.0, "LOSS_AVERSION": 1.0, "DEMOTE_AFTER": 1.0,
                      "VARIED": 1.0, "PER_SHARE_CASH": 2.0}, {}),
    ("rewards_step", {"REWARDS_ON": 1.0, "METRIC_REFERRALS": 1.0, "VARIED": 0.0,
                      "PER_SHARE_CASH": 0.0}, {}),
    ("interventions_step", {"WAKEUP_ON": 1.0, "WAKEUP_SUCCESS": 0.0, "WAKEUP_AFTER": 1.0}, {}),
    ("interventions_step", {"WAKEUP_ON": 1.0, "WAKEUP_SUCCESS": 1.0, "WAKEUP_AFTER": 2.0}, {}),
    ("interventions_step", {"WAKEUP_ON": 0.0}, {}),
    ("churn_decide", {"CHURN_ON": 0.0}, {}),
    ("churn_decide", {"CHURN_ON": 1.0, "BASE_HAZARD": 0.0}, {}),
    ("churn_decide", {"CHURN_ON": 1.0, "BASE_HAZARD": 1.0, "SILENCE_W": 20.0}, {}),
    ("churn_apply", {"NWOM_PROB": 0.0}, {}),
    ("churn_apply", {"NWOM_PROB": 1.0, "NWOM_HIT": 1.0}, {}),
    ("churn_apply", {"NWOM_PROB": 1.0, "REACH_PRIVATE": 1.0}, {}),  # complete: mean > 30
    ("purchases_step", {"P_PURCHASE": 0.0}, {}),
    ("purchases_step", {"P_PURCHASE": 1.0}, {}),
]


@pytest.mark.parametrize("graph_name", ["ring", "multigraph", "complete", "follows"])
@pytest.mark.parametrize("name,P_set,D_set", EXTREMES, ids=[
    name + ":" + ",".join(f"{k}={v:g}" for k, v in {**P_set, **D_set}.items())
    for name, P_set, D_set in EXTREMES])
def test_twin_extremes(name, P_set, D_set, graph_name):
    for seed in range(2):
        assert_twins(name, case_for(name, graph_name, seed, 21, P_set=P_set, D_set=D_set))


def test_twin_no_ladder_levels():
    for name in ("sharing_step", "rewards_step", "content_step"):
        for seed in range(3):
            c = case_for(name, "ring", seed, 15, n_lev=0, everything_on=True)
            assert not c.I[:, L.I_TIER].any()
            assert_twins(name, c)


def test_extremes_do_what_they_say():
    """The awkward cases really are awkward (so the tests above exercise them)."""
    c = case_for("sharing_step", "ring", 1, 5, member_frac=0.8,
                 P_set={"P_SHARE": 1.0, "SHARE_WHEN": L.SHARE_DAILY, "REWARDS_ON": 0.0,
                        "KOC_SHARE_MULT": 1.0}, D_set={"SHARE_MULT": 1.0})
    c.SEG[:, L.SEG_SHARE] = 1.0
    I, _, _ = assert_twins("sharing_step", c)
    listed = c.members[:c.n_members]
    assert (I[listed, L.I_SHARE_TODAY] > 0).all(), "p_share = 1 must make everyone share"

    everyone_shares = np.full(70, 1 + L.PRIVATE, np.int32)
    c = case_for("conversion_step", "complete", 2, 5, member_frac=0.3, share_today=everyone_shares,
                 P_set={"P_CONVERT": 0.0})
    I, _, (out, pending) = assert_twins("conversion_step", c)
    assert out[5] > 0 and pending == c.pending, "p_convert = 0: reached, nobody joins"

    c = case_for("conversion_step", "complete", 2, 5, member_frac=0.3, share_today=everyone_shares,
                 P_set={"P_CONVERT": 1.0, "REACH_PRIVATE": 0.5, "TRUST_WEIGHT": 0.0,
                        "EXPOSURE_DECAY": 1.0, "REJOIN": 1.0}, D_set={"CONV_MULT": 1.0})
    c.SEG[:, L.SEG_CONVERSION] = 1.0
    I, _, (out, pending) = assert_twins("conversion_step", c)
    assert out[0] + out[1] == out[5] > 0, "p_convert = 1: everyone reached joins"

    c = case_for("acquisition_step", "ring", 3, 5, D_set={"IMPRESSIONS": 0.0},
                 P_set={"P_DISCOVER_DAY": 0.0, "NOTES_VIEWS": 0.0})
    _, _, (out, _) = assert_twins("acquisition_step", c)
    assert out[:3] == [0.0, 0.0, 0.0], "no budget, no discovery, no notes: nobody joins"


# (kernel, parameter, factor): nudge one parameter of the twin only; the states must differ.
PERTURBATIONS = [
    ("content_step", "TRUST_GAIN_VALUE", 1 + 1e-9),
    ("content_step", "FAT_RECOVERY", 1 + 1e-9),
    ("content_step", "CHECKIN_P", 1.5),
    ("activity_step", None, None),
    ("sharing_step", "P_SHARE", 1.5),
    ("conversion_step", "P_CONVERT", 1 + 1e-9),  # moves u / p of the successes
    ("acquisition_step", "P_DISCOVER_DAY", 3.0),
    ("rewards_step", "HAB_RECOVERY", 1 + 1e-9),
    ("churn_decide", "BASE_HAZARD", 3.0),
    ("churn_apply", "NWOM_HIT", 1 + 1e-9),
    ("purchases_step", "BASKET", 1 + 1e-9),
]
BUSY_DAY = {"CHECKIN_ON": 1.0, "CHECKIN_P": 0.3, "P_SHARE": 0.5, "P_CONVERT": 0.05, "NWOM_PROB": 1.0, "P_PURCHASE": 0.5,
            "P_DISCOVER_DAY": 0.05, "BASE_HAZARD": 0.05, "CHURN_ON": 1.0, "REWARDS_ON": 1.0,
            "TRUST_ON": 1.0, "FATIGUE_ON": 1.0, "SHARE_WHEN": L.SHARE_DAILY,
            "W_PRIVATE": 1.0, "W_VIDEO": 0.0, "W_NOTES": 0.0, "REACH_PRIVATE": 1.0}


@pytest.mark.parametrize("name,param,factor", PERTURBATIONS)
def test_perturbed_twin_differs(name, param, factor):
    """The comparison is sharp: a twin with one parameter off by a part in a billion (or a
    rule changed) is caught."""
    c = case_for(name, "erdos_renyi", 11, 40, everything_on=True, member_frac=0.7, n_lev=3,
                 P_set=BUSY_DAY, D_set={"READ_LOAD": 2.0, "CONV_MULT": 1.0})
    c.I[:, L.I_PLATFORMS] |= 1
    c.I[:, L.I_SHARE_TODAY] = np.where(c.I[:, L.I_SHARE_TODAY] > 0, 1 + L.PRIVATE, 0)
    c.SEG[:, L.SEG_CONVERSION] = 1.0
    _, _, out = assert_twins(name, c)  # unperturbed: identical
    if name == "conversion_step":
        assert out[0][0] + out[0][1] > 0, "the perturbation needs successful referrals"
    kernel, twin = KERNELS[name]
    I, F = c.I.copy(), c.F.copy()
    kernel(c, I, F)
    ref = c.twin()
    if param is None:  # change the rule instead: a slightly different weekly average
        for p in ref.members:
            p.weekly -= 1e-9
    else:
        setattr(ref.p, param.lower(), getattr(ref.p, param.lower()) * factor)
    twin(c, ref)
    I2, F2 = ref.to_arrays()
    assert not (np.array_equal(I, I2) and np.array_equal(F, F2)), \
        f"nudging {param} in the twin went unnoticed"


def test_int_power_is_numbas_power():
    """numba computes float ** int by repeated squaring; C pow (Python's **) rounds
    differently, which is why the twin needs int_power."""
    @numba.njit
    def power(a, b):
        return a ** b

    rng = np.random.default_rng(0)
    a = rng.random(2000)
    b = rng.integers(0, 60, 2000).astype(np.int32)
    ours = [int_power(float(x), int(k)) for x, k in zip(a, b)]
    assert ours == [power(x, k) for x, k in zip(a, b)]
    assert ours != [float(x) ** int(k) for x, k in zip(a, b)]


def test_kernels_do_not_depend_on_thread_count():
    """The parallel kernels write only their own member's row: one thread and all threads
    give the same run."""
    sc = gs.Scenario().with_overrides({
        "population.n": 600, "seeding.initial_members": 60, "sharing.p_share": 0.2,
        "conversion.p_convert": 0.05, "rewards.varied": True, "rewards.loss_aversion": True,
        "rewards.per_share_cash": 1.0, "churn.base_hazard": 0.01, "koc.count": 3})
    g = erdos_renyi(600, 8, seed=1)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = gs.GrowthModel(sc, graph=g, seed=5)
        df1 = one.run(days=40)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = gs.GrowthModel(sc, graph=g, seed=5)
        df2 = many.run(days=40)
    finally:
        numba.set_num_threads(before)
    assert df1.equals(df2)
    np.testing.assert_array_equal(one.population.I, many.population.I)
    np.testing.assert_array_equal(one.population.F, many.population.F)


def test_fused_passes_equal_the_separate_steps():
    """morning = content, activity, sharing; evening = rewards, wake-ups, churn decisions."""
    from growthsim.kernels.tick import evening, morning

    m = gs.GrowthModel(gs.Scenario().with_overrides({
        "population.n": 3_000, "seeding.initial_members": 900, "rewards.loss_aversion": True,
        "rewards.varied": True, "rewards.per_share_cash": 1.0, "sharing.p_share": 0.2}), seed=4)
    m.run(days=40)
    D, _ = m._context(m.day)
    mem, nm, P, SEG, LEV = m.members, m.n_members, m.P, m.SEG, m.LEV
    I1, F1 = m.population.I.copy(), m.population.F.copy()
    I2, F2 = I1.copy(), F1.copy()
    morning(m.day, mem, nm, P, D, SEG, LEV, I1, F1)
    content_step(m.day, mem, nm, P, D, SEG, I2, F2)
    activity_step(m.day, mem, nm, I2, F2)
    sharing_step(m.day, mem, nm, P, D, SEG, LEV, I2, F2)
    np.testing.assert_array_equal(I1, I2)
    np.testing.assert_array_equal(F1, F2)
    evening(m.day, mem, nm, P, LEV, I1, F1)
    rewards_step(m.day, mem, nm, P, LEV, I2, F2)
    interventions_step(m.day, mem, nm, P, I2)
    churn_decide(m.day, mem, nm, P, I2, F2)
    np.testing.assert_array_equal(I1, I2)
    np.testing.assert_array_equal(F1, F2)
    assert I1[mem[:nm], L.I_SHARE_TODAY].any() and I1[mem[:nm], L.I_CHURN_TODAY].any()
