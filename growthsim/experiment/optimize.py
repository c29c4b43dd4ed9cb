"""Lever optimisation: the best reward ladder, KOC plan, cadence or setting under a budget.

An optimisation file (TOML; docs/optimize.md) names a base scenario, an
objective, a budget and the levers to search::

    base = "../../scenarios/baseline.toml"   # relative to this file
    days = 730                               # optional: overrides run.days

    [set]                                    # fixed overrides of every candidate
    "population.n" = 20_000

    [objective]
    metric = "members_end"       # a yearly figure (growthsim.metrics.YEARLY_COLUMNS)
    year = 2                     # default: the last simulated year
    direction = "max"            # or "min"

    [budget]
    metric = "acquisition_cost"  # a yearly spend, or a list of them to add up
    max = 5e5                    # yuan
    # year = 2                   # that year's spend; default: summed over the whole run

    [search]
    ladder = ["none", "ladder_1_3_10", "two_sided"]   # names in growthsim.levers.LADDERS
    cadence = ["721", "weekday_evening"]             # names in CADENCES (koc_plan: KOC_PLANS)
    "koc.count" = [0, 10, 25]                        # any parameter: explicit values
    replications = 6             # replications of the finalists
    seed = 1                     # base seed of every candidate's replications (common)

    [search.ranges]              # number parameters: [lo, hi], Latin hypercube
    "koc.signed_day" = [0, 180]

The candidates are the product of the levers' values, or, when that is larger
than ``candidates`` (default 32) or a range is searched, a sample of that size
(a Latin hypercube over levers and ranges, scipy.stats.qmc). :func:`optimize`
evaluates them by successive halving under common random numbers: every
candidate with ``start_replications`` runs, the best fraction ``keep`` goes on
with more runs, and so on until ``finalists`` (or fewer) remain, which get the
full ``replications``. Every run goes through the results store (by
:func:`growthsim.experiment.sweep.run_sweep`), so a search interrupted even by
a kill resumes where it stopped, and a rerun computes nothing.

Budget feasibility is judged on the mean spend over the replications (or, with
``rule = "sure"``, on the upper end of its 95% interval). While racing, a
candidate whose spend is over budget on average but whose interval still reaches
under it is kept after the within-budget ones, and one whose whole interval is
over budget is dropped.
"""

import dataclasses
import itertools
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from growthsim.errors import ScenarioError
from growthsim.experiment.stats import paired_differences, summarize
from growthsim.experiment.sweep import Sweep, _field, _flat, _get, _int_in, _override, \
    _range, _unit_sample, _unknown, run_sweep
from growthsim.levers import CADENCES, KOC_PLANS, LADDERS
from growthsim.metrics import YEARLY_COLUMNS

TOP_KEYS = ("name", "description", "base", "days", "set", "objective", "budget", "search")
OBJECTIVE_KEYS = ("metric", "year", "direction")
BUDGET_KEYS = ("metric", "max", "year", "rule")
SEARCH_KEYS = ("method", "candidates", "replications", "seed", "sample_seed",
               "start_replications", "keep", "finalists", "ranges")
#: Levers that take names of designs in :mod:`growthsim.levers`.
DESIGNS = {"ladder": LADDERS, "koc_plan": KOC_PLANS, "cadence": CADENCES}
METHODS = ("halving", "full")
DIRECTIONS = ("max", "min")
BUDGET_RULES = ("mean", "sure")
#: Yearly figures a budget may add up (spend in yuan).
SPEND = ("acquisition_cost", "reward_cost", "ad_cost", "koc_cost")
#: Yearly figures an objective may use.
OBJECTIVES = tuple(c for c in YEARLY_COLUMNS if c not in ("year", "days")
                   and not c.startswith("tier_"))
MAX_CANDIDATES = 10_000
DEFAULT_CANDIDATES = 32
LEVEL = 0.95


@dataclasses.dataclass(frozen=True)
class Objective:
    """What to optimise: a yearly figure of one year, to maximise or minimise.

    Examples
    --------
    >>> Objective("ltv_cac_end", year=3).label
    'ltv_cac_end in year 3'
    """

    metric: str
    year: int
    direction: str = "max"

    @property
    def label(self):
        return f"{self.metric} in year {self.year}"


@dataclasses.dataclass(frozen=True)
class Budget:
    """A ceiling on spend: yearly spend figures added up over the run or in one year.

    Examples
    --------
    >>> Budget(("ad_cost", "koc_cost"), 5e5).label, Budget(year=2).label
    ('ad_cost + koc_cost over the run', 'acquisition_cost in year 2')
    """

    metrics: tuple = ("acquisition_cost",)
    max: float = math.inf
    year: int | None = None
    rule: str = "mean"

    @property
    def label(self):
        what = " + ".join(self.metrics)
        return what + (f" in year {self.year}" if self.year else " over the run")


@dataclasses.dataclass(frozen=True, eq=False)
class Candidate:
    """One combination of lever settings.

    ``settings`` maps each lever to its value as written (a design's name for
    ``ladder``/``koc_plan``/``cadence``); ``overrides`` are the dotted
    scenario overrides they amount to.

    Examples
    --------
    >>> c = load_optimization("experiments/optimize/quick.toml").candidates[4]
    >>> c.describe(), c.overrides["rewards.levels"][0]["kind"], c.overrides["koc.count"]
    ('ladder=badges_only, koc.count=5', 'badge', 5)
    """

    id: str
    settings: dict
    overrides: dict

    def describe(self):
        """``ladder=two_sided, koc.count=10`` (values of lists shortened)."""
        return ", ".join(f"{k}={_short(v)}" for k, v in self.settings.items())


