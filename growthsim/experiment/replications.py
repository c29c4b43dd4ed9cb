"""Replications of one scenario under a list of derived seeds.

Replication ``r`` is an ordinary run, ``GrowthModel(scenario, seed=seeds[r])``:
the seed draws the graph (unless the scenario carries one) and every random
number of the dynamics. See docs/experiments.md.
"""

import numbers

import numpy as np
import pandas as pd

from growthsim import metrics as M
from growthsim.experiment.executors import ExperimentError, get_executor
from growthsim.experiment.stats import summarize
from growthsim.scenario import Scenario

_SEED_MAX = 2**53  # run.seed's upper bound (it must fit a float64 exactly)


def replication_seeds(base_seed, reps):
    """The run seeds of replications ``0 .. reps-1`` derived from one base seed.

    Seed ``r`` is the first 64-bit word of NumPy's
    ``SeedSequence(base_seed, spawn_key=(r,))`` shifted right by 11 bits
    (53 bits, within ``run.seed``'s range). The list is deterministic, the
    seeds are statistically independent streams, and it is prefix-stable:
    the first k seeds of ``reps=n`` are the seeds of ``reps=k``, so adding
    replications keeps the old ones.

    Parameters
    ----------
    base_seed : int
        Non-negative integer (a scenario's ``run.seed``).
    reps : int
        Number of replications (>= 1).

    Returns
    -------
    tuple of int

    Examples
    --------
    >>> seeds = replication_seeds(1, 3)
    >>> seeds == replication_seeds(1, 5)[:3], len(set(seeds)), all(0 <= s < 2**53 for s in seeds)
    (True, 3, True)
    """
    reps = check_reps(reps)
    if isinstance(base_seed, bool) or not isinstance(base_seed, numbers.Integral) \
            or base_seed < 0:
        raise ExperimentError(f"seed must be a non-negative integer; got {base_seed!r}")
    return tuple(int(np.random.SeedSequence(int(base_seed), spawn_key=(r,))
                     .generate_state(1, np.uint64)[0] >> np.uint64(11)) for r in range(reps))


def check_reps(reps):
    """``reps`` as an int, or a clear error if it is not an integer >= 1.

    Examples
    --------
    >>> check_reps(3)
    3
    >>> check_reps(0)
    Traceback (most recent call last):
    ...
    growthsim.experiment.executors.ExperimentError: reps must be an integer >= 1; got 0
    """
    if isinstance(reps, bool) or not isinstance(reps, numbers.Integral) or reps < 1:
        raise ExperimentError(f"reps must be an integer >= 1; got {reps!r}")
    return int(reps)


def replicate(scenario, reps=10, *, seed=None, days=None, executor="serial", workers=None,
              collect=None, progress=False):
    """Run a scenario ``reps`` times with derived seeds.

    Parameters
    ----------
    scenario : Scenario
    reps : int
        Number of replications.
    seed : int, optional
        Base seed of :func:`replication_seeds`; default ``scenario.run.seed``.
    days : int, optional
        Overrides ``run.days``.
    executor : {"serial", "processes"} or Executor
        Where the runs happen (:data:`growthsim.experiment.EXECUTORS`).
        Results are identical whatever the executor and worker count.
    workers : int, optional
        Worker processes for ``executor="processes"`` (default: one per CPU).
    collect : callable, optional
        ``collect(model) -> dict`` called on each finished model; values are
        scalars or small DataFrames, kept in :attr:`Replications.collected`.
        Must be a top-level function for ``executor="processes"``.
    progress : bool
        Show a progress bar over replications.

    Returns
    -------
    Replications

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"name": "small", "population.n": 2_000})
    >>> reps = replicate(sc, 3, seed=1, days=60)
    >>> reps.daily.groupby("rep").size().tolist()
    [60, 60, 60]
    >>> s = reps.summary(["members_end"])
    >>> bool(s.loc[(1, "members_end"), "ci_low"] <= s.loc[(1, "members_end"), "mean"])
    True
    """
    runs = run_scenarios({scenario_name(scenario): scenario}, reps, seed=seed, days=days,
                         executor=executor, workers=workers, collect=collect,
                         progress=progress)
    return next(iter(runs.values()))


