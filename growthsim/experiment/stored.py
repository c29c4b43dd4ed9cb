"""Replications and comparisons through a results store: a finished run is never recomputed.

:func:`run_stored` is :func:`growthsim.experiment.compare` with memory. Every
run is identified by :func:`growthsim.store.run_id` (a hash of the scenario's
parameters, the run seed and the code version); runs the store already holds
are loaded, the others run on an executor and each is written to the store
the moment it finishes, so an interrupted command loses at most the runs in
flight. Every figure is then read back from the store, so a table is the same,
bit for bit, whether its runs were computed now or long ago, serially or in
worker processes. docs/cli.md describes the store and the summary built here.
"""

import math
import numbers
import time
import traceback
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from growthsim import metrics as M
from growthsim.errors import GrowthsimError
from growthsim.experiment.comparison import _named
from growthsim.experiment.executors import ExperimentError, SerialExecutor, get_executor
from growthsim.experiment.replications import _prepared, check_reps, replication_seeds
from growthsim.experiment.stats import paired_differences, summarize

#: Days per cohort and per age step of the stored cohort tables (months).
COHORT_PERIOD = 30

#: Whole-run figures of :meth:`StoredResults.final`, one row per run, with their definitions.
FINAL_COLUMNS = {
    "members": "Members at the end of the last simulated day.",
    "cum_members": "People who ever joined, at the end (seeds and KOCs included).",
    "dau_mau": "Mean of the daily dau_mau over the last 30 simulated days.",
    "wom_share": "(new_wom + new_koc) / new_members summed over the run: share of all joins "
                 "referred by members or KOCs (NaN without joins).",
    "ltv": "The daily ltv on the last day (gross margin per member ever joined, yuan).",
    "cac": "The daily cac on the last day (cumulative acquisition cost per join, yuan).",
    "ltv_cac": "The daily ltv_cac on the last day.",
    "revenue": "Revenue over the run (yuan).",
    "reward_cost": "Reward spend over the run (yuan).",
    "ad_cost": "Ad spend over the run (yuan).",
    "koc_cost": "KOC fees over the run (yuan).",
    "acquisition_cost": "Acquisition cost over the run (yuan; check-in rewards left out).",
}

_KEYS = ["scenario", "replication", "seed"]


class RunFailedError(RuntimeError):
    """A run crashed (a bug, not bad input); the store records it as failed.

    Examples
    --------
    >>> issubclass(RunFailedError, RuntimeError)
    True
    """


def run_stored(scenarios, reps, *, seed=None, days=None, store, executor="processes",
               workers=None, force=False, progress=True):
    """Run scenarios under common seeds through a results store.

    Parameters
    ----------
    scenarios : dict of str to Scenario, or sequence of Scenario
        As in :func:`growthsim.experiment.compare`; the first is the base.
    reps : int
        Replications per scenario; replication ``r`` of every scenario uses
        seed ``replication_seeds(seed, reps)[r]`` (common random numbers).
    seed : int, optional
        Base seed; default the scenarios' common ``run.seed`` (an error if
        they differ).
    days : int, optional
        Overrides ``run.days`` of every scenario.
    store : growthsim.store.Store
        An open, writable store.
    executor : {"processes", "serial"} or Executor
        Where missing runs are computed; ``workers=1`` or a single missing run
        also runs in this process. Results do not depend on it.
    workers : int, optional
        Worker processes (default one per CPU).
    force : bool
        Recompute and overwrite runs the store already holds.
    progress : bool or callable
        A progress bar over runs (tqdm.auto, on stderr), or a function called
        as ``progress(done, total)`` after each run is stored.

    Returns
    -------
    StoredResults

    Raises
    ------
    GrowthsimError
        A scenario cannot run (bad input); nothing is stored for it.
    RunFailedError
        A run crashed; it is recorded in the store as failed, the others are kept.

    Examples
    --------
    >>> import tempfile, growthsim as gs
    >>> from growthsim import store as gstore
    >>> sc = gs.Scenario().with_overrides({"name": "tiny", "population.n": 500, "run.days": 40})
    >>> with tempfile.TemporaryDirectory() as d, gstore.open(f"{d}/r.duckdb") as st:
    ...     first = run_stored({"tiny": sc}, 2, seed=1, store=st, executor="serial",
    ...                        progress=False)
    ...     again = run_stored({"tiny": sc}, 2, seed=1, store=st, executor="serial",
    ...                        progress=False)
    >>> (first.computed, first.reused), (again.computed, again.reused)
    ((2, 0), (0, 2))
    >>> again.daily.equals(first.daily), len(first.daily)
    (True, 80)
    """
    from growthsim.store import run_id

    reps = check_reps(reps)
    named = {name: _prepared(sc, days) for name, sc in _named(scenarios).items()}
    seed = base_seed_of(named, seed)
    seeds = replication_seeds(seed, reps)
    plan = pd.DataFrame([(name, r, s, run_id(sc, s)) for name, sc in named.items()
                         for r, s in enumerate(seeds)], columns=[*_KEYS, "run_id"])
    wanted = list(dict.fromkeys(plan["run_id"]))
    done = set() if force else set(store.done(wanted))
    first = plan.drop_duplicates("run_id").set_index("run_id")
    todo = [rid for rid in wanted if rid not in done]
    names = list(named)
    tasks = [(names.index(first.at[rid, "scenario"]), int(first.at[rid, "replication"]),
              int(first.at[rid, "seed"])) for rid in todo]
    scenario_list = tuple(named[name] for name in names)
    _compute(store, _executor(executor, workers, len(tasks)), scenario_list, tasks, todo,
             force, _bar(progress, len(wanted), len(wanted) - len(todo), names))
    plan["reused"] = plan["run_id"].isin(done)
    return StoredResults.load(store, named, plan, base_seed=seed, computed=len(todo))


