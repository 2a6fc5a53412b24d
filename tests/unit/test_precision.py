"""Replications to a precision (run.precision, --precision) and capsim run --workers."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.batch.precision import chosen_precision, next_total, precision_checks
from sim.batch.replicate import replicate
from sim.batch.work import metrics_rows
from sim.cli import main
from sim.scenario import ScenarioError
from sim.scenario.schema import Precision
from tests.conftest import build, one_center

SPREAD = 2.0
"""Standard deviation of the stand-in metric around its mean of 10."""


def noisy(scenario, variant, seed, replication):
    """A stand-in run: a metric ~ Normal(10, SPREAD) per replication, variant b 1 higher on the
    same draw (a paired difference with no noise)."""
    value = np.random.default_rng([seed, replication]).normal(10.0, SPREAD)
    value += 1.0 if variant == "b" else 0.0
    flat = {"wait_mean_s": value}
    return metrics_rows({"overall": flat, "cities": {"a": {**flat, "centers": {}}}})


def two_variants(**precision):
    data = one_center(2, variants={"a": {}, "b": {}})
    data["run"]["precision"] = {"metrics": ["wait_mean_s"], **precision}
    return build(data)


def test_replications_added_until_the_target_is_met():
    scenario = two_variants(relative="5%", max_replications=1000)
    summary = replicate(scenario, precision=scenario.run.precision, function=noisy)
    record = summary["precision"]
    # Law & Kelton: half-width <= gamma/(1+gamma) |mean|, i.e. n ~ (1.96 s / (0.0476 * 10))^2
    expected = (1.96 * SPREAD / (0.05 / 1.05 * 10.0)) ** 2
    assert record["met"] and 0.5 * expected < record["replications"] < 2.5 * expected
    assert summary["replications"] == record["replications"] == record["rounds"][-1]
    assert record["rounds"][0] == 10 and record["rounds"] == sorted(record["rounds"])
    for check in record["checks"]:
        assert check["ci95"] <= check["allowed"] + 1e-12
    # every variant at both places, and the paired difference (constant: half-width 0)
    assert {(c["of"], c["place"]) for c in record["checks"]} == {
        (of, place) for of in ("a", "b", "b − a") for place in ("overall", "a")
    }


def test_the_cap_stops_and_says_what_is_missing():
    scenario = two_variants(relative="1%", max_replications=20)
    summary = replicate(scenario, precision=scenario.run.precision, function=noisy)
    record = summary["precision"]
    assert not record["met"] and record["replications"] == 20
    unmet = [c for c in record["checks"] if not c["met"]]
    assert unmet and all(c["needed"] > 20 for c in unmet)


def test_a_mean_of_zero_needs_an_absolute_half_width():
    zero = {"overall": [{"wait_mean_s": v} for v in (-1.0, 1.0, -0.5, 0.5)], "cities": []}
    runs = {"a": [{"overall": row, "cities": {}} for row in zero["overall"]]}
    relative = Precision(metrics=["wait_mean_s"], per="overall")
    (check,) = precision_checks(runs, relative)
    assert not check.met and check.needed is None
    assert next_total([check], 4, relative) == 8  # no estimate: double
    absolute = Precision(metrics=["wait_mean_s"], per="overall", absolute={"wait_mean_s": "2s"})
    assert precision_checks(runs, absolute)[0].met


def test_next_round_at_most_doubles_and_respects_the_cap():
    precision = Precision(metrics=["wait_mean_s"], max_replications=50)
    runs = {"a": [{"overall": {"wait_mean_s": 10.0 + v}, "cities": {}} for v in (-3, 3, -3, 3)]}
    checks = precision_checks(runs, precision)
    assert next_total(checks, 4, precision) == 8
    assert next_total(checks, 40, precision) == 50
    assert next_total(checks, 50, precision) == 50


def test_replications_option_turns_the_shipped_target_off_unless_precision_is_given():
    scenario = two_variants(relative="5%")
    assert chosen_precision(scenario, False, None) == scenario.run.precision
    assert chosen_precision(scenario, False, 3) is None
    assert chosen_precision(scenario, None, None) is None  # --precision off
    laid_over = chosen_precision(scenario, {"relative": "20%"}, 3)
    assert laid_over is not None and laid_over.relative == 0.2
    assert laid_over.metrics == ["wait_mean_s"]
    with pytest.raises(ScenarioError, match=r"--precision: run\.precision\.relative"):
        chosen_precision(scenario, {"relative": "200%"}, None)


@pytest.fixture
def scenario_file(tmp_path):
    data = one_center(3, rate="2/h", horizon="40h", warmup="4h")
    data["cities"]["b"] = {"centers": {"b1": {"accelerator": "h100", "count": 2}}}
    data["workload"][0]["origin"] = {"a": 2, "b": 1}
    data["variants"] = {"siloed": {}, "on-demand": {"dispatch": "on-demand"}}
    data["default_link"] = {"latency": "10ms", "bandwidth": "100Gbps"}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_workers_give_the_serial_result_to_the_last_digit(scenario_file, tmp_path):
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        argv = ["run", str(scenario_file), "--replications", "3", "--quiet", "--out", str(out)]
        assert main([*argv, "--workers", str(workers)]) == 0
    serial, parallel = (json.loads((tmp_path / f"w{w}/summary.json").read_text()) for w in (1, 2))
    assert (serial.pop("workers"), parallel.pop("workers")) == (1, 2)
    serial.pop("elapsed_s"), parallel.pop("elapsed_s")
    assert json.dumps(serial, sort_keys=True) == json.dumps(parallel, sort_keys=True)
    for name in ("jobs.parquet", "timeseries.parquet", "summary.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "w1" / name), pd.read_parquet(tmp_path / "w2" / name)
        )


def test_run_summary_parquet_is_the_batch_layout(scenario_file, tmp_path):
    assert main(["run", str(scenario_file), "--replications", "2", "--quiet", "--workers", "1",
                 "--out", str(tmp_path / "o")]) == 0  # fmt: skip
    table = pd.read_parquet(tmp_path / "o" / "summary.parquet")
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert list(table.columns[:5]) == ["variant", "level", "city", "center", "replications"]
    assert (table["replications"] == 2).all()
    row = table[
        (table["variant"] == "on-demand") & (table["city"] == "b") & (table["level"] == "city")
    ]
    city = summary["variants"]["on-demand"]["cities"]["b"]
    assert row["wait_p95_s"].item() == pytest.approx(city["wait_p95_s"], nan_ok=True)
    assert row["wait_p95_s_ci95"].item() == pytest.approx(city["wait_p95_s_ci95"], nan_ok=True)


def test_run_with_precision_records_it(scenario_file, tmp_path, capsys):
    option = "{metrics: [utilisation], relative: 50%, min_replications: 2, max_replications: 4}"
    argv = ["run", str(scenario_file), "--quiet", "--workers", "1", "--precision", option]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["precision"]["replications"] == summary["replications"] <= 4
    assert "precision: 95% CI within ±50% of the mean for utilisation" in capsys.readouterr().out


@pytest.mark.parametrize(
    "option, message",
    [
        ("{metrics: [wait_p96_s]}", "unknown metric 'wait_p96_s'"),
        ("{metrics: [utilisation], relative: 2}", "relative"),
        ("[1, 2]", "expected a mapping"),
    ],
)
def test_bad_precision_is_a_clean_input_error(scenario_file, capsys, option, message):
    with pytest.raises(SystemExit) as exit_info:
        code = main(["run", str(scenario_file), "--quiet", "--precision", option])
        raise SystemExit(code)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_batch_replicates_each_point_to_the_precision(scenario_file, tmp_path, capsys):
    option = "{metrics: [utilisation], relative: 1%, min_replications: 2, max_replications: 3}"
    argv = ["batch", str(scenario_file), "--sweep", "cities.a.centers.c.count=3,4", "--serial"]
    assert main([*argv, "--precision", option, "--quiet", "--out", str(tmp_path / "b")]) == 0
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    for point in summary["points"]:
        record = point["precision"]
        assert record["rounds"][0] == 2 and record["replications"] <= 3
        assert set(point["replications"].values()) == {record["replications"]}
    table = pd.read_parquet(tmp_path / "b" / "summary.parquet")
    assert table["replications"].max() == summary["replications"] <= 3
    assert "intervals still wider after 3 replications" in capsys.readouterr().out


def test_size_replicates_each_value_to_the_precision(scenario_file, tmp_path):
    option = "{metrics: [utilisation], relative: 1%, min_replications: 2, max_replications: 3}"
    argv = ["size", str(scenario_file), "--vary", "cities.a.centers.c.count", "--range", "2:4"]
    argv += ["--target", "wait_mean_s <= 30d", "--serial", "--quiet", "--precision", option]
    main([*argv, "--out", str(tmp_path / "s")])
    sizing = json.loads((tmp_path / "s" / "sizing.json").read_text())
    for evaluation in sizing["evaluations"]:
        assert evaluation["precision_met"] is not None and evaluation["replications"] in (2, 3)
