"""Consistency checks across a validated scenario (after PyPSA's ``check_*`` functions).

Each check returns the problems it finds as (key path, message) pairs, so the loader can report
all of them together with their line numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np

from sim.policies import UnknownPolicyError, dispatcher, local_policy, placement_policy
from sim.scenario import schema
from sim.scenario.errors import Loc
from sim.scenario.facility_checks import check_inference_places, check_power
from sim.units import parse_duration
from sim.workload.arrivals import expected_arrivals
from sim.workload.trace import Trace, TraceError, read_trace

MAX_EXPECTED_JOBS = 50_000_000
"""More expected arrivals per replication than this is almost surely a unit mistake."""

Found = list[tuple[Loc, str]]


def run_all(scenario: schema.Scenario) -> Found:
    """Every cross-check, in the order of the scenario's sections."""
    problems: Found = []
    for check in (
        check_accelerators_known,
        check_class_names_unique,
        check_origins_known,
        check_job_shape_given,
        check_trace_clusters,
        check_policies_known,
        check_nodes_are_servers,
        check_preemption,
        check_tenants,
        check_links,
        check_sizes_fit,
        check_demand_bounded,
        check_power,
        check_inference_places,
    ):
        problems += check(scenario)
    return problems


def check_accelerators_known(scenario: schema.Scenario) -> Found:
    catalogue = scenario.accelerator_catalogue()
    valid = f"valid: {', '.join(sorted(catalogue))} (or declare it under `accelerators`)"
    problems: Found = []
    for loc, center, pool in _pools(scenario):
        spec = catalogue.get(pool.accelerator)
        if spec is None:
            problems.append(
                ((*loc, "accelerator"), f"unknown accelerator {pool.accelerator!r}; {valid}")
            )
        elif (most := center.most_installed(pool, spec)) < 1:
            problems.append(_too_small(loc, center, pool, spec))
        elif most > schema.MAX_COUNT:
            problems.append(
                (loc, f"{most:.3g} accelerators is more than {schema.MAX_COUNT:.0e} in one pool")
            )
    for name in scenario.failures.mtbf:
        if name not in catalogue:
            problems.append((("failures", "mtbf", name), f"unknown accelerator {name!r}; {valid}"))
    for index, workload in enumerate(scenario.workload):
        for position, name in enumerate(workload.accelerators or []):
            if name not in catalogue:
                problems.append(
                    (
                        ("workload", index, "accelerators", position),
                        f"unknown accelerator {name!r}; {valid}",
                    )
                )
    return problems


def _pools(scenario: schema.Scenario) -> Iterator[tuple[Loc, schema.Center, schema.Pool]]:
    """Every pool of every center, with the key path of its settings and its center."""
    for city_name, city in scenario.cities.items():
        for center_name, center in city.centers.items():
            loc: Loc = ("cities", city_name, "centers", center_name)
            if center.pools is None:
                yield loc, center, center.pool_list()[0]
            else:
                for index, pool in enumerate(center.pools):
                    yield (*loc, "pools", index), center, pool


def _too_small(
    loc: Loc, center: schema.Center, pool: schema.Pool, spec: schema.Accelerator
) -> tuple[Loc, str]:
    """Names the unit that holds less than one accelerator: PFLOPS, or cabinets against the
    server's power."""
    if pool.pflops is not None:
        return (*loc, "pflops"), f"{pool.pflops} PFLOPS is less than one accelerator"
    server_kw = center.server_model(spec.watts).kw
    return (
        (*loc, "cabinets"),
        f"{center.cabinets} cabinets of {center.kw_per_cabinet:g} kW hold less than one server "
        f"({server_kw:g} kW)",
    )


def check_class_names_unique(scenario: schema.Scenario) -> Found:
    seen: set[str] = set()
    problems: Found = []
    for index, workload in enumerate(scenario.workload):
        if workload.name in seen:
            problems.append(
                (("workload", index, "name"), f"duplicate class name {workload.name!r}")
            )
        seen.add(workload.name)
    return problems


