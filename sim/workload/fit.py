"""Fitting a workload class to a job trace (``capsim fit``).

The fitted class keeps the trace's means exactly, because capacity planning lives on them
(offered load = arrival rate × mean size × mean duration):

- size: the trace's sizes with their counts as weights (an empirical ``choice``);
- duration: a lognormal with the median and log-standard deviation of the trace, if its mean
  exp(μ + σ²/2) is within :data:`LOGNORMAL_TOLERANCE` of the trace's mean; otherwise (heavy
  tails) a ``choice`` of the means of the trace's quantile bins weighted by their counts, whose
  mean is the trace's mean by construction;
- arrivals: the mean rate over the trace's span and the coefficient of variation (CV) of the
  gaps between submits: ``poisson`` when the CV is within :data:`POISSON_CV` of 1, else
  ``bursty`` with that CV. Its model is the one whose share of zero gaps (simultaneous
  submits) is closer to the trace's: ``batch`` predicts 1 - p = (cv² - 1)/(cv² + 1), ``mmpp`` 0;
- optionally a daily and weekly profile (:func:`profile_fit`), the rate and CV then measured in
  its operational time.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

from sim.scenario import schema
from sim.workload.arrivals import CumulativeRate
from sim.workload.distributions import from_spec
from sim.workload.trace import Trace

LOGNORMAL_TOLERANCE = 0.05
"""Largest relative gap between the lognormal's mean and the trace's mean that is accepted."""
POISSON_CV = 0.1
"""Inter-arrival CVs within this of 1 are fitted as Poisson."""
QUANTILE_EDGES = (*np.linspace(0.0, 0.9, 19), 0.95, 0.98, 0.99, 0.995, 0.999, 1.0)
"""Quantile bins of the empirical duration fit: 5% steps, finer in the tail [-]."""
DAY = 86400.0


@dataclass(frozen=True)
class TraceFit:
    """A workload class fitted to a trace, with the figures it was fitted from."""

    workload: dict[str, Any]
    """The class as scenario data (``name``, ``origin``, ``arrival``, ``size``, ``duration``)."""
    jobs: int
    span_s: float
    mean_size: float
    mean_duration_s: float
    interarrival_cv: float
    zero_gap_share: float
    lognormal: tuple[float, float, float]
    """(median [s], sigma [-], mean [s]) of the lognormal fit of the durations."""

    def class_means(self) -> tuple[float, float]:
        """(mean size, mean duration [s]) of the fitted class, from its validated spec."""
        spec = schema.WorkloadClass.model_validate(self.workload)
        return from_spec(spec.size).mean, from_spec(spec.duration).mean


def fit_trace(
    trace: Trace, name: str = "fitted", origin: str = "origin-city", profile: bool = False
) -> TraceFit:
    """Fit a workload class to a trace with sizes and durations.

    With ``profile``, the arrival also gets daily (and weekly) multipliers, and its rate and CV
    are measured in the operational time of that profile, so the daily swing is not counted
    twice as burstiness.
    """
    for what, given in (("class name", name), ("origin city", origin)):
        try:
            schema.check_name(given)
        except ValueError as error:
            raise ValueError(f"the {what} {given!r}: {error}") from None
    if trace.size is None or trace.duration is None:
        raise ValueError("fitting needs the trace's sizes and durations")
    if not (trace.duration > 0).any():
        raise ValueError("every job of the trace lasts 0 s: there is no run time to fit")
    if len(trace) < 3:
        raise ValueError(f"a trace of {len(trace)} jobs is too short to fit")
    span = float(trace.submit[-1] - trace.submit[0])
    if span <= 0:
        raise ValueError("every job of the trace is submitted at the same time")
    multipliers = profile_fit(trace) if profile else {}
    times = operational_time(trace, multipliers)
    gaps = np.diff(times)
    zero_share = float(np.mean(gaps == 0))
    arrival = arrival_spec(len(gaps) / float(times[-1] - times[0]), _cv(gaps), zero_share)
    if multipliers:
        arrival["profile"] = multipliers
    durations = trace.duration
    median, sigma, lognormal_mean = lognormal_fit(durations)
    workload = {
        "name": name,
        "origin": origin,
        "arrival": arrival,
        "size": size_spec(trace.size),
        "duration": duration_spec(durations, (median, sigma, lognormal_mean)),
    }
    return TraceFit(
        workload=workload,
        jobs=len(trace),
        span_s=span,
        mean_size=float(trace.size.mean()),
        mean_duration_s=float(durations.mean()),
        interarrival_cv=_cv(np.diff(trace.submit)),
        zero_gap_share=zero_share,
        lognormal=(median, sigma, lognormal_mean),
    )


def profile_fit(trace: Trace) -> dict[str, list[float]]:
    """Multipliers per hour of the day and (over two weeks or more) per day of the week.

    Each is the trace's arrivals in that hour (day) per second the trace spent in it,
    normalised to mean 1. Date-time traces use the calendar (0 = Monday 00:00, as in a run);
    traces of plain seconds count from their first submit.
    """
    t = trace.submit + (trace.week_offset or 0.0)
    minutes = np.arange(t[0], t[-1], 60.0)
    multipliers: dict[str, list[float]] = {}
    for key, width, slots, shortest in (
        ("daily", 3600.0, 24, 2 * DAY),
        ("weekly", DAY, 7, 14 * DAY),
    ):
        if t[-1] - t[0] < shortest:
            continue
        exposure = np.bincount((minutes // width).astype(np.int64) % slots, minlength=slots)
        counts = np.bincount((t // width).astype(np.int64) % slots, minlength=slots)
        rate = counts / np.maximum(exposure, 1)
        multipliers[key] = [round(float(x), 3) for x in rate / rate.mean()]
    return multipliers


def operational_time(trace: Trace, multipliers: dict[str, list[float]]) -> np.ndarray:
    """Submit times mapped through the cumulative profile Λ(t) (plain times without one)."""
    if not multipliers:
        return trace.submit
    offset = trace.week_offset or 0.0
    spec = schema.PoissonArrival.model_validate(
        {"kind": "poisson", "rate": 1.0, "profile": multipliers}
    )
    cumulative = CumulativeRate.of(spec, float(trace.submit[-1]) + offset + 1.0)
    return cumulative.at(trace.submit + offset)


def lognormal_fit(durations: np.ndarray) -> tuple[float, float, float]:
    """(median [s], sigma [-], mean [s]) of a lognormal with the durations' log moments.

    Durations of 0 are lifted to 1 s, the resolution of most traces, so their log is finite.
    """
    logs = np.log(np.maximum(durations, 1.0))
    mu, sigma = float(logs.mean()), float(logs.std())
    return math.exp(mu), sigma, math.exp(mu + sigma**2 / 2)


def arrival_spec(rate: float, cv: float, zero_share: float) -> dict[str, Any]:
    """Poisson if the gaps' CV is near 1, else bursty with the model closer in zero gaps."""
    per_day = f"{_round(rate * DAY, 5)}/d"
    if abs(cv - 1.0) <= POISSON_CV or cv < 1.0:
        return {"kind": "poisson", "rate": per_day}
    batch_zero_share = (cv**2 - 1.0) / (cv**2 + 1.0)
    model = "batch" if abs(zero_share - batch_zero_share) < zero_share else "mmpp"
    return {"kind": "bursty", "rate": per_day, "cv": _round(cv, 4), "model": model}


