"""The cost model: depreciation, maintenance, network and total cost of ownership, by hand."""

from __future__ import annotations

import math

import pytest

from sim import run_metrics, simulate
from sim.scenario.catalogue import CNY_PER_USD
from tests.conftest import build, one_center

YEAR = 365 * 86400.0
A100_CNY = 10_000 * CNY_PER_USD
SERVER_CNY = 50_000 * CNY_PER_USD
FACILITY_CNY_PER_KW = 11e6 * CNY_PER_USD / 1000


def test_total_cost_is_depreciation_maintenance_electricity_and_network_of_the_window():
    """16 A100 in 2 servers of 8 × 0.4 kW + 3.3 kW: 13 kW of IT power. Over a 190 h window
    the hardware pays 190 h / 5 y of its price, the facility 190 h / 15 y, and maintenance 3%
    a year of both."""
    data = one_center(16, rate="10/h", horizon="200h", warmup="10h")
    metrics = run_metrics(simulate(build(data), 1))["overall"]
    window = 190 * 3600.0
    hardware = 16 * (A100_CNY + SERVER_CNY / 8)
    facility = 2 * (8 * 0.4 + 3.3) * FACILITY_CNY_PER_KW
    depreciation = hardware * window / (5 * YEAR) + facility * window / (15 * YEAR)
    maintenance = 0.03 * (hardware + facility) * window / YEAR
    assert metrics["capex_cny"] == pytest.approx(depreciation, rel=1e-9)
    assert metrics["maintenance_cny"] == pytest.approx(maintenance, rel=1e-9)
    assert metrics["network_cny"] == 0  # one city: nothing moves
    assert metrics["build_cny"] == pytest.approx(hardware + facility, rel=1e-9)
    total = depreciation + maintenance + metrics["cost_cny"]
    assert metrics["tco_cny"] == pytest.approx(total, rel=1e-9)
    busy_h = metrics["utilisation"] * 16 * 190
    assert metrics["tco_per_accelerator_h_cny"] == pytest.approx(total / busy_h, rel=1e-9)
    per_pflops_h = total / metrics["delivered_pflops_h"]
    assert metrics["tco_per_pflops_h_cny"] == pytest.approx(per_pflops_h, rel=1e-9)


def test_a_city_costs_the_sum_of_its_centers_and_data_moved_in_is_charged():
    """Two cities, all jobs from `a`, dispatched on demand: the data of jobs that ran in `b`
    is charged to `b` at the network price, and overall is the sum of the cities."""
    data = one_center(2, rate="6/h", horizon="100h")
    data["cities"]["b"] = {"centers": {"d": {"accelerator": "h100", "count": 8}}}
    data["workload"][0]["dataset"] = "2TB"
    data |= {"dispatch": "on-demand", "default_link": {"latency": "10ms", "bandwidth": "400Gbps"}}
    data["costs"] = {"network_cny_per_tb": 100, "maintenance_share": 0}
    metrics = run_metrics(simulate(build(data), 1))
    city_b = metrics["cities"]["b"]
    assert city_b["jobs_moved"] == 0  # job side: b's own jobs never move
    moved = metrics["cities"]["a"]["jobs_moved"]
    assert moved > 0 and city_b["network_cny"] == pytest.approx(moved * 2 * 100)
    for name in ("capex_cny", "network_cny", "tco_cny", "build_cny"):
        cities = sum(city[name] for city in metrics["cities"].values())
        assert metrics["overall"][name] == pytest.approx(cities, rel=1e-12)
    assert metrics["overall"]["maintenance_cny"] == 0


def test_an_accelerator_type_without_a_price_has_undefined_costs():
    data = one_center(4)
    data["accelerators"] = {"chip": {"tflops": 100, "watts": 300}}
    data["cities"]["a"]["centers"]["c"]["accelerator"] = "chip"
    metrics = run_metrics(simulate(build(data), 1))["overall"]
    assert math.isnan(metrics["tco_cny"]) and math.isnan(metrics["build_cny"])
    assert math.isfinite(metrics["cost_cny"])
