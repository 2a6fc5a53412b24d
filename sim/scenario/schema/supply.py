"""The supply side of a scenario: accelerator types, servers, and the pools of centers in cities,
with their build-out over time."""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from pydantic import Field, model_validator

from sim.scenario.catalogue import H100_MTBF
from sim.scenario.schema.base import MAX_COUNT, Count, Name, Seconds, Section, Watts


class Accelerator(Section):
    """An accelerator type: peak dense FP16/BF16 compute and board power."""

    tflops: float = Field(ge=1e-3, le=1e6, description="Peak dense FP16/BF16 compute [TFLOPS].")
    watts: float = Field(gt=0, le=1e6, description="Board power at full load [W].")
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
    capex_cny: float | None = Field(
        None,
        ge=0,
        description="Purchase price of one accelerator [CNY], for the cost metrics (`tco_cny`, "
        "...). The catalogue's come from DOMAIN.md (H100 ~$27,500) or are ASSUMPTIONS; "
        "None: the cost metrics of centers of this type are undefined (NaN).",
    )


STANDARD_CABINET_KW = 2.5
"""IT load of one standard cabinet (标准机架) in national planning documents [kW] (DOMAIN.md)."""


class Server(Section):
    """The server model that fills a center's cabinets."""

    accelerators: Count = Field(description="Accelerators per server [-].")
    kw: float = Field(
        gt=0,
        le=1e4,
        description="IT power of the whole server at full load, accelerators included [kW]; "
        "e.g. 10.2 for an 8xH100 DGX, ~6.5 for an 8xA100 server (Acme, DOMAIN.md).",
    )


class Phase(Section):
    """One step of a center's (or pool's) build-out or retirement."""

    at: Annotated[Seconds, Field(ge=0)] = Field(description="When the step takes effect [s].")
    count: Annotated[int, Field(ge=0, le=MAX_COUNT)] | None = Field(
        None, description="Accelerators installed from then on [-] (replaces the previous count)."
    )
    add: Count | None = Field(None, description="Accelerators brought online [-].")
    remove: Count | None = Field(
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
    count: Count | None = Field(None, description="Number of accelerators [-].")
    pflops: float | None = Field(
        None,
        gt=0,
        le=MAX_COUNT,
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


class Tenant(Section):
    """A tenant of a center (a virtual cluster, a quota holder), modelled on Kubernetes Kueue:
    its guaranteed share is a ClusterQueue's nominal quota, its borrowing limit the
    ClusterQueue's `borrowingLimit` within the cohort (the center), and `reclaim` its
    `preemption.reclaimWithinCohort: Any` (see README, Tenants)."""

    guaranteed: Annotated[int, Field(ge=0, le=MAX_COUNT)] = Field(
        description="Accelerators the tenant is guaranteed (Kueue's nominal quota) [-]; the "
        "guarantees of a center must fit in its accelerators."
    )
    borrowing_limit: Annotated[int, Field(ge=0, le=MAX_COUNT)] | None = Field(
        None,
        description="Most accelerators it may hold beyond its guarantee, borrowed from other "
        "tenants' idle guarantees [-]; 0: strict partitioning; None: no limit.",
    )
    reclaim: bool = Field(
        True,
        description="Whether the tenant takes lent accelerators back by stopping borrowers' "
        "jobs (those started last first; they lose the work since their last checkpoint) when "
        "a job of its own within its guarantee would not fit otherwise; false: it waits for "
        "them to end.",
    )


class Center(Section):
    """A compute center: one pool of identical accelerators (`accelerator` and `count`,
    `pflops`, `cabinets` or `phases`), or several `pools` of different types."""

    accelerator: str | None = Field(
        None,
        description="Accelerator type: a catalogue name or one declared in `accelerators` "
        "(required unless `pools` is given).",
    )
    count: Count | None = Field(None, description="Number of accelerators [-].")
    cabinets: Count | None = Field(
        None,
        description="Capacity as cabinets of `kw_per_cabinet` IT power, instead of `count`: "
        "the cabinets' total IT power holds floor(cabinets x kw_per_cabinet / server kW) whole "
        "servers of `server` [-]. Not with `pools`.",
    )
    kw_per_cabinet: float = Field(
        STANDARD_CABINET_KW,
        gt=0,
        le=1e4,
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
        le=MAX_COUNT,
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
    accelerators_per_server: Count = Field(
        8,
        description="Accelerators per server, for the per-server power overhead and for "
        "`scheduling.placement` [-].",
    )
    tenants: dict[Name, Tenant] | None = Field(
        None,
        description="Tenants sharing the center, by name, each with its own queue (fifo), a "
        "guaranteed share and a borrowing limit (Kueue ClusterQueues in one cohort). Jobs name "
        "their tenant (`workload[].tenant` or a trace's `tenant` column); jobs of no tenant "
        "only borrow. Needs `scheduling.local: fifo`. None: one queue for all.",
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

    def most_installed(self, pool: Pool, accelerator: Accelerator) -> int:
        """The most accelerators ``pool`` ever has installed [-]: what a job may count on."""
        return max(count for _, count in self.installed(pool, accelerator))


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