def base_seed_of(named, seed=None):
    """The base seed of common replications: ``seed``, else the scenarios' one ``run.seed``.

    Examples
    --------
    >>> import growthsim as gs
    >>> a = gs.Scenario().with_overrides({"run.seed": 7})
    >>> base_seed_of({"a": a, "b": a}), base_seed_of({"a": a}, seed=3)
    (7, 3)
    """
    if seed is not None:
        return seed
    bases = {sc.run.seed for sc in named.values()}
    if len(bases) > 1:
        raise ExperimentError("the scenarios have different run.seed values "
                              f"({', '.join(map(str, sorted(bases)))}); pass seed= (--seed S "
                              "on the command line) to choose the base seed of their common "
                              "replications")
    return bases.pop()


def _executor(executor, workers, n_tasks):
    # A worker process pays a few seconds to load the compiled kernels: not worth it for one run.
    if isinstance(executor, str) and executor == "processes" and (workers == 1 or n_tasks <= 1):
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                    or workers < 1):
            raise ExperimentError(f"workers must be an integer >= 1; got {workers!r}")
        return SerialExecutor()
    return get_executor(executor, workers)


def _bar(progress, total, initial, names):
    if callable(progress):
        return _Callback(progress, total, initial)
    if not progress:
        return None
    from tqdm.auto import tqdm

    desc = names[0] if len(names) == 1 else f"{len(names)} scenarios"
    return tqdm(total=total, initial=initial, unit="run", desc=desc, dynamic_ncols=True)


class _Callback:
    """A progress bar's update/close calling ``progress(done, total)`` after each run."""

    def __init__(self, progress, total, done):
        self.progress, self.total, self.done = progress, total, done

    def update(self, n):
        self.done += n
        self.progress(self.done, self.total)

    def close(self):
        pass


def _compute(store, ex, scenarios, tasks, run_ids, force, bar):
    """Run ``tasks`` and put each result into the store as it arrives."""
    user_errors, crashes = [], []
    try:
        for i, out in ex.imap(run_one, scenarios, tasks):
            k, _, seed = tasks[i]
            if out["status"] == "ok":
                store.put(run_ids[i], scenarios[k], seed, out["daily"], cohorts=out["cohorts"],
                          started_at=out["started_at"], wall_seconds=out["wall_seconds"],
                          force=force)
            elif out["status"] == "bad_input":
                user_errors.append(out["error"])
            else:
                store.put_failed(run_ids[i], scenarios[k], seed, error=out["error"],
                                 started_at=out["started_at"],
                                 wall_seconds=out["wall_seconds"])
                crashes.append((scenarios[k].name, seed, out["error"]))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    if crashes:
        name, seed, error = crashes[0]
        raise RunFailedError(f"{len(crashes)} run(s) failed; the first, {name!r} with seed "
                             f"{seed}:\n{error}")
    if user_errors:
        raise ExperimentError(user_errors[0])


