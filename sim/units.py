"""Human units for quantities a planner types: durations, rates and data sizes.

Internally capsim measures time in seconds, rates in events per second and data in bytes.
These parsers turn ``"90s"``, ``"6h"``, ``"30d"``, ``"200/d"`` or ``"20TB"`` into those base
units and raise :class:`ValueError` with a message meant for the user otherwise.
"""

from __future__ import annotations

import math
import numbers
import re

SECONDS_PER: dict[str, float] = {
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "min": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "w": 7 * 86400.0,
    "wk": 7 * 86400.0,
    "y": 365 * 86400.0,
    "yr": 365 * 86400.0,
}
"""Seconds in each time unit a user may write. A year is 365 days."""

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_DURATION = re.compile(rf"^\s*({_NUMBER})\s*([a-zA-Z]+)\s*$")
_RATE = re.compile(rf"^\s*({_NUMBER})\s*/\s*({_NUMBER})?\s*([a-zA-Z]+)\s*$")
_TIME_UNITS = ", ".join(SECONDS_PER)


def _finite(number: object, text: object, factor: float = 1.0) -> float:
    """``number`` x ``factor`` as a float, refusing infinities, NaN and numbers too large for a
    float (a whole number of 400 digits)."""
    try:
        value = float(number) * factor  # type: ignore[arg-type]
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"{brief(text)} is not a finite number of reasonable size")
    return value


def brief(value: object, limit: int = 40) -> str:
    """A value as a user would type it, shortened: a 400-digit number fills no screen."""
    shown = repr(value.item() if hasattr(value, "item") else value)
    if len(shown) <= limit:
        return shown
    return f"{shown[: limit // 2]}…{shown[-8:]} ({len(shown)} characters)"


def parse_duration(value: object) -> float:
    """Return a duration in seconds.

    Parameters
    ----------
    value
        A number (taken as seconds) or a string such as ``"90s"``, ``"6h"``, ``"1.5d"``.

    Returns
    -------
    float
        The duration [s].
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '6h', got {value!r}")
    if isinstance(value, numbers.Real):
        return _finite(value, value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            number, unit = match.groups()
            factor = SECONDS_PER.get(unit.lower())
            if factor is None:
                raise ValueError(
                    f"unknown time unit {unit!r} in {value!r} (use one of {_TIME_UNITS})"
                )
            return _finite(number, value, factor)
        try:
            return _finite(value, value)
        except ValueError:
            pass
    raise ValueError(f"expected a duration such as '90s', '6h' or '30d', got {value!r}")


def parse_rate(value: object) -> float:
    """Return a rate in events per second.

    Parameters
    ----------
    value
        A number (taken as per second) or a string such as ``"200/d"``, ``"12/h"``, ``"3/2h"``.

    Returns
    -------
    float
        The rate [1/s].
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a rate such as '200/d', got {value!r}")
    if isinstance(value, numbers.Real):
        return _finite(value, value)
    if isinstance(value, str):
        match = _RATE.match(value)
        if match:
            count, per_number, unit = match.groups()
            factor = SECONDS_PER.get(unit.lower())
            if factor is None:
                raise ValueError(
                    f"unknown time unit {unit!r} in {value!r} (use one of {_TIME_UNITS})"
                )
            period = float(per_number or 1.0) * factor
            if period <= 0:
                raise ValueError(f"the period in {value!r} must be positive")
            return _finite(float(count) / period, value)
    raise ValueError(f"expected a rate such as '200/d' or '12/h', got {value!r}")


_GROWTH = re.compile(rf"^\s*({_NUMBER})\s*%\s*/\s*({_NUMBER})?\s*([a-zA-Z]+)\s*$")
YEAR = SECONDS_PER["y"]


