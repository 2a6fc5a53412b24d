"""The report of a `capsim plan` folder (plan.json): the recommended plan per variant, what
pooling saves, the cost-versus-wait frontier, the plans as tables, and the method in words."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from sim import plots
from sim.formatting import format_number, format_with_ci
from sim.reporting.document import Block, Bullets, FigureBlock, Paragraph, Table

FRONTIER_CAPTION = (
    "Total cost of ownership over the measured window against the wait of the constraints at "
    "the worst place (for a wait quantile such as the p95, the share of jobs waiting longer "
    "than its bound, as the constraint is judged), for the plans the search ran (estimates "
    "over its replications) that no other beats on both; the star is each variant's "
    "recommended plan (estimate over the fresh replications of the final check), the dashed "
    "line the constraint. The horizontal gap "
    "between the variants' frontiers at the constraint is what pooling saves."
)


def _money(value: float, half: float | None = None) -> str:
    return format_with_ci("tco_cny", value, math.nan if half is None else half)


def _slo_text(slo: Mapping[str, Any]) -> str:
    """The metric's mean ± 95% CI over the replications (each replication's own value)."""
    return format_with_ci(slo["target"].split()[0], slo["mean"], slo["ci95"])


def judged_text(slo: Mapping[str, Any]) -> str:
    """What the final check judged a constraint by: for a wait quantile, the pooled share of
    jobs waiting longer than the bound (``2.1% wait over 1 h, bound 3.4% <= 5%``)."""
    metric, _, bound = slo["target"].split()
    if slo["statistic"] == "share":
        over = plots.format_value(metric, float(bound))
        return (
            f"{_share(slo['estimate'])} wait over {over}, bound {_share(slo['bound_used'])} "
            f"<= {_share(slo['allowed'])}"
        )
    return f"{_slo_text(slo)}, bound {plots.format_value(metric, slo['bound_used'])}"


def _share(value: float) -> str:
    return plots.format_value("utilisation", value)  # a fraction, printed in %


def plan_findings(plan: Mapping[str, Any]) -> list[Block]:
    """One list per variant (its plan, cost and tightest constraint), then what pooling saves."""
    items = []
    for variant, answer in plan["variants"].items():
        chosen = answer["recommended"]
        if chosen is None:
            items.append(f"{variant}: no plan meets the constraints ({answer['note']}).")
            continue
        builds = ", ".join(
            f"{c['city']}/{c['center']} {c['accelerators']:,.0f} accelerators "
            f"({c['capacity_pflops']:,.0f} P)"
            for c in chosen["centers"]
        )
        cost = _money(chosen["tco_cny"], chosen["tco_cny_ci95"])
        text = (
            f"{variant}: {builds}; total cost of ownership {cost} over the window, build cost "
            f"{_money(chosen['build_cny'])}."
        )
        if chosen["slos"]:
            tightest = max(chosen["slos"], key=_tightness)
            where = tightest["city"] or "the network"
            text += (
                f" Every constraint holds with {plan['confidence']:.0%} confidence on "
                f"{chosen['replications']} fresh replications; the tightest, "
                f"{constraint_text(tightest['target'])} in {where}: {judged_text(tightest)}."
            )
        items.append(text)
    for saving in plan["pooling"]:
        items.append(
            f"Pooling: the {saving['variant']} plan costs "
            f"{_money(saving['saving_cny'], saving['saving_cny_ci95'])} less than the "
            f"{saving['baseline']} plan for the same service levels (paired on the same fresh "
            "replications)."
        )
    return [Bullets(items, "Recommended plans")]


def _tightness(slo: Mapping[str, Any]) -> float:
    """The final check's bound relative to what is allowed (for ``>=``, the other way)."""
    used, allowed = slo["bound_used"], slo["allowed"]
    if slo["target"].split()[1] == ">=":
        return allowed / used if used > 0 else math.inf
    return used / allowed if allowed > 0 else math.inf


def constraint_text(target: str) -> str:
    """``wait_p95_s <= 3600`` as ``p95 wait <= 1 h``."""
    metric, op, bound = target.split()
    return f"{plots.metric_label(metric)} {op} {plots.format_value(metric, float(bound))}"


def plan_figures(plan: Mapping[str, Any]) -> list[Block]:
    return [FigureBlock(plots.plan_frontier(plan), "plan-frontier", FRONTIER_CAPTION)]


