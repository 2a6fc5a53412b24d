"""Random streams: one seed per run, one independent stream per purpose.

A stream is named by its purpose (``"arrivals"``, ``"sizes"``, …) and, where it belongs to
something named, that name (a workload class). Names are hashed into the seed's spawn key, so
a class keeps its streams when other classes are added, and every policy or variant of a run
sees exactly the same demand (common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np


def run_seed(seed: int | np.random.SeedSequence, replication: int = 0) -> np.random.SeedSequence:
    """The seed sequence of replication ``replication`` of a run seeded with ``seed``."""
    if isinstance(seed, np.random.SeedSequence):
        if replication == 0:
            return seed
        return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, replication))
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.SeedSequence(seed, spawn_key=(replication,))


def stream(seed: np.random.SeedSequence, *purpose: str) -> np.random.Generator:
    """An independent generator for ``purpose`` (e.g. ``("training", "arrivals")``)."""
    key = tuple(zlib.crc32(part.encode("utf-8")) for part in purpose)
    child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, *key))
    return np.random.Generator(np.random.PCG64(child))
