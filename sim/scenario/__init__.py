"""Scenario files: the schema, loading with clear errors, and cross-checks."""

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import deep_merge, load_scenario, parse_scenario
from sim.scenario.schema import Scenario

__all__ = ["Problem", "Scenario", "ScenarioError", "deep_merge", "load_scenario", "parse_scenario"]
