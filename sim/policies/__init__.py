"""Local schedulers and cross-center dispatchers, found by name.

Importing this package registers every built-in policy.
"""

from sim.policies import (
    cheapest,
    easy_backfill,
    fifo,
    on_demand,
    priority,
    siloed,
    sjf,
    spillover,
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

__all__ = [
    "CenterView",
    "DispatchContext",
    "Dispatcher",
    "JobTable",
    "LocalScheduler",
    "UnknownPolicyError",
    "cheapest",
    "dispatcher",
    "easy_backfill",
    "fifo",
    "local_policy",
    "on_demand",
    "priority",
    "siloed",
    "sjf",
    "spillover",
]