def scenario_name(scenario):
    """The name a scenario is filed under, or a clear error if it is not a Scenario.

    Examples
    --------
    >>> import growthsim as gs
    >>> scenario_name(gs.Scenario().with_overrides({"name": "ladder"}))
    'ladder'
    >>> scenario_name("ladder.toml")
    Traceback (most recent call last):
    ...
    growthsim.experiment.executors.ExperimentError: expected a growthsim Scenario; got str
    """
    if not isinstance(scenario, Scenario):
        raise ExperimentError(f"expected a growthsim Scenario; got {type(scenario).__name__}")
    return scenario.name


def run_scenarios(scenarios, reps, *, seed=None, days=None, executor="serial", workers=None,
                  collect=None, progress=False):
    """Every scenario of a dict name -> Scenario under the same seeds, as Replications.

    Examples
    --------
    >>> import growthsim as gs
    >>> a = gs.Scenario().with_overrides({"population.n": 300})
    >>> runs = run_scenarios({"a": a, "b": a.with_overrides({"sharing.p_share": 0.2})}, 2,
    ...                      seed=1, days=20)
    >>> list(runs), runs["a"].seeds == runs["b"].seeds
    (['a', 'b'], True)
    """
    reps = check_reps(reps)
    if collect is not None and not callable(collect):
        raise ExperimentError(f"collect must be callable; got {type(collect).__name__}")
    ex = get_executor(executor, workers)
    names = list(scenarios)
    runs = [_prepared(scenarios[name], days) for name in names]
    if seed is None:
        bases = {sc.run.seed for sc in runs}
        if len(bases) > 1:
            raise ExperimentError("the scenarios have different run.seed values "
                                  f"({', '.join(map(str, sorted(bases)))}); pass seed= to "
                                  "choose the base seed of their common replications")
        seed = bases.pop()
    seeds = replication_seeds(seed, reps)
    tasks = [(k, r, s) for k in range(len(runs)) for r, s in enumerate(seeds)]
    results = [None] * len(tasks)
    bar = _bar(progress, len(tasks), names)
    try:
        for i, result in ex.imap(run_replication, (tuple(runs), collect), tasks):
            results[i] = result
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    out = {}
    for k, name in enumerate(names):
        mine = results[k * reps:(k + 1) * reps]
        out[name] = Replications(runs[k], seeds, [df for df, _ in mine],
                                 [extra for _, extra in mine], base_seed=seed)
    return out


def _prepared(scenario, days):
    scenario_name(scenario)
    if days is not None:
        scenario = scenario.with_overrides({"run.days": days})
    return scenario


def _bar(progress, total, names):
    if not progress:
        return None
    from tqdm.auto import tqdm

    desc = names[0] if len(names) == 1 else f"{len(names)} scenarios"
    return tqdm(total=total, unit="run", desc=desc)


def run_replication(shared, task):
    """One replication in this process: ``(daily metrics, collected dict)``.

    ``shared`` is ``(scenarios, collect)``; ``task`` is
    ``(scenario index, replication, seed)``. Top-level so worker processes
    can import it.

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 300, "run.days": 10})
    >>> daily, collected = run_replication(((sc,), None), (0, 0, 5))
    >>> daily.equals(gs.GrowthModel(sc, seed=5).run()), collected
    (True, {})
    """
    from growthsim.model import GrowthModel

    scenarios, collect = shared
    k, _, seed = task
    model = GrowthModel(scenarios[k], seed=seed)
    daily = model.run()
    return daily, ({} if collect is None else _checked(collect(model)))


def _checked(extra):
    if not isinstance(extra, dict):
        raise ExperimentError(f"collect must return a dict; got {type(extra).__name__}")
    for key, value in extra.items():
        if not isinstance(key, str):
            raise ExperimentError(f"collect returned a non-string key {key!r}")
        if not (value is None or isinstance(value, (numbers.Number, str, np.generic,
                                                    pd.DataFrame, pd.Series))):
            raise ExperimentError(f"collect returned {key!r}: {type(value).__name__}; values "
                                  "must be scalars or DataFrames")
    return extra


