"""`capsim plan` on the national scenario (shortened so the test stays quick): the recommended
plan meets its constraints on replications of another seed, and costs no more there than the
cheapest plan a grid sweep over the same knobs, given as many runs and judged by the same final
check, certifies (benchmarks/bench_plan.py runs the same comparison on the scenario as
shipped)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.bench_plan import compare
from sim.batch.executors import SerialExecutor
from sim.batch.planning import load_plan

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
    result = compare(setup, SerialExecutor(), tmp_path)["siloed"]
    plan, grid = result["plan"], result["grid_certified"]
    assert plan is not None
    assert result["grid_runs"] <= result["plan_runs"]
    for label, mean, _ in plan["slos"]:
        assert mean <= 3600, label
    if grid is not None:
        assert plan["tco_cny"][0] <= grid["tco_cny"][0]
