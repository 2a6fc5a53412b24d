"""Job traces: reading a CSV of submitted jobs into columns, for replay and for fitting."""

from __future__ import annotations

import functools
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.scenario import schema
from sim.scenario.errors import Loc
from sim.units import brief


@dataclass(frozen=True)
class Trace:
    """A trace's jobs in submit order, as columns."""

    submit: np.ndarray
    """Submit time since the earliest submit [s]."""
    size: np.ndarray | None
    """Accelerators per job [-], if the trace has them."""
    duration: np.ndarray | None
    """Run time [s], if the trace has them."""
    cluster: np.ndarray | None
    """The cluster of each job (strings), if the trace has them."""
    week_offset: float | None = None
    priority: np.ndarray | None = None
    """Priority of each job [-], if the trace has them."""
    estimate: np.ndarray | None = None
    """Estimated run time of each job [s], if the trace has them."""
    tenant: np.ndarray | None = None
    """The tenant of each job (strings, empty where none), if the trace has them."""
    """Time from the Monday 00:00 before the earliest submit to it [s], for date-time traces."""

    def __len__(self) -> int:
        return len(self.submit)


class TraceError(ValueError):
    """A trace that cannot be read; ``key`` locates the culprit within the arrival spec."""

    def __init__(self, key: Loc, message: str):
        super().__init__(message)
        self.key = key


def read_trace(path: Path, columns: schema.TraceColumns) -> Trace:
    """Read a CSV trace with a header row; the columns are named by ``columns``.

    Raises
    ------
    TraceError
        If the file cannot be read, lacks a named column or holds a bad value.
    """
    found = _stat(path)
    return _read_cached(path.resolve(), found.st_mtime_ns, found.st_size, columns.model_dump_json())


def loaded_trace(spec: schema.TraceArrival) -> Trace:
    """The trace a loaded scenario read for ``spec`` (see ``sim.scenario.checks``)."""
    if not isinstance(spec._jobs, Trace):
        raise ValueError(f"the trace {spec.path!r} was not read; load the scenario from its file")
    return spec._jobs


def _stat(path: Path) -> os.stat_result:
    try:
        found = path.stat()
    except FileNotFoundError:
        raise TraceError(("path",), f"trace file {str(path)!r} does not exist") from None
    except OSError as error:
        raise TraceError(("path",), f"cannot read trace file {str(path)!r}: {error}") from None
    if not stat.S_ISREG(found.st_mode):
        raise TraceError(("path",), f"trace file {str(path)!r} is not a regular file")
    return found


@functools.lru_cache(maxsize=8)
def _read_cached(path: Path, mtime_ns: int, file_size: int, columns_json: str) -> Trace:
    """Read once per file version and column choice (variants and sweep points share it)."""
    import pandas as pd

    columns = schema.TraceColumns.model_validate_json(columns_json)
    wanted = {key: name for key, name in columns.model_dump().items() if name is not None}
    try:
        header = pd.read_csv(path, nrows=0).columns
        for key, name in wanted.items():
            if name not in header:
                raise TraceError(
                    ("columns", key),
                    f"{path.name}: no column {name!r}; columns: {', '.join(map(str, header))}",
                )
        dtypes = {wanted[key]: str for key in ("cluster", "tenant") if key in wanted} or None
        frame = pd.read_csv(path, usecols=list(set(wanted.values())), dtype=dtypes)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise TraceError(("path",), f"cannot read trace file {path.name!r}: {error}") from None
    if frame.empty:
        raise TraceError(("path",), f"trace file {path.name!r} holds no jobs")
    submit, week_offset = _seconds_since_first(frame[wanted["submit"]], path.name)
    order = np.argsort(submit, kind="stable")
    size = duration = cluster = None
    if "size" in wanted:
        size = _numbers(frame[wanted["size"]], path.name, "size", whole=True)[order]
    if "duration" in wanted:
        duration = _numbers(frame[wanted["duration"]], path.name, "duration", whole=False)[order]
    if "cluster" in wanted:
        cluster = frame[wanted["cluster"]].fillna("").to_numpy(dtype=object)[order]
    priority = estimate = None
    if "priority" in wanted:
        priority = _whole(frame[wanted["priority"]], path.name, "priority")[order]
    if "estimate" in wanted:
        estimate = _numbers(frame[wanted["estimate"]], path.name, "estimate", whole=False)[order]
    tenant = None
    if "tenant" in wanted:
        tenant = frame[wanted["tenant"]].fillna("").to_numpy(dtype=object)[order]
    return Trace(submit[order], size, duration, cluster, week_offset, priority, estimate, tenant)


PRIORITY_LIMIT = 2**31 - 1
"""Largest magnitude of a priority [-]: jobs keep them as 32-bit integers."""


def _whole(raw: object, file: str, key: str) -> np.ndarray:
    """Whole numbers of any sign (priorities)."""
    import pandas as pd

    series = pd.Series(raw)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values % 1 != 0) | (np.abs(values) > PRIORITY_LIMIT)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise TraceError(
            ("columns", key),
            f"{file} line {row + 2}: {key} {brief(series.iloc[row])} is not a whole number "
            f"between -{PRIORITY_LIMIT} and {PRIORITY_LIMIT}",
        )
    return values.astype(np.int32)


def _seconds_since_first(raw: object, file: str) -> tuple[np.ndarray, float | None]:
    """Submit times since the earliest [s], and for date-times its time since Monday 00:00."""
    import pandas as pd

    series = pd.Series(raw)
    numeric = pd.to_numeric(series, errors="coerce")
    if numeric.notna().all():
        seconds = numeric.to_numpy(dtype=float)
        return seconds - seconds.min(), None
    with warnings.catch_warnings():  # mixed formats fall back to dateutil: still correct
        warnings.simplefilter("ignore", UserWarning)
        stamps = pd.to_datetime(series, errors="coerce")
    bad = stamps.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise TraceError(
            ("columns", "submit"),
            f"{file} line {row + 2}: submit time {brief(series.iloc[row])} is neither a number of "
            "seconds nor a date-time",
        )
    first = stamps.min()
    monday = first.normalize() - pd.Timedelta(days=first.weekday())
    since_first = (stamps - first).dt.total_seconds().to_numpy(dtype=float)
    return since_first, (first - monday).total_seconds()


LARGEST_SIZE = schema.MAX_COUNT
"""Most accelerators a trace job may ask for: as many as a pool may hold."""
LONGEST_DURATION = schema.MAX_SECONDS
"""Longest run time a trace job may have [s]: the scenario's longest duration."""


def _numbers(raw: object, file: str, key: str, whole: bool) -> np.ndarray:
    import pandas as pd

    series = pd.Series(raw)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        if whole:
            bad = ~np.isfinite(values) | (values < 1) | (values % 1 != 0) | (values > LARGEST_SIZE)
            need = f"whole numbers from 1 to {LARGEST_SIZE:.0e}"
        else:
            bad = ~np.isfinite(values) | (values < 0) | (values > LONGEST_DURATION)
            need = f"numbers of seconds from 0 to {LONGEST_DURATION:.0e}"
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise TraceError(
            ("columns", key),
            f"{file} line {row + 2}: {key} {brief(series.iloc[row])}; {key}s must be {need}",
        )
    return values.astype(np.int64) if whole else values
