"""Batches: a scenario's sweep grid × variants × replications, run by an executor (serial,
local processes or Dask), every run written as it finishes; and capacity sizing."""

from sim.batch.executors import DaskExecutor, Executor, ProcessExecutor, SerialExecutor, Task
from sim.batch.grid import Point, build_grid, parse_sweep, set_path
from sim.batch.runner import BatchError, BatchResult, run_batch
from sim.batch.work import RunRows, run_one

__all__ = [
    "BatchError",
    "BatchResult",
    "DaskExecutor",
    "Executor",
    "Point",
    "ProcessExecutor",
    "RunRows",
    "SerialExecutor",
    "Task",
    "build_grid",
    "parse_sweep",
    "run_batch",
    "run_one",
    "set_path",
]