@dataclasses.dataclass(frozen=True, eq=False)
class Optimization:
    """A checked optimisation specification (:func:`load_optimization`).

    Attributes
    ----------
    name, description : str
    file : str or None
    base : Scenario
        The base scenario with ``[set]`` and ``days`` applied.
    objective : Objective
    budget : Budget
    levers : tuple of str
        The searched levers, in file order (design levers, values, then ranges).
    candidates : tuple of Candidate
    space : int or None
        Size of the full product of the levers' values (None with ranges).
    merged : int
        Candidates dropped because they make the same scenario as an earlier one.
    replications, seed, start_replications, finalists : int
    method : str
        "halving" (successive halving) or "full" (every candidate, all replications).
    keep : float
        Fraction of candidates kept after each halving stage.

    Examples
    --------
    >>> opt = load_optimization("experiments/optimize/quick.toml")
    >>> opt
    Optimization('quick': 12 candidates over ladder, koc.count; max members_end in year 1;
    budget acquisition_cost over the run <= 30k)
    >>> opt.scenario("c005").koc.count, opt.scenario("c005").name
    (15, 'quick/c005')
    """

    name: str
    file: str | None
    base: object
    objective: Objective
    budget: Budget
    levers: tuple
    candidates: tuple
    space: int | None = None
    merged: int = 0
    replications: int = 6
    seed: int = 1
    method: str = "halving"
    start_replications: int = 2
    keep: float = 1 / 3
    finalists: int = 3
    description: str = ""

    def scenario(self, candidate):
        """The scenario a candidate (or its id) runs."""
        cand = self.candidate(candidate) if isinstance(candidate, str) else candidate
        return self.base.with_overrides({**cand.overrides, "name": f"{self.name}/{cand.id}"})

    def candidate(self, cid):
        for cand in self.candidates:
            if cand.id == cid:
                return cand
        raise KeyError(cid)

    def schedule(self):
        """The planned stages: ``[(candidates, replications), ...]`` if nothing is dropped
        for its budget (then fewer run).

        Examples
        --------
        >>> opt = load_optimization("experiments/optimize/levers.toml")
        >>> opt.schedule(), opt.planned_runs()
        ([(15, 1), (5, 4), (3, 6)], 36)
        """
        n, r, out = len(self.candidates), self.start_replications, []
        if self.method == "full":
            return [(n, self.replications)]
        while True:
            final = n <= self.finalists or r >= self.replications
            out.append((n, self.replications if final else r))
            if final:
                return out
            n = max(self.finalists, math.ceil(n * self.keep))
            r = min(self.replications, max(r + 1, math.ceil(r / self.keep)))

    def planned_runs(self):
        """Distinct runs of :meth:`schedule` (survivors keep their earlier runs)."""
        total, prev = 0, 0
        for n, r in self.schedule():
            total += n * (r - prev)
            prev = r
        return total

    def __len__(self):
        return len(self.candidates)

    def __repr__(self):
        return (f"Optimization({self.name!r}: {len(self)} candidates over "
                f"{', '.join(self.levers)}; {self.objective.direction} "
                f"{self.objective.label}; budget {self.budget.label} <= {_money(self.budget.max)})")


# -- reading the file ---------------------------------------------------------------------------

