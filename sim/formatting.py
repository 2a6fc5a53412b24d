"""One way to print a quantity: every table, finding, figure label and command prints numbers
through these functions.

The rules: durations in s, min, h or d by their size; energy in MWh or GWh; cost in CNY or
million CNY; emissions in t CO₂; fractions in % (a difference of fractions in percentage
points, ``pt``); counts with thousands separators. Three significant digits, never scientific
notation, never a negative zero; a mean with its 95% half-width is rounded to the half-width's
second significant digit, both in the same unit (``13.8 ± 2.1 h``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from sim.units import SECONDS_PER

MINUS = "−"
"""The minus sign of printed numbers (U+2212), as in typeset tables."""

_DURATION_STEPS = (("s", 60.0), ("min", 3600.0), ("h", 2 * 86400.0))
"""A duration is shown in the first unit whose limit [s] it is below, else in days."""

_MAX_DECIMALS = 6

_UNITS = {
    "capacity_pflops": "PFLOPS",
    "co2_t": "t CO₂",
    "power_mw_mean": "MW",
    "power_headroom_mw": "MW",
    "delivered_pflops_h": "PFLOPS·h",
    "cost_per_pflops_h_cny": "CNY/(PFLOPS·h)",
    "data_moved_tb": "TB",
    "inference_demand_h": "accelerator·h",
    "inference_served_h": "accelerator·h",
    "inference_shortfall_h": "accelerator·h",
    "lost_accelerator_h": "accelerator·h",
}
"""Units of metrics shown as they are stored; counts (jobs, accelerators) have none."""

FRACTIONS = frozenset({"utilisation", "goodput"})
"""Metrics stored as fractions [-] and shown in %."""

COSTS = frozenset({"cost_cny", "tco_cny", "capex_cny", "maintenance_cny", "build_cny"})
"""Metrics in CNY, shown in million CNY from a million."""
"""Metrics stored as fractions [-] and shown in %."""


def metric_scale(metric: str, values: Iterable[float | None] = ()) -> tuple[float, str]:
    """(divisor, unit) to show ``metric`` at the size of ``values``: durations in s, min, h or
    d, fractions in %, energy in MWh or GWh, cost in CNY or million CNY; ``""`` for a count."""
    largest = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0.0)
    if metric.endswith("_s"):
        for unit, limit in _DURATION_STEPS:
            if largest < limit:
                return SECONDS_PER[unit], unit
        return SECONDS_PER["d"], "d"
    if metric in FRACTIONS:
        return 0.01, "%"
    if metric == "energy_mwh":
        return (1e3, "GWh") if largest >= 1e3 else (1.0, "MWh")
    if metric in COSTS:
        return (1e6, "million CNY") if largest >= 1e6 else (1.0, "CNY")
    return 1.0, _UNITS.get(metric, "")


def format_number(value: float, digits: int = 3, decimals: int | None = None) -> str:
    """``value`` in fixed notation with thousands separators: up to ``digits`` significant
    digits (whole numbers keep all theirs; trailing zeros dropped), or exactly ``decimals``
    decimals; ``n/a`` if not finite."""
    if not math.isfinite(value):
        return "n/a"
    text = f"{abs(value):,.{_decimals(value, digits) if decimals is None else decimals}f}"
    if decimals is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    if value < 0 and any(c in "123456789" for c in text):
        return MINUS + text
    return text


def _decimals(value: float, digits: int) -> int:
    """Decimals that show ``digits`` significant digits of ``value`` (0 for a large value)."""
    if value == 0:
        return 0
    wanted = digits - 1 - math.floor(math.log10(abs(value)))
    return min(max(wanted, 0), _MAX_DECIMALS)


def _join(number: str, unit: str, signed_fraction: bool) -> str:
    if unit == "%":
        return f"{number} pt" if signed_fraction else f"{number}%"
    return f"{number} {unit}" if unit else number


def _sign(value: float, text: str, signed: bool) -> str:
    return "+" + text if signed and value > 0 and text != "0" else text


def format_value(
    metric: str, value: float, signed: bool = False, scale_of: float | None = None
) -> str:
    """``value`` of ``metric`` in a reader's unit: ``31 h``, ``61%``, ``1.2 million CNY``,
    ``12,345``; ``signed`` for a difference (``+2.5 h``; fractions then in percentage points).
    ``scale_of`` picks the unit by another value (both ends of an interval in one unit)."""
    if not math.isfinite(value):
        return "n/a"
    scale, unit = metric_scale(metric, [scale_of if scale_of is not None else value])
    number = format_number(value / scale)
    return _join(_sign(value, number, signed), unit, signed)


def format_pair(metric: str, before: float, after: float) -> tuple[str, str]:
    """``before`` and ``after`` in one unit, with as many significant digits (3 to 6) as it
    takes to tell them apart: a resolved change never reads "from 58.8% to 58.8%"."""
    scale, unit = metric_scale(metric, [before, after])
    texts = ("n/a", "n/a")
    for digits in range(3, 7):
        texts = tuple(  # type: ignore[assignment]
            _join(format_number(value / scale, digits), unit, False)
            if math.isfinite(value)
            else "n/a"
            for value in (before, after)
        )
        if texts[0] != texts[1]:
            break
    return texts


def format_with_ci(metric: str, mean: float, half: float, signed: bool = False) -> str:
    """``mean ± half`` of ``metric`` in one unit, the mean rounded where the half-width's second
    significant digit is: ``13.8 ± 2.1 h``, ``61.2 ± 0.4%``, ``+1.3 ± 0.2 pt``. A half-width
    that is not finite (one replication) is left out; one below 10⁻⁶ of the mean is ``± 0``."""
    if not math.isfinite(mean):
        return "n/a"
    if not math.isfinite(half):
        return format_value(metric, mean, signed)
    scale, unit = metric_scale(metric, [mean, half])
    m, h = mean / scale, abs(half) / scale
    if h <= 1e-6 * abs(m) or h == 0:
        body = f"{_sign(m, format_number(m), signed)} ± 0"
    else:
        decimals = _decimals(h, 2)
        body = (
            f"{_sign(m, format_number(m, decimals=decimals), signed)} ± "
            f"{format_number(h, decimals=decimals)}"
        )
    return _join(body, unit, signed)


def format_duration(seconds: float) -> str:
    """A duration [s] for people: ``42 s``, ``3.5 min``, ``7.2 h``, ``12 d``."""
    return format_value("duration_s", seconds)


def format_target(metric: str, op: str, bound: float) -> str:
    """A sizing target with its bound in the reader's unit: ``wait_p95_s <= 1 h``,
    ``utilisation >= 80%``; a duration in the largest unit it is a whole number of (``1 d``,
    as typed, rather than ``24 h``)."""
    if metric.endswith("_s") and bound > 0:
        for unit in ("d", "h", "min"):
            count = bound / SECONDS_PER[unit]
            if count >= 1 and math.isclose(count, round(count)):
                return f"{metric} {op} {format_number(count)} {unit}"
    return f"{metric} {op} {format_value(metric, bound)}"


_WORDS = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def format_count(value: float) -> str:
    """A count in words past a million: ``12,345``, ``7 billion``, ``2.5 trillion``."""
    for size, word in _WORDS:
        if abs(value) >= size:
            return f"{format_number(value / size)} {word}"
    return format_number(value)


_PREFIXES = ((1e24, "Y"), (1e21, "Z"), (1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"))


def format_si(value: float, unit: str) -> str:
    """A large amount with an SI prefix: ``42 ZFLOP``, ``400 GB``."""
    for size, prefix in _PREFIXES:
        if abs(value) >= size:
            return f"{format_number(value / size)} {prefix}{unit}"
    return f"{format_number(value)} {unit}"
