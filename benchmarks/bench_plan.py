"""`capsim plan` against a grid sweep of the same knobs given exactly as many runs, both judged by
the same rule and both re-run on the same fresh seeds, on the national scenario (or any scenario
with a `plan:` section).

    python benchmarks/bench_plan.py                       # the national scenario as shipped
    python benchmarks/bench_plan.py --days 15 --out /tmp/bench-plan

For each planned variant, with B the runs the plan made:

- the grid reserves ``finalists × final_replications`` runs for its final check and spends the
  rest on a lattice of knob settings (per knob, evenly spread values, the most always among
  them) with as many points as ``replications`` runs each allow;
- its **naive** answer is the cheapest lattice point meeting the constraints by its means; its
  **certified** answer is the cheapest that passes the plan's final check (the one-sided t
  bounds of every constraint on fresh replications, Bonferroni over the places), lattice points
  tried cheapest first while runs remain of the B;
- the plan's choice and both grid answers are run again on replications of another seed: their
  TCO (mean ± 95% half-width), whether they pass the final check there, the worst place of each
  constraint, and the grid's certified TCO minus the plan's, paired replication by replication.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis import mean_ci95
from sim.batch.executors import Executor, make_executor
from sim.batch.plan_answer import plan_capacity
from sim.batch.plan_search import Candidate
from sim.batch.planning import Evaluation, Evaluator, PlanSetup, load_plan, metric_values

SCENARIO = Path(__file__).parents[1] / "scenarios" / "china-national.yaml"
FRESH_SEED_OFFSET = 1000


def grid_axes(
    sizes: list[int], most_points: int, runnable: Callable[[Candidate], bool] = lambda _: True
) -> list[list[int]]:
    """Per knob, evenly spread indices into its values (the most always, the least too from two
    values on), as many ``runnable`` points as fit within ``most_points`` (at least one):
    starting from one value a knob, add one to the knob with the smallest share of its values
    tried while the lattice still fits. Points a variant cannot run cost no runs."""
    counts = [1] * len(sizes)

    def fits(counts: list[int]) -> bool:
        axes = [_spread(count, size) for count, size in zip(counts, sizes, strict=True)]
        return sum(map(runnable, itertools.product(*axes))) <= max(most_points, 1)

    while True:
        growable = [
            knob
            for knob, size in enumerate(sizes)
            if counts[knob] < size
            and fits([c + 1 if k == knob else c for k, c in enumerate(counts)])
        ]
        if not growable:
            return [_spread(count, size) for count, size in zip(counts, sizes, strict=True)]
        knob = min(growable, key=lambda k: (counts[k] / sizes[k], -sizes[k]))
        counts[knob] += 1


def _spread(count: int, size: int) -> list[int]:
    if count == 1:
        return [size - 1]
    return sorted({round(i * (size - 1) / (count - 1)) for i in range(count)})


@dataclass
class GridAnswer:
    """A grid sweep's answers for one variant within a budget of runs."""

    points: int
    runs: int
    naive: Evaluation | None
    """The cheapest lattice point meeting the constraints by its search means."""
    certified: Evaluation | None
    """The cheapest lattice point passing the final check (on the final replications)."""


def grid_search(grid: Evaluator, variant: str, budget: int) -> GridAnswer:
    """Sweep a lattice of the knobs and certify its cheapest points, within ``budget`` runs."""
    plan = grid.setup.plan
    search = range(plan.replications)
    final = range(plan.replications, plan.replications + plan.final_replications)
    reserve = plan.finalists * plan.final_replications
    axes = grid_axes(
        grid.setup.sizes,
        (budget - reserve) // plan.replications,
        functools.cache(lambda candidate: grid.runnable(candidate, variant)),
    )
    points = list(itertools.product(*axes))
    screened = grid.evaluate(points, variant, search, "screen")
    ranked = sorted(
        (e for e in screened if e.verdict.feasible),
        key=lambda e: (e.verdict.objective, e.verdict.cost),
    )
    certified = None
    for evaluation in ranked:
        if _runs(grid, variant) + plan.final_replications > budget:
            break
        (check,) = grid.evaluate([evaluation.candidate], variant, final, "final")
        if check.verdict.feasible:
            certified = check
            break
    naive = ranked[0] if ranked else None
    return GridAnswer(len(points), _runs(grid, variant), naive, certified)


def _runs(evaluator: Evaluator, variant: str) -> int:
    return sum(1 for run in evaluator.rows if run.variant == variant)


def _candidate(setup: PlanSetup, knobs: dict[str, float]) -> Candidate:
    return tuple(
        values.index(knobs[knob.path])
        for knob, values in zip(setup.plan.knobs, setup.values, strict=True)
    )


