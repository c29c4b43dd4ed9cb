"""Compare scenarios (levers) under common random numbers, with paired confidence intervals."""

import numpy as np
import pandas as pd

from growthsim.experiment.executors import ExperimentError
from growthsim.experiment.replications import check_reps, run_scenarios, scenario_name, _pm
from growthsim.experiment.stats import paired_differences, summarize

#: The strategist's headline figures in :meth:`Comparison.table`, with their number formats.
HEADLINE = {
    "members_end": "{:,.0f}",
    "cum_members_end": "{:,.0f}",
    "wom_share": "{:.1%}",
    "dau_mau": "{:.1%}",
    "churn_rate": "{:.1%}",
    "revenue": "{:,.0f}",
    "acquisition_cost": "{:,.0f}",
    "cac": "{:,.1f}",
    "ltv_cac_end": "{:.2f}",
}


def compare(scenarios, reps=10, *, seed=None, days=None, executor="serial", workers=None,
            collect=None, progress=False):
    """Run several scenarios with the same replication seeds (common random numbers).

    Replication ``r`` of every scenario uses the same seed, hence the same
    graph (drawn from the seed) and the same random numbers wherever the
    scenarios do the same thing, so differences between scenarios are
    measured pair by pair with far less noise than independent runs.

    Parameters
    ----------
    scenarios : dict of str to Scenario, or sequence of Scenario
        A list is named by each ``scenario.name`` (names must be unique).
        The first scenario is the default baseline.
    reps : int
        Replications per scenario.
    seed : int, optional
        Base seed of the shared replication seeds; default the scenarios'
        common ``run.seed`` (an error if they differ).
    days, executor, workers, collect, progress
        As in :func:`replicate`; every run of every scenario is one task.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import growthsim as gs
    >>> base = gs.Scenario().with_overrides({"name": "base", "population.n": 2_000})
    >>> more = base.with_overrides({"name": "more_sharing", "sharing.p_share": 0.2})
    >>> cmp = compare([base, more], reps=3, seed=1, days=60)
    >>> list(cmp.names), cmp.seeds == cmp["base"].seeds
    (['base', 'more_sharing'], True)
    >>> d = cmp.differences(metrics=["joins"])
    >>> list(d.index.names)
    ['scenario', 'year', 'metric']
    """
    check_reps(reps)
    named = _named(scenarios)
    runs = run_scenarios(named, reps, seed=seed, days=days, executor=executor,
                         workers=workers, collect=collect, progress=progress)
    return Comparison(runs)


def _named(scenarios):
    if isinstance(scenarios, dict):
        named = dict(scenarios)
        for name, sc in named.items():
            if not isinstance(name, str) or not name:
                raise ExperimentError(f"scenario names must be non-empty strings; got {name!r}")
            scenario_name(sc)
    else:
        if isinstance(scenarios, (str, bytes)) or not hasattr(scenarios, "__iter__"):
            raise ExperimentError("scenarios must be a dict name -> Scenario or a list of "
                                  f"Scenario; got {type(scenarios).__name__}")
        items = list(scenarios)
        names = [scenario_name(sc) for sc in items]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ExperimentError(f"scenario names must be unique; repeated: "
                                  f"{', '.join(map(repr, dupes))} (rename with "
                                  "with_overrides({'name': ...}) or pass a dict)")
        named = dict(zip(names, items))
    if not named:
        raise ExperimentError("compare needs at least one scenario")
    return named


