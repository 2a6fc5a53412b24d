"""Supply levels of a run: accelerators installed and held by inference, from the records.

Where a center's supply changes (build-out phases, inference), training's busy accelerators
B(t) are rebuilt exactly from the per-job records and combined with the planned steps: the
installed target T(t) and the inference demand D(t). Accelerators retired while running a job
stay installed until it ends, and inference takes only what training leaves of the target:

    installed(t) = max(T, B)        inference held I(t) = clip(min(D, T - B), 0, D)

so busy (B + I) never exceeds installed. Areas are per time-series bin. Centers whose supply
never changes cost nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine import RunResult
from sim.resources.centers import CenterSpec
from sim.resources.supply import supply_schedule


@dataclass(frozen=True)
class SupplyLevels:
    """Per center, the area of each time-series bin [accelerator·s] (length: edges - 1);
    None for a center whose supply never changes (installed: its count all along, no
    inference)."""

    installed: list[np.ndarray | None]
    inference: list[np.ndarray | None]
    """Accelerator-seconds held by inference."""
    inference_demand: list[np.ndarray | None]
    """Accelerator-seconds inference wanted."""


def supply_levels(result: RunResult) -> SupplyLevels:
    installed: list[np.ndarray | None] = []
    inference: list[np.ndarray | None] = []
    demand: list[np.ndarray | None] = []
    for spec in result.centers:
        if not spec.changes:
            installed.append(None)
            inference.append(None)
            demand.append(None)
            continue
        grid, levels = center_levels(result, spec)
        width = np.diff(grid)
        # The edges are points of the grid: each bin sums the grid segments inside it.
        first_segment = np.searchsorted(grid, result.edges[:-1])
        for store, level in zip((installed, inference, demand), levels, strict=True):
            store.append(np.add.reduceat(level[:-1] * width, first_segment))
    return SupplyLevels(installed, inference, demand)


def center_levels(
    result: RunResult, spec: CenterSpec
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Step functions of one center over [0, horizon]: the change points and, from each,
    (installed, inference held, inference demand) [accelerators]."""
    times, training_busy = training_steps(result, spec.index)
    schedule = supply_schedule(spec, result.horizon)
    # The job records' change points (millions) are sorted and distinct already: the few
    # others are merged in, rather than all sorted again (~5x faster at 10^6 jobs a center).
    others = np.unique(np.concatenate([schedule.times, result.edges]))
    at = np.searchsorted(times, others)
    new = (at == len(times)) | (times[np.minimum(at, len(times) - 1)] != others)
    grid = np.insert(times, at[new], others[new])
    # Between two change points the level stays: a new point takes the one before it.
    # Counts of accelerators are whole numbers, exact as floats: taken as floats from here.
    busy = np.insert(training_busy, at[new], training_busy[at[new] - 1]).astype(float)
    # Every schedule time is a point of the grid: a step holds from its own until the next.
    first = np.searchsorted(grid, schedule.times)
    step = np.repeat(np.arange(-1, len(first)), np.diff(first, prepend=0, append=len(grid)))
    target = schedule.installed.astype(float)[step]
    wanted = schedule.inference.astype(float)[step]
    held = np.clip(np.minimum(wanted, target - busy), 0.0, None)
    return grid, (np.maximum(target, busy), held, wanted)


def training_steps(result: RunResult, center: int) -> tuple[np.ndarray, np.ndarray]:
    """Busy accelerators of training jobs at ``center``: change times from 0 and the level
    from each [-] (exact, from the job records; ends beyond the horizon are dropped)."""
    # Indices, not a mask: taking a sparse mask's rows is ~10x slower at 10^7 jobs.
    rows = np.flatnonzero((result.center == center) & ~np.isnan(result.start))
    sizes = result.demand.size[rows]
    starts, ends = result.start[rows], result.end[rows]
    times = np.concatenate([[0.0], starts, ends])
    delta = np.concatenate([[0], sizes, -sizes])
    log = result.preemption_log
    if log is not None:  # a stopped job holds nothing from its stop to its restart
        stopped = log.job[log.stopped]
        here = result.center[stopped] == center
        restarted = log.restart_job[result.center[log.restart_job] == center]
        times = np.concatenate(
            [
                times,
                log.time[log.stopped][here],
                log.restart_time[result.center[log.restart_job] == center],
            ]
        )
        size = result.demand.size
        delta = np.concatenate([delta, -size[stopped[here]], size[restarted]])
    keep = times < result.horizon
    times, delta = times[keep], delta[keep]
    order = np.argsort(times, kind="stable")
    times, level = times[order], np.cumsum(delta[order])
    # The level after everything that happens at an instant.
    last = np.append(times[1:] != times[:-1], True)
    return times[last], level[last]
