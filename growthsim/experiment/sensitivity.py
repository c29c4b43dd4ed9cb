"""Global sensitivity analysis: which parameters move a scenario's outcomes, and how much.

:func:`sensitivity` varies a few parameters of a scenario at once over their
ranges (the schema's bounds, or narrower ones), runs every sampled point through
the results store (as a :class:`~growthsim.experiment.sweep.Sweep`, so runs stream
in, survive a kill and are reused), and hands the outcomes to SALib:

- ``method="sobol"``: Saltelli's sampling scheme on a scrambled Sobol' sequence,
  ``n * (d + 2)`` points for ``d`` parameters (``n`` a power of two), and
  variance-based indices: ``S1`` (the share of the outcome's variance a parameter
  explains alone) and ``ST`` (alone and through its interactions).
- ``method="morris"``: ``n`` one-at-a-time trajectories, ``n * (d + 1)`` points,
  and elementary effects: ``mu_star`` (mean absolute effect of moving the
  parameter across a step of its range, per whole range, in the outcome's units),
  ``mu`` (signed mean) and ``sigma`` (their spread: nonlinearity or interactions).

Every index comes with SALib's bootstrap confidence half-width (95%), drawn with a
seed derived from ``seed``, so the same call gives the same table. docs/sensitivity.md
explains the indices and how to read them.
"""

import dataclasses
import math

import numpy as np
import pandas as pd

from growthsim.errors import GrowthsimError, ScenarioError
from growthsim.metrics import YEARLY_COLUMNS
from growthsim.scenario.schema import item_type

METHODS = ("sobol", "morris")
#: Default base sample size per method: Sobol' ``N`` (a power of two), Morris trajectories.
DEFAULT_N = {"sobol": 64, "morris": 10}
DEFAULT_METRICS = ("members_end", "wom_share", "ltv_cac_end")
#: Yearly figures an analysis can explain (:data:`growthsim.metrics.YEARLY_COLUMNS`).
OUTCOMES = tuple(m for m in YEARLY_COLUMNS if m not in ("year", "days")
                 and not m.startswith("tier_"))
#: Indices each method reports; those with a confidence half-width come first.
INDICES = {"sobol": ("S1", "ST"), "morris": ("mu_star", "mu", "sigma")}
MORRIS_LEVELS = 4
CONF_LEVEL = 0.95
NUM_RESAMPLES = 200
MAX_POINTS = 100_000


class SensitivityError(GrowthsimError, ValueError):
    """A bad argument of a sensitivity analysis.

    ``argument`` names it (``"n"``, ``"metrics"``, ``"params"``...) and ``key``
    the parameter or metric concerned, so the command line can blame its option.

    Examples
    --------
    >>> str(SensitivityError("unknown parameter", argument="params", key="koc.fe"))
    'params: koc.fe: unknown parameter'
    """

    def __init__(self, message, *, argument, key=None):
        self.message, self.argument, self.key = message, argument, key
        super().__init__(": ".join(str(p) for p in (argument, key, message) if p is not None))


# -- the problem ----------------------------------------------------------------------------------

def problem(scenario, params, ranges=None):
    """The SALib problem of ``params``: names, bounds, and which are integers or lists.

    Parameters
    ----------
    scenario : Scenario
        Only used to check that the keys exist (ranges come from the schema).
    params : sequence of str
        Dotted keys of numeric parameters: float, int, or a list of numbers such
        as ``ads.daily_budget`` (per year) or ``content.posts`` (per weekday),
        whose every item is then set to the sampled value.
    ranges : dict of str to (lo, hi), optional
        Narrower ranges; each must lie within the schema's bounds, ``lo < hi``.

    Returns
    -------
    dict
        ``num_vars, names, bounds`` (as SALib wants them) and ``integer``
        (integer parameters are sampled uniformly over their whole values:
        the unit interval is cut into ``hi - lo + 1`` equal parts) and
        ``listed`` (list parameters: the scenario's list length, its every item
        set to the sampled value; 0 for a single value).

    Raises
    ------
    SensitivityError
        Unknown key, a section, a field with fixed choices, a boolean or a
        string, a range outside the schema or with ``lo >= hi``, no range.

    Examples
    --------
    >>> import growthsim as gs
    >>> p = problem(gs.Scenario(), ["sharing.p_share", "koc.count"], {"koc.count": (0, 50)})
    >>> p["names"], p["bounds"], p["integer"]
    (['sharing.p_share', 'koc.count'], [[0.0, 1.0], [0, 50]], [False, True])
    >>> problem(gs.Scenario(), ["population.graph"])
    Traceback (most recent call last):
    ...
    growthsim.experiment.sensitivity.SensitivityError: params: population.graph: has a fixed set of choices; a sensitivity analysis needs a numeric parameter
    """
    params = list(params)
    ranges = dict(ranges or {})
    if not params:
        raise SensitivityError("give at least one parameter to vary", argument="params")
    dupes = sorted({p for p in params if params.count(p) > 1})
    if dupes:
        raise SensitivityError("given twice", argument="params", key=dupes[0])
    extra = [k for k in ranges if k not in params]
    if extra:
        raise SensitivityError("has a range but is not among the parameters",
                               argument="ranges", key=extra[0])
    bounds, integer, listed = [], [], []
    for key in params:
        lo, hi, tp, is_list = _bounds(key, ranges.get(key))
        bounds.append([lo, hi])
        integer.append(tp is int)
        listed.append(max(1, len(_value(scenario, key))) if is_list else 0)
    # Whatever the keys, a point must be a valid scenario: try both corners.
    for corner in (0, 1):
        _scenario_at(scenario, params, [b[corner] for b in bounds], listed)
    return {"num_vars": len(params), "names": params, "bounds": bounds, "integer": integer,
            "listed": listed}


