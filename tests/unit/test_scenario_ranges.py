"""Every quantity is checked to a finite, representable range up front, and every problem of a
scenario is listed at once (issue 11 items 10, 17, 19)."""

from pathlib import Path

import pytest

from sim.batch.grid import build_grid
from sim.batch.sizing import Target
from sim.cli import main
from sim.scenario import ScenarioError
from sim.scenario.schema import TraceColumns
from sim.workload.trace import TraceError, read_trace
from tests.unit.test_scenario_errors import problems_of

SHIPPED = Path(__file__).parents[2] / "scenarios"
GOOD = (SHIPPED / "mmc-erlang.yaml").read_text()
HUGE = "1" + "0" * 400


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "horizon: 3000h",
            f"horizon: {HUGE}",
            "run.horizon: 10000000000000000000…00000000 (401 characters) is too large",
        ),
        ("count: 16}", "pflops: 1e308}", "pool.pflops: Input should be less than or equal"),
        ("count: 16}", "count: 1000000000000000000000000000000}", "pool.count: 1000"),
        ("rate: 12/h", "rate: 1.0e-320", "arrival.rate: 9.99989e-321 is too close to 0"),
        ("rate: 12/h", "rate: 1e-20/s", "arrival.rate: 1e-20 /s is outside the range"),
        ("rate: 12/h", "rate: 12/h, growth: 1.0e+308", "arrival.growth: 1e+308 is too large"),
        ("rate: 12/h", "rate: 12/h, growth: 1.0e+20", "is beyond 1000 per year"),
        (
            "mean: 1h}",
            "mean: 1h}\n    checkpoint: {interval: 1e-320s}",
            "checkpoint.interval: 1e-320 s",
        ),
        (
            "  lab:\n",
            "  lab:\n    electricity_price: .inf\n",
            "electricity_price: inf is not a finite",
        ),
        (
            "  lab:\n",
            "  lab:\n    electricity_price: .nan\n",
            "electricity_price: nan is not a finite",
        ),
        ("a100, count: 16", "my-chip, count: 16", "unknown accelerator"),
    ],
)
def test_quantities_out_of_range_are_refused(tmp_path, old, new, expected):
    assert old in GOOD
    problems = problems_of(tmp_path, GOOD.replace(old, new))
    assert any(expected in problem for problem in problems), problems


def test_a_pool_of_more_accelerators_than_representable_is_refused(tmp_path):
    text = GOOD.replace("count: 16}", "pflops: 1000000}").replace(
        "name: mmc-erlang", "name: x\naccelerators:\n  tiny: {tflops: 0.001, watts: 1}"
    )
    problems = problems_of(tmp_path, text.replace("accelerator: a100", "accelerator: tiny"))
    assert any("1e+12 accelerators is more than 1e+09 in one pool" in p for p in problems)


@pytest.mark.parametrize(
    "command", [["validate"], ["run", "--quiet"], ["batch", "--serial", "--quiet", "--out", "OUT"]]
)
def test_the_cli_refuses_them_with_exit_2(tmp_path, capsys, command):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD.replace("horizon: 3000h", f"horizon: {HUGE}"))
    args = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    assert main([args[0], str(path), *args[1:]]) == 2
    err = capsys.readouterr().err
    assert "run.horizon" in err
    assert "Traceback" not in err


def test_a_huge_number_through_sweep_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD)
    with pytest.raises(ScenarioError, match=r"run\.horizon: 1000.* is too large"):
        build_grid(path, [f"run.horizon=1d,{HUGE}"])


@pytest.mark.parametrize("bound", ["nan", "inf", "-inf"])
def test_a_sizing_target_must_be_finite(bound):
    with pytest.raises(ValueError, match="must be a finite number"):
        Target.parse(f"utilisation >= {bound}")


def test_size_cli_refuses_a_nan_target(capsys):
    with pytest.raises(SystemExit) as caught:
        main(
            [
                "size",
                str(SHIPPED / "mmc-erlang.yaml"),
                "--vary",
                "x",
                "--target",
                "utilisation >= nan",
            ]
        )
    assert caught.value.code == 2
    assert "finite" in capsys.readouterr().err


def test_a_trace_size_beyond_int64_is_refused(tmp_path):
    trace = tmp_path / "t.csv"
    trace.write_text("timestamp,num_gpus,duration\n0,1,60\n10,1e20,60\n")
    expected = r"line 3: size 1e\+20; sizes must be whole numbers from 1"
    with pytest.raises(TraceError, match=expected):
        read_trace(trace, TraceColumns(submit="timestamp", size="num_gpus", duration="duration"))


def test_schema_errors_do_not_hide_the_cross_checks(tmp_path):
    """The README's example: a typo in a key and an unknown policy, both reported."""
    text = GOOD.replace("horizon", "horizn").replace("local: fifo", "local: fiffo")
    problems = problems_of(tmp_path, text)
    assert len(problems) == 2, problems
    assert "run.horizn: unknown key 'horizn'; did you mean 'horizon'?" in problems[0]
    assert "scheduling.local: unknown local policy 'fiffo'" in problems[1]


def test_cross_checks_of_keys_set_aside_are_not_reported(tmp_path):
    """A city whose settings are wrong is set aside, but workload that names it is not then
    told the city is unknown."""
    text = GOOD.replace("  lab:\n", "  lab:\n    electricity_price: cheap\n").replace(
        "local: fifo", "local: fiffo"
    )
    problems = problems_of(tmp_path, text)
    assert len(problems) == 2, problems
    assert "electricity_price" in problems[0]
    assert "fiffo" in problems[1]
