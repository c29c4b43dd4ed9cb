"""Parameter sweeps: a base scenario, a grid or sample of overrides, replications of each point.

A sweep file (TOML; docs/sweeps.md) names a base scenario and how to vary it::

    base = "../../scenarios/baseline.toml"   # relative to the sweep file
    replications = 3
    seed = 1                                 # base seed of every point's replications
    days = 365                               # optional: overrides run.days
    metrics = ["members", "wom_share"]       # final figures kept in the table

    [set]                                    # fixed overrides of every point
    "population.n" = 3000

    [grid]                                   # cartesian product of the value lists
    "sharing.p_share" = [0.05, 0.1, 0.2]

or, instead of ``[grid]``, ``[sample]`` with ``method = "random"`` or
``"lhs"`` (Latin hypercube, scipy.stats.qmc), ``n`` points, a ``seed`` and
ranges ``key = [lo, hi]`` inside the schema's bounds. :func:`load_sweep`
checks everything, each point included, before anything runs;
:func:`run_sweep` runs the points through the results store
(:func:`growthsim.experiment.stored.run_stored`), so runs stream into it as
they finish and a rerun computes only the runs it does not hold yet.
"""

import dataclasses
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd

from growthsim.errors import ScenarioError
from growthsim.experiment.stored import FINAL_COLUMNS, run_stored
from growthsim.scenario.loader import _decode, _toml_problem
from growthsim.scenario.schema import Scenario, spec

TOP_KEYS = ("name", "description", "base", "replications", "seed", "days", "metrics", "set",
            "grid", "sample")
SAMPLE_KEYS = ("method", "n", "seed")
SAMPLE_METHODS = ("random", "lhs")
MAX_POINTS = 100_000
MAX_REPLICATIONS = 10_000


@dataclasses.dataclass(frozen=True)
class Sweep:
    """A checked sweep specification (:func:`load_sweep`).

    Attributes
    ----------
    name : str
        The sweep's name (``name`` key, default the file's stem).
    file : str or None
        The sweep file.
    base : Scenario
        The base scenario with ``[set]`` and ``days`` applied.
    replications, seed : int
        Replications per point and their base seed (common to every point).
    params : tuple of str
        The swept parameters (dotted keys), in file order.
    overrides : tuple of dict
        The swept values of each point.
    metrics : tuple of str
        Final figures kept in the results table (:data:`FINAL_COLUMNS`).
    description : str

    Examples
    --------
    >>> sw = load_sweep("experiments/sweeps/p_share.toml")
    >>> sw.name, sw.params, len(sw), sw.replications
    ('p_share', ('sharing.p_share', 'rewards.enabled'), 8, 3)
    >>> sw.overrides[0]
    {'sharing.p_share': 0.05, 'rewards.enabled': True}
    """

    name: str
    file: str | None
    base: Scenario
    replications: int
    seed: int
    params: tuple
    overrides: tuple
    metrics: tuple
    description: str = ""

    def points(self):
        """Every point: ``(point_id, overrides, Scenario)``, in order.

        Examples
        --------
        >>> sw = load_sweep("experiments/sweeps/p_share.toml")
        >>> [(pid, o) for pid, o, _ in sw.points()][:2]
        [('p000', {'sharing.p_share': 0.05, 'rewards.enabled': True}),
         ('p001', {'sharing.p_share': 0.05, 'rewards.enabled': False})]
        """
        width = max(3, len(str(len(self.overrides) - 1)))
        out = []
        for k, over in enumerate(self.overrides):
            pid = f"p{k:0{width}d}"
            sc = self.base.with_overrides({**over, "name": f"{self.name}/{pid}"})
            out.append((pid, dict(over), sc))
        return out

    def __len__(self):
        return len(self.overrides)


