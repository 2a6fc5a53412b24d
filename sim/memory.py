"""How much memory a command will need, estimated before it runs, and refusing what will not fit.

A run's memory grows with its jobs, time-series bins, reporting periods and failure events; a
command adds what it keeps across runs (each run's metrics, each sweep point's scenario) and
one run per worker process. The constants below are measured, so the estimate follows the
engine: when the engine gets leaner, re-measure them (the way is given with each).

Every figure is in bytes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.metrics import JOB_ROWS_PER_CHUNK
from sim.scenario import expand_variants
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.schema import Scenario
from sim.workload.arrivals import expected_arrivals

BYTES_PER_JOB = 200
"""Peak memory of a run per job: its demand, the engine's per-job columns, the records and
the metrics computed from them. Measured by ``benchmarks/bench_engine.py`` ("MB/1e6 jobs": the
growth of ``ru_maxrss`` from the loaded process to the end of ``simulate`` + ``run_metrics``):
171 MB per 10^6 jobs (1,024 accelerators, FIFO and EASY backfill alike; 503 B per job before
the engine kept its jobs in numpy columns rather than Python lists); rounded up."""
BYTES_PER_JOB_ROW = 150
"""Per row of the jobs table, for the rows of one chunk (:data:`~sim.metrics.JOB_ROWS_PER_CHUNK`)
when the run writes one (``run.job_table``): the chunk as a frame and as the Arrow table that
is written. Measured with tracemalloc at 1.2e5 rows: 116 B a row at the peak; rounded up."""
BYTES_PER_BIN = 250
"""Per center and time-series bin: the engine's three level arrays and the time-series table.
Measured as above with 1,000 jobs and 360,001 bins of 10 s: 87 MB, 248 B per bin."""
BYTES_PER_PERIOD = 300
"""Per reporting period, per city and overall, per run kept: three metrics as Python floats in
lists, their average over replications and their JSON text (estimated from those sizes)."""
BYTES_PER_FAILURE = 200
"""Per failure event: its entry in the failure log's arrays and the engine's bookkeeping of the
interrupted job (estimated from those sizes)."""
BYTES_PER_LEVEL = 3_000
"""Per run, per level of its metrics kept until the summary (overall, each city, each center):
about 40 metrics with confidence fields as Python objects (estimated from those sizes)."""
BYTES_PER_POINT = 200_000
"""Per sweep point held by a batch: its validated scenario with its variants. Measured with
tracemalloc over 200 points of scenarios/china-national.yaml: 170 KB a point."""
BYTES_PER_PROCESS = 250 * 2**20
"""A Python process with capsim, numpy, pandas, SimPy and pydantic imported: ``ru_maxrss`` of
188 MB after loading a scenario; rounded up. Each worker process pays it again."""
USABLE_FRACTION = 0.9
"""Share of the available memory a command may plan to use; the rest is the estimate's margin."""


@dataclass(frozen=True)
class Estimate:
    """The memory a command needs: one run at its peak, what it keeps, and how many processes
    run at once (0 workers: runs happen in the command's own process)."""

    run_peak: int
    kept: int
    workers: int = 0
    detail: str = ""
    """What the run's peak is made of, for messages."""

    @property
    def total(self) -> int:
        runs = max(self.workers, 1) * self.run_peak
        return BYTES_PER_PROCESS * (1 + self.workers) + self.kept + runs


def run_peak(scenario: Scenario) -> tuple[int, str]:
    """Peak bytes of one run of a scenario (its largest variant), and what they are made of."""
    worst: tuple[int, str] = (0, "")
    for variant in expand_variants(scenario).values():
        jobs = sum(expected_arrivals(w.arrival, variant.run.horizon) for w in variant.workload)
        bins = _pools(variant) * variant.run.horizon / variant.run.timeseries_step
        periods = _periods(variant)
        failures = _expected_failures(variant)
        rows = min(jobs, JOB_ROWS_PER_CHUNK) if variant.run.job_table else 0
        total = (
            jobs * BYTES_PER_JOB
            + rows * BYTES_PER_JOB_ROW
            + bins * BYTES_PER_BIN
            + periods * BYTES_PER_PERIOD
            + failures * BYTES_PER_FAILURE
        )
        parts = [f"{jobs:.3g} jobs x {BYTES_PER_JOB} B", f"{bins:.3g} time-series bins"]
        if periods:
            parts.append(f"{periods:.3g} period values")
        if failures:
            parts.append(f"{failures:.3g} failures")
        if not math.isfinite(total):
            return _huge(), ", ".join(parts)
        if total > worst[0]:
            worst = (int(total), ", ".join(parts))
    return worst


def kept_per_run(scenario: Scenario) -> int:
    """Bytes a command keeps of each run until its summary: metrics per level and periods."""
    levels = 1 + len(scenario.cities) + _pools(scenario)
    return int(levels * BYTES_PER_LEVEL + _periods(scenario) * BYTES_PER_PERIOD)


def estimate_run(scenario: Scenario, replications: int) -> Estimate:
    """``capsim run``: every replication of every variant in this process."""
    peak, detail = run_peak(scenario)
    runs = replications * len(expand_variants(scenario))
    return Estimate(peak, runs * kept_per_run(scenario), 0, detail)


