"""Compute centers as the engine sees them: a city, an accelerator type and a count.

A center with several accelerator pools becomes one engine-level center per pool (same name
and city, its own queue and scheduler): a job is gang-scheduled within one pool, so the pools
behave as separate machines that share a site. Metrics add a center's pools back together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.scenario.schema import Scenario


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
    """Accelerators installed [-]."""
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

    @property
    def pflops(self) -> float:
        """Peak compute of the whole center [PFLOPS]."""
        return self.count * self.tflops / 1000.0

    @property
    def facility_kw_per_busy(self) -> float:
        """Facility power a busy accelerator draws [kW] (board power × PUE)."""
        return self.watts / 1000.0 * self.pue

    def facility_power_kw(self, busy: np.ndarray) -> np.ndarray:
        """Facility power [kW] with ``busy`` accelerators busy (idle ones at the idle fraction)."""
        board_kw = self.watts / 1000.0
        it_kw = (
            busy * board_kw
            + (self.count - busy) * board_kw * self.idle_fraction
            + self.servers * self.server_overhead_kw
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
            for pool_index, pool in enumerate(center.pool_list()):
                accelerator = catalogue[pool.accelerator]
                count = pool.accelerator_count(accelerator.tflops)
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
                        servers=math.ceil(count / center.accelerators_per_server),
                        server_overhead_kw=center.server_overhead_kw,
                        price_by_hour=tuple(float(p) for p in city.price_at(hours)),
                        carbon_intensity=city.carbon_intensity,
                    )
                )
    return tuple(centers)
