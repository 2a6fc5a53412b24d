"""Variants: partial scenarios over a base, run on identical demand, compared pairwise."""

import numpy as np
import pytest
import yaml

from sim import load_scenario, simulate
from sim.scenario import ScenarioError, expand_variants
from sim.summary import run_replications
from sim.workload.demand import sharing_demand
from tests.conftest import build, one_center


def with_variants(**variants):
    data = one_center(8, rate="6/h", horizon="300h", warmup="10h")
    data["variants"] = variants
    return data


def test_a_scenario_without_variants_is_its_own_base():
    scenario = build(one_center(4))
    assert list(expand_variants(scenario)) == ["base"]


def test_variants_merge_over_the_base():
    scenario = build(
        with_variants(
            small={},
            big={"cities": {"a": {"centers": {"c": {"count": 12}}}}},
            sjf={"scheduling": {"local": "sjf"}},
        )
    )
    variants = expand_variants(scenario)
    assert list(variants) == ["small", "big", "sjf"]
    assert variants["big"].cities["a"].centers["c"].count == 12
    assert variants["big"].cities["a"].centers["c"].accelerator == "a100"
    assert variants["sjf"].scheduling.local == "sjf"
    assert variants["small"].scheduling.local == "fifo"


def test_every_variant_sees_the_same_demand():
    scenario = build(with_variants(fifo={}, sjf={"scheduling": {"local": "sjf"}}))
    demands = [simulate(v, 3, replication=1).demand for v in expand_variants(scenario).values()]
    np.testing.assert_array_equal(demands[0].arrival, demands[1].arrival)
    np.testing.assert_array_equal(demands[0].duration, demands[1].duration)


def test_variants_run_one_after_another_share_the_demand_they_would_each_draw():
    scenario = build(
        with_variants(
            fifo={},
            sjf={"scheduling": {"local": "sjf"}},
            busier={"workload": [one_center(8, rate="7/h")["workload"][0]]},
            longer={"run": {"horizon": "400h"}},
            sjf_again={"scheduling": {"local": "sjf"}},
        )
    )
    variants = expand_variants(scenario)
    alone = {name: simulate(v, 3, replication=1) for name, v in variants.items()}
    with sharing_demand():
        shared = {name: simulate(v, 3, replication=1) for name, v in variants.items()}
        again = simulate(variants["sjf"], 3, replication=2)
    demands = {name: result.demand for name, result in shared.items()}
    assert demands["sjf"] is demands["fifo"]
    # A different workload or horizon draws its own, and the next run keeps that one.
    assert demands["busier"] is not demands["fifo"]
    assert demands["longer"] is not demands["busier"]
    assert demands["sjf_again"] is not demands["longer"]
    assert again.demand is not demands["sjf_again"]  # another replication, another seed
    for name, result in shared.items():
        for column in ("arrival", "size", "duration", "origin"):
            np.testing.assert_array_equal(
                getattr(result.demand, column), getattr(alone[name].demand, column)
            )
        np.testing.assert_array_equal(result.start, alone[name].start)
        np.testing.assert_array_equal(result.end, alone[name].end)


def test_a_runs_demand_is_read_only():
    """What runs share cannot be changed by one of them."""
    demand = simulate(build(one_center(4)), 1).demand
    with pytest.raises(ValueError, match="read-only"):
        demand.arrival[0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        demand.duration[:] = 1.0


def test_comparisons_are_paired_differences_against_the_first_variant():
    scenario = build(
        with_variants(small={}, big={"cities": {"a": {"centers": {"c": {"count": 12}}}}})
    )
    summary = run_replications(scenario, replications=3)
    comparison = summary["comparisons"]["big"]
    assert comparison["baseline"] == "small"
    small, big = summary["variants"]["small"], summary["variants"]["big"]
    expected = big["overall"]["wait_mean_s"] - small["overall"]["wait_mean_s"]
    assert comparison["overall"]["wait_mean_s"] == pytest.approx(expected)
    assert comparison["overall"]["wait_mean_s"] < 0
    assert comparison["cities"]["a"]["wait_mean_s_ci95"] > 0


def test_a_bad_variant_is_located(tmp_path):
    data = with_variants(
        ok={}, broken={"run": {"horizn": 3}}, lifo={"scheduling": {"local": "lifo"}}
    )
    path = tmp_path / "v.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    text = str(caught.value)
    assert "variants.broken.run.horizn: unknown key 'horizn'" in text
    assert "variants.lifo.scheduling.local: unknown local policy 'lifo'" in text
