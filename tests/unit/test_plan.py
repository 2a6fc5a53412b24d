"""The plan search on a known monotone problem, the plan: section's checks and the command."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.batch.executors import SerialExecutor
from sim.batch.plan_search import Verdict, greedy_up, improve, lower_bounds
from sim.batch.planning import Evaluator, load_plan
from sim.batch.work import run_one
from sim.cli import main
from tests.conftest import one_center

NEEDS = (3, 5, 2)
"""Each knob must reach this index; knob k costs PRICES[k] per step."""
PRICES = (1.0, 2.0, 5.0)


def separable(candidates):
    """Constraints met when every knob reaches its need; cost the priced sum of indices."""
    verdicts = []
    for c in candidates:
        short = sum(max(0, need - i) for i, need in zip(c, NEEDS, strict=True))
        cost = sum(i * p for i, p in zip(c, PRICES, strict=True))
        verdicts.append(Verdict(short == 0, float(short), cost, cost, True))
    return verdicts


def test_lower_bounds_greedy_and_local_search_find_the_cheapest_feasible_plan():
    sizes = [8, 8, 8]
    lower = lower_bounds(separable, sizes)
    assert lower == list(NEEDS)
    start = greedy_up(separable, (0, 0, 0), sizes)
    assert start == NEEDS  # the greedy never overshoots a separable need
    assert improve(separable, (7, 7, 7), sizes, [0, 0, 0], minimise_cost=True) == NEEDS


def test_a_raise_judges_only_the_steps_that_reach_a_missing_place():
    """Knob k alone reaches place k, as each city's knob does siloed: the many-replication judge
    only sees the step of the knob whose place misses."""
    judged: list[tuple[int, ...]] = []

    def placed(candidates):
        verdicts = []
        for c in candidates:
            gaps = [max(0, need - i) for i, need in zip(c, NEEDS, strict=True)]
            cost = sum(i * p for i, p in zip(c, PRICES, strict=True))
            levels = tuple(float(gap) for gap in gaps)
            failing = tuple(gap > 0 for gap in gaps)
            verdicts.append(Verdict(not any(gaps), sum(gaps), cost, cost, True, levels, failing))
        return verdicts

    def final(candidates):
        judged.extend(candidates)
        return placed(candidates)

    assert greedy_up(final, (3, 5, 0), [8, 8, 8], screen=placed) == NEEDS
    assert judged == [(3, 5, 0), (3, 5, 1), (3, 5, 2)]


def test_no_plan_when_even_the_most_misses():
    assert lower_bounds(separable, [2, 8, 8]) is None


def plan_data(**plan) -> dict:
    data = one_center(4, rate="2/h", horizon="60h", warmup="5h")
    data["plan"] = {
        "knobs": [{"path": "cities.a.centers.c.count", "from": 2, "to": 6, "step": 2}],
        "constraints": [{"target": "wait_p95_s <= 1h", "city": "a"}],
        "replications": 2,
        "final_replications": 2,
    } | plan
    return data


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (
            {"knobs": [{"path": "cities.a.centers.d.count", "from": 1, "to": 2, "step": 1}]},
            "cities.a.centers.d.count: not a number in the scenario file",
        ),
        ({"constraints": [{"target": "wait_p96_s <= 1h"}]}, "unknown metric 'wait_p96_s'"),
        ({"constraints": [{"target": "wait_p95_s <= 1h", "city": "x"}]}, "no city 'x'"),
        ({"variants": ["pooled"]}, "no variant 'pooled'"),
        ({"objective": {"minimise": "cheapness"}}, "unknown metric 'cheapness'"),
    ],
)
def test_a_bad_plan_is_an_input_error_naming_the_key(tmp_path, capsys, plan, message):
    path = write(tmp_path, plan_data(**plan))
    assert main(["plan", str(path), "--out", str(tmp_path / "out"), "--serial"]) == 2
    assert message in capsys.readouterr().err


def test_plan_writes_its_answer_and_resumes_without_running_again(tmp_path, capsys):
    path = write(tmp_path, plan_data())
    out = tmp_path / "out"
    assert main(["plan", str(path), "--out", str(out), "--serial", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "base: a.c.count " in printed  # the knob as the report names it
    assert (out / "plan.json").is_file() and (out / "plan.parquet").is_file()
    assert main(["plan", str(path), "--out", str(out), "--serial", "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["plan", str(path), "--out", str(out), "--serial", "--quiet", "--resume"]) == 0
    assert "0 runs made" in capsys.readouterr().out
    assert main(["report", str(out), "--format", "md"]) == 0
    text = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert "Recommended plans" in text and "Frontier (base)" in text
    assert "p95 wait \\<= 1 h" in text and "Bonferroni" in text  # Markdown escapes <
    assert (out / "report" / "figures" / "plan-frontier.png").stat().st_size > 0


def test_a_phase_time_is_a_knob_where_earlier_is_more(tmp_path):
    """The time of a build-out phase: values run from latest (least capacity) to earliest."""
    data = plan_data(
        knobs=[
            {"path": "cities.a.centers.c.phases.1.at", "from": "10h", "to": "40h", "step": "10h"}
        ]
    )
    data["cities"]["a"]["centers"]["c"] = {
        "accelerator": "a100",
        "phases": [{"at": 0, "count": 2}, {"at": "30h", "add": 4}],
    }
    setup = load_plan(write(tmp_path, data))
    assert setup.values == [[144000.0, 108000.0, 72000.0, 36000.0]]
    assert setup.scenario((3,)).cities["a"].centers["c"].phases[1].at == 36000.0


def test_a_setting_one_variant_cannot_run_is_left_out_of_its_plan_only(tmp_path):
    """Jobs of 4 from city a: a center of 2 cannot hold them siloed, but on demand city b can."""
    data = plan_data(knobs=[{"path": "cities.a.centers.c.count", "from": 2, "to": 6, "step": 2}])
    data["cities"]["b"] = {"centers": {"d": {"accelerator": "a100", "count": 8}}}
    data["default_link"] = {"latency": "10ms", "bandwidth": "100Gbps"}
    data["workload"][0]["size"] = {"kind": "fixed", "value": 4}
    data["variants"] = {"siloed": {"dispatch": "siloed"}, "on-demand": {"dispatch": "on-demand"}}
    setup = load_plan(write(tmp_path, data))
    evaluator = Evaluator(setup, SerialExecutor(), tmp_path / "out")
    (siloed,) = evaluator.evaluate([(0,)], "siloed", range(2), "screen")
    (pooled,) = evaluator.evaluate([(0,)], "on-demand", range(2), "screen")
    assert not siloed.verdict.allowed and ((0,), "siloed") in evaluator.invalid
    assert len(pooled.runs) == 2 and ((0,), "on-demand") not in evaluator.invalid
    among_others = run_one(setup.scenario((2,)), "on-demand", setup.seed, 1).rows
    alone = run_one(setup.scenario((2,), "on-demand"), "on-demand", setup.seed, 1).rows
    assert among_others.equals(alone)