def check_origins_known(scenario: schema.Scenario) -> Found:
    problems: Found = []
    for index, workload in enumerate(scenario.workload):
        for city in workload.origin:
            if city not in scenario.cities:
                problems.append(
                    (
                        ("workload", index, "origin"),
                        f"unknown city {city!r}; valid: {', '.join(scenario.cities)}",
                    )
                )
    return problems


def check_policies_known(scenario: schema.Scenario) -> Found:
    problems: Found = []
    for loc, lookup, name in (
        (("scheduling", "local"), local_policy, scenario.scheduling.local),
        (("dispatch",), dispatcher, scenario.dispatch),
        (("scheduling", "placement"), placement_policy, scenario.scheduling.placement),
    ):
        try:
            lookup(name)
        except UnknownPolicyError as error:
            problems.append((loc, error.message))
    return problems


def check_preemption(scenario: schema.Scenario) -> Found:
    """`preempt` needs a policy with a preemptive form; preemption and failures do not mix
    yet (a failure model of a job whose run is cut in segments is not built)."""
    scheduling = scenario.scheduling
    try:
        policy = local_policy(scheduling.local)
    except UnknownPolicyError:
        return []
    problems: Found = []
    if scheduling.preempt and policy.preemptive is None and not policy.preempts:
        problems.append(
            (
                ("scheduling", "preempt"),
                f"local policy {scheduling.local!r} has no preemptive form; use priority, "
                "or srtf / las (always preemptive)",
            )
        )
    preempts = policy.preempts or scheduling.preempt or scheduling.inference_preempts
    if preempts and scenario.failures.enabled:
        problems.append(
            (
                ("failures", "enabled"),
                "node failures cannot be combined with preemption yet (a preemptive local "
                "policy, `scheduling.preempt` or `scheduling.inference_preempts`)",
            )
        )
    return problems


def check_tenants(scenario: schema.Scenario) -> Found:
    """Tenants: fifo within each, guarantees that fit their center, tenants that exist, and no
    failures if a tenant reclaims (preemption and failures do not mix yet)."""
    problems: Found = []
    names = scenario.tenant_names()
    for index, workload in enumerate(scenario.workload):
        if workload.tenant is not None and workload.tenant not in names:
            valid = ", ".join(names) or "none (no center has `tenants`)"
            problems.append(
                (
                    ("workload", index, "tenant"),
                    f"unknown tenant {workload.tenant!r}; valid: {valid}",
                )
            )
    reclaims = False
    for city_name, city in scenario.cities.items():
        for center_name, center in city.centers.items():
            if not center.tenants:
                continue
            loc: Loc = ("cities", city_name, "centers", center_name, "tenants")
            reclaims |= any(t.reclaim for t in center.tenants.values())
            if center.pools is not None:
                problems.append((loc, "tenants need a center of one accelerator type"))
                continue
            guaranteed = sum(t.guaranteed for t in center.tenants.values())
            if center.count is not None and guaranteed > center.count:
                problems.append(
                    (
                        loc,
                        f"the guarantees add up to {guaranteed}, more than the {center.count} "
                        "accelerators of the center",
                    )
                )
            if scenario.scheduling.local.lower() != "fifo":
                problems.append(
                    (
                        loc,
                        f"tenants queue first-come-first-served each; set scheduling.local "
                        f"to fifo (not {scenario.scheduling.local!r})",
                    )
                )
    if reclaims and scenario.failures.enabled:
        problems.append(
            (
                ("failures", "enabled"),
                "node failures cannot be combined with tenants that reclaim by preemption yet",
            )
        )
    return problems


