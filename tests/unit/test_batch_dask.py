"""capsim batch on a real Dask cluster: a scheduler and two workers started here as separate
processes on 127.0.0.1, and torn down here.

The scheduler writes its address to a scheduler file; the workers read it. Each worker runs
without a nanny (``--no-nanny``), so the process the test kills is the worker itself and
nothing restarts it: the scheduler must move its tasks to the other worker.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.batch import DaskExecutor, SerialExecutor, build_grid, run_batch
from sim.batch.store import BatchStore
from sim.cli import main
from tests.conftest import one_center

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).parents[2]
SWEEP = ["cities.a.centers.c.count=3,4"]


class LocalDaskCluster:
    """A scheduler and ``workers`` worker processes on 127.0.0.1, logging into ``folder``."""

    def __init__(self, folder: Path, workers: int = 2):
        self.folder = folder
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
        file = folder / "scheduler.json"
        self.scheduler = self._start(
            "dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(file),
        )
        self.address = self._address(file)
        self.workers = [
            self._start(
                "dask_worker",
                self.address,
                "--host",
                "127.0.0.1",
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--death-timeout",
                "30",
                "--preload",
                "sim.batch.work",
                "--local-directory",
                str(folder / f"worker{i}"),
            )
            for i in range(workers)
        ]
        with distributed.Client(self.address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=60)

    def _start(self, module: str, *args: str) -> subprocess.Popen:
        log = open(self.folder / f"{module}-{time.monotonic_ns()}.log", "w")  # noqa: SIM115
        return subprocess.Popen(
            [sys.executable, "-m", f"distributed.cli.{module}", *args],
            cwd=self.folder,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def _address(self, file: Path) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if file.exists():
                try:
                    return json.loads(file.read_text())["address"]
                except (ValueError, KeyError):
                    pass  # being written
            assert self.scheduler.poll() is None, "the scheduler exited"
            time.sleep(0.1)
        raise TimeoutError("no scheduler file")

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.workers, self.scheduler]:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One cluster for this module; the test that kills a worker runs last."""
    started = LocalDaskCluster(tmp_path_factory.mktemp("cluster"))
    yield started
    started.stop()


def scenario(tmp_path, horizon, period=None):
    data = one_center(4, rate="2/h", horizon=horizon, warmup="5h")
    if period is not None:
        data["run"]["period"] = period
    data["variants"] = {"fifo": {}, "sjf": {"scheduling": {"local": "sjf"}}}
    path = tmp_path / f"s-{horizon}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def serial_batch(path, out, replications):
    base, axes, points = build_grid(path, SWEEP)
    return run_batch(
        path,
        base,
        axes,
        points,
        out=out,
        executor=SerialExecutor(),
        replications=replications,
        progress=False,
    )


def test_dask_cluster_gives_exactly_the_serial_numbers(cluster, tmp_path):
    path = scenario(tmp_path, "80h", period="20h")  # periods travel through Dask too
    common = ["batch", str(path), "--sweep", SWEEP[0], "--replications", "3", "--quiet"]
    assert main([*common, "--out", str(tmp_path / "serial"), "--serial"]) == 0
    assert main([*common, "--out", str(tmp_path / "dask"), "--scheduler", cluster.address]) == 0
    tables = [pd.read_parquet(tmp_path / name / "summary.parquet") for name in ("serial", "dask")]
    pd.testing.assert_frame_equal(*tables)
    runs = [BatchStore(tmp_path / name).read_runs() for name in ("serial", "dask")]
    pd.testing.assert_frame_equal(*runs)
    documents = [
        json.loads((tmp_path / n / "summary.json").read_text()) for n in ("serial", "dask")
    ]
    assert documents[0]["points"] == documents[1]["points"]
    assert all(set(point["periods"]) == {"fifo", "sjf"} for point in documents[0]["points"])


def test_dask_local_cluster_gives_exactly_the_serial_numbers(tmp_path):
    path = scenario(tmp_path, "80h", period="20h")
    common = ["batch", str(path), "--sweep", SWEEP[0], "--replications", "2", "--quiet"]
    assert main([*common, "--out", str(tmp_path / "serial"), "--serial"]) == 0
    assert main([*common, "--out", str(tmp_path / "local"), "--dask-local", "--workers", "1"]) == 0
    tables = [pd.read_parquet(tmp_path / name / "summary.parquet") for name in ("serial", "local")]
    pd.testing.assert_frame_equal(*tables)
    periods = [
        [p["periods"] for p in json.loads((tmp_path / n / "summary.json").read_text())["points"]]
        for n in ("serial", "local")
    ]
    assert periods[0] == periods[1] and all(periods[0])


def test_a_killed_worker_loses_no_run(cluster, tmp_path):
    path = scenario(tmp_path, "3000h")  # about 0.1 s a run: the kill lands mid-batch
    replications, out = 8, tmp_path / "dask"
    total = 2 * 2 * replications
    outcome = {}

    def run():
        try:
            base, axes, points = build_grid(path, SWEEP)
            with DaskExecutor(cluster.address) as executor:
                outcome["result"] = run_batch(
                    path,
                    base,
                    axes,
                    points,
                    out=out,
                    executor=executor,
                    replications=replications,
                    progress=False,
                )
        except BaseException as error:  # reported by the main thread
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    runs = out / "runs"
    deadline = time.monotonic() + 120
    while len(list(runs.glob("*.parquet"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    victim = cluster.workers[0]
    victim.send_signal(signal.SIGKILL)
    on_disk_at_kill = len(list(runs.glob("*.parquet")))
    victim.wait(timeout=10)
    thread.join(timeout=180)
    assert not thread.is_alive() and "error" not in outcome, outcome.get("error")
    assert 2 <= on_disk_at_kill < total, "the worker was not killed in the middle of the batch"
    result = outcome["result"]
    assert result.failed == [] and result.ran == total
    assert len(BatchStore(out).finished()) == total
    assert (result.table["replications"] == replications).all()
    serial = serial_batch(path, tmp_path / "serial", replications)
    pd.testing.assert_frame_equal(result.table, serial.table)
