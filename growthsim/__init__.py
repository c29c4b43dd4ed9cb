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

from growthsim._jitcache import configure as _configure_jit_cache

_configure_jit_cache()  # before any jitted module is imported

from growthsim import attribution  # noqa: E402
from growthsim.errors import GrowthsimError, ScenarioError  # noqa: E402
from growthsim.graphs import SocialGraph  # noqa: E402
from growthsim.model import GrowthModel  # noqa: E402
from growthsim.scenario import Scenario, load_scenario  # noqa: E402

__version__ = "0.1.0"
__all__ = ["GrowthModel", "GrowthsimError", "Scenario", "ScenarioError", "SocialGraph",
           "attribution", "load_scenario", "__version__"]