def _bounds(key, given):
    """``(lo, hi, type, is_list)`` of one parameter; the schema's range checked or narrowed."""
    from growthsim.experiment.sweep import _field, _range

    try:
        tp, meta = _field(key, None, "params")
    except ScenarioError as exc:
        raise SensitivityError(exc.message, argument="params", key=key) from None
    if meta.get("choices"):
        raise SensitivityError("has a fixed set of choices; a sensitivity analysis needs a "
                               "numeric parameter", argument="params", key=key)
    is_list = item_type(tp) in (int, float)
    tp = item_type(tp) if is_list else tp
    if tp not in (int, float):
        raise SensitivityError(f"is not numeric ({getattr(tp, '__name__', tp)}); a sensitivity "
                               "analysis needs a float or integer parameter",
                               argument="params", key=key)
    slo, shi = meta.get("lo"), meta.get("hi")
    if given is None:
        if slo is None or shi is None:
            raise SensitivityError("has no bounds in the schema; give a range",
                                   argument="params", key=key)
        given = (slo, shi)
    if isinstance(given, tuple):
        given = list(given)
    try:
        # The sweep's check of a sampled range: lo < hi, whole numbers for integers, bounds.
        lo, hi, _ = _range(key, given, None) if not is_list else \
            _range_of_list(key, given, tp, slo, shi)
    except ScenarioError as exc:
        raise SensitivityError(exc.message, argument="params", key=key) from None
    return lo, hi, tp, is_list


def _range_of_list(key, value, tp, slo, shi):
    """As the sweep's ``_range`` for a list parameter (its bounds hold for every item)."""
    ok = isinstance(value, list) and len(value) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    if not ok or not value[0] < value[1]:
        raise ScenarioError(f"must be a range [lo, hi] with lo < hi; got {value!r}")
    lo, hi = value
    if (slo is not None and lo < slo) or (shi is not None and hi > shi):
        raise ScenarioError(f"range {value!r} leaves the parameter's bounds [{slo}, {shi}]")
    return (int(lo), int(hi), int) if tp is int else (float(lo), float(hi), float)


def _value(scenario, key):
    node = scenario
    for part in key.split("."):
        node = getattr(node, part)
    return node


def _scenario_at(scenario, params, values, listed):
    over = {k: [v] * length if length else v for k, v, length in zip(params, values, listed)}
    try:
        return scenario.with_overrides(over)
    except ScenarioError as exc:
        raise SensitivityError(f"a sampled point is not a valid scenario: {exc}",
                               argument="params", key=exc.field) from None


# -- the design -----------------------------------------------------------------------------------

