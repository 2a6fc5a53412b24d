"""The search of `capsim plan` over a grid of knob settings, exploiting monotonicity.

A candidate plan is one index per knob into its values, ordered from least capacity to most,
so raising an index never makes a wait worse (the knobs are chosen so) and never makes the
plan cheaper. The search only asks a :class:`Judge` for a :class:`Verdict` of candidates, so
it knows nothing of simulation; the judge runs them (common random numbers: every candidate
on the same seeds, so differences between neighbours are not noise of different demand).

1. **Lower bounds**: for each knob, the least index that meets the constraints with every
   other knob at its most (bisection, valid because more capacity never hurts): no plan below
   it can meet them.
2. **Greedy marginal allocation** from the lower bounds: while the constraints fail, raise the
   knob that removes the most shortfall per CNY.
3. **Local search**: lower one knob, or move one step from one knob to another, while the plan
   stays feasible and gets better; stops at a plan no such move improves.
For a wait objective within a budget, step 3 first climbs (raise the knob that cuts the wait
most per CNY while the budget allows) and then tries the moves.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Candidate = tuple[int, ...]


@dataclass(frozen=True)
class Verdict:
    """What one evaluation of a candidate says."""

    meets: bool
    """Every constraint holds at the judge's bound."""
    shortfall: float
    """How far the constraints are from holding: the sum over failing constraints of
    (bound used − bound) / scale, 0 when they all hold [-]."""
    objective: float
    """Mean of the minimised metric."""
    cost: float
    """Mean total cost of ownership [CNY]."""
    allowed: bool
    """Within the budget and the power cap."""
    levels: tuple[float, ...] = ()
    """Per constraint and place, the mean of its metric there."""
    failing: tuple[bool, ...] = ()
    """Per constraint and place, whether it misses at the judge's bound."""

    @property
    def feasible(self) -> bool:
        return self.meets and self.allowed


Judge = Callable[[Sequence[Candidate]], list[Verdict]]
"""Verdicts of several candidates at once (so they can run in parallel)."""


def lower_bounds(judge: Judge, sizes: Sequence[int]) -> list[int] | None:
    """Per knob, the least index meeting the constraints with the other knobs at their most;
    None if even the most of everything fails."""
    top = tuple(size - 1 for size in sizes)
    if not judge([top])[0].meets:
        return None
    bounds = []
    for knob, size in enumerate(sizes):
        bad, good = -1, size - 1
        while good - bad > 1:
            middle = (good + bad) // 2
            if judge([_with(top, knob, middle)])[0].meets:
                good = middle
            else:
                bad = middle
        bounds.append(good)
    return bounds


def greedy_up(
    judge: Judge, start: Candidate, sizes: Sequence[int], *, screen: Judge | None = None
) -> Candidate | None:
    """Raise one knob at a time, the one that removes the most shortfall per CNY (or, when no
    step removes any, the least), until the constraints hold; None if they cannot.

    With ``screen`` (a judge on other, fewer replications), only the steps that change the
    metric of a failing place on the screen's replications are judged: on common random numbers
    a knob that cannot reach a place (another city's, siloed) leaves its metric there exactly as
    it was, so judging its step on ``judge``'s many replications would be wasted."""
    current, verdict = start, judge([start])[0]
    while not verdict.meets:
        steps = [
            _with(current, k, current[k] + 1)
            for k in range(len(sizes))
            if current[k] + 1 < sizes[k]
        ]
        if screen is not None:
            steps = _reaching(screen, current, steps, verdict.failing)
        verdicts = judge(steps)
        options = [(s, v) for s, v in zip(steps, verdicts, strict=True) if v.allowed]
        if not options:
            return None
        current, verdict = max(options, key=lambda option: _gain(verdict, option[1]))
    return current


def _reaching(
    screen: Judge, current: Candidate, steps: list[Candidate], failing: Sequence[bool]
) -> list[Candidate]:
    """The steps that move some failing place's metric on the screen (all if none does)."""
    here, *there = screen([current, *steps])
    reaching = [
        step
        for step, verdict in zip(steps, there, strict=True)
        if any(
            fails and after != before
            for fails, before, after in zip(failing, here.levels, verdict.levels, strict=True)
        )
    ]
    return reaching or steps


def _gain(before: Verdict, after: Verdict) -> tuple[float, float]:
    removed = before.shortfall - after.shortfall
    extra = max(after.cost - before.cost, 1e-9)
    return (removed / extra, -after.shortfall) if removed > 0 else (-math.inf, -after.shortfall)


def improve(
    judge: Judge,
    start: Candidate,
    sizes: Sequence[int],
    floor: Sequence[int],
    *,
    minimise_cost: bool,
    max_rounds: int = 50,
) -> Candidate:
    """Local search from a feasible ``start``: the best feasible plan among one-knob-down
    steps, then one-step moves between two knobs (and, for a wait objective, one-knob-up
    steps within the allowance first), until none improves. ``floor`` bounds each knob."""
    current = start
    if not minimise_cost:
        current = _climb(judge, current, sizes)
    for _ in range(max_rounds):
        best = judge([current])[0]
        moves = [
            _with(current, k, current[k] - 1) for k in range(len(sizes)) if current[k] > floor[k]
        ]
        found = _best_move(judge, moves, best)
        if found is None:
            moves = [
                _with(_with(current, j, current[j] - 1), k, current[k] + 1)
                for j in range(len(sizes))
                for k in range(len(sizes))
                if j != k and current[j] > floor[j] and current[k] + 1 < sizes[k]
            ]
            found = _best_move(judge, moves, best)
        if found is None:
            return current
        current = found
    return current


def _climb(judge: Judge, current: Candidate, sizes: Sequence[int]) -> Candidate:
    """For a wait objective: raise the knob that cuts the objective most per CNY while the
    plan stays within its allowance."""
    verdict = judge([current])[0]
    while True:
        steps = [
            _with(current, k, current[k] + 1)
            for k in range(len(sizes))
            if current[k] + 1 < sizes[k]
        ]
        options = [
            (s, v)
            for s, v in zip(steps, judge(steps), strict=True)
            if v.feasible and v.objective < verdict.objective
        ]
        if not options:
            return current
        current, verdict = max(
            options,
            key=lambda o: (
                (verdict.objective - o[1].objective) / max(o[1].cost - verdict.cost, 1e-9)
            ),
        )


def _best_move(judge: Judge, moves: list[Candidate], best: Verdict) -> Candidate | None:
    if not moves:
        return None
    found = None
    for move, verdict in zip(moves, judge(moves), strict=True):
        if verdict.feasible and _score(verdict) < _score(best):
            found, best = move, verdict
    return found


def _score(verdict: Verdict) -> tuple[float, float]:
    """Better is smaller: the objective, then the cost."""
    return verdict.objective, verdict.cost


def _with(candidate: Candidate, knob: int, index: int) -> Candidate:
    return (*candidate[:knob], index, *candidate[knob + 1 :])
