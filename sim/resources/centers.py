"""Compute centers as the engine sees them: a city, an accelerator type, the accelerators
installed over time and the inference load that holds some of them.

A center with several accelerator pools becomes one engine-level center per pool (same name
and city, its own queue, scheduler and build-out phases): a job is gang-scheduled within one
pool, so the pools behave as separate machines that share a site (and its power cap). Metrics
add a center's pools back together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.scenario.schema import Scenario
from sim.units import YEAR


@dataclass(frozen=True)
class CenterCosts:
    """Prices that turn a center's installed capacity into cost (see `Costs` in the schema)."""

    accelerator_cny: float
    """One accelerator with its share of a server [CNY]; NaN if its type has no price."""
    facility_cny_per_kw: float
    """Facility per kW of IT power at full load [CNY/kW]."""
    server_life_s: float
    facility_life_s: float
    maintenance_share: float
    """Maintenance per year as a share of capital in use [1/y]."""
    network_cny_per_tb: float

    def capital_cny(
        self, accelerator_s: float, facility_kw: float, window_s: float
    ) -> tuple[float, float]:
        """(Depreciation, maintenance) [CNY] of ``accelerator_s`` accelerator-seconds installed
        and a facility of ``facility_kw`` of IT power standing for ``window_s`` seconds."""
        hardware = accelerator_s * self.accelerator_cny
        facility = facility_kw * self.facility_cny_per_kw * window_s
        depreciation = hardware / self.server_life_s + facility / self.facility_life_s
        return depreciation, self.maintenance_share * (hardware + facility) / YEAR


NO_COSTS = CenterCosts(math.nan, math.nan, 1.0, 1.0, 0.0, 0.0)
"""Costs of a center built without a scenario's cost model (tests build specs by hand)."""


@dataclass(frozen=True)
class CenterSpec:
    """One center of a scenario, with its capacity resolved to whole accelerators."""

    index: int
    name: str
    city: str
    city_index: int
    accelerator: str
    pool: int
    """Index of the pool within its center (0 for a center with one accelerator type)."""
    count: int
    """Accelerators installed at the start [-]."""
    tflops: float
    """Peak dense FP16/BF16 per accelerator [TFLOPS]."""
    watts: float
    """Board power per accelerator [W]."""
    idle_fraction: float
    """Idle power as a fraction of ``watts`` [-]."""
    mtbf: float
    """Mean time between failures of one accelerator [s]."""
    pue: float
    """Facility power / IT power [-]."""
    servers: int
    """Servers holding the accelerators [-]."""
    server_overhead_kw: float
    """Power of each server besides its accelerators [kW]."""
    price_by_hour: tuple[float, ...]
    """Electricity price of the center's city for each hour of the day [CNY/kWh]."""
    carbon_intensity: float
    """Grid emission factor of the center's city [kgCO2/kWh]."""
    accelerators_per_server: int = 8
    """Accelerators per server [-]."""
    kw_per_cabinet: float = 2.5
    """IT power of one cabinet [kW]."""
    power_cap_kw: float = math.inf
    """Site cap on facility power [kW]; inf: none."""
    installed_steps: tuple[tuple[float, int], ...] = ()
    """Build-out and retirement: (from time [s], accelerators installed) after the start;
    empty for a center whose capacity never changes."""
    inference_by_hour: tuple[int, ...] = ()
    """Accelerators the center's inference loads hold in each hour of the day; empty: none."""
    costs: CenterCosts = NO_COSTS
    """Prices of the center's accelerators, servers, facility and data moved in."""

    @property
    def changes(self) -> bool:
        """Whether the capacity left to training changes during a run."""
        return bool(self.installed_steps or self.inference_by_hour)

    @property
    def max_count(self) -> int:
        """The most accelerators ever installed [-]."""
        return max([self.count, *(count for _, count in self.installed_steps)])

    @property
    def server_kw(self) -> float:
        """IT power of one server at full load [kW]."""
        return self.accelerators_per_server * self.watts / 1000.0 + self.server_overhead_kw

    def full_load_kw(self, installed: np.ndarray | float) -> np.ndarray | float:
        """Facility power [kW] of ``installed`` accelerators all busy (what a cap must hold)."""
        servers = np.ceil(np.asarray(installed) / self.accelerators_per_server)
        return servers * self.server_kw * self.pue

    @property
    def pflops(self) -> float:
        """Peak compute of the whole center [PFLOPS]."""
        return self.count * self.tflops / 1000.0

    @property
    def facility_kw_per_busy(self) -> float:
        """Facility power a busy accelerator draws [kW] (board power × PUE)."""
        return self.watts / 1000.0 * self.pue

    def facility_power_kw(
        self, busy: np.ndarray, installed: np.ndarray | None = None
    ) -> np.ndarray:
        """Facility power [kW] with ``busy`` of ``installed`` accelerators busy (idle ones at
        the idle fraction); ``installed`` defaults to the starting count."""
        board_kw = self.watts / 1000.0
        if installed is None:
            count: np.ndarray | int = self.count
            servers: np.ndarray | int = self.servers
        else:
            count, servers = installed, np.ceil(installed / self.accelerators_per_server)
        it_kw = (
            busy * board_kw
            + (count - busy) * board_kw * self.idle_fraction
            + servers * self.server_overhead_kw
        )
        return it_kw * self.pue


