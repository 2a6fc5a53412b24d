"""Hostile scenario files are refused cleanly, before they can hang capsim or exhaust memory
(issue 11 items 6, 8, 9, 11, 12)."""

import os
import re
import sys
from pathlib import Path

import pytest

from sim.batch.grid import build_grid
from sim.cli import main
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.reading import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES

GOOD = (Path(__file__).parents[2] / "scenarios" / "mmc-erlang.yaml").read_text()
END = GOOD.count("\n") + 1
"""The line just after the scenario."""


def laughs(levels: int) -> str:
    """A "billion laughs" block: 10**levels leaves from a few hundred bytes."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        refs = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(problem) for problem in caught.value.problems]


def test_alias_expansion_is_bounded(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(laughs(9) + GOOD)
    assert len(path.read_bytes()) < 2000
    (problem,) = problems_of(path)
    assert re.search(r"expands to 1\.\d+e\+09 values", problem)
    assert f"limit {MAX_NODES:.0e}" in problem


def test_alias_expansion_in_a_sweep_axis_is_refused_before_any_point(tmp_path):
    path = tmp_path / "s.yaml"
    sweep = laughs(8).replace("l7:", "sweep:\n  run.seed:")
    path.write_text(GOOD + sweep)
    with pytest.raises(ScenarioError, match="expands to"):
        build_grid(path)


def test_a_recursive_alias_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD + "extra: &e [1, *e]\n")
    assert "an alias refers to itself" in problems_of(path)[0]


def test_deep_nesting_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD + "x: " + "[" * 5000 + "]" * 5000 + "\n")
    (problem,) = problems_of(path)
    assert f"nests deeper than {MAX_DEPTH} levels" in problem
    assert f"s.yaml:{END}:" in problem


def test_a_list_as_a_mapping_key_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD + "? [a, b]\n: 1\n")
    (problem,) = problems_of(path)
    assert f"s.yaml:{END}: this is not valid YAML: a key must be a plain name" in problem


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)
    (problem,) = problems_of(fifo)
    assert "not a regular file" in problem


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused():
    assert "not a regular file" in problems_of(Path("/dev/zero"))[0]


def test_a_folder_is_refused(tmp_path):
    assert "not a regular file (a folder)" in problems_of(tmp_path)[0]


def test_a_file_larger_than_the_cap_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD + "#" * MAX_FILE_BYTES + "\n")
    assert "larger than" in problems_of(path)[0]


@pytest.mark.parametrize("command", ["run", "validate", "batch", "size"])
def test_non_utf8_files_are_refused_by_every_command(tmp_path, capsys, command):
    path = tmp_path / "s.yaml"
    path.write_bytes(GOOD.encode() + b"# caf\xe9\n")
    extra = {
        "run": ["--quiet"],
        "validate": [],
        "batch": ["--out", str(tmp_path / "out"), "--serial", "--quiet"],
        "size": ["--vary", "cities.lab.centers.pool.count", "--target", "utilisation <= 0.9"],
    }[command]
    assert main([command, str(path), *extra]) == 2
    err = capsys.readouterr().err
    assert f"s.yaml:{END}: the file is not UTF-8 text" in err
    assert "Traceback" not in err


def _c_calls_to_locate(tmp_path: Path, unknown_keys: int) -> int:
    """Calls into C made while loading a file with this many unknown keys (a measure of work
    that does not depend on the machine's speed)."""
    path = tmp_path / f"s{unknown_keys}.yaml"
    path.write_text(GOOD + "".join(f"k{i}: 1\n" for i in range(unknown_keys)))
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        calls += event == "c_call"

    sys.setprofile(count)
    try:
        with pytest.raises(ScenarioError) as caught:
            load_scenario(path)
    finally:
        sys.setprofile(None)
    assert len(caught.value.problems) == unknown_keys
    return calls


def test_locating_many_errors_takes_one_pass(tmp_path):
    """Twice the unknown keys cost about twice the work, not four times (each error used to
    rescan the file for its line)."""
    small, large = (_c_calls_to_locate(tmp_path, n) for n in (500, 1000))
    assert large / small < 2.6


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "arrival: {kind: poisson, rate: 12/h}",
            "arrival: {kind: trace, path: /dev/zero, columns: {submit: t}}",
        ),
        ("duration: {kind: exponential, mean: 1h}", "duration: {kind: empirical, path: /dev/zero}"),
    ],
)
def test_files_a_scenario_names_must_be_regular_files(tmp_path, old, new):
    assert old in GOOD
    path = tmp_path / "s.yaml"
    path.write_text(GOOD.replace(old, new))
    assert any("is not a regular file" in problem for problem in problems_of(path))
