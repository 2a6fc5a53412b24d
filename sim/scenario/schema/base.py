"""The base of the scenario schema: the `Section` model and the field types every section uses.

Quantities accept human units (``"6h"``, ``"200/d"``); after validation they are held in base
units: seconds [s] and events per second [1/s].
"""

from __future__ import annotations

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

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"

Seconds = Annotated[
    float,
    BeforeValidator(parse_duration),
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
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string"}],
            "description": "An amount: a number such as 7e9 (parameters, tokens), or work with a "
            "unit, e.g. '4.2e22 FLOP', '42 ZFLOP'.",
        }
    ),
]
Growth = Annotated[
    float,
    BeforeValidator(parse_growth),
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


Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]


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
