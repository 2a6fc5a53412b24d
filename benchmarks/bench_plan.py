"""`capsim plan` against a grid sweep of the same knobs at the same budget of runs, and the
recommended plan re-run on fresh seeds, on the national scenario (or any scenario with a
`plan:` section).

    python benchmarks/bench_plan.py                       # the national scenario as shipped
    python benchmarks/bench_plan.py --days 20 --out /tmp/bench-plan

For each planned variant it prints the runs the plan made and the grid made, the TCO of each
one's choice on the same fresh replications, and each constraint of the plan on replications
of a different seed (mean ± 95% half-width).
"""

from __future__ import annotations

import argparse
import itertools
import math
import tempfile
from pathlib import Path
from typing import Any

from sim.analysis import mean_ci95
from sim.batch.executors import Executor, make_executor
from sim.batch.plan_answer import plan_capacity
from sim.batch.plan_search import Candidate
from sim.batch.planning import Evaluator, PlanSetup, load_plan, metric_values

SCENARIO = Path(__file__).parents[1] / "scenarios" / "china-national.yaml"
FRESH_SEED_OFFSET = 1000


def grid_lattice(sizes: list[int], budget_points: int) -> list[Candidate]:
    """Every s-th value of every knob (the most always included), with the smallest stride s
    whose grid has at most ``budget_points`` points."""
    for stride in itertools.count(1):
        axes = [list(range(size - 1, -1, -stride))[::-1] for size in sizes]
        if math.prod(len(axis) for axis in axes) <= budget_points or stride > max(sizes):
            return list(itertools.product(*axes))
    raise AssertionError("unreachable")


def compare(setup: PlanSetup, executor: Executor, out: Path) -> dict[str, Any]:
    """Plan, grid at the same runs, fresh-seed check; numbers per variant."""
    evaluator = Evaluator(setup, executor, out / "plan", resume=True)
    document, _ = plan_capacity(evaluator)
    grid = Evaluator(setup, executor, out / "grid", resume=True)
    fresh_setup = load_plan(
        setup.path, seed=setup.seed + FRESH_SEED_OFFSET, overrides=_overrides(setup)
    )
    fresh = Evaluator(fresh_setup, executor, out / "fresh", resume=True)
    plan = setup.plan
    search = range(plan.replications)
    final = range(plan.replications, plan.replications + plan.final_replications)
    answers: dict[str, Any] = {}
    for variant, answer in document["variants"].items():
        chosen = answer["recommended"]
        runs = sum(1 for run in evaluator.rows if run.variant == variant)
        points = grid_lattice(setup.sizes, runs // plan.replications)
        screened = grid.evaluate(points, variant, search, "screen")
        feasible = [e for e in screened if e.verdict.feasible]
        best = min(feasible, key=lambda e: e.verdict.cost) if feasible else None
        grid_final = (
            None if best is None else grid.evaluate([best.candidate], variant, final, "final")[0]
        )
        entry: dict[str, Any] = {
            "plan_runs": runs,
            "grid_runs": len(points) * plan.replications,
            "grid_points": len(points),
            "plan_tco_cny": None if chosen is None else chosen["tco_cny"],
            "grid_knobs": None if best is None else setup.params(best.candidate),
            "grid_tco_cny": None if grid_final is None else grid_final.verdict.cost,
            "grid_meets_on_fresh": None if grid_final is None else grid_final.verdict.meets,
            "pooling": document["pooling"],
        }
        if chosen is not None:
            candidate = next(
                e.candidate for e in evaluator.log if setup.params(e.candidate) == chosen["knobs"]
            )
            (check,) = fresh.evaluate(
                [candidate], variant, range(plan.final_replications), "screen"
            )
            entry["fresh"] = [
                (
                    bound.label(),
                    *mean_ci95(metric_values(check.runs, bound.target.metric, bound.city)),
                )
                for bound in setup.bounds
            ]
        answers[variant] = entry
    return answers


def _overrides(setup: PlanSetup) -> dict[str, Any]:
    return {"run": setup.data["run"], "plan": setup.data["plan"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", type=Path, default=SCENARIO)
    parser.add_argument("--days", type=float, help="shorten the horizon to this [d]")
    parser.add_argument("--out", type=Path, help="folder for the runs (default: a temporary one)")
    parser.add_argument("--workers", type=int, help="local processes (default: cores)")
    args = parser.parse_args()
    overrides = None
    if args.days:
        overrides = {"run": {"horizon": args.days * 86400.0, "warmup": args.days * 86400.0 / 5}}
    setup = load_plan(args.scenario, overrides=overrides)
    with (
        tempfile.TemporaryDirectory() as temporary,
        make_executor(workers=args.workers) as executor,
    ):
        results = compare(setup, executor, args.out or Path(temporary))
    for variant, entry in results.items():
        print(
            f"{variant}: plan {entry['plan_runs']} runs, TCO {entry['plan_tco_cny']:.6g} CNY; "
            f"grid {entry['grid_points']} points, {entry['grid_runs']} runs, best "
            f"{entry['grid_knobs']} TCO {entry['grid_tco_cny']} CNY (meets on fresh: "
            f"{entry['grid_meets_on_fresh']})"
        )
        for label, mean, ci in entry.get("fresh", []):
            print(f"  fresh seeds: {label}: {mean:.4g} ± {ci:.2g}")
    for saving in next(iter(results.values()))["pooling"]:
        print(
            f"{saving['variant']} instead of {saving['baseline']} saves "
            f"{saving['saving_cny']:.4g} ± {saving['saving_cny_ci95']:.2g} CNY"
        )


if __name__ == "__main__":
    main()
