"""Experiments: replications of a scenario and comparisons of scenarios with confidence intervals.

:func:`replicate` runs one scenario under a list of seeds derived from a base
seed (:func:`replication_seeds`); :func:`compare` runs several scenarios under
the *same* seeds (common random numbers) so their differences can be measured
pair by pair. Runs go through an executor: ``"serial"`` (this process) or
``"processes"`` (spawned worker processes); results are identical either way.
The statistics (:func:`summarize`, :func:`paired_differences`) work on plain
DataFrames. docs/experiments.md explains seeds, pairing and intervals.

Examples
--------
>>> import growthsim as gs
>>> from growthsim.experiment import compare
>>> base = gs.Scenario().with_overrides({"name": "base", "population.n": 2_000})
>>> more = base.with_overrides({"name": "more_sharing", "sharing.p_share": 0.2})
>>> cmp = compare([base, more], reps=3, seed=1, days=60)
>>> cmp.table(year=1).columns[:2].tolist()
['members_end', 'cum_members_end']
"""

from growthsim.experiment.calibrate import CalibrationResult, calibrate
from growthsim.experiment.comparison import HEADLINE, Comparison, compare
from growthsim.experiment.executors import EXECUTORS, Executor, ExperimentError, \
    ProcessExecutor, SerialExecutor, get_executor
from growthsim.experiment.replications import Replications, replicate, replication_seeds, \
    run_replication
from growthsim.experiment.stats import paired_differences, summarize

__all__ = ["EXECUTORS", "HEADLINE", "CalibrationResult", "Comparison", "Executor",
           "ExperimentError", "ProcessExecutor", "Replications", "SerialExecutor", "calibrate",
           "compare", "get_executor",
           "paired_differences", "replicate", "replication_seeds", "run_replication",
           "summarize"]
