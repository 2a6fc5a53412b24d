"""A run's per-job records: narrow columns, bounded memory, the job table in chunks or none."""

import json
import tracemalloc

import numpy as np
import pandas as pd
import yaml

from sim.cli import main
from sim.engine import simulate
from sim.metrics import jobs_table, jobs_table_chunks, run_metrics
from tests.conftest import build, one_center

BYTES_PER_JOB = 200
"""What simulate + run_metrics may hold at their peak per job (the issue's budget: 200 MB per
10^6 jobs); ~140 measured with tracemalloc at 2·10^4 jobs, ~500 before columns replaced the
engine's Python lists."""


def busy_two_cities(horizon: str = "100h") -> dict:
    """Two cities, on-demand dispatch, jobs that queue and move: every per-job column is used."""
    data = one_center(8, rate="6/h", horizon=horizon, warmup="10h")
    data["cities"]["b"] = {"centers": {"b1": {"accelerator": "h100", "count": 6}}}
    data["workload"].append(
        {
            "name": "moving",
            "origin": {"a": 1, "b": 2},
            "arrival": {"kind": "poisson", "rate": "4/h"},
            "size": {"kind": "choice", "values": [1, 2, 4]},
            "duration": {"kind": "exponential", "mean": "1h"},
            "dataset": "1TB",
        }
    )
    data["dispatch"] = "on-demand"
    return data


def test_the_job_table_in_chunks_is_the_whole_table():
    result = simulate(build(busy_two_cities()), 1)
    whole = jobs_table(result)
    chunks = list(jobs_table_chunks(result, rows_per_chunk=97))
    assert len(chunks) == -(-result.jobs // 97) > 3
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    assert (whole["center"] != "(none)").any() and (whole["city"] == "b").any()


def test_a_run_keeps_its_jobs_in_narrow_columns_not_python_lists():
    result = simulate(build(busy_two_cities()), 1)
    assert result.center.dtype == np.int16 and result.demand.size.dtype == np.int32
    for column in (result.start, result.end, result.ready, result.duration):
        assert isinstance(column, np.ndarray) and column.dtype == np.float64


def test_simulate_and_metrics_stay_within_the_memory_budget_per_job():
    data = one_center(64, rate="500/h", horizon="40h", size={"kind": "choice", "values": [1, 2]})
    run_metrics(simulate(build({**data, "run": {"horizon": "1h"}}), 1))  # modules loaded once
    tracemalloc.start()
    try:
        result = simulate(build(data), 1)
        run_metrics(result)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.jobs > 15_000
    assert peak / result.jobs < BYTES_PER_JOB


def test_run_without_the_job_table_writes_the_same_summary_and_no_jobs_file(tmp_path):
    summaries = {}
    for keep in (True, False):
        data = busy_two_cities()
        data["run"]["job_table"] = keep
        path = tmp_path / f"{keep}.yaml"
        path.write_text(yaml.safe_dump(data))
        out = tmp_path / f"out-{keep}"
        assert main(["run", str(path), "--out", str(out), "--quiet"]) == 0
        assert (out / "jobs.parquet").exists() == keep
        assert (out / "timeseries.parquet").exists()
        summary = json.loads((out / "summary.json").read_text())
        summaries[keep] = {key: summary[key] for key in ("variants", "comparisons")}
    assert summaries[True] == summaries[False]