def check_nodes_are_servers(scenario: schema.Scenario) -> Found:
    """Under a placement with servers, a failing node is a server: `failures.node_size` may
    only repeat each center's server size."""
    node = scenario.failures.node_size
    try:
        pooled = placement_policy(scenario.scheduling.placement).pooled
    except UnknownPolicyError:
        return []
    if node is None or pooled or not scenario.failures.enabled:
        return []
    catalogue = scenario.accelerator_catalogue()
    problems: Found = []
    for city_name, city in scenario.cities.items():
        for center_name, center in city.centers.items():
            for pool in center.pool_list():
                if pool.accelerator not in catalogue:
                    continue
                per_server = center.server_model(catalogue[pool.accelerator].watts).accelerators
                if per_server != node:
                    problems.append(
                        (
                            ("failures", "node_size"),
                            f"node_size {node} differs from the {per_server} accelerators per "
                            f"server of {city_name}/{center_name}; under placement "
                            f"{scenario.scheduling.placement!r} a node is a server: leave "
                            "node_size out",
                        )
                    )
    return problems


def check_sizes_fit(scenario: schema.Scenario) -> Found:
    """Every job a class can produce must fit some pool its dispatch may send it to, of an
    accelerator type it accepts."""
    catalogue = scenario.accelerator_catalogue()
    try:
        moves = dispatcher(scenario.dispatch).moves_jobs
    except UnknownPolicyError:
        return []
    problems: Found = []
    for index, workload in enumerate(scenario.workload):
        from_trace = isinstance(workload.arrival, schema.TraceArrival) and workload.size is None
        key: Loc = ("arrival", "columns", "size") if from_trace else ("size",)
        accepted = workload.accelerators
        pools: dict[str, list[int]] = {
            city_name: [
                center.most_installed(pool, catalogue[pool.accelerator])
                for center in city.centers.values()
                for pool in center.pool_list()
                if pool.accelerator in catalogue
                and (accepted is None or pool.accelerator in accepted)
            ]
            for city_name, city in scenario.cities.items()
        }
        largest_pool = {city: max(counts, default=0) for city, counts in pools.items()}
        for origin, largest in size_bounds(workload).items():
            if origin not in pools:
                continue
            reachable = (
                scenario.reachable_cities(origin, workload.max_latency) if moves else [origin]
            )
            room = max(map(largest_pool.__getitem__, reachable), default=0)
            if largest > room:
                kinds = "" if accepted is None else f" of type {', '.join(accepted)}"
                problems.append(
                    (
                        ("workload", index, *key),
                        f"jobs of up to {largest:g} accelerators fit no pool{kinds} that work "
                        f"from {origin!r} may use under dispatch {scenario.dispatch!r} "
                        f"(largest holds {room})",
                    )
                )
    return problems


def check_links(scenario: schema.Scenario) -> Found:
    problems: Found = []
    seen: set[frozenset[str]] = set()
    for index, link in enumerate(scenario.network):
        loc: Loc = ("network", index, "between")
        unknown = [city for city in link.between if city not in scenario.cities]
        if unknown:
            problems.append(
                (loc, f"unknown city {unknown[0]!r}; valid: {', '.join(scenario.cities)}")
            )
        pair = frozenset(link.between)
        if len(pair) < 2:
            problems.append((loc, "a link joins two different cities"))
        elif pair in seen:
            problems.append((loc, f"a second link between {' and '.join(sorted(pair))}"))
        seen.add(pair)
    return problems


def check_demand_bounded(scenario: schema.Scenario) -> Found:
    problems: Found = []
    total = 0.0
    for index, workload in enumerate(scenario.workload):
        arrival = workload.arrival
        if isinstance(arrival, schema.TraceArrival) and arrival._jobs is None:
            continue  # unreadable; reported by load_traces
        expected = expected_arrivals(arrival, scenario.run.horizon)
        if not math.isfinite(expected):
            problems.append(
                (
                    ("workload", index, "arrival"),
                    "the expected number of arrivals is infinite (a mean time between arrivals "
                    "of 0, or a growth that explodes over the horizon)",
                )
            )
        total += expected
    if math.isfinite(total) and total > MAX_EXPECTED_JOBS:
        problems.append(
            (
                ("workload",),
                f"about {total:.3g} jobs would arrive per replication (limit "
                f"{MAX_EXPECTED_JOBS:.0e}); check the rate units (e.g. '200/d') or the horizon",
            )
        )
    return problems