def load_sweep(path):
    """Read and check a sweep file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Sweep

    Raises
    ------
    ScenarioError
        One line naming the file and the field: unknown keys, wrong types,
        values or ranges outside the schema's bounds, a point that is not a
        valid scenario, a missing base file.

    Examples
    --------
    >>> sw = load_sweep("experiments/sweeps/p_share.toml")
    >>> sw.name, len(sw), sw.replications, sw.params
    ('p_share', 8, 3, ('sharing.p_share', 'rewards.enabled'))
    """
    import tomllib

    from growthsim.scenario import load_scenario

    path = Path(path)
    if path.is_dir():
        raise ScenarioError("is a directory; expected a sweep file (.toml)", file=path)
    if not path.is_file():
        raise ScenarioError("no such sweep file", file=path)
    try:
        data = tomllib.loads(_decode(path.read_bytes(), path))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(_toml_problem(exc, path), file=path) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read file ({exc.strerror or exc})", file=path) from None
    _unknown(data, TOP_KEYS, path, "")
    base_name = _get(data, "base", str, path)
    if base_name is None or not base_name.strip():
        raise ScenarioError("missing: the base scenario file, e.g. base = "
                            "\"scenarios/baseline.toml\"", file=path, field="base")
    base = load_scenario(path.parent / base_name)
    base = _override(base, _flat(_get(data, "set", dict, path) or {}, path, "set"), path, "set")
    days = _get(data, "days", int, path)
    if days is not None:
        try:
            base = base.with_overrides({"run.days": days})
        except ScenarioError as exc:
            raise ScenarioError(exc.message, file=path, field="days") from None
    reps = _int_in(data, "replications", 1, MAX_REPLICATIONS, 1, path)
    seed = _int_in(data, "seed", 0, 2**53 - 1, base.run.seed, path)
    metrics = _metrics(data, path)
    grid, sample = data.get("grid"), data.get("sample")
    if grid is not None and sample is not None:
        raise ScenarioError("give either [grid] or [sample], not both", file=path,
                            field="sample")
    if sample is not None:
        params, overrides = _sample(_get(data, "sample", dict, path), path)
    else:
        params, overrides = _grid(_get(data, "grid", dict, path) or {}, path)
    for over in overrides:
        _override(base, over, path, "grid" if sample is None else "sample")
    name = _get(data, "name", str, path) or path.stem
    return Sweep(name=name, file=str(path), base=base, replications=reps, seed=seed,
                 params=tuple(params), overrides=tuple(overrides), metrics=metrics,
                 description=_get(data, "description", str, path) or "")


# -- reading the file ---------------------------------------------------------------------------

_TYPE_NAMES = {str: "a string", int: "an integer", dict: "a table", list: "a list"}


def _get(data, key, tp, path, prefix=""):
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
        raise ScenarioError(f"must be {_TYPE_NAMES[tp]}; got {value!r}", file=path,
                            field=prefix + key)
    return value


def _int_in(data, key, lo, hi, default, path, prefix=""):
    value = _get(data, key, int, path, prefix)
    if value is None:
        return default
    if not lo <= value <= hi:
        raise ScenarioError(f"must be an integer in [{lo}, {hi}]; got {value}", file=path,
                            field=prefix + key)
    return value


def _unknown(data, allowed, path, prefix):
    for key in data:
        if key not in allowed:
            import difflib

            guess = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {guess[0]!r}?" if guess else ""
            raise ScenarioError(f"unknown key{hint} (valid: {', '.join(allowed)})", file=path,
                                field=prefix + key)


def _flat(table, path, where, prefix=""):
    """Nested TOML tables as dotted keys: ``population.n = 1`` and ``"population.n" = 1``."""
    out = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, path, where, dotted + "."))
        else:
            out[dotted] = value
    return out


def _override(base, overrides, path, where):
    """``base`` with ``overrides``; an invalid value is blamed on the sweep file's table."""
    if not overrides:
        return base
    try:
        return base.with_overrides(overrides)
    except ScenarioError as exc:
        field = f"{where}.{exc.field}" if exc.field else where
        raise ScenarioError(exc.message, file=path, field=field) from None


def _metrics(data, path):
    metrics = data.get("metrics", list(FINAL_COLUMNS))
    if not isinstance(metrics, list) or not metrics or \
            not all(isinstance(m, str) for m in metrics):
        raise ScenarioError(f"must be a non-empty list of names; got {metrics!r}", file=path,
                            field="metrics")
    for m in metrics:
        if m not in FINAL_COLUMNS:
            raise ScenarioError(f"unknown metric {m!r}; valid: {', '.join(FINAL_COLUMNS)}",
                                file=path, field="metrics")
    return tuple(dict.fromkeys(metrics))


