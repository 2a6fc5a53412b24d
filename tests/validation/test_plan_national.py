"""`capsim plan` on the national scenario (shortened so the test stays quick): what the planner
is told holds on replications of another seed, and the plan costs no more there than the
cheapest plan a grid sweep over the same knobs, given as many runs and judged by the same final
check, certifies (benchmarks/bench_plan.py runs the same comparison on the scenario as
shipped).

What the planner is told: "p95 wait <= 1 h in every city, with 95% confidence", i.e. at most 5%
of each city's jobs wait longer than an hour, and the one-sided t bounds of all the cities' shares
hold together at 95% (Bonferroni). Fresh seeds test that claim; they do not re-make it. The
cheapest plan that certifies sits, by construction, with its bound just under 5%, so a fresh
sample of the same size would certify it again only about half the time: asking the fresh upper
bound to be within 5% asks for a margin the claim never promised. What the claim does imply, and
what this test asks on every constrained city: the fresh seeds do not reject it at the stated
confidence (the fresh one-sided lower bound, at the same Bonferroni level, is within 5%), and
the fresh pooled share itself is within 5% (the final check put the share's upper bound within
5%, so a fresh estimate above it means that bound was wrong or the fresh sample is off by
several standard errors)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.bench_plan import compare
from sim.batch.executors import SerialExecutor
from sim.batch.planning import load_plan

FRESH = 10
"""Replications of the fresh seed."""
NATIONAL = Path(__file__).parents[2] / "scenarios" / "china-national.yaml"
KNOBS = [
    {
        "path": "cities.beijing.centers.beijing-aicc.pflops",
        "from": 10000,
        "to": 40000,
        "step": 5000,
    },
    {"path": "cities.shenzhen.centers.qianhai.pflops", "from": 20000, "to": 50000, "step": 10000},
]
SHORT = {
    "run": {"horizon": "6d", "warmup": "1d"},
    "plan": {
        "variants": ["siloed"],
        "knobs": KNOBS,
        "constraints": [
            {"target": "wait_p95_s <= 1h", "city": "beijing"},
            {"target": "wait_p95_s <= 1h", "city": "shenzhen"},
        ],
        "replications": 2,
        "final_replications": 5,
    },
}


def test_national_plan_meets_its_constraints_on_fresh_seeds_and_beats_the_grid(tmp_path):
    setup = load_plan(NATIONAL, overrides=SHORT)
    result = compare(setup, SerialExecutor(), tmp_path, FRESH)["siloed"]
    plan, grid = result["plan"], result["grid_certified"]
    assert plan is not None
    assert result["grid_runs"] <= result["plan_runs"]
    for slo in plan["slos"]:
        assert slo["statistic"] == "share" and slo["allowed"] == 0.05, slo["label"]
        assert slo["estimate"] <= slo["allowed"], slo["label"]  # met by the fresh estimate
        assert slo["lower"] <= slo["allowed"], slo["label"]  # and not rejected
    if grid is not None:
        assert plan["tco_cny"][0] <= grid["tco_cny"][0]
