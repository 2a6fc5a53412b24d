"""Job-side metrics of every group of a grouping at once: counts, waits, turnaround, slowdown,
the longest queue and the data moved, from the per-job tallies of the measured window.

A national year has 10^7 jobs and hundreds of groups (cities of origin, centers). Taking a
dozen columns for each group on its own cost ~8 s a run; here each grouping sorts the jobs by
group once (a radix sort of a 16-bit key), moves each column into group order once and takes
each statistic on one contiguous piece per group. A piece holds the values a mask over every
job selects, in the same (job) order, so sums and means (numpy sums pairwise: the result
depends on the order and the length of what it sums) and percentiles are the same to the last
bit as computing each group on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine import RunResult

SLOWDOWN_THRESHOLD_S = 10.0
"""Run times below this count as this long in the bounded slowdown [s]."""

ARRIVED, STARTED_IN, COMPLETED_IN, STARTED, RUNNING_END, MOVED = (1 << bit for bit in range(6))
"""Flags of a job in the window: arrived in it, started in it, ended in it, started at all,
running at the end, arrived in it and ran outside its origin city."""
COMPLETED_AND_IN = ARRIVED | COMPLETED_IN
_FLAG_SETS = np.arange(1 << 6)

JOB_SIDE_METRICS = (
    "jobs_arrived",
    "jobs_started",
    "jobs_completed",
    "jobs_queued_end",
    "jobs_running_end",
    "wait_mean_s",
    "wait_p50_s",
    "wait_p95_s",
    "wait_p99_s",
    "turnaround_mean_s",
    "slowdown_mean",
    "queue_len_max",
    "jobs_moved",
    "data_moved_tb",
    "transfer_mean_s",
)
"""The job-side metrics, in the order of a group's metrics."""

Metrics = dict[str, float]


