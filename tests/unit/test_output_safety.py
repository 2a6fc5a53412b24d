"""Outputs are never damaged: only regular files are replaced, a folder has one writer at a time
and one kind of output, its files are published together, a dead worker loses only its runs,
the output is checked before the work, printing comes after writing, and CSV cells never run
as spreadsheet formulas."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim.batch.cli
import sim.cli
import sim.output.files
import sim.output.folders
import sim.results
from sim.batch import ProcessExecutor, SerialExecutor, build_grid, run_batch, run_one
from sim.cli import main
from sim.output import CONTENTS, LOCK, csv_safe, open_folder
from tests.conftest import one_center

REPOSITORY = Path(__file__).resolve().parents[2]
SWEEP = "cities.a.centers.c.count=3,5"


@pytest.fixture
def scenario_file(tmp_path):
    data = one_center(4, rate="2/h", horizon="30h", warmup="2h", run={"replications": 2})
    data["variants"] = {"fifo": {}, "sjf": {"scheduling": {"local": "sjf"}}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def run_dir(scenario_file, tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(scenario_file), "--out", str(out), "--quiet"]) == 0
    return out


def command(kind: str, scenario: Path, out: Path) -> list[str]:
    if kind == "run":
        return ["run", str(scenario), "--out", str(out), "--quiet"]
    if kind == "batch":
        return ["batch", str(scenario), "--sweep", SWEEP, "--out", str(out), "--serial", "--quiet"]
    vary = ["--vary", "cities.a.centers.c.count", "--target", "wait_p95_s <= 1d", "--range", "1:8"]
    options = ["--replications", "2", "--serial", "--quiet", "--out", str(out)]
    return ["size", str(scenario), *vary, *options]


# --- 1: only regular files are replaced --------------------------------------------------------


@pytest.mark.parametrize("kind", ["run", "batch", "size"])
def test_an_out_that_is_a_fifo_is_refused_and_left_alone(kind, scenario_file, tmp_path, capsys):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert main(command(kind, scenario_file, fifo)) == 1
    assert fifo.is_fifo()
    error = capsys.readouterr().err
    assert "is not a folder" in error and "Traceback" not in error


def test_report_never_replaces_a_device_fifo_or_folder(run_dir, tmp_path, capsys):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    device = tmp_path / "null"
    device.symlink_to("/dev/null")
    folder = tmp_path / "folder"
    folder.mkdir()
    for target, what in ((fifo, "a FIFO"), (device, "a character device"), (folder, "a folder")):
        assert main(["report", str(run_dir), "-o", str(target)]) == 1
        error = capsys.readouterr().err
        assert f"is {what}" in error and "Traceback" not in error
    assert fifo.is_fifo() and device.is_symlink() and folder.is_dir()
    assert not list(folder.iterdir()) and Path("/dev/null").is_char_device()


def test_a_fifo_planted_in_an_output_folder_is_not_replaced(run_dir, scenario_file, capsys):
    (run_dir / "summary.json").unlink()
    os.mkfifo(run_dir / "summary.json")
    assert main(["run", str(scenario_file), "--out", str(run_dir), "--quiet"]) == 1
    assert (run_dir / "summary.json").is_fifo()
    assert "is a FIFO" in capsys.readouterr().err


# --- 2: one writer at a time -------------------------------------------------------------------

GATED = """
import pathlib, sys, time
import sim.batch.work as work
real, gate = work.simulate, pathlib.Path(sys.argv[1])
def gated(*args, **kwargs):
    while not gate.exists():
        time.sleep(0.05)
    return real(*args, **kwargs)
