"""Findings in words, written from the numbers of a summary.

A difference is claimed only when its 95% confidence interval excludes zero: paired
differences (variant − baseline on the same demand) from summary.json's ``comparisons``, and
between sweep points only when the two points' 95% intervals do not overlap (conservative). With
one replication there is no interval, and no claim.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sim.analysis import replications_for
from sim.formatting import format_pair, format_with_ci
from sim.formatting import format_value as show
from sim.plots import metric_label

Row = Mapping[str, Any]


def ci_text(metric: str, mean: float, half: float) -> str:
    """``95% CI −16 to −12 h``: both ends in the unit of the larger."""
    low, high = mean - half, mean + half
    scale_of = max(abs(low), abs(high))
    return (
        f"95% CI {show(metric, low, True, scale_of)} to {show(metric, high, True, scale_of)}"
    ).replace(" pt to", " to")


def significant(mean: float, half: float) -> bool:
    """True when the 95% interval mean ± half excludes zero."""
    return math.isfinite(mean) and math.isfinite(half) and abs(mean) > half


def _value(row: Row | None, metric: str) -> float:
    if row is None or row.get(metric) is None:
        return math.nan
    return float(row[metric])


def _place(metrics: Mapping[str, Any], place: str) -> Row | None:
    row = metrics["overall"] if place == "overall" else metrics["cities"].get(place)
    return row if isinstance(row, Mapping) else None


def difference(
    summary: Mapping[str, Any], variant: str, place: str, metric: str
) -> tuple[str, bool] | None:
    """A sentence on ``metric`` at ``place`` (a city or ``overall``) between ``variant`` and
    the baseline, and whether the difference is significant; None if the metric is missing."""
    comparison = summary["comparisons"][variant]
    baseline = comparison["baseline"]
    diff_row = comparison["overall"] if place == "overall" else comparison["cities"].get(place)
    before = _value(_place(summary["variants"][baseline], place), metric)
    after = _value(_place(summary["variants"][variant], place), metric)
    mean, half = _value(diff_row, metric), _value(diff_row, f"{metric}_ci95")
    if not (math.isfinite(before) and math.isfinite(after) and math.isfinite(mean)):
        return None
    where = "overall" if place == "overall" else f"{place}'s"
    label = metric_label(metric)
    if not math.isfinite(half):
        return (
            f"{variant}: {where} {label} {show(metric, after)} against {show(metric, before)} "
            f"under {baseline}; one replication gives no confidence interval, so no difference "
            "is claimed.",
            False,
        )
    if abs(mean) <= 1e-9 * max(abs(before), 1.0) and half <= 1e-9 * max(abs(before), 1.0):
        place_text = "overall" if place == "overall" else f"in {place}"
        return (
            f"{label.capitalize()} {place_text} is the same under {variant} and {baseline} "
            f"({show(metric, after)}) in every replication.",
            False,
        )
    if significant(mean, half):
        verb = "cuts" if mean < 0 else "raises"
        shown_before, shown_after = show(metric, before), show(metric, after)
        if shown_before == shown_after:  # a resolved change smaller than 3 digits show
            shown_before, shown_after = format_pair(metric, before, after)
        return (
            f"{variant} {verb} {where} {label} from {shown_before} to "
            f"{shown_after} (difference {show(metric, mean, True)}, "
            f"{ci_text(metric, mean, half)}).",
            True,
        )
    place_text = "overall" if place == "overall" else f"in {place}"
    return (
        f"No significant difference in {label} {place_text} between {variant} and {baseline} "
        f"({show(metric, after)} against {show(metric, before)}; difference "
        f"{show(metric, mean, True)}, the {ci_text(metric, mean, half)} includes 0; "
        f"{_to_resolve(mean, half, summary['replications'])}).",
        False,
    )


def _to_resolve(mean: float, half: float, replications: int) -> str:
    """How many replications would make the interval exclude zero, at the observed variance."""
    needed = replications_for(half, abs(mean), replications)
    if needed is None:
        return "the differences centre on zero, so more replications only narrow the interval"
    return (
        f"about {needed:,} replications would resolve it at the observed variance "
        f"(this run has {replications})"
    )


def run_findings(summary: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """Findings of a run (or of one sweep point) as (heading, sentences): the levels of the
    baseline, then every variant's paired differences against it."""
    variants = list(summary["variants"])
    several = len(variants) > 1
    groups = [(f"Baseline: {variants[0]}" if several else "Results", _levels(summary, variants[0]))]
    for variant, comparison in summary.get("comparisons", {}).items():
        groups.append(
            (f"{variant} against {comparison['baseline']}", _variant_findings(summary, variant))
        )
    if summary.get("comparisons"):
        n = summary["replications"]
        note = (
            f"Differences are paired: every variant ran on the same demand in each of the {n} "
            "replications; a difference is stated only where its 95% confidence interval "
            "excludes zero." + _precision_note(summary)
            if n > 1
            else "With one replication there are no confidence intervals: no difference between "
            "variants is claimed. Run more replications (--replications N)."
        )
        groups.append(("How to read these", [note]))
    return groups


