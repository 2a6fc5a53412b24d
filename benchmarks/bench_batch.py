"""Batch throughput: 40 runs on 2 local worker processes against 1, and the cost per run of the
Dask path against local processes, all in one command.

1. Scaling: a batch of ``--runs`` runs (2 sweep points × 2 variants × replications) of an M/M/c
   center whose run takes about half a second, through ``capsim batch``'s runner (every run
   written to Parquet), on a pool of 1 and of 2 worker processes. Worker start-up (spawning,
   importing capsim) is measured apart and left out of the batch time.
2. Overhead: ``--tiny`` runs of a few milliseconds each, serially, through 2 local processes
   and through a Dask LocalCluster of 2 workers; with runs that short, the wall time per run is
   almost all dispatch, transfer and bookkeeping. The Dask overhead per run is the difference
   of the per-run times (Dask − processes).

    python benchmarks/bench_batch.py
    python benchmarks/bench_batch.py --runs 40 --horizon 6000h --tiny 200

The figures depend on the machine and on what else runs on it; report them with the machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import yaml

from sim.batch import DaskExecutor, Executor, ProcessExecutor, SerialExecutor, build_grid
from sim.batch.executors import Task
from sim.batch.runner import run_batch
from sim.batch.work import run_one

SWEEP = ["cities.lab.centers.pool.count=15,16"]


def scenario_file(folder: Path, horizon: str) -> Path:
    """M/M/c: λ = 12/h, exponential 1 h runs, one accelerator per job; two variants."""
    data = {
        "name": "bench-batch",
        "run": {"horizon": horizon, "warmup": "10h", "seed": 1},
        "cities": {"lab": {"centers": {"pool": {"accelerator": "a100", "count": 16}}}},
        "workload": [
            {
                "name": "jobs",
                "origin": "lab",
                "arrival": {"kind": "poisson", "rate": "12/h"},
                "size": {"kind": "fixed", "value": 1},
                "duration": {"kind": "exponential", "mean": "1h"},
            }
        ],
        "scheduling": {"local": "fifo"},
        "variants": {"fifo": {}, "sjf": {"scheduling": {"local": "sjf"}}},
    }
    path = folder / f"bench-{horizon}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def warm_up(executor: Executor, path: Path) -> float:
    """Start every worker and import capsim in it; the time it took [s]."""
    started = time.perf_counter()
    _, _, points = build_grid(path)
    tasks = [Task(0, "fifo", r, points[0].scenario, 1) for r in range(2 * executor.workers)]
    for _, outcome in executor.run(run_one, tasks):
        assert outcome.rows is not None, outcome.error
    return time.perf_counter() - started


def timed_batch(executor: Executor, path: Path, runs: int, out: Path) -> float:
    """Wall time [s] of a batch of ``runs`` runs (2 points × 2 variants × runs/4 replications)."""
    base, axes, points = build_grid(path, SWEEP)
    started = time.perf_counter()
    result = run_batch(
        path,
        base,
        axes,
        points,
        out=out,
        executor=executor,
        replications=runs // 4,
        progress=False,
    )
    elapsed = time.perf_counter() - started
    assert result.ran == runs and not result.failed, result.failed
    return elapsed


def measure(make: type[Executor] | None, path: Path, runs: int, folder: Path, **kw: object) -> dict:
    executor: Executor = SerialExecutor() if make is None else make(**kw)  # type: ignore[arg-type]
    with executor:
        start_up = warm_up(executor, path)
        out = folder / f"{executor.name}-{executor.workers}-{path.stem}"
        elapsed = timed_batch(executor, path, runs, out)
    return {"name": executor.name, "workers": executor.workers, "start": start_up, "s": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="runs of the scaling batch")
    parser.add_argument("--horizon", default="6000h", help="simulated time of a scaling run")
    parser.add_argument("--tiny", type=int, default=200, help="runs of the overhead batch")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        heavy = scenario_file(folder, args.horizon)
        one = measure(ProcessExecutor, heavy, args.runs, folder, workers=1)
        two = measure(ProcessExecutor, heavy, args.runs, folder, workers=2)
        print(f"\n1. {args.runs} runs of {args.horizon} (about 12 jobs/h), runner + Parquet:")
        for row in (one, two):
            print(
                f"   {row['workers']} worker(s): {row['s']:6.2f} s "
                f"({row['s'] / args.runs:.3f} s/run; start-up {row['start']:.1f} s, not counted)"
            )
        print(f"   speed-up 2 workers vs 1: {one['s'] / two['s']:.2f}x")

        tiny = scenario_file(folder, "20h")
        rows = [
            measure(None, tiny, args.tiny, folder),
            measure(ProcessExecutor, tiny, args.tiny, folder, workers=2),
            measure(DaskExecutor, tiny, args.tiny, folder, workers=2),
        ]
        print(f"\n2. {args.tiny} runs of 20 h (a few ms of simulation each):")
        for row in rows:
            per_run = 1000 * row["s"] / args.tiny
            print(
                f"   {row['name']:9s} {row['workers']} worker(s): {row['s']:6.2f} s "
                f"= {per_run:6.2f} ms/run (start-up {row['start']:.1f} s, not counted)"
            )
        difference = 1000 * (rows[2]["s"] - rows[1]["s"]) / args.tiny
        print(f"   Dask overhead per run vs local processes: {difference:+.2f} ms")


if __name__ == "__main__":
    main()
