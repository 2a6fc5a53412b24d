"""Scenario files: the schema, loading with clear errors, and cross-checks."""

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import (
    BASE_VARIANT,
    deep_merge,
    expand_variants,
    load_scenario,
    parse_scenario,
)
from sim.scenario.schema import Scenario

__all__ = [
    "BASE_VARIANT",
    "Problem",
    "Scenario",
    "ScenarioError",
    "deep_merge",
    "expand_variants",
    "load_scenario",
    "parse_scenario",
]
