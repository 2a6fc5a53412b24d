"""How a run's dispatcher sees the network: the shared links between cities and, per job, the
centers it may be sent to (reachable within its latency budget, of an accelerator type its
class accepts, large enough to hold it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sim.policies import CenterView, DispatchContext, JobTable, LocalScheduler
from sim.resources import CenterSpec
from sim.resources.transfers import Schedule, SharedLink
from sim.scenario.schema import Scenario
from sim.workload import Demand, item_view


def city_links(
    scenario: Scenario, schedule: Schedule, deliver: Callable[[int], None]
) -> list[list[SharedLink | None]]:
    """The shared links between every ordered pair of cities (None: same city or no link);
    a transfer that ends calls ``deliver`` with its job."""
    cities = list(scenario.cities)
    links: list[list[SharedLink | None]] = []
    for origin in cities:
        row: list[SharedLink | None] = []
        for destination in cities:
            route = scenario.route(origin, destination)
            if origin == destination or route is None:
                row.append(None)
            else:
                latency, bits_per_second = route
                row.append(SharedLink(bits_per_second / 8.0, latency, schedule, deliver))
        links.append(row)
    return links


def dispatch_context(
    scenario: Scenario,
    centers: tuple[CenterSpec, ...],
    demand: Demand,
    schedulers: list[LocalScheduler],
    jobs: JobTable,
    links: list[list[SharedLink | None]],
    work: Sequence[float] | None,
) -> DispatchContext:
    """What the run's dispatcher may look at: each center's real state (its scheduler), its
    speed, energy and price, the links, and per job the centers it may go to."""
    views = [
        CenterView(
            index=c.index,
            city=c.city_index,
            capacity=c.max_count,
            peak_flops=c.tflops * 1e12,
            accelerator=c.accelerator,
            kwh_per_accelerator_s=c.facility_kw_per_busy / 3600.0,
            price_by_hour=c.price_by_hour,
            carbon_intensity=c.carbon_intensity,
        )
        for c in centers
    ]
    cities = list(scenario.cities)
    allowed: dict[tuple[int, int], list[int]] = {}
    local: dict[tuple[int, int], list[int]] = {}
    for index, workload in enumerate(scenario.workload):
        kinds = workload.accelerators
        for origin in workload.possible_origins():
            reachable = set(scenario.reachable_cities(origin, workload.max_latency))
            # Centers of the origin city first, so ties keep a job at home.
            ordered = sorted(centers, key=lambda c: c.city != origin)
            key = (index, cities.index(origin))
            allowed[key] = [
                c.index
                for c in ordered
                if c.city in reachable and (kinds is None or c.accelerator in kinds)
            ]
            local[key] = [c for c in allowed[key] if centers[c].city == origin]
    capacity = [c.max_count for c in centers]
    return DispatchContext(
        centers=views,
        schedulers=schedulers,
        jobs=jobs,
        origin=item_view(demand.origin),
        dataset=item_view(demand.dataset),
        work=work,
        candidates=_Candidates(allowed, demand, capacity),
        local_candidates=_Candidates(local, demand, capacity),
        links=links,
        start_within=scenario.dispatch_options.start_within,
        spill_after=scenario.dispatch_options.spill_after,
    )


class _Candidates(Sequence[list[int]]):
    """Per job, the centers it may run at: allowed for its class and origin (reachable, of an
    accelerator type it accepts), big enough."""

    def __init__(
        self, allowed: dict[tuple[int, int], list[int]], demand: Demand, capacity: list[int]
    ):
        self.allowed = allowed
        self.job_class = item_view(demand.job_class)
        self.origin = item_view(demand.origin)
        self.size = item_view(demand.size)
        self.capacity = capacity
        self.cache: dict[tuple[int, int, int], list[int]] = {}

    def __len__(self) -> int:
        return len(self.size)

    def __getitem__(self, job: int) -> list[int]:  # type: ignore[override]
        key = (self.job_class[job], self.origin[job], self.size[job])
        found = self.cache.get(key)
        if found is None:
            found = [c for c in self.allowed[key[:2]] if self.capacity[c] >= key[2]]
            self.cache[key] = found
        return found
