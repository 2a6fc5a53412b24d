"""Starting points for a newcomer: bundled scenarios, `capsim init`, help that teaches, and the
public API on scenarios with variants."""

from __future__ import annotations

import pytest

import sim
from sim.cli import main
from sim.metrics import METRIC_DOCS

COMMANDS = [
    *("scenarios", "init", "run", "validate", "schema"),
    *("fit", "batch", "size", "plan", "report"),
]


def test_bare_capsim_prints_the_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: capsim" in out and "capsim scenarios" in out and "exit status" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_an_example_and_the_exit_codes(command, capsys):
    with pytest.raises(SystemExit) as stopped:
        main([command, "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out and f"capsim {command}" in out.split("example", 1)[1]
    assert all(f"  {code}  " in out for code in "012"), out


def test_size_help_lists_every_target_metric(capsys):
    with pytest.raises(SystemExit):
        main(["size", "--help"])
    out = capsys.readouterr().out
    assert all(metric in out for metric in METRIC_DOCS)


def test_scenarios_lists_every_bundled_scenario_with_its_description(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in sim.scenario_names():
        assert name in out
    assert "M/M/16" in out  # mmc-erlang's description


def test_init_copies_a_scenario_and_its_data_so_the_copy_runs(tmp_path, capsys):
    assert main(["init", "philly-replay", str(tmp_path)]) == 0
    copy = tmp_path / "philly-replay.yaml"
    assert (tmp_path / "data" / "philly_excerpt.csv").is_file()
    assert main(["validate", str(copy)]) == 0
    assert main(["init", "philly-replay", str(tmp_path)]) == 1  # nothing is overwritten
    assert "already there" in capsys.readouterr().err
    assert main(["init", "no-such", str(tmp_path)]) == 2
    assert "two-cities" in capsys.readouterr().err  # the valid names


def test_the_shipped_trace_sample_fits(capsys):
    sample = sim.scenarios_folder() / "data" / "philly_excerpt.csv"
    assert main(["fit", str(sample), "--name", "philly"]) == 0
    assert "- name: philly" in capsys.readouterr().out


def short(name: str) -> sim.Scenario:
    overrides = {"run": {"horizon": "2d", "warmup": "12h", "replications": 2}}
    return sim.load_scenario(sim.bundled_scenario(name), overrides=overrides)


def test_simulate_runs_a_named_variant_on_the_same_demand():
    scenario = short("two-cities")
    siloed = sim.simulate(scenario, 1, variant="siloed")
    on_demand = sim.simulate(scenario, 1, variant="on-demand")
    moved = sim.run_metrics(on_demand)["overall"]["jobs_moved"]
    assert sim.run_metrics(siloed)["overall"]["jobs_moved"] == 0 < moved
    assert len(sim.jobs_table(siloed)) == len(sim.jobs_table(on_demand))
    with pytest.raises(ValueError, match="valid: siloed, on-demand"):
        sim.simulate(scenario, 1, variant="nope")


def test_summary_table_works_on_a_scenario_with_variants():
    summary = sim.run_replications(short("two-cities"))
    assert "variant siloed" in sim.summary_table(summary)
    assert "variant spillover" in sim.summary_table(summary, "spillover")
    with pytest.raises(ValueError, match="valid: siloed"):
        sim.summary_table(summary, "base")


def test_help_of_the_package_shows_how_to_reach_the_bundled_files():
    assert sim.__doc__ is not None and "sim.bundled_scenario(" in sim.__doc__
