"""Resources: compute centers and their capacity."""

from sim.resources.centers import CenterSpec, build_centers

__all__ = ["CenterSpec", "build_centers"]
