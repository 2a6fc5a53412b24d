"""Names: letters of any script are welcome, separators and control characters are not, and
messages show plain values (issue 11 items 13 and 20)."""

from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import load_scenario
from sim.scenario.schema import check_name
from tests.unit.test_scenario_errors import problems_of

SHIPPED = Path(__file__).parents[2] / "scenarios"
GOOD = (SHIPPED / "mmc-erlang.yaml").read_text()


@pytest.mark.parametrize(
    "name", ["深圳", "前海", "shenzhen", "qianhai-1", "A100_pool", "2025", "Zürich"]
)
def test_names_of_any_script_are_accepted(name):
    assert check_name(name) == name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("my class", "U+0020 (SPACE)"),
        ("深圳\u3000前海", "U+3000 (IDEOGRAPHIC SPACE)"),
        ("a\tb", "U+0009"),
        ("a\u200bb", "U+200B"),
        ("a/b", "contain '/'"),
        ("a.b", "contain '.'"),
        ("-lead", "start with '-'"),
        ("_lead", "start with '_'"),
        ("", "must not be empty"),
        ("x" * 65, "at most 64 characters"),
    ],
)
def test_separators_control_and_leading_punctuation_are_refused(name, expected):
    with pytest.raises(ValueError) as caught:
        check_name(name)
    assert expected in str(caught.value)


def test_a_scenario_with_chinese_names_loads(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD.replace("lab", "深圳").replace("pool:", "前海:"), encoding="utf-8")
    scenario = load_scenario(path)
    assert list(scenario.cities) == ["深圳"]
    assert list(scenario.cities["深圳"].centers) == ["前海"]


def test_a_bad_city_name_is_named_plainly(tmp_path):
    text = GOOD.replace("  lab:", '  "深圳 前海":').replace("origin: lab", "origin: 深圳")
    problems = problems_of(tmp_path, text)
    bad = [p for p in problems if "the name" in p]
    assert bad and "s.yaml:15: cities: the name '深圳 前海': a name may not contain" in bad[0]
    assert all("[key]" not in p for p in problems)


def test_fit_accepts_unicode_names_and_refuses_bad_ones(capsys):
    trace = str(SHIPPED / "data" / "philly_excerpt.csv")
    assert main(["fit", trace, "--name", "训练", "--origin", "深圳"]) == 0
    out = capsys.readouterr().out
    assert "- name: 训练\n  origin: 深圳\n" in out
    for option in ("--name", "--origin"):
        assert main(["fit", trace, option, "my class"]) == 2
        err = capsys.readouterr().err
        assert "'my class': a name may not contain the character U+0020" in err
        assert "Traceback" not in err


def test_fit_of_a_trace_of_zero_durations_is_a_clean_error(tmp_path, capsys):
    trace = tmp_path / "t.csv"
    trace.write_text("timestamp,num_gpus,duration\n0,1,0\n10,1,0\n20,2,0\n")
    assert main(["fit", str(trace)]) == 2
    assert "lasts 0 s: there is no run time to fit" in capsys.readouterr().err


def test_trace_messages_show_plain_numbers(tmp_path):
    from sim.scenario.schema import TraceColumns
    from sim.workload.trace import TraceError, read_trace

    trace = tmp_path / "t.csv"
    trace.write_text("timestamp,num_gpus,duration\n0,1,60\n10,1,-60\n")
    columns = TraceColumns(submit="timestamp", size="num_gpus", duration="duration")
    with pytest.raises(TraceError) as caught:
        read_trace(trace, columns)
    assert "line 3: duration -60; durations must be" in str(caught.value)
    assert "np." not in str(caught.value)


def test_report_file_names_keep_names_of_any_script_apart():
    from sim.reporting.markdown import file_stem

    assert file_stem("cities-扩建") == "cities-扩建"
    assert file_stem("cities-扩建") != file_stem("cities-不扩建")
    assert file_stem("../../etc/passwd") == "etc-passwd"
    assert file_stem("a\u202eb") == "a-b"