def plan_tables(plan: Mapping[str, Any]) -> list[Block]:
    """The knob settings side by side, then per variant: what each center has, the
    constraints, the runners-up and the frontier."""
    variants = plan["variants"]
    knobs = [k["path"] for k in plan["knobs"]]
    settings = [
        [knob_label(path), *(knob_value(v["recommended"], path) for v in variants.values())]
        for path in knobs
    ]
    blocks: list[Block] = [
        Table("Recommended setting of each knob", ["knob", *variants], settings, "plan-knobs")
    ]
    for variant, answer in variants.items():
        chosen = answer["recommended"]
        if chosen is not None:
            blocks += [_centers_table(variant, chosen), _slo_table(variant, chosen)]
        if answer["runners_up"]:
            blocks.append(
                _plans_table(
                    f"Runners-up ({variant})", f"runners-up-{variant}", knobs, answer["runners_up"]
                )
            )
        frontier = pd.DataFrame(
            [
                {**p["knobs"], "tco_cny": p["tco_cny"], "wait": p["wait"], "meets": p["meets"]}
                for p in answer["frontier"]
            ]
        )
        blocks.append(
            Table(
                f"Frontier ({variant}): {len(frontier)} plans, by cost",
                ["knobs", "TCO", _frontier_label(plan)],
                [
                    [
                        ", ".join(
                            f"{knob_label(k)}={format_number(v)}" for k, v in p["knobs"].items()
                        ),
                        _money(p["tco_cny"]),
                        _frontier_value(plan, p["wait"]),
                    ]
                    for p in answer["frontier"]
                ],
                f"frontier-{variant}",
                frame=frontier,
            )
        )
    return blocks


def _frontier_label(plan: Mapping[str, Any]) -> str:
    label = plots.metric_label(plan["frontier_metric"])
    if plan.get("frontier_share") is None:
        return label
    bound = next(float(c["target"].split()[-1]) for c in plan["constraints"])
    return f"jobs waiting over {plots.format_value(plan['frontier_metric'], bound)}"


def _frontier_value(plan: Mapping[str, Any], wait: float) -> str:
    if plan.get("frontier_share") is None:
        return plots.format_value(plan["frontier_metric"], wait)
    return _share(wait)


def knob_value(chosen: Mapping[str, Any] | None, path: str) -> str:
    """A plan's setting of the knob at ``path`` in a planner's units (a time as a duration)."""
    if chosen is None:
        return "–"
    value = chosen["knobs"][path]
    return plots.format_value("at_s", value) if path.endswith(".at") else format_number(value)


def knob_label(path: str) -> str:
    """A knob's path without the words every center path has: ``beijing.aicc.pflops``."""
    return path.removeprefix("cities.").replace(".centers.", ".")


def _centers_table(variant: str, chosen: Mapping[str, Any]) -> Table:
    rows = [
        [
            f"{c['city']} / {c['center']}",
            f"{c['accelerators']:,.0f}",
            f"{c['capacity_pflops']:,.0f}",
            _money(c["build_cny"]),
            _money(c["tco_cny"]),
            plots.format_value("utilisation", c["utilisation"]),
        ]
        for c in chosen["centers"]
    ]
    columns = ["center", "accelerators", "PFLOPS", "build cost", "TCO (window)", "utilisation"]
    return Table(
        f"Recommended plan ({variant}): what each center has at the end of the window",
        columns,
        rows,
        f"plan-{variant}",
        frame=pd.DataFrame(chosen["centers"]),
    )


def _slo_table(variant: str, chosen: Mapping[str, Any]) -> Table:
    rows = [
        [s["city"] or "network", constraint_text(s["target"]), judged_text(s), _slo_text(s)]
        for s in chosen["slos"]
    ]
    return Table(
        f"Constraints of the recommended plan ({variant}) on {chosen['replications']} fresh "
        "replications: what the final check judged (estimate, one-sided bound at the Bonferroni "
        "level) and the metric's mean ± 95% CI over the replications",
        ["place", "constraint", "judged by", "mean per replication"],
        rows,
        f"constraints-{variant}",
        frame=pd.DataFrame(chosen["slos"]),
    )


def _plans_table(title: str, name: str, knobs: list[str], plans: list[Mapping[str, Any]]) -> Table:
    rows = [
        [
            *(format_number(p["knobs"][k]) for k in knobs),
            _money(p["tco_cny"], p["tco_cny_ci95"]),
            "meets" if p["meets"] else "fails",
        ]
        for p in plans
    ]
    return Table(title, [*(knob_label(k) for k in knobs), "TCO", "final check"], rows, name)


def plan_method(plan: Mapping[str, Any]) -> list[Block]:
    runs = f"{plan['runs']} runs in the folder ({plan['runs_made']} made by the last session)"
    ranges = "; ".join(
        f"{k['path']}: {len(k['values'])} values, {format_number(k['values'][0])} … "
        f"{format_number(k['values'][-1])}"
        for k in plan["knobs"]
    )
    settings = [
        f"Objective: minimise {plan['objective']['minimise']} "
        f"({plan['objective']['city'] or 'the whole network'}); budget "
        + (_money(plan["budget_cny"]) if plan["budget_cny"] else "none")
        + "; power cap "
        + (f"{plan['power_cap_w'] / 1e6:,.0f} MW" if plan["power_cap_w"] else "none")
        + ".",
        f"Knobs (values from least capacity to most): {ranges}.",
        f"Seed {plan['seed']}; {plan['replications']} replications per plan in the search, "
        f"{plan['final_replications']} fresh ones in the final check; {runs}.",
        "Costs are over the measured window: depreciation, maintenance, electricity and "
        "network (docs/outputs.md, tco_cny).",
    ]
    return [Paragraph(plan["method"]), Bullets(settings)]
