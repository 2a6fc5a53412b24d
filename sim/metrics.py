"""Metrics of one run: per center, per city and overall, over the measured window.

The window is [warm-up, horizon). Capacity-side metrics (utilisation, queue length, delivered
compute) come from the time-weighted levels the engine sampled; job-side metrics (counts, waits,
turnaround, slowdown) come from the per-job tallies.

Job-side metrics of a *center* count the jobs dispatched to it; those of a *city* count the jobs
that originate there (what its users experience), wherever they ran; capacity-side metrics of a
city sum its centers. Wait statistics cover the jobs that arrived in the window; a job still
queued at the horizon counts with the wait it has had so far (a lower bound), and
``jobs_queued_end`` says how many did.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from sim.engine import RunResult
from sim.job_side import ARRIVED, Metrics, job_tallies, mean
from sim.levels import SupplyLevels, supply_levels

METRIC_DOCS: dict[str, str] = {
    "accelerators": "Accelerators installed at the end of the window (build-out target) [-]",
    "capacity_pflops": "Installed peak compute at the end of the window [PFLOPS]",
    "installed_accelerators_mean": "Time-average accelerators installed in the window [-]",
    "utilisation": "Busy accelerators (training and inference) / installed accelerators, both "
    "time-weighted over the window [-]",
    "cabinets_used": "Cabinets the most accelerators installed in the window fill (a center's "
    "pools together): their IT power at full load / kw_per_cabinet [-]",
    "power_headroom_mw": "Site power cap minus the facility power of the most accelerators "
    "installed in the window at full load (a center's pools together), over the centers with "
    "a cap [MW]",
    "inference_demand_h": "Accelerator-hours the inference loads wanted [h]",
    "inference_served_h": "Accelerator-hours the inference loads held [h]",
    "inference_shortfall_h": "Accelerator-hours of inference not served: training held them "
    "(it is never preempted) or too few were installed [h]",
    "jobs_arrived": "Jobs that arrived in the window [-]",
    "jobs_started": "Jobs that started in the window [-]",
    "jobs_completed": "Jobs that ended in the window [-]",
    "jobs_queued_end": "Jobs still waiting at the horizon [-]",
    "jobs_running_end": "Jobs still running at the horizon [-]",
    "wait_mean_s": "Mean wait from arrival to start [s]",
    "wait_p50_s": "Median wait [s]",
    "wait_p95_s": "95th percentile of the wait [s]",
    "wait_p99_s": "99th percentile of the wait [s]",
    "turnaround_mean_s": "Mean time from arrival to end, jobs ended in the window [s]",
    "slowdown_mean": "Mean bounded slowdown max(1, turnaround / max(run time, 10 s)) [-]",
    "queue_len_mean": "Time-average number of waiting jobs [-]",
    "queue_len_max": "Largest number of waiting jobs [-]",
    "fragmented_accelerators_mean": "Time-average free accelerators that no queued job can "
    "use where they sit (on servers with too few free for any waiting job that fits, or all "
    "free ones while no waiting job fits), counted while jobs wait; only under a placement "
    "other than `pool` [-]",
    "delivered_pflops_h": "Compute delivered: busy accelerator-hours (training and inference) "
    "× peak [PFLOPS·h]",
    "energy_mwh": "Facility energy: (busy, idle and server power) × PUE [MWh]",
    "power_mw_mean": "Mean facility power [MW]",
    "cost_cny": "Electricity cost of the facility energy [CNY]",
    "co2_t": "Emissions of the facility energy at the grid's intensity [tCO2]",
    "cost_per_pflops_h_cny": "Electricity cost per delivered PFLOPS·h [CNY/(PFLOPS·h)]",
    "jobs_moved": "Jobs that arrived in the window and ran outside their origin city [-]",
    "data_moved_tb": "Data those jobs moved between cities [TB]",
    "transfer_mean_s": "Mean time to move a moved job's data, until it reached its center [s]",
    "interruptions": "Job failures in the window (failures on) [-]",
    "lost_accelerator_h": "Accelerator time lost to failures in the window: work since the last "
    "checkpoint plus restarts, counted at the failure [accelerator·h]",
    "preemptions": "Jobs stopped by their scheduler in the window (a preemptive policy or "
    "inference reclaiming accelerators); only when jobs can be preempted [-]",
    "preempted_lost_accelerator_h": "Accelerator time lost to preemptions in the window: work "
    "since the last checkpoint at each stop plus the restarts paid by stopped jobs; only when "
    "jobs can be preempted [accelerator·h]",
    "accelerators_held_mean": "Per tenant (`tenants` in summary.json): time-average "
    "accelerators its jobs held in the window [-]",
    "goodput": "Useful / held accelerator time of training: 1 - lost / busy training "
    "accelerator time [-]",
    "capex_cny": "Depreciation in the window: accelerators and servers over `costs.server_life` "
    "for their time installed, the facility (per MW of IT power at full load of the most "
    "installed) over `costs.facility_life` [CNY]",
    "maintenance_cny": "Maintenance in the window: `costs.maintenance_share` a year of the "
    "capital in use [CNY]",
    "network_cny": "Moving the data of jobs from other cities to the center [CNY]",
    "tco_cny": "Total cost of ownership in the window: capex + maintenance + electricity "
    "(`cost_cny`) + network [CNY]",
    "tco_per_pflops_h_cny": "Total cost of ownership per delivered PFLOPS·h [CNY/(PFLOPS·h)]",
    "tco_per_accelerator_h_cny": "Total cost of ownership per busy accelerator-hour: the tariff "
    "at which compute sold by the hour breaks even [CNY/h]",
    "build_cny": "Purchase price of the most accelerators installed, their servers and a "
    "facility for them (not depreciated) [CNY]",
}
"""Every metric of a summary, with its meaning and unit."""

OPTIONAL_METRICS = frozenset(
    {
        "fragmented_accelerators_mean",
        "preemptions",
        "preempted_lost_accelerator_h",
        "accelerators_held_mean",
    }
)
"""Metrics present only where a run uses their feature (servers, preemption, tenants), so
that summaries of runs without them are unchanged."""


def run_metrics(result: RunResult, levels: SupplyLevels | None = None) -> dict[str, object]:
    """Metrics of one run, nested as ``{"overall": M, "cities": {city: M + {"centers": ...}}}``.

    ``levels``: the run's :func:`~sim.levels.supply_levels`, if the caller has them already
    (they cost seconds for a year of 10^7 jobs)."""
    window = _Window(result, levels)
    jobs = window.jobs
    sites: dict[tuple[int, str], int] = {}
    site_of = [sites.setdefault((c.city_index, c.name), len(sites)) for c in result.centers]
    # A job never dispatched (center -1) falls in one more group, of no site and no city.
    site_key = np.array([*site_of, len(sites)], np.int32)[result.center]
    city_key = np.array([*(c.city_index for c in result.centers), len(result.cities)], np.int32)
    by_origin = jobs.by_group(result.demand.origin, len(result.cities))
    by_site = jobs.by_group(site_key, len(sites) + 1)
    # Network costs charge the data moved to where jobs ran: a center's is its jobs' moves.
    moved_to_city = jobs.moved_tb(city_key[result.center], len(result.cities) + 1)
    moved_to_site = [site["data_moved_tb"] for site in by_site]
    cities: dict[str, object] = {}
    for city_index, city in enumerate(result.cities):
        members = [c.index for c in result.centers if c.city_index == city_index]
        metrics: dict[str, object] = dict(
            window.capacity_side(members, moved_to_city[city_index]) | by_origin[city_index]
        )
        pools = _pools_by_center(result, members)
        metrics["centers"] = {
            name: window.capacity_side(group, moved_to_site[sites[city_index, name]])
            | by_site[sites[city_index, name]]
            for name, group in pools.items()
        }
        cities[city] = metrics
    all_centers = list(range(len(result.centers)))
    moved_to_any = jobs.moved_tb((result.center < 0).astype(np.int16), 2)[0]  # 1: no center
    overall = window.capacity_side(all_centers, moved_to_any) | jobs.by_group(None, 1)[0]
    metrics_of_run: dict[str, object] = {"overall": overall, "cities": cities}
    if result.tenants:
        metrics_of_run["tenants"] = {
            name: window.tenant(index) for index, name in enumerate(result.tenants)
        }
    if result.preemption_log is not None:
        metrics_of_run["classes"] = {
            name: window.preemption(window.preempted_class == index)
            for index, name in enumerate(result.classes)
        }
    return metrics_of_run


def _pools_by_center(result: RunResult, members: Sequence[int]) -> dict[str, list[int]]:
    """The engine-level centers (one per pool) of each named center among ``members``."""
    groups: dict[str, list[int]] = {}
    for index in members:
        groups.setdefault(result.centers[index].name, []).append(index)
    return groups


class _Window:
    """One run's records restricted to the measured window."""

    def __init__(self, result: RunResult, levels: SupplyLevels | None = None):
        self.result = result
        self.t0, self.t1 = result.warmup, result.horizon
        self.levels = supply_levels(result) if levels is None else levels
        self.length = self.t1 - self.t0
        self.first = int(np.searchsorted(result.edges, self.t0))
        demand = result.demand
        self.jobs = job_tallies(result)
        log = result.failures
        in_window = (log.time >= self.t0) & (log.time < self.t1)
        self.failure_center = result.center[log.job[in_window]]
        self.failure_lost = (log.lost * demand.size[log.job])[in_window]
        """Accelerator-seconds lost at each failure in the window [accelerator·s]."""
        preempted = result.preemption_log
        if preempted is not None:
            in_window = (preempted.time >= self.t0) & (preempted.time < self.t1)
            jobs = preempted.job[in_window]
            self.preempted_center = result.center[jobs]
            self.preempted_class = demand.job_class[jobs]
            self.preempted_tenant = demand.tenant[jobs]
            self.preempted_stop = preempted.stopped[in_window]
            self.preempted_lost = (preempted.lost_work + preempted.lost_restart)[
                in_window
            ] * demand.size[jobs]
            """Accelerator-seconds lost at each stop or end in the window [accelerator·s]."""

    def capacity_side(self, centers: Sequence[int], moved_tb: float) -> Metrics:
        """Capacity-side metrics of ``centers``, to which jobs moved ``moved_tb`` [TB]."""
        r = self.result
        static = [c for c in centers if not r.centers[c].changes]
        busy = r.busy_area[centers, -1] - r.busy_area[centers, self.first]
        queued = r.queue_area[centers, -1] - r.queue_area[centers, self.first]
        tflops = np.array([r.centers[c].tflops for c in centers])
        inference = np.array([self._area(self.levels.inference, c) for c in centers])
        demand = sum(self._area(self.levels.inference_demand, c) for c in centers)
        # Static centers: count × length, exactly as before build-out existed.
        installed_area = sum(r.centers[c].count for c in static) * self.length + sum(
            self._area(self.levels.installed, c) for c in centers if c not in static
        )
        held = busy + inference
        delivered = float(np.dot(held, tflops) / 1000.0 / 3600.0)
        energy_kwh, cost, co2_kg = np.sum([self._energy(c) for c in centers], axis=0)
        at_end = [self._installed_at(c, self.t1) for c in centers]
        failed = np.isin(self.failure_center, centers)
        lost = float(self.failure_lost[failed].sum())
        return (
            {
                "accelerators": float(sum(at_end)),
                "capacity_pflops": float(
                    sum(
                        n * r.centers[c].tflops / 1000.0
                        for n, c in zip(at_end, centers, strict=True)
                    )
                ),
                "installed_accelerators_mean": float(installed_area / self.length),
                "utilisation": float(held.sum() / installed_area),
                "queue_len_mean": float(queued.sum() / self.length),
                "delivered_pflops_h": delivered,
                "energy_mwh": float(energy_kwh / 1000.0),
                "power_mw_mean": float(energy_kwh / 1000.0 / (self.length / 3600.0)),
                "cost_cny": float(cost),
                "co2_t": float(co2_kg / 1000.0),
                "cost_per_pflops_h_cny": float(cost / delivered) if delivered > 0 else math.nan,
                **self._facility(centers),
                "inference_demand_h": float(demand / 3600.0),
                "inference_served_h": float(inference.sum() / 3600.0),
                "inference_shortfall_h": float((demand - inference.sum()) / 3600.0),
                # Failures cost training jobs only: goodput is over training's busy time.
                "interruptions": float(failed.sum()),
                "lost_accelerator_h": lost / 3600.0,
                "goodput": 1.0 - lost / float(busy.sum()) if busy.sum() > 0 else math.nan,
                **self._costs(centers, float(held.sum()), delivered, float(cost), moved_tb),
            }
            | self._fragmentation(centers)
            | self._preemption(centers)
        )

    def _preemption(self, centers: Sequence[int]) -> Metrics:
        """Preemptions at ``centers``, when jobs can be preempted."""
        if self.result.preemption_log is None:
            return {}
        return self.preemption(np.isin(self.preempted_center, centers))

    def tenant(self, index: int) -> Metrics:
        """What one tenant got: accelerators held on average over the window, its jobs' waits
        and preemptions."""
        r = self.result
        job, begin, end = r.segments()
        mine = r.demand.tenant[job] == index
        held = np.clip(end[mine], self.t0, self.t1) - np.clip(begin[mine], self.t0, self.t1)
        arrived = (r.demand.tenant == index) & (self.jobs.flags & ARRIVED > 0)
        waits = self.jobs.wait[arrived]
        metrics = {
            "accelerators_held_mean": float(np.sum(r.demand.size[job[mine]] * held) / self.length),
            "jobs_arrived": float(waits.size),
            "wait_mean_s": mean(waits),
            "wait_p95_s": float(np.percentile(waits, 95)) if waits.size else math.nan,
        }
        if r.preemption_log is not None:
            metrics |= self.preemption(self.preempted_tenant == index)
        return metrics

    def preemption(self, mask: np.ndarray) -> Metrics:
        """Preemptions and their cost among the logged losses selected by ``mask``."""
        return {
            "preemptions": float(np.sum(self.preempted_stop[mask])),
            "preempted_lost_accelerator_h": float(self.preempted_lost[mask].sum() / 3600.0),
        }

    def _fragmentation(self, centers: Sequence[int]) -> Metrics:
        """Fragmented accelerators, under a placement that has servers (none for a pool)."""
        area = self.result.fragmented_area
        if area is None:
            return {}
        fragmented = area[centers, -1] - area[centers, self.first]
        return {"fragmented_accelerators_mean": float(fragmented.sum() / self.length)}

    def _costs(
        self,
        centers: Sequence[int],
        held_s: float,
        delivered: float,
        electricity: float,
        moved_tb: float,
    ) -> Metrics:
        """The cost model's metrics of ``centers``, held for ``held_s`` accelerator-seconds
        and delivering ``delivered`` PFLOPS·h for ``electricity`` CNY in the window, with
        ``moved_tb`` [TB] moved to them."""
        r = self.result
        depreciation = maintenance = build = 0.0
        for pools in self._sites(centers).values():
            facility_kw = self._peak_full_load_kw(pools) / r.centers[pools[0]].pue
            for index, c in enumerate(pools):
                spec = r.centers[c]
                installed_s = (
                    self._area(self.levels.installed, c)
                    if spec.changes
                    else spec.count * self.length
                )
                kw = facility_kw if index == 0 else 0.0  # a site has one facility
                capital, upkeep = spec.costs.capital_cny(installed_s, kw, self.length)
                depreciation, maintenance = depreciation + capital, maintenance + upkeep
                build += spec.max_count * spec.costs.accelerator_cny
                build += kw * spec.costs.facility_cny_per_kw
        network = moved_tb * r.centers[centers[0]].costs.network_cny_per_tb if centers else 0.0
        tco = depreciation + maintenance + electricity + network
        return {
            "capex_cny": depreciation,
            "maintenance_cny": maintenance,
            "network_cny": network,
            "tco_cny": tco,
            "tco_per_pflops_h_cny": tco / delivered if delivered > 0 else math.nan,
            "tco_per_accelerator_h_cny": tco / (held_s / 3600.0) if held_s > 0 else math.nan,
            "build_cny": build,
        }

    def _sites(self, centers: Sequence[int]) -> dict[tuple[int, str], list[int]]:
        """The engine-level centers (pools) among ``centers`` by site: a center with several
        pools is one site (its pools share its cabinets, power cap and facility)."""
        sites: dict[tuple[int, str], list[int]] = {}
        for c in centers:
            spec = self.result.centers[c]
            sites.setdefault((spec.city_index, spec.name), []).append(c)
        return sites

    def _area(self, levels: list[np.ndarray | None], center: int) -> float:
        """A supply level's area over the window [accelerator·s]; 0 where it is static."""
        level = levels[center]
        return 0.0 if level is None else float(level[self.first :].sum())

    def _installed_at(self, center: int, time: float, *, at_or_before: bool = False) -> int:
        """The build-out target in force just before ``time`` [-] (or at it)."""
        spec = self.result.centers[center]
        count = spec.count
        for at, installed in spec.installed_steps:
            if at < time or (at_or_before and at == time):
                count = installed
        return count

    def _peak_full_load_kw(self, pools: Sequence[int]) -> float:
        """Facility power [kW] at full load of a site's pools at the instant in the window
        when they have the most installed together."""
        specs = [self.result.centers[c] for c in pools]
        times = [self.t0] + [
            at for spec in specs for at, _ in spec.installed_steps if self.t0 < at < self.t1
        ]
        return max(
            sum(
                float(spec.full_load_kw(self._installed_at(spec.index, t, at_or_before=True)))
                for spec in specs
            )
            for t in times
        )

    def _facility(self, centers: Sequence[int]) -> Metrics:
        """Cabinets filled and power headroom of the sites among ``centers`` (a center with
        several pools is one site: its pools share its cabinets and power cap)."""
        cabinets, headroom_kw, capped = 0.0, 0.0, False
        for pools in self._sites(centers).values():
            site = self.result.centers[pools[0]]
            full_kw = self._peak_full_load_kw(pools)
            cabinets += math.ceil(full_kw / site.pue / site.kw_per_cabinet - 1e-9)
            if math.isfinite(site.power_cap_kw):
                headroom_kw += site.power_cap_kw - full_kw
                capped = True
        return {
            "cabinets_used": cabinets,
            "power_headroom_mw": headroom_kw / 1000.0 if capped else math.nan,
        }

    def _energy(self, center: int) -> tuple[float, float, float]:
        """Facility energy [kWh], its cost [CNY] and emissions [kgCO2] of a center in the window.

        Power follows the busy accelerators of each time-series bin; the price is the city's
        at the middle of the bin.
        """
        spec = self.result.centers[center]
        edges = self.result.edges[self.first :]
        width = np.diff(edges)
        busy = np.diff(self.result.busy_area[center, self.first :]) / width
        installed = None
        if spec.changes:
            held = self.levels.inference[center]
            count = self.levels.installed[center]
            assert held is not None and count is not None
            busy = busy + held[self.first :] / width
            installed = count[self.first :] / width
        kwh = spec.facility_power_kw(busy, installed) * width / 3600.0
        hours = ((edges[:-1] + width / 2) / 3600.0) % 24
        price = np.asarray(spec.price_by_hour)[hours.astype(int)]
        energy = float(kwh.sum())
        return energy, float(np.dot(kwh, price)), energy * spec.carbon_intensity


