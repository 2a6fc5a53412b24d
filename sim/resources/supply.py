"""Supply over time: the accelerators a center has installed and those its inference holds.

Both are step functions known before a run starts (build-out phases are planned, the inference
profile repeats daily), so the engine only needs their change points; what training actually
held comes from the per-job records afterwards (:mod:`sim.levels`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.resources.centers import CenterSpec

HOUR_S = 3600.0


@dataclass(frozen=True)
class Schedule:
    """A center's supply as steps: from ``times[i]`` until the next time, the values at ``i``."""

    times: np.ndarray
    """Change points [s], from 0, increasing."""
    installed: np.ndarray
    """Accelerators installed (target of the build-out) [-]."""
    inference: np.ndarray
    """Accelerators the inference loads want [-]."""

    @property
    def training(self) -> np.ndarray:
        """Accelerators left to training: installed minus inference, at least 0 [-]."""
        return np.maximum(self.installed - self.inference, 0)


def supply_schedule(center: CenterSpec, horizon: float) -> Schedule:
    """The installed and inference steps of ``center`` over [0, ``horizon``)."""
    phase_times = np.array([0.0] + [t for t, _ in center.installed_steps if t < horizon])
    phase_counts = np.array([center.count] + [n for t, n in center.installed_steps if t < horizon])
    times = np.unique(phase_times)
    if center.inference_by_hour:
        by_hour = np.asarray(center.inference_by_hour)
        hours = np.arange(int(np.ceil(horizon / HOUR_S)))
        changes = hours[(hours == 0) | (by_hour[hours % 24] != by_hour[(hours - 1) % 24])]
        times = np.union1d(times, changes * HOUR_S)
    # A phase and an hour edge at the same instant share one change point.
    installed = phase_counts[np.searchsorted(phase_times, times, side="right") - 1]
    if center.inference_by_hour:
        hour = (np.floor(times / HOUR_S).astype(np.int64)) % 24
        inference = np.asarray(center.inference_by_hour)[hour]
    else:
        inference = np.zeros(len(times), dtype=np.int64)
    return Schedule(times, installed.astype(np.int64), inference.astype(np.int64))
