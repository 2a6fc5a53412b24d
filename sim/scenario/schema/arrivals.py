"""Arrival processes of a workload class: rate models (steps, profiles, growth), Poisson, bursty,
renewal and trace replay."""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PrivateAttr, model_validator

from sim.scenario.schema.base import Growth, Name, PerSecond, Seconds, Section
from sim.scenario.schema.distributions import DurationDistribution


class RateStep(Section):
    """One step of a piecewise-constant rate table: the rate from `at` until the next step."""

    at: Annotated[Seconds, Field(ge=0)] = Field(
        description="Simulated time the step starts [s], e.g. '90d'."
    )
    rate: Annotated[PerSecond, Field(ge=0)] = Field(
        description="Arrival rate from `at` on [1/s], e.g. '150/d'."
    )


def _not_all_zero(values: list[float]) -> list[float]:
    if sum(values) <= 0:
        raise ValueError("the multipliers must not all be zero")
    return values


Multipliers = Annotated[
    list[Annotated[float, Field(ge=0, allow_inf_nan=False)]], AfterValidator(_not_all_zero)
]


class RateProfile(Section):
    """Periodic multipliers of the arrival rate. Simulated time 0 is Monday 00:00.

    Each list is normalised to mean 1, so `rate` stays the mean rate over a day and a week; only
    ratios matter: a daily list of 2 at hour 9 and 1 elsewhere makes 9:00-10:00 twice as busy
    as any other hour.
    """

    daily: Annotated[Multipliers, Field(min_length=24, max_length=24)] | None = Field(
        None,
        description="24 relative rates, one per hour of the day 0-23 [-]; normalised to mean 1.",
    )
    weekly: Annotated[Multipliers, Field(min_length=7, max_length=7)] | None = Field(
        None,
        description="7 relative rates, Monday to Sunday [-]; normalised to mean 1.",
    )

    @model_validator(mode="after")
    def _some_profile(self) -> RateProfile:
        if self.daily is None and self.weekly is None:
            raise ValueError("give `daily` and/or `weekly` multipliers")
        return self


class RateModel(Section):
    """The arrival rate over time: constant or a step table, times a profile, times growth."""

    rate: Annotated[PerSecond, Field(gt=0)] | None = Field(
        None, description="Mean arrival rate [1/s], e.g. '200/d'; or give `rates`."
    )
    rates: list[RateStep] | None = Field(
        None,
        min_length=1,
        description="Piecewise-constant rate instead of `rate`: steps in time order, the first "
        "at 0, e.g. [{at: 0d, rate: 100/d}, {at: 90d, rate: 150/d}].",
    )
    profile: RateProfile | None = Field(
        None, description="Daily and/or weekly multipliers of the rate (normalised to mean 1)."
    )
    growth: Growth | None = Field(
        None,
        description="Compounding growth of the rate [1/y], e.g. '60%/y': rate × (1 + g)^(t / 1y).",
    )

    @model_validator(mode="after")
    def _one_base_rate(self) -> RateModel:
        if (self.rate is None) == (self.rates is None):
            raise ValueError("give exactly one of `rate` or `rates`")
        if self.rates is not None:
            starts = [step.at for step in self.rates]
            if starts[0] != 0:
                raise ValueError("the first step of `rates` must be at 0")
            if any(b <= a for a, b in itertools.pairwise(starts)):
                raise ValueError("the steps of `rates` must be in increasing order of `at`")
            if not any(step.rate > 0 for step in self.rates):
                raise ValueError("the rates must not all be zero")
        return self

    @property
    def is_constant(self) -> bool:
        """True if the rate never changes: `rate` alone, without profile or growth."""
        return self.rate is not None and self.profile is None and not self.growth


class PoissonArrival(RateModel):
    """Poisson arrivals; with `rates`, `profile` or `growth`, a non-homogeneous Poisson process.

    rate(t) = base(t) · daily(hour of t) · weekly(day of t) · (1 + growth)^(t / 365 d), base
    being `rate` or the step of `rates` in force. Generated exactly, not by time slices: the
    points of a unit-rate Poisson process are mapped through the inverse of the cumulative
    rate Λ(t) = ∫₀ᵗ rate, computed in closed form on each hour (or step) of the horizon.
    """

    kind: Literal["poisson"]