def fresh_check(fresh: Evaluator, candidate: Candidate, variant: str) -> dict[str, Any]:
    """A plan run again on replications of another seed: TCO, the final check there, and every
    constraint (mean, 95% half-width)."""
    replications = range(fresh.setup.plan.final_replications)
    (check,) = fresh.evaluate([candidate], variant, replications, "final")
    return {
        "knobs": fresh.setup.params(candidate),
        "tco_cny": mean_ci95(metric_values(check.runs, "tco_cny", None)),
        "passes": check.verdict.feasible,
        "slos": [
            (bound.label(), *mean_ci95(metric_values(check.runs, bound.target.metric, bound.city)))
            for bound in fresh.setup.bounds
        ],
        "runs": check.runs,
    }


def compare(setup: PlanSetup, executor: Executor, out: Path) -> dict[str, Any]:
    """Plan, grid at the plan's runs, and both re-run on fresh seeds; numbers per variant."""
    evaluator = Evaluator(setup, executor, out / "plan", resume=True)
    document, _ = plan_capacity(evaluator)
    grid = Evaluator(setup, executor, out / "grid", resume=True)
    fresh_setup = load_plan(
        setup.path, seed=setup.seed + FRESH_SEED_OFFSET, overrides=_overrides(setup)
    )
    fresh = Evaluator(fresh_setup, executor, out / "fresh", resume=True)
    answers: dict[str, Any] = {}
    for variant, answer in document["variants"].items():
        chosen = answer["recommended"]
        budget = _runs(evaluator, variant)
        swept = grid_search(grid, variant, budget)
        entry: dict[str, Any] = {
            "plan_runs": budget,
            "grid_points": swept.points,
            "grid_runs": swept.runs,
            "plan": None,
            "grid_naive": None,
            "grid_certified": None,
            "grid_minus_plan_cny": None,
        }
        if chosen is not None:
            entry["plan"] = fresh_check(fresh, _candidate(setup, chosen["knobs"]), variant)
            entry["plan"]["final_tco_cny"] = chosen["tco_cny"]
        for key, found in (("grid_naive", swept.naive), ("grid_certified", swept.certified)):
            if found is not None:
                entry[key] = fresh_check(fresh, found.candidate, variant)
                entry[key]["final_tco_cny"] = found.verdict.cost
        if entry["plan"] is not None and entry["grid_certified"] is not None:
            pairs = zip(entry["grid_certified"]["runs"], entry["plan"]["runs"], strict=True)
            entry["grid_minus_plan_cny"] = mean_ci95(
                [
                    metric_values([g], "tco_cny", None)[0] - metric_values([p], "tco_cny", None)[0]
                    for g, p in pairs
                ]
            )
        answers[variant] = entry
    answers["pooling"] = document["pooling"]
    return answers


def _overrides(setup: PlanSetup) -> dict[str, Any]:
    return {"run": setup.data["run"], "plan": setup.data["plan"]}


def _million(pair: tuple[float, float]) -> str:
    return f"{pair[0] / 1e6:.1f} ± {pair[1] / 1e6:.1f} M CNY"


def _describe(name: str, found: dict[str, Any] | None) -> list[str]:
    if found is None:
        return [f"  {name}: none"]
    knobs = " / ".join(f"{value:g}" for value in found["knobs"].values())
    worst = max(found["slos"], key=lambda slo: slo[1], default=None)
    lines = [
        f"  {name}: {knobs}; TCO {found['final_tco_cny'] / 1e6:.1f} M CNY where chosen; "
        f"fresh seeds: TCO {_million(found['tco_cny'])}, passes the final check: "
        f"{found['passes']}"
    ]
    if worst is not None:
        lines.append(
            f"    worst constraint on fresh seeds: {worst[0]}: {worst[1]:.4g} ± {worst[2]:.2g}"
        )
    return lines


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
    pooling = results.pop("pooling")
    for variant, entry in results.items():
        print(
            f"{variant}: plan {entry['plan_runs']} runs; grid {entry['grid_points']} points, "
            f"{entry['grid_runs']} runs"
        )
        for name in ("plan", "grid_naive", "grid_certified"):
            for line in _describe(name, entry[name]):
                print(line)
        if entry["grid_minus_plan_cny"] is not None:
            difference = _million(entry["grid_minus_plan_cny"])
            print(f"  grid certified - plan, paired on fresh seeds: {difference}")
    for saving in pooling:
        print(
            f"{saving['variant']} instead of {saving['baseline']} saves "
            f"{_million((saving['saving_cny'], saving['saving_cny_ci95']))}"
        )


if __name__ == "__main__":
    main()