@dataclass(frozen=True)
class JobTallies:
    """The per-job columns the job-side metrics use, in job (arrival) order."""

    t0: float
    """Start of the window [s]."""
    t1: float
    """End of the window [s]."""
    flags: np.ndarray
    """Each job's flags (:data:`ARRIVED` ...), uint8."""
    arrival: np.ndarray
    start: np.ndarray
    """NaN: never started."""
    wait: np.ndarray
    """Wait until start, or until the window's end for a job still queued [s]."""
    turnaround: np.ndarray
    """Arrival to end [s]; NaN: never started."""
    slowdown: np.ndarray
    """Bounded slowdown [-]; NaN: never started."""
    moved: np.ndarray
    """The jobs flagged :data:`MOVED`, in job order."""
    moved_data: np.ndarray
    """Data each of them moved [bytes]."""
    transfer: np.ndarray
    """Time each of them waited for its data once arrived [s]; NaN: still moving."""

    def by_group(self, key: np.ndarray | None, groups: int) -> list[Metrics]:
        """Job-side metrics of the jobs of each group 0 .. ``groups`` - 1 of ``key`` (one
        group of every job if ``key`` is None)."""
        split = _Split(key, groups)
        counts = split.counts(self.flags)
        sizes, arrived, started = (_having(counts, flags) for flags in (0, ARRIVED, STARTED))
        # Jobs are in arrival order: a group's jobs that arrived before the window lead it.
        waits = [
            piece[size - inside :]
            for piece, size, inside in zip(
                split.cut(split.grouped(self.wait, copy=True), sizes), sizes, arrived, strict=True
            )
        ]
        wait_means = [mean(w) for w in waits]
        percentiles = [_percentiles(w) for w in waits]  # reorders each piece: means first
        completed = (split.grouped(self.flags) & COMPLETED_AND_IN) == COMPLETED_AND_IN
        completed_sizes = _having(counts, COMPLETED_AND_IN)

        def completed_mean(column: np.ndarray) -> list[float]:
            return [mean(p) for p in split.cut(split.grouped(column)[completed], completed_sizes)]

        statistics = {
            "wait_mean_s": wait_means,
            "wait_p50_s": [p[0] for p in percentiles],
            "wait_p95_s": [p[1] for p in percentiles],
            "wait_p99_s": [p[2] for p in percentiles],
            "turnaround_mean_s": completed_mean(self.turnaround),
            "slowdown_mean": completed_mean(self.slowdown),
            "queue_len_max": [
                # NaN (never started) sorts last: the sorted starts lead the piece.
                float(queue_max(arrivals, _sorted(starts)[:count], self.t0, self.t1))
                for arrivals, starts, count in zip(
                    split.cut(split.grouped(self.arrival), sizes),
                    split.cut(split.grouped(self.start, copy=True), sizes),
                    started,
                    strict=True,
                )
            ],
        }
        data, transfers = self._moves(key, groups)
        statistics["data_moved_tb"] = [float(d.sum() / 1e12) for d in data]
        statistics["transfer_mean_s"] = [mean(t[~np.isnan(t)]) for t in transfers]
        return [
            {
                name: counted[name] if name in counted else statistics[name][group]
                for name in JOB_SIDE_METRICS
            }
            for group, counted in enumerate(_counted(c) for c in counts)
        ]

    def moved_tb(self, key: np.ndarray | None, groups: int) -> list[float]:
        """Data moved [TB] by the jobs of each group that arrived in the window and ran
        outside their origin city."""
        return [float(data.sum() / 1e12) for data in self._moves(key, groups)[0]]

    def _moves(
        self, key: np.ndarray | None, groups: int
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Data moved [bytes] and time to move it [s] of each group's moved jobs."""
        moved = _Split(None if key is None else key[self.moved], groups)
        sizes = _having(moved.counts(self.flags[self.moved]), 0)
        return (
            moved.cut(moved.grouped(self.moved_data), sizes),
            moved.cut(moved.grouped(self.transfer), sizes),
        )


def job_waits(result: RunResult) -> np.ndarray:
    """Each job's wait [s]: until it started, or until the horizon if it never did."""
    started = ~np.isnan(result.start)
    return np.maximum(np.where(started, result.start, result.horizon) - result.demand.arrival, 0.0)


def job_tallies(result: RunResult) -> JobTallies:
    """The per-job columns of a run's measured window [warm-up, horizon), derived once."""
    t0, t1 = result.warmup, result.horizon
    demand, start, end = result.demand, result.start, result.end
    started = ~np.isnan(start)
    arrived = demand.arrival >= t0
    center_city = np.array([c.city_index for c in result.centers] + [-1], dtype=np.int16)
    # A job never dispatched (center -1) counts as moved, as it always has.
    moved = (center_city[result.center] != demand.origin) & arrived
    # A drained run counts every job's end, however late; jobs then end by the run's end.
    ends_by = np.inf if result.drained else t1
    with np.errstate(invalid="ignore"):
        masks = {
            ARRIVED: arrived,
            STARTED_IN: started & (start >= t0),
            COMPLETED_IN: started & (end >= t0) & (end < ends_by),
            STARTED: started,
            RUNNING_END: started & (end >= ends_by),
            MOVED: moved,
        }
    flags = np.zeros(result.jobs, np.uint8)
    for flag, mask in masks.items():
        flags |= mask.view(np.uint8) * np.uint8(flag)  # a bool is one byte, 0 or 1
    turnaround = end - demand.arrival
    with np.errstate(invalid="ignore"):
        slowdown = np.maximum(1.0, turnaround / np.maximum(result.duration, SLOWDOWN_THRESHOLD_S))
    moved_rows = np.flatnonzero(moved)
    return JobTallies(
        t0=t0,
        t1=t1,
        flags=flags,
        arrival=demand.arrival,
        start=start,
        wait=job_waits(result),
        turnaround=turnaround,
        slowdown=slowdown,
        moved=moved_rows,
        moved_data=demand.dataset[moved_rows],
        transfer=result.ready[moved_rows] - demand.arrival[moved_rows],
    )


def queue_max(arrivals: np.ndarray, starts: np.ndarray, t0: float, t1: float) -> int:
    """The longest queue in [t0, t1) of jobs arriving at ``arrivals`` (in order) and starting
    at ``starts`` (sorted) [-].

    The queue grows only at arrivals, so its longest is at the window's start or just after
    an arrival in the window: arrivals so far less the starts up to that instant (a start at
    the same instant as an arrival is applied first, so a job that starts on arrival makes no
    phantom peak).
    """
    before = np.searchsorted(arrivals, t0, side="left")
    at_start = before - np.searchsorted(starts, t0, side="left")
    inside = slice(before, np.searchsorted(arrivals, t1, side="left"))
    # Sorted needles: each search starts where the last ended (~2x faster than unsorted).
    level = np.searchsorted(starts, arrivals[inside], side="right")
    np.subtract(np.arange(inside.start + 1, inside.stop + 1), level, out=level)
    return int(max(at_start, level.max(initial=0)))


def _sorted(values: np.ndarray) -> np.ndarray:
    """``values`` sorted in place (a piece of a copy); a stable sort takes the runs of nearly
    sorted start times as they are (~3x faster than the default at 10^7)."""
    values.sort(kind="stable")
    return values


def mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else float("nan")


def _percentiles(waits: np.ndarray) -> tuple[float, float, float]:
    """The median, 95th and 99th percentiles of ``waits`` (a piece of a copy, which this
    reorders) [s]."""
    if not len(waits):
        return (np.nan,) * 3
    p50, p95, p99 = np.percentile(waits, [50, 95, 99], overwrite_input=True)
    return float(p50), float(p95), float(p99)


def _counted(counts: np.ndarray) -> Metrics:
    """The job counts of one group from how many of its jobs have each set of flags."""

    def having(flags: int) -> float:
        return float(_having(counts[None, :], flags)[0])

    return {
        "jobs_arrived": having(ARRIVED),
        "jobs_started": having(STARTED_IN),
        "jobs_completed": having(COMPLETED_IN),
        "jobs_queued_end": having(0) - having(STARTED),
        "jobs_running_end": having(RUNNING_END),
        "jobs_moved": having(MOVED),
    }


class _Split:
    """Jobs grouped by a key: where each job goes in group order (groups one after the
    other, each group's jobs in job order)."""

    def __init__(self, key: np.ndarray | None, groups: int):
        self.key, self.groups = key, groups
        self.inverse: np.ndarray | None = None
        if key is None:
            assert groups == 1
            return
        if groups < np.iinfo(np.int16).max:
            key = key.astype(np.int16, copy=False)  # a radix sort: ~3x faster at 10^7 jobs
        order = np.argsort(key, kind="stable")
        # Writing each column through the inverse streams into one place a group; reading it
        # through the order jumps over the whole column once a group (~3x slower at 10^7).
        self.inverse = np.empty(len(key), np.int32)
        self.inverse[order] = np.arange(len(key), dtype=np.int32)

    def grouped(self, column: np.ndarray, *, copy: bool = False) -> np.ndarray:
        """``column`` (one value a job) in group order: a new array, or with one group and
        not ``copy``, ``column`` itself."""
        if self.inverse is None:
            return column.copy() if copy else column
        grouped = np.empty_like(column)
        grouped[self.inverse] = column
        return grouped

    def counts(self, flags: np.ndarray) -> np.ndarray:
        """How many jobs of each group have each set of flags, [group, flags]."""
        if self.key is None:
            return np.bincount(flags, minlength=len(_FLAG_SETS))[None, :]
        pair = self.key.astype(np.int32) * len(_FLAG_SETS) + flags
        counts = np.bincount(pair, minlength=self.groups * len(_FLAG_SETS))
        return counts.reshape(self.groups, len(_FLAG_SETS))

    def cut(self, values: np.ndarray, sizes: np.ndarray) -> list[np.ndarray]:
        """``values`` in group order cut into the groups, of ``sizes``."""
        return np.split(values, np.cumsum(sizes)[:-1])


def _having(counts: np.ndarray, flags: int) -> np.ndarray:
    """How many jobs of each group have all of ``flags``, from :meth:`_Split.counts`."""
    return counts[:, (_FLAG_SETS & flags) == flags].sum(axis=1)
