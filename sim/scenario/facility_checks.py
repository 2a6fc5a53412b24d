"""Consistency checks of the supply side over time: server power, site power caps and the
places inference loads name (see :mod:`sim.scenario.checks` for the convention)."""

from __future__ import annotations

import math

from sim.scenario import schema
from sim.scenario.errors import Loc

Found = list[tuple[Loc, str]]


def check_power(scenario: schema.Scenario) -> Found:
    """A server draws at least its accelerators' board power; what a center ever has installed
    (all its pools together) fits its power cap at full load."""
    catalogue = scenario.accelerator_catalogue()
    problems: Found = []
    for city_name, city in scenario.cities.items():
        for center_name, center in city.centers.items():
            loc: Loc = ("cities", city_name, "centers", center_name)
            pools = center.pool_list()
            found = [catalogue.get(pool.accelerator) for pool in pools]
            specs = [spec for spec in found if spec is not None]
            if len(specs) < len(pools):
                continue  # reported by check_accelerators_known
            servers = [center.server_model(spec.watts) for spec in specs]
            boards_kw = servers[0].accelerators * specs[0].watts / 1000.0
            if center.server is not None and center.server.kw < boards_kw:
                problems.append(
                    (
                        (*loc, "server", "kw"),
                        f"{center.server.kw:g} kW is less than the board power of its "
                        f"{center.server.accelerators} accelerators ({boards_kw:g} kW)",
                    )
                )
                continue
            if center.power_cap is None:
                continue
            steps = [center.installed(pool, spec) for pool, spec in zip(pools, specs, strict=True)]
            installed, need_w = _peak_full_load(steps, servers, center.pue)
            if need_w > center.power_cap * (1 + 1e-9):
                problems.append(
                    ((*loc, "power_cap"), _over_cap(center, installed, need_w, servers[0]))
                )
    return problems


def _peak_full_load(
    steps: list[list[tuple[float, int]]], servers: list[schema.Server], pue: float
) -> tuple[int, float]:
    """The accelerators installed and their facility power at full load [W] at the instant
    the pools together draw the most."""
    times = sorted({at for pool_steps in steps for at, _ in pool_steps})
    peak = (0, 0.0)
    for time in times:
        counts = [_count_at(pool_steps, time) for pool_steps in steps]
        watts = sum(
            math.ceil(n / server.accelerators) * server.kw * 1000.0 * pue
            for n, server in zip(counts, servers, strict=True)
        )
        if watts > peak[1]:
            peak = (sum(counts), watts)
    return peak


def _count_at(steps: list[tuple[float, int]], time: float) -> int:
    return [count for at, count in steps if at <= time][-1]


def _over_cap(center: schema.Center, installed: int, need_w: float, server: schema.Server) -> str:
    assert center.power_cap is not None
    message = (
        f"{installed} accelerators draw {need_w / 1e6:.4g} MW of facility power at full load "
        f"(PUE {center.pue:g}), above the cap of {center.power_cap / 1e6:.4g} MW"
    )
    if center.pools is not None:
        return message + " (all pools together)"
    fit = math.floor(center.power_cap / (server.kw * 1000.0 * center.pue))
    return message + f"; at most {fit * server.accelerators} fit"


def check_inference_places(scenario: schema.Scenario) -> Found:
    """Each inference load names a known city, center of it and pool of that center."""
    problems: Found = []
    seen: set[str] = set()
    for index, load in enumerate(scenario.inference):
        loc: Loc = ("inference", index)
        if load.name in seen:
            problems.append(((*loc, "name"), f"duplicate inference name {load.name!r}"))
        seen.add(load.name)
        city = scenario.cities.get(load.city)
        if city is None:
            problems.append(
                ((*loc, "city"), f"unknown city {load.city!r}; valid: {', '.join(scenario.cities)}")
            )
            continue
        if load.center is not None and load.center not in city.centers:
            problems.append(
                (
                    (*loc, "center"),
                    f"unknown center {load.center!r} in {load.city}; valid: "
                    f"{', '.join(city.centers)}",
                )
            )
            continue
        center = city.centers[load.center or next(iter(city.centers))]
        types = [pool.accelerator for pool in center.pool_list()]
        if load.accelerator is not None and load.accelerator not in types:
            problems.append(
                (
                    (*loc, "accelerator"),
                    f"center {load.center or next(iter(city.centers))!r} has no pool of "
                    f"{load.accelerator!r}; valid: {', '.join(types)}",
                )
            )
    return problems
