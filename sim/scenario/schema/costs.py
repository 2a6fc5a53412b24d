"""The cost model of a scenario: what building and running the centers costs, besides the
electricity each city's price already gives. Accelerator prices are per type (`capex_cny` in
the accelerator catalogue); the rest is here."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.scenario.catalogue import (
    FACILITY_CNY_PER_MW,
    FACILITY_LIFE_Y,
    MAINTENANCE_SHARE,
    NETWORK_CNY_PER_TB,
    SERVER_CNY,
    SERVER_LIFE_Y,
)
from sim.scenario.schema.base import Seconds, Section
from sim.units import YEAR


class Costs(Section):
    """Capital and running costs, for total cost of ownership over the measured window.

    Capital is depreciated straight-line over its life: a center pays, for the window, the
    share of its accelerators' and servers' price that their time installed in the window uses
    up, and the share of its facility's price (per MW of IT power at full load of the most it
    ever has installed in the window) that the window's length uses up."""

    server_cny: float = Field(
        SERVER_CNY,
        ge=0,
        description="Price of one server besides its accelerators (host, chassis, network) "
        "[CNY]. Default: a DGX H100 (~$270,000) less its 8 H100s, DOMAIN.md.",
    )
    facility_cny_per_mw: float = Field(
        FACILITY_CNY_PER_MW,
        ge=0,
        description="Facility construction per MW of critical IT load [CNY/MW]. Default: "
        "$11 M, the middle of $10-12 M for a standard data center (DOMAIN.md); AI-optimised, "
        "liquid-cooled ones cost about double.",
    )
    server_life: Annotated[Seconds, Field(gt=0)] = Field(
        SERVER_LIFE_Y * YEAR,
        description="Depreciation life of accelerators and servers [s], e.g. '5y' (default, an "
        "ASSUMPTION of DOMAIN.md: common accounting practice).",
    )
    facility_life: Annotated[Seconds, Field(gt=0)] = Field(
        FACILITY_LIFE_Y * YEAR,
        description="Depreciation life of a facility [s], e.g. '15y' (default, an ASSUMPTION: "
        "DOMAIN.md gives 15-20 years).",
    )
    maintenance_share: float = Field(
        MAINTENANCE_SHARE,
        ge=0,
        le=1,
        description="Maintenance per year as a share of the capital cost in use [1/y]. "
        "Default 0.03, an ASSUMPTION with no source.",
    )
    network_cny_per_tb: float = Field(
        NETWORK_CNY_PER_TB,
        ge=0,
        description="Price of moving data between cities [CNY/TB], charged to the center the "
        "data moves to. Default 500, an ASSUMPTION (the order of public-cloud egress list "
        "prices) with no source.",
    )