def estimate_batch(points: Sequence[Scenario], replications: int | None, workers: int) -> Estimate:
    """``capsim batch`` / ``capsim size``: the points held, each run's metrics kept, and one
    run at its peak in each worker."""
    peak, detail, kept = 0, "", len(points) * BYTES_PER_POINT
    for scenario in points:
        this, what = run_peak(scenario)
        if this > peak:
            peak, detail = this, what
        runs = (replications or scenario.run.replications) * len(expand_variants(scenario))
        kept += runs * kept_per_run(scenario)
    return Estimate(peak, kept, workers, detail)


def available() -> int | None:
    """Memory the command can get without swapping, or None if unknown: the machine's
    MemAvailable, or less when a container's memory limit (cgroup v2 or v1) leaves less."""
    found = [free for free in (_mem_available(), _cgroup_room()) if free is not None]
    if found:
        return min(found)
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _mem_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


CGROUP_FILES = (
    ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
    ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
)
"""(limit, usage) of this process's memory cgroup: v2, then v1."""


def _cgroup_room() -> int | None:
    for limit_file, usage_file in CGROUP_FILES:
        try:
            limit_text = Path(limit_file).read_text().strip()
            if limit_text == "max":
                return None
            limit, usage = int(limit_text), int(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        return max(limit - usage, 0) if limit < 2**60 else None  # 2^63 rounded: no limit
    return None


def require(estimate: Estimate, file: str, free: int | None = None) -> None:
    """Refuse, with the estimate and the available memory, a command that will not fit.

    Raises
    ------
    ScenarioError
        If the estimate exceeds :data:`USABLE_FRACTION` of the available memory.
    """
    free = available() if free is None else free
    if free is None or estimate.total <= USABLE_FRACTION * free:
        return
    workers = f" in each of {estimate.workers} workers" if estimate.workers > 1 else ""
    raise ScenarioError(
        [
            Problem(
                file,
                (),
                f"this needs about {gigabytes(estimate.total)} of memory but the machine has "
                f"{gigabytes(free)} available: one run peaks at {gigabytes(estimate.run_peak)}"
                f"{workers} ({estimate.detail}) and the command keeps "
                f"{gigabytes(estimate.kept)} of results; shorten run.horizon, lower the rates, "
                "widen timeseries_step or run.period, or run fewer replications, points or "
                "workers",
            )
        ]
    )


def require_points(count: int, file: str, free: int | None = None) -> None:
    """Refuse a sweep grid whose points alone will not fit, before building any of them."""
    free = available() if free is None else free
    need = BYTES_PER_PROCESS + count * BYTES_PER_POINT
    if free is not None and need > USABLE_FRACTION * free:
        raise ScenarioError(
            [
                Problem(
                    file,
                    ("sweep",),
                    f"the grid has {count:,} points, which need about {gigabytes(need)} of "
                    f"memory to hold ({BYTES_PER_POINT // 1000} KB each) but the machine has "
                    f"{gigabytes(free)} available; sweep fewer values",
                )
            ]
        )


def max_workers(estimate: Estimate, cores: int | None = None, free: int | None = None) -> int:
    """The most worker processes worth starting: no more than the cores, and no more than
    fit in the available memory beside what the command keeps (at least 1)."""
    cores = cores or os.cpu_count() or 1
    free = available() if free is None else free
    if free is None:
        return cores
    room = USABLE_FRACTION * free - BYTES_PER_PROCESS - estimate.kept
    fit = int(room // (BYTES_PER_PROCESS + estimate.run_peak)) if room > 0 else 0
    return max(1, min(cores, fit))


def traced_peak(scenario: Scenario, seed: int = 1) -> int:
    """Peak bytes traced (tracemalloc) while one run of ``scenario`` is simulated and turned
    into its metrics and tables, as ``capsim run --out`` does (the jobs table one chunk at a
    time, each made an Arrow table): what :func:`run_peak` estimates, measured."""
    import tracemalloc

    import pyarrow as pa

    from sim.engine import simulate
    from sim.metrics import jobs_table_chunks, run_metrics, timeseries_table

    tracemalloc.start()
    try:
        result = simulate(scenario, seed)
        run_metrics(result), timeseries_table(result)
        if scenario.run.job_table:
            for chunk in jobs_table_chunks(result):
                pa.Table.from_pandas(chunk.assign(variant=""), preserve_index=False)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def gigabytes(count: float) -> str:
    """Bytes for people: ``1.2 GB``, ``350 MB``."""
    if count >= 1e9:
        return f"{count / 1e9:.3g} GB"
    return f"{count / 1e6:.3g} MB"


def _pools(scenario: Scenario) -> int:
    """The engine's centers: one per pool of every center."""
    return sum(
        len(c.pool_list()) for city in scenario.cities.values() for c in city.centers.values()
    )


def _periods(scenario: Scenario) -> float:
    """Period values a run stores: periods x (cities + overall)."""
    if scenario.run.period is None:
        return 0.0
    return (scenario.run.horizon / scenario.run.period) * (len(scenario.cities) + 1)


def _expected_failures(scenario: Scenario) -> float:
    """An upper bound on a run's failures: every installed accelerator busy all the time."""
    if not scenario.failures.enabled:
        return 0.0
    catalogue = scenario.accelerator_catalogue()
    total = 0.0
    for city in scenario.cities.values():
        for center in city.centers.values():
            for pool in center.pool_list():
                spec = catalogue.get(pool.accelerator)
                if spec is None:
                    continue
                mtbf = scenario.failures.mtbf.get(pool.accelerator, spec.mtbf)
                total += center.most_installed(pool, spec) * scenario.run.horizon / mtbf
    return total


def _huge() -> int:
    return 2**62