def run_one(scenarios, task):
    """One run in this process: a dict with its status, daily table, cohorts and timings.

    ``task`` is ``(scenario index, replication, seed)``. Bad input is
    returned as ``status="bad_input"`` and a crash as ``status="failed"``
    with its traceback, so the caller knows which run they belong to.
    Top-level so worker processes can import it.

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 300, "run.days": 10})
    >>> out = run_one((sc,), (0, 0, 5))
    >>> out["status"], len(out["daily"])
    ('ok', 10)
    """
    from growthsim.model import GrowthModel

    k, _, seed = task
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    try:
        model = GrowthModel(scenarios[k], seed=seed)
        daily = model.run()
        cohorts = M.cohort_matrix(model, period=COHORT_PERIOD)
    except GrowthsimError as exc:
        return {"status": "bad_input", "error": str(exc)}
    except Exception:  # noqa: BLE001 - recorded in the store, then raised by the caller
        return {"status": "failed", "error": traceback.format_exc(), "started_at": started,
                "wall_seconds": time.perf_counter() - t0}
    return {"status": "ok", "daily": daily, "cohorts": cohorts, "started_at": started,
            "wall_seconds": time.perf_counter() - t0}


class StoredResults:
    """The runs of one or more scenarios under common seeds, as read from a store.

    Attributes
    ----------
    scenarios : dict of str to Scenario
        As run (``run.days`` applied), in order; the first is the base.
    runs : pandas.DataFrame
        One row per scenario and replication: ``scenario, replication, seed,
        run_id, reused`` (reused: the store held the run before this call).
    seeds : tuple of int
        The replication seeds every scenario shares.
    base_seed : int
        The seed they were derived from.
    computed : int
        Runs computed by this call.
    daily : pandas.DataFrame
        ``scenario, replication, seed, day`` and every metric column, sorted.
    cohorts : pandas.DataFrame
        ``scenario, replication, seed, cohort, age, size, retained``
        (:func:`growthsim.metrics.cohort_matrix` with 30-day periods).
    columns : dict of str to list of str
        Each scenario's metric columns (``daily`` has their union: a scenario
        whose ladder has fewer tiers reads NaN in the others' ``tier_*``).

    Examples
    --------
    >>> import tempfile, growthsim as gs
    >>> from growthsim import store
    >>> sc = gs.Scenario().with_overrides({"name": "tiny", "population.n": 300, "run.days": 30})
    >>> with tempfile.TemporaryDirectory() as d, store.open(f"{d}/r.duckdb") as st:
    ...     res = run_stored([sc], 2, seed=1, store=st, executor="serial", progress=False)
    >>> res.names, res.computed, len(res.daily), res.final()["replication"].tolist()
    (('tiny',), 2, 60, [0, 1])
    """

    def __init__(self, scenarios, runs, daily, cohorts, *, base_seed=None, computed=0,
                 columns=None):
        self.scenarios = dict(scenarios)
        self.runs = runs.reset_index(drop=True)
        self.daily = daily
        self.cohorts = cohorts
        self.base_seed = base_seed
        self.computed = int(computed)
        self.seeds = tuple(int(s) for s in runs.loc[runs["scenario"] == self.names[0], "seed"])
        metrics = [c for c in daily.columns if c not in (*_KEYS, "day")]
        self.columns = {name: list((columns or {}).get(name, metrics)) for name in scenarios}
        self._yearly = None

    @classmethod
    def load(cls, store, scenarios, runs, *, base_seed=None, computed=0):
        """Read the runs listed in ``runs`` (with a ``run_id`` column) from ``store``."""
        daily, cohorts, columns = [], [], {}
        for name in scenarios:
            keys = runs.loc[runs["scenario"] == name, [*_KEYS, "run_id"]]
            ids = list(keys["run_id"])
            m = store.metrics(ids)
            missing = [rid for rid in ids if rid not in set(m["run_id"])]
            if missing:
                raise ExperimentError(f"the store has no daily metrics for run {missing[0]}")
            # Scenarios may differ in columns (a ladder's tiers): each keeps its own list.
            columns[name] = [c for c in m.columns if c not in ("run_id", "day")]
            daily.append(_tidy(m, keys))
            cohorts.append(_tidy(store.cohorts(ids), keys))
        daily = pd.concat(daily, ignore_index=True)
        cohorts = pd.concat(cohorts, ignore_index=True)[
            [*_KEYS, "cohort", "age", "size", "retained"]]
        return cls(scenarios, runs, daily, cohorts, base_seed=base_seed, computed=computed,
                   columns=columns)

    @property
    def names(self):
        """Scenario names in order (the first is the base)."""
        return tuple(self.scenarios)

    @property
    def run_ids(self):
        """Run id of every scenario and replication, in order (repeated if two coincide)."""
        return tuple(self.runs["run_id"])

    @property
    def reused(self):
        """Distinct runs loaded from the store without running them."""
        return int(self.runs.loc[self.runs["reused"], "run_id"].nunique())

    def run_daily(self, scenario, replication):
        """The daily table of one run (as :attr:`GrowthModel.metrics`, without the key columns)."""
        sel = (self.daily["scenario"] == scenario) & (self.daily["replication"] == replication)
        if not sel.any():
            raise ExperimentError(f"no run {scenario!r} replication {replication!r}")
        return self.daily.loc[sel, ["day", *self.columns[scenario]]].reset_index(drop=True)

    def yearly(self):
        """:func:`growthsim.metrics.yearly` of every run, ``scenario, replication, seed`` first."""
        if self._yearly is None:
            parts = [M.yearly(part[["day", *self.columns[name]]]).assign(
                scenario=name, replication=r, seed=s)
                for (name, r, s), part in self._groups(self.daily)]
            out = pd.concat(parts, ignore_index=True)
            self._yearly = out[[*_KEYS, *[c for c in out.columns if c not in _KEYS]]]
        return self._yearly.copy()

    def final(self):
        """Whole-run figures (:data:`FINAL_COLUMNS`), one row per run (keys first)."""
        rows = [{"scenario": name, "replication": r, "seed": s, **final_figures(part)}
                for (name, r, s), part in self._groups(self.daily)]
        return pd.DataFrame(rows, columns=[*_KEYS, *FINAL_COLUMNS])

    def _groups(self, frame):
        order = {name: k for k, name in enumerate(self.names)}
        groups = frame.groupby(_KEYS, sort=False)
        return sorted(groups, key=lambda item: (order[item[0][0]], item[0][1]))

    def summary(self, metrics=None, level=0.95):
        """Per scenario, year and metric: mean, std, t interval and n over replications.

        See :func:`growthsim.experiment.summarize`; ``metrics`` defaults to every
        yearly figure. Index ``(scenario, year, metric)``.
        """
        y = self.yearly().drop(columns=["replication", "seed", "days"])
        return summarize(y, metrics, by=["scenario", "year"], level=level) \
            .reindex(list(self.names), level="scenario")

    def final_summary(self, metrics=None, level=0.95):
        """As :meth:`summary` for the whole-run figures; index ``(scenario, metric)``."""
        f = self.final().drop(columns=["replication", "seed"])
        return summarize(f, metrics, by="scenario", level=level) \
            .reindex(list(self.names), level="scenario")

    @property
    def final_year(self):
        """The last simulated year every scenario reached (1-based)."""
        y = self.yearly()
        return int(y.groupby("scenario")["year"].max().min())

    def differences(self, base=None, metrics=None, level=0.95):
        """Paired differences ``scenario - base`` of the final year's figures.

        Pairs are replications with the same seed (common random numbers);
        intervals are paired-t (:func:`growthsim.experiment.paired_differences`).

        Parameters
        ----------
        base : str, optional
            Default: the first scenario.
        metrics : sequence of str, optional
            Yearly figures; default all of them.
        level : float
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            Columns ``scenario, base, year, metric, diff, std, ci_low, ci_high,
            n, p_value, base_mean``; one row per other scenario and metric.
        """
        base = self.names[0] if base is None else base
        if base not in self.scenarios:
            raise ExperimentError(f"unknown base {base!r}; valid: "
                                  f"{', '.join(map(repr, self.names))}")
        year = self.final_year
        y = self.yearly()
        y = y[y["year"] == year].drop(columns=["seed", "days", "year"])
        d = paired_differences(y, base, group="scenario", pair="replication", by=None,
                               metrics=metrics, level=level)
        d = d.reindex([n for n in self.names if n != base], level="scenario")
        out = d.reset_index().rename(columns={"mean": "diff"})
        base_mean = y[y["scenario"] == base].drop(columns=["scenario", "replication"]).mean()
        out.insert(1, "base", base)
        out.insert(2, "year", year)
        out["base_mean"] = out["metric"].map(base_mean).astype(float)
        return out[["scenario", "base", "year", "metric", "diff", "std", "ci_low", "ci_high",
                    "n", "p_value", "base_mean"]]

    def __repr__(self):
        return (f"StoredResults({len(self.names)} scenario(s) x {len(self.seeds)} "
                f"replications, base_seed={self.base_seed}; {self.computed} computed, "
                f"{self.reused} reused)")


