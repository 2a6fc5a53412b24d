"""Arrival processes against their definitions: growth, profiles, steps and burstiness.

Each test replicates the process with independent streams and judges the estimate by its
confidence interval (or a chi-square test), never by a seed-pinned number.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter
from scipy import stats

from sim.scenario import schema
from sim.streams import run_seed, stream
from sim.units import YEAR
from sim.workload import generate_demand
from sim.workload.arrivals import CumulativeRate, arrival_times, expected_arrivals
from tests.conftest import build, one_center

DAY = 86400.0
Z = 3.3  # two-sided ~99.9%: a correct process fails about once in a thousand runs


def spec(**fields):
    return TypeAdapter(schema.Arrival).validate_python(fields)


def replicate(arrival, horizon, replications):
    return [
        arrival_times(arrival, stream(run_seed(7, r), "test", "arrivals"), horizon)
        for r in range(replications)
    ]


def assert_mean_in_ci(samples, target):
    samples = np.asarray(samples, dtype=float)
    half = Z * samples.std(ddof=1) / math.sqrt(len(samples))
    assert abs(samples.mean() - target) <= half, (samples.mean(), target, half)


def follows(observed, weights):
    """Chi-square test that counts split in proportion to the weights."""
    expected = np.asarray(weights, dtype=float) / np.sum(weights) * np.sum(observed)
    return stats.chisquare(observed, expected).pvalue > 1e-3


def yearly_counts(runs, years):
    return np.array([np.histogram(t, bins=np.arange(years + 1) * YEAR)[0] for t in runs])


@pytest.mark.parametrize(
    "arrival",
    [
        {"kind": "poisson", "rate": "3000/y", "growth": "60%/y"},
        {"kind": "bursty", "rate": "3000/y", "growth": "60%/y", "cv": 3},
    ],
    ids=["poisson", "bursty"],
)
def test_arrivals_per_year_grow_by_the_stated_factor(arrival):
    counts = yearly_counts(replicate(spec(**arrival), 3 * YEAR, 40), 3)
    # Year i holds ∫ rate = 3000 · 1.6^i · 0.6 / ln 1.6 jobs on average.
    for year in range(3):
        assert_mean_in_ci(counts[:, year], 3000 * 1.6**year * 0.6 / math.log(1.6))
    pooled = counts.sum(axis=0)
    assert pooled[1] / pooled[0] == pytest.approx(1.6, rel=0.03)
    assert pooled[2] / pooled[1] == pytest.approx(1.6, rel=0.03)


def test_counts_per_hour_of_day_follow_the_daily_profile():
    daily = [1.0] * 8 + [4.0] * 4 + [2.0] * 8 + [0.0] * 4  # not normalised on purpose
    arrival = spec(kind="poisson", rate="480/d", profile={"daily": daily})
    times = np.concatenate(replicate(arrival, 30 * DAY, 4))
    observed = np.bincount((times // 3600).astype(int) % 24, minlength=24)
    expected = np.array(daily) / np.mean(daily) * 480 / 24 * 30 * 4
    assert observed.sum() == pytest.approx(expected.sum(), rel=Z / math.sqrt(expected.sum()))
    assert (observed[-4:] == 0).all()
    assert follows(observed[:-4], expected[:-4])


def test_counts_per_weekday_follow_the_weekly_profile_with_the_daily_one():
    weekly = [1, 1, 1, 1, 1, 0.5, 0.25]
    daily = [0.5] * 12 + [1.5] * 12
    arrival = spec(kind="poisson", rate="200/d", profile={"daily": daily, "weekly": weekly})
    times = np.concatenate(replicate(arrival, 28 * DAY, 5))
    by_day = np.bincount((times // DAY).astype(int) % 7, minlength=7)
    expected = np.array(weekly) / np.mean(weekly) * 200 * 4 * 5
    assert follows(by_day, expected)
    afternoon = ((times % DAY) >= 12 * 3600).mean()
    assert afternoon == pytest.approx(0.75, abs=Z * math.sqrt(0.75 * 0.25 / len(times)))


def test_a_step_table_sets_the_rate_of_each_period():
    steps = [{"at": 0, "rate": "100/d"}, {"at": "10d", "rate": "300/d"}]
    arrival = spec(kind="poisson", rates=steps)
    runs = replicate(arrival, 20 * DAY, 30)
    before = [np.sum(t < 10 * DAY) for t in runs]
    after = [np.sum(t >= 10 * DAY) for t in runs]
    assert_mean_in_ci(before, 1000)
    assert_mean_in_ci(after, 3000)


def test_the_non_homogeneous_process_is_poisson_in_every_window():
    """Counts in a window of an NHPP are Poisson: variance equals mean (dispersion ≈ 1)."""
    arrival = spec(kind="poisson", rate="50/d", growth="100%/y", profile={"weekly": [1] * 6 + [3]})
    runs = replicate(arrival, 60 * DAY, 400)
    counts = np.array([np.sum((t >= 33 * DAY) & (t < 35 * DAY)) for t in runs])
    mean = CumulativeRate.of(arrival, 35 * DAY).total - CumulativeRate.of(arrival, 33 * DAY).total
    assert_mean_in_ci(counts, mean)
    dispersion = counts.var(ddof=1) / mean
    # (n - 1)·s²/σ² ~ χ²(n - 1) for Poisson counts of this size.
    low, high = stats.chi2.ppf([5e-4, 1 - 5e-4], df=len(counts) - 1) / (len(counts) - 1)
    assert low < dispersion < high


@pytest.mark.parametrize("model", ["batch", "mmpp"])
@pytest.mark.parametrize("cv", [1.0, 3.0, 15.0])
def test_bursty_arrivals_reach_the_configured_cv_and_rate(model, cv):
    arrival = spec(kind="bursty", rate="200/d", cv=cv, model=model)
    runs = replicate(arrival, 400 * DAY, 20)
    gaps = [np.diff(t) for t in runs]
    assert_mean_in_ci([g.std() / g.mean() for g in gaps], cv)
    assert_mean_in_ci([len(t) for t in runs], 200 * 400)


def test_expected_arrivals_is_the_cumulative_rate():
    arrival = spec(kind="poisson", rate="1000/y", growth="60%/y")
    assert expected_arrivals(arrival, YEAR) == pytest.approx(1000 * 0.6 / math.log(1.6))
    steps = spec(kind="bursty", cv=2, rates=[{"at": 0, "rate": "1/d"}, {"at": "5d", "rate": 0}])
    assert expected_arrivals(steps, 30 * DAY) == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "poisson"}, "give exactly one of `rate` or `rates`"),
        ({"kind": "poisson", "rate": 1, "rates": [{"at": 0, "rate": 1}]}, "exactly one"),
        ({"kind": "poisson", "rates": [{"at": "1d", "rate": 1}]}, "first step"),
        (
            {"kind": "poisson", "rates": [{"at": 0, "rate": 1}, {"at": 0, "rate": 2}]},
            "increasing order",
        ),
        ({"kind": "poisson", "rate": 1, "profile": {"daily": [1] * 23}}, "at least 24"),
        ({"kind": "poisson", "rate": 1, "profile": {"weekly": [0] * 7}}, "not all be zero"),
        ({"kind": "poisson", "rate": 1, "profile": {}}, "`daily` and/or `weekly`"),
        ({"kind": "poisson", "rate": 1, "growth": "-100%/y"}, "negative or zero"),
        ({"kind": "poisson", "rate": 1, "growth": "60%"}, "expected a growth"),
        ({"kind": "bursty", "rate": 1, "cv": 0.5}, "greater than or equal to 1"),
    ],
)
def test_bad_rate_models_are_rejected(fields, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        spec(**fields)


def test_a_scenario_with_growth_and_a_profile_generates_its_demand():
    data = one_center(capacity=64, horizon="14d")
    data["workload"][0]["arrival"] = {
        "kind": "bursty",
        "rate": "40/h",
        "cv": 4,
        "growth": "5%/w",
        "profile": {"daily": [1] * 12 + [2] * 12},
    }
    demand = generate_demand(build(data), run_seed(1))
    assert np.all(np.diff(demand.arrival) >= 0)
    assert demand.arrival.min() >= 0 and demand.arrival.max() < 14 * DAY
    assert len(demand) > 0.5 * 40 * 24 * 14
