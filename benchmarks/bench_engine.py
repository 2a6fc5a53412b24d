"""Engine throughput: capsim against a minimal SimPy process-per-job model of the same queue.

One center of 1,024 accelerators, mixed job sizes (1-64 accelerators), exponential run times,
offered load ρ ≈ 0.8, 10^6 jobs. Each model runs in its own subprocess so its peak memory
(max RSS) is its own; the table reports jobs per second and the ratio to the naive model,
all measured in this one command. "MB/1e6 jobs" is the peak memory the run added to the
process once its libraries were loaded (peak RSS less the RSS after imports), per 10^6 jobs:
what a longer run costs (sim.memory's estimate of a run uses it). The pool models are the speed
claim (≥ 4× naive); the last column gives the cost of placing jobs on servers of 8
(`consolidate`) and of preemption (`srtf`, `las`) as the ratio of capsim-fifo's speed to theirs.

    python benchmarks/bench_engine.py            # 10^6 jobs (PYTHONPATH=. from a checkout)
    python benchmarks/bench_engine.py --jobs 200000
    python benchmarks/bench_engine.py --models capsim-fifo   # the speed claim alone
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

import sim

ACCELERATORS = 1024
SIZES = [1, 2, 4, 8, 16, 32, 64]
WEIGHTS = [0.35, 0.15, 0.15, 0.15, 0.1, 0.05, 0.05]
MEAN_RUN_H = 1.0
RHO = 0.8
MODELS: dict[str, tuple[str, str]] = {
    "naive-simpy": ("fifo", "pool"),
    "capsim-fifo": ("fifo", "pool"),
    "capsim-easy-backfill": ("easy-backfill", "pool"),
    "capsim-fifo-consolidate": ("fifo", "consolidate"),
    "capsim-srtf": ("srtf", "pool"),
    "capsim-las": ("las", "pool"),
}
"""Model name: (local policy, placement) of capsim's scenario."""


def scenario_data(jobs: int, local: str, placement: str = "pool") -> dict:
    mean_size = float(np.dot(SIZES, WEIGHTS))
    rate_per_h = RHO * ACCELERATORS / (mean_size * MEAN_RUN_H)
    return {
        "name": "bench-one-center",
        "run": {"horizon": f"{jobs / rate_per_h}h", "seed": 1, "timeseries_step": "1h"},
        "cities": {"x": {"centers": {"c": {"accelerator": "h100", "count": ACCELERATORS}}}},
        "workload": [
            {
                "name": "mixed",
                "origin": "x",
                "arrival": {"kind": "poisson", "rate": f"{rate_per_h}/h"},
                "size": {"kind": "choice", "values": SIZES, "weights": WEIGHTS},
                "duration": {"kind": "exponential", "mean": f"{MEAN_RUN_H}h"},
            }
        ],
        "scheduling": {"local": local, "placement": placement},
    }


def run_capsim(jobs: int, local: str, placement: str) -> dict:
    from sim.engine import simulate
    from sim.metrics import run_metrics
    from sim.scenario.loader import validate_data

    scenario = validate_data(scenario_data(jobs, local, placement), "<bench>")
    started = time.perf_counter()
    result = simulate(scenario, 1)
    elapsed = time.perf_counter() - started
    metrics = run_metrics(result)["overall"]
    return {
        "jobs": result.jobs,
        "seconds": elapsed,
        "utilisation": metrics["utilisation"],
        "wait_mean_s": metrics["wait_mean_s"],
    }


def run_naive(jobs: int) -> dict:
    """The textbook SimPy model: a generator per job, a Container for the accelerators.

    SimPy's Container serves gets strictly in order, so this is FCFS gang scheduling, the same
    queue as capsim's ``fifo``, on the same demand.
    """
    import simpy

    from sim.scenario.loader import validate_data
    from sim.streams import run_seed
    from sim.workload import generate_demand

    scenario = validate_data(scenario_data(jobs, "fifo"), "<bench>")
    demand = generate_demand(scenario, run_seed(1))
    arrival, size, duration = (
        demand.arrival.tolist(),
        demand.size.tolist(),
        demand.duration.tolist(),
    )
    waits = [0.0] * len(arrival)
    started = time.perf_counter()
    env = simpy.Environment()
    pool = simpy.Container(env, capacity=ACCELERATORS, init=ACCELERATORS)

    def job(i):
        yield pool.get(size[i])
        waits[i] = env.now - arrival[i]
        yield env.timeout(duration[i])
        yield pool.put(size[i])

    def source():
        for i, t in enumerate(arrival):
            yield env.timeout(t - env.now)
            env.process(job(i))

    env.process(source())
    env.run(until=scenario.run.horizon)
    elapsed = time.perf_counter() - started
    return {
        "jobs": len(arrival),
        "seconds": elapsed,
        "utilisation": float("nan"),
        "wait_mean_s": float(np.mean(waits)),
    }


def build_line() -> str:
    """The first line of every benchmark's table: which capsim the rows time."""
    build = "compiled with mypyc" if sim.compiled() else "Python sources (see setup.py)"
    return f"capsim {sim.__version__}: {build}"


def peak_rss_mb() -> float:
    """This process's peak resident memory so far [MB] (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(model: str, jobs: int) -> None:
    import simpy  # noqa: F401  (loaded before the baseline, like capsim's modules)

    import sim.engine
    import sim.metrics  # noqa: F401

    loaded = peak_rss_mb()
    figures = run_naive(jobs) if model == "naive-simpy" else run_capsim(jobs, *MODELS[model])
    figures["peak_rss_mb"] = peak_rss_mb()
    figures["mb_per_million_jobs"] = (figures["peak_rss_mb"] - loaded) / figures["jobs"] * 1e6
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument(
        "--models",
        nargs="+",
        choices=MODELS,
        default=list(MODELS),
        help="models to run (naive-simpy and capsim-fifo always run: the ratios need them)",
    )
    parser.add_argument("--child", choices=MODELS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.jobs)
        return
    rows = {}
    for model in MODELS:
        if model not in {"naive-simpy", "capsim-fifo", *args.models}:
            continue
        output = subprocess.run(
            [sys.executable, __file__, "--child", model, "--jobs", str(args.jobs)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        rows[model] = json.loads(output)
    base = rows["naive-simpy"]["jobs"] / rows["naive-simpy"]["seconds"]
    fifo = rows["capsim-fifo"]["jobs"] / rows["capsim-fifo"]["seconds"]
    print(build_line())
    print(
        f"one center, {ACCELERATORS} accelerators, sizes {SIZES}, rho ~{RHO}, "
        f"{rows['capsim-fifo']['jobs']:,} jobs"
    )
    print(
        f"{'model':22} {'seconds':>8} {'jobs/s':>10} {'x naive':>8} {'peak MB':>8} "
        f"{'MB/1e6 jobs':>11} {'util':>6} {'wait mean':>10} {'cost vs fifo':>12}"
    )
    for model, row in rows.items():
        rate = row["jobs"] / row["seconds"]
        print(
            f"{model:22} {row['seconds']:8.2f} {rate:10,.0f} {rate / base:8.2f} "
            f"{row['peak_rss_mb']:8.0f} {row['mb_per_million_jobs']:11.0f} "
            f"{row['utilisation']:6.3f} {row['wait_mean_s']:9.0f}s {fifo / rate:11.2f}x"
        )


if __name__ == "__main__":
    main()
