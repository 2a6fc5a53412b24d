"""capsim run / validate / schema, and the summary.json contract."""

import json
import math

import pandas as pd
import pytest
import yaml

from sim.cli import default_scenario, main
from sim.metrics import METRIC_DOCS, OPTIONAL_METRICS
from tests.conftest import one_center


@pytest.fixture
def scenario_file(tmp_path):
    data = one_center(8, rate="4/h", horizon="300h", warmup="20h")
    data["cities"]["b"] = {
        "centers": {
            "b1": {"accelerator": "h100", "count": 4},
            "b2": {"accelerator": "ascend-910b", "pflops": 1.12},
        }
    }
    data["workload"].append(
        {
            "name": "other",
            "origin": {"a": 1, "b": 3},
            "arrival": {"kind": "poisson", "rate": "3/h"},
            "size": {"kind": "uniform", "low": 1, "high": 4},
            "duration": {"kind": "uniform", "low": "10min", "high": "2h"},
        }
    )
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_run_writes_the_documented_outputs(scenario_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(scenario_file), "--out", str(out), "--replications", "3"]) == 0
    printed = capsys.readouterr().out
    assert "city / center" in printed and "overall" in printed and "b2" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert {"capsim_version", "scenario", "seed", "replications", "variants"} <= set(summary)
    assert summary["replications"] == 3
    base = summary["variants"]["base"]
    for metrics in [base["overall"], base["cities"]["b"], base["cities"]["b"]["centers"]["b2"]]:
        for name in METRIC_DOCS.keys() - OPTIONAL_METRICS:
            assert name in metrics and f"{name}_ci95" in metrics, name
    assert base["cities"]["b"]["centers"]["b2"]["accelerators"] == 4  # 1.12 P / 280 TFLOPS
    jobs = pd.read_parquet(out / "jobs.parquet")
    assert sorted(jobs["replication"].unique()) == [0, 1, 2]
    assert set(jobs["center"].unique()) <= {"c", "b1", "b2"}
    series = pd.read_parquet(out / "timeseries.parquet")
    assert len(series) == 3 * 3 * 300  # replications × centers × 1 h bins over 300 h
    assert series["utilisation"].between(0, 1).all()
    assert not list(out.glob(".*tmp"))


def test_same_seed_same_numbers_and_seed_override(scenario_file, tmp_path):
    outs = []
    for name, seed in (("x", "4"), ("y", "4"), ("z", "5")):
        out = tmp_path / name
        assert main(["run", str(scenario_file), "--out", str(out), "--seed", seed, "--quiet"]) == 0
        outs.append(json.loads((out / "summary.json").read_text())["variants"])
    assert outs[0] == outs[1]
    assert outs[0] != outs[2]


def test_one_replication_has_no_confidence_intervals(scenario_file, tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(scenario_file), "--out", str(out), "--quiet"]) == 0
    overall = json.loads((out / "summary.json").read_text())["variants"]["base"]["overall"]
    assert "wait_mean_s_ci95" not in overall
    assert all(v is None or math.isfinite(v) for v in overall.values())


def test_validate_and_schema(scenario_file, capsys):
    assert main(["validate", str(scenario_file), str(default_scenario())]) == 0
    assert capsys.readouterr().out.count("ok:") == 2
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False
    assert {"run", "cities", "workload", "scheduling"} <= set(schema["properties"])


def test_bad_arguments_exit_2(scenario_file):
    with pytest.raises(SystemExit) as caught:
        main(["run", str(scenario_file), "--replications", "0"])
    assert caught.value.code == 2


def test_out_must_be_a_folder(scenario_file, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    assert main(["run", str(scenario_file), "--out", str(blocker), "--quiet"]) == 1  # an output
    assert blocker.read_text() == "keep me"