def design(prob, method, n, seed):
    """The sampled points: ``(unit, values)``, arrays of shape ``(points, num_vars)``.

    ``unit`` is SALib's sample on the unit cube (what the analysis reads);
    ``values`` the parameter values run, integers cut into equal parts.

    Examples
    --------
    >>> import growthsim as gs
    >>> p = problem(gs.Scenario(), ["sharing.p_share", "koc.count"], {"koc.count": (0, 3)})
    >>> unit, values = design(p, "sobol", 4, seed=1)
    >>> unit.shape, sorted(set(values[:, 1].tolist())) <= [0, 1, 2, 3]
    ((16, 2), True)
    """
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    unit_problem = {"num_vars": prob["num_vars"], "names": prob["names"],
                    "bounds": [[0.0, 1.0]] * prob["num_vars"]}
    if method == "sobol":
        unit = sobol_sample.sample(unit_problem, n, calc_second_order=False, seed=seed)
    else:
        unit = morris_sample.sample(unit_problem, n, num_levels=MORRIS_LEVELS, seed=seed)
    values = np.empty_like(unit)
    for j, ((lo, hi), is_int) in enumerate(zip(prob["bounds"], prob["integer"])):
        if is_int:
            values[:, j] = np.minimum(hi, np.floor(lo + unit[:, j] * (hi - lo + 1)))
        else:
            values[:, j] = lo + unit[:, j] * (hi - lo)
    return unit, values


def _check(method, n, metrics, replications):
    if method not in METHODS:
        raise SensitivityError(f"must be one of {', '.join(METHODS)}; got {method!r}",
                               argument="method")
    n = DEFAULT_N[method] if n is None else n
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise SensitivityError(f"must be an integer >= 2; got {n!r}", argument="n")
    if method == "sobol" and n & (n - 1):
        raise SensitivityError(f"must be a power of two for Sobol' sampling (e.g. "
                               f"{1 << (int(n).bit_length() - 1)} or {1 << int(n).bit_length()});"
                               f" got {n}", argument="n")
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if not metrics:
        raise SensitivityError("give at least one metric", argument="metrics")
    for m in metrics:
        if m not in OUTCOMES:
            raise SensitivityError(f"unknown metric; valid: {', '.join(OUTCOMES)}",
                                   argument="metrics", key=m)
    if isinstance(replications, bool) or not isinstance(replications, (int, np.integer)) \
            or replications < 1:
        raise SensitivityError(f"must be an integer >= 1; got {replications!r}",
                               argument="replications")
    return int(n), list(dict.fromkeys(metrics))


def points_needed(method, n, num_vars):
    """Sampled points of a design: ``n (d + 2)`` for Sobol' (first order), ``n (d + 1)`` Morris.

    Examples
    --------
    >>> points_needed("sobol", 64, 5), points_needed("morris", 10, 5)
    (448, 60)
    """
    return n * (num_vars + 2) if method == "sobol" else n * (num_vars + 1)


# -- running --------------------------------------------------------------------------------------

def sensitivity(scenario, params, *, method="sobol", n=None, metrics=DEFAULT_METRICS,
                ranges=None, year=None, replications=1, seed=1, store, executor="processes",
                workers=None, progress=False, force=False):
    """Global sensitivity of a scenario's yearly outcomes to some of its parameters.

    Parameters
    ----------
    scenario : Scenario
        The base; every parameter not in ``params`` keeps its value.
    params : sequence of str
        Dotted keys of the numeric parameters to vary (see :func:`problem`).
    method : {"sobol", "morris"}
        Variance-based indices (S1, ST) or elementary effects (mu_star, mu, sigma).
    n : int, optional
        Sobol': the base sample size, a power of two (default 64; ``n (d + 2)``
        points). Morris: trajectories (default 10; ``n (d + 1)`` points).
    metrics : sequence of str
        Yearly figures (:data:`OUTCOMES`) to explain.
    ranges : dict of str to (lo, hi), optional
        Narrower ranges than the schema's, for some parameters.
    year : int, optional
        The year whose figures are the outcomes (1-based); default the last
        simulated year (which may be partial).
    replications : int
        Runs per point; the outcome is their mean. Every point uses the same
        seeds (common random numbers), which keeps noise out of the differences
        between points.
    seed : int
        Seeds the design, the replications' base seed and SALib's bootstrap.
    store : growthsim.store.Store
        Open and writable: runs stream into it; those it holds are reused.
    executor, workers, force, progress
        As :func:`growthsim.experiment.sweep.run_sweep`.

    Returns
    -------
    SensitivityResults

    Examples
    --------
    >>> import tempfile, growthsim as gs
    >>> from growthsim import store as gstore
    >>> sc = gs.Scenario().with_overrides({"name": "tiny", "population.n": 300,
    ...                                    "run.days": 30, "seeding.initial_members": 10})
    >>> with tempfile.TemporaryDirectory() as d, gstore.open(f"{d}/s.duckdb") as st:
    ...     res = sensitivity(sc, ["sharing.p_share", "koc.fee"], method="morris", n=2,
    ...                       metrics=["members_end"], store=st, executor="serial")
    >>> len(res.samples), res.indices.columns.tolist()
    (6, ['metric', 'param', 'index', 'value', 'conf', 'low', 'high'])
    >>> res.indices.query("index == 'mu_star' and param == 'koc.fee'")["value"].item()
    0.0
    """
    from growthsim.experiment.sweep import Sweep, run_sweep

    n, metrics = _check(method, n, metrics, replications)
    prob = problem(scenario, params, ranges)
    total = points_needed(method, n, prob["num_vars"])
    if total > MAX_POINTS:
        raise SensitivityError(f"{n} gives {total:,} points; at most {MAX_POINTS:,}",
                               argument="n")
    unit, values = design(prob, method, n, seed)
    overrides = tuple(_overrides(prob, row) for row in values)
    sweep = Sweep(name=f"sensitivity/{scenario.name}", file=None, base=scenario,
                  replications=int(replications), seed=int(seed), params=tuple(prob["names"]),
                  overrides=overrides, metrics=("members",))
    try:
        sweep.points()  # every point must be a valid scenario before anything runs
    except ScenarioError as exc:
        raise SensitivityError(f"a sampled point is not a valid scenario: {exc}",
                               argument="params", key=exc.field) from None
    year = _year(scenario, year)
    runs = run_sweep(sweep, store=store, executor=executor, workers=workers, force=force,
                     progress=progress)
    outcomes = _outcomes(runs, metrics, year)
    indices = _analyze(prob, method, unit, outcomes, seed)
    return SensitivityResults(method=method, n=n, problem=prob, metrics=metrics, year=year,
                              replications=int(replications), seed=int(seed),
                              unit=unit, values=values, outcomes=outcomes, indices=indices,
                              runs=runs)


