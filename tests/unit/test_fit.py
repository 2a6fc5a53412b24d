"""capsim fit: the fitted class keeps the trace's means and recognises its arrival pattern."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.scenario import schema
from sim.streams import stream
from sim.units import parse_rate
from sim.workload.arrivals import arrival_times
from sim.workload.distributions import BatchGaps, Hyperexponential, from_spec
from sim.workload.fit import fit_trace
from sim.workload.trace import Trace

SCENARIOS = Path(__file__).parents[2] / "scenarios"
EXCERPT = SCENARIOS / "data" / "philly_excerpt.csv"
FULL = Path("/work/shared/data/philly_jobs.csv")
DAY = 86400.0


def printed_class(text: str) -> schema.WorkloadClass:
    return schema.WorkloadClass.model_validate(yaml.safe_load(text)[0])


def stated(text: str, who: str) -> tuple[float, float]:
    """The mean size and duration the output states for the trace or the class."""
    line = next(line for line in text.splitlines() if line.startswith(f"# {who}:"))
    size, duration = re.findall(r"mean (?:size|duration) ([\d.e+]+)", line)
    return float(size), float(duration)


def test_the_fitted_class_keeps_the_excerpts_means(capsys):
    assert main(["fit", str(EXCERPT), "--name", "philly", "--origin", "beijing"]) == 0
    text = capsys.readouterr().out
    trace = pd.read_csv(EXCERPT)
    fitted = printed_class(text)
    assert from_spec(fitted.size).mean == pytest.approx(trace["num_gpus"].mean(), rel=1e-9)
    assert from_spec(fitted.duration).mean == pytest.approx(trace["duration"].mean(), rel=1e-6)
    assert stated(text, "trace") == pytest.approx(stated(text, "class"), rel=1e-5)
    assert stated(text, "trace") == pytest.approx(
        (trace["num_gpus"].mean(), trace["duration"].mean()), rel=1e-5
    )
    submit = pd.to_datetime(trace["timestamp"])
    span = (submit.max() - submit.min()).total_seconds()
    assert fitted.arrival.rate == pytest.approx((len(trace) - 1) / span, rel=1e-4)
    assert fitted.name == "philly" and fitted.origin == {"beijing": 1.0}


@pytest.mark.skipif(not FULL.exists(), reason="the full Philly trace is not on this machine")
def test_the_fitted_class_keeps_the_full_philly_traces_means(capsys):
    assert main(["fit", str(FULL)]) == 0
    text = capsys.readouterr().out
    trace = pd.read_csv(FULL)
    assert stated(text, "class") == pytest.approx(
        (trace["num_gpus"].mean(), trace["duration"].mean()), rel=1e-5
    )
    fitted = printed_class(text)
    assert isinstance(fitted.arrival, schema.BurstyArrival)
    assert fitted.arrival.cv == pytest.approx(15, rel=0.05)  # DOMAIN.md: Philly's CV is ~15


def synthetic(gaps: np.ndarray, durations: np.ndarray) -> Trace:
    sizes = np.where(np.arange(len(durations)) % 4 == 0, 8, 1)
    return Trace(np.concatenate([[0.0], np.cumsum(gaps)]), sizes, durations, None)


def test_a_lognormal_trace_is_fitted_by_a_lognormal():
    rng = stream(np.random.SeedSequence(5), "fit")
    durations = rng.lognormal(math.log(3600), 1.0, 20_001)
    fit = fit_trace(synthetic(rng.exponential(60.0, 20_000), durations))
    duration = fit.workload["duration"]
    assert duration["kind"] == "lognormal"
    # exp(mean of logs) estimates the median with standard error σ/√n on the log scale.
    assert math.log(duration["median"] / 3600) == pytest.approx(0, abs=4 / math.sqrt(20_001))
    assert fit.class_means()[1] == pytest.approx(durations.mean(), rel=0.05)
    arrival = fit.workload["arrival"]
    assert arrival["kind"] == "poisson"
    # The rate's estimate has relative standard error 1/√n.
    assert parse_rate(arrival["rate"]) == pytest.approx(1 / 60, rel=4 / math.sqrt(20_000))


@pytest.mark.parametrize(("gaps", "model"), [(BatchGaps, "batch"), (Hyperexponential, "mmpp")])
def test_bursty_arrivals_are_recognised_with_their_cv_and_model(gaps, model):
    rng = stream(np.random.SeedSequence(6), "fit", model)
    trace = synthetic(600.0 * gaps.with_cv(4.0).sample(rng, 50_000), np.full(50_001, 60.0))
    arrival = fit_trace(trace).workload["arrival"]
    assert arrival["kind"] == "bursty" and arrival["model"] == model
    assert arrival["cv"] == pytest.approx(4.0, rel=0.1)
    assert fit_trace(trace).workload["duration"] == {
        "kind": "lognormal",
        "median": 60.0,
        "sigma": 0.0,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "gpus"], "no column 'gpus'"),
        (["--submit", "cluster"], "neither a number of seconds nor a date-time"),
    ],
)
def test_bad_traces_exit_2_with_the_problem(capsys, args, message):
    assert main(["fit", str(EXCERPT), *args]) == 2
    assert message in capsys.readouterr().err


def test_a_missing_trace_exits_2(tmp_path, capsys):
    assert main(["fit", str(tmp_path / "none.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_daily_profile_is_recovered_and_not_counted_as_burstiness():
    daily = [0.2] * 8 + [3.0] * 8 + [1.0] * 8
    arrival = schema.PoissonArrival.model_validate(
        {"kind": "poisson", "rate": "2000/d", "profile": {"daily": daily}}
    )
    times = arrival_times(arrival, stream(np.random.SeedSequence(8), "fit", "profile"), 28 * DAY)
    trace = Trace(
        times - times[0], np.ones(len(times), int), np.full(len(times), 60.0), None, times[0]
    )
    plain = fit_trace(trace).workload["arrival"]
    assert plain["kind"] == "bursty" and plain["cv"] > 1.2
    fitted = fit_trace(trace, profile=True).workload["arrival"]
    assert fitted["kind"] == "poisson"
    assert parse_rate(fitted["rate"]) * DAY == pytest.approx(2000, rel=4 / math.sqrt(len(times)))
    expected = np.array(daily) / np.mean(daily)
    per_hour = len(times) / 24 * expected  # jobs behind each multiplier
    error = np.abs(np.array(fitted["profile"]["daily"]) - expected)
    assert np.all(error <= 4 * expected / np.sqrt(per_hour) + 2e-3)
    assert fitted["profile"]["weekly"] == pytest.approx(
        [1.0] * 7, abs=4 / math.sqrt(len(times) / 7)
    )