def _grid(table, path):
    flat = _flat(table, path, "grid")
    for key, values in flat.items():
        if not isinstance(values, list) or not values:
            raise ScenarioError(f"must be a non-empty list of values; got {values!r}",
                                file=path, field=f"grid.{key}")
        _field(key, path, "grid")
    n = math.prod(len(v) for v in flat.values())
    if n > MAX_POINTS:
        raise ScenarioError(f"the grid has {n:,} points; at most {MAX_POINTS:,}", file=path,
                            field="grid")
    params = list(flat)
    return params, [dict(zip(params, combo)) for combo in itertools.product(*flat.values())]


def _sample(table, path):
    method = table.get("method", "lhs")
    if method not in SAMPLE_METHODS:
        raise ScenarioError(f"must be one of {', '.join(map(repr, SAMPLE_METHODS))}; got "
                            f"{method!r}", file=path, field="sample.method")
    n = _int_in(table, "n", 1, MAX_POINTS, None, path, "sample.")
    if n is None:
        raise ScenarioError("missing: the number of points, e.g. n = 20", file=path,
                            field="sample.n")
    seed = _int_in(table, "seed", 0, 2**63 - 1, 0, path, "sample.")
    ranges = _flat({k: v for k, v in table.items() if k not in SAMPLE_KEYS}, path, "sample")
    if not ranges:
        raise ScenarioError("no ranges to sample: add key = [lo, hi] lines", file=path,
                            field="sample")
    bounds = {key: _range(key, value, path) for key, value in ranges.items()}
    u = _unit_sample(method, n, len(bounds), seed)
    params = list(bounds)
    overrides = []
    for row in u:
        point = {}
        for key, x in zip(params, row):
            lo, hi, tp = bounds[key]
            value = lo + x * (hi - lo)
            point[key] = int(min(hi, math.floor(lo + x * (hi - lo + 1)))) if tp is int \
                else float(value)
        overrides.append(point)
    return params, overrides


def _unit_sample(method, n, d, seed):
    """``n`` points in the unit cube ``[0, 1)^d``: independent uniforms or a Latin hypercube."""
    if method == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(n)
    return np.random.default_rng(seed).random((n, d))


def _range(key, value, path):
    field = f"sample.{key}"
    tp, meta = _field(key, path, "sample")
    if tp not in (int, float):
        raise ScenarioError(f"cannot be sampled ({tp.__name__}); put it in a [grid] instead",
                            file=path, field=field)
    ok = isinstance(value, list) and len(value) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    if not ok or not value[0] < value[1]:
        raise ScenarioError(f"must be a range [lo, hi] with lo < hi; got {value!r}", file=path,
                            field=field)
    lo, hi = value
    if tp is int and not (float(lo).is_integer() and float(hi).is_integer()):
        raise ScenarioError(f"is an integer parameter: the range needs whole numbers; got "
                            f"{value!r}", file=path, field=field)
    slo, shi = meta.get("lo"), meta.get("hi")
    if (slo is not None and lo < slo) or (shi is not None and hi > shi):
        raise ScenarioError(f"range {value!r} leaves the parameter's bounds "
                            f"[{slo}, {shi}]", file=path, field=field)
    return (int(lo), int(hi), int) if tp is int else (float(lo), float(hi), float)


def _field(key, path, where):
    """Type and metadata of the parameter a dotted key names (not a section, not a list)."""
    cls, parts = Scenario, key.split(".")
    for i, part in enumerate(parts):
        fields = {name: (tp, meta) for name, tp, meta, _ in spec(cls)}
        if part not in fields:
            raise ScenarioError("unknown parameter", file=path,
                                field=f"{where}.{'.'.join(parts[:i + 1])}")
        tp, meta = fields[part]
        if meta.get("section"):
            cls = tp
            if i == len(parts) - 1:
                raise ScenarioError("is a section, not a parameter", file=path,
                                    field=f"{where}.{key}")
        elif i < len(parts) - 1:
            raise ScenarioError("is a value, not a section", file=path,
                                field=f"{where}.{'.'.join(parts[:i + 1])}")
    return tp, meta


