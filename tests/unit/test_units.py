import math

import pytest

from sim.formatting import format_duration
from sim.units import parse_duration, parse_growth, parse_rate


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15min", 900),
        ("6h", 21600),
        ("1.5d", 129600),
        ("2w", 1209600),
        ("1y", 365 * 86400),
        ("250ms", 0.25),
        (42, 42),
        (1.5, 1.5),
        ("1e3s", 1000),
        ("7", 7),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "per_second"),
    [("200/d", 200 / 86400), ("12/h", 12 / 3600), ("3/2h", 3 / 7200), ("0.5/s", 0.5), (2, 2.0)],
)
def test_rates(text, per_second):
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("bad", ["6 parsecs", "h", "", "abc", True, None, [1], "inf", "1/0h"])
def test_bad_quantities_say_what_is_expected(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)
    with pytest.raises(ValueError):
        parse_rate(bad)


def test_unknown_unit_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown time unit 'fortnight'.*min, h, hr, d"):
        parse_rate("1/fortnight")


def test_format_duration_picks_a_readable_unit():
    assert format_duration(42) == "42 s"
    assert format_duration(5400) == "1.5 h"
    assert format_duration(10 * 86400) == "10 d"
    assert format_duration(math.nan) == "n/a"


@pytest.mark.parametrize(
    ("text", "yearly"),
    [
        ("60%/y", 0.6),
        (0.6, 0.6),
        ("-10% / yr", -0.1),
        ("1%/w", 1.01**52.142857142857146 - 1),
        ("5%/30d", 1.05 ** (365 / 30) - 1),
        ("0%/d", 0.0),
    ],
)
def test_growth_compounds_to_a_yearly_fraction(text, yearly):
    assert parse_growth(text) == pytest.approx(yearly, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("60%", "expected a growth"),
        ("60/y", "expected a growth"),
        ("5%/fortnight", "unknown time unit"),
        ("-100%/y", "negative or zero"),
        ("1000%/h", "impossibly large"),
        (True, "expected a growth"),
    ],
)
def test_bad_growth_says_what_is_wrong(bad, message):
    with pytest.raises(ValueError, match=message):
        parse_growth(bad)
