"""capsim batch: executors agree, every run is kept, failures are recorded, --resume finishes."""

import json

import pandas as pd
import pytest
import yaml

import sim.batch.work
from sim.batch import ProcessExecutor, SerialExecutor, build_grid, run_batch, run_one
from sim.batch.store import BatchStore
from sim.cli import main
from sim.metrics import METRIC_DOCS, OPTIONAL_METRICS
from sim.summary import run_replications
from tests.conftest import one_center

SWEEP = ["cities.a.centers.c.count=3,5"]


@pytest.fixture
def scenario_file(tmp_path):
    data = one_center(4, rate="2/h", horizon="60h", warmup="5h")
    data["cities"]["b"] = {"centers": {"b1": {"accelerator": "h100", "count": 2}}}
    data["workload"][0]["origin"] = {"a": 2, "b": 1}
    data["variants"] = {"fifo": {}, "sjf": {"scheduling": {"local": "sjf"}}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def batch(scenario_file, out, executor=None, **options):
    base, axes, points = build_grid(scenario_file, SWEEP)
    options.setdefault("replications", 3)
    with executor or SerialExecutor() as runner:
        return run_batch(
            scenario_file, base, axes, points, out=out, executor=runner, progress=False, **options
        )


def same(a, b):
    """Equal to the last digit, NaN equal to NaN."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_summary_layout_and_agreement_with_capsim_run(scenario_file, tmp_path):
    result = batch(scenario_file, tmp_path / "out")
    table = pd.read_parquet(tmp_path / "out" / "summary.parquet")
    keys = ["point", "cities.a.centers.c.count", "variant", "level", "city", "center"]
    assert list(table.columns[:7]) == [*keys, "replications"]
    for metric in METRIC_DOCS.keys() - OPTIONAL_METRICS:
        assert {metric, f"{metric}_ci95"} <= set(table.columns)
    # 2 points x 2 variants x (overall + 2 cities + 2 centers)
    assert len(table) == 2 * 2 * 5 and not table.duplicated(keys).any()
    assert set(table["level"]) == {"overall", "city", "center"}
    assert (table["replications"] == 3).all()
    assert table.loc[table["level"] == "overall", "city"].eq("").all()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    documented = {"capsim_version", "scenario", "seed", "replications", "axes", "points"}
    assert documented | {"failed", "metric_docs", "scenario_sha256", "elapsed_s"} <= set(summary)
    assert set(summary["points"][0]) == {
        "point", "params", "replications", "variants", "comparisons"
    }  # fmt: skip
    assert summary["axes"] == {"cities.a.centers.c.count": [3, 5]}
    assert not BatchStore(tmp_path / "out").read_periods()  # no run.period: runs as before
    assert summary["failed"] == [] and len(summary["points"]) == 2
    # every point is exactly what `capsim run` gives for that scenario (same seeds)
    _, _, points = build_grid(scenario_file, SWEEP)
    for entry, point in zip(result.summary["points"], points, strict=True):
        plain = run_replications(point.scenario, replications=3)
        assert same(entry["variants"], plain["variants"])
        assert same(entry["comparisons"], plain["comparisons"])
    five = table[(table["point"] == 1) & (table["level"] == "center") & (table["center"] == "c")]
    assert (five["accelerators"] == 5).all()


def test_local_processes_give_exactly_the_serial_numbers(scenario_file, tmp_path):
    serial = batch(scenario_file, tmp_path / "serial")
    processes = batch(scenario_file, tmp_path / "processes", ProcessExecutor(2))
    pd.testing.assert_frame_equal(serial.table, processes.table)
    assert same(serial.summary["points"], processes.summary["points"])
    runs = [BatchStore(tmp_path / name).read_runs() for name in ("serial", "processes")]
    pd.testing.assert_frame_equal(*runs)


def flaky(scenario, variant, seed, replication):
    if replication == 1 and variant == "sjf":
        raise RuntimeError("disk on fire")
    return run_one(scenario, variant, seed, replication)


def test_a_failing_run_is_recorded_and_the_batch_goes_on(scenario_file, tmp_path):
    result = batch(scenario_file, tmp_path / "out", function=flaky)
    assert len(BatchStore(tmp_path / "out").finished()) == 2 * 2 * 3 - 2
    failed = sorted(result.failed, key=lambda f: f["point"])
    assert [(f["point"], f["variant"], f["replication"]) for f in failed] == [
        (0, "sjf", 1),
        (1, "sjf", 1),
    ]
    assert failed[1]["params"] == {"cities.a.centers.c.count": 5}
    assert "RuntimeError: disk on fire" in failed[0]["error"]
    entry = result.summary["points"][0]
    assert entry["replications"] == {"fifo": 3, "sjf": 2}
    assert entry["comparisons"]["sjf"]["baseline"] == "fifo"  # paired over replications 0 and 2


def test_cli_exit_status_1_on_failures_and_resume_reruns_only_those(
    scenario_file, tmp_path, monkeypatch, capsys
):
    real = sim.batch.work.simulate

    def failing(scenario, seed, replication=0, **kwargs):
        if replication == 2:
            raise ValueError("bad luck")
        return real(scenario, seed, replication=replication, **kwargs)

    out = str(tmp_path / "out")
    args = ["batch", str(scenario_file), *("--sweep", SWEEP[0]), "--replications", "3"]
    args += ["--out", out, "--serial"]
    monkeypatch.setattr(sim.batch.work, "simulate", failing)
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "4 failed" in captured.out and "ValueError: bad luck" in captured.err
    assert "Traceback" not in captured.err
    assert "[########################] 12/12 runs, 4 failed" in captured.err
    assert len(json.loads((tmp_path / "out" / "summary.json").read_text())["failed"]) == 4
    monkeypatch.setattr(sim.batch.work, "simulate", real)
    assert main(args) == 2  # the folder holds runs: --resume is required
    assert main([*args, "--resume"]) == 0
    assert "4 runs made, 8 already on disk, 0 failed" in capsys.readouterr().out
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["failed"] == []


class Interrupt:
    """Runs normally, then interrupts the batch (Ctrl-C) before run number ``after``."""

    def __init__(self, after):
        self.after, self.calls = after, []

    def __call__(self, scenario, variant, seed, replication):
        if len(self.calls) == self.after:
            raise KeyboardInterrupt
        self.calls.append((variant, replication, scenario.cities["a"].centers["c"].count))
        return run_one(scenario, variant, seed, replication)


def test_an_interrupted_batch_resumes_to_the_same_summary(scenario_file, tmp_path):
    whole = batch(scenario_file, tmp_path / "whole")
    out = tmp_path / "out"
    first = Interrupt(after=5)
    with pytest.raises(KeyboardInterrupt):
        batch(scenario_file, out, function=first)
    store = BatchStore(out)
    kept = {path: path.stat().st_mtime_ns for path in store.runs.glob("*.parquet")}
    assert len(kept) == 5 and not (out / "summary.json").exists()
    assert not list(store.runs.glob(".*"))  # no half-written file
    second = Interrupt(after=10**6)
    resumed = batch(scenario_file, out, function=second, resume=True)
    assert resumed.ran == 12 - 5 and resumed.skipped == 5
    assert not set(first.calls) & set(second.calls)  # nothing finished was run again
    assert {path: path.stat().st_mtime_ns for path in kept} == kept
    pd.testing.assert_frame_equal(resumed.table, whole.table)
    assert same(resumed.summary["points"], whole.summary["points"])
    on_disk = pd.read_parquet(out / "summary.parquet")
    pd.testing.assert_frame_equal(on_disk, pd.read_parquet(tmp_path / "whole" / "summary.parquet"))
