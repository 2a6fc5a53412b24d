"""Workload: distributions, arrival processes and the demand of a run."""

from sim.workload.demand import Demand, generate_demand, item_view

__all__ = ["Demand", "generate_demand", "item_view"]