# -- running ------------------------------------------------------------------------------------

class SweepResults:
    """The runs of a sweep, as read back from the store (:func:`run_sweep`).

    Attributes
    ----------
    sweep : Sweep
    stored : growthsim.experiment.stored.StoredResults
        Every run's daily metrics and cohorts.
    table : pandas.DataFrame
        Tidy: one row per point and replication, ``point``, the swept
        parameters, ``replication, seed, run_id`` and the sweep's metrics.
    computed, reused : int
        Runs computed by this call / found in the store.

    Examples
    --------
    >>> import tempfile
    >>> from growthsim import store as gstore
    >>> sw = load_sweep("experiments/sweeps/p_share.toml")
    >>> sw = dataclasses.replace(sw, base=sw.base.with_overrides(
    ...     {"population.n": 300, "run.days": 20}), overrides=sw.overrides[:2], replications=2)
    >>> with tempfile.TemporaryDirectory() as d, gstore.open(f"{d}/s.duckdb") as st:
    ...     res = run_sweep(sw, store=st, executor="serial")
    >>> res.computed, len(res.table), res.summary()["point"].tolist()
    (4, 4, ['p000', 'p001'])
    """

    def __init__(self, sweep, stored):
        self.sweep = sweep
        self.stored = stored
        self.computed = stored.computed
        self.reused = stored.reused
        self.table = self._table()

    def _table(self):
        pts = self.sweep.points()
        names = {sc.name: pid for pid, _, sc in pts}
        params = pd.DataFrame([{"point": pid, **over} for pid, over, _ in pts],
                              columns=["point", *self.sweep.params])
        final = self.stored.final()
        ids = self.stored.runs[["scenario", "replication", "run_id"]]
        final = final.merge(ids, on=["scenario", "replication"], how="left")
        final["point"] = final["scenario"].map(names)
        out = params.merge(final, on="point", how="right")
        cols = ["point", *self.sweep.params, "replication", "seed", "run_id",
                *self.sweep.metrics]
        return out[cols].sort_values(["point", "replication"], ignore_index=True)

    def summary(self):
        """Mean and standard deviation of each metric per point (one row per point)."""
        keys = ["point", *self.sweep.params]
        g = self.table.groupby("point", sort=True)
        mean = g[list(self.sweep.metrics)].mean().add_suffix("_mean")
        std = g[list(self.sweep.metrics)].std(ddof=1).add_suffix("_std")
        first = g[keys[1:]].first() if len(keys) > 1 else None
        parts = [p for p in (first, mean, std) if p is not None]
        return pd.concat(parts, axis=1).reset_index()

    def __repr__(self):
        return (f"SweepResults({self.sweep.name!r}: {len(self.sweep)} points x "
                f"{self.sweep.replications} replications; {self.computed} computed, "
                f"{self.reused} reused)")


def run_sweep(sweep, *, store, executor="processes", workers=None, force=False,
              progress=False):
    """Run every point of a sweep through a results store.

    Parameters
    ----------
    sweep : Sweep
    store : growthsim.store.Store
        Open and writable; runs are put into it as they finish.
    executor : {"processes", "serial", "dask"}, "dask://host:port" or Executor
        Where missing runs are computed; results do not depend on it.
    workers : int, optional
    force : bool
        Recompute runs the store already holds.
    progress : bool or callable
        A progress bar, or ``progress(done, total)`` after each stored run.

    Returns
    -------
    SweepResults

    Examples
    --------
    >>> import tempfile
    >>> from growthsim import store as gstore
    >>> sw = load_sweep("experiments/sweeps/p_share.toml")
    >>> sw = dataclasses.replace(sw, base=sw.base.with_overrides(
    ...     {"population.n": 300, "run.days": 20}), overrides=sw.overrides[:2], replications=1)
    >>> with tempfile.TemporaryDirectory() as d, gstore.open(f"{d}/s.duckdb") as st:
    ...     res = run_sweep(sw, store=st, executor="serial")
    >>> res.table[["point", "rewards.enabled", "replication"]].values.tolist()
    [['p000', True, 0], ['p001', False, 0]]
    """
    scenarios = {sc.name: sc for _, _, sc in sweep.points()}
    stored = run_stored(scenarios, sweep.replications, seed=sweep.seed, store=store,
                        executor=executor, workers=workers, force=force, progress=progress)
    return SweepResults(sweep, stored)


