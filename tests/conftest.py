"""Shared helpers: small scenarios built in code."""

from __future__ import annotations

from typing import Any

import pytest

from sim.scenario import Scenario
from sim.scenario.loader import deep_merge, validate_data


def one_center(
    capacity: int = 4,
    *,
    rate: str | float = "2/h",
    size: dict[str, Any] | None = None,
    duration: dict[str, Any] | None = None,
    local: str = "fifo",
    horizon: str = "200h",
    warmup: str = "0h",
    **extra: Any,
) -> dict[str, Any]:
    """Scenario data for one city with one center of ``capacity`` accelerators."""
    data: dict[str, Any] = {
        "name": "test",
        "run": {"horizon": horizon, "warmup": warmup, "seed": 1},
        "cities": {"a": {"centers": {"c": {"accelerator": "a100", "count": capacity}}}},
        "workload": [
            {
                "name": "jobs",
                "origin": "a",
                "arrival": {"kind": "poisson", "rate": rate},
                "size": size or {"kind": "fixed", "value": 1},
                "duration": duration or {"kind": "exponential", "mean": "1h"},
            }
        ],
        "scheduling": {"local": local},
    }
    return deep_merge(data, extra)


def build(data: dict[str, Any]) -> Scenario:
    return validate_data(data, "<test>")


@pytest.fixture
def make_scenario():
    return lambda **kwargs: build(one_center(**kwargs))
