"""Bad scenarios: every problem reported at once, with file, key path and line; exit status 2."""

from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import ScenarioError, load_scenario

GOOD = """\
name: ok
run: {horizon: 10d, warmup: 1d}
cities:
  a:
    centers:
      c1: {accelerator: a100, count: 16}
workload:
  - name: jobs
    origin: a
    arrival: {kind: poisson, rate: 12/h}
    size: {kind: choice, values: [1, 2, 8], weights: [0.5, 0.3, 0.2]}
    duration: {kind: lognormal, median: 1h, sigma: 1}
scheduling: {local: fifo}
"""


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(problem) for problem in caught.value.problems]


def test_the_good_scenario_loads(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD)
    scenario = load_scenario(path)
    assert scenario.run.horizon == 10 * 86400


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "horizon: 10d",
            "horizn: 10d",
            "s.yaml:2: run.horizn: unknown key 'horizn'; did you mean 'horizon'?",
        ),
        (
            "count: 16",
            "count: 0",
            "s.yaml:6: cities.a.centers.c1.count: Input should be greater than 0",
        ),
        ("count: 16", "count: -5", "cities.a.centers.c1.count: Input should be greater than 0"),
        ("count: 16", "count: many", "cities.a.centers.c1.count: Input should be a valid integer"),
        (
            "a100",
            "a1000",
            "unknown accelerator 'a1000'; valid: a100, ascend-910b, h100, h20, h200, h800",
        ),
        (
            "local: fifo",
            "local: fiffo",
            "s.yaml:13: scheduling.local: unknown local policy 'fiffo'; "
            "valid: easy-backfill, fifo, las, priority, sjf, srtf",
        ),
        (
            "weights: [0.5, 0.3, 0.2]",
            "weights: [0.5, 0.3]",
            "s.yaml:11: workload[0].size: weights has 2 entries but values has 3",
        ),
        (
            "values: [1, 2, 8]",
            "values: [1, 2, 64]",
            "workload[0].size: jobs of up to 64 accelerators fit no pool",
        ),
        ("origin: a", "origin: b", "s.yaml:9: workload[0].origin: unknown city 'b'; valid: a"),
        ("12/h", "12/fortnight", "workload[0].arrival.rate: unknown time unit 'fortnight'"),
        (
            "kind: lognormal",
            "kind: lognormall",
            "unknown kind 'lognormall'; valid kinds: 'fixed', 'exponential'",
        ),
        ("warmup: 1d", "warmup: 20d", "run: warmup (20 d) must be shorter than horizon (10 d)"),
        (
            "sigma: 1}",
            "sigma: 1, scale: 2}",
            "workload[0].duration.scale: unknown key 'scale'; valid keys: median, sigma",
        ),
        ("name: ok\n", "", "s.yaml:1: name: required key is missing"),
        (
            "count: 16",
            "count: 16, pflops: 3",
            "give exactly one of `count`, `pflops`, `cabinets` or `phases`",
        ),
    ],
)
def test_each_bad_input_is_named(tmp_path, old, new, expected):
    assert old in GOOD
    problems = problems_of(tmp_path, GOOD.replace(old, new))
    assert any(expected in problem for problem in problems), problems


def test_all_problems_are_reported_together(tmp_path):
    text = (
        GOOD.replace("horizon", "horizn").replace("count: 16", "count: 0").replace("12/h", "12/x")
    )
    problems = problems_of(tmp_path, text)
    assert len(problems) == 3
    assert [p.split(":")[1] for p in problems] == ["2", "6", "10"]  # sorted by line


def test_cross_checks_are_reported_together(tmp_path):
    text = GOOD.replace("a100", "a1000").replace("fifo", "fiffo").replace("origin: a", "origin: b")
    assert len(problems_of(tmp_path, text)) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nrun: {horizon: 10d\n", "this is not valid YAML"),
        ("name: x\nname: y\n", "duplicate key 'name' (first on line 1)"),
        ("- 1\n- 2\n", "expected a mapping of scenario keys, found a list"),
        ("", "found an empty file"),
        ("name: x\n\tbad: tab\n", "this is not valid YAML"),
    ],
)
def test_malformed_files(tmp_path, text, expected):
    problems = problems_of(tmp_path, text)
    assert expected in problems[0]


def test_missing_file():
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario("does/not/exist.yaml")


def test_cli_exit_status_2_and_no_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("fifo", "fiffo"))
    assert main(["validate", str(bad)]) == 2
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{bad}:13: scheduling.local: unknown local policy 'fiffo'" in err


def test_bad_input_leaves_existing_output_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("previous")
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("count: 16", "count: 0"))
    assert main(["run", str(bad), "--out", str(out)]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
    assert (out / "summary.json").read_text() == "previous"


def test_empirical_sample_files(tmp_path):
    (tmp_path / "durations.csv").write_text("job,runtime\n1,60\n2,7200\n3,30\n")
    text = GOOD.replace(
        "{kind: lognormal, median: 1h, sigma: 1}",
        "{kind: empirical, path: durations.csv, column: runtime}",
    )
    path = tmp_path / "s.yaml"
    path.write_text(text)
    scenario = load_scenario(path)
    assert scenario.workload[0].duration.samples == [60.0, 7200.0, 30.0]
    path.write_text(text.replace("runtime}", "nope}"))
    with pytest.raises(ScenarioError, match="no column 'nope'; columns: job, runtime"):
        load_scenario(path)
    path.write_text(text.replace("durations.csv", "missing.csv"))
    with pytest.raises(ScenarioError, match=r"s.yaml:12: workload\[0\].duration: sample file"):
        load_scenario(path)


NETWORKED = GOOD.replace(
    "scheduling: {local: fifo}\n",
    "scheduling: {local: fifo}\n"
    "dispatch: on-demand\n"
    "network:\n"
    "  - {between: [a, b], latency: 15ms, bandwidth: 400Gbps}\n",
).replace(
    "workload:\n",
    "  b:\n    centers:\n      b1: {accelerator: h100, count: 8}\nworkload:\n",
)


def test_the_networked_scenario_loads(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(NETWORKED)
    scenario = load_scenario(path)
    assert scenario.route("a", "b") == (0.015, 400e9)
    assert scenario.route("a", "a") == (0.0, float("inf"))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("[a, b]", "[a, c]", "network[0].between: unknown city 'c'; valid: a, b"),
        ("[a, b]", "[a, a]", "network[0].between: a link joins two different cities"),
        ("400Gbps", "400Gbit", "unknown unit 'Gbit' in '400Gbit' (use one of bps, kbps"),
        ("15ms", "15 lightyears", "unknown time unit 'lightyears'"),
        ("dispatch: on-demand", "dispatch: nearest", "unknown dispatch policy 'nearest'; valid:"),
        (
            "dispatch: on-demand",
            "dispatch: on-demand\ndefault_link: {latency: 1ms}",
            "default_link.bandwidth: required key is missing",
        ),
    ],
)
def test_network_mistakes_are_named(tmp_path, old, new, expected):
    assert old in NETWORKED
    problems = problems_of(tmp_path, NETWORKED.replace(old, new))
    assert any(expected in problem for problem in problems), problems


def test_a_duplicate_link_is_named(tmp_path):
    text = NETWORKED + "  - {between: [b, a], latency: 5ms, bandwidth: 1Gbps}\n"
    problems = problems_of(tmp_path, text)
    assert any("network[1].between: a second link between a and b" in p for p in problems)