class Replications:
    """The runs of one scenario under :func:`replication_seeds` (from :func:`replicate`).

    Attributes
    ----------
    scenario : Scenario
        The scenario that ran (``run.days`` as run; ``run.seed`` is the base seed's source).
    seeds : tuple of int
        Run seed of each replication.
    base_seed : int
        The seed the run seeds were derived from.
    collected : list of dict
        What ``collect`` returned, one dict per replication (empty dicts without it).

    Examples
    --------
    >>> import growthsim as gs
    >>> reps = replicate(gs.Scenario().with_overrides({"population.n": 300}), 2, seed=1, days=30)
    >>> reps.reps, reps.seeds == replication_seeds(1, 2), len(reps.daily)
    (2, True, 60)
    >>> reps.yearly()["year"].unique().tolist()
    [1]
    """

    def __init__(self, scenario, seeds, frames, collected, base_seed=None):
        self.scenario = scenario
        self.seeds = tuple(seeds)
        self.base_seed = base_seed
        self.collected = list(collected)
        self._frames = list(frames)
        self._daily = self._yearly = None

    @property
    def reps(self):
        """Number of replications."""
        return len(self.seeds)

    @property
    def daily(self):
        """Daily metrics of every replication, one long DataFrame with a ``rep`` column first."""
        if self._daily is None:
            self._daily = _stacked(self._frames, "rep")
        return self._daily

    def run_daily(self, rep):
        """The daily metrics of replication ``rep`` alone (as ``GrowthModel.metrics``)."""
        return self._frames[rep]

    def yearly(self):
        """Yearly figures (:func:`growthsim.metrics.yearly`) per replication, ``rep`` first."""
        if self._yearly is None:
            self._yearly = _stacked([M.yearly(df) for df in self._frames], "rep")
        return self._yearly.copy()

    def summary(self, metrics=None, level=0.95):
        """Mean, std and t confidence interval per year and metric over replications.

        See :func:`growthsim.experiment.summarize`; ``metrics`` defaults to
        every yearly figure.
        """
        return summarize(self.yearly(), metrics, by="year", level=level)

    def collected_frame(self, key=None):
        """Collected values as one table.

        With ``key=None``: one row per replication, a column per scalar that
        ``collect`` returned. With a key naming a DataFrame: those frames
        stacked with a ``rep`` column first.
        """
        if key is None:
            rows = [{k: v for k, v in extra.items()
                     if not isinstance(v, (pd.DataFrame, pd.Series))}
                    for extra in self.collected]
            return pd.DataFrame(rows, index=pd.RangeIndex(self.reps, name="rep"))
        missing = [r for r, extra in enumerate(self.collected) if key not in extra]
        if missing:
            raise ExperimentError(f"replication {missing[0]} collected no {key!r}")
        return _stacked([pd.DataFrame(extra[key]) for extra in self.collected], "rep")

    def __repr__(self):
        days = self.scenario.run.days
        head = (f"Replications({self.scenario.name!r}, reps={self.reps}, days={days:,}, "
                f"base_seed={self.base_seed})")
        y = self.yearly()
        if y.empty:
            return head
        last = int(y["year"].max())
        s = self.summary(["members_end", "wom_share"]).xs(last, level="year")
        return (f"{head}\n  year {last}: members_end {_pm(s.loc['members_end'], '{:,.0f}')}, "
                f"wom_share {_pm(s.loc['wom_share'], '{:.1%}')} (mean ± 95% CI half-width)")


def _stacked(frames, key):
    parts = [df.assign(**{key: r}) for r, df in enumerate(frames)]
    if not parts:
        return pd.DataFrame({key: []})
    out = pd.concat(parts, ignore_index=True)
    return out[[key, *[c for c in out.columns if c != key]]]


def _pm(row, fmt):
    """``mean ± half-width`` of a summary row, formatted."""
    text = fmt.format(row["mean"]) if np.isfinite(row["mean"]) else "n/a"
    half = row["ci_high"] - row["mean"]
    if np.isfinite(half):
        text += " ± " + fmt.format(half).lstrip()
    return text