def build_centers(scenario: Scenario) -> tuple[CenterSpec, ...]:
    """The scenario's centers in file order (cities, then centers within each city, then the
    pools of each center), one per pool."""
    catalogue = scenario.accelerator_catalogue()
    centers: list[CenterSpec] = []
    hours = np.arange(24)
    for city_index, (city_name, city) in enumerate(scenario.cities.items()):
        for center_name, center in city.centers.items():
            cap_kw = math.inf if center.power_cap is None else center.power_cap / 1e3
            for pool_index, pool in enumerate(center.pool_list()):
                accelerator = catalogue[pool.accelerator]
                (_, count), *later = center.installed(pool, accelerator)
                server = center.server_model(accelerator.watts)
                centers.append(
                    CenterSpec(
                        index=len(centers),
                        name=center_name,
                        city=city_name,
                        city_index=city_index,
                        accelerator=pool.accelerator,
                        pool=pool_index,
                        count=count,
                        tflops=accelerator.tflops,
                        watts=accelerator.watts,
                        idle_fraction=accelerator.idle_fraction,
                        mtbf=accelerator.mtbf,
                        pue=center.pue,
                        servers=math.ceil(count / server.accelerators),
                        server_overhead_kw=(
                            center.server_overhead_kw
                            if center.server is None
                            else server.kw - server.accelerators * accelerator.watts / 1e3
                        ),
                        price_by_hour=tuple(float(p) for p in city.price_at(hours)),
                        carbon_intensity=city.carbon_intensity,
                        accelerators_per_server=server.accelerators,
                        kw_per_cabinet=center.kw_per_cabinet,
                        power_cap_kw=cap_kw,
                        installed_steps=tuple(later),
                        inference_by_hour=_inference_by_hour(
                            scenario, city_name, center_name, pool_index
                        ),
                        costs=_center_costs(scenario, accelerator.capex_cny, server.accelerators),
                    )
                )
    return tuple(centers)


def _center_costs(
    scenario: Scenario, capex_cny: float | None, accelerators_per_server: int
) -> CenterCosts:
    costs = scenario.costs
    price = math.nan if capex_cny is None else capex_cny
    return CenterCosts(
        accelerator_cny=price + costs.server_cny / accelerators_per_server,
        facility_cny_per_kw=costs.facility_cny_per_mw / 1000.0,
        server_life_s=costs.server_life,
        facility_life_s=costs.facility_life,
        maintenance_share=costs.maintenance_share,
        network_cny_per_tb=costs.network_cny_per_tb,
    )


def _inference_by_hour(scenario: Scenario, city: str, center: str, pool: int) -> tuple[int, ...]:
    """Accelerators held by the inference loads served at a center's pool, per hour of the
    day."""
    first_center = next(iter(scenario.cities[city].centers))
    types = [p.accelerator for p in scenario.cities[city].centers[center].pool_list()]
    held = np.zeros(24)
    served = False
    for load in scenario.inference:
        if load.city != city or (load.center or first_center) != center:
            continue
        if (0 if load.accelerator is None else types.index(load.accelerator)) == pool:
            held += np.round(load.peak_accelerators() * np.asarray(load.profile))
            served = True
    return tuple(int(h) for h in held) if served else ()
