"""Workload: distributions, arrival processes and the demand of a run."""

from sim.workload.demand import Demand, generate_demand

__all__ = ["Demand", "generate_demand"]