def load_optimization(path):
    """Read and check an optimisation file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Optimization

    Raises
    ------
    ScenarioError
        One line naming the file and the field: unknown keys or design names,
        wrong types, values outside the schema's bounds, a candidate that is
        not a valid scenario, a lever that [set] or another lever also sets.

    Examples
    --------
    >>> opt = load_optimization("experiments/optimize/levers.toml")
    >>> opt.levers, len(opt)
    (('ladder', 'cadence', 'koc.count', 'koc.strategy'), 15)
    >>> opt.objective, opt.budget.label
    (Objective(metric='members_end', year=5, direction='max'), 'acquisition_cost over the run')
    """
    from growthsim.scenario import load_scenario

    path = Path(path)
    data = _read(path)
    _unknown(data, TOP_KEYS, path, "")
    base_name = _get(data, "base", str, path)
    if base_name is None or not base_name.strip():
        raise ScenarioError("missing: the base scenario file, e.g. base = "
                            "\"scenarios/baseline.toml\"", file=path, field="base")
    base = load_scenario(path.parent / base_name)
    fixed = _flat(_get(data, "set", dict, path) or {}, path, "set")
    base = _override(base, fixed, path, "set")
    days = _get(data, "days", int, path)
    if days is not None:
        try:
            base = base.with_overrides({"run.days": days})
        except ScenarioError as exc:
            raise ScenarioError(exc.message, file=path, field="days") from None
    years = int((base.run.days - 1) // 365.25) + 1
    objective = _objective(_get(data, "objective", dict, path), years, path)
    budget = _budget(_get(data, "budget", dict, path) or {}, years, path)
    search = _get(data, "search", dict, path)
    if search is None:
        raise ScenarioError("missing: the levers to search, e.g. [search] ladder = "
                            "[\"none\", \"two_sided\"]", file=path, field="search")
    ctl = _controls(search, base, path)
    levers, values, ranges = _levers(search, path)
    _collisions(levers, values, fixed, path)
    combos, space = _combinations(values, ranges, ctl["candidates"], ctl["sample_seed"], path)
    candidates, merged = _candidates(base, values, ranges, combos, ctl["candidates"], path)
    return Optimization(
        name=_get(data, "name", str, path) or path.stem, file=str(path), base=base,
        objective=objective, budget=budget, levers=tuple(levers), candidates=candidates,
        space=space, merged=merged, replications=ctl["replications"], seed=ctl["seed"],
        method=ctl["method"], start_replications=ctl["start_replications"], keep=ctl["keep"],
        finalists=ctl["finalists"], description=_get(data, "description", str, path) or "")


def _read(path):
    import tomllib

    from growthsim.scenario.loader import _decode, _toml_problem

    if path.is_dir():
        raise ScenarioError("is a directory; expected an optimisation file (.toml)", file=path)
    if not path.is_file():
        raise ScenarioError("no such optimisation file", file=path)
    try:
        return tomllib.loads(_decode(path.read_bytes(), path))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(_toml_problem(exc, path), file=path) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read file ({exc.strerror or exc})", file=path) from None


def _choice(table, key, options, default, path, prefix):
    value = table.get(key, default)
    if value not in options:
        raise ScenarioError(f"must be one of {', '.join(map(repr, options))}; got {value!r}",
                            file=path, field=prefix + key)
    return value


def _objective(table, years, path):
    if table is None:
        raise ScenarioError("missing: what to optimise, e.g. [objective] metric = "
                            "\"members_end\"", file=path, field="objective")
    _unknown(table, OBJECTIVE_KEYS, path, "objective.")
    if "metric" not in table:
        raise ScenarioError(f"missing: a yearly figure, one of {', '.join(OBJECTIVES)}",
                            file=path, field="objective.metric")
    metric = _choice(table, "metric", OBJECTIVES, None, path, "objective.")
    year = _int_in(table, "year", 1, years, years, path, "objective.")
    direction = _choice(table, "direction", DIRECTIONS, "max", path, "objective.")
    return Objective(metric, year, direction)


def _budget(table, years, path):
    _unknown(table, BUDGET_KEYS, path, "budget.")
    metrics = table.get("metric", "acquisition_cost")
    metrics = [metrics] if isinstance(metrics, str) else metrics
    if not isinstance(metrics, list) or not metrics or \
            any(m not in SPEND for m in metrics) or len(set(metrics)) < len(metrics):
        raise ScenarioError(f"must be a spend figure or a list of distinct ones from "
                            f"{', '.join(SPEND)}; got {table.get('metric')!r}", file=path,
                            field="budget.metric")
    if "acquisition_cost" in metrics and len(metrics) > 1:
        raise ScenarioError("acquisition_cost already includes ad_cost, koc_cost and "
                            "reward_cost; adding them would count spend twice", file=path,
                            field="budget.metric")
    cap = table.get("max", math.inf)
    if isinstance(cap, bool) or not isinstance(cap, (int, float)) or not cap >= 0:
        raise ScenarioError(f"must be a number >= 0 (yuan); got {cap!r}", file=path,
                            field="budget.max")
    year = _int_in(table, "year", 1, years, None, path, "budget.")
    rule = _choice(table, "rule", BUDGET_RULES, "mean", path, "budget.")
    return Budget(tuple(metrics), float(cap), year, rule)


def _controls(search, base, path):
    p = "search."
    out = {
        "method": _choice(search, "method", METHODS, "halving", path, p),
        "candidates": _int_in(search, "candidates", 1, MAX_CANDIDATES, DEFAULT_CANDIDATES,
                              path, p),
        "replications": _int_in(search, "replications", 1, 1_000, 6, path, p),
        "seed": _int_in(search, "seed", 0, 2**53 - 1, base.run.seed, path, p),
        "finalists": _int_in(search, "finalists", 1, MAX_CANDIDATES, 3, path, p),
    }
    out["sample_seed"] = _int_in(search, "sample_seed", 0, 2**63 - 1, out["seed"], path, p)
    out["start_replications"] = _int_in(search, "start_replications", 1,
                                        out["replications"], min(2, out["replications"]),
                                        path, p)
    keep = search.get("keep", 1 / 3)
    if isinstance(keep, bool) or not isinstance(keep, (int, float)) or not 0 < keep < 1:
        raise ScenarioError(f"must be a fraction in (0, 1); got {keep!r}", file=path,
                            field=p + "keep")
    out["keep"] = float(keep)
    return out


def _levers(search, path):
    """Design levers and value lists (name -> list) and ranges (key -> (lo, hi, type))."""
    values = {}
    for key, value in search.items():
        if key in SEARCH_KEYS:
            continue
        if key in DESIGNS:
            values[key] = _design_names(key, value, path)
    rest = {k: v for k, v in search.items() if k not in SEARCH_KEYS and k not in DESIGNS}
    for key, value in _flat(rest, path, "search").items():
        if "." not in key:
            _unknown({key: None}, (*DESIGNS, *SEARCH_KEYS, "<section>.<parameter>"), path,
                     "search.")
        _field(key, path, "search")
        if not isinstance(value, list) or not value:
            raise ScenarioError(f"must be a non-empty list of values (or a [lo, hi] range "
                                f"under [search.ranges]); got {value!r}", file=path,
                                field=f"search.{key}")
        values[key] = list(value)
    ranges_table = _get(search, "ranges", dict, path, "search.") or {}
    ranges = {}
    for key, value in _flat(ranges_table, path, "search.ranges").items():
        try:
            ranges[key] = _range(key, value, path)
        except ScenarioError as exc:  # the sweep's check, re-addressed to this file's table
            field = "search.ranges." + (exc.field or "").removeprefix("sample.")
            raise ScenarioError(exc.message.replace("[grid]", "[search] value list"),
                                file=path, field=field) from None
        if key in values:
            raise ScenarioError("searched twice: as a value list and as a range", file=path,
                                field=f"search.ranges.{key}")
    if not values and not ranges:
        raise ScenarioError("no levers to search: add e.g. ladder = [\"none\", \"two_sided\"] "
                            "or \"koc.count\" = [0, 10]", file=path, field="search")
    return [*values, *ranges], values, ranges


def _design_names(key, value, path):
    table = DESIGNS[key]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"must be a non-empty list of design names; got {value!r}",
                            file=path, field=f"search.{key}")
    for name in value:
        if name not in table:
            raise ScenarioError(f"unknown design {name!r}; valid: {', '.join(table)}",
                                file=path, field=f"search.{key}")
    if len(set(value)) < len(value):
        raise ScenarioError(f"lists a design twice: {value!r}", file=path,
                            field=f"search.{key}")
    return list(value)


def _collisions(levers, values, fixed, path):
    """A parameter set by two levers, or by [set] and a lever, is ambiguous: an error."""
    owner = {}
    for lever in levers:
        keys = {lever}
        if lever in DESIGNS:
            keys = {k for name in values[lever] for k in DESIGNS[lever][name]["overrides"]}
        for key in sorted(keys):
            if key in owner:
                raise ScenarioError(f"{key} is set both by {owner[key]} and by {lever}; "
                                    "search one or the other", file=path,
                                    field=f"search.{lever}")
            if key in fixed:
                raise ScenarioError(f"{key} is fixed in [set] and searched by {lever}; drop "
                                    "one", file=path, field=f"set.{key}")
            owner[key] = lever