class BurstyArrival(RateModel):
    """Bursty arrivals of a given inter-arrival coefficient of variation (CV >= 1).

    `batch`: jobs come in batches (compound Poisson) of geometric size with mean
    1/p, p = 2/(1 + cv²); the gaps between successive jobs are 0 with probability 1 - p, else
    exponential. `mmpp`: a two-state Markov-modulated Poisson process whose second state is
    silent (an interrupted Poisson process); its gaps are hyperexponential, fitted with
    balanced means: p = (1 + sqrt((cv² - 1)/(cv² + 1)))/2, branch rates 2p·rate and
    2(1 - p)·rate. Both have mean rate `rate` and gap CV `cv` exactly when the rate is constant.
    With `rates`, a profile or growth the process runs in operational time Λ(t) = ∫ rate: a burst
    keeps its number of jobs and its gaps shrink or stretch with the rate at the time.
    """

    kind: Literal["bursty"]
    cv: float = Field(
        ge=1,
        le=100,
        description="Coefficient of variation of the time between arrivals [-]; 1 is Poisson, "
        "Philly's trace has ~15 (DOMAIN.md). `capsim fit` measures it from a trace.",
    )
    model: Literal["batch", "mmpp"] = Field(
        "batch",
        description="`batch`: geometric batches of simultaneous jobs (compound Poisson); "
        "`mmpp`: an on/off Markov-modulated Poisson process (hyperexponential gaps).",
    )


class RenewalArrival(Section):
    """Renewal arrivals: independent inter-arrival times from any duration distribution."""

    kind: Literal["renewal"]
    interarrival: DurationDistribution = Field(description="Time between arrivals [s].")


class TraceColumns(Section):
    """Which columns of a trace file hold what."""

    submit: str = Field(
        description="Submit time: seconds (numbers) or date-times (e.g. '2017-10-09 07:01:55'); "
        "the earliest is the trace's time 0."
    )
    size: str | None = Field(
        None,
        description="Accelerators per job [-] (whole numbers >= 1); if omitted, the class's "
        "`size` is drawn.",
    )
    duration: str | None = Field(
        None, description="Run time [s]; if omitted, the class's `duration` is drawn."
    )
    cluster: str | None = Field(
        None, description="The trace's cluster of each job, mapped to cities by `clusters`."
    )
    priority: str | None = Field(
        None,
        description="Priority of each job for the `priority` local policy (higher runs first) "
        "[-]; if omitted, the class's `priority`.",
    )
    tenant: str | None = Field(
        None,
        description="The tenant of each job (a name of a center's `tenants`); if omitted or "
        "empty, the class's `tenant`.",
    )
    estimate: str | None = Field(
        None,
        description="Run time estimated at submission [s] (as users give clusters): `sjf` and "
        "`srtf` order jobs by it instead of the true run time; if omitted they use the true one.",
    )


def _str_keys(value: object) -> object:
    if isinstance(value, dict):
        return {str(key): item for key, item in value.items()}
    return value


class TraceArrival(Section):
    """Replay of a job trace: arrivals (and sizes, durations, origins) from a file.

    A job arrives at offset + time_scale × (submit - earliest submit); jobs before 0 or after
    the horizon are left out. Replay does not depend on the seed, except for the origin of a
    job whose cluster is unmapped when the class's origin is a mix of cities.
    """

    kind: Literal["trace"]
    path: str = Field(description="The trace file, relative to the scenario file.")
    format: Literal["csv"] = Field("csv", description="File format: csv (with a header row).")
    columns: TraceColumns = Field(description="Column names in the file.")
    time_scale: float = Field(
        1.0,
        gt=0,
        allow_inf_nan=False,
        description="Multiplies the trace's submit times [-]: 0.5 replays the arrivals twice as "
        "densely. Durations are not scaled.",
    )
    offset: Seconds = Field(
        0.0,
        description="Simulated time of the trace's time 0 [s]; negative skips the trace's start "
        "(e.g. '-10d' replays from day 10).",
    )
    clusters: Annotated[dict[str, Name], BeforeValidator(_str_keys)] = Field(
        default_factory=dict,
        description="{trace cluster: city}: jobs of a mapped cluster originate in that city, "
        "the others at the class's `origin`.",
    )

    _jobs: Any = PrivateAttr(default=None)
    """The trace's rows (a ``sim.workload.trace.Trace``), read when the scenario is loaded."""


Arrival = Annotated[
    PoissonArrival | BurstyArrival | RenewalArrival | TraceArrival, Field(discriminator="kind")
]