def final_figures(daily):
    """The whole-run figures of :data:`FINAL_COLUMNS` for one run's daily table.

    Examples
    --------
    >>> df = pd.DataFrame({"members": [5, 8], "cum_members": [5, 9], "dau_mau": [0.5, 0.3],
    ...                    "new_wom": [1, 2], "new_koc": [0, 1], "new_members": [2, 4],
    ...                    "ltv": [1.0, 2.0], "cac": [4.0, 4.0], "ltv_cac": [0.25, 0.5],
    ...                    "revenue": [10.0, 20.0], "reward_cost": [1.0, 1.0],
    ...                    "ad_cost": [0.0, 3.0], "koc_cost": [0.0, 0.0],
    ...                    "acquisition_cost": [1.0, 4.0]})
    >>> f = final_figures(df)
    >>> f["members"], f["wom_share"], f["dau_mau"], f["revenue"]
    (8, 0.667, 0.4, 30.0)
    """
    last = daily.iloc[-1]
    joins = daily["new_members"].sum()
    tail = daily["dau_mau"].to_numpy(dtype=float)[-30:]
    return {
        "members": int(last["members"]),
        "cum_members": int(last["cum_members"]),
        "dau_mau": float(np.nanmean(tail)) if np.isfinite(tail).any() else math.nan,
        "wom_share": float((daily["new_wom"].sum() + daily["new_koc"].sum()) / joins)
        if joins > 0 else math.nan,
        "ltv": float(last["ltv"]), "cac": float(last["cac"]), "ltv_cac": float(last["ltv_cac"]),
        **{c: float(daily[c].sum()) for c in ("revenue", "reward_cost", "ad_cost", "koc_cost",
                                              "acquisition_cost")},
    }