def _combinations(values, ranges, n, seed, path):
    """``(order, lever indices, range fractions)`` of candidates in the order they are drawn,
    and the size of the levers' product (None with ranges).

    A sample of the product is a Latin hypercube over the levers' value lists (each
    value drawn about equally often), followed by a random order of the whole product, so
    that candidates merged as repeats or equivalents are replaced by the next ones drawn.
    """
    sizes = [len(v) for v in values.values()]
    space = math.prod(sizes)
    if space > 2**62:
        raise ScenarioError(f"the levers' values make {space:.3g} combinations; search fewer",
                            file=path, field="search")
    if not ranges and space <= n:
        return [(k, idx, ()) for k, idx in
                enumerate(itertools.product(*map(range, sizes)))], space
    if not ranges:
        rng = np.random.default_rng(seed)
        lhs = [tuple(int(x * s) for x, s in zip(row, sizes))
               for row in _unit_sample("lhs", n, len(sizes), seed)]
        rest = rng.permutation(space) if space <= 1_000_000 else \
            rng.choice(space, size=min(space, 4 * n), replace=False)
        more = (tuple(int(i) for i in np.unravel_index(k, sizes)) for k in rest)
        return ((k, idx, ()) for k, idx in enumerate(itertools.chain(lhs, more))), space
    u = _unit_sample("lhs", n, len(sizes) + len(ranges), seed)
    return [(k, tuple(int(x * s) for x, s in zip(row, sizes)), tuple(row[len(sizes):]))
            for k, row in enumerate(u)], None


def _candidates(base, values, ranges, combos, limit, path):
    """Up to ``limit`` candidates making distinct scenarios, in product (or sample) order,
    and how many were merged into an earlier equivalent one (:func:`same_as`)."""
    out, seen, merged = [], set(), 0
    for order, idx, fractions in combos:
        if len(out) == limit:
            break
        settings = {key: values[key][i] for key, i in zip(values, idx)}
        for (key, (lo, hi, tp)), x in zip(ranges.items(), fractions):
            settings[key] = int(min(hi, math.floor(lo + x * (hi - lo + 1)))) if tp is int \
                else float(lo + x * (hi - lo))
        overrides = {}
        for key, value in settings.items():
            overrides.update(DESIGNS[key][value]["overrides"] if key in DESIGNS
                             else {key: value})
        sc = _override(base, overrides, path, "search")
        h = same_as(sc)
        if h in seen:  # e.g. koc.count = 0 under two strategies: one scenario
            merged += 1
            continue
        seen.add(h)
        out.append((order, settings, overrides))
    out = [(s, o) for _, s, o in sorted(out, key=lambda item: item[0])]
    width = max(3, len(str(len(out) - 1)))
    return tuple(Candidate(f"c{k:0{width}d}", s, o) for k, (s, o) in enumerate(out)), merged


def same_as(scenario):
    """A key shared by scenarios that must give the same runs: their parameters, except that
    without KOCs the KOC plan's other settings (strategy, fee, ...) cannot matter.

    Examples
    --------
    >>> import growthsim as gs
    >>> a = gs.Scenario().with_overrides({"koc.count": 0, "koc.strategy": "imm"})
    >>> b = gs.Scenario().with_overrides({"koc.count": 0, "koc.strategy": "random"})
    >>> same_as(a) == same_as(b), same_as(a.with_overrides({"koc.count": 5})) == same_as(
    ...     b.with_overrides({"koc.count": 5}))
    (True, False)
    """
    from growthsim.store import scenario_hash

    if scenario.koc.count == 0:
        scenario = dataclasses.replace(scenario, koc=type(scenario.koc)())
    return scenario_hash(scenario)


# -- searching ----------------------------------------------------------------------------------

def optimize(spec_or_path, *, store, executor="processes", workers=None, progress=False,
             force=False):
    """Search the levers of an optimisation for the best objective within the budget.

    Parameters
    ----------
    spec_or_path : Optimization or str or Path
        A spec (:func:`load_optimization`) or its file.
    store : growthsim.store.Store
        Open and writable; every run goes into it as it finishes, and runs it
        already holds are reused (a rerun computes nothing).
    executor : {"processes", "serial", "dask"}, "dask://host:port" or Executor
        Where runs are computed; results do not depend on it.
    workers : int, optional
    progress : bool or callable
        A progress bar over the planned runs, or ``progress(done, total)``
        after each stored run.
    force : bool
        Recompute runs the store already holds.

    Returns
    -------
    OptimizationResult

    Examples
    --------
    >>> import tempfile
    >>> from growthsim import store as gstore
    >>> opt = load_optimization("experiments/optimize/quick.toml")
    >>> opt = dataclasses.replace(opt, base=opt.base.with_overrides(
    ...     {"population.n": 300, "run.days": 30}), candidates=opt.candidates[:2],
    ...     replications=2)
    >>> [c.describe() for c in opt.candidates]
    ['ladder=none, koc.count=0', 'ladder=none, koc.count=5']
    >>> with tempfile.TemporaryDirectory() as d, gstore.open(f"{d}/o.duckdb") as st:
    ...     res = optimize(opt, store=st, executor="serial")
    >>> res.best["settings"], res.computed
    ({'ladder': 'none', 'koc.count': 5}, 4)
    """
    spec = spec_or_path if isinstance(spec_or_path, Optimization) \
        else load_optimization(spec_or_path)
    bar = _Progress(progress, spec.planned_runs())
    try:
        return _Search(spec, store, executor, workers, force, bar).run()
    finally:
        bar.close()