def _precision_note(summary: Mapping[str, Any]) -> str:
    """What the precision target asked and whether the replications met it."""
    record = summary.get("precision")
    if not record:
        return ""
    asked = (
        f" The replications were added until the 95% intervals of "
        f"{', '.join(metric_label(m) for m in record['metrics'])} were within "
        f"±{100 * record['relative']:g}% of their means (Law & Kelton's sequential procedure)"
    )
    if record["met"]:
        return f"{asked}: met with {record['replications']} replications."
    unmet = sum(not check["met"] for check in record["checks"])
    return (
        f"{asked}: {unmet} of {len(record['checks'])} intervals were still wider at the cap of "
        f"{record['max_replications']} replications."
    )


def _levels(summary: Mapping[str, Any], variant: str) -> list[str]:
    metrics = summary["variants"][variant]
    cities = metrics["cities"]
    overall = metrics["overall"]
    named = f" under {variant}" if len(summary["variants"]) > 1 else ""
    findings = [
        f"Overall utilisation{named} is {_with_ci(overall, 'utilisation')}; the p95 wait is "
        f"{_with_ci(overall, 'wait_p95_s')} and the mean wait {_with_ci(overall, 'wait_mean_s')}."
    ]
    if len(cities) > 1:
        busiest = max(cities, key=lambda c: _value(cities[c], "utilisation"))
        longest = max(cities, key=lambda c: _finite_or(_value(cities[c], "wait_p95_s")))
        findings.append(
            f"Busiest city{named}: {busiest} at {_with_ci(cities[busiest], 'utilisation')}; "
            f"longest p95 wait: {longest}, {_with_ci(cities[longest], 'wait_p95_s')}."
        )
    findings.append(
        f"Over the measured window{named} the centers use {_with_ci(overall, 'energy_mwh')} of "
        f"electricity costing {_with_ci(overall, 'cost_cny')} and emitting "
        f"{_with_ci(overall, 'co2_t')}."
    )
    return findings


