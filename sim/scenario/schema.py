"""The scenario schema: one pydantic model per section, every field documented with its unit.

Every model forbids unknown keys, so a typo is an error rather than a silently ignored setting.
Quantities accept human units (``"6h"``, ``"200/d"``); after validation they are held in base
units: seconds [s] and events per second [1/s].
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Generic, Literal, TypeVar

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)

from sim.scenario.catalogue import BUILTIN_ACCELERATORS
from sim.units import (
    format_duration,
    parse_bandwidth,
    parse_data_size,
    parse_duration,
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


# --- distributions ------------------------------------------------------------------------

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

# --- sections -----------------------------------------------------------------------------


class RunSettings(Section):
    """How long to simulate, what to discard and how often to repeat."""

    horizon: Annotated[Seconds, Field(gt=0)] = Field(
        365 * 86400.0, description="Simulated time [s], e.g. '365d'. Arrivals stop at the horizon."
    )
    warmup: Annotated[Seconds, Field(ge=0)] = Field(
        0.0,
        description="Initial period [s] excluded from every metric (the system starts empty).",
    )
    seed: int = Field(1, ge=0, description="Seed of the run; every random stream derives from it.")
    replications: PositiveInt = Field(
        1, le=10_000, description="Independent replications; > 1 gives 95% confidence intervals."
    )
    timeseries_step: Annotated[Seconds, Field(gt=0)] = Field(
        3600.0, description="Width of the time-series bins [s], e.g. '1h'."
    )
    period: Annotated[Seconds, Field(gt=0)] | None = Field(
        None,
        description="Length of the reporting periods [s], e.g. '30d': summary.json then holds "
        "per-period wait percentiles per city (`periods`) and `capsim run` says when each "
        "city's p95 wait first exceeds a day. None: no periods.",
    )

    @model_validator(mode="after")
    def _warmup_before_horizon(self) -> RunSettings:
        if self.warmup >= self.horizon:
            raise ValueError(
                f"warmup ({format_duration(self.warmup)}) must be shorter than horizon "
                f"({format_duration(self.horizon)})"
            )
        if self.horizon / self.timeseries_step > 1_000_000:
            raise ValueError("timeseries_step is too small: more than 10^6 bins over the horizon")
        return self


class Accelerator(Section):
    """An accelerator type: peak dense FP16/BF16 compute and board power."""

    tflops: float = Field(gt=0, description="Peak dense FP16/BF16 compute [TFLOPS].")
    watts: float = Field(gt=0, description="Board power at full load [W].")
    idle_fraction: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Power of an idle accelerator as a fraction of `watts` [-]; DOMAIN.md: idle "
        "≈ 15-25% of board power (Acme: ~60 W idle on a 400 W A100).",
    )


STANDARD_CABINET_KW = 2.5
"""IT load of one standard cabinet (标准机架) in national planning documents [kW] (DOMAIN.md)."""


class Server(Section):
    """The server model that fills a center's cabinets."""

    accelerators: PositiveInt = Field(description="Accelerators per server [-].")
    kw: float = Field(
        gt=0,
        description="IT power of the whole server at full load, accelerators included [kW]; "
        "e.g. 10.2 for an 8xH100 DGX, ~6.5 for an 8xA100 server (Acme, DOMAIN.md).",
    )


