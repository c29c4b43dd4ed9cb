"""Scenarios: the typed parameter schema and its TOML loader."""

from growthsim.scenario.loader import load_scenario
from growthsim.scenario.schema import Scenario

__all__ = ["Scenario", "load_scenario"]
