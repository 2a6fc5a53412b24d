"""Writing run results: files appear whole or not at all.

Every file is written under a temporary name in its final folder and renamed into place, so an
interrupted run never leaves a half-written file and never damages the previous one.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces ``path`` when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp: its files are private (0600), and results and reports are meant to be
    # shared, so the file gets the permissions of any new file (0666 less the umask).
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically; NaN and infinities become null."""
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(_json_safe(data), indent=2) + "\n", encoding="utf-8")


class ParquetAppender:
    """Append tables of one schema to a Parquet file that appears only on :meth:`close`."""

    def __init__(self, path: Path):
        self.path = path
        self._context = atomic_path(path)
        self._temporary = self._context.__enter__()
        self._writer: pq.ParquetWriter | None = None

    def append(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._temporary, table.schema)
        self._writer.write_table(table.cast(self._writer.schema))

    def close(self) -> None:
        """Finish the file and move it into place."""
        if self._writer is not None:
            self._writer.close()
        self._context.__exit__(None, None, None)

    def abort(self) -> None:
        """Drop what was written; the previous file at ``path``, if any, is untouched."""
        if self._writer is not None:
            self._writer.close()
        Path(self._temporary).unlink(missing_ok=True)


SCENARIO_COPY = "scenario.yaml"
"""The name of the copy of the scenario file in an output folder (for reports)."""


def copy_scenario(source: Path, folder: Path) -> None:
    """Copy the scenario file's bytes into ``folder`` (so its sha256 is the summary's), for a
    report to show the assumptions and their source comments after the file has changed."""
    with atomic_path(folder / SCENARIO_COPY) as temporary:
        temporary.write_bytes(Path(source).read_bytes())
