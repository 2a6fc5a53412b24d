"""The scenario schema: one pydantic model per section, every field documented with its unit.

Every model forbids unknown keys, so a typo is an error rather than a silently ignored setting.
Quantities accept human units (``"6h"``, ``"200/d"``); after validation they are held in base
units: seconds [s] and events per second [1/s].
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated, Any, Generic, Literal, TypeVar

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PositiveInt,
    PrivateAttr,
    Tag,
    WithJsonSchema,
    model_validator,
)

from sim.scenario.catalogue import BUILTIN_ACCELERATORS, H100_MTBF
from sim.units import (
    format_duration,
    parse_bandwidth,
    parse_data_size,
    parse_duration,
    parse_flops,
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
    mtbf: Annotated[Seconds, Field(gt=0)] = Field(
        H100_MTBF,
        description="Mean time between failures of one accelerator, all causes [s], e.g. "
        "'50700h'; used when `failures.enabled`. Default: the Llama 3 H100 figure (DOMAIN.md: "
        "1.97e-5 failures per GPU-hour, ≈ 50,700 h).",
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
    """One step of a center's (or pool's) build-out or retirement."""

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


PHASES_DESCRIPTION = (
    "Build-out and retirement over time, instead of `count`: steps in time order, the first at "
    "0 giving `count`, e.g. [{at: 0d, count: 100000}, {at: 180d, add: 60000}, {at: 700d, "
    "remove: 20000}]."
)


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


def _phase_steps(phases: list[Phase]) -> list[tuple[float, int]]:
    """Accelerators installed over time: (from time [s], count) steps, the first at 0."""
    steps, count = [], 0
    for phase in phases:
        count = phase.apply(count)
        steps.append((phase.at, count))
    return steps


def _capacity_count(count: int | None, pflops: float | None, tflops: float) -> int:
    """Accelerators given as a `count`, or as `pflops` at ``tflops`` per accelerator."""
    if count is not None:
        return count
    assert pflops is not None
    return round(pflops * 1000.0 / tflops)


class Pool(Section):
    """A pool of identical accelerators in a center; a job runs within one pool."""

    accelerator: str = Field(
        description="Accelerator type: a catalogue name or one declared in `accelerators`."
    )
    count: PositiveInt | None = Field(None, description="Number of accelerators [-].")
    pflops: float | None = Field(
        None,
        gt=0,
        description="Capacity as peak compute [PFLOPS], instead of `count`; converted to the "
        "nearest whole number of accelerators.",
    )
    phases: list[Phase] | None = Field(None, min_length=1, description=PHASES_DESCRIPTION)

    @model_validator(mode="after")
    def _one_capacity(self) -> Pool:
        given = [k for k in ("count", "pflops", "phases") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `count`, `pflops` or `phases`")
        if self.phases is not None:
            _check_phases(self.phases)
        return self

    def installed(self, tflops: float) -> list[tuple[float, int]]:
        """Accelerators in the pool over time: (from time [s], count) steps, the first at 0,
        given the accelerator's peak [TFLOPS]."""
        if self.phases is not None:
            return _phase_steps(self.phases)
        return [(0.0, _capacity_count(self.count, self.pflops, tflops))]


SINGLE_TYPE_KEYS = ("cabinets", "server")
"""Center keys that describe one server type, so not a center with several pools."""


