"""ReferenceModel: the daily rules written the ordinary Mesa way, to check the kernels against.

:class:`~growthsim.model.GrowthModel` keeps everyone's state in two matrices and advances it
with numba kernels. This module says the same thing slowly and plainly: one :class:`Person`
agent per person, holding its state as Python attributes, with one method per thing a person
does in a day, and model-level methods for the steps that need the whole population
(spreading shares, acquisition, negative word of mouth, events, the census).

The reference is a *twin*, not a second model. It draws the same random numbers under the
same keys (:func:`~growthsim.kernels.rng.uniform_py` and
:func:`~growthsim.kernels.rng.poisson_py`), visits people in the same member-list order and
evaluates every formula with the same floating-point operations in the same order, so a run
of either model with the same seed gives bit-identical state and metrics
(``tests/test_reference.py``), and each step can be compared with its kernel on arbitrary
states (``tests/test_kernels_twin.py``). One detail matters for that exactness: numba
computes ``x ** k`` for an integer ``k`` by repeated squaring, not with C ``pow``; the two
differ in the last bit more often than not, so :func:`int_power` repeats numba's loop.
(``exp``, ``log``, ``cos``, ``sqrt`` and ``x ** y`` for a float ``y`` call the same C
library functions in both, and give the same bits.)

Only non-kernel code is shared with :class:`GrowthModel`: the scenario packing
(:mod:`growthsim.population`), the choice of seeds and KOCs, the day's context (content load,
campaigns) and the metrics table.

Examples
--------
>>> import growthsim as gs
>>> from growthsim.reference import ReferenceModel
>>> from growthsim.graphs import circles
>>> sc = gs.Scenario().with_overrides({"population.n": 300, "seeding.initial_members": 20})
>>> g = circles(300, 10, 8, seed=1)
>>> ref = ReferenceModel(sc, graph=g, seed=3)
>>> fast = gs.GrowthModel(sc, graph=g, seed=3)
>>> ref.run(days=10).equals(fast.run(days=10))
True
>>> ref.person(int(ref.member_ids()[0])).stage == 2
True
"""

import math
from types import SimpleNamespace

import mesa
import numpy as np

from growthsim import metrics as M
from growthsim.kernels import layout as L
from growthsim.kernels import rng as R
from growthsim.kernels.census import ACQ_SLOT, MAX_TIERS, N_CENSUS, N_CHUNKS
from growthsim.kernels.membership import INITIAL_WEEKLY
from growthsim.kernels.rng import poisson_py as poisson
from growthsim.kernels.rng import uniform_py as uniform
from growthsim.model import _WEEKDAY, GrowthModel, resolve
from growthsim.population import koc_followers, pack_levels, pack_params, pack_segments

_C = M.CENSUS_INDEX


def int_power(a, b):
    """``a ** b`` for an integer ``b`` exactly as numba computes it (repeated squaring).

    Python's ``a ** b`` calls C ``pow``, which rounds differently in the last bit.

    Examples
    --------
    >>> int_power(0.7, 3) == 0.7 * (0.7 * 0.7)
    True
    """
    r = 1.0
    invert = b < 0
    k = -b if invert else b
    if k > 0x10000:
        return math.pow(a, float(b))
    while k != 0:
        if k & 1:
            r *= a
        k >>= 1
        a *= a
    return 1.0 / r if invert else r


def other(u, s, n):
    """A person drawn uniformly among the n - 1 people other than ``s`` (``u`` uniform).

    Examples
    --------
    >>> [other(u, 2, 5) for u in (0.0, 0.3, 0.6, 0.99)]
    [0, 1, 3, 4]
    """
    j = int(u * (n - 1))
    return j + 1 if j >= s else j


def named(vector, names):
    """A packed parameter vector as a namespace: ``P[L.P_P_SHARE]`` -> ``p.p_share``.

    Examples
    --------
    >>> from growthsim.population import pack_params
    >>> from growthsim.scenario import Scenario
    >>> p = named(pack_params(Scenario(), 1_000, False), L._P_NAMES)
    >>> p.p_share, p.n
    (0.04, 1000.0)
    """
    return SimpleNamespace(**{name.lower(): float(vector[k]) for k, name in enumerate(names)})


def segment_rows(SEG):
    """Segment matrix rows as namespaces (engagement, share, conversion, spend, trust0).

    Examples
    --------
    >>> from growthsim.population import pack_segments
    >>> from growthsim.scenario import Scenario
    >>> [round(s.share, 2) for s in segment_rows(pack_segments(Scenario()))]
    [1.3, 1.0, 0.7, 1.2]
    """
    return [SimpleNamespace(engagement=float(r[L.SEG_ENGAGEMENT]), share=float(r[L.SEG_SHARE]),
                            conversion=float(r[L.SEG_CONVERSION]), spend=float(r[L.SEG_SPEND]),
                            trust0=float(r[L.SEG_TRUST0])) for r in SEG]


