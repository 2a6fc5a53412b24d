"""How a run's dispatcher sees the network: the shared links between cities and, per job, the
centers it may be sent to (reachable within its latency budget, of an accelerator type its
class accepts, large enough to hold it)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from functools import cache

from sim.policies import CenterView, DispatchContext, JobTable, LocalScheduler
from sim.policies.candidates import AllowedCenters, CandidateCenters
from sim.resources import CenterSpec
from sim.resources.transfers import Schedule, SharedLink
from sim.scenario.schema import Scenario
from sim.workload import Demand, item_view


def city_links(
    scenario: Scenario, schedule: Schedule, deliver: Callable[[int], None]
) -> list[LinkRow]:
    """The shared links from every city to every other, by city index (None: same city or no
    link); a transfer that ends calls ``deliver`` with its job."""
    cities = list(scenario.cities)
    routes = scenario.routes()
    distinct: dict[tuple[float, float], tuple[float, float]] = {}  # one per kind, for C² pairs
    default = scenario.uniform_link()
    uniform = None
    if default is not None:
        uniform = (default.latency, default.bandwidth / 8.0)
        distinct[uniform] = uniform

    def route_from(origin: str) -> Callable[[int], tuple[float, float] | None]:
        def route(destination: int) -> tuple[float, float] | None:
            found = routes(origin, cities[destination])
            if found is None or cities[destination] == origin:
                return None
            latency, bits_per_second = found
            link = (latency, bits_per_second / 8.0)
            return distinct.setdefault(link, link)

        return route

    def make(latency: float, bandwidth_bytes: float) -> SharedLink:
        return SharedLink(bandwidth_bytes, latency, schedule, deliver)

    return [LinkRow(route_from(origin), make, len(cities), uniform) for origin in cities]


class LinkRow(dict[int, SharedLink | None]):
    """The links from one city by destination city index, each made when first asked for.

    A network of C cities has C² directed links, but a run sends data over few of them (and
    siloed dispatch over none): making them all up front cost seconds and hundreds of MB at
    1,000 cities. A link made late is the same as one made at the start that was never used.
    """

    def __init__(
        self,
        route: Callable[[int], tuple[float, float] | None],
        make: Callable[[float, float], SharedLink],
        cities: int,
        uniform: tuple[float, float] | None = None,
    ):
        super().__init__()
        self.find_route = route
        self.make = make
        self.cities = cities
        self.routes: list[tuple[float, float] | None] | None = None
        """:meth:`route` to every city, listed on first use."""
        self.uniform = uniform
        """The route to every other city when the network is its default link alone (no
        pair listed); None otherwise."""

    def route(self, destination: int) -> tuple[float, float] | None:
        """(round-trip latency [s], bandwidth [bytes/s]) of the link to a destination city,
        without making it; None within the city or when not connected."""
        if self.routes is None:
            self.routes = [self.find_route(city) for city in range(self.cities)]
        return self.routes[destination]

    def __missing__(self, destination: int) -> SharedLink | None:
        found = self.find_route(destination)
        link = self[destination] = None if found is None else self.make(*found)
        return link


def dispatch_context(
    scenario: Scenario,
    centers: tuple[CenterSpec, ...],
    demand: Demand,
    schedulers: list[LocalScheduler],
    jobs: JobTable,
    links: list[LinkRow],
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
    by_city: list[list[CenterSpec]] = [[] for _ in scenario.cities]
    for center in centers:
        by_city[center.city_index].append(center)

    @cache
    def accepted(job_class: int) -> tuple[list[int], list[int]]:
        """The centers of a type the class accepts, in file order (so by city), and their
        cities."""
        kinds = scenario.workload[job_class].accelerators
        chosen = [c for c in centers if kinds is None or c.accelerator in kinds]
        return [c.index for c in chosen], [c.city_index for c in chosen]

    @cache
    def allowed(job_class: int, origin: int) -> list[int]:
        # Made when a job of the class first comes from the origin: a network of C cities has
        # C lists of C centers per class, and siloed dispatch with a center per city needs none.
        workload = scenario.workload[job_class]
        kinds, budget, route = workload.accelerators, workload.max_latency, links[origin].route
        uniform = links[origin].uniform
        if uniform is not None:
            # Every other city behind the same link: the origin's centers, then the others
            # in file order, as below, cut from one list instead of a look-up per city
            # (C² look-ups cost seconds at 1,000 cities).
            indices, cities = accepted(job_class)
            start, stop = bisect_left(cities, origin), bisect_right(cities, origin)
            if budget is not None and uniform[0] > budget:
                return indices[start:stop]
            return indices[start:stop] + indices[:start] + indices[stop:]
        # The origin city first, so ties keep a job at home; then the others in file order.
        reachable = [origin] + [
            city
            for city in range(len(by_city))
            if city != origin
            and (found := route(city)) is not None
            and (budget is None or found[0] <= budget)
        ]
        return [
            c.index
            for city in reachable
            for c in by_city[city]
            if kinds is None or c.accelerator in kinds
        ]

    def local(job_class: int, origin_index: int) -> list[int]:
        return [
            c for c in allowed(job_class, origin_index) if centers[c].city_index == origin_index
        ]

    capacity = [c.max_count for c in centers]
    cities = len(scenario.cities)
    job_class, origin = item_view(demand.job_class), item_view(demand.origin)
    size = item_view(demand.size)
    return DispatchContext(
        centers=views,
        schedulers=schedulers,
        jobs=jobs,
        origin=origin,
        dataset=item_view(demand.dataset),
        work=work,
        candidates=CandidateCenters(allowed, job_class, origin, cities, size, capacity),
        local_candidates=CandidateCenters(local, job_class, origin, cities, size, capacity),
        allowed=AllowedCenters(allowed, job_class, origin, cities),
        links=links,
        start_within=scenario.dispatch_options.start_within,
        spill_after=scenario.dispatch_options.spill_after,
    )
