"""The top level of a scenario: run settings, network, failures, policies and the `Scenario`
model that holds every section."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PositiveInt,
    PrivateAttr,
    model_validator,
)

from sim.formatting import format_duration
from sim.scenario.catalogue import BUILTIN_ACCELERATORS
from sim.scenario.schema.base import BitsPerSecond, Fraction, Name, Seconds, Section
from sim.scenario.schema.costs import Costs
from sim.scenario.schema.demand import InferenceLoad, WorkloadClass
from sim.scenario.schema.plan import Plan
from sim.scenario.schema.supply import Accelerator, City
from sim.units import parse_duration


class Precision(Section):
    """Replications until the 95% confidence intervals are as narrow as asked (Law & Kelton's
    sequential procedure for relative precision; see README, "Replications to a precision")."""

    metrics: list[str] = Field(
        min_length=1,
        description="Metrics whose 95% half-width must meet the target, e.g. [wait_p95_s] "
        "(names as in summary.json).",
    )
    relative: Annotated[Fraction, Field(gt=0, lt=1)] = Field(
        0.05,
        description="Target relative error [-], e.g. '5%': each half-width at most this "
        "fraction of the absolute value of its mean.",
    )
    absolute: dict[str, float] = Field(
        default_factory=dict,
        description="Per metric, a half-width that is also enough, in the metric's unit "
        "(durations with a unit for _s metrics, e.g. {wait_p95_s: 30min}): a mean near zero "
        "never meets a relative target.",
    )
    per: Literal["overall", "city", "center"] = Field(
        "city",
        description="Where the target applies: overall; overall and each city; or overall, "
        "each city and each center. Always per variant and per paired difference.",
    )
    min_replications: int = Field(
        10,
        ge=2,
        le=10_000,
        description="Replications of the first round [-] (Law & Kelton advise at least 10).",
    )
    max_replications: int = Field(
        200, ge=2, le=10_000, description="The cap: never more replications than this [-]."
    )

    @model_validator(mode="before")
    @classmethod
    def _absolute_in_units(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("absolute"), dict):
            data = {**data, "absolute": dict(data["absolute"])}
            for metric, value in data["absolute"].items():
                if isinstance(metric, str) and metric.endswith("_s"):
                    data["absolute"][metric] = parse_duration(value)
        return data

    @model_validator(mode="after")
    def _known_metrics(self) -> Precision:
        # Imported here: sim.metrics imports the engine, which imports this schema.
        from sim.metrics import METRIC_DOCS

        unknown = [m for m in [*self.metrics, *self.absolute] if m not in METRIC_DOCS]
        if unknown:
            raise ValueError(f"unknown metric {unknown[0]!r}; valid: {', '.join(METRIC_DOCS)}")
        stray = [m for m in self.absolute if m not in self.metrics]
        if stray:
            raise ValueError(f"absolute names {stray[0]!r}, which is not in metrics")
        if any(value < 0 for value in self.absolute.values()):
            raise ValueError("absolute half-widths must not be negative")
        if self.max_replications < self.min_replications:
            raise ValueError("max_replications must be at least min_replications")
        return self


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
    drain: bool = Field(
        False,
        description="Keep running past the horizon, without new arrivals, until every job "
        "that arrived has ended, so job metrics (wait, turnaround) cover every job, as trace "
        "studies report them; capacity metrics still cover the window up to the horizon.",
    )
    period: Annotated[Seconds, Field(gt=0)] | None = Field(
        None,
        description="Length of the reporting periods [s], e.g. '30d': summary.json then holds "
        "per-period wait percentiles per city (`periods`; per sweep point for `capsim batch`) "
        "and `capsim run` and `capsim batch` say when each city's p95 wait first exceeds a "
        "day. None: no periods.",
    )
    job_table: bool = Field(
        True,
        description="Keep the per-job table: `capsim run --out` writes jobs.parquet (written in "
        "chunks, one row per job) and `sim.run_scenario` returns it. false keeps only what is "
        "computed from the jobs (summary.json, timeseries.parquet): for long runs and batches "
        "that do not need one row per job (~50 bytes a job on disk, ~90 in memory).",
    )

    precision: Precision | None = Field(
        None,
        description="Add replications, in rounds, until the named metrics' 95% confidence "
        "intervals meet a relative precision (see Precision); None: run.replications exactly.",
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
        "within this time [s]; if none can, the center expected to start the job first.",
    )
    spill_after: Annotated[Seconds, Field(ge=0)] = Field(
        7200.0,
        description="`spillover` keeps a job in its origin city unless the expected wait there "
        "exceeds this [s].",
    )


class Failures(Section):
    """Node failures. When enabled, the nodes a job holds fail at random (Poisson, at each
    node's rate node_size / MTBF of its accelerator type); the job loses the work since its last
    checkpoint and restarts at once on spare nodes, keeping its allocation, after its class's
    restart overhead, so it holds its accelerators for longer. See README (Failures)."""

    enabled: bool = Field(False, description="Whether jobs fail at all.")
    node_size: PositiveInt | None = Field(
        None,
        description="Accelerators per node; a node failure interrupts every job on it [-]. "
        "None: each center's server (`accelerators_per_server`). With a placement other than "
        "`pool` a node is a server, so it must be left out or equal the server size.",
    )
    mtbf: dict[Name, Annotated[Seconds, Field(gt=0)]] = Field(
        default_factory=dict,
        description="Per accelerator type, a mean time between failures of one accelerator "
        "overriding the catalogue's [s], e.g. {a100: 12000h}.",
    )


class Scheduling(Section):
    """How each center orders and starts its queued jobs."""

    local: str = Field(
        "easy-backfill",
        description="Local policy by name: fifo, easy-backfill, sjf, priority, or the "
        "preemptive srtf and las (see docs/scenario.md, Policies).",
    )
    backfill_depth: PositiveInt = Field(
        64, le=100_000, description="How many queued jobs easy-backfill scans for a backfill [-]."
    )
    preempt: bool = Field(
        False,
        description="`priority` only: a job of a higher class stops running jobs of lower "
        "classes to make room (they lose the work since their last checkpoint, pay their "
        "class's restart and queue again). `srtf` and `las` always preempt.",
    )
    inference_preempts: bool = Field(
        False,
        description="When an inference load (or a capacity cut) takes accelerators that "
        "training jobs hold, stop the training jobs started last until the rest fit, instead "
        "of waiting for them to end (inference is then never short because of training).",
    )
    placement: str = Field(
        "pool",
        description="Placement policy by name: pool (any free accelerators, the default), "
        "consolidate (a job uses as few servers of `accelerators_per_server` as it can) or "
        "spread (see docs/scenario.md, Policies). The local policy picks the next job; the "
        "placement decides whether and on which servers it fits.",
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
    costs: Costs = Field(
        default_factory=lambda: Costs(),
        description="Cost model: capital, maintenance and network costs (accelerator prices "
        "are `capex_cny` per type), for `tco_cny` and the cost per delivered compute.",
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
    plan: Plan | None = Field(
        None,
        description="Decisions for `capsim plan`: knobs, objective, constraints (see "
        "docs/scenario.md, Plan); other commands ignore it.",
    )

    _expanded: dict[str, Scenario] = PrivateAttr(default_factory=dict)
    """The validated variants, filled in by the loader (see ``expand_variants``)."""
    _routes: dict[tuple[str, str], tuple[float, float]] | None = PrivateAttr(None)
    """The listed links by (from, to) city, both ways, indexed on first use (:meth:`routes`)."""

    def route(self, origin: str, destination: str) -> tuple[float, float] | None:
        """(round-trip latency [s], bandwidth [bit/s]) from one city to another.

        Within a city data is local: (0, inf). None if the cities are not connected.
        """
        return self.routes()(origin, destination)

    def uniform_link(self) -> DefaultLink | None:
        """The default link when the network lists no pair of cities: then it joins every
        two cities, and a look-up per pair (C² at C cities) can be skipped."""
        return None if self.network else self.default_link

    def reachable_cities(self, origin: str, max_latency: float | None) -> list[str]:
        """Cities a job from ``origin`` may run in: connected, and within its latency budget."""
        default = self.uniform_link()
        if default is not None:
            # Every other city behind the default link: no look-up per city (a check asks
            # for every origin, C² look-ups at C cities).
            if max_latency is None or default.latency <= max_latency:
                return list(self.cities)
            return [origin] if origin in self.cities and max_latency >= 0.0 else []
        route = self.routes()
        reachable = []
        for city in self.cities:
            found = route(origin, city)
            if found is not None and (max_latency is None or found[0] <= max_latency):
                reachable.append(city)
        return reachable

    def tenant_names(self) -> list[str]:
        """Every tenant named by a center, in file order (a name shared by several centers
        once)."""
        names: list[str] = []
        for city in self.cities.values():
            for center in city.centers.values():
                names += [name for name in center.tenants or {} if name not in names]
        return names

    def routes(self) -> Callable[[str, str], tuple[float, float] | None]:
        """:meth:`route` as a function, for many look-ups: the listed links are indexed by
        their pair of cities once (the first listed for a pair wins), as a national network
        asks for every pair of cities."""
        if self._routes is None:
            self._routes = {}
            for link in self.network:
                a, b = link.between
                self._routes.setdefault((a, b), (link.latency, link.bandwidth))
                self._routes.setdefault((b, a), (link.latency, link.bandwidth))
        listed, default = self._routes, self.default_link

        def route(origin: str, destination: str) -> tuple[float, float] | None:
            if origin == destination:
                return 0.0, math.inf
            found = listed.get((origin, destination))
            if found is None and default is not None:
                return default.latency, default.bandwidth
            return found

        return route

    def accelerator_catalogue(self) -> dict[str, Accelerator]:
        """The built-in catalogue with this scenario's additions and overrides."""
        catalogue = {name: Accelerator(**spec) for name, spec in BUILTIN_ACCELERATORS.items()}
        catalogue.update(self.accelerators)
        for name, mtbf in self.failures.mtbf.items():
            if name in catalogue:
                catalogue[name] = catalogue[name].model_copy(update={"mtbf": mtbf})
        return catalogue
