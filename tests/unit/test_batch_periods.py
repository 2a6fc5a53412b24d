"""capsim batch with run.period: per point × variant the periods of `capsim run`, kept by the
run files through every executor and --resume, printed and reported as crossing lines."""

import contextlib
import io
import json

import pyarrow.parquet as pq
import pytest
import yaml

from sim.batch import ProcessExecutor, SerialExecutor, build_grid, run_batch
from sim.batch.store import PERIODS_KEY, BatchStore
from sim.cli import main
from sim.report import wait_alarm_lines
from sim.reporting.build import build_report
from sim.reporting.document import Bullets, FigureBlock
from sim.results import read_results
from sim.summary import run_replications
from tests.unit.test_periods import retiring

SWEEP = ["run.horizon=300h,400h"]
REPLICATIONS = 2


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    """The retiring center of test_periods (waits cross a day after 100 h), two schedulers."""
    data = retiring("50h")
    data["variants"] = {"fifo": {}, "sjf": {"scheduling": {"local": "sjf"}}}
    path = tmp_path_factory.mktemp("scenario") / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def batch_dir(scenario_file, tmp_path_factory):
    """``capsim batch`` of the scenario: its folder and what it printed."""
    out = tmp_path_factory.mktemp("batch") / "out"
    args = ["batch", str(scenario_file), "--sweep", SWEEP[0], "--out", str(out)]
    args += ["--replications", str(REPLICATIONS), "--serial", "--quiet"]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(args) == 0
    return out, printed.getvalue()


def batch(scenario_file, out, executor=None, **options):
    base, axes, points = build_grid(scenario_file, SWEEP)
    with executor or SerialExecutor() as runner:
        return run_batch(
            scenario_file,
            base,
            axes,
            points,
            out=out,
            executor=runner,
            replications=REPLICATIONS,
            progress=False,
            **options,
        )


def same(a, b):
    """Equal to the last digit, NaN equal to NaN."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_each_point_has_the_periods_of_capsim_run_and_the_cli_prints_them(scenario_file, batch_dir):
    out, printed = batch_dir
    summary = json.loads((out / "summary.json").read_text())
    _, _, points = build_grid(scenario_file, SWEEP)
    for entry, point in zip(summary["points"], points, strict=True):
        plain = run_replications(point.scenario, replications=REPLICATIONS)
        assert same(entry["periods"], plain["periods"])
        assert set(entry["periods"]) == {"fifo", "sjf"}
        horizon = point.params["run.horizon"]
        for line in wait_alarm_lines(plain):
            assert f"point {entry['point']} (run.horizon = {horizon}), {line}\n" in printed
    # the two horizons cut the same periods up to the shorter one
    short, long = (entry["periods"]["fifo"] for entry in summary["points"])
    assert long["start_s"][: len(short["start_s"])] == short["start_s"]
    assert len(long["start_s"]) > len(short["start_s"])


def test_the_report_of_a_batch_shows_the_crossings(batch_dir):
    out, _ = batch_dir
    document = build_report(read_results(out))
    findings = document.section("findings").blocks
    crossings = [b for b in findings if isinstance(b, Bullets) and "cross a day" in b.title]
    assert len(crossings) == 1 and len(crossings[0].items) == 2 * 2
    assert all("p95 wait first exceeds 1 d: a " in item for item in crossings[0].items)
    names = [b.name for b in document.section("figures").blocks if isinstance(b, FigureBlock)]
    assert {"period-waits-point-0", "period-waits-point-1"} <= set(names)


def strip_periods(path):
    """Rewrite a run file as batches wrote it before they computed periods."""
    table = pq.read_table(path)
    pq.write_table(table.replace_schema_metadata(), path)


def test_resume_keeps_periods_and_reruns_only_runs_written_without_them(scenario_file, tmp_path):
    whole = batch(scenario_file, tmp_path / "whole")
    store = BatchStore(tmp_path / "whole")
    paths = sorted(store.runs.glob("*.parquet"))
    assert all(PERIODS_KEY in pq.read_schema(p).metadata for p in paths)
    again = batch(scenario_file, tmp_path / "whole", resume=True)
    assert again.ran == 0 and same(again.summary["points"], whole.summary["points"])
    old = paths[:3]
    for path in old:
        strip_periods(path)
    kept = {p: p.stat().st_mtime_ns for p in paths[3:]}
    resumed = batch(scenario_file, tmp_path / "whole", resume=True)
    assert resumed.ran == len(old) and resumed.skipped == len(paths) - len(old)
    assert {p: p.stat().st_mtime_ns for p in kept} == kept
    assert all(PERIODS_KEY in pq.read_schema(p).metadata for p in old)
    assert same(resumed.summary["points"], whole.summary["points"])


def test_local_processes_give_exactly_the_serial_periods(scenario_file, tmp_path):
    serial = batch(scenario_file, tmp_path / "serial")
    processes = batch(scenario_file, tmp_path / "processes", ProcessExecutor(2))
    assert "periods" in serial.summary["points"][0]
    assert same(serial.summary["points"], processes.summary["points"])
    stores = [BatchStore(tmp_path / name) for name in ("serial", "processes")]
    periods = [{run.stem: p for run, p in s.read_periods().items()} for s in stores]
    assert len(periods[0]) == 2 * 2 * REPLICATIONS and same(*periods)