def parse_growth(value: object) -> float:
    """Return a compounding growth rate as a fraction per year (365 d).

    Parameters
    ----------
    value
        A number (a fraction per year: ``0.6`` is 60% a year) or a string such as ``"60%/y"``,
        ``"4%/30d"`` or ``"1%/w"``; a rate per other period compounds to its yearly equivalent,
        ``(1 + g) ** (1 y / period) - 1``.

    Returns
    -------
    float
        The growth per year [-], > -1.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a growth such as '60%/y', got {value!r}")
    if isinstance(value, numbers.Real):
        growth, period = _finite(value, value), YEAR
    elif isinstance(value, str) and (match := _GROWTH.match(value)):
        percent, per_number, unit = match.groups()
        factor = SECONDS_PER.get(unit.lower())
        if factor is None:
            raise ValueError(f"unknown time unit {unit!r} in {value!r} (use one of {_TIME_UNITS})")
        growth, period = float(percent) / 100.0, float(per_number or 1.0) * factor
        if period <= 0:
            raise ValueError(f"the period in {value!r} must be positive")
    else:
        raise ValueError(f"expected a growth such as '60%/y' or '5%/30d', got {value!r}")
    if not growth > -1:
        raise ValueError(f"a growth of {value!r} would make the rate negative or zero")
    if period == YEAR:
        return _finite(growth, value)
    try:
        return _finite(math.expm1(math.log1p(growth) * YEAR / period), value)
    except OverflowError:
        raise ValueError(f"{value!r} compounds to an impossibly large yearly growth") from None


_FRACTION = re.compile(rf"^\s*({_NUMBER})\s*%\s*$")


def parse_fraction(value: object) -> float:
    """Return a fraction [-] from a number (``0.05``) or a percentage (``"5%"``)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a fraction such as 0.05 or '5%', got {value!r}")
    if isinstance(value, numbers.Real):
        return _finite(float(value), value)
    if isinstance(value, str) and (match := _FRACTION.match(value)):
        return _finite(float(match.group(1)) / 100.0, value)
    raise ValueError(f"expected a fraction such as 0.05 or '5%', got {value!r}")


BYTES_PER: dict[str, float] = {
    "b": 1.0,
    "kb": 1e3,
    "mb": 1e6,
    "gb": 1e9,
    "tb": 1e12,
    "pb": 1e15,
}
"""Bytes in each data unit (decimal, as storage and networks count)."""

_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([a-zA-Z/]+)\s*$")


def _parse_with_units(value: object, units: dict[str, float], example: str, base: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a quantity such as {example}, got {value!r}")
    if isinstance(value, numbers.Real):
        return _finite(value, value)
    if isinstance(value, str):
        match = _QUANTITY.match(value)
        if match:
            number, unit = match.groups()
            factor = units.get(unit.lower())
            if factor is None:
                raise ValueError(
                    f"unknown unit {unit!r} in {value!r} (use one of {', '.join(units)})"
                )
            return _finite(number, value, factor)
    raise ValueError(
        f"expected a quantity such as {example} (a bare number is {base}), got {value!r}"
    )


BITS_PER_SECOND: dict[str, float] = {
    "bps": 1.0,
    "kbps": 1e3,
    "mbps": 1e6,
    "gbps": 1e9,
    "tbps": 1e12,
}
"""Bits per second in each bandwidth unit."""


def parse_data_size(value: object) -> float:
    """Return a data size in bytes from a number (bytes) or a string such as ``"20TB"``."""
    return _parse_with_units(value, BYTES_PER, "'20TB'", "bytes")


def parse_bandwidth(value: object) -> float:
    """Return a bandwidth in bits per second from a number or a string such as ``"400Gbps"``."""
    return _parse_with_units(value, BITS_PER_SECOND, "'400Gbps'", "bits per second")


WATTS_PER: dict[str, float] = {
    "w": 1.0,
    "kw": 1e3,
    "mw": 1e6,
    "gw": 1e9,
}
"""Watts in each power unit."""


def parse_power(value: object) -> float:
    """Return a power in watts from a number (watts) or a string such as ``"120MW"``."""
    return _parse_with_units(value, WATTS_PER, "'120MW'", "watts")


FLOP_PER: dict[str, float] = {
    "flop": 1.0,
    "pflop": 1e15,
    "eflop": 1e18,
    "zflop": 1e21,
}
"""Floating-point operations in each unit of work."""


def parse_flops(value: object) -> float:
    """Return an amount in FLOP (or a plain count) from a number, a numeric string (``"7e9"``,
    which YAML 1.1 reads as text) or a string with a unit such as ``"4.2e22 FLOP"``."""
    if isinstance(value, str):
        try:
            return _finite(value, value)
        except ValueError:
            pass
    return _parse_with_units(value, FLOP_PER, "'4.2e22 FLOP'", "FLOP")
