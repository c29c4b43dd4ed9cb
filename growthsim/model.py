"""GrowthModel: a Mesa model whose daily tick runs the numba kernels in order."""

import mesa
import numpy as np

from growthsim import metrics as M
from growthsim.kernels import layout as L
from growthsim.kernels.acquisition import acquisition_step
from growthsim.kernels.census import N_CENSUS, census
from growthsim.kernels.churn import churn_apply
from growthsim.kernels.conversion import conversion_step
from growthsim.kernels.events import crisis_shock
from growthsim.kernels.membership import finish_day, join, newcomers_habituation
from growthsim.kernels.purchases import purchases_step
from growthsim.kernels.tick import evening, morning
from growthsim.population import Population, derive_seed, koc_followers, pack_levels, \
    pack_params, pack_segments
from growthsim.scenario import Scenario
from growthsim.seeding import select

_WEEKDAY = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_EMPTY_I32 = np.zeros(0, dtype=np.int32)
_EMPTY_I64 = np.zeros(0, dtype=np.int64)
_REVENUE = len(M.FLOW_NAMES) + M.CENSUS_INDEX["revenue"]  # position in a packed metrics row


class GrowthModel(mesa.Model):
    """Word-of-mouth growth of a brand community, one day per step.

    Parameters
    ----------
    scenario : Scenario, optional
        All parameters (defaults: ``Scenario()``).
    graph : SocialGraph, optional
        The social graph. Defaults to the graph attached to the scenario (presets
        attach one), else the scenario's generator or edge-list file.
    seed : int, optional
        Overrides ``scenario.run.seed``.

    Attributes
    ----------
    day : int
        The next day to simulate (0 before the first step).
    population : Population
        Per-person state matrices.
    metrics : pandas.DataFrame
        One row per simulated day; columns documented in :mod:`growthsim.metrics`.

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 2_000,
    ...                                   "seeding.initial_members": 50})
    >>> model = gs.GrowthModel(sc, seed=7)
    >>> df = model.run(days=30)
    >>> len(df), int(df["members"].iloc[-1]) > 0
    (30, True)
    >>> model.member(int(model.member_ids()[0])).stage
    'member'
    """

    def __init__(self, scenario=None, graph=None, seed=None):
        scenario, graph = resolve(scenario, graph, seed)
        super().__init__(rng=scenario.run.seed)
        self._scenario = scenario
        self.graph = graph
        self.n = graph.n
        self.P = pack_params(scenario, self.n, graph.complete)
        self.SEG = pack_segments(scenario)
        self.LEV = pack_levels(scenario)
        self.population = Population(scenario, graph)
        self.members = np.zeros(self.n, dtype=np.int32)
        self.n_members = 0
        self._pending = np.zeros(self.n, dtype=np.int32)
        self._touched = np.zeros(self.n, dtype=np.int32)
        self._graph_arrays = _graph_arrays(graph)
        self._follow = (graph.follow_indptr, graph.follow_indices) \
            if graph.follow_indptr is not None else (_EMPTY_I64, _EMPTY_I32)
        self.day = 0
        self.notes_stock = 0.0
        self._ugc_yesterday = 0
        self._hab_mean = 0.0  # members' mean reward habituation yesterday
        self._start_weekday = _WEEKDAY[scenario.run.start_weekday]
        self._rows = []
        self._metrics = None
        self._buffers = (np.zeros(7), np.zeros(4), np.zeros(N_CENSUS))  # kernels' day outputs
        self._seed_members()

    # -- Mesa's own `scenario` slot holds its experimental Scenario; ours wins.
    @property
    def scenario(self):
        """The :class:`growthsim.Scenario` this model runs."""
        return self._scenario

    @scenario.setter
    def scenario(self, value):
        self._mesa_scenario = value
        value.model = self

    # -- set-up -------------------------------------------------------------
    def _seed_members(self):
        self._add_now(self._seed_ids(), L.ACQ_SEED)

    def _seed_ids(self):
        """The day-0 members: explicit ids, else chosen by the seeding strategy."""
        sd = self.scenario.seeding
        if sd.ids:
            ids = np.asarray(sd.ids, dtype=np.int64)
            if ids.max() >= self.n:
                from growthsim.errors import ScenarioError

                raise ScenarioError(f"person {int(ids.max())} does not exist (n = {self.n:,})",
                                    field="seeding.ids", file=self.scenario.source_file or None)
            return ids
        return self._choose(sd.initial_members, sd.strategy, "seed-members")

    def _choose(self, k, strategy, purpose):
        """k distinct people by `strategy` (:func:`growthsim.seeding.select`).

        KOCs are chosen under the cascade the scenario assumes (``koc.influence_p``, 0 meaning
        weighted cascade, and IMM's ``koc.epsilon``); day-0 seeds under the weighted cascade.
        """
        kw = {}
        if purpose == "koc":
            kc = self.scenario.koc
            kw = dict(p=kc.influence_p or None, epsilon=kc.epsilon)
        return select(self.graph, max(int(k), 0), strategy,
                      seed=derive_seed(self.scenario.run.seed, purpose), **kw)

    def _add_now(self, ids, acq):
        """Make people members immediately (seeds, signed KOCs)."""
        I, F = self.population.I, self.population.F
        n_new = 0
        for j in ids:
            if I[j, L.I_STAGE] != L.MEMBER:
                n_new = join(self.P, I, F, int(j), self.day, acq, L.PRIVATE, -1,
                             self._pending, n_new)
        self.n_members = finish_day(self.members, self.n_members, self._pending, n_new, I)
        return n_new

    def _sign_kocs(self):
        kc = self.scenario.koc
        ids = self._choose(kc.count, kc.strategy, "koc")
        I = self.population.I
        I[ids, L.I_KOC] = 1
        if self.graph.follow_indptr is None and kc.followers > 0 and len(ids):
            self._follow = koc_followers(self.scenario.run.seed, self.n, ids, kc.followers)
        return self._add_now(ids, L.ACQ_KOC_SIGNED)

    # -- one day -------------------------------------------------------------
    def _context(self, day):
        """Today's context vector ``D`` (content load, slot, campaign multipliers)."""
        sc = self.scenario
        co = sc.content
        wd = (self._start_weekday + day) % 7
        content_mult = share_mult = conv_mult = nwom_mult = 1.0
        for ev in sc.events:
            if ev.day <= day < ev.day + ev.duration:
                if ev.kind == "campaign":
                    content_mult *= ev.content_mult
                    share_mult *= ev.share_mult
                    conv_mult *= ev.conversion_mult
                else:
                    damp = (1.0 - ev.mitigation) if ev.handled_openly else 1.0
                    nwom_mult *= 1.0 + (ev.nwom_mult - 1.0) * damp
        posts = co.posts[wd] * content_mult
        nv, ni, npromo = posts * co.mix_value, posts * co.mix_interaction, posts * co.mix_promo
        ugc_seen = self._ugc_yesterday * co.ugc_audience / max(1, self.n_members)
        read_load = nv * co.read_value + ni * co.read_interaction + npromo * co.read_promo \
            + ugc_seen * co.read_ugc
        int_load = nv * co.interact_value + ni * co.interact_interaction \
            + npromo * co.interact_promo + ugc_seen * co.interact_ugc
        value_frac = nv * co.read_value / read_load if read_load > 0 else 0.0
        promo_frac = npromo * co.read_promo / read_load if read_load > 0 else 0.0
        herf = co.mix_value ** 2 + co.mix_interaction ** 2 + co.mix_promo ** 2
        sameness = (herf - 1.0 / 3.0) / (2.0 / 3.0)
        if wd >= 5:
            slot = co.weekend_factor
        else:
            slot = 1.0 - co.evening_share + co.evening_share * co.evening_boost
        budgets, shares = sc.ads.daily_budget, sc.ads.revenue_share
        budget = budgets[min(day // 365, len(budgets) - 1)]
        share = shares[min(day // 365, len(shares) - 1)]
        if share > 0 and self._rows:  # the plan's budget as a share of recent revenue
            recent = self._rows[-30:]
            budget += share * sum(r[_REVENUE] for r in recent) / len(recent)
        D = np.zeros(L.N_D)
        D[L.D_SLOT] = slot
        D[L.D_READ_LOAD] = read_load
        D[L.D_INT_LOAD] = int_load
        D[L.D_FAT_PER_READ] = co.fatigue_base + co.fatigue_sameness * sameness \
            + co.fatigue_promo * promo_frac
        D[L.D_VALUE_READ_FRAC] = value_frac
        D[L.D_PROMO_READ_FRAC] = promo_frac
        D[L.D_SHARE_MULT] = share_mult
        D[L.D_CONV_MULT] = conv_mult
        D[L.D_NWOM_MULT] = nwom_mult
        D[L.D_IMPRESSIONS] = budget / sc.ads.cpm * 1000.0
        return D, budget

    def step(self):
        """Advance the simulation by one day (the ten steps of docs/model.md).

        Examples
        --------
        >>> import growthsim as gs
        >>> sc = gs.Scenario().with_overrides({"population.n": 300, "seeding.initial_members": 20})
        >>> model = gs.GrowthModel(sc, seed=1)
        >>> model.step()
        >>> model.day, len(model.metrics)
        (1, 1)
        """
        day = self.day
        sc = self.scenario
        I, F = self.population.I, self.population.F
        P, SEG, LEV = self.P, self.SEG, self.LEV
        signed = self._sign_kocs() if (sc.koc.count > 0 and day == sc.koc.signed_day) else 0
        D, budget = self._context(day)
        mem, nm = self.members, self.n_members
        morning(day, mem, nm, P, D, SEG, LEV, I, F)         # 1-3 content, activity, sharing
        indptr, indices, weight, mult = self._graph_arrays
        conv, acq, cen = self._buffers
        n_pending = conversion_step(day, mem, nm, P, D, SEG, I, F, indptr, indices, weight,
                                    mult, self._follow[0], self._follow[1], self._touched,
                                    self._pending, 0, conv)                  # 4
        n_pending = acquisition_step(day, P, D, SEG, I, F, self.notes_stock, conv[3],
                                     self._pending, n_pending, acq)          # 5
        self.notes_stock = acq[3]
        evening(day, mem, nm, P, LEV, I, F)          # 6-8 rewards, wake-ups, churn decisions
        churned, emitters = churn_apply(day, mem, nm, P, D, I, F, indptr, indices, weight)
        purchases_step(day, mem, nm, P, SEG, I, F)                           # 9
        for ev in sc.events:                                                 # 10
            if ev.kind == "crisis" and ev.day == day and ev.trust_shock > 0:
                damp = (1.0 - ev.mitigation) if ev.handled_openly else 1.0
                crisis_shock(F, ev.trust_shock * damp)
        newcomers_habituation(self._pending, n_pending, F, P[L.P_NORM_HAB] * self._hab_mean)
        census(day, mem, nm, self._pending, n_pending, I, F, cen)
        self._ugc_yesterday = int(cen[M.CENSUS_INDEX["ugc_posts"]])
        self._hab_mean = float(cen[M.CENSUS_INDEX["habituation_mean"]])
        self.n_members = finish_day(mem, nm, self._pending, n_pending, I)
        self._record(day, signed, D, budget, conv, acq, churned, emitters, cen, n_pending)

    def _record(self, day, signed, D, budget, conv, acq, churned, emitters, cen, joined_today):
        """Append the day's metrics row (flows and census), advance the day, stop if quiet."""
        sc = self.scenario
        c = M.CENSUS_INDEX
        new_referred = conv[0] + conv[1]
        flows = dict(
            day=day, weekday=(self._start_weekday + day) % 7,
            new_members=new_referred + acq[0] + acq[1], new_wom=conv[0], new_koc=conv[1],
            new_paid=acq[0], new_organic=acq[1], new_notes=acq[2], kocs_signed=signed,
            churned=churned, nwom_emitters=emitters, exposures=conv[2], reached=conv[5],
            referral_lag_sum=conv[4], notes_stock=self.notes_stock,
            ad_cost=budget if D[L.D_IMPRESSIONS] > 0 else 0.0,
            koc_cost=cen[c["kocs"]] * sc.koc.fee / 30.0,  # fees for KOCs still members
            newcomer_reward_cost=new_referred * sc.rewards.newcomer_reward
            if sc.rewards.enabled else 0.0,
            intervention_cost=cen[c["wakeups"]] * sc.interventions.wakeup_cost,
            exposures_koc=conv[6], ad_impressions=D[L.D_IMPRESSIONS],
            checkin_cost=cen[c["checkins"]] * sc.content.checkin_cost,
        )
        self._rows.append(M.pack_row(flows, np.asarray(cen, dtype=float)))
        self._metrics = None
        self.day += 1
        if sc.run.stop_when_quiet and self._quiet(joined_today):
            self.running = False

    def _quiet(self, joined_today):
        """Nothing can change any more (used by the cascade presets)."""
        sc = self.scenario
        outside = sc.organic.p_discover > 0 or max(sc.ads.daily_budget) > 0 \
            or self.notes_stock > 1e-9 or (sc.koc.count > 0 and self.day <= sc.koc.signed_day)
        if outside:
            return False
        if sc.sharing.share_when == "on_join":
            return joined_today == 0
        return self.n_members == 0

    def run(self, days=None, progress=False):
        """Simulate ``days`` more days (default: the scenario's horizon from day 0).

        Parameters
        ----------
        days : int, optional
            Days to add; default ``scenario.run.days - day``.
        progress : bool
            Show a progress bar (terminal or Jupyter).

        Returns
        -------
        pandas.DataFrame
            :attr:`metrics`, one row per simulated day.

        Examples
        --------
        >>> import growthsim as gs
        >>> sc = gs.Scenario().with_overrides({"population.n": 300, "seeding.initial_members": 20})
        >>> model = gs.GrowthModel(sc, seed=1)
        >>> first = model.run(days=10)
        >>> both = model.run(days=5)                  # continues from day 10
        >>> len(first), len(both), int(both["day"].iloc[-1])
        (10, 15, 14)
        """
        days = self.scenario.run.days - self.day if days is None else int(days)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=days, unit="day", desc=self.scenario.name)
        for _ in range(days):
            if not self.running:
                break
            self.step()
            if bar is not None:
                bar.update(1)
                if self.day % 30 == 0:
                    bar.set_postfix(members=f"{self.n_members:,}")
        if bar is not None:
            bar.close()
        return self.metrics

    # -- checkpoints (growthsim.checkpoint) -------------------------------------
    def save(self, path, *, compress=False):
        """Write the complete state to ``path``; :meth:`load` resumes it exactly.

        See :func:`growthsim.checkpoint.save` (a ``.npz`` file with a JSON header, written
        atomically, no pickle).

        Examples
        --------
        >>> import growthsim as gs
        >>> sc = gs.Scenario().with_overrides({"population.n": 300, "seeding.initial_members": 20})
        >>> import pathlib, tempfile
        >>> model = gs.GrowthModel(sc, seed=1)
        >>> _ = model.run(days=5)
        >>> path = model.save(pathlib.Path(tempfile.mkdtemp()) / "day5.npz")
        >>> path.name, path.stat().st_size > 0
        ('day5.npz', True)
        """
        from growthsim.checkpoint import save

        return save(self, path, compress=compress)

    @classmethod
    def load(cls, path, *, strict=False):
        """The model saved in ``path``; running it on equals the uninterrupted run.

        See :func:`growthsim.checkpoint.load`: a missing, damaged or incompatible file
        raises :class:`growthsim.checkpoint.CheckpointError`; a file from other growthsim
        code warns (refused if ``strict``).

        Examples
        --------
        >>> import growthsim as gs
        >>> sc = gs.Scenario().with_overrides({"population.n": 300, "seeding.initial_members": 20})
        >>> import pathlib, tempfile
        >>> model = gs.GrowthModel(sc, seed=1)
        >>> _ = model.run(days=5)
        >>> path = model.save(pathlib.Path(tempfile.mkdtemp()) / "day5.npz")
        >>> resumed = GrowthModel.load(path)
        >>> resumed.day, resumed.metrics.equals(model.metrics)
        (5, True)
        """
        from growthsim.checkpoint import load

        return load(path, strict=strict, cls=cls)

    # -- inspection ----------------------------------------------------------
    @property
    def metrics(self):
        """Daily figures so far as a DataFrame (see :mod:`growthsim.metrics`).

        Examples
        --------
        >>> import growthsim as gs
        >>> sc = gs.Scenario().with_overrides({"population.n": 300, "seeding.initial_members": 20})
        >>> model = gs.GrowthModel(sc, seed=1)
        >>> _ = model.run(days=3)
        >>> model.metrics[["day", "members"]].shape
        (3, 2)
        """
        if self._metrics is None:
            self._metrics = M.frame(self._rows, self.scenario)
        return self._metrics

    def member_ids(self):
        """Indices of the current members, in joining order.

        Examples
        --------
        >>> import growthsim as gs
        >>> sc = gs.Scenario().with_overrides({"population.n": 300, "seeding.initial_members": 20})
        >>> model = gs.GrowthModel(sc, seed=1)
        >>> ids = model.member_ids()
        >>> len(ids) == model.n_members == 20
        True
        """
        return self.members[:self.n_members].copy()

    def member(self, i):
        """A :class:`mesa.Agent` view of person ``i`` for inspection.

        Examples
        --------
        >>> import growthsim as gs
        >>> sc = gs.Scenario().with_overrides({"population.n": 300, "seeding.initial_members": 20})
        >>> model = gs.GrowthModel(sc, seed=1)
        >>> p = model.member(int(model.member_ids()[0]))
        >>> p.stage, p.tier
        ('member', 0)
        """
        from growthsim.agents import PersonView

        return PersonView(self, int(i))

    def retention(self, days=(1, 7, 30, 365)):
        """Cohort retention table (see :func:`growthsim.metrics.cohort_retention`).

        Examples
        --------
        >>> import growthsim as gs
        >>> sc = gs.Scenario().with_overrides({"population.n": 300, "seeding.initial_members": 20})
        >>> model = gs.GrowthModel(sc, seed=1)
        >>> _ = model.run(days=40)
        >>> model.retention(days=(1, 30)).columns.tolist()
        ['size', 'd1', 'd30']
        """
        return M.cohort_retention(self.population, self.day, days)

    def __repr__(self):
        return (f"GrowthModel({self.scenario.name!r}, n={self.n:,}, day={self.day}, "
                f"members={self.n_members:,})")


def resolve(scenario, graph, seed):
    """The scenario (with ``seed`` applied) and the graph a model runs on.

    The graph is the one given, else the one attached to the scenario, else
    the scenario's generator or edge-list file.

    Examples
    --------
    >>> import growthsim as gs
    >>> from growthsim.graphs import ring
    >>> sc, graph = resolve(gs.Scenario(), ring(100, 4), seed=9)
    >>> sc.run.seed, graph.n
    (9, 100)
    """
    scenario = Scenario() if scenario is None else scenario
    if seed is not None:
        scenario = _with_seed(scenario, seed)
    if graph is None:
        graph = scenario.graph
    if graph is None:
        from growthsim.build import build_graph

        graph = build_graph(scenario, derive_seed(scenario.run.seed, "graph"))
    if graph.n < 2:
        raise ValueError(f"a model needs a graph of at least 2 people; got {graph.n}")
    return scenario, graph


def _with_seed(scenario, seed):
    """The scenario with another run.seed, validated like any value but without a rebuild."""
    import dataclasses

    from growthsim.scenario.schema import Run

    meta = {f.name: f.metadata for f in dataclasses.fields(Run)}["seed"]
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or not meta["lo"] <= seed <= meta["hi"]:
        from growthsim.errors import ScenarioError

        raise ScenarioError(f"must be an integer in [0, {meta['hi']:,}]; got {seed!r}",
                            field="run.seed")
    return dataclasses.replace(scenario, run=dataclasses.replace(scenario.run, seed=int(seed)))


def _graph_arrays(graph):
    if graph.complete:
        return (np.zeros(1, dtype=np.int64), _EMPTY_I32, np.zeros(0, dtype=np.float32),
                _EMPTY_I32)
    mult = graph.multiplicity if graph.multiplicity is not None else _EMPTY_I32
    return graph.indptr, graph.indices, graph.weight, mult