def level_rows(LEV):
    """Ladder rows as namespaces (threshold, cost, boost, habituation factor of the kind).

    Examples
    --------
    >>> from growthsim.population import pack_levels
    >>> from growthsim.scenario import Scenario
    >>> [lv.threshold for lv in level_rows(pack_levels(Scenario()))]
    [1.0, 3.0, 10.0]
    """
    return [SimpleNamespace(threshold=float(r[L.LEV_THRESHOLD]), cost=float(r[L.LEV_COST]),
                            boost=float(r[L.LEV_BOOST]), hab=float(r[L.LEV_HAB])) for r in LEV]


class Person(mesa.Agent):
    """One person of the market and everything they do in a day.

    The state attributes are named after the columns of :mod:`growthsim.kernels.layout`
    (``stage``, ``tier``, ``trust``, ``fatigue``, ``habituation``, ``koc``, ``segment``,
    ``platforms``, ``joined``, ``last_active``, ``shares``, ``referrals``, ``referrer``,
    ``acq``, ``posts``, ``revenue``, ``exposures``, ... and the day's scratch values such as
    ``reads_today`` or ``share_today``), so :meth:`ReferenceModel.to_arrays` is a plain copy.
    ``friends`` lists ``(person, tie strength, multiplicity)`` in the graph's row order and
    ``followers`` the people who see this person's video shares.

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 400, "seeding.initial_members": 5})
    >>> twin = ReferenceModel(sc, seed=1)
    >>> person = twin.people[0]
    >>> person.index, person.stage in (L.UNAWARE, L.MEMBER), len(person.friends) > 0
    (0, True, True)
    """

    def __init__(self, model, index):
        super().__init__(model)
        self.index = index
        self.friends = []
        self.followers = []
        for name in L.I_NAMES:
            setattr(self, name, 0)
        for name in L.F_NAMES:
            setattr(self, name, 0.0)

    def __repr__(self):
        return (f"<Person {self.index}: stage {self.stage}, tier {self.tier}, "
                f"trust {self.trust:.3f}>")

    # -- state in the kernels' layout -----------------------------------------------------
    def load(self, irow, frow):
        """Take state from one row of the ``I`` and ``F`` matrices."""
        for name, value in zip(L.I_NAMES, irow):
            setattr(self, name, int(value))
        for name, value in zip(L.F_NAMES, frow):
            setattr(self, name, float(value))

    def row(self):
        """State as one ``I`` row and one ``F`` row (lists)."""
        return ([getattr(self, name) for name in L.I_NAMES],
                [getattr(self, name) for name in L.F_NAMES])

    # -- birth --------------------------------------------------------------------------
    def draw_traits(self, seed, segments, seg_cum, platform_p, ugc_sigma, taste_sigma, group,
                    label):
        """Initial state: segment, platforms, trust, creator propensity, taste, blank history.

        ``label`` is the graph's segment label or None (then the segment is drawn by the
        scenario's shares); ``group`` the interest circle or -1.
        """
        i = self.index
        n_seg = len(segments)
        if label is not None:
            s = label % n_seg
        else:
            u = uniform(seed, -1, i, R.INIT, 0)
            s = 0
            while s < n_seg - 1 and u >= seg_cum[s]:
                s += 1
        mask = 0
        for b in range(3):
            if uniform(seed, -1, i, R.INIT, 1 + b) < platform_p[b]:
                mask |= 1 << b
        u1 = uniform(seed, -1, i, R.INIT, 4)
        u2 = uniform(seed, -1, i, R.INIT, 5)
        z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
        for name in L.I_NAMES:
            setattr(self, name, 0)
        for name in L.F_NAMES:
            setattr(self, name, 0.0)
        self.stage = L.UNAWARE
        self.segment = s
        self.group = group
        self.platforms = mask
        self.joined = -1
        self.churn_day = -1
        self.last_active = L.NEVER
        self.last_reward = L.NEVER
        self.referrer = -1
        self.trust = segments[s].trust0
        self.creator = math.exp(ugc_sigma * z - 0.5 * ugc_sigma * ugc_sigma)
        u3 = uniform(seed, -1, i, R.INIT, 6)
        u4 = uniform(seed, -1, i, R.INIT, 7)
        z2 = math.sqrt(-2.0 * math.log(1.0 - u3)) * math.cos(2.0 * math.pi * u4)
        self.taste = math.exp(taste_sigma * z2 - 0.5 * taste_sigma * taste_sigma)

    def join(self, day, acq, platform, referrer=None):
        """Become a member today; enters the member list at the end of the day."""
        p = self.model.p
        self.stage = L.MEMBER
        self.joined = day
        self.last_active = day
        self.last_reward = L.NEVER
        self.fresh = 1
        self.tier = 0
        # The ladder counts from here: earlier shares or referrals (before churning) do not.
        self.offset = self.referrals if p.metric_referrals > 0.0 else self.shares
        self.acq = acq
        self.acq_platform = platform
        self.referrer = referrer.index if referrer is not None else -1
        self.generation = referrer.generation + 1 if referrer is not None else 0
        self.fatigue = 0.0
        self.habituation = 0.0
        self.weekly = INITIAL_WEEKLY
        self.model.pending.append(self)

    # -- 1. content -----------------------------------------------------------------------
    def engagement(self, today):
        """How strongly this member engages with today's content."""
        p = self.model.p
        seg = self.model.segments[self.segment]
        e = self.taste * seg.engagement * (1.0 - self.fatigue) * (0.5 + self.trust) * today.slot
        e *= 1.0 + p.tier_eng * self.tier
        if p.loss_aversion > 0.0 and self.tier > 0:
            e *= 1.0 + p.la_boost
        return e

    def see_content(self, day, today):
        """Read and interact with today's posts (and check in); fatigue and trust respond;
        maybe post."""
        p, seed, i = self.model.p, self.model.seed, self.index
        e = self.engagement(today)
        reads = poisson(e * today.read_load, seed, day, i, R.READ, 0)
        inter = 0
        if reads > 0:  # interactions happen on posts one reads
            inter = poisson(reads * today.int_load / today.read_load, seed, day, i, R.INTERACT,
                            0)
        self.checkin_today = 0
        if p.checkin_on > 0.0:
            if uniform(seed, day, i, R.CHECKIN, 0) < min(1.0, p.checkin_p * e):
                self.checkin_today = 1
                inter += 1  # a check-in is an interaction
        self.reads_today = reads
        self.inter_today = inter
        if p.fatigue_on > 0.0:
            f = self.fatigue
            load = min(1.0, reads * today.fat_per_read)
            f = f + (1.0 - f) * load - p.fat_recovery * f
            self.fatigue = min(1.0, max(0.0, f))
        if p.trust_on > 0.0:
            t = self.trust
            gain = p.trust_gain_value * reads * today.value_read_frac + p.trust_gain_inter * inter
            loss = p.trust_loss_promo * reads * today.promo_read_frac
            t = t + (1.0 - t) * min(1.0, gain) - t * min(1.0, loss)
            self.trust = min(1.0, max(0.0, t))
        self.posted_today = 0
        if reads + inter > 0:
            p_post = min(1.0, p.ugc_propensity * self.creator)
            if uniform(seed, day, i, R.POST, 0) < p_post:
                self.posted_today = 1
                self.posts += 1

    # -- 2. activity ----------------------------------------------------------------------
    def update_activity(self, day):
        """Active today if they read or interacted; the weekly interaction average moves."""
        reads, inter = self.reads_today, self.inter_today
        self.weekly += (7.0 * inter - self.weekly) / 7.0
        if reads + inter > 0:
            self.active_today = 1
            self.last_active = day
            self.active_days += 1
            self.reads += reads
            self.interactions += inter
        else:
            self.active_today = 0

    # -- 3. sharing -----------------------------------------------------------------------
    def ladder_count(self):
        """What the reward ladder counts for this member (since joining, less demotions)."""
        base = self.referrals if self.model.p.metric_referrals > 0.0 else self.shares
        return base - self.offset

    def incentive(self, day):
        """How much the reward programme multiplies the chance to share."""
        p, levels = self.model.p, self.model.levels
        if p.rewards_on <= 0.0:
            return 1.0
        tier = self.tier
        pull = p.per_share_boost + p.per_ref_boost
        if tier > 0:
            pull += levels[tier - 1].boost
        if tier < len(levels):  # goal gradient: members speed up near the next tier
            prev = levels[tier - 1].threshold if tier > 0 else 0.0
            span = levels[tier].threshold - prev
            progress = min(1.0, max(0.0, (self.ladder_count() - prev) / span))
            pull += p.goal_gradient * progress * progress
        m = (1.0 + pull * (1.0 - self.habituation)) * (1.0 - p.crowding * self.habituation)
        if day - self.last_reward < p.relax_days:
            m *= p.relax_factor
        return m

    def pick_platform(self, u):
        """The platform of a share, by channel weight among the platforms the member is on."""
        p, mask = self.model.p, self.platforms
        w_private = p.w_private if mask & 1 else 0.0
        w_video = p.w_video if mask & 2 else 0.0
        w_notes = p.w_notes if mask & 4 else 0.0
        total = w_private + w_video + w_notes
        if total <= 0.0:
            return L.PRIVATE
        x = u * total
        if x < w_private:
            return L.PRIVATE
        if x < w_private + w_video:
            return L.VIDEO
        return L.NOTES

    def decide_share(self, day, today):
        """Maybe share today; ``share_today`` = platform + 1, or 0."""
        p, seed, i = self.model.p, self.model.seed, self.index
        self.share_today = 0
        mode = int(p.share_when)
        if mode == L.SHARE_ACTIVE:
            eligible = self.active_today == 1
        elif mode == L.SHARE_DAILY:
            eligible = True
        else:  # on_join: once, on the first day after joining
            eligible = self.fresh == 1
        self.fresh = 0
        if not eligible:
            return
        prob = p.p_share * today.share_mult * self.model.segments[self.segment].share
        prob *= self.incentive(day)
        if self.koc:
            prob *= p.koc_share_mult
        if prob >= 1.0 or uniform(seed, day, i, R.SHARE, 0) < prob:
            u = uniform(seed, day, i, R.CHANNEL, 0)
            self.share_today = self.pick_platform(u) + 1
            self.shares += 1

    # -- 4. conversion (as a receiver) ------------------------------------------------------
    def receive_share(self, day, today, sharer, path, w, c, counter, path_mult):
        """One exposure to ``sharer``'s share along a tie of strength w and multiplicity c.

        Remembers the best successful attempt of the day (smallest u / p). Returns True on
        the person's first exposure today.
        """
        if self.stage == L.MEMBER:
            return False
        p = self.model.p
        first = self.exp_today == 0
        if first:
            self.best_score = math.inf
        self.exp_today += 1
        q = p.p_convert * today.conv_mult * path_mult \
            * self.model.segments[self.segment].conversion
        tw = p.trust_weight
        q *= 1.0 - tw + 2.0 * tw * self.trust
        if p.tie_exp != 0.0:
            q *= w ** p.tie_exp
        e = self.exposures
        if e > 0 and p.exposure_decay < 1.0:  # diminishing returns of repeated telling
            q *= int_power(p.exposure_decay, e)
        if sharer.koc:
            q *= p.koc_cred
        q *= 1.0 + p.newcomer_boost
        if self.stage == L.CHURNED:
            q *= p.rejoin
        q = min(1.0, max(0.0, q))
        p_join = q if c == 1 else 1.0 - int_power(1.0 - q, c)
        if p_join > 0.0:
            u = uniform(self.model.seed, day, self.index, R.CONVERT, counter)
            if u < p_join:
                score = u / p_join
                if score < self.best_score:
                    self.best_score = score
                    self.best_ref = sharer.index
                    self.best_path = path
        return first

    # -- 6. rewards -----------------------------------------------------------------------
    def reward(self, day):
        """Per-share cash, promotions up the ladder, loss-aversion demotion, habituation."""
        p, levels, seed = self.model.p, self.model.levels, self.model.seed
        rate = p.hab_rate * (p.varied_factor if p.varied > 0.0 else 1.0)
        h = self.habituation * (1.0 - p.hab_recovery)
        paid = 0.0
        if p.rewards_on > 0.0:
            cash_rate = min(1.0, rate * p.hab_cash)
            if self.share_today > 0 and p.per_share_cash > 0.0:
                paid += p.per_share_cash
                h += (1.0 - h) * cash_rate
            new_refs = self.referrals - self.ref_paid  # friends who joined since last paid
            if new_refs > 0 and p.per_ref_cash > 0.0:
                paid += new_refs * p.per_ref_cash
                for _ in range(new_refs):
                    h += (1.0 - h) * cash_rate
            self.ref_paid = self.referrals
            count = self.ladder_count()
            tier = self.tier
            while tier < len(levels) and count >= levels[tier].threshold:
                cost = levels[tier].cost
                if p.varied > 0.0:  # surprise: same mean cost, random size
                    cost *= 0.5 + uniform(seed, day, self.index, R.VARIED, tier)
                paid += cost
                h += (1.0 - h) * min(1.0, rate * levels[tier].hab)  # cash faster than badges
                tier += 1
                self.last_reward = day
            if p.loss_aversion > 0.0 and tier > 0:
                silence = day - self.last_active
                every = int(p.demote_after)
                if silence >= every and silence % every == 0:
                    tier -= 1  # and the count restarts from the lower tier's threshold
                    target = int(levels[tier - 1].threshold) if tier > 0 else 0
                    self.offset += count - target
            self.tier = tier
        self.habituation = h
        self.reward_today = paid

    # -- 7. interventions -----------------------------------------------------------------
    def maybe_wake(self, day):
        """A wake-up push on the n-th silent day; it may bring the member back."""
        p = self.model.p
        self.push_today = 0
        if p.wakeup_on > 0.0 and day - self.last_active == int(p.wakeup_after):
            self.push_today = 1
            if uniform(self.model.seed, day, self.index, R.WAKEUP, 0) < p.wakeup_success:
                self.push_today = 2
                self.last_active = day

    # -- 8. churn -------------------------------------------------------------------------
    def hazard(self, day):
        """Today's churn hazard."""
        p = self.model.p
        s = min(day - self.last_active, p.silence_cap)
        x = self.weekly
        logh = p.silence_w * s / 30.0 + p.fatigue_w * self.fatigue
        logh += p.trust_w * (0.5 - self.trust) - p.tier_w * self.tier
        logh += p.low_act_w * max(0.0, 3.0 - x)
        h = p.base_hazard * math.exp(logh)
        if self.posts > 0:
            h *= p.creator_factor
        if x > 5.0:
            h *= p.high_act_factor
        if self.referrer >= 0 and self.model.people[self.referrer].stage == L.MEMBER:
            h *= p.referrer_bond
        return h

    def maybe_churn(self, day):
        """Decide whether to leave today (``churn_today``); leaving happens in churn_apply."""
        self.churn_today = 0
        if self.model.p.churn_on > 0.0 and self.joined < day:
            p_leave = 1.0 - math.exp(-self.hazard(day))
            if uniform(self.model.seed, day, self.index, R.CHURN, 0) < p_leave:
                self.churn_today = 1

    # -- 9. purchases ---------------------------------------------------------------------
    def purchase(self, day):
        """Maybe buy today."""
        p = self.model.p
        self.revenue_today = 0.0
        if self.joined >= day:
            return
        prob = p.p_purchase * (1.0 + p.tier_spend * self.tier)
        prob *= 1.0 + p.eng_spend * min(1.0, self.weekly / 5.0)
        if uniform(self.model.seed, day, self.index, R.BUY, 0) < prob:
            amount = p.basket * self.model.segments[self.segment].spend
            self.revenue_today = amount
            self.revenue += amount


