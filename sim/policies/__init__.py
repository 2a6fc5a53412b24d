"""Local schedulers and cross-center dispatchers, found by name.

Importing this package registers every built-in policy.
"""

from sim.policies import (
    cheapest,
    consolidate,
    easy_backfill,
    fifo,
    las,
    on_demand,
    pool,
    priority,
    siloed,
    sjf,
    spillover,
    spread,
    srtf,
)
from sim.policies.base import (
    CenterView,
    DispatchContext,
    Dispatcher,
    JobTable,
    LocalScheduler,
    UnknownPolicyError,
    dispatcher,
    local_policy,
)
from sim.policies.placement import Placement, placement_policy

__all__ = [
    "CenterView",
    "DispatchContext",
    "Dispatcher",
    "JobTable",
    "LocalScheduler",
    "Placement",
    "UnknownPolicyError",
    "cheapest",
    "consolidate",
    "dispatcher",
    "easy_backfill",
    "fifo",
    "las",
    "local_policy",
    "on_demand",
    "placement_policy",
    "pool",
    "priority",
    "siloed",
    "sjf",
    "spillover",
    "spread",
    "srtf",
]
