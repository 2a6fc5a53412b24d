"""The national scenario over a simulated year: run time and jobs per second per variant,
next to the single-center engine benchmark at the same number of jobs, in one command.

    python benchmarks/bench_national.py            # 365 days, about 10^6 jobs per variant
    python benchmarks/bench_national.py --days 60
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench_engine import build_line, run_capsim

from sim import load_scenario
from sim.engine import simulate
from sim.scenario import expand_variants

SCENARIO = Path(__file__).parents[1] / "scenarios" / "china-national.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=365.0, help="simulated days [d]")
    args = parser.parse_args()
    horizon = args.days * 86400.0
    scenario = load_scenario(SCENARIO, overrides={"run": {"horizon": horizon, "warmup": 0}})
    rows = []
    for name, variant in expand_variants(scenario).items():
        started = time.perf_counter()
        result = simulate(variant, 1)
        rows.append((f"national {name}", result.jobs, time.perf_counter() - started))
    reference = run_capsim(rows[0][1], "easy-backfill", "pool")
    rows.append(("one center easy-backfill", reference["jobs"], reference["seconds"]))
    print(build_line())
    print(f"china-national, {args.days:g} simulated days, {len(scenario.cities)} cities")
    print(f"{'run':28} {'jobs':>10} {'seconds':>8} {'jobs/s':>9} {'s per sim. year':>16}")
    for label, jobs, seconds in rows:
        per_year = seconds * 365.0 / args.days if label.startswith("national") else float("nan")
        print(f"{label:28} {jobs:10,} {seconds:8.1f} {jobs / seconds:9,.0f} {per_year:16.1f}")


if __name__ == "__main__":
    main()
