"""The demand side of a scenario: workload classes of training jobs and inference loads."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.scenario.schema.arrivals import Arrival, TraceArrival
from sim.scenario.schema.base import Bytes, Name, Origin, PerSecond, Seconds, Section
from sim.scenario.schema.distributions import DurationDistribution, SizeDistribution, Work


class Checkpoint(Section):
    """Checkpoints of a class's jobs, for `failures`."""

    interval: Annotated[Seconds, Field(gt=0)] | None = Field(
        None,
        description="Useful run time between checkpoints [s], e.g. '3h'; None: no checkpoints "
        "(a failure loses all the work done so far).",
    )
    restart: Annotated[Seconds, Field(ge=0)] = Field(
        0.0,
        description="Time to restart from the last checkpoint after a failure [s], e.g. '10min'.",
    )


class WorkloadClass(Section):
    """A stream of jobs with a common origin, arrival process, size and duration."""

    name: Name = Field(description="Unique name of the class (used in tables).")
    origin: Origin = Field(
        description="The city the jobs come from, or a mix {city: weight} from which each job's "
        "origin is drawn (weights are relative)."
    )
    arrival: Arrival = Field(description="Arrival process.")
    size: SizeDistribution | None = Field(
        None,
        description="Accelerators per job [-] (gang-scheduled). Required unless a trace "
        "arrival gives `columns.size`.",
    )
    duration: DurationDistribution | None = Field(
        None,
        description="Run time of a job [s]. Give exactly one of `duration` and `work`, unless a "
        "trace arrival gives `columns.duration`.",
    )
    work: Work | None = Field(
        None,
        description="Work of a job, instead of `duration`: FLOP (a number, '4.2e22 FLOP' or a "
        "distribution) or {params, tokens} for FLOP = 6 × params × tokens. The run time on the "
        "pool a job is dispatched to is FLOP / (accelerators × peak FLOPS × `mfu`) [FLOP].",
    )
    mfu: float = Field(
        0.4,
        gt=0,
        le=1,
        description="Model FLOPS utilisation: achieved / peak compute, for `work` [-]; "
        "DOMAIN.md: typically 0.3-0.55 for large dense training.",
    )
    priority: int = Field(
        0,
        ge=-(2**31 - 1),
        le=2**31 - 1,
        description="Priority for the `priority` local policy: higher runs first [-]; a 32-bit "
        "whole number.",
    )
    tenant: Name | None = Field(
        None,
        description="The tenant the class's jobs belong to, at centers with `tenants`; None: "
        "no tenant (such jobs only borrow idle accelerators).",
    )
    dataset: Annotated[Bytes, Field(ge=0)] = Field(
        0.0,
        description="Data a job must move before it can run outside its origin city [bytes], "
        "e.g. '20TB'.",
    )
    accelerators: list[str] | None = Field(
        None,
        min_length=1,
        description="Accelerator types the class may run on, e.g. [h800, h100]; None: any.",
    )
    checkpoint: Checkpoint = Field(
        default_factory=lambda: Checkpoint(),
        description="Checkpoint interval and restart overhead, for `failures`.",
    )
    max_latency: Annotated[Seconds, Field(ge=0)] | None = Field(
        None,
        description="Round-trip latency budget [s] (inference, interactive work): the job may run "
        "only in cities whose link round trip from its origin fits. None: no limit.",
    )

    def possible_origins(self) -> list[str]:
        """Every city a job may come from: the `origin` mix and the cities of trace clusters."""
        cities = list(self.origin)
        if isinstance(self.arrival, TraceArrival):
            cities += [city for city in self.arrival.clusters.values() if city not in cities]
        return cities

    @model_validator(mode="after")
    def _duration_or_work(self) -> WorkloadClass:
        if self.duration is not None and self.work is not None:
            raise ValueError("give exactly one of `duration` (run time) or `work` (FLOP)")
        return self

    def origin_weights(self) -> dict[str, float]:
        """The origin as {city: probability}."""
        total = sum(self.origin.values())
        return {city: weight / total for city, weight in self.origin.items()}


class InferenceLoad(Section):
    """Inference serving that holds accelerators of one center in proportion to a diurnal
    request rate, ahead of the center's training jobs (see docs/scenario.md, Inference)."""

    name: Name = Field(description="Name of the load (used in tables).")
    city: Name = Field(description="City whose users it serves (inference stays in its city).")
    center: Name | None = Field(
        None, description="Center of `city` that serves it; the city's first center if omitted."
    )
    accelerator: Name | None = Field(
        None,
        description="For a center with `pools`: the accelerator type of the pool that serves "
        "it; the center's first pool if omitted.",
    )
    peak: float | None = Field(
        None,
        gt=0,
        description="Accelerators the load holds at its busiest hour of the day [-]; or give "
        "`peak_rate` and `accelerator_time_per_request`.",
    )
    peak_rate: Annotated[PerSecond, Field(gt=0)] | None = Field(
        None, description="Requests per second at the busiest hour [1/s], e.g. '5000/s'."
    )
    accelerator_time_per_request: Annotated[Seconds, Field(gt=0)] | None = Field(
        None,
        description="Accelerator-seconds one request takes [s]; the peak in accelerators is "
        "peak_rate x this (Little's law).",
    )
    profile: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: [1.0] * 24,
        min_length=24,
        max_length=24,
        description="Request rate in each hour of the day 0-23 as a fraction of the peak [-]; "
        "the load holds round(peak x fraction) accelerators in that hour. Default: flat.",
    )

    @model_validator(mode="after")
    def _one_peak(self) -> InferenceLoad:
        by_rate = [self.peak_rate, self.accelerator_time_per_request]
        if self.peak is not None and by_rate == [None, None]:
            return self
        if self.peak is None and None not in by_rate:
            return self
        raise ValueError("give `peak`, or both `peak_rate` and `accelerator_time_per_request`")

    def peak_accelerators(self) -> float:
        """Accelerators held at the busiest hour [-]."""
        if self.peak is not None:
            return self.peak
        assert self.peak_rate is not None and self.accelerator_time_per_request is not None
        return self.peak_rate * self.accelerator_time_per_request