class Phase(Section):
    """One step of a center's build-out or retirement."""

    at: Annotated[Seconds, Field(ge=0)] = Field(description="When the step takes effect [s].")
    count: Annotated[int, Field(ge=0)] | None = Field(
        None, description="Accelerators installed from then on [-] (replaces the previous count)."
    )
    add: PositiveInt | None = Field(None, description="Accelerators brought online [-].")
    remove: PositiveInt | None = Field(
        None,
        description="Accelerators retired [-]: no job starts on them any more; those running "
        "a job retire when it ends.",
    )

    @model_validator(mode="after")
    def _one_change(self) -> Phase:
        given = [key for key in ("count", "add", "remove") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `count`, `add` or `remove`")
        return self

    def apply(self, installed: int) -> int:
        """Accelerators installed after this step, from ``installed`` before it."""
        if self.count is not None:
            return self.count
        return installed + (self.add or 0) - (self.remove or 0)


class Center(Section):
    """A compute center: one pool of identical accelerators."""

    accelerator: str = Field(
        description="Accelerator type: a catalogue name or one declared in `accelerators`."
    )
    count: PositiveInt | None = Field(None, description="Number of accelerators [-].")
    cabinets: PositiveInt | None = Field(
        None,
        description="Capacity as cabinets of `kw_per_cabinet` IT power, instead of `count`: "
        "the cabinets' total IT power holds floor(cabinets x kw_per_cabinet / server kW) whole "
        "servers of `server` [-].",
    )
    kw_per_cabinet: float = Field(
        STANDARD_CABINET_KW,
        gt=0,
        description="IT power of one cabinet [kW]. Default: the 2.5 kW standard cabinet of "
        "Chinese planning documents (DOMAIN.md); real AI racks draw 30-140 kW.",
    )
    server: Server | None = Field(
        None,
        description="Server model (replaces `accelerators_per_server` and `server_overhead_kw`). "
        "Default: `accelerators_per_server` accelerators at board power plus "
        "`server_overhead_kw`.",
    )
    power_cap: Annotated[Watts, Field(gt=0)] | None = Field(
        None,
        description="Site power cap [W], e.g. '120MW': facility power (IT power at full load x "
        "`pue`) of everything installed at any time must fit under it, or the scenario is "
        "rejected with the number of accelerators that would fit. None: no cap.",
    )
    phases: list[Phase] | None = Field(
        None,
        min_length=1,
        description="Build-out and retirement over time, instead of `count`: steps in time "
        "order, the first at 0 giving `count`, e.g. [{at: 0d, count: 100000}, {at: 180d, "
        "add: 60000}, {at: 700d, remove: 20000}].",
    )
    pflops: float | None = Field(
        None,
        gt=0,
        description="Capacity as peak compute [PFLOPS] ('P'), instead of `count`; converted to the "
        "nearest whole number of accelerators.",
    )
    pue: float = Field(
        1.3,
        ge=1,
        le=3,
        description="Power usage effectiveness: facility power / IT power [-]. DOMAIN.md: "
        "targets <= 1.25 east, <= 1.2 west; national average 1.42 (2025).",
    )
    accelerators_per_server: PositiveInt = Field(
        8, description="Accelerators per server, for the per-server power overhead [-]."
    )
    server_overhead_kw: float = Field(
        3.3,
        ge=0,
        description="Power of a server besides its accelerators (CPUs, memory, network), drawn "
        "whether busy or not [kW]; an 8xA100 server peaks at ~6.5 kW (Acme), 3.2 kW of it GPUs.",
    )

    @model_validator(mode="after")
    def _one_capacity(self) -> Center:
        given = [
            k for k in ("count", "pflops", "cabinets", "phases") if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of `count`, `pflops`, `cabinets` or `phases`")
        if self.server is not None and self.model_fields_set & {
            "accelerators_per_server",
            "server_overhead_kw",
        }:
            raise ValueError(
                "give `server` or `accelerators_per_server`/`server_overhead_kw`, not both"
            )
        if self.phases is not None:
            _check_phases(self.phases)
        return self

    def server_model(self, board_watts: float) -> Server:
        """The server model: `server`, or the default built from the accelerator's power."""
        if self.server is not None:
            return self.server
        kw = self.accelerators_per_server * board_watts / 1000.0 + self.server_overhead_kw
        return Server(accelerators=self.accelerators_per_server, kw=kw)

    def installed(self, accelerator: Accelerator) -> list[tuple[float, int]]:
        """Accelerators installed over time: (from time [s], count) steps, the first at 0."""
        if self.phases is not None:
            steps, count = [], 0
            for phase in self.phases:
                count = phase.apply(count)
                steps.append((phase.at, count))
            return steps
        if self.cabinets is not None:
            server = self.server_model(accelerator.watts)
            servers = math.floor(self.cabinets * self.kw_per_cabinet / server.kw + 1e-9)
            return [(0.0, servers * server.accelerators)]
        return [(0.0, self.accelerator_count(accelerator.tflops))]

    def accelerator_count(self, tflops: float) -> int:
        """Accelerators in the center, given the accelerator's peak [TFLOPS]."""
        if self.count is not None:
            return self.count
        assert self.pflops is not None
        return round(self.pflops * 1000.0 / tflops)


def _check_phases(phases: list[Phase]) -> None:
    if phases[0].at != 0 or phases[0].count is None:
        raise ValueError("the first phase must be at 0 and give `count`")
    count = 0
    for index, (phase, following) in enumerate(zip(phases, [*phases[1:], None], strict=True)):
        count = phase.apply(count)
        if count < 0:
            raise ValueError(f"phase {index} removes more accelerators than are installed")
        if following is not None and following.at < phase.at:
            raise ValueError(f"phase {index + 1} comes before phase {index}: order them in time")
    if phases[0].count == 0:
        raise ValueError("the first phase must install at least one accelerator")


class City(Section):
    """A city: its compute centers, electricity price and grid carbon intensity."""

    centers: dict[Name, Center] = Field(min_length=1, description="Centers by name.")
    electricity_price: float = Field(
        0.63,
        ge=0,
        description="Industrial electricity price [CNY/kWh]; DOMAIN.md: national average ~0.63 "
        "(2024), west ~0.36-0.38.",
    )
    price_by_hour: list[Annotated[float, Field(ge=0)]] | None = Field(
        None,
        min_length=24,
        max_length=24,
        description="Time-of-use price for each hour of the day 0-23 [CNY/kWh], replacing "
        "`electricity_price`; applied at the middle of each time-series bin.",
    )
    carbon_intensity: float = Field(
        0.5703,
        ge=0,
        description="Grid emission factor [kgCO2/kWh]. Default: China's national grid average "
        "0.5703 (MEE, 2022) - an assumption, not from DOMAIN.md.",
    )

    def price_at(self, hour_of_day: np.ndarray) -> np.ndarray:
        """Electricity price [CNY/kWh] at the given hours of the day (0-24)."""
        if self.price_by_hour is None:
            return np.full(np.shape(hour_of_day), self.electricity_price)
        return np.asarray(self.price_by_hour)[np.floor(hour_of_day).astype(int) % 24]


class Link(Section):
    """A network link between two cities (full duplex: each direction has the bandwidth)."""

    between: list[Name] = Field(min_length=2, max_length=2, description="The two cities.")
    latency: Annotated[Seconds, Field(ge=0)] = Field(
        description="Round-trip time [s], e.g. '15ms'; DOMAIN.md: <= 20 ms between hubs."
    )
    bandwidth: Annotated[BitsPerSecond, Field(gt=0)] = Field(
        description="Capacity in each direction [bit/s], e.g. '400Gbps'."
    )


class DefaultLink(Section):
    """The link assumed between cities that `network` does not list."""

    latency: Annotated[Seconds, Field(ge=0)] = Field(description="Round-trip time [s].")
    bandwidth: Annotated[BitsPerSecond, Field(gt=0)] = Field(description="Capacity [bit/s].")


class DispatchOptions(Section):
    """Settings of the dispatch policies."""

    start_within: Annotated[Seconds, Field(ge=0)] = Field(
        3600.0,
        description="`cheapest` and `greenest` choose among centers expected to start the job "
        "within this time [s]; if none can, they dispatch like `on-demand`.",
    )
    spill_after: Annotated[Seconds, Field(ge=0)] = Field(
        7200.0,
        description="`spillover` keeps a job in its origin city unless the expected wait there "
        "exceeds this [s].",
    )


class WorkloadClass(Section):
    """A stream of jobs with a common origin, arrival process, size and duration."""

    name: Name = Field(description="Unique name of the class (used in tables).")
    origin: Origin = Field(
        description="The city the jobs come from, or a mix {city: weight} from which each job's "
        "origin is drawn (weights are relative)."
    )
    arrival: Arrival = Field(description="Arrival process.")
    size: SizeDistribution = Field(description="Accelerators per job [-] (gang-scheduled).")
    duration: DurationDistribution = Field(description="Run time of a job [s].")
    priority: int = Field(
        0, description="Priority for the `priority` local policy: higher runs first [-]."
    )
    dataset: Annotated[Bytes, Field(ge=0)] = Field(
        0.0,
        description="Data a job must move before it can run outside its origin city [bytes], "
        "e.g. '20TB'.",
    )
    max_latency: Annotated[Seconds, Field(ge=0)] | None = Field(
        None,
        description="Round-trip latency budget [s] (inference, interactive work): the job may run "
        "only in cities whose link round trip from its origin fits. None: no limit.",
    )

    def origin_weights(self) -> dict[str, float]:
        """The origin as {city: probability}."""
        total = sum(self.origin.values())
        return {city: weight / total for city, weight in self.origin.items()}


class PoissonArrival(Section):
    """Poisson arrivals: exponential inter-arrival times."""

    kind: Literal["poisson"]
    rate: Annotated[PerSecond, Field(gt=0)] = Field(
        description="Mean arrival rate [1/s], e.g. '200/d'."
    )


class RenewalArrival(Section):
    """Renewal arrivals: independent inter-arrival times from any duration distribution."""

    kind: Literal["renewal"]
    interarrival: DurationDistribution = Field(description="Time between arrivals [s].")


Arrival = Annotated[PoissonArrival | RenewalArrival, Field(discriminator="kind")]


class InferenceLoad(Section):
    """Inference serving that holds accelerators of one center in proportion to a diurnal
    request rate, ahead of the center's training jobs (see docs/scenario.md, Inference)."""

    name: Name = Field(description="Name of the load (used in tables).")
    city: Name = Field(description="City whose users it serves (inference stays in its city).")
    center: Name | None = Field(
        None, description="Center of `city` that serves it; the city's first center if omitted."
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


class Scheduling(Section):
    """How each center orders and starts its queued jobs."""

    local: str = Field(
        "easy-backfill",
        description="Local policy by name: fifo, easy-backfill, sjf or priority "
        "(see docs/scenario.md).",
    )
    backfill_depth: PositiveInt = Field(
        64, le=100_000, description="How many queued jobs easy-backfill scans for a backfill [-]."
    )


class Scenario(Section):
    """A capacity-planning scenario: centers in cities, the demand on them and how it is run."""

    name: str = Field(min_length=1, description="Scenario name, shown in tables and reports.")
    description: str = Field("", description="Free text shown in reports.")
    run: RunSettings = Field(default_factory=lambda: RunSettings(), description="Run settings.")
    accelerators: dict[Name, Accelerator] = Field(
        default_factory=dict,
        description="Accelerator types to add to or override in the built-in catalogue "
        f"({', '.join(BUILTIN_ACCELERATORS)}).",
    )
    cities: dict[Name, City] = Field(min_length=1, description="Cities by name.")
    workload: list[WorkloadClass] = Field(min_length=1, description="Workload classes.")
    inference: list[InferenceLoad] = Field(
        default_factory=list,
        description="Inference loads: accelerators held per hour of the day, with priority over "
        "training in their center.",
    )
    scheduling: Scheduling = Field(
        default_factory=lambda: Scheduling(), description="Local scheduling."
    )
    dispatch: str = Field(
        "siloed",
        description="Dispatch policy: which center a new job joins (see the Policies section).",
    )
    dispatch_options: DispatchOptions = Field(
        default_factory=lambda: DispatchOptions(), description="Dispatch policy settings."
    )
    network: list[Link] = Field(
        default_factory=list, description="Links between cities; within a city data is local."
    )
    default_link: DefaultLink | None = Field(
        None,
        description="Link assumed between cities not listed in `network`; if omitted, such "
        "cities are unreachable from each other.",
    )
    variants: dict[Name, dict[str, Any]] = Field(
        default_factory=dict,
        description="Named variants, each a partial scenario laid over this one (mappings "
        "merge, lists and values replace), e.g. {siloed: {dispatch: siloed}}. Every variant of "
        "a replication sees the same demand; the first is the baseline of comparisons.",
    )

    sweep: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Sweep axes for `capsim batch`: {dotted key path: [values]}, e.g. "
        "{cities.shenzhen.centers.qianhai.count: [100000, 140000]} (list entries by index: "
        "workload.0.arrival.rate). The batch runs every combination of the axes; `capsim run` "
        "ignores it.",
    )

    _expanded: dict[str, Scenario] = PrivateAttr(default_factory=dict)
    """The validated variants, filled in by the loader (see ``expand_variants``)."""

    def route(self, origin: str, destination: str) -> tuple[float, float] | None:
        """(round-trip latency [s], bandwidth [bit/s]) from one city to another.

        Within a city data is local: (0, inf). None if the cities are not connected.
        """
        if origin == destination:
            return 0.0, math.inf
        for link in self.network:
            if set(link.between) == {origin, destination}:
                return link.latency, link.bandwidth
        if self.default_link is not None:
            return self.default_link.latency, self.default_link.bandwidth
        return None

    def reachable_cities(self, origin: str, max_latency: float | None) -> list[str]:
        """Cities a job from ``origin`` may run in: connected, and within its latency budget."""
        reachable = []
        for city in self.cities:
            route = self.route(origin, city)
            if route is not None and (max_latency is None or route[0] <= max_latency):
                reachable.append(city)
        return reachable

    def accelerator_catalogue(self) -> dict[str, Accelerator]:
        """The built-in catalogue with this scenario's additions and overrides."""
        catalogue = {name: Accelerator(**spec) for name, spec in BUILTIN_ACCELERATORS.items()}
        catalogue.update(self.accelerators)
        return catalogue


WorkloadClass.model_rebuild()
