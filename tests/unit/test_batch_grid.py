"""The sweep grid: parsing axes, setting dotted paths, validating every point before a run."""

from pathlib import Path

import pytest
import yaml

from sim.batch.grid import build_grid, parse_sweep, set_path
from sim.cli import main
from sim.scenario import ScenarioError
from tests.conftest import one_center


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "s.yaml"
    data = one_center(4, horizon="50h", variants={"base": {}, "fifo": {}})
    data["sweep"] = {"workload.0.arrival.rate": ["1/h", "2/h"]}
    path.write_text(yaml.safe_dump(data))
    return path


def test_values_are_yaml_scalars():
    assert parse_sweep("a.b=1, 2.5,fifo,true,6h") == ("a.b", [1, 2.5, "fifo", True, "6h"])
    for bad in ("no-equals", "=1,2", "a.b=", "a.b=1,,2"):
        with pytest.raises(ValueError):
            parse_sweep(bad)


def test_set_path_copies_and_indexes_lists():
    data = {"workload": [{"arrival": {"rate": 1}}], "run": {}}
    changed = set_path(data, "workload.0.arrival.rate", 5)
    assert changed["workload"][0]["arrival"]["rate"] == 5
    assert data["workload"][0]["arrival"]["rate"] == 1  # the original is untouched
    assert set_path(data, "run.seed", 3)["run"] == {"seed": 3}
    with pytest.raises(ValueError, match="not an index"):
        set_path(data, "workload.1.name", "x")
    with pytest.raises(ValueError, match="not a mapping or a list"):
        set_path(data, "workload.0.arrival.rate.x", 1)


def test_grid_is_the_product_of_yaml_and_command_line_axes(scenario_file):
    base, axes, points = build_grid(scenario_file, ["cities.a.centers.c.count=3,4,5"])
    assert list(axes) == ["workload.0.arrival.rate", "cities.a.centers.c.count"]
    assert len(points) == 6
    assert points[1].params == {"workload.0.arrival.rate": "1/h", "cities.a.centers.c.count": 4}
    assert points[5].scenario.cities["a"].centers["c"].count == 5
    assert points[5].scenario.workload[0].arrival.rate == pytest.approx(2 / 3600)
    assert base.cities["a"].centers["c"].count == 4
    # a --sweep of a path the file sweeps replaces that axis
    _, axes, points = build_grid(scenario_file, ["workload.0.arrival.rate=3/h"])
    assert axes == {"workload.0.arrival.rate": ["3/h"]} and len(points) == 1


@pytest.mark.parametrize(
    ("sweep", "expected"),
    [
        ("run.horizn=3h", "did you mean 'horizon'"),
        ("cities.a.centers.cc.count=3", "'cc' is not in the scenario file; did you mean 'c'"),
        ("workload.3.priority=1", "workload is a list of 1 entries"),
        ("cities.a.centers.c.count=2,0", "count: Input should be greater than 0"),
        ("scheduling.local=fiffo", "unknown local policy 'fiffo'"),
    ],
)
def test_bad_paths_and_values_are_located_before_any_run(scenario_file, sweep, expected):
    with pytest.raises(ScenarioError) as caught:
        build_grid(scenario_file, [sweep])
    assert expected in str(caught.value)
    assert sweep.split("=")[0] in str(caught.value)


def test_cli_reports_a_bad_sweep_with_status_2_and_runs_nothing(scenario_file, tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["batch", str(scenario_file), "--sweep", "run.horizn=1", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2
    assert "run.horizn" in err and "Traceback" not in err
    assert not out.exists()


def test_a_sweep_path_typo_leads_with_did_you_mean_once(tmp_path):
    """Issue 11 item 21: the actionable line first and once, not after one error per point."""
    path = tmp_path / "s.yaml"
    path.write_text((Path(__file__).parents[2] / "scenarios" / "mmc-erlang.yaml").read_text())
    with pytest.raises(ScenarioError) as caught:
        build_grid(path, ["cities.lab.centres.pool.count=8,16,32", "run.seed=-1,2"])
    lines = [str(problem) for problem in caught.value.problems]
    assert "'centres' is not in the scenario file; did you mean 'centers'?" in lines[0]
    assert sum("did you mean" in line for line in lines) == 1
    assert len(lines) == 4  # the hint, then run.seed=-1 at each of the 3 counts