class _Search:
    """The stages of one search: run them, keep every run's objective and spend."""

    def __init__(self, spec, store, executor, workers, force, bar):
        self.spec, self.store, self.bar = spec, store, bar
        self.executor, self.workers, self.force = executor, workers, force
        self.runs = pd.DataFrame()
        self.computed = 0
        self.computed_ids = set()

    def run(self):
        spec = self.spec
        alive = list(spec.candidates)
        r = spec.replications if spec.method == "full" else spec.start_replications
        tables, stages, prev = [], [], 0
        for stage in itertools.count():
            final = spec.method == "full" or len(alive) <= spec.finalists \
                or r >= spec.replications
            r = spec.replications if final else r
            self._evaluate(alive, r, prev)
            table = rank(_stage_table(self.runs, alive, stage, r), spec)
            stages.append({"stage": stage, "candidates": len(alive), "replications": r})
            if final:
                table["advanced"] = False
                tables.append(table)
                break
            k = max(spec.finalists, math.ceil(len(alive) * spec.keep))
            ok = table[table["budget_status"] != "over"]
            kept = list(ok["candidate"].iloc[:k])
            table["advanced"] = table["candidate"].isin(kept)
            tables.append(table)
            if not kept:  # every candidate is surely over budget: nothing to refine
                break
            alive = [spec.candidate(c) for c in kept]
            prev, r = r, min(spec.replications, max(r + 1, math.ceil(r / spec.keep)))
        reused = len(set(self.runs["run_id"]) - self.computed_ids)
        return OptimizationResult(spec, pd.concat(tables, ignore_index=True), self.runs,
                                  stages, computed=self.computed, reused=reused)

    def _evaluate(self, cands, reps, prev):
        """Run (or load) replications ``0 .. reps-1`` of ``cands`` through the store."""
        spec = self.spec
        sweep = Sweep(name=spec.name, file=spec.file, base=spec.base, replications=reps,
                      seed=spec.seed, params=(), overrides=tuple(c.overrides for c in cands),
                      metrics=("members",), description=spec.description)
        self.bar.stage(len(cands) * prev)
        res = run_sweep(sweep, store=self.store, executor=self.executor, workers=self.workers,
                        force=self.force, progress=self.bar.update)
        self.bar.done_stage(len(cands) * (reps - prev))
        self.computed += res.computed
        runs = res.stored.runs
        self.computed_ids |= set(runs.loc[~runs["reused"], "run_id"])
        ids = {f"{spec.name}/{pid}": c.id for (pid, _, _), c in zip(sweep.points(), cands)}
        per_run = run_figures(res.stored.yearly(), spec.objective, spec.budget).merge(
            runs[["scenario", "replication", "run_id"]], on=["scenario", "replication"])
        per_run["candidate"] = per_run["scenario"].map(ids)
        cols = ["candidate", "replication", "seed", "run_id", "objective", "spend"]
        both = pd.concat([self.runs, per_run[cols]], ignore_index=True)
        self.runs = both.drop_duplicates(["candidate", "replication"], keep="last") \
            .sort_values(["candidate", "replication"], ignore_index=True)



def _stage_table(runs, cands, stage, reps):
    """Objective and spend of ``cands`` over their replications ``0 .. reps-1``."""
    ids = [c.id for c in cands]
    sel = runs[runs["candidate"].isin(ids) & (runs["replication"] < reps)]
    s = summarize(sel.drop(columns=["seed", "run_id"]), ["objective", "spend"],
                  by="candidate", level=LEVEL)
    rows = []
    for c in cands:
        o, m = s.loc[(c.id, "objective")], s.loc[(c.id, "spend")]
        rows.append({"stage": stage, "candidate": c.id, **c.settings,
                     "replications": int(o["n"]), "objective_mean": o["mean"],
                     "objective_ci_low": o["ci_low"], "objective_ci_high": o["ci_high"],
                     "spend_mean": m["mean"], "spend_ci_low": m["ci_low"],
                     "spend_ci_high": m["ci_high"]})
    return pd.DataFrame(rows)


def run_figures(yearly, objective, budget):
    """Each run's objective and spend from its yearly figures.

    Parameters
    ----------
    yearly : pandas.DataFrame
        ``scenario, replication, seed, year`` and yearly figures, one row per run and year.
    objective : Objective
    budget : Budget

    Returns
    -------
    pandas.DataFrame
        ``scenario, replication, seed, objective, spend``.

    Examples
    --------
    >>> y = pd.DataFrame({"scenario": ["a"] * 2, "replication": [0, 0], "seed": [7, 7],
    ...                   "year": [1, 2], "members_end": [10, 30], "ad_cost": [5.0, 6.0],
    ...                   "koc_cost": [1.0, 1.0]})
    >>> run_figures(y, Objective("members_end", 2), Budget(("ad_cost", "koc_cost"), 20.0))
      scenario  replication  seed  objective  spend
    0        a            0     7       30.0   13.0
    """
    keys = ["scenario", "replication", "seed"]
    y = yearly.assign(_spend=yearly[list(budget.metrics)].sum(axis=1))
    obj = y[y["year"] == objective.year].set_index(keys)[objective.metric].astype(float)
    spent = y if budget.year is None else y[y["year"] == budget.year]
    spend = spent.groupby(keys, sort=False)["_spend"].sum()
    out = pd.DataFrame({"objective": obj, "spend": spend.reindex(obj.index)}).reset_index()
    return out[[*keys, "objective", "spend"]]


def rank(table, spec):
    """Rank one stage's candidates: within budget first, then possibly within, then the
    objective (best first); adds ``budget_status``, ``feasible`` and ``rank``.

    ``budget_status`` is "within" (the budget rule holds), "uncertain" (it
    does not, but the spend's interval reaches under the cap) or "over" (the
    whole interval is over the cap). ``feasible`` is "within".

    Examples
    --------
    >>> spec = load_optimization("experiments/optimize/quick.toml")   # max, budget 30k
    >>> t = pd.DataFrame({"candidate": ["a", "b", "c", "d"],
    ...                   "objective_mean": [50.0, 90.0, 70.0, 99.0],
    ...                   "spend_mean": [1e4, 2.9e4, 3.1e4, 4e4],
    ...                   "spend_ci_low": [9e3, 2.8e4, 2.9e4, 3.5e4],
    ...                   "spend_ci_high": [1.1e4, 3.2e4, 3.3e4, 4.5e4]})
    >>> rank(t, spec)[["rank", "candidate", "budget_status"]].values.tolist()
    [[1, 'b', 'within'], [2, 'a', 'within'], [3, 'c', 'uncertain'], [4, 'd', 'over']]
    """
    cap, t = spec.budget.max, table.copy()
    mean = t["spend_mean"].to_numpy(float)
    low = np.where(np.isfinite(t["spend_ci_low"]), t["spend_ci_low"], mean)
    high = np.where(np.isfinite(t["spend_ci_high"]), t["spend_ci_high"], mean)
    within = (high if spec.budget.rule == "sure" else mean) <= cap
    t["budget_status"] = np.where(within, "within", np.where(low <= cap, "uncertain", "over"))
    t["feasible"] = within
    order = {"within": 0, "uncertain": 1, "over": 2}
    sign = -1.0 if spec.objective.direction == "max" else 1.0
    t["_k"] = t["budget_status"].map(order)
    t["_o"] = sign * t["objective_mean"].fillna(sign * np.inf)  # NaN ranks last
    t = t.sort_values(["_k", "_o", "candidate"], kind="stable", ignore_index=True)
    t["rank"] = np.arange(1, len(t) + 1)
    return t.drop(columns=["_k", "_o"])