def check_job_shape_given(scenario: schema.Scenario) -> Found:
    """Each class needs a size and a duration: its own, or from its trace, not both."""
    problems: Found = []
    for index, workload in enumerate(scenario.workload):
        arrival = workload.arrival
        columns = arrival.columns if isinstance(arrival, schema.TraceArrival) else None
        for key in ("size", "duration"):
            from_trace = columns is not None and getattr(columns, key) is not None
            # `work` (FLOP) stands in for a duration: the run time follows from the pool
            own = key if key == "size" or workload.work is None else "work"
            given = getattr(workload, own) is not None
            if given == from_trace:
                wanted = " (`duration` or `work`)" if key == "duration" else ""
                message = (
                    f"the trace gives each job's {key} (`arrival.columns.{key}`); remove `{own}` "
                    "or that column"
                    if given
                    else f"required key is missing{wanted} (only a trace arrival with "
                    f"`columns.{key}` may omit it)"
                )
                problems.append((("workload", index, own), message))
    return problems


def check_trace_clusters(scenario: schema.Scenario) -> Found:
    problems: Found = []
    for index, workload in enumerate(scenario.workload):
        arrival = workload.arrival
        if not isinstance(arrival, schema.TraceArrival) or not arrival.clusters:
            continue
        loc: Loc = ("workload", index, "arrival", "clusters")
        if arrival.columns.cluster is None:
            problems.append((loc, "mapping clusters to cities needs `columns.cluster`"))
        for cluster, city in arrival.clusters.items():
            if city not in scenario.cities:
                problems.append(
                    ((*loc, cluster), f"unknown city {city!r}; valid: {', '.join(scenario.cities)}")
                )
    return problems


def size_bounds(workload: schema.WorkloadClass) -> dict[str, float]:
    """The largest job size [accelerators] a class can produce, by origin city.

    A replayed trace gives each city the largest of the jobs that originate there.
    """
    arrival = workload.arrival
    trace = arrival._jobs if isinstance(arrival, schema.TraceArrival) else None
    sizes = trace.size if isinstance(trace, Trace) else None
    if not isinstance(arrival, schema.TraceArrival) or trace is None or sizes is None:
        bound = 0.0 if workload.size is None else size_upper_bound(workload.size)
        return dict.fromkeys(workload.possible_origins(), bound)
    city_of = np.full(len(trace), "", dtype=object)
    if trace.cluster is not None and arrival.clusters:
        city_of = np.array([arrival.clusters.get(c, "") for c in trace.cluster], dtype=object)
    bounds: dict[str, float] = {}
    for origin in workload.possible_origins():
        mine = city_of == origin
        if origin in workload.origin:
            mine |= city_of == ""
        if mine.any():
            bounds[origin] = float(sizes[mine].max())
    return bounds


def size_upper_bound(spec: object) -> float:
    """The largest job size [accelerators] a size distribution spec can produce."""
    match spec:
        case schema.FixedSize(value=value):
            return float(value)
        case schema.UniformSize(high=high):
            return float(high)
        case schema.ChoiceSize(values=values, weights=weights):
            weights = weights or [1.0] * len(values)
            return float(max(v for v, w in zip(values, weights, strict=True) if w > 0))
        case schema.EmpiricalSize(samples=samples) if samples:
            return float(max(samples))
    return math.inf


# --- sample files -------------------------------------------------------------------------