def size_spec(sizes: np.ndarray) -> dict[str, Any]:
    """The observed sizes, weighted by how many jobs had each."""
    values, counts = np.unique(sizes, return_counts=True)
    if len(values) == 1:
        return {"kind": "fixed", "value": int(values[0])}
    return {"kind": "choice", "values": values.tolist(), "weights": counts.tolist()}


def duration_spec(durations: np.ndarray, lognormal: tuple[float, float, float]) -> dict[str, Any]:
    """The lognormal fit if it keeps the mean, else the trace's quantile-bin means."""
    median, sigma, lognormal_mean = lognormal
    mean = float(durations.mean())
    if abs(lognormal_mean / mean - 1.0) <= LOGNORMAL_TOLERANCE:
        return {"kind": "lognormal", "median": _round(median, 6), "sigma": round(sigma, 4)}
    ordered = np.sort(durations)
    edges = np.unique(np.round(np.asarray(QUANTILE_EDGES) * len(ordered)).astype(int))
    values, weights = [], []
    for low, high in itertools.pairwise(edges):
        values.append(_round(float(ordered[low:high].mean()), 9))
        weights.append(int(high - low))
    return {"kind": "choice", "values": values, "weights": weights}


def _cv(gaps: np.ndarray) -> float:
    return float(gaps.std() / gaps.mean())


def _round(value: float, digits: int) -> float:
    return float(f"{value:.{digits}g}")


def fit_report(fit: TraceFit, source: str) -> str:
    """The fitted class as a YAML workload list entry, with the figures it matches."""
    size_mean, duration_mean = fit.class_means()
    median, sigma, lognormal_mean = fit.lognormal
    lognormal_off = lognormal_mean / fit.mean_duration_s - 1.0
    kept = fit.workload["duration"]["kind"] == "lognormal"
    lines = [
        f"# capsim fit of {source}: {fit.jobs:,} jobs over {fit.span_s / DAY:.4g} d",
        f"# trace:  mean size {fit.mean_size:.6g} accelerators, mean duration "
        f"{fit.mean_duration_s:.6g} s, inter-arrival CV {fit.interarrival_cv:.4g} "
        f"({100 * fit.zero_gap_share:.3g}% simultaneous submits)",
        f"# class:  mean size {size_mean:.6g} accelerators, mean duration {duration_mean:.6g} s",
        f"# lognormal fit of the durations: median {median:.6g} s, sigma {sigma:.4g}, mean "
        f"{lognormal_mean:.6g} s ({100 * lognormal_off:+.3g}% off the trace's mean): "
        + (
            "used"
            if kept
            else "not used; the duration is the trace's quantile bins (bin means weighted by "
            "their counts), which keep the mean"
        ),
        *(
            ["# arrival: a profile fitted to the submit times; the rate and CV without it"]
            if "profile" in fit.workload["arrival"]
            else []
        ),
        "# set `origin` to the city the jobs come from; paste under `workload:`",
    ]
    body = yaml.safe_dump(
        [fit.workload], sort_keys=False, default_flow_style=None, width=96, allow_unicode=True
    )
    return "\n".join(lines) + "\n" + body