class Center(Section):
    """A compute center: one pool of identical accelerators (`accelerator` and `count`,
    `pflops`, `cabinets` or `phases`), or several `pools` of different types."""

    accelerator: str | None = Field(
        None,
        description="Accelerator type: a catalogue name or one declared in `accelerators` "
        "(required unless `pools` is given).",
    )
    count: PositiveInt | None = Field(None, description="Number of accelerators [-].")
    cabinets: PositiveInt | None = Field(
        None,
        description="Capacity as cabinets of `kw_per_cabinet` IT power, instead of `count`: "
        "the cabinets' total IT power holds floor(cabinets x kw_per_cabinet / server kW) whole "
        "servers of `server` [-]. Not with `pools`.",
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
        "`server_overhead_kw`. Not with `pools` (each pool's servers are built from the default).",
    )
    power_cap: Annotated[Watts, Field(gt=0)] | None = Field(
        None,
        description="Site power cap [W], e.g. '120MW': facility power (IT power at full load x "
        "`pue`) of everything installed at any time (all pools together) must fit under it, or "
        "the scenario is rejected with the number of accelerators that would fit. None: no cap.",
    )
    phases: list[Phase] | None = Field(
        None,
        min_length=1,
        description=PHASES_DESCRIPTION + " With `pools`, give `phases` per pool instead.",
    )
    pflops: float | None = Field(
        None,
        gt=0,
        description="Capacity as peak compute [PFLOPS] ('P'), instead of `count`; converted to the "
        "nearest whole number of accelerators.",
    )
    pools: list[Pool] | None = Field(
        None,
        min_length=1,
        description="Several pools of different accelerator types, instead of `accelerator` and "
        "`count`, e.g. [{accelerator: h800, count: 8000}, {accelerator: ascend-910b, phases: "
        "[...]}]. A job runs (gang-scheduled) within one pool; each pool is scheduled as its own "
        "queue, and metrics report the center as the sum of its pools.",
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
        if self.server is not None and self.model_fields_set & {
            "accelerators_per_server",
            "server_overhead_kw",
        }:
            raise ValueError(
                "give `server` or `accelerators_per_server`/`server_overhead_kw`, not both"
            )
        if self.pools is not None:
            given = [
                key
                for key in ("accelerator", "count", "pflops", "phases", *SINGLE_TYPE_KEYS)
                if getattr(self, key) is not None
            ]
            if given:
                raise ValueError(
                    f"give `pools` or `{given[0]}`, not both (a center with pools gives "
                    "`count`, `pflops` or `phases` per pool; `cabinets` and `server` describe "
                    "a single-accelerator center)"
                )
            types = [pool.accelerator for pool in self.pools]
            if len(set(types)) < len(types):
                raise ValueError("each pool of a center must have a different accelerator type")
            return self
        if self.accelerator is None:
            raise ValueError("give `accelerator` (with `count`, `pflops`, ...) or `pools`")
        given = [
            k for k in ("count", "pflops", "cabinets", "phases") if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of `count`, `pflops`, `cabinets` or `phases`")
        if self.phases is not None:
            _check_phases(self.phases)
        return self

    def pool_list(self) -> list[Pool]:
        """The center's pools: its `pools`, or the one pool its `accelerator` describes (whose
        capacity, for `cabinets`, only :meth:`installed` knows)."""
        if self.pools is not None:
            return self.pools
        assert self.accelerator is not None
        # Validated as a whole by the center; a center given as cabinets has none of these.
        return [
            Pool.model_construct(
                accelerator=self.accelerator,
                count=self.count,
                pflops=self.pflops,
                phases=self.phases,
            )
        ]

    def server_model(self, board_watts: float) -> Server:
        """The server model: `server`, or the default built from the accelerator's power."""
        if self.server is not None:
            return self.server
        kw = self.accelerators_per_server * board_watts / 1000.0 + self.server_overhead_kw
        return Server(accelerators=self.accelerators_per_server, kw=kw)

    def installed(self, pool: Pool, accelerator: Accelerator) -> list[tuple[float, int]]:
        """Accelerators of ``pool`` (one of :meth:`pool_list`) installed over time: (from time
        [s], count) steps, the first at 0."""
        if self.cabinets is not None:
            server = self.server_model(accelerator.watts)
            servers = math.floor(self.cabinets * self.kw_per_cabinet / server.kw + 1e-9)
            return [(0.0, servers * server.accelerators)]
        return pool.installed(accelerator.tflops)


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
        0, description="Priority for the `priority` local policy: higher runs first [-]."
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


class Failures(Section):
    """Node failures. When enabled, the nodes a job holds fail at random (Poisson, at each
    node's rate node_size / MTBF of its accelerator type); the job loses the work since its last
    checkpoint and restarts at once on spare nodes, keeping its allocation, after its class's
    restart overhead, so it holds its accelerators for longer. See README (Failures)."""

    enabled: bool = Field(False, description="Whether jobs fail at all.")
    node_size: PositiveInt = Field(
        8, description="Accelerators per node; a node failure interrupts every job on it [-]."
    )
    mtbf: dict[Name, Annotated[Seconds, Field(gt=0)]] = Field(
        default_factory=dict,
        description="Per accelerator type, a mean time between failures of one accelerator "
        "overriding the catalogue's [s], e.g. {a100: 12000h}.",
    )


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
    failures: Failures = Field(
        default_factory=lambda: Failures(), description="Node failures (off by default)."
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
        for name, mtbf in self.failures.mtbf.items():
            if name in catalogue:
                catalogue[name] = catalogue[name].model_copy(update={"mtbf": mtbf})
        return catalogue


WorkloadClass.model_rebuild()