def _tidy(frame, keys):
    """``frame`` (run_id first, in run order) with the plan's keys in place of ``run_id``."""
    out = keys.merge(frame, on="run_id", how="inner").drop(columns="run_id")
    return out.astype({"replication": np.int64, "seed": np.int64})


def jsonable(value):
    """``value`` with NumPy scalars made Python and NaN/inf made None (valid JSON).

    Examples
    --------
    >>> jsonable({"a": np.float64("nan"), "b": [np.int64(3), 1.5], 2: np.bool_(True)})
    {'a': None, 'b': [3, 1.5], '2': True}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.isoformat()
    return value


def _stat(row):
    return {"mean": row["mean"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
            "std": row["std"], "n": int(row["n"])}


def summary_record(results, files=None, level=0.95):
    """The ``scenarios`` part of summary.json (docs/cli.md) as plain JSON-ready data.

    Parameters
    ----------
    results : StoredResults
    files : dict of str to str, optional
        Scenario name -> the file it came from.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    list of dict
        One entry per scenario: ``file, name, scenario_hash, days, base_seed,
        replications, means, final_means``.

    Examples
    --------
    >>> import tempfile, growthsim as gs
    >>> from growthsim import store
    >>> sc = gs.Scenario().with_overrides({"name": "tiny", "population.n": 300, "run.days": 30})
    >>> with tempfile.TemporaryDirectory() as d, store.open(f"{d}/r.duckdb") as st:
    ...     res = run_stored([sc], 2, seed=1, store=st, executor="serial", progress=False)
    >>> (rec,) = summary_record(res)
    >>> rec["name"], rec["days"], [r["replication"] for r in rec["replications"]]
    ('tiny', 30, [0, 1])
    """
    from growthsim.store import scenario_hash

    files = files or {}
    yearly, final = results.yearly(), results.final()
    means, final_means = results.summary(level=level), results.final_summary(level=level)
    out = []
    for name, sc in results.scenarios.items():
        reps = []
        for _, run in results.runs[results.runs["scenario"] == name].iterrows():
            r = int(run["replication"])
            y = yearly[(yearly["scenario"] == name) & (yearly["replication"] == r)]
            f = final[(final["scenario"] == name) & (final["replication"] == r)].iloc[0]
            reps.append({"replication": r, "seed": int(run["seed"]), "run_id": run["run_id"],
                         "reused": bool(run["reused"]),
                         "final": {c: f[c] for c in FINAL_COLUMNS},
                         "yearly": y.drop(columns=_KEYS).to_dict("records")})
        m = means.xs(name, level="scenario")
        by_year = {int(year): {metric: _stat(row) for metric, row in part.xs(
            year, level="year").iterrows()} for year, part in m.groupby(level="year")}
        fm = final_means.xs(name, level="scenario")
        out.append(jsonable({
            "file": files.get(name), "name": name, "scenario_hash": scenario_hash(sc),
            "days": sc.run.days, "base_seed": results.base_seed, "replications": reps,
            "means": by_year, "final_means": {metric: _stat(row) for metric, row in fm.iterrows()},
        }))
    return out
