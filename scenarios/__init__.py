"""The shipped scenarios, installed with capsim as ``sim.bundled_scenarios``."""
