"""One formatter for every quantity: its rules, and no scientific notation in any output."""

from __future__ import annotations

import math
import re

import pytest
import yaml

from sim.cli import main
from sim.formatting import (
    format_count,
    format_duration,
    format_number,
    format_si,
    format_target,
    format_value,
    format_with_ci,
)
from sim.reporting.findings import run_findings, sizing_findings, sweep_findings
from sim.results import read_results
from tests.conftest import one_center

SCIENTIFIC = re.compile(r"(?<![\w#.])\d+(\.\d+)?[eE][+-]?\d+\b")


@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [
        ("wait_p95_s", 42.0, "42 s"),
        ("wait_p95_s", 1.077e7, "125 d"),
        ("wait_mean_s", 5400.0, "1.5 h"),
        ("utilisation", 0.612, "61.2%"),
        ("energy_mwh", 12_345.6, "12.3 GWh"),
        ("energy_mwh", 512.0, "512 MWh"),
        ("cost_cny", 4.56e6, "4.56 million CNY"),
        ("cost_cny", 4.56e12, "4,560,000 million CNY"),
        ("co2_t", 123_456.0, "123,456 t CO₂"),
        ("jobs_completed", 1_234_567.0, "1,234,567"),
        ("queue_len_mean", 1e-9, "0"),
    ],
)
def test_a_value_is_shown_in_a_readers_unit(metric, value, expected):
    assert format_value(metric, value) == expected


def test_differences_are_signed_and_fractions_are_percentage_points():
    assert format_value("utilisation", 0.025, signed=True) == "+2.5 pt"
    assert format_value("wait_p95_s", -7200.0, signed=True) == "−2 h"
    assert format_with_ci("utilisation", -0.013, 0.002, signed=True) == "−1.30 ± 0.20 pt"


@pytest.mark.parametrize("value", [-0.0, -1e-12, -0.0004])
def test_no_negative_zero(value):
    for text in (format_number(value, decimals=2), format_with_ci("wait_p95_s", value, 5.0)):
        assert not re.search(r"[-−]0(\.0*)?(?!\.?\d*[1-9])\b", text), text


def test_a_mean_is_rounded_where_its_half_width_is():
    assert format_with_ci("wait_p95_s", 13.83 * 3600, 2.14 * 3600) == "13.8 ± 2.1 h"
    # 4882 ± 14,000 s, as capsim size used to print "4882 ± 1.4e+04": in the unit of the larger
    assert format_with_ci("wait_p95_s", 4882.0, 14_000.0) == "1.4 ± 3.9 h"
    assert format_with_ci("utilisation", 0.61234, 0.0041) == "61.23 ± 0.41%"
    assert format_with_ci("jobs_completed", 24_576.0, 4_110.0) == "24,576 ± 4,110"
    assert format_with_ci("wait_p95_s", 60.0, math.nan) == "1 min"
    assert format_with_ci("wait_p95_s", 60.0, 0.0) == "1 ± 0 min"


def test_large_amounts_in_words_or_prefixes_never_exponents():
    assert format_count(7e9) == "7 billion"
    assert format_si(4.2e22, "FLOP") == "42 ZFLOP"
    assert format_duration(1e12).endswith(" d") and not SCIENTIFIC.search(format_duration(1e12))
    assert format_target("wait_p95_s", "<=", 3600.0) == "wait_p95_s <= 1 h"
    assert format_target("utilisation", ">=", 0.8) == "utilisation >= 80%"


@pytest.fixture(scope="module")
def overloaded(tmp_path_factory):
    """A scenario whose waits run to months and whose energy to GWh: the numbers that used to
    come out as ``1.077e+07``."""
    folder = tmp_path_factory.mktemp("overloaded")
    data = one_center(2000, rate="10/h", horizon="30d", warmup="1d")
    data["workload"][0]["size"] = {"kind": "fixed", "value": 64}
    data["workload"][0]["duration"] = {"kind": "exponential", "mean": "12h"}
    data["cities"]["b"] = {"centers": {"b1": {"accelerator": "h100", "count": 512}}}
    data["default_link"] = {"latency": "10ms", "bandwidth": "100Gbps"}
    data["run"]["replications"] = 2
    data["variants"] = {"siloed": {}, "on-demand": {"dispatch": "on-demand"}}
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_no_output_shows_a_quantity_in_scientific_notation(overloaded, tmp_path, capsys):
    run, batch, size = tmp_path / "run", tmp_path / "batch", tmp_path / "size"
    quiet = ["--quiet"]
    assert main(["run", str(overloaded), "--out", str(run), *quiet]) == 0
    sweep = ["--sweep", "cities.a.centers.c.count=2000,2500"]
    assert main(["batch", str(overloaded), "--out", str(batch), "--serial", *sweep, *quiet]) == 0
    vary = ["--vary", "cities.b.centers.b1.count", "--range", "512:8192", "--step", "512"]
    target = ["--target", "wait_p95_s <= 1d", "--variant", "on-demand", "--replications", "2"]
    main(["size", str(overloaded), "--out", str(size), "--serial", *vary, *target])
    printed = capsys.readouterr()
    texts = {"printed": printed.out + printed.err}
    assert "wait_p95_s <= 1 d" in texts["printed"]
    assert re.search(r"\d+(\.\d+)? d", texts["printed"]), "long waits are shown in days"
    for folder in (run, batch, size):
        assert main(["report", str(folder)]) == 0
        html = (folder / "report.html").read_text(encoding="utf-8")
        html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
        texts[f"report of {folder.name}"] = re.sub(r"<[^>]*>", " ", html)  # the words only
    texts["findings"] = "\n".join(
        [
            *(s for _, group in run_findings(read_results(run).summary) for s in group),
            *sweep_findings(read_results(batch).summary),
        ]
    )
    sizing = read_results(size).sizing
    if sizing is not None:
        texts["findings"] += "\n".join(sizing_findings(sizing))
    for name, text in texts.items():
        found = SCIENTIFIC.search(text)
        assert found is None, f"{name}: {text[max(0, found.start() - 80) : found.end() + 40]}"


def test_a_pair_gets_the_digits_that_tell_it_apart():
    from sim.formatting import format_pair

    assert format_pair("utilisation", 0.58761, 0.58819) == ("58.76%", "58.82%")
    assert format_pair("wait_p95_s", 7200.0, 7201.0) == ("2 h", "2.0003 h")
    assert format_pair("utilisation", 0.5, 0.5) == ("50%", "50%")  # equal stays equal
