"""growthsim: agent-based simulation of word-of-mouth growth in brand communities.

Members are agents on a social graph with tier, trust and fatigue states;
numba kernels advance every member one day at a time; scenario files compare
reward ladders, KOC seeding and content cadence over five simulated years.

Examples
--------
>>> import growthsim as gs
>>> sc = gs.load_scenario("scenarios/baseline.toml").with_overrides({"population.n": 5_000})
>>> df = gs.GrowthModel(sc, seed=1).run(days=60)
>>> list(df.columns[:4])
['day', 'weekday', 'new_members', 'new_wom']
"""

from growthsim import attribution
from growthsim.errors import GrowthsimError, ScenarioError
from growthsim.graphs import SocialGraph
from growthsim.model import GrowthModel
from growthsim.scenario import Scenario, load_scenario

__version__ = "0.1.0"
__all__ = ["GrowthModel", "GrowthsimError", "Scenario", "ScenarioError", "SocialGraph",
           "attribution", "load_scenario", "__version__"]
