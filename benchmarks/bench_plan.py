"""`capsim plan` against a grid sweep of the same knobs given exactly as many runs, both judged by
the same rule and both re-run on the same fresh seeds, on the national scenario (or any scenario
with a `plan:` section).

    python benchmarks/bench_plan.py                       # the national scenario as shipped
    python benchmarks/bench_plan.py --days 15 --out /tmp/bench-plan --fresh 20

For each planned variant, with B the runs the plan made:

- the grid reserves ``finalists × final_replications`` runs for its final check and spends the
  rest on a lattice of knob settings (per knob, evenly spread values, the most always among
  them) with as many points as ``replications`` runs each allow;
- its **naive** answer is the cheapest lattice point meeting the constraints by its means; its
  **certified** answer is the cheapest that passes the plan's final check (the one-sided t
  bounds of every constraint on fresh replications, Bonferroni over the places), lattice points
  tried cheapest first while runs remain of the B;
- the plan's choice and both grid answers are run again on ``--fresh`` replications of another
  seed: their TCO (mean ± 95% half-width), whether they would pass the final check there, the
  three tightest constraints as the final check judges them (a p95 wait by the pooled share of
  jobs waiting longer than its bound, with its one-sided bounds at the Bonferroni level) and
  what the fresh seeds say of each (certified, met by the estimate, not rejected, rejected),
  and the grid's certified TCO minus the plan's, paired replication by replication.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import tempfile
import time
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


def fresh_check(
    fresh: Evaluator, candidate: Candidate, variant: str, replications: int
) -> dict[str, Any]:
    """A plan run again on ``replications`` of another seed: TCO, whether it would pass the
    final check there, and every constraint as the final check judges it (the estimate and its
    one-sided bounds at the Bonferroni level) beside the metric's mean ± 95% half-width."""
    (check,) = fresh.evaluate([candidate], variant, range(replications), "final")
    slos = []
    for bound, judged in zip(fresh.setup.bounds, fresh.judged(check.runs, "final"), strict=True):
        mean, half = mean_ci95(metric_values(check.runs, bound.target.metric, bound.city))
        slos.append(
            {
                "label": bound.label(),
                "statistic": judged.statistic,
                "estimate": judged.estimate,
                "upper": judged.used,
                "lower": 2 * judged.estimate - judged.used,
                "allowed": judged.allowed,
                "metric_mean": mean,
                "metric_ci95": half,
            }
        )
    return {
        "knobs": fresh.setup.params(candidate),
        "tco_cny": mean_ci95(metric_values(check.runs, "tco_cny", None)),
        "passes": check.verdict.feasible,
        "slos": slos,
        "runs": check.runs,
    }


def holds(slo: dict[str, Any]) -> str:
    """What fresh seeds say of a constraint: "certified" (its upper bound meets it), "met by the
    estimate", "not rejected" (its lower bound meets it), or "rejected"."""
    if slo["upper"] <= slo["allowed"]:
        return "certified"
    if slo["estimate"] <= slo["allowed"]:
        return "met by the estimate"
    return "not rejected" if slo["lower"] <= slo["allowed"] else "rejected"


def compare(
    setup: PlanSetup, executor: Executor, out: Path, fresh_replications: int | None = None
) -> dict[str, Any]:
    """Plan, grid at the plan's runs, and both re-run on fresh seeds (``fresh_replications``,
    by default the plan's final replications); numbers per variant."""
    replications = fresh_replications or setup.plan.final_replications
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
            candidate = _candidate(setup, chosen["knobs"])
            entry["plan"] = fresh_check(fresh, candidate, variant, replications)
            entry["plan"]["final_tco_cny"] = chosen["tco_cny"]
        for key, found in (("grid_naive", swept.naive), ("grid_certified", swept.certified)):
            if found is not None:
                entry[key] = fresh_check(fresh, found.candidate, variant, replications)
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
    lines = [
        f"  {name}: {knobs}; TCO {found['final_tco_cny'] / 1e6:.1f} M CNY where chosen; "
        f"fresh seeds: TCO {_million(found['tco_cny'])}, passes the final check: "
        f"{found['passes']}"
    ]
    for slo in sorted(found["slos"], key=lambda s: -s["upper"] / (abs(s["allowed"]) or 1.0))[:3]:
        if slo["statistic"] == "share":
            value = (
                f"share over {slo['estimate']:.2%} (bounds {slo['lower']:.2%} .. "
                f"{slo['upper']:.2%}, allowed {slo['allowed']:.0%})"
            )
        else:
            value = f"{slo['estimate']:.4g} (bounds {slo['lower']:.4g} .. {slo['upper']:.4g})"
        lines.append(
            f"    fresh: {slo['label']}: {value}; {holds(slo)}; metric mean "
            f"{slo['metric_mean']:.4g} ± {slo['metric_ci95']:.2g}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", type=Path, default=SCENARIO)
    parser.add_argument("--days", type=float, help="shorten the horizon to this [d]")
    parser.add_argument("--out", type=Path, help="folder for the runs (default: a temporary one)")
    parser.add_argument("--workers", type=int, help="local processes (default: cores)")
    parser.add_argument(
        "--fresh", type=int, default=40, help="replications of the fresh seed (default 40)"
    )
    args = parser.parse_args()
    overrides = None
    if args.days:
        overrides = {"run": {"horizon": args.days * 86400.0, "warmup": args.days * 86400.0 / 5}}
    setup = load_plan(args.scenario, overrides=overrides)
    began = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as temporary,
        make_executor(workers=args.workers) as executor,
    ):
        results = compare(setup, executor, args.out or Path(temporary), args.fresh)
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
    print(f"{time.perf_counter() - began:.0f} s in all")


if __name__ == "__main__":
    main()
