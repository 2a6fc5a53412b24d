"""Memory is estimated before running, and what will not fit is refused with the estimate and
the available memory (issue 11 item 7). The machine's memory is fixed by monkeypatching, so
the tests do not depend on where they run."""

from pathlib import Path

import pytest

from sim import memory
from sim.batch.grid import build_grid
from sim.cli import main
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.loader import validate_data
from tests.conftest import one_center

GOOD = (Path(__file__).parents[2] / "scenarios" / "mmc-erlang.yaml").read_text()
GB = 10**9


@pytest.fixture
def machine(monkeypatch):
    """A machine of 2 cores with 4 GB available."""
    monkeypatch.setattr(memory, "available", lambda: 4 * GB)
    monkeypatch.setattr(memory.os, "cpu_count", lambda: 2)


def scenario_file(tmp_path: Path, old: str, new: str) -> str:
    assert old in GOOD
    path = tmp_path / "s.yaml"
    path.write_text(GOOD.replace(old, new))
    return str(path)


def test_the_estimate_grows_with_jobs_bins_periods_and_failures():
    small = validate_data(one_center(rate="2/h"), "<t>")
    estimates = {
        "base": memory.run_peak(small)[0],
        "jobs": memory.run_peak(validate_data(one_center(rate="200/h"), "<t>"))[0],
        "bins": memory.run_peak(validate_data(one_center(run={"timeseries_step": "1min"}), "<t>"))[
            0
        ],
        "periods": memory.run_peak(validate_data(one_center(run={"period": "1h"}), "<t>"))[0],
        "failures": memory.run_peak(validate_data(one_center(failures={"enabled": True}), "<t>"))[
            0
        ],
    }
    assert all(estimates[key] > estimates["base"] for key in estimates if key != "base")


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ("rate: 12/h", "rate: 16000/h", f"4.8e+07 jobs x {memory.BYTES_PER_JOB} B"),
        ("horizon: 3000h", "horizon: 365d\n  period: 1s", "period values"),
        ("local: fifo}", "local: fifo}\nfailures: {enabled: true, mtbf: {a100: 1s}}", "failures"),
    ],
)
def test_run_refuses_what_will_not_fit(tmp_path, capsys, machine, old, new, why):
    path = scenario_file(tmp_path, old, new)
    assert main(["run", path, "--quiet", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "of memory but the machine has 4 GB available" in err
    assert why in err
    assert not (tmp_path / "out").exists()


def test_absurd_replications_are_refused(tmp_path, capsys, machine):
    path = scenario_file(tmp_path, "seed: 1", "seed: 1")
    assert main(["run", path, "--replications", str(10**20)]) == 2
    assert "the machine has 4 GB available" in capsys.readouterr().err


def test_a_huge_grid_is_refused_before_any_point_is_built(tmp_path, machine, monkeypatch):
    path = scenario_file(tmp_path, "seed: 1", "seed: 1")
    built = []
    monkeypatch.setattr("sim.batch.grid.point_scenario", lambda *a: built.append(a))
    axis = ",".join(str(i) for i in range(1000))
    with pytest.raises(ScenarioError, match="the grid has 1,000,000 points"):
        build_grid(path, [f"run.seed={axis}", f"cities.lab.centers.pool.count={axis}"])
    assert not built


def test_workers_beyond_the_cores_are_refused(tmp_path, capsys, machine):
    path = scenario_file(tmp_path, "seed: 1", "seed: 1")
    out = str(tmp_path / "out")
    assert main(["batch", path, "--workers", "24", "--out", out, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--workers 24 is more than this machine can run at once: at most 2" in err


def test_workers_are_capped_by_memory(monkeypatch):
    scenario = load_scenario(Path(__file__).parents[2] / "scenarios" / "mmc-erlang.yaml")
    estimate = memory.estimate_batch([scenario], 2, 0)
    one = memory.BYTES_PER_PROCESS + estimate.run_peak
    room = memory.BYTES_PER_PROCESS + estimate.kept + 3 * one
    assert memory.max_workers(estimate, cores=64, free=int(room / memory.USABLE_FRACTION) + 1) == 3
    assert memory.max_workers(estimate, cores=2, free=100 * GB) == 2
    assert memory.max_workers(estimate, cores=8, free=1) == 1


def test_a_run_stays_under_its_estimate():
    """The traced peak of a run (demand, engine, records, tables) is within its estimate."""
    scenario = validate_data(one_center(rate="600/h", capacity=64), "<t>")
    assert memory.estimate_run(scenario, 1).run_peak > 30 * 2**20  # about 120,000 jobs
    assert memory.traced_peak(scenario) <= memory.run_peak(scenario)[0]


def test_a_container_limit_lowers_the_available_memory(tmp_path, monkeypatch):
    limit, usage = tmp_path / "memory.max", tmp_path / "memory.current"
    limit.write_text(f"{GB}\n")
    usage.write_text(f"{GB // 4}\n")
    monkeypatch.setattr(memory, "CGROUP_FILES", ((str(limit), str(usage)),))
    monkeypatch.setattr(memory, "_mem_available", lambda: 64 * GB)
    assert memory.available() == GB - GB // 4
    limit.write_text("max\n")
    assert memory.available() == 64 * GB