def load_traces(scenario: schema.Scenario, base_dir: Path) -> Found:
    """Read the file of every trace arrival, relative to ``base_dir``, into the spec."""
    problems: Found = []
    for index, workload in enumerate(scenario.workload):
        arrival = workload.arrival
        if not isinstance(arrival, schema.TraceArrival):
            continue
        try:
            arrival._jobs = read_trace(base_dir / arrival.path, arrival.columns)
        except TraceError as error:
            problems.append((("workload", index, "arrival", *error.key), str(error)))
    return problems


def load_sample_files(scenario: schema.Scenario, base_dir: Path) -> tuple[schema.Scenario, Found]:
    """Read the files of empirical distributions given by ``path`` into their ``samples``."""
    problems: Found = []
    workload = list(scenario.workload)
    for index, loc, spec in _empirical_specs(scenario):
        if spec.path is None:
            continue
        try:
            samples = read_samples(base_dir / spec.path, spec.column, integer=loc[-1] == "size")
        except ValueError as error:
            problems.append((("workload", index, *loc), str(error)))
            continue
        loaded = spec.model_copy(update={"samples": samples})
        workload[index] = cast(schema.WorkloadClass, _replace_at(workload[index], loc, loaded))
    return scenario.model_copy(update={"workload": workload}), problems


def _empirical_specs(scenario: schema.Scenario) -> Iterator[tuple[int, Loc, schema.Empirical[Any]]]:
    for index, workload in enumerate(scenario.workload):
        places: list[tuple[Loc, object]] = [
            (("size",), workload.size),
        ]
        if workload.duration is not None:
            places.append((("duration",), workload.duration))
        if isinstance(workload.arrival, schema.RenewalArrival):
            places.append((("arrival", "interarrival"), workload.arrival.interarrival))
        for loc, spec in places:
            if isinstance(spec, schema.Empirical):
                yield index, loc, spec


def _replace_at(model: schema.Section, loc: Loc, value: object) -> schema.Section:
    head = str(loc[0])
    if len(loc) == 1:
        return model.model_copy(update={head: value})
    return model.model_copy(update={head: _replace_at(getattr(model, head), loc[1:], value)})


def read_samples(path: Path, column: str | None, integer: bool) -> list[float] | list[int]:
    """Read observed values: one per line, or a named column of a CSV file with a header."""
    import pandas as pd

    if path.exists() and not path.is_file():  # a FIFO or /dev/zero would block or fill memory
        raise ValueError(f"sample file {str(path)!r} is not a regular file")
    try:
        if column is None:
            frame = pd.read_csv(path, header=None, comment="#", usecols=[0], skip_blank_lines=True)
            raw = frame.iloc[:, 0]
        else:
            frame = pd.read_csv(path, comment="#")
            if column not in frame.columns:
                raise ValueError(
                    f"{path}: no column {column!r}; columns: {', '.join(map(str, frame.columns))}"
                )
            raw = frame[column]
    except FileNotFoundError:
        raise ValueError(f"sample file {str(path)!r} does not exist") from None
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"cannot read sample file {str(path)!r}: {error}") from None
    raw = raw.dropna()
    if raw.empty:
        raise ValueError(f"sample file {str(path)!r} holds no values")
    if integer:
        values = pd.to_numeric(raw, errors="coerce")
        if values.isna().any() or (values < 1).any() or (values % 1 != 0).any():
            raise ValueError(f"sample file {str(path)!r}: job sizes must be whole numbers >= 1")
        return [int(v) for v in values]
    numeric = pd.to_numeric(raw, errors="coerce")
    try:
        if numeric.isna().any():
            seconds = np.array([parse_duration(v) for v in raw], dtype=float)
        else:
            seconds = numeric.to_numpy(dtype=float)
    except ValueError as error:
        raise ValueError(f"sample file {str(path)!r}: {error}") from None
    if (seconds < 0).any():
        raise ValueError(f"sample file {str(path)!r}: durations must not be negative")
    return seconds.tolist()