def _overrides(prob, row):
    out = {}
    for key, x, is_int, length in zip(prob["names"], row, prob["integer"], prob["listed"]):
        v = int(x) if is_int else float(x)
        out[key] = [v] * length if length else v
    return out


def _year(scenario, year):
    last = int(math.floor((scenario.run.days - 1) / 365.25)) + 1
    if year is None:
        return last
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)) or \
            not 1 <= year <= last:
        raise SensitivityError(f"must be a simulated year, 1 to {last} ({scenario.run.days} "
                               f"days); got {year!r}", argument="year")
    return int(year)


def _outcomes(runs, metrics, year):
    """Per point (in design order), each metric's yearly figure averaged over replications."""
    y = runs.stored.yearly()
    y = y[y["year"] == year]
    pid = {sc.name: k for k, (_, _, sc) in enumerate(runs.sweep.points())}
    y = y.assign(point=y["scenario"].map(pid))
    mean = y.groupby("point")[metrics].mean().reindex(range(len(pid)))
    return mean.reset_index(drop=True)


def _analyze(prob, method, unit, outcomes, seed):
    """Tidy indices of every metric (NaN where an outcome is missing somewhere).

    An outcome that never varies has no variance to share out (Sobol' indices
    NaN) and no effects (Morris: all zero).
    """
    d, rows = prob["num_vars"], []
    boot = int(seed) % (2**63 - 1) + 1  # SALib's Sobol' bootstrap ignores a seed of 0
    for metric in outcomes.columns:
        Y = outcomes[metric].to_numpy(dtype=float)
        nan = np.full(d, np.nan)
        found = {index: (nan, nan) for index in INDICES[method]}
        if np.isfinite(Y).all() and np.ptp(Y) > 0:
            found = _salib(prob, method, unit, Y, boot)
        elif np.isfinite(Y).all() and method == "morris":
            zero = np.zeros(d)
            found = {"mu_star": (zero, zero), "mu": (zero, nan), "sigma": (zero, nan)}
        for j, name in enumerate(prob["names"]):
            for index in INDICES[method]:
                value, conf = found[index]
                rows.append({"metric": metric, "param": name, "index": index,
                             "value": float(value[j]), "conf": float(conf[j])})
    out = pd.DataFrame(rows, columns=["metric", "param", "index", "value", "conf"])
    out["low"] = out["value"] - out["conf"]
    out["high"] = out["value"] + out["conf"]
    return out