class _Progress:
    """One progress bar (or callback) over the planned runs of every stage."""

    def __init__(self, progress, total):
        self.total, self.base, self.offset, self.shown = total, 0, 0, None
        self.callback = progress if callable(progress) else None
        self.bar = None
        if progress and not callable(progress):
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="run", desc="optimize", dynamic_ncols=True)

    def stage(self, already):
        self.offset = already  # runs of this stage's sweep done in earlier stages

    def update(self, done, _stage_total):
        self._show(max(self.base, self.base + done - self.offset))

    def done_stage(self, new):
        self.base += new
        self._show(self.base)

    def _show(self, done):
        done = min(done, self.total)
        if done == self.shown:
            return
        self.shown = done
        if self.bar is not None:
            self.bar.n = done
            self.bar.refresh()
        if self.callback is not None:
            self.callback(done, self.total)

    def close(self):
        if self.bar is not None:
            self.bar.close()


# -- results ------------------------------------------------------------------------------------

#: ``schema`` of an optimisation's summary.json.
OPTIMIZE_SCHEMA = "growthsim.optimize/1"


class OptimizationResult:
    """What :func:`optimize` found.

    Attributes
    ----------
    spec : Optimization
    candidates : pandas.DataFrame
        Tidy, one row per candidate and stage it took part in: ``stage,
        candidate``, the lever settings, ``replications``, objective and spend
        mean and 95% interval, ``budget_status``, ``feasible``, ``rank``
        (within the stage) and ``advanced`` (kept for the next stage).
    runs : pandas.DataFrame
        One row per run: ``candidate, replication, seed, run_id, objective, spend``.
    stages : list of dict
        ``stage, candidates, replications`` of each stage.
    finalists : pandas.DataFrame
        The last stage, best first, with the paired difference to the best
        (``diff``, ``diff_ci_low``, ``diff_ci_high``, ``p_value``) and
        ``tied`` (its interval holds 0: cannot be told apart from the best).
    best : dict or None
        The best feasible finalist: ``candidate, settings, overrides,
        objective, spend`` (each ``mean, ci_low, ci_high, n``), ``budget_sure``;
        None if no finalist is within the budget.
    runner_up : dict or None
    comparison : dict or None
        Best minus runner-up (paired by replication): ``diff, ci_low, ci_high,
        n, p_value, distinguishable``.
    computed, reused : int
        Runs computed by this call / found in the store.

    Examples
    --------
    Two candidates of quick.toml, each run three times under the same seeds:

    >>> spec = load_optimization("experiments/optimize/quick.toml")
    >>> runs = pd.DataFrame({"candidate": ["c000"] * 3 + ["c001"] * 3,
    ...                      "replication": [0, 1, 2] * 2, "seed": [11, 12, 13] * 2,
    ...                      "run_id": list("abcdef"),
    ...                      "objective": [30.0, 36.0, 33.0, 41.0, 46.0, 44.0],
    ...                      "spend": [0.0, 0.0, 0.0, 9000.0, 9100.0, 8900.0]})
    >>> res = OptimizationResult.from_runs(spec, runs)
    >>> res.best["settings"], res.best["objective"]["mean"], res.best["spend"]["mean"]
    ({'ladder': 'none', 'koc.count': 5}, 43.66..., 9000.0)
    >>> c = res.comparison
    >>> c["runner_up"], round(c["diff"], 2), c["distinguishable"]
    ('c000', 10.67, True)
    >>> print(res.finalists_text())
     rank candidate ladder koc.count  reps       members_end             spend budget              vs best
        1      c001   none         5     3 43.7 [37.4, 49.9] 9k [8.75k, 9.25k] within
        2      c000   none         0     3   33 [25.5, 40.5]          0 [0, 0] within -10.7 [-12.1, -9.23]
    """

    def __init__(self, spec, candidates, runs, stages, computed=0, reused=0):
        self.spec, self.candidates, self.runs = spec, candidates, runs
        self.stages, self.computed, self.reused = stages, computed, reused
        self.finalists = self._finalists()
        ok = self.finalists[self.finalists["feasible"]]
        self.best = self._pick(ok, 0)
        self.runner_up = self._pick(ok, 1)
        self.comparison = self._comparison()

    @classmethod
    def from_runs(cls, spec, runs):
        """A one-stage result from runs of some of ``spec``'s candidates (all replications).

        ``runs`` has one row per run: ``candidate, replication, seed, run_id,
        objective, spend`` (as :attr:`runs`); every candidate in it is a finalist.
        """
        ids = list(dict.fromkeys(runs["candidate"]))
        cands = [spec.candidate(c) for c in ids]
        reps = int(runs["replication"].max()) + 1
        table = rank(_stage_table(runs, cands, 0, reps), spec).assign(advanced=False)
        return cls(spec, table, runs, [{"stage": 0, "candidates": len(ids),
                                        "replications": reps}])

    def _finalists(self):
        last = self.candidates[self.candidates["stage"] == self.stages[-1]["stage"]]
        last = last.drop(columns=["advanced"]).reset_index(drop=True)
        ids = list(last["candidate"])
        runs = self.runs[self.runs["candidate"].isin(ids)]
        runs = runs[runs["replication"] < self.stages[-1]["replications"]]
        lead = last.loc[last["feasible"], "candidate"]
        lead = lead.iloc[0] if len(lead) else ids[0]
        last["vs"] = lead
        cols = (("diff", "mean"), ("diff_ci_low", "ci_low"), ("diff_ci_high", "ci_high"),
                ("p_value", "p_value"))
        if len(ids) > 1:
            d = paired_differences(runs.drop(columns=["seed", "run_id"]), lead,
                                   group="candidate", pair="replication", by=None,
                                   metrics=["objective"], level=LEVEL)
            d = d.xs("objective", level="metric")
            for col, src in cols:
                last[col] = last["candidate"].map(d[src]).astype(float)
        else:
            for col, _ in cols:
                last[col] = math.nan
        is_lead = last["candidate"] == lead
        last.loc[is_lead, ["diff", "diff_ci_low", "diff_ci_high"]] = 0.0
        last["tied"] = is_lead | ((last["diff_ci_low"] <= 0) & (last["diff_ci_high"] >= 0))
        return last

    def _pick(self, ok, k):
        if len(ok) <= k:
            return None
        row = ok.iloc[k]
        cand = self.spec.candidate(row["candidate"])
        stat = {"objective": "objective", "spend": "spend"}
        out = {"candidate": cand.id, "settings": dict(cand.settings),
               "overrides": dict(cand.overrides)}
        for key, prefix in stat.items():
            out[key] = {"mean": float(row[f"{prefix}_mean"]),
                        "ci_low": float(row[f"{prefix}_ci_low"]),
                        "ci_high": float(row[f"{prefix}_ci_high"]),
                        "n": int(row["replications"])}
        out["budget_sure"] = bool(out["spend"]["ci_high"] <= self.spec.budget.max) \
            if math.isfinite(out["spend"]["ci_high"]) else bool(
                out["spend"]["mean"] <= self.spec.budget.max)
        return out

    def _comparison(self):
        if self.best is None or self.runner_up is None:
            return None
        row = self.finalists.set_index("candidate").loc[self.runner_up["candidate"]]
        # finalists hold runner-up minus best; the comparison reads best minus runner-up
        diff, lo, hi = -row["diff"], -row["diff_ci_high"], -row["diff_ci_low"]
        better = lo > 0 if self.spec.objective.direction == "max" else hi < 0
        return {"best": self.best["candidate"], "runner_up": self.runner_up["candidate"],
                "diff": float(diff), "ci_low": float(lo), "ci_high": float(hi),
                "n": int(row["replications"]), "p_value": float(row["p_value"]),
                "distinguishable": bool(better)}

    # -- reading ---------------------------------------------------------------------------

    def verdict(self):
        """A plain-language paragraph: the best settings, their uncertainty, the runner-up."""
        spec, obj, b = self.spec, self.spec.objective, self.spec.budget
        n_runs = len(self.runs)
        head = (f"Searched {len(spec)} candidate settings of {', '.join(spec.levers)} in "
                f"{len(self.stages)} stage(s), {n_runs} runs in all, to "
                f"{'maximise' if obj.direction == 'max' else 'minimise'} {obj.label} with "
                f"{b.label} at most {_money(b.max)}.")
        if self.best is None:
            return (head + " No finalist keeps within the budget: raise the budget or search "
                    "cheaper settings.")
        best = self.best
        text = (f"{head} Best: {_describe(best['settings'])}, with {obj.metric} "
                f"{_stat(best['objective'])} and spend {_stat(best['spend'], money=True)} "
                f"(95% intervals over {best['objective']['n']} replications).")
        if not best["budget_sure"] and math.isfinite(b.max):
            text += (" Its spend keeps within the budget on average, but its interval "
                     "reaches over it.")
        cmp = self.comparison
        if cmp is None:
            return text + " No other finalist keeps within the budget, so there is no " \
                          "runner-up to compare with."
        ru = self.runner_up
        text += (f" Runner-up: {_describe(ru['settings'])}, {_stat(ru['objective'])}. "
                 f"Paired by replication, best minus runner-up is "
                 f"{_num(cmp['diff'], sign=True)} (95% CI {_num(cmp['ci_low'], sign=True)} to "
                 f"{_num(cmp['ci_high'], sign=True)})")
        if cmp["distinguishable"]:
            return text + ": a clear difference."
        tied = int(self.finalists["tied"].sum()) - 1
        return text + (f": the best cannot be told apart from the runner-up"
                       + (f" ({tied} finalists are tied with it)" if tied > 1 else "")
                       + "; treat them as equally good, or add replications to separate them.")

    def finalists_text(self):
        """The finalists as printable text: settings, objective and spend with 95% intervals,
        and each one's paired difference to the best (``tied``: cannot be told apart)."""
        rows = []
        for _, r in self.finalists.iterrows():
            rows.append({
                "rank": r["rank"], "candidate": r["candidate"],
                **{k: _short(r[k]) for k in self.spec.levers},
                "reps": r["replications"],
                self.spec.objective.metric: _stat({"mean": r["objective_mean"],
                                                   "ci_low": r["objective_ci_low"],
                                                   "ci_high": r["objective_ci_high"]}),
                "spend": _stat({"mean": r["spend_mean"], "ci_low": r["spend_ci_low"],
                                "ci_high": r["spend_ci_high"]}, money=True),
                "budget": r["budget_status"],
                "vs best": "" if r["candidate"] == r["vs"] else
                f"{_num(r['diff'], True)} [{_num(r['diff_ci_low'], True)}, "
                f"{_num(r['diff_ci_high'], True)}]" + (" tied" if r["tied"] else ""),
            })
        with pd.option_context("display.width", 250, "display.max_colwidth", 60):
            return pd.DataFrame(rows).to_string(index=False)

    def summary(self):
        """Everything as JSON-ready data (summary.json, schema ``growthsim.optimize/1``)."""
        from growthsim.experiment.stored import jsonable

        spec = self.spec
        return jsonable({
            "name": spec.name, "description": spec.description, "file": spec.file,
            "base": spec.base.source_file or None, "days": spec.base.run.days,
            "objective": dataclasses.asdict(spec.objective),
            "budget": {**dataclasses.asdict(spec.budget), "metrics": list(spec.budget.metrics),
                       "label": spec.budget.label},
            "search": {"levers": list(spec.levers), "method": spec.method,
                       "candidates": len(spec), "space": spec.space, "merged": spec.merged,
                       "replications": spec.replications, "seed": spec.seed,
                       "start_replications": spec.start_replications, "keep": spec.keep,
                       "finalists": spec.finalists},
            "stages": self.stages, "level": LEVEL,
            "candidates": _records(self.candidates), "finalists": _records(self.finalists),
            "best": self.best, "runner_up": self.runner_up, "comparison": self.comparison,
            "verdict": self.verdict(), "computed": self.computed, "reused": self.reused,
            "runs": _records(self.runs),
        })

    def best_toml(self, folder=None):
        """The best settings as a scenario file extending the base (None without a best).

        ``folder`` is where the file will live, so that ``extends`` finds the
        base from there (default: the current folder).
        """
        import tomli_w

        if self.best is None:
            return None
        spec = self.spec
        sc = spec.scenario(self.best["candidate"])
        base_file = spec.base.source_file
        # run.seed = the search's seed: `growthsim run best.toml -r N` then runs the
        # search's replications (the same runs, found in the store)
        over = {**_set_of(spec), **self.best["overrides"], "run.seed": spec.seed} \
            if base_file else {}
        nested = {}
        for key, value in over.items():
            *parts, leaf = key.split(".")
            node = nested
            for part in parts:
                node = node.setdefault(part, {})
            node[leaf] = list(value) if isinstance(value, tuple) else value
        # the base's description is kept: it is part of the runs' identity in the store
        head = {"name": f"{spec.name}/best"}
        if base_file:
            rel = os.path.relpath(Path(base_file).resolve(), Path(folder or ".").resolve())
            head = {"extends": Path(rel).as_posix(), **head}
        else:  # a base built in Python has no file to extend: write every parameter
            nested = {k: v for k, v in sc.to_dict().items() if k not in head}
            nested["run"]["seed"] = spec.seed
        return (f"# The best settings found by `growthsim optimize` ({spec.file}):\n"
                f"# {_describe(self.best['settings'])}\n# {_obj_line(self)}\n"
                + tomli_w.dumps({**head, **nested}))

    def plot(self):
        """Objective against spend of every candidate (its last stage), with 95% intervals,
        the budget line and the best marked. Returns a matplotlib Figure."""
        from matplotlib.figure import Figure

        spec = self.spec
        last = self.candidates.sort_values("stage").drop_duplicates("candidate", keep="last")
        fig = Figure(figsize=(7, 4.6), layout="constrained")
        ax = fig.add_subplot()
        final = last["stage"] == self.stages[-1]["stage"]
        for sel, color, label in ((~final, "#999999", "dropped early"),
                                  (final, "#4C72B0", "finalists")):
            part = last[sel]
            if part.empty:
                continue
            ax.errorbar(part["spend_mean"], part["objective_mean"],
                        xerr=_err(part, "spend"), yerr=_err(part, "objective"), fmt="o",
                        ms=4, color=color, ecolor=color, alpha=0.8, capsize=2, label=label)
        for _, row in last[final].iterrows():
            ax.annotate(row["candidate"], (row["spend_mean"], row["objective_mean"]),
                        textcoords="offset points", xytext=(4, 4), fontsize=7)
        if self.best is not None:
            ax.plot(self.best["spend"]["mean"], self.best["objective"]["mean"], "*", ms=16,
                    color="#C44E52", label=f"best ({self.best['candidate']})", zorder=5)
        if math.isfinite(spec.budget.max):
            ax.axvline(spec.budget.max, color="#C44E52", ls="--", lw=1, label="budget")
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _money(x)))
        ax.set_xlabel(f"{spec.budget.label} (yuan)")
        ax.set_ylabel(spec.objective.label)
        ax.set_title(f"{spec.name}: {spec.objective.direction} {spec.objective.label} within "
                     "budget", fontsize=10)
        ax.legend(fontsize=7, frameon=False)
        return fig

    def __repr__(self):
        head = (f"OptimizationResult({self.spec.name!r}: {len(self.spec)} candidates, "
                f"{len(self.stages)} stage(s), {len(self.runs)} runs ({self.computed} "
                f"computed, {self.reused} reused)")
        if self.best is None:
            return head + "; no finalist within the budget)"
        text = f"{head}; best {self.best['candidate']} {_describe(self.best['settings'])}: " \
               f"{_obj_line(self)}"
        if self.comparison is not None:
            c = self.comparison
            text += (f"; vs runner-up {c['runner_up']}: {_num(c['diff'], sign=True)} "
                     f"[{_num(c['ci_low'], sign=True)}, {_num(c['ci_high'], sign=True)}]"
                     + ("" if c["distinguishable"] else ", indistinguishable"))
        return text + ")"


