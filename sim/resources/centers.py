"""Compute centers as the engine sees them: a city, an accelerator type and a count."""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class CenterSpec:
    """One center of a scenario, with its capacity resolved to whole accelerators."""

    index: int
    name: str
    city: str
    city_index: int
    accelerator: str
    count: int
    """Accelerators installed [-]."""
    tflops: float
    """Peak dense FP16/BF16 per accelerator [TFLOPS]."""
    watts: float
    """Board power per accelerator [W]."""

    @property
    def pflops(self) -> float:
        """Peak compute of the whole center [PFLOPS]."""
        return self.count * self.tflops / 1000.0


def build_centers(scenario: Scenario) -> tuple[CenterSpec, ...]:
    """The scenario's centers in file order (cities, then centers within each city)."""
    catalogue = scenario.accelerator_catalogue()
    centers: list[CenterSpec] = []
    for city_index, (city_name, city) in enumerate(scenario.cities.items()):
        for center_name, center in city.centers.items():
            accelerator = catalogue[center.accelerator]
            centers.append(
                CenterSpec(
                    index=len(centers),
                    name=center_name,
                    city=city_name,
                    city_index=city_index,
                    accelerator=center.accelerator,
                    count=center.accelerator_count(accelerator.tflops),
                    tflops=accelerator.tflops,
                    watts=accelerator.watts,
                )
            )
    return tuple(centers)