JOB_ROWS_PER_CHUNK = 1 << 18
"""Rows of a chunk of :func:`jobs_table_chunks` (~30 MB as a frame)."""


def jobs_table(result: RunResult, rows: slice = slice(None)) -> pd.DataFrame:
    """Per-job records of a run, one row per job (of ``rows``), with names rather than
    indices; the categories of a column are the same whichever rows are taken."""
    d = result.demand
    jobs = np.arange(result.jobs, dtype=np.int64)[rows]
    # Names of the centers that ran a job, sorted: the categories of the whole table.
    index = np.where(result.center >= 0, result.center, len(result.centers))
    used = np.flatnonzero(np.bincount(index, minlength=len(result.centers) + 1))
    center = index[rows]
    labels = {
        "city": [c.city for c in result.centers] + ["(none)"],
        "center": [c.name for c in result.centers] + ["(none)"],
        "accelerator": [c.accelerator for c in result.centers] + ["(none)"],
    }
    named = {key: _categorical(np.array(names), used, center) for key, names in labels.items()}
    return pd.DataFrame(
        {
            "replication": np.full(len(jobs), result.replication, dtype=np.int32),
            "job": jobs,
            "class": pd.Categorical.from_codes(d.job_class[rows], categories=list(result.classes)),
            "origin": pd.Categorical.from_codes(d.origin[rows], categories=list(result.cities)),
            "city": named["city"],
            "center": named["center"],
            "size": d.size[rows].astype(np.int32),
            "arrival_s": d.arrival[rows],
            "ready_s": result.ready[rows],
            "start_s": result.start[rows],
            "end_s": result.end[rows],
            "duration_s": result.duration[rows],
            "wait_s": result.start[rows] - d.arrival[rows],
            "accelerator": named["accelerator"],
            "interruptions": result.interruptions[rows].astype(np.int32),
            "lost_s": result.lost[rows],
        }
    )


