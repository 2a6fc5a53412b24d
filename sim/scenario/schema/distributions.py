"""Distributions of job durations, sizes and amounts of work, each chosen by `kind`."""

from __future__ import annotations

import math
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BeforeValidator, Discriminator, Field, PositiveInt, Tag, model_validator

from sim.scenario.schema.base import Amount, Seconds, Section

V = TypeVar("V")


def _check_weights(values: list[Any], weights: list[float] | None) -> None:
    if weights is None:
        return
    if len(weights) != len(values):
        raise ValueError(f"weights has {len(weights)} entries but values has {len(values)}")
    if any(not math.isfinite(w) or w < 0 for w in weights):
        raise ValueError("weights must be finite and non-negative")
    if sum(weights) <= 0:
        raise ValueError("weights must not all be zero")


class Fixed(Section, Generic[V]):
    kind: Literal["fixed"]
    value: V = Field(description="The one value every sample takes.")


class Uniform(Section, Generic[V]):
    kind: Literal["uniform"]
    low: V = Field(description="Smallest value (inclusive).")
    high: V = Field(description="Largest value (inclusive for whole numbers).")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform[V]:
        if self.high < self.low:  # type: ignore[operator]
            raise ValueError(f"high ({self.high}) must not be below low ({self.low})")
        return self


class Choice(Section, Generic[V]):
    kind: Literal["choice"]
    values: list[V] = Field(min_length=1, description="The values to choose from.")
    weights: list[float] | None = Field(
        None, description="Relative weight of each value (same length as values); equal if omitted."
    )

    @model_validator(mode="after")
    def _weights_match(self) -> Choice[V]:
        _check_weights(self.values, self.weights)
        return self


class Empirical(Section, Generic[V]):
    kind: Literal["empirical"]
    samples: list[V] | None = Field(
        None, min_length=1, description="Observed values, resampled with replacement."
    )
    path: str | None = Field(
        None,
        description="A CSV or text file of observed values, relative to the scenario file; "
        "read into `samples` when the scenario is loaded.",
    )
    column: str | None = Field(
        None, description="Column of `path` to read (a CSV with a header); the first if omitted."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Empirical[V]:
        if self.samples is None and self.path is None:
            raise ValueError("give `samples` or a file `path`")
        return self


class FixedDuration(Fixed[Annotated[Seconds, Field(ge=0)]]):
    """Every job takes the same time."""


class UniformDuration(Uniform[Annotated[Seconds, Field(ge=0)]]):
    """Uniform between `low` and `high`."""


class ChoiceDuration(Choice[Annotated[Seconds, Field(ge=0)]]):
    """One of a few durations, with weights."""


class EmpiricalDuration(Empirical[Annotated[Seconds, Field(ge=0)]]):
    """Resampled observed durations (a bare number in a file is seconds)."""


class ExponentialDuration(Section):
    """Exponential with the given mean (memoryless, as in M/M/c)."""

    kind: Literal["exponential"]
    mean: Annotated[Seconds, Field(gt=0)] = Field(description="Mean [s].")


class LognormalDuration(Section):
    """Lognormal given by its median and the sigma of log(duration); mean = median·exp(σ²/2)."""

    kind: Literal["lognormal"]
    median: Annotated[Seconds, Field(gt=0)] = Field(description="Median [s].")
    sigma: float = Field(ge=0, le=10, description="Standard deviation of ln(duration) [-].")


class FixedSize(Fixed[PositiveInt]):
    """Every job uses the same number of accelerators."""


class UniformSize(Uniform[PositiveInt]):
    """A whole number of accelerators, uniform from `low` to `high` inclusive."""


class ChoiceSize(Choice[PositiveInt]):
    """One of a few job sizes [accelerators], with weights."""


class EmpiricalSize(Empirical[PositiveInt]):
    """Resampled observed job sizes [accelerators]."""


class FixedAmount(Fixed[Annotated[Amount, Field(gt=0)]]):
    """Every job has the same amount."""


class UniformAmount(Uniform[Annotated[Amount, Field(gt=0)]]):
    """Uniform between `low` and `high`."""


class ChoiceAmount(Choice[Annotated[Amount, Field(gt=0)]]):
    """One of a few amounts, with weights (e.g. a mix of 7e9, 70e9 and 400e9 parameters)."""


class LognormalAmount(Section):
    """Lognormal given by its median and the sigma of the log."""

    kind: Literal["lognormal"]
    median: Annotated[Amount, Field(gt=0)] = Field(description="Median [as the amount].")
    sigma: float = Field(ge=0, le=10, description="Standard deviation of the log [-].")


def _scalar_as_fixed(value: object) -> object:
    """A bare number (or numeric string) stands for a fixed distribution of that value."""
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return {"kind": "fixed", "value": value}
    return value


AmountDistribution = Annotated[
    FixedAmount | UniformAmount | ChoiceAmount | LognormalAmount,
    Field(discriminator="kind"),
    BeforeValidator(_scalar_as_fixed),
]


class ModelWork(Section):
    """Training work of a dense model: FLOP = 6 × parameters × tokens (DOMAIN.md)."""

    params: AmountDistribution = Field(
        description="Model parameters [-]: a number (7e9) or a distribution, e.g. "
        "{kind: choice, values: [7e9, 70e9, 400e9]}."
    )
    tokens: AmountDistribution = Field(
        description="Training tokens [-]: a number (1e12) or a distribution."
    )


def _work_kind(value: object) -> str:
    if isinstance(value, dict):
        return "model" if "params" in value or "tokens" in value else "flop"
    return "model" if isinstance(value, ModelWork) else "flop"


Work = Annotated[
    Annotated[ModelWork, Tag("model")] | Annotated[AmountDistribution, Tag("flop")],
    Discriminator(_work_kind),
    BeforeValidator(_scalar_as_fixed),
]


DurationDistribution = Annotated[
    FixedDuration
    | ExponentialDuration
    | LognormalDuration
    | UniformDuration
    | ChoiceDuration
    | EmpiricalDuration,
    Field(discriminator="kind"),
]
SizeDistribution = Annotated[
    FixedSize | UniformSize | ChoiceSize | EmpiricalSize,
    Field(discriminator="kind"),
]