# -- outputs ------------------------------------------------------------------------------------

#: ``schema`` of a sweep's summary.json.
SWEEP_SCHEMA = "growthsim.sweep/1"


def sweep_summary(results):
    """The sweep part of summary.json: the spec, every point and its per-metric mean and std.

    Examples
    --------
    >>> import tempfile
    >>> from growthsim import store as gstore
    >>> sw = load_sweep("experiments/sweeps/p_share.toml")
    >>> sw = dataclasses.replace(sw, base=sw.base.with_overrides(
    ...     {"population.n": 300, "run.days": 20}), overrides=sw.overrides[:1], replications=2)
    >>> with tempfile.TemporaryDirectory() as d, gstore.open(f"{d}/s.duckdb") as st:
    ...     s = sweep_summary(run_sweep(sw, store=st, executor="serial"))
    >>> s["points"][0]["point"], s["points"][0]["params"], sorted(s["points"][0]["metrics"]["members"])
    ('p000', {'sharing.p_share': 0.05, 'rewards.enabled': True}, ['mean', 'n', 'std'])
    """
    from growthsim.experiment.stored import jsonable
    from growthsim.store import scenario_hash

    sw, table = results.sweep, results.table
    points = []
    for pid, over, sc in sw.points():
        rows = table[table["point"] == pid]
        points.append({
            "point": pid, "params": over, "scenario_hash": scenario_hash(sc),
            "runs": rows[["replication", "seed", "run_id", *sw.metrics]].to_dict("records"),
            "metrics": {m: {"mean": rows[m].mean(), "std": rows[m].std(ddof=1),
                            "n": int(rows[m].notna().sum())} for m in sw.metrics},
        })
    return jsonable({
        "name": sw.name, "description": sw.description, "file": sw.file,
        "base": sw.base.source_file or None, "days": sw.base.run.days,
        "replications": sw.replications, "seed": sw.seed, "params": list(sw.params),
        "metrics": list(sw.metrics), "computed": results.computed, "reused": results.reused,
        "points": points,
    })


def plot_sweep(table, params, metrics, folder):
    """One PNG per metric and swept parameter: every run, and the mean per value, in ``folder``.

    Returns the file names written. Uses matplotlib's object API (no pyplot state).

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> table = pd.DataFrame({"point": ["p0", "p0", "p1", "p1"], "sharing.p_share": [0.1, 0.1, 0.2, 0.2],
    ...                       "replication": [0, 1, 0, 1], "members": [10, 12, 20, 22]})
    >>> plot_sweep(table, ["sharing.p_share"], ["members"], tempfile.mkdtemp())
    ['members__sharing_p_share.png']
    """
    from matplotlib.figure import Figure

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for param in params:
        x, ticks = _positions(table[param])
        for metric in metrics:
            fig = Figure(figsize=(5.5, 3.6), layout="constrained")
            ax = fig.add_subplot()
            y = table[metric].to_numpy(dtype=float)
            ax.scatter(x, y, s=14, alpha=0.45, color="#4C72B0", label="runs")
            means = pd.Series(y).groupby(x).mean()
            ax.plot(means.index, means.to_numpy(), "o-", color="#C44E52", ms=4,
                    label="mean per value" if len(params) == 1 else
                    "mean per value (over the other parameters too)")
            if ticks is not None:
                ax.set_xticks(range(len(ticks)), [str(t) for t in ticks])
            ax.set_xlabel(param)
            ax.set_ylabel(metric)
            ax.set_title(f"{metric} against {param}", fontsize=10)
            ax.legend(fontsize=7, frameon=False)
            name = f"{_file_part(metric)}__{_file_part(param)}.png"
            fig.savefig(folder / name, dpi=110)
            written.append(name)
    return written


def _positions(values):
    """Numbers plot as themselves; anything else (booleans, names, lists) as categories."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float), None
    labels = list(dict.fromkeys(map(str, values)))
    return np.array([labels.index(str(v)) for v in values], dtype=float), labels


def _file_part(text):
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(text))
