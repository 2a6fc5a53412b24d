"""Trace replay: the shipped Philly excerpt replayed job for job, and bad traces located."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import jobs_table, load_scenario, simulate
from sim.cli import main
from sim.scenario import ScenarioError
from sim.streams import run_seed
from sim.workload import generate_demand

SCENARIOS = Path(__file__).parents[2] / "scenarios"
REPLAY = SCENARIOS / "philly-replay.yaml"
EXCERPT = SCENARIOS / "data" / "philly_excerpt.csv"
DAY = 86400.0

AMPLE = {
    "run": {"horizon": "6d", "warmup": 0},
    "cities": {
        city: {"centers": {center: {"count": 4096}}}
        for city, center in [("beijing", "bj-ai"), ("shanghai", "lingang"), ("shenzhen", "qianhai")]
    },
}


@pytest.fixture(scope="module")
def trace():
    frame = pd.read_csv(EXCERPT)
    submit = pd.to_datetime(frame["timestamp"])
    return frame.assign(t=(submit - submit.min()).dt.total_seconds())


@pytest.mark.parametrize("dispatch", ["siloed", "on-demand"])
def test_with_ample_capacity_the_replay_is_the_trace(trace, dispatch):
    scenario = load_scenario(REPLAY, overrides=AMPLE | {"dispatch": dispatch, "variants": {}})
    jobs = jobs_table(simulate(scenario, 1))
    assert len(jobs) == len(trace)
    assert (jobs["wait_s"] == 0).all()
    gpu_hours = (jobs["size"] * jobs["duration_s"]).sum() / 3600
    assert gpu_hours == pytest.approx(trace["gpu_time"].sum() / 3600, rel=1e-12)
    assert np.sort(jobs["arrival_s"].to_numpy()) == pytest.approx(np.sort(trace["t"].to_numpy()))


def test_replay_does_not_depend_on_the_seed_and_clusters_set_origins(trace):
    scenario = load_scenario(REPLAY)
    one, other = (generate_demand(scenario, run_seed(seed)) for seed in (1, 99))
    for column in ("arrival", "size", "duration", "origin"):
        assert np.array_equal(getattr(one, column), getattr(other, column))
    cities = list(scenario.cities)
    origin_of = {"6214e9": "beijing", "11cb48": "shanghai", "6c71a0": "shenzhen"}
    expected = trace.sort_values("t", kind="stable")["cluster"].map(origin_of).fillna("beijing")
    assert [cities[i] for i in one.origin] == expected.tolist()


def test_time_scale_and_offset_move_the_arrivals(trace):
    workload = _replay_class({"time_scale": 0.5, "offset": "-1d"})
    overrides = {"workload": [workload], "run": {"horizon": "1d", "warmup": 0}}
    scenario = load_scenario(REPLAY, overrides=overrides)
    demand = generate_demand(scenario, run_seed(1))
    expected = np.sort(0.5 * trace["t"].to_numpy() - DAY)
    expected = expected[(expected >= 0) & (expected < DAY)]
    assert 0 < len(demand) < len(trace)
    assert demand.arrival == pytest.approx(expected)


def test_a_trace_without_sizes_draws_them_from_the_class():
    workload = _replay_class({"columns": {"submit": "timestamp", "duration": "duration"}})
    workload["size"] = {"kind": "fixed", "value": 2}
    scenario = load_scenario(REPLAY, overrides={"workload": [workload]})
    assert set(generate_demand(scenario, run_seed(1)).size) == {2}


def _replay_class(arrival: dict) -> dict:
    base = {
        "kind": "trace",
        "path": "data/philly_excerpt.csv",
        "columns": {"submit": "timestamp", "size": "num_gpus", "duration": "duration"},
    }
    return {"name": "philly", "origin": "beijing", "arrival": base | arrival}


def _edited_replay(tmp_path: Path, old: str, new: str) -> Path:
    """The shipped replay scenario with ``old`` replaced, beside a copy of its data."""
    text = REPLAY.read_text(encoding="utf-8").replace(old, new)
    assert text != REPLAY.read_text(encoding="utf-8")
    (tmp_path / "data").mkdir(exist_ok=True)
    shutil.copy(EXCERPT, tmp_path / "data")
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, old: str, new: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_edited_replay(tmp_path, old, new))
    return [str(problem) for problem in caught.value.problems]


def _line(key: str) -> int:
    lines = REPLAY.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.strip().startswith(key))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "path: data/philly_excerpt.csv",
            "path: data/missing.csv",
            f"s.yaml:{_line('path:')}: workload[0].arrival.path: trace file '",
        ),
        (
            "size: num_gpus",
            "size: gpus",
            f"s.yaml:{_line('columns:')}: workload[0].arrival.columns.size: "
            "philly_excerpt.csv: no column 'gpus'; columns: timestamp, duration, num_gpus",
        ),
        (
            "size: num_gpus, ",
            "",
            f"s.yaml:{_line('- name: philly')}: workload[0].size: required key is missing "
            "(only a trace arrival with `columns.size` may omit it)",
        ),
        (
            "6c71a0: shenzhen",
            "6c71a0: shenzen",
            "workload[0].arrival.clusters.6c71a0: unknown city 'shenzen'",
        ),
        ("columns: {submit: timestamp", "columns: {submit: cluster", "neither a number"),
        (
            "lingang: {accelerator: a100, count: 128}",
            "lingang: {accelerator: a100, count: 8}",
            "workload[0].arrival.columns.size: jobs of up to 16 accelerators fit no pool "
            "that work from 'shanghai' may use",
        ),
        ("format: csv", "format: parquet", "workload[0].arrival.format: Input should be 'csv'"),
    ],
)
def test_bad_traces_are_located(tmp_path, old, new, expected):
    problems = _problems(tmp_path, old, new)
    assert any(expected in problem for problem in problems), problems


def test_a_missing_trace_exits_2_without_traceback(tmp_path, capsys):
    _problems(tmp_path, "data/philly_excerpt.csv", "data/nope.csv")
    assert main(["run", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert "workload[0].arrival.path: trace file" in err and "does not exist" in err
    assert "Traceback" not in err


def test_numeric_cluster_ids_map_like_strings(tmp_path):
    mapping = "6c71a0: shenzhen, 103959: shenzhen"  # YAML reads 103959 as a number
    scenario = load_scenario(_edited_replay(tmp_path, "6c71a0: shenzhen", mapping))
    demand = generate_demand(scenario, run_seed(1))
    shenzhen = list(scenario.cities).index("shenzhen")
    trace = pd.read_csv(EXCERPT, dtype={"cluster": str})
    assert np.sum(demand.origin == shenzhen) == trace["cluster"].isin(["6c71a0", "103959"]).sum()


def test_sizes_are_checked_per_origin_city(tmp_path):
    """Shenzhen's cluster (6c71a0) has jobs of at most 8 GPUs: 8 accelerators are enough."""
    small = "qianhai: {accelerator: a100, count: 8}"
    load_scenario(_edited_replay(tmp_path, "qianhai: {accelerator: a100, count: 128}", small))