class Comparison:
    """Replications of several scenarios under common seeds (from :func:`compare`).

    Attributes
    ----------
    replications : dict of str to Replications
        Per scenario, in the order given; also ``comparison[name]``.
    baseline : str
        Default baseline of :meth:`differences` (the first scenario).

    Examples
    --------
    >>> import growthsim as gs
    >>> base = gs.Scenario().with_overrides({"name": "base", "population.n": 300})
    >>> cmp = compare([base, base.with_overrides({"name": "no_ads", "ads.daily_budget": [0.0]})],
    ...               reps=2, seed=1, days=30)
    >>> cmp.baseline, cmp.reps, list(cmp.names)
    ('base', 2, ['base', 'no_ads'])
    >>> cmp["no_ads"].seeds == cmp.seeds
    True
    """

    def __init__(self, replications, baseline=None):
        self.replications = dict(replications)
        self.baseline = next(iter(self.replications)) if baseline is None else baseline
        self._check_name(self.baseline)

    @property
    def names(self):
        """Scenario names in order."""
        return tuple(self.replications)

    @property
    def seeds(self):
        """The replication seeds every scenario shares."""
        return next(iter(self.replications.values())).seeds

    @property
    def reps(self):
        return len(self.seeds)

    def __getitem__(self, name):
        self._check_name(name)
        return self.replications[name]

    def _check_name(self, name):
        if name not in self.replications:
            raise ExperimentError(f"unknown scenario {name!r}; valid: "
                                  f"{', '.join(map(repr, self.replications))}")

    @property
    def daily(self):
        """Daily metrics of every run, long, with ``scenario`` and ``rep`` columns first."""
        return pd.concat({n: r.daily for n, r in self.replications.items()},
                         names=["scenario", None]).reset_index(0).reset_index(drop=True)

    def yearly(self):
        """Yearly figures of every run with ``scenario`` and ``rep`` columns first."""
        return pd.concat({n: r.yearly() for n, r in self.replications.items()},
                         names=["scenario", None]).reset_index(0).reset_index(drop=True)

    def summary(self, metrics=None, level=0.95):
        """Per scenario, year and metric: mean, std, t interval, n (index ``scenario, year, metric``)."""
        return summarize(self.yearly(), metrics, by=["scenario", "year"], level=level) \
            .reindex(self.names, level="scenario")

    def differences(self, baseline=None, metrics=None, level=0.95):
        """Paired differences ``scenario - baseline`` per year, with paired-t intervals.

        Pairs are replications with the same seed (and year). See
        :func:`growthsim.experiment.paired_differences`.

        Returns
        -------
        pandas.DataFrame
            Index ``(scenario, year, metric)``; columns ``mean``, ``std``,
            ``ci_low``, ``ci_high``, ``n``, ``p_value``.
        """
        baseline = self.baseline if baseline is None else baseline
        self._check_name(baseline)
        out = paired_differences(self.yearly(), baseline, group="scenario", pair="rep",
                                 by="year", metrics=metrics, level=level)
        order = [n for n in self.names if n != baseline]
        return out.reindex(order, level="scenario") if len(out) else out

    def table(self, year=5, metrics=None, level=0.95):
        """One row per scenario: headline figures of ``year`` as ``mean ± CI half-width``.

        Parameters
        ----------
        year : int
            Simulated year (1-based).
        metrics : sequence of str, optional
            Default :data:`HEADLINE`.
        level : float
            Confidence level of the half-widths.

        Returns
        -------
        pandas.DataFrame of str
            Index ``scenario``; one column per metric.
        """
        metrics = list(HEADLINE) if metrics is None else list(metrics)
        s = self.summary(metrics, level)
        years = sorted(set(s.index.get_level_values("year")))
        if year not in years:
            raise ExperimentError(f"no year {year!r} in these runs; years: "
                                  f"{', '.join(map(str, years))}")
        rows = {}
        for name in self.names:
            part = s.xs((name, year), level=("scenario", "year"))
            rows[name] = {m: _pm(part.loc[m], HEADLINE.get(m, "{:,.4g}")) for m in metrics}
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "scenario"
        return out

    def __repr__(self):
        days = max(r.scenario.run.days for r in self.replications.values())
        lines = [f"Comparison of {len(self.names)} scenarios x {self.reps} replications "
                 f"(common seeds), up to {days:,} days; baseline {self.baseline!r}"]
        y = self.yearly()
        if y.empty:
            return lines[0]
        last = int(y["year"].max())
        d = self.differences(metrics=["members_end"]) if len(self.names) > 1 else None
        s = self.summary(["members_end"])
        for name in self.names:
            line = f"  {name}: year {last} members_end " \
                   f"{_pm(s.loc[(name, last, 'members_end')], '{:,.0f}')}"
            if d is not None and name != self.baseline and (name, last, "members_end") in d.index:
                row = d.loc[(name, last, "members_end")]
                line += f"; vs baseline {_signed(row)}"
            lines.append(line)
        return "\n".join(lines)


def _signed(row):
    half = row["ci_high"] - row["mean"]
    text = f"{row['mean']:+,.0f}"
    return text + (f" ± {half:,.0f}" if np.isfinite(half) else "")