def _categorical(names: np.ndarray, used: np.ndarray, center: np.ndarray) -> pd.Categorical:
    """The name of each job's center, categories the sorted names of the ``used`` centers."""
    categories, codes = np.unique(names[used], return_inverse=True)
    code_of = np.full(len(names), -1, dtype=np.int32)
    code_of[used] = codes
    return pd.Categorical.from_codes(code_of[center], categories=categories.tolist())


def jobs_table_chunks(
    result: RunResult, rows_per_chunk: int = JOB_ROWS_PER_CHUNK
) -> Iterator[pd.DataFrame]:
    """:func:`jobs_table` in pieces of ``rows_per_chunk`` rows, in job order: to write a long
    run's table without holding all of it (~90 bytes a job as a frame) at once."""
    for first in range(0, max(result.jobs, 1), rows_per_chunk):
        yield jobs_table(result, slice(first, first + rows_per_chunk))


def timeseries_table(result: RunResult, levels: SupplyLevels | None = None) -> pd.DataFrame:
    """Per center and time-series bin: mean busy accelerators (training and inference),
    accelerators installed, utilisation, inference held and short, and queue length.

    A center with several pools is one row per bin, the sum of its pools; its `queue_len_max`
    is the sum of its pools' maxima (an upper bound on the center's). ``levels``: as for
    :func:`run_metrics`.
    """
    frames = []
    width = np.diff(result.edges)
    if levels is None:
        levels = supply_levels(result)
    for city_index, city in enumerate(result.cities):
        members = [c.index for c in result.centers if c.city_index == city_index]
        for name, pools in _pools_by_center(result, members).items():
            installed, inference, short = _pool_supply(result, levels, pools, width)
            busy_area = result.busy_area[pools].sum(axis=0)
            queue_area = result.queue_area[pools].sum(axis=0)
            # Differences of cumulative areas carry round-off of ~1e-14: clip it, not real values.
            busy = np.clip(np.diff(busy_area) / width + inference, 0.0, installed)
            queued = np.maximum(np.diff(queue_area) / width, 0.0)
            frames.append(
                pd.DataFrame(
                    {
                        "replication": result.replication,
                        "city": city,
                        "center": name,
                        "t_start_s": result.edges[:-1],
                        "t_end_s": result.edges[1:],
                        "busy_mean": busy,
                        "accelerators": installed,
                        "utilisation": busy / installed,
                        "inference_mean": inference,
                        "inference_short_mean": short,
                        "queue_len_mean": queued,
                        "queue_len_max": result.queue_max[pools].sum(axis=0),
                    }
                )
            )
    table = pd.concat(frames, ignore_index=True)
    for column in ("city", "center"):
        table[column] = table[column].astype("category")
    return table


def _pool_supply(
    result: RunResult, levels: SupplyLevels, pools: Sequence[int], width: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin, summed over a center's pools: mean accelerators installed, held by inference
    and wanted by inference but not held [-]."""
    installed = np.zeros(len(width))
    inference = np.zeros(len(width))
    short = np.zeros(len(width))
    for c in pools:
        installed_area = levels.installed[c]
        if installed_area is None:
            installed += result.centers[c].count
            continue
        held, wanted = levels.inference[c], levels.inference_demand[c]
        assert held is not None and wanted is not None
        installed += installed_area / width
        inference += held / width
        short += np.maximum(wanted - held, 0.0) / width
    return installed, inference, short
