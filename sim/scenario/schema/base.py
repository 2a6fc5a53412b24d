"""The base of the scenario schema: the `Section` model and the field types every section uses.

Quantities accept human units (``"6h"``, ``"200/d"``); after validation they are held in base
units: seconds [s] and events per second [1/s].
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from sim.units import (
    parse_bandwidth,
    parse_data_size,
    parse_duration,
    parse_flops,
    parse_fraction,
    parse_growth,
    parse_power,
    parse_rate,
)

NAME_PATTERN = r"^[\p{L}\p{N}][\p{L}\p{M}\p{N}_-]*$"
"""The name rule as a JSON Schema pattern (Unicode classes); :func:`check_name` applies it."""
NAME_MAX_LENGTH = 64


def check_name(name: str) -> str:
    """Apply the rule for city, center, class and accelerator names.

    Letters of any script (``深圳``, ``前海``), digits, ``_`` and ``-``, starting with a letter
    or a digit, at most 64 characters: no spaces, separators, control characters, dots or
    slashes, so a name is safe in file names, Parquet columns, tables and messages.

    Raises
    ------
    ValueError
        Saying which character breaks the rule.
    """
    if not name:
        raise ValueError("a name must not be empty")
    if len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"a name has at most {NAME_MAX_LENGTH} characters, got {len(name)}")
    for position, char in enumerate(name):
        kind = unicodedata.category(char)
        allowed = kind[0] in "LN" or (position > 0 and (kind[0] == "M" or char in "_-"))
        if not allowed:
            where = "start with" if position == 0 else "contain"
            raise ValueError(
                f"a name may not {where} {_describe(char)}; use letters, digits, '_' and '-', "
                "starting with a letter or digit"
            )
    return name


def _describe(char: str) -> str:
    if char.isspace() or unicodedata.category(char)[0] in "CZ":
        return f"the character U+{ord(char):04X} ({unicodedata.name(char, 'a control character')})"
    return repr(char)


def within(low: float, high: float, unit: str) -> AfterValidator:
    """Refuse a quantity outside what a run can represent: 0, or a magnitude in [low, high].

    A quantity past these bounds is a typo (a year of microsecond checkpoints, 10^308 PFLOPS),
    and left in it overflows mid-run or turns a result into nonsense.
    """

    unit = f" {unit}" if unit else ""

    def check(value: float) -> float:
        if value != 0 and not low <= abs(value) <= high:
            raise ValueError(
                f"{value:.3g}{unit} is outside the range capsim simulates "
                f"(0, or {low:g} to {high:g}{unit} in size)"
            )
        return value

    return AfterValidator(check)


MAX_COUNT = 10**9
"""Most accelerators, cabinets or PFLOPS a pool may give (a thousand times the largest clusters
planned today); more is a typo that would overflow the engine's whole-number tables."""
Count = Annotated[int, Field(gt=0, le=MAX_COUNT)]
"""A positive whole number of accelerators or cabinets, at most :data:`MAX_COUNT`."""

MAX_SECONDS = 1e12
"""Longest duration [s] (about 31,700 years); a microsecond is the shortest."""

Seconds = Annotated[
    float,
    BeforeValidator(parse_duration),
    within(1e-6, MAX_SECONDS, "s"),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string"}],
            "description": "Duration: a number of seconds or a string with a unit, e.g. '90s', "
            "'15min', '6h', '30d', '1y'.",
        }
    ),
]
PerSecond = Annotated[
    float,
    BeforeValidator(parse_rate),
    within(1e-12, 1e9, "/s"),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string"}],
            "description": "Rate: a number per second or a string such as '200/d', '12/h', '3/2h'.",
        }
    ),
]
Bytes = Annotated[
    float,
    BeforeValidator(parse_data_size),
    within(1e-3, 1e24, "bytes"),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string"}],
            "description": "Data size: a number of bytes or a string such as '500GB', '20TB'.",
        }
    ),
]
BitsPerSecond = Annotated[
    float,
    BeforeValidator(parse_bandwidth),
    within(1e-3, 1e18, "bit/s"),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string"}],
            "description": "Bandwidth: bits per second or a string such as '100Gbps'.",
        }
    ),
]
Watts = Annotated[
    float,
    BeforeValidator(parse_power),
    within(1e-3, 1e13, "W"),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string"}],
            "description": "Power: a number of watts or a string such as '120MW', '10.2kW'.",
        }
    ),
]
Amount = Annotated[
    float,
    BeforeValidator(parse_flops),
    within(1e-30, 1e30, ""),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string"}],
            "description": "An amount: a number such as 7e9 (parameters, tokens), or work with a "
            "unit, e.g. '4.2e22 FLOP', '42 ZFLOP'.",
        }
    ),
]
MAX_GROWTH = 1000.0
"""Largest growth per year [-] (100,000%/y): more multiplies demand by 10^9 in three years."""


def _growth_bounded(value: float) -> float:
    if value > MAX_GROWTH:
        raise ValueError(
            f"a growth of {value:.3g} per year (x{1 + value:.3g} a year) is beyond "
            f"{MAX_GROWTH:g} per year ({MAX_GROWTH * 100:,.0f}%/y)"
        )
    return value


Growth = Annotated[
    float,
    BeforeValidator(parse_growth),
    AfterValidator(_growth_bounded),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string"}],
            "description": "Compounding growth: a fraction per year or a string such as '60%/y', "
            "'5%/30d'.",
        }
    ),
]
Fraction = Annotated[
    float,
    BeforeValidator(parse_fraction),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string"}],
            "description": "A fraction: a number such as 0.05 or a percentage such as '5%'.",
        }
    ),
]


Name = Annotated[
    str,
    AfterValidator(check_name),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": NAME_PATTERN,
            "maxLength": NAME_MAX_LENGTH,
            "description": "A name: letters of any script, digits, '_' and '-', starting with "
            "a letter or digit.",
        }
    ),
]


def _origin_mix(value: object) -> object:
    return {value: 1.0} if isinstance(value, str) else value


def _weights_not_all_zero(mix: dict[str, float]) -> dict[str, float]:
    if not mix:
        raise ValueError("the origin mix must name at least one city")
    if sum(mix.values()) <= 0:
        raise ValueError("the origin weights must not all be zero")
    return mix


Origin = Annotated[
    dict[Name, Annotated[float, Field(ge=0, allow_inf_nan=False)]],
    BeforeValidator(_origin_mix),
    AfterValidator(_weights_not_all_zero),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": NAME_PATTERN},
                {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
            ],
            "description": "A city name, or {city: relative weight}.",
        }
    ),
]


class Section(BaseModel):
    """Base of every scenario section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_default=True)
