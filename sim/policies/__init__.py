"""Local schedulers and cross-center dispatchers, found by name.

Importing this package registers every built-in policy.
"""

from sim.policies import easy_backfill, fifo, priority, siloed, sjf
from sim.policies.base import (
    CenterView,
    Dispatcher,
    JobTable,
    LocalScheduler,
    UnknownPolicyError,
    dispatcher,
    local_policy,
)

__all__ = [
    "CenterView",
    "Dispatcher",
    "JobTable",
    "LocalScheduler",
    "UnknownPolicyError",
    "dispatcher",
    "easy_backfill",
    "fifo",
    "local_policy",
    "priority",
    "siloed",
    "sjf",
]