work.simulate = gated
from sim.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_a_second_writer_is_refused_and_the_first_finishes_intact(scenario_file, tmp_path, capsys):
    out, gate = tmp_path / "out", tmp_path / "gate"
    first = [*command("batch", scenario_file, out), "--seed", "1"]
    holder = subprocess.Popen(
        [sys.executable, "-c", GATED, str(gate), *first], cwd=REPOSITORY, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while str(holder.pid) not in _text(out / LOCK):  # the first holds the lock
            assert holder.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        second = [*command("batch", scenario_file, out), "--seed", "2"]
        assert main(second) == 2
        error = capsys.readouterr().err
        assert f"pid {holder.pid}" in error and "--seed 1" in error
        assert main([*second, "--resume"]) == 2
    finally:
        gate.touch()
        _, stderr = holder.communicate(timeout=300)
    assert holder.returncode == 0, stderr.decode()
    assert main([*command("batch", scenario_file, tmp_path / "alone"), "--seed", "1"]) == 0
    written, alone = (
        json.loads((path / "summary.json").read_text()) for path in (out, tmp_path / "alone")
    )
    assert written["seed"] == 1
    assert written["points"] == alone["points"]  # the first writer's results, whole
    assert sim.results.read_results(out).kind == "batch"


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def test_the_lock_is_held_for_the_whole_command_and_released_after(scenario_file, tmp_path):
    out = tmp_path / "out"
    with open_folder(out, "run"):
        assert main(command("run", scenario_file, out)) == 2
    assert main(command("run", scenario_file, out)) == 0
    assert main(command("run", scenario_file, out)) == 0  # released, also after success


# --- 3: one kind of output per folder ----------------------------------------------------------


@pytest.mark.parametrize("legacy", [False, True])
def test_another_kind_of_output_is_not_written_over_a_folder(
    run_dir, scenario_file, tmp_path, capsys, legacy
):
    if legacy:  # written before contents.json: recognised by its files
        (run_dir / CONTENTS).unlink()
    before = (run_dir / "summary.json").read_bytes()
    assert main(command("batch", scenario_file, run_dir)) == 2
    assert main(command("size", scenario_file, run_dir)) == 2
    assert "holds the output of `capsim run`" in capsys.readouterr().err
    assert (run_dir / "summary.json").read_bytes() == before
    assert not (run_dir / "runs").exists() and not (run_dir / "sizing.json").exists()
    batch_dir = tmp_path / "batch"
    assert main(command("batch", scenario_file, batch_dir)) == 0
    before = (batch_dir / "summary.json").read_bytes()
    assert main(command("run", scenario_file, batch_dir)) == 2
    assert (batch_dir / "summary.json").read_bytes() == before


# --- 4: a folder is whole or refused -----------------------------------------------------------


def test_a_run_killed_between_renames_leaves_a_folder_the_report_refuses(
    run_dir, scenario_file, monkeypatch, capsys
):
    real, renames = os.replace, []

    def killed_after_one(source, target):
        if Path(target).name != CONTENTS:
            renames.append(target)
            if len(renames) == 2:
                raise KeyboardInterrupt  # the kill, between two renames of the folder's files
        real(source, target)

    monkeypatch.setattr(sim.output.files.os, "replace", killed_after_one)
    assert main(["run", str(scenario_file), "--out", str(run_dir), "--quiet", "--seed", "9"]) == 130
    monkeypatch.undo()
    assert main(["report", str(run_dir)]) == 2
    assert "is incomplete" in capsys.readouterr().err
    assert not list(run_dir.glob(".*.tmp"))  # the staged files were dropped
    assert main(["run", str(scenario_file), "--out", str(run_dir), "--quiet"]) == 0
    assert main(["report", str(run_dir)]) == 0


def test_a_folder_mixing_two_runs_is_refused(run_dir, scenario_file, tmp_path, capsys):
    other = tmp_path / "other"
    assert main(["run", str(scenario_file), "--out", str(other), "--seed", "5", "--quiet"]) == 0
    (run_dir / "jobs.parquet").write_bytes((other / "jobs.parquet").read_bytes())
    assert main(["report", str(run_dir)]) == 2
    assert "jobs.parquet differs from what was written" in capsys.readouterr().err


def test_files_are_flushed_and_leftovers_of_a_killed_run_removed(
    run_dir, scenario_file, monkeypatch
):
    leftover = run_dir / ".jobs.parquet.0123456789abcdef.tmp"
    leftover.write_bytes(b"half a file")
    others = run_dir / ".report.html.0123456789abcdef.tmp"  # a report being written: not ours
    others.write_bytes(b"")
    synced = []
    real = os.fsync

    def fsync(descriptor):
        synced.append(Path(os.readlink(f"/proc/self/fd/{descriptor}")).name)
        real(descriptor)

    monkeypatch.setattr(sim.output.files.os, "fsync", fsync)
    assert main(["run", str(scenario_file), "--out", str(run_dir), "--quiet"]) == 0
    assert not leftover.exists() and others.exists()
    for name in ("jobs.parquet", "timeseries.parquet", "summary.json", "scenario.yaml", CONTENTS):
        assert any(re.fullmatch(rf"\.{re.escape(name)}\.[0-9a-f]{{16}}\.tmp", s) for s in synced)


def test_a_file_the_new_output_does_not_have_is_not_left_from_the_old(tmp_path):
    for names in (["summary.json", "jobs.parquet"], ["summary.json"]):
        with open_folder(tmp_path / "out", "run") as folder:
            for name in names:
                folder.stage_bytes(name, f"{name} of {len(names)}".encode())
            folder.publish()
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == [
        CONTENTS,
        "summary.json",
    ]
    sim.output.folders.verify_folder(tmp_path / "out")


# --- 5: a killed worker loses only its runs ----------------------------------------------------


def killed_once(scenario, variant, seed, replication):
    """Kill this worker process the first time replication 1 of sjf runs anywhere."""
    if variant == "sjf" and replication == 1:
        try:
            os.close(os.open(os.environ["CAPSIM_TEST_KILLED"], os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            pass
        else:
            os.kill(os.getpid(), signal.SIGKILL)
    return run_one(scenario, variant, seed, replication)


def test_a_killed_worker_is_replaced_and_the_batch_equals_serial(
    scenario_file, tmp_path, monkeypatch
):
    marker = tmp_path / "killed"
    monkeypatch.setenv("CAPSIM_TEST_KILLED", str(marker))
    base, axes, points = build_grid(scenario_file, [SWEEP])
    options = {"replications": 3, "progress": False}
    with ProcessExecutor(2) as executor:
        pooled = run_batch(
            scenario_file,
            base,
            axes,
            points,
            out=tmp_path / "pool",
            executor=executor,
            function=killed_once,
            **options,
        )
        assert pooled.failed == [] and pooled.ran == 2 * 2 * 3
        restarts = executor.restarts
    assert marker.exists() and restarts >= 1  # a worker was killed, the pool started again
    with SerialExecutor() as executor:
        serial = run_batch(
            scenario_file, base, axes, points, out=tmp_path / "serial", executor=executor, **options
        )
    pd.testing.assert_frame_equal(pooled.table, serial.table)


def always_killed(scenario, variant, seed, replication):
    if variant == "sjf" and replication == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    return run_one(scenario, variant, seed, replication)


def test_a_run_that_always_kills_its_worker_fails_alone(scenario_file, tmp_path):
    base, axes, points = build_grid(scenario_file, [SWEEP])
    with ProcessExecutor(2) as executor:
        result = run_batch(
            scenario_file,
            base,
            axes,
            points,
            out=tmp_path / "out",
            executor=executor,
            function=always_killed,
            replications=2,
            progress=False,
        )
    lost = sorted((f["point"], f["variant"], f["replication"]) for f in result.failed)
    assert lost == [(0, "sjf", 0), (1, "sjf", 0)]
    assert all("worker process died" in f["error"] for f in result.failed)


# --- 14: the output is checked before the work -------------------------------------------------


@pytest.mark.parametrize("kind", ["run", "batch", "size"])
@pytest.mark.parametrize("where", ["under a file", "in /proc"])
def test_an_unwritable_out_is_found_before_any_run(
    kind, where, scenario_file, tmp_path, monkeypatch, capsys
):
    def no_work(*args, **kwargs):
        raise AssertionError("simulated before checking the output folder")

    for module in (sim.cli, sim.batch.cli, sim.batch.runner):
        for name in ("run_replications", "replicate", "size_capacity", "_run_in"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, no_work)
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = blocker / "out" if where == "under a file" else Path("/proc/capsim-test-out")
    assert main(command(kind, scenario_file, out)) == 1
    error = capsys.readouterr().err
    assert f"cannot write to {out}" in error and "Traceback" not in error


def test_a_full_disk_is_found_before_any_run(scenario_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sim.cli, "replicate", lambda *a, **k: pytest.fail("simulated"))
    real = os.statvfs

    def full(path):
        disk = real(path)
        return os.statvfs_result((*disk[:4], 0, *disk[5:]))  # no blocks available

    monkeypatch.setattr(sim.output.folders.os, "statvfs", full)
    assert main(command("run", scenario_file, tmp_path / "out")) == 1
    assert "the disk is full" in capsys.readouterr().err


def test_an_unwritable_report_target_is_found_before_building_it(run_dir, tmp_path, monkeypatch):
    import sim.reporting

    monkeypatch.setattr(sim.reporting, "build_report", lambda results: pytest.fail("built"))
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["report", str(run_dir), "-o", str(blocker / "r.html")]) == 1
    assert main(["report", str(run_dir), "--format", "md", "-o", str(blocker / "r")]) == 1


# --- 16: files first, then printing, in any encoding -------------------------------------------


def test_an_ascii_terminal_gets_the_table_and_the_files(scenario_file, tmp_path):
    out = tmp_path / "out"
    environment = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(scenario_file), "--out", str(out), "--quiet"],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"\\xb1" in done.stdout  # the "±" of mean ± half-width, escaped
    assert {"summary.json", "jobs.parquet", "timeseries.parquet"} <= {p.name for p in out.iterdir()}


def test_files_are_written_before_anything_is_printed(scenario_file, tmp_path, monkeypatch):
    out = tmp_path / "out"

    def unprintable(*args, **kwargs):
        assert (out / "summary.json").exists()
        raise UnicodeEncodeError("ascii", "±", 0, 1, "the terminal cannot show it")

    monkeypatch.setattr(sim.cli, "variants_table", unprintable)
    with pytest.raises(UnicodeEncodeError):
        main(["run", str(scenario_file), "--out", str(out), "--quiet"])
    assert sim.results.read_results(out).kind == "run"


# --- 18: CSV cells never run as formulas --------------------------------------------------------


def test_csv_cells_that_start_a_formula_are_kept_as_text():
    frame = pd.DataFrame(
        {
            "text": ['=HYPERLINK("http://x","y")', "+1+2", "-cmd", "@SUM(A1)", "\tx", "plain"],
            "number_text": ["-12.5", "+3", "-1e-3", "-40%", "5", "-"],
            "number": [-1.5, 2.0, -3.0, 0.0, 1e9, -7.25],
        }
    )
    safe = csv_safe(frame)
    assert list(safe["text"]) == [
        '\'=HYPERLINK("http://x","y")',
        "'+1+2",
        "'-cmd",
        "'@SUM(A1)",
        "'\tx",
        "plain",
    ]
    assert list(safe["number_text"]) == ["-12.5", "+3", "-1e-3", "-40%", "5", "'-"]
    assert list(safe["number"]) == list(frame["number"])  # negatives stay numbers


def test_a_formula_in_a_scenario_comment_is_not_live_in_the_report_tables(tmp_path):
    data = one_center(4, rate="2/h", horizon="30h", run={"replications": 2})
    text = yaml.safe_dump(data).replace(
        "count: 4", 'count: 4   # =HYPERLINK("http://evil.example","click")'
    )
    scenario = tmp_path / "s.yaml"
    scenario.write_text(text)
    out, report = tmp_path / "out", tmp_path / "report"
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out), "--format", "md", "-o", str(report)]) == 0
    cells = [
        cell
        for path in (report / "tables").glob("*.csv")
        for row in csv.reader(path.read_text(encoding="utf-8").splitlines())
        for cell in row
    ]
    assert any("HYPERLINK" in cell for cell in cells)  # the comment is in a table
    assert not [cell for cell in cells if cell.startswith(("=", "+", "@"))]
    negative = [cell for cell in cells if cell.startswith("-")]
    assert all(float(cell) < 0 for cell in negative)  # only numbers start with "-"
