"""`capsim plan`'s answer: the search and final check per variant, the recommended plan and its
runners-up, the cost-versus-wait frontier and what pooling saves (plan.json, plan.parquet)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.analysis import mean_ci95
from sim.batch.plan_bounds import allowed_share
from sim.batch.plan_search import Candidate, Judge, greedy_up, improve, lower_bounds
from sim.batch.planning import Evaluation, Evaluator, PlanSetup, frontier_metric, metric_values

METHOD = (
    "Each candidate plan sets every knob to one of its values; all candidates run on the same "
    "seeds (common random numbers). A wait quantile constraint such as p95 wait <= 1 h is read "
    "as a planner means it: at most 5% of the place's jobs wait longer than an hour. It is "
    "judged by the share of jobs waiting longer than its bound, pooled over the replications, "
    "with the ratio estimator's standard error across replications; any other constraint by "
    "the mean of its replications. (The mean of each replication's own p95 is not used: rare "
    "jams by the largest jobs make it heavy-tailed, so a t bound on it certifies on one seed "
    "and fails on another; the share is bounded, and a jammed replication moves it by at most "
    "its own share over the replications.) Search, on {n} replications per plan, judged by "
    "these estimates: "
    "(1) per knob, the least value meeting the constraints with every other knob at its most "
    "(bisection; more capacity never lengthens a wait, so no plan below it can meet them); "
    "(2) from those lower bounds, raise the knob that removes the most constraint shortfall per "
    "CNY until the constraints hold; (3) local search: lower one knob, or move a step from one "
    "knob to another, while the plan still meets the constraints and gets better. Final check: "
    "the best plan of the search runs on {m} fresh replications (new seeds, so the choice "
    "is not biased by the search's luck); a plan passes if the one-sided Student t upper "
    "(lower) bound of every constraint's statistic at every place meets its bound, each at "
    "{level:.4g} (Bonferroni over {places} places), so the recommended plan meets all of its "
    "constraints together with at least {confidence:.0%} confidence (the t bound is "
    "asymptotic: it trusts that the replications' shares or means are close to normal). If it "
    "fails, capacity "
    "is added to it greedily, judged on the fresh replications, until it passes, trying only "
    "the knobs that move a failing place's metric on the search replications (on common "
    "random numbers a knob that cannot reach a place leaves its metric exactly as it was). "
    "The next {others} best plans of the search are checked too unless, minimising a cost, "
    "they cost no less than a plan that passed; the recommended plan is the best that passes."
)


@dataclass
class VariantPlan:
    """The answer for one variant."""

    variant: str
    recommended: Evaluation | None = None
    finalists: list[Evaluation] = field(default_factory=list)
    lower: list[int] | None = None
    note: str = ""


def plan_capacity(evaluator: Evaluator) -> tuple[dict[str, Any], pd.DataFrame]:
    """Search the plan of every variant of the evaluator's setup; returns plan.json's document
    and plan.parquet's table.

    Raises
    ------
    PlanError
        If a run fails.
    """
    setup = evaluator.setup
    answers = [_plan_variant(setup, evaluator, variant) for variant in setup.variants]
    return plan_document(setup, evaluator, answers), evaluations_table(setup, evaluator)


def _score(evaluation: Evaluation) -> tuple[float, float]:
    return evaluation.verdict.objective, evaluation.verdict.cost


def _plan_variant(setup: PlanSetup, evaluator: Evaluator, variant: str) -> VariantPlan:
    plan, sizes = setup.plan, setup.sizes
    screen = evaluator.judge(variant, range(plan.replications), "screen")
    answer = VariantPlan(variant)
    answer.lower = lower_bounds(screen, sizes) if setup.bounds else [0] * len(sizes)
    if answer.lower is None:
        answer.note = "even the most of every knob misses a constraint"
        return answer
    start = greedy_up(screen, tuple(answer.lower), sizes)
    if start is None:
        answer.note = "no plan within the budget and power cap meets the constraints"
        return answer
    minimise_cost = plan.objective.minimise.endswith("_cny")
    best = improve(screen, start, sizes, answer.lower, minimise_cost=minimise_cost)
    screened = {
        e.candidate: e
        for e in evaluator.log
        if e.variant == variant and e.stage == "screen" and e.verdict.feasible
    }
    ranked = sorted(screened.values(), key=_score)[: plan.finalists]
    if best not in [e.candidate for e in ranked]:
        ranked = [screened[best], *ranked[:-1]]
    answer.recommended = _final_check(
        evaluator, variant, [e.candidate for e in ranked], screen, minimise_cost=minimise_cost
    )
    finals = {e.candidate: e for e in evaluator.log if e.variant == variant and e.stage == "final"}
    answer.finalists = list(finals.values())
    if answer.recommended is None:
        answer.note = "no finalist, nor any plan above the best, passed the final check"
    return answer


def _final_check(
    evaluator: Evaluator,
    variant: str,
    ranked: list[Candidate],
    screen: Judge,
    *,
    minimise_cost: bool,
) -> Evaluation | None:
    """The cheapest (best) finalist that passes the final check on fresh replications.

    The search's best goes first; if it misses, capacity is added to it greedily, judged on the
    fresh replications, only at knobs that move a missing place's metric (often cheaper than
    the next finalist). The other finalists are then checked unless, minimising a cost, their
    search mean is already no cheaper than a plan that passed (a cost hardly varies between
    replications, so they could not be chosen)."""
    plan, sizes = evaluator.setup.plan, evaluator.setup.sizes
    fresh = range(plan.replications, plan.replications + plan.final_replications)
    final = evaluator.judge(variant, fresh, "final")
    passing: list[Evaluation] = []
    best = evaluator.evaluate(ranked[:1], variant, fresh, "final")[0]
    if best.verdict.feasible:
        passing.append(best)
    elif (raised := greedy_up(final, best.candidate, sizes, screen=screen)) is not None:
        passing += evaluator.evaluate([raised], variant, fresh, "final")
    for candidate in ranked[1:]:
        if passing and minimise_cost:
            (searched,) = screen([candidate])
            if searched.objective >= min(e.verdict.objective for e in passing):
                continue
        passing += [
            e
            for e in evaluator.evaluate([candidate], variant, fresh, "final")
            if e.verdict.feasible
        ]
    return min(passing, key=_score) if passing else None


def plan_document(
    setup: PlanSetup, evaluator: Evaluator, answers: list[VariantPlan]
) -> dict[str, Any]:
    """plan.json (docs/outputs.md)."""
    plan = setup.plan
    places = max(len(setup.bounds), 1)
    metric, _ = frontier_metric(setup)
    variants: dict[str, Any] = {}
    for answer in answers:
        recommended = answer.recommended
        variants[answer.variant] = {
            "recommended": None if recommended is None else _entry(evaluator, recommended),
            "runners_up": [
                _entry(evaluator, e)
                for e in sorted(answer.finalists, key=_score)
                if recommended is None or e.candidate != recommended.candidate
            ],
            "lower_bounds": None if answer.lower is None else setup.params(tuple(answer.lower)),
            "note": answer.note,
            "frontier": frontier(evaluator, answer.variant, setup),
        }
    return {
        "kind": "plan",
        "scenario": setup.base.name,
        "seed": setup.seed,
        "objective": {"minimise": plan.objective.minimise, "city": plan.objective.city},
        "constraints": [{"target": str(b.target), "city": b.city} for b in setup.bounds],
        "confidence": plan.confidence,
        "budget_cny": plan.budget_cny,
        "power_cap_w": plan.power_cap,
        "replications": plan.replications,
        "final_replications": plan.final_replications,
        "knobs": [
            {"path": k.path, "values": v} for k, v in zip(plan.knobs, setup.values, strict=True)
        ],
        "frontier_metric": metric,
        "frontier_share": (
            allowed_share(setup.bounds[0].target) if setup.bounds else None
        ),  # set: the frontier's wait is the share of jobs waiting over the bound, at most this
        "runs_made": evaluator.ran,
        "runs": len(evaluator.rows),
        "method": METHOD.format(
            n=plan.replications,
            m=plan.final_replications,
            others=plan.finalists - 1,
            level=1 - (1 - plan.confidence) / places,
            places=places,
            confidence=plan.confidence,
        ),
        "variants": variants,
        "pooling": pooling(evaluator, answers),
    }


def _entry(evaluator: Evaluator, evaluation: Evaluation) -> dict[str, Any]:
    """A finalist: its knobs, costs, objective, every constraint with its 95% interval and
    what the final check judged it by, and what each center builds (means over the final
    replications)."""
    setup, runs = evaluator.setup, evaluation.runs
    cost, cost_ci = mean_ci95(metric_values(runs, "tco_cny", None))
    build, build_ci = mean_ci95(metric_values(runs, "build_cny", None))
    objective = setup.plan.objective
    value, value_ci = mean_ci95(metric_values(runs, objective.minimise, objective.city))
    slos = []
    for bound, judged in zip(setup.bounds, evaluator.judged(runs, "final"), strict=True):
        mean, ci = mean_ci95(metric_values(runs, bound.target.metric, bound.city))
        slos.append(
            {
                "target": str(bound.target),
                "city": bound.city,
                "mean": mean,
                "ci95": ci,
                "statistic": judged.statistic,
                "estimate": judged.estimate,
                "bound_used": judged.used,
                "allowed": judged.allowed,
                "meets": judged.meets,
            }
        )
    return {
        "knobs": setup.params(evaluation.candidate),
        "meets": evaluation.verdict.feasible,
        "replications": len(runs),
        "tco_cny": cost,
        "tco_cny_ci95": cost_ci,
        "build_cny": build,
        "build_cny_ci95": build_ci,
        "objective": value,
        "objective_ci95": value_ci,
        "slos": slos,
        "centers": _centers(runs),
    }


def _centers(runs: list[pd.DataFrame]) -> list[dict[str, Any]]:
    """What each center has at the end of the window and costs (means over runs)."""
    rows = pd.concat(runs)
    centers = rows[rows["level"] == "center"]
    columns = ["accelerators", "capacity_pflops", "build_cny", "tco_cny", "utilisation"]
    means = centers.groupby(["city", "center"], sort=False)[columns].mean().reset_index()
    return [
        {key: (value if isinstance(value, str) else float(value)) for key, value in row.items()}
        for row in means.to_dict("records")
    ]


def frontier(evaluator: Evaluator, variant: str, setup: PlanSetup) -> list[dict[str, Any]]:
    """The screened plans no other screened plan beats on both cost and wait, by cost."""
    seen: dict[Candidate, Evaluation] = {}
    for e in evaluator.log:
        if (
            e.variant == variant
            and e.stage == "screen"
            and (e.candidate, variant) not in evaluator.invalid
        ):
            seen[e.candidate] = e
    points, best_wait = [], float("inf")
    for e in sorted(seen.values(), key=lambda e: (e.verdict.cost, e.frontier_wait)):
        if e.frontier_wait < best_wait:
            best_wait = e.frontier_wait
            points.append(
                {
                    "knobs": setup.params(e.candidate),
                    "tco_cny": e.verdict.cost,
                    "wait": e.frontier_wait,
                    "meets": e.verdict.meets,
                }
            )
    return points


def pooling(evaluator: Evaluator, answers: list[VariantPlan]) -> list[dict[str, Any]]:
    """What each variant's recommended plan saves against the first variant's, replication by
    replication on the same fresh seeds [CNY], with its 95% interval."""
    chosen = [a for a in answers if a.recommended is not None]
    if len(chosen) < 2:
        return []
    baseline = chosen[0].recommended
    assert baseline is not None
    base_costs = metric_values(baseline.runs, "tco_cny", None)
    savings = []
    for answer in chosen[1:]:
        assert answer.recommended is not None
        costs = metric_values(answer.recommended.runs, "tco_cny", None)
        mean, ci = mean_ci95([b - c for b, c in zip(base_costs, costs, strict=True)])
        savings.append(
            {
                "baseline": chosen[0].variant,
                "variant": answer.variant,
                "saving_cny": mean,
                "saving_cny_ci95": ci,
            }
        )
    return savings


def evaluations_table(setup: PlanSetup, evaluator: Evaluator) -> pd.DataFrame:
    """plan.parquet: every evaluation made (variant, stage, knob values, verdict), once each."""
    records: dict[tuple[str, str, Candidate], dict[str, Any]] = {}
    for e in evaluator.log:
        verdict = e.verdict
        records[(e.variant, e.stage, e.candidate)] = {
            "variant": e.variant,
            "stage": e.stage,
            **setup.params(e.candidate),
            "replications": len(e.runs),
            "tco_cny": verdict.cost,
            "objective": verdict.objective,
            "frontier_wait": e.frontier_wait,
            "shortfall": verdict.shortfall,
            "meets": verdict.meets,
            "allowed": verdict.allowed,
        }
    return pd.DataFrame(list(records.values()))