def _obj_line(result):
    """``members_end in year 5 = 1,234 [1,200, 1,268]; spend 1.2M [...] <= 1.5M``."""
    b, spec = result.best, result.spec
    return (f"{spec.objective.label} = {_stat(b['objective'])}; spend "
            f"{_stat(b['spend'], money=True)} (budget {_money(spec.budget.max)})")




def _set_of(spec):
    """The overrides of ``[set]`` and ``days`` (what base.toml plus them makes spec.base)."""
    from growthsim.scenario import load_scenario

    base = load_scenario(spec.base.source_file)
    mine, theirs = _leaves(spec.base.to_dict()), _leaves(base.to_dict())
    return {k: v for k, v in mine.items() if theirs.get(k) != v and k != "name"}


def _leaves(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_leaves(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _records(frame):
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _err(part, prefix):
    mean = part[f"{prefix}_mean"].to_numpy(float)
    lo = np.nan_to_num(mean - part[f"{prefix}_ci_low"].to_numpy(float))
    hi = np.nan_to_num(part[f"{prefix}_ci_high"].to_numpy(float) - mean)
    return np.vstack([lo, hi])


def _describe(settings):
    return ", ".join(f"{k}={_short(v)}" for k, v in settings.items())


def _short(value, limit=24):
    text = str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _num(x, sign=False):
    if x is None or not math.isfinite(x):
        return "n/a"
    x = x + 0.0  # no "-0"
    plus = "+" if sign else ""
    if abs(x) >= 100:
        return f"{x:{plus},.0f}"
    return f"{x:{plus}.3g}"


def _money(x):
    if not math.isfinite(x):
        return "no limit"
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:,.3g}{unit}"
    return f"{x:,.0f}"


def _stat(s, money=False):
    f = _money if money else _num
    if not math.isfinite(s.get("ci_low", math.nan)):
        return f(s["mean"])
    return f"{f(s['mean'])} [{f(s['ci_low'])}, {f(s['ci_high'])}]"