class ReferenceModel(mesa.Model):
    """The plain-Python twin of :class:`~growthsim.model.GrowthModel`.

    Same constructor, :meth:`step`, :meth:`run` and :attr:`metrics`; state lives on
    :class:`Person` agents (``model.people[i]``). Slow (pure Python): meant for graphs of a
    few thousand people.

    Parameters
    ----------
    scenario : Scenario, optional
    graph : SocialGraph, optional
    seed : int, optional
        As for :class:`GrowthModel`.

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 400, "seeding.initial_members": 5})
    >>> twin = ReferenceModel(sc, seed=1).run(days=10)
    >>> fast = gs.GrowthModel(sc, seed=1).run(days=10)
    >>> bool((twin["members"].to_numpy() == fast["members"].to_numpy()).all())
    True
    """

    # Non-kernel helpers shared with GrowthModel: they read only n, graph, scenario,
    # n_members, notes_stock, day and _ugc_yesterday, which this class keeps too.
    scenario = GrowthModel.scenario
    _choose = GrowthModel._choose
    _seed_ids = GrowthModel._seed_ids
    _context = GrowthModel._context
    _quiet = GrowthModel._quiet
    _record = GrowthModel._record    # the day's metrics row: bookkeeping, not a rule
    run = GrowthModel.run            # the same horizon loop, progress bar and metrics table
    metrics = GrowthModel.metrics

    def __init__(self, scenario=None, graph=None, seed=None):
        scenario, graph = resolve(scenario, graph, seed)
        super().__init__(rng=scenario.run.seed)
        self._scenario = scenario
        self._setup(pack_params(scenario, graph.n, graph.complete), pack_segments(scenario),
                    pack_levels(scenario), graph)
        ch = scenario.channels
        segs = scenario.population.segments
        self.draw_people(scenario.run.seed, np.cumsum([s.share for s in segs]),
                         (ch.on_private, ch.on_video, ch.on_notes),
                         scenario.content.ugc_concentration,
                         scenario.content.engagement_spread, graph.group, graph.segment)
        self._start_weekday = _WEEKDAY[scenario.run.start_weekday]
        self._seed_members()

    @classmethod
    def from_arrays(cls, I, F, P, SEG, LEV, graph, members=(), pending=(), follow=None,
                    notes_stock=0.0):
        """A model whose people hold a given state (for comparing single steps).

        Parameters
        ----------
        I, F : ndarray
            State in the kernels' layout (copied into the agents).
        P, SEG, LEV : ndarray
            Packed parameters.
        graph : SocialGraph
            Ties (and follow edges unless ``follow`` is given).
        members, pending : sequence of int
            The member list and today's joiners so far, in order.
        follow : (indptr, indices), optional
            Follow edges replacing the graph's.
        """
        self = cls.__new__(cls)
        mesa.Model.__init__(self, rng=int(P[L.P_SEED]))
        self._scenario = None
        self._setup(P, SEG, LEV, graph, follow)
        for person, irow, frow in zip(self.people, I, F):
            person.load(irow, frow)
        self.members = [self.people[int(i)] for i in members]
        self.pending = [self.people[int(i)] for i in pending]
        self.notes_stock = float(notes_stock)
        return self

    def _setup(self, P, SEG, LEV, graph, follow=None):
        self.graph = graph
        self.n = graph.n
        self.P = P
        self.p = named(P, L._P_NAMES)
        self.seed = int(P[L.P_SEED])
        self.segments = segment_rows(SEG)
        self.levels = level_rows(LEV)
        self.complete = self.p.complete > 0.0
        self.people = [Person(self, i) for i in range(self.n)]
        if not graph.complete:
            mult = graph.multiplicity
            for person in self.people:
                for e in range(graph.indptr[person.index], graph.indptr[person.index + 1]):
                    person.friends.append((self.people[int(graph.indices[e])],
                                           float(graph.weight[e]),
                                           int(mult[e]) if mult is not None else 1))
        if follow is None and graph.follow_indptr is not None:
            follow = (graph.follow_indptr, graph.follow_indices)
        self.has_follows = follow is not None
        if follow is not None:
            self._set_followers(*follow)
        self.members = []
        self.pending = []
        self.day = 0
        self.notes_stock = 0.0
        self._ugc_yesterday = 0
        self._hab_mean = 0.0  # members' mean reward habituation yesterday
        self._start_weekday = 0
        self._rows = []
        self._metrics = None

    def _set_followers(self, indptr, indices):
        for person in self.people:
            start, stop = int(indptr[person.index]), int(indptr[person.index + 1])
            person.followers = [self.people[int(j)] for j in indices[start:stop]]

    @property
    def n_members(self):
        """Members at the start of today (the member list)."""
        return len(self.members)

    def person(self, i):
        """The agent of person ``i``."""
        return self.people[i]

    def member_ids(self):
        """Indices of the current members, in joining order."""
        return np.array([m.index for m in self.members], dtype=np.int32)

    def to_arrays(self):
        """Everyone's state as ``(I, F)`` matrices in the kernels' layout."""
        rows = [person.row() for person in self.people]
        I = np.array([r[0] for r in rows], dtype=np.int32).reshape(self.n, L.N_I)
        F = np.array([r[1] for r in rows], dtype=np.float64).reshape(self.n, L.N_F)
        return I, F

    # -- set-up -------------------------------------------------------------------------
    def draw_people(self, seed, seg_cum, platform_p, ugc_sigma, taste_sigma=0.0, group=None,
                    segment=None):
        """Everyone's initial state (twin of :func:`growthsim.kernels.init.init_people`)."""
        for person in self.people:
            i = person.index
            person.draw_traits(seed, self.segments, seg_cum, platform_p, ugc_sigma, taste_sigma,
                               int(group[i]) if group is not None and len(group) else -1,
                               int(segment[i]) if segment is not None and len(segment)
                               else None)

    def _seed_members(self):
        self._add_now(self._seed_ids(), L.ACQ_SEED)

    def _add_now(self, ids, acq):
        """Make people members at once (seeds, signed KOCs); returns how many were new."""
        before = len(self.pending)
        for j in ids:
            person = self.people[int(j)]
            if person.stage != L.MEMBER:
                person.join(self.day, acq, L.PRIVATE)
        n_new = len(self.pending) - before
        self.finish_day()
        return n_new

    def _sign_kocs(self):
        kc = self.scenario.koc
        ids = self._choose(kc.count, kc.strategy, "koc")
        for j in ids:
            self.people[int(j)].koc = 1
        if self.graph.follow_indptr is None and kc.followers > 0 and len(ids):
            self._set_followers(*koc_followers(self.scenario.run.seed, self.n, ids,
                                               kc.followers))
            self.has_follows = True
        return self._add_now(ids, L.ACQ_KOC_SIGNED)

    # -- the steps of a day ---------------------------------------------------------------
    def content(self, day, today):
        """Step 1: every member sees today's content."""
        for person in self.members:
            person.see_content(day, today)

    def activity(self, day):
        """Step 2: who was active today."""
        for person in self.members:
            person.update_activity(day)

    def sharing(self, day, today):
        """Step 3: who shares today, and where."""
        for person in self.members:
            person.decide_share(day, today)

    def spread_shares(self, day, today):
        """Step 4: today's shares reach people, who may join.

        Returns [new_wom, new_koc, exposures, notes_shares, referral_lag_sum, reached,
        exposures_koc] like the kernel's ``out``.
        """
        p, seed, n, people = self.p, self.seed, self.n, self.people
        reached = []  # people exposed today, in order of their first exposure
        notes = 0
        by_koc = [0]

        def expose(sharer, person, path, w, c, counter, path_mult):
            if person.stage != L.MEMBER:
                by_koc[0] += sharer.koc
            if person.receive_share(day, today, sharer, path, w, c, counter, path_mult):
                reached.append(person)

        for sharer in self.members:
            channel = sharer.share_today - 1
            if channel < 0:
                continue
            s = sharer.index
            base = s << 24  # counters: one block per sharer, then draw number, then path
            if channel == L.PRIVATE:
                if self.complete:  # mean field: friends are random people
                    m = poisson(p.reach_private * (n - 1), seed, day, s, R.STRANGER_N, 0)
                    for r in range(m):
                        j = other(uniform(seed, day, s, R.STRANGER, r), s, n)
                        expose(sharer, people[j], L.PRIVATE, 1.0, 1, (base + r) * 4,
                               p.conv_private)
                else:
                    for friend, w, c in sharer.friends:
                        if p.reach_private < 1.0 and \
                                uniform(seed, day, friend.index, R.REACH, s) >= p.reach_private:
                            continue
                        expose(sharer, friend, L.PRIVATE, w, c, base * 4, p.conv_private)
            elif channel == L.VIDEO:
                for follower in sharer.followers:
                    if p.reach_followers < 1.0 and \
                            uniform(seed, day, follower.index, R.FOLLOW, s) >= p.reach_followers:
                        continue
                    expose(sharer, follower, L.VIDEO, 1.0, 1, base * 4 + 1, p.conv_video)
                m = poisson(p.video_strangers, seed, day, s, R.STRANGER_N, 1)
                for r in range(m):  # strangers: anyone but the sharer
                    j = other(uniform(seed, day, s, R.STRANGER, r + 1_000_000), s, n)
                    expose(sharer, people[j], L.VIDEO, 1.0, 1, (base + r) * 4 + 2,
                           p.conv_video)
            else:
                notes += 1  # notes reach people later, through discovery (step 5)
        new_wom = new_koc = exposures = lag = 0
        for person in reached:
            x = person.exp_today
            exposures += x
            person.exposures += x
            person.exp_today = 0
            if person.stage == L.UNAWARE:
                person.stage = L.AWARE
            if person.best_score < math.inf:
                referrer = people[person.best_ref]
                acq = L.ACQ_KOC if referrer.koc else L.ACQ_WOM
                person.join(day, acq, person.best_path, referrer)
                referrer.referrals += 1
                lag += day - referrer.joined
                if acq == L.ACQ_KOC:
                    new_koc += 1
                else:
                    new_wom += 1
        return [new_wom, new_koc, exposures, notes, lag, len(reached), by_koc[0]]

    def _outsider_may_join(self, person, purpose, k, day):
        if person.stage == L.MEMBER:
            return False
        if person.stage == L.CHURNED:
            return uniform(self.seed, day, k, purpose, 1) < self.p.rejoin
        return True

    def acquire(self, day, today, notes_today):
        """Step 5: joins from ads, unaided discovery and notes.

        Returns [new_paid, new_organic (incl. notes), new_notes, notes stock after today].
        """
        p, seed, n, people = self.p, self.seed, self.n, self.people
        new_paid = 0
        k_ads = poisson(today.impressions * p.p_ad * today.conv_mult, seed, day, 0, R.AD_N, 0)
        for k in range(k_ads):
            person = people[int(uniform(seed, day, k, R.AD, 0) * n)]
            if self._outsider_may_join(person, R.AD, k, day):
                person.join(day, L.ACQ_PAID, L.ADS)
                new_paid += 1
        new_organic = 0
        k_org = poisson(n * p.p_discover_day, seed, day, 0, R.ORGANIC_N, 0)
        for k in range(k_org):
            person = people[int(uniform(seed, day, k, R.ORGANIC, 0) * n)]
            if self._outsider_may_join(person, R.ORGANIC, k, day):
                person.join(day, L.ACQ_ORGANIC, L.PRIVATE)
                new_organic += 1
        stock = self.notes_stock * p.notes_keep + notes_today
        new_notes = 0
        k_notes = poisson(stock * p.notes_views, seed, day, 0, R.NOTE_N, 0)
        tw = p.trust_weight
        for k in range(k_notes):
            person = people[int(uniform(seed, day, k, R.NOTE, 0) * n)]
            if person.stage == L.MEMBER or not person.platforms & 4:
                continue
            q = p.p_convert * today.conv_mult * p.conv_notes
            q *= self.segments[person.segment].conversion * (1.0 - tw + 2.0 * tw * person.trust)
            if person.stage == L.CHURNED:
                q *= p.rejoin
            if uniform(seed, day, k, R.NOTE, 1) < q:
                person.join(day, L.ACQ_ORGANIC, L.NOTES)
                new_notes += 1
        return [new_paid, new_organic + new_notes, new_notes, stock]

    def rewards(self, day):
        """Step 6: rewards, tiers and habituation."""
        for person in self.members:
            person.reward(day)

    def interventions(self, day):
        """Step 7: wake-up pushes."""
        for person in self.members:
            person.maybe_wake(day)

    def churn_decide(self, day):
        """Step 8a: who leaves today."""
        for person in self.members:
            person.maybe_churn(day)

    def churn_apply(self, day, today):
        """Step 8b: churners leave, some telling their friends; returns (churned, emitters)."""
        p, seed, n = self.p, self.seed, self.n
        p_nwom = p.nwom_prob * today.nwom_mult
        hit = p.nwom_hit
        churned = emitters = 0
        for person in self.members:  # member-list order: trust hits multiply in this order
            if person.churn_today == 0:
                continue
            i = person.index
            churned += 1
            person.stage = L.CHURNED
            person.churn_day = day
            person.tier = 0
            if p_nwom <= 0.0 or uniform(seed, day, i, R.NWOM, 0) >= p_nwom:
                continue
            emitters += 1
            if self.complete:
                m = poisson(p.reach_private * (n - 1), seed, day, i, R.NWOM_N, 0)
                for r in range(m):
                    j = other(uniform(seed, day, i, R.NWOM, r + 2), i, n)
                    self.people[j].trust *= 1.0 - min(1.0, hit)
            else:
                for friend, w, _ in person.friends:
                    friend.trust *= 1.0 - min(1.0, hit * w)
        return churned, emitters

    def purchases(self, day):
        """Step 9: purchases."""
        for person in self.members:
            person.purchase(day)

    def crisis_shock(self, shock):
        """Step 10: a crisis lowers everyone's trust."""
        keep = 1.0 - shock
        for person in self.people:
            person.trust *= keep

    def census(self, day):
        """Today's figures over the member list (see :data:`growthsim.metrics.COLUMNS`).

        Sums run over the same fixed slices of the member list as the kernel, then
        today's joiners, and are added up in that order, so float totals match it.
        """
        shares_by_channel = (None, "shares_private", "shares_video", "shares_notes")
        members, n = self.members, len(self.members)
        parts = []
        for c in range(N_CHUNKS):
            part = [0.0] * N_CENSUS
            for person in members[c * n // N_CHUNKS:(c + 1) * n // N_CHUNKS]:
                part[_C["dau"]] += person.active_today
                part[_C["reads"]] += person.reads_today
                part[_C["interactions"]] += person.inter_today
                part[_C["ugc_posts"]] += person.posted_today
                if person.share_today > 0:
                    part[_C["shares"]] += 1
                    part[_C[shares_by_channel[person.share_today]]] += 1
                if person.push_today > 0:
                    part[_C["wakeups"]] += 1
                    if person.push_today == 2:
                        part[_C["wakeups_success"]] += 1
                part[_C["reward_cost_ladder"]] += person.reward_today
                part[_C["revenue"]] += person.revenue_today
                if person.revenue_today > 0.0:
                    part[_C["buyers"]] += 1
                part[_C["checkins"]] += person.checkin_today
                if person.stage == L.MEMBER:  # churned today: counted above, not below
                    part[_C["members"]] += 1
                    self._member_state(day, person, part)
            parts.append(part)
        last = [0.0] * N_CENSUS
        for person in self.pending:  # today's joiners are members at the end of the day
            last[_C["members"]] += 1
            self._member_state(day, person, last)
        parts.append(last)
        out = [0.0] * N_CENSUS
        for part in parts:
            for x in range(N_CENSUS):
                out[x] += part[x]
        m = out[_C["members"]]
        if m > 0:
            for name in ("trust_mean", "fatigue_mean", "habituation_mean",
                         "weekly_interactions"):
                out[_C[name]] /= m
        return out

    @staticmethod
    def _member_state(day, person, out):
        silence = day - person.last_active
        if silence < 7:
            out[_C["wau"]] += 1
        if silence < 30:
            out[_C["mau"]] += 1
        out[_C["trust_mean"]] += person.trust
        if person.trust < 0.3:
            out[_C["trust_low"]] += 1
        out[_C["fatigue_mean"]] += person.fatigue
        if person.fatigue > 0.7:
            out[_C["fatigue_high"]] += 1
        out[_C["habituation_mean"]] += person.habituation
        if silence > 7:
            out[_C["silent_7"]] += 1
        if silence > 30:
            out[_C["silent_30"]] += 1
        out[_C["weekly_interactions"]] += person.weekly
        out[_C["kocs"]] += person.koc
        if person.posts > 0:
            out[_C["creators"]] += 1
        out[_C["tier_0"] + min(person.tier, MAX_TIERS - 1)] += 1
        out[_C["members_seed"] + ACQ_SLOT[person.acq]] += 1

    def finish_day(self):
        """Churners leave the member list; today's joiners enter it."""
        self.members = [p for p in self.members if p.stage == L.MEMBER] + self.pending
        self.pending = []

    def step(self):
        """Advance one day, in the order of :meth:`GrowthModel.step`."""
        day, sc = self.day, self.scenario
        signed = self._sign_kocs() if (sc.koc.count > 0 and day == sc.koc.signed_day) else 0
        D, budget = self._context(day)
        today = named(D, L._D_NAMES)
        self.content(day, today)                                           # 1
        self.activity(day)                                                 # 2
        self.sharing(day, today)                                           # 3
        conv = self.spread_shares(day, today)                              # 4
        acq = self.acquire(day, today, float(conv[3]))                     # 5
        self.notes_stock = acq[3]
        self.rewards(day)                                                  # 6
        self.interventions(day)                                            # 7
        self.churn_decide(day)                                             # 8
        churned, emitters = self.churn_apply(day, today)
        self.purchases(day)                                                # 9
        for ev in sc.events:                                               # 10
            if ev.kind == "crisis" and ev.day == day and ev.trust_shock > 0:
                damp = (1.0 - ev.mitigation) if ev.handled_openly else 1.0
                self.crisis_shock(ev.trust_shock * damp)
        for person in self.pending:  # a reward the community knows is no surprise
            person.habituation = self.p.norm_hab * self._hab_mean
        cen = self.census(day)
        self._ugc_yesterday = int(cen[_C["ugc_posts"]])
        self._hab_mean = float(cen[_C["habituation_mean"]])
        joined_today = len(self.pending)
        self.finish_day()
        self._record(day, signed, D, budget, conv, acq, churned, emitters, cen, joined_today)

    def __repr__(self):
        name = self.scenario.name if self._scenario is not None else "arrays"
        return (f"ReferenceModel({name!r}, n={self.n:,}, day={self.day}, "
                f"members={self.n_members:,})")