def _finite_or(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


def _with_ci(row: Row, metric: str) -> str:
    value, half = _value(row, metric), _value(row, f"{metric}_ci95")
    if math.isfinite(half) and half > 1e-9 * abs(value):
        return format_with_ci(metric, value, half)
    return show(metric, value)


def _variant_findings(summary: Mapping[str, Any], variant: str) -> list[str]:
    findings = []
    for metric in ("wait_p95_s", "utilisation", "cost_cny", "co2_t"):
        sentence = difference(summary, variant, "overall", metric)
        if sentence is not None:
            findings.append(sentence[0])
    cities = list(summary["comparisons"][variant]["cities"])
    if len(cities) < 2 or summary["replications"] < 2:
        return findings  # one replication: no intervals, so nothing to say per city
    claims, unresolved = _city_claims(summary, variant, cities, "wait_p95_s")
    findings += claims + unresolved
    findings += _city_claims(summary, variant, cities, "utilisation")[0][:3]
    return findings


def _city_claims(
    summary: Mapping[str, Any], variant: str, cities: Sequence[str], metric: str
) -> tuple[list[str], list[str]]:
    """Per city, from the paired differences: (significant differences, largest first; the
    others, each with its interval)."""
    comparison = summary["comparisons"][variant]["cities"]
    claims: list[tuple[float, str]] = []
    others = []
    for city in cities:
        sentence = difference(summary, variant, city, metric)
        if sentence is None:
            continue
        if sentence[1]:
            claims.append((abs(_value(comparison[city], metric)), sentence[0]))
        else:
            others.append(sentence[0])
    return [text for _, text in sorted(claims, reverse=True)], others


# --- batches -----------------------------------------------------------------------------------


def sweep_findings(summary: Mapping[str, Any]) -> list[str]:
    """Findings of a batch: how the overall metrics move along each axis, and how each variant
    compares with the baseline across the points."""
    points = [p for p in summary["points"] if p["variants"]]
    findings: list[str] = []
    for axis in summary.get("axes", {}):
        findings += _along_axis(points, axis)
    findings += _variants_across_points(points)
    failed = summary.get("failed") or []
    if failed:
        findings.append(
            f"{len(failed)} runs failed and are left out; the numbers of their points rest on "
            "fewer replications (see the method)."
        )
    return findings


def _along_axis(points: list[Mapping[str, Any]], axis: str) -> list[str]:
    """End-to-end change of the overall metrics along ``axis`` (other axes at their first
    value)."""
    others = {k: v for k, v in points[0]["params"].items() if k != axis}
    line = [p for p in points if all(p["params"].get(k) == v for k, v in others.items())]
    if len(line) < 2:
        return []
    first, last = line[0], line[-1]
    findings = []
    for variant in first["variants"]:
        if variant not in last["variants"]:
            continue
        for metric in ("utilisation", "wait_p95_s"):
            a = first["variants"][variant]["overall"]
            b = last["variants"][variant]["overall"]
            findings.append(_between_points(axis, variant, metric, first, last, a, b))
    return findings


def _between_points(
    axis: str,
    variant: str,
    metric: str,
    first: Mapping[str, Any],
    last: Mapping[str, Any],
    a: Row,
    b: Row,
) -> str:
    x0, x1 = first["params"][axis], last["params"][axis]
    va, vb = _value(a, metric), _value(b, metric)
    ha, hb = _value(a, f"{metric}_ci95"), _value(b, f"{metric}_ci95")
    label = metric_label(metric)
    span = f"{axis} = {x0} to {x1}"
    named = f" ({variant})"
    if not (math.isfinite(ha) and math.isfinite(hb)):
        return (
            f"From {span}, overall {label}{named} goes from {show(metric, va)} to "
            f"{show(metric, vb)}; one replication gives no interval, so no change is claimed."
        )
    apart = va + ha < vb - hb or vb + hb < va - ha
    if apart:
        verb = "falls" if vb < va else "rises"
        return (
            f"From {span}, overall {label}{named} {verb} from {_with_ci(a, metric)} to "
            f"{_with_ci(b, metric)} (the 95% intervals do not overlap)."
        )
    return (
        f"No significant change in overall {label}{named} from {span}: "
        f"{_with_ci(a, metric)} against {_with_ci(b, metric)} (the 95% intervals overlap)."
    )


def _variants_across_points(points: list[Mapping[str, Any]]) -> list[str]:
    """Per variant, the paired difference in overall p95 wait at every point, with its
    interval, and how many points' intervals exclude zero."""
    findings = []
    metric = "wait_p95_s"
    for variant in points[0]["comparisons"]:
        baseline = points[0]["comparisons"][variant]["baseline"]
        parts, lower, higher = [], 0, 0
        for point in points:
            row = point["comparisons"].get(variant, {}).get("overall")
            mean, half = _value(row, metric), _value(row, f"{metric}_ci95")
            label = ", ".join(f"{k}={v}" for k, v in point["params"].items()) or "base"
            if not math.isfinite(half):
                parts.append(f"{label}: {show(metric, mean, True)} (one replication, no interval)")
                continue
            lower += significant(mean, half) and mean < 0
            higher += significant(mean, half) and mean > 0
            parts.append(f"{label}: {show(metric, mean, True)} ({ci_text(metric, mean, half)})")
        counts = (
            f"lower at {lower}, higher at {higher} and not resolved at "
            f"{len(points) - lower - higher} of {len(points)} points"
        )
        findings.append(
            f"Overall p95 wait under {variant} against {baseline} (paired differences; {counts}): "
            f"{'; '.join(parts)}."
        )
    return findings


def sizing_findings(sizing: Mapping[str, Any]) -> list[str]:
    """The answer of a sizing search in words."""
    where = f"in {sizing['city']}" if sizing.get("city") else "overall"
    runs = sum(e["replications"] for e in sizing["evaluations"])
    metric = sizing["metric"]
    target = f"{metric_label(metric)} {sizing['op']} {show(metric, float(sizing['bound']))}"
    if sizing.get("answer") is None:
        return [
            f"No value of {sizing['vary']} that was tried meets {target} {where} with 95% "
            f"confidence ({len(sizing['evaluations'])} values, {runs} runs)."
        ]
    return [
        f"Sizing: the smallest {sizing['vary']} that meets {target} {where} with 95% confidence"
        f" is {sizing['answer']:,} (variant {sizing.get('variant')}; "
        f"{len(sizing['evaluations'])} values tried, {runs} runs)."
    ]
