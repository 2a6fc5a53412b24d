"""capsim size against Erlang C: the smallest c whose M/M/c wait meets a target.

For λ = 12/h and μ = 1/h (one accelerator per job, FCFS), Erlang C gives the 95th percentile
of the wait, P(W > t) = C(c, a)·exp(−(cμ − λ)t):
c = 15 → 2,225 s, c = 16 → 1,268 s, c = 17 → 669 s; and the mean W_q = C/(cμ − λ):
c = 15 → 383 s, c = 16 → 184 s. A target between c = 15 and c = 16 must be answered 16, or 17
when the confidence bound at 16 is not yet below the target (never 15: its true value is well
above the bound, and the search judges the upper confidence bound, which lies above the mean).
"""

import json

import pandas as pd
import pytest
import yaml

from sim.batch import SerialExecutor
from sim.batch.sizing import Target, search, size_capacity
from sim.cli import main
from sim.queueing import mmc_wait_mean, mmc_wait_quantile
from tests.conftest import one_center

LAMBDA, MU = 12.0, 1.0  # [1/h]
VARY = "cities.a.centers.c.count"


@pytest.fixture
def mmc_file(tmp_path):
    data = one_center(20, rate="12/h", horizon="1500h", warmup="50h")
    path = tmp_path / "mmc.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def smallest_c(metric):
    """The smallest c at which the Erlang C value of ``metric`` [s] is within its bound."""
    return next(c for c in range(13, 40) if metric(c) <= BOUNDS[metric])


def p95(c):
    return 3600 * mmc_wait_quantile(LAMBDA, MU, c, 0.95)


def mean(c):
    return 3600 * mmc_wait_mean(LAMBDA, MU, c)


BOUNDS = {p95: 1800.0, mean: 300.0}


@pytest.mark.parametrize(("metric", "name"), [(p95, "wait_p95_s"), (mean, "wait_mean_s")])
def test_sizing_finds_the_erlang_c_answer(mmc_file, metric, name):
    expected = smallest_c(metric)
    assert expected == 16  # the bounds sit between c = 15 and c = 16
    target = Target.parse(f"{name} <= {BOUNDS[metric]}")
    sizing = size_capacity(
        mmc_file, VARY, target, executor=SerialExecutor(), replications=5, seed=3
    )
    assert sizing.answer in (expected, expected + 1)
    by_value = {e.value: e for e in sizing.evaluations}
    assert not by_value[expected - 1].meets
    assert all(e.meets == (e.bound_used <= target.bound) for e in sizing.evaluations)
    assert all(e.bound_used == pytest.approx(e.mean + e.ci95) for e in sizing.evaluations)
    assert len(sizing.evaluations) <= 8  # a grid over 1..20 would need 20


def test_cli_size_with_a_range_writes_the_curve(mmc_file, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["size", str(mmc_file), "--vary", VARY, "--target", "wait_p95_s <= 30min"]
    args += ["--range", "10:24", "--replications", "4", "--serial", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    document = json.loads((out / "sizing.json").read_text())
    assert document["answer"] in (16, 17) and f"{VARY} = {document['answer']}" in printed
    assert document["metric"] == "wait_p95_s" and document["bound"] == 1800.0
    assert document["op"] == "<=" and document["city"] is None
    values = [e["value"] for e in document["evaluations"]]
    assert values == sorted(values) and 24 in values and len(values) <= 6
    assert f"{len(values)} values, {4 * len(values)} runs" in printed
    curve = pd.read_parquet(out / "sizing.parquet")
    assert list(curve["value"]) == values and curve["replications"].eq(4).all()


def test_cli_size_rejects_bad_input(mmc_file, capsys):
    base = ["size", str(mmc_file), "--vary", VARY, "--serial"]
    assert main([*base, "--target", "wait_p95_s <= 1h", "--city", "nowhere"]) == 2
    assert "no city 'nowhere'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main([*base, "--target", "wiat_p95_s <= 1h"])
    assert caught.value.code == 2
    assert "unknown metric 'wiat_p95_s'" in capsys.readouterr().err


def linear(scenario, variant, seed, replication):
    """A stand-in run: jobs completed = 10 per accelerator, ±1.5 from one replication to the
    next (mean 10·c, 95% half-width 2.05 over 4 replications)."""
    count = scenario.cities["a"].centers["c"].count
    row = {"level": "overall", "city": "", "center": "", "jobs_completed": 10 * count}
    row["jobs_completed"] += replication - 1.5
    return pd.DataFrame([row])


def test_a_lower_bound_target_with_a_step(mmc_file):
    target = Target.parse("jobs_completed >= 155")
    sizing = size_capacity(
        mmc_file, VARY, target, executor=SerialExecutor(), replications=4, step=2, function=linear
    )
    # 10·c − 2.05 >= 155 needs c >= 15.7: 16 is the first even value
    assert sizing.answer == 16
    assert all(e.value % 2 == 0 for e in sizing.evaluations)
    last = {e.value: e for e in sizing.evaluations}[16]
    assert last.bound_used == pytest.approx(160 - last.ci95) and last.ci95 == pytest.approx(
        2.05, 0.01
    )


@pytest.mark.parametrize("answer", [1, 2, 7, 8, 9, 63, 64, 1000])
@pytest.mark.parametrize("start", [None, 1, 8, 50])
def test_search_finds_the_threshold_of_a_monotone_test(answer, start):
    calls = []

    def meets(value):
        calls.append(value)
        return value >= answer

    assert search(meets, 1, None, start) == answer
    assert len(calls) == len(set(calls)) <= 2 * 11 + 2  # about 2·log2(distance), no repeats
    calls.clear()
    assert search(meets, 1, 2000, None) == answer
    assert len(calls) <= 12
    assert search(meets, 1, answer - 1, None) is None if answer > 1 else True