def _salib(prob, method, unit, Y, boot):
    """index -> (values, half-widths) from SALib, on the unit cube the design was drawn in."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    salib = {"num_vars": prob["num_vars"], "names": prob["names"],
             "bounds": [[0.0, 1.0]] * prob["num_vars"]}
    if method == "sobol":
        si = sobol_analyze.analyze(salib, Y, calc_second_order=False,
                                   num_resamples=NUM_RESAMPLES, conf_level=CONF_LEVEL, seed=boot)
        return {"S1": (si["S1"], si["S1_conf"]), "ST": (si["ST"], si["ST_conf"])}
    si = morris_analyze.analyze(salib, unit, Y, num_resamples=NUM_RESAMPLES,
                                conf_level=CONF_LEVEL, num_levels=MORRIS_LEVELS, seed=boot)
    nan = np.full(prob["num_vars"], np.nan)
    return {"mu_star": (np.asarray(si["mu_star"]), np.asarray(si["mu_star_conf"])),
            "mu": (np.asarray(si["mu"]), nan), "sigma": (np.asarray(si["sigma"]), nan)}


# -- results --------------------------------------------------------------------------------------

@dataclasses.dataclass(repr=False)
class SensitivityResults:
    """The indices of a sensitivity analysis, its design and the outcomes of every point.

    Attributes
    ----------
    method : str
    n : int
        Sobol' base sample size or Morris trajectories.
    problem : dict
        :func:`problem`: names, bounds, integer, listed.
    metrics : list of str
    year : int
        The year whose figures are the outcomes.
    replications, seed : int
    indices : pandas.DataFrame
        Tidy: ``metric, param, index, value, conf, low, high`` where ``conf`` is
        SALib's bootstrap 95% half-width and ``low, high = value -+ conf``
        (NaN where the method gives none: Morris ``mu`` and ``sigma``).
    runs : SweepResults
        The runs (one row per point and replication in ``runs.table``).

    Examples
    --------
    >>> import tempfile, growthsim as gs
    >>> from growthsim import store as gstore
    >>> sc = gs.Scenario().with_overrides({"population.n": 300, "run.days": 20,
    ...                                    "seeding.initial_members": 10})
    >>> with tempfile.TemporaryDirectory() as d, gstore.open(f"{d}/s.duckdb") as st:
    ...     res = sensitivity(sc, ["ads.daily_budget"], ranges={"ads.daily_budget": (0, 500)},
    ...                       method="morris", n=2, metrics=["members_end"], store=st,
    ...                       executor="serial")
    >>> res.samples.columns.tolist()
    ['point', 'ads.daily_budget', 'members_end']
    >>> res.table().columns.tolist(), len(res.plot().axes)
    (['metric', 'param', 'mu_star', 'mu', 'sigma'], 1)
    """

    method: str
    n: int
    problem: dict
    metrics: list
    year: int
    replications: int
    seed: int
    unit: np.ndarray
    values: np.ndarray
    outcomes: pd.DataFrame
    indices: pd.DataFrame
    runs: object

    @property
    def params(self):
        return list(self.problem["names"])

    @property
    def computed(self):
        """Runs computed by this call (the others came from the store)."""
        return self.runs.computed

    @property
    def reused(self):
        return self.runs.reused

    @property
    def samples(self):
        """The design and its outcomes: one row per point (parameter values run, metrics)."""
        pts = pd.DataFrame(self.values, columns=self.params)
        for key, is_int in zip(self.params, self.problem["integer"]):
            if is_int:
                pts[key] = pts[key].astype(np.int64)
        pts.insert(0, "point", [pid for pid, _, _ in self.runs.sweep.points()])
        return pd.concat([pts, self.outcomes.reset_index(drop=True)], axis=1)

    def table(self, digits=3):
        """The indices as text, one row per metric and parameter: ``value ± conf``.

        Rows are ranked within each metric by the main index (ST or mu_star).
        """
        main = INDICES[self.method][-1 if self.method == "sobol" else 0]
        wide = self.indices.pivot_table(index=["metric", "param"], columns="index",
                                        values=["value", "conf"], dropna=False, sort=False)
        rows = []
        for metric in self.metrics:
            part = []
            for param in self.params:
                row = {"metric": metric, "param": param}
                for index in INDICES[self.method]:
                    v = wide.loc[(metric, param), ("value", index)]
                    c = wide.loc[(metric, param), ("conf", index)]
                    row[index] = _pm(v, c, digits)
                part.append((wide.loc[(metric, param), ("value", main)], row))
            part.sort(key=lambda t: -t[0] if np.isfinite(t[0]) else math.inf)
            rows.extend(r for _, r in part)
        return pd.DataFrame(rows)

    def __repr__(self):
        d = self.problem["num_vars"]
        head = (f"SensitivityResults({self.method}, n={self.n}: {d} parameter(s), "
                f"{len(self.values)} points x {self.replications} replication(s), outcomes of "
                f"year {self.year}; {self.computed} run(s) computed, {self.reused} reused)")
        what = ("S1: share of the outcome's variance due to the parameter alone; ST: with its "
                "interactions" if self.method == "sobol" else
                "mu_star: mean |elementary effect| (outcome units per whole range); mu: signed "
                "mean; sigma: spread")
        text = f"{head}\n{what}; ± = 95% bootstrap half-width\n" + \
            self.table().to_string(index=False)
        for metric, k in self.missing().items():
            text += (f"\nn/a for {metric}: not a finite number at {k} of {len(self.values)} "
                     "points (e.g. LTV/CAC without acquisition cost)")
        return text

    def missing(self):
        """Metrics whose outcome is NaN or infinite at some point, and at how many."""
        bad = (~np.isfinite(self.outcomes.to_numpy(dtype=float))).sum(axis=0)
        return {m: int(k) for m, k in zip(self.outcomes.columns, bad) if k}

    def summary(self):
        """A JSON-ready record: the problem, the design's size, the indices."""
        from growthsim.experiment.stored import jsonable

        return jsonable({
            "method": self.method, "n": self.n, "points": len(self.values),
            "replications": self.replications, "seed": self.seed, "year": self.year,
            "days": self.runs.sweep.base.run.days, "scenario": self.runs.sweep.base.name,
            "problem": {k: v for k, v in self.problem.items()}, "metrics": self.metrics,
            "conf_level": CONF_LEVEL, "num_resamples": NUM_RESAMPLES,
            "computed": self.computed, "reused": self.reused,
            "indices": self.indices.to_dict("records"),
        })

    def plot(self, metric=None):
        """Bars of the main indices with their 95% intervals, one panel per metric.

        Sobol': S1 and ST side by side; Morris: mu_star (sigma as a dot, unscaled).
        Returns a :class:`matplotlib.figure.Figure` (no pyplot state).
        """
        from matplotlib.figure import Figure

        metrics = self.metrics if metric is None else [metric]
        unknown = [m for m in metrics if m not in self.metrics]
        if unknown:
            raise SensitivityError(f"not analysed; one of {', '.join(self.metrics)}",
                                   argument="metric", key=unknown[0])
        shown = INDICES[self.method][:2] if self.method == "sobol" else ("mu_star",)
        fig = Figure(figsize=(1.6 + 4.2 * len(metrics), 0.8 + 0.45 * len(self.params) + 1.6),
                     layout="constrained")
        axes = fig.subplots(1, len(metrics), squeeze=False)[0]
        y = np.arange(len(self.params))
        h = 0.8 / len(shown)
        colors = {"S1": "#4C72B0", "ST": "#C44E52", "mu_star": "#4C72B0"}
        for ax, m in zip(axes, metrics):
            part = self.indices[self.indices["metric"] == m].set_index(["param", "index"])
            for k, index in enumerate(shown):
                vals = [part.loc[(p, index), "value"] for p in self.params]
                err = [part.loc[(p, index), "conf"] for p in self.params]
                ax.barh(y + (k - (len(shown) - 1) / 2) * h, vals, h, xerr=err, capsize=3,
                        color=colors[index], label=index)
            if self.method == "morris":
                ax.plot([part.loc[(p, "sigma"), "value"] for p in self.params], y, "D",
                        mfc="none", mec="#222222", ms=5, label="sigma")
            ax.set_yticks(y, self.params, fontsize=8)
            ax.invert_yaxis()
            ax.axvline(0, color="#888888", lw=0.6)
            ax.set_title(f"{m} (year {self.year})", fontsize=10)
            ax.set_xlabel("index" if self.method == "sobol" else f"{m} per whole range")
            ax.grid(axis="x", alpha=0.3)
            ax.legend(fontsize=7, frameon=False)
        fig.suptitle(f"{self.method} sensitivity, {len(self.values)} points x "
                     f"{self.replications} replication(s); bars ± 95% bootstrap half-width",
                     fontsize=9)
        return fig


def _pm(value, conf, digits):
    if not np.isfinite(value):
        return "n/a"
    text = f"{value:.{digits}g}"
    return text + (f" ± {conf:.2g}" if np.isfinite(conf) else "")
