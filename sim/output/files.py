"""Single output files: written whole or not at all, only over regular files.

Every file is written under a temporary name in its final folder, flushed to disk and renamed
into place (:func:`atomic_path`), so an interrupted command never leaves a half-written file
and never damages the previous one. A path that exists and is not a regular file (a device, a
FIFO, a socket, a folder) is refused, never replaced.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SCENARIO_COPY = "scenario.yaml"
"""The name of the copy of the scenario file in an output folder (for reports)."""
TEMPORARY_NAME = re.compile(r"^\.(?P<name>.+)\.[0-9a-f]{16}\.tmp$")
_NOT_REGULAR = {
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}


class OutputError(Exception):
    """An output that cannot or must not be written; the message names it and says why.
    ``status`` is the exit status of the command that stops on it."""

    status = 1


class FolderInUse(OutputError):
    """An output folder locked by another writer, or holding another kind of output."""

    status = 2


def check_target(path: Path) -> None:
    """Refuse a path that exists and is not a regular file: writing there would replace a
    device, a FIFO, a socket or a folder (as root, ``-o /dev/full`` would)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    if not stat.S_ISREG(mode):
        what = _NOT_REGULAR.get(stat.S_IFMT(mode), "not a regular file")
        raise OutputError(f"{path} is {what}: capsim writes only regular files (or a new name)")


def prepare_file(path: Path) -> None:
    """Check, before any work, that ``path`` can be written: a regular file or a new name, in
    a folder that exists or can be made and takes a new file."""
    check_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = temporary_beside(path)
        probe.unlink()
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None


@contextmanager
def atomic_path(path: Path, sync_folder: bool = True) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces ``path`` when the block succeeds.

    The file is flushed to disk before the rename, so a crash never leaves a damaged file under
    ``path``; the folder is flushed after it (~10 ms more) unless ``sync_folder`` is false,
    for files whose rename may be lost in a crash (a batch's run: ``--resume`` runs it again).
    """
    check_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_beside(path)
    try:
        yield temporary
        flush_file(temporary)
        check_target(path)
        os.replace(temporary, path)
        if sync_folder:
            flush_folder(path.parent)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def temporary_beside(path: Path) -> Path:
    # Not mkstemp: its files are private (0600), and results and reports are meant to be
    # shared, so the file gets the permissions of any new file (0666 less the umask).
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return temporary


def flush_file(path: Path) -> None:
    """Flush a finished file to disk, so a rename never publishes a file the disk lacks."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def flush_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:  # a platform without directory descriptors: the rename still stands
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def json_text(data: Any) -> str:
    """The JSON of results: indented, NaN and infinities as null."""
    return json.dumps(_json_safe(data), indent=2) + "\n"


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically; NaN and infinities become null."""
    with atomic_path(path) as temporary:
        temporary.write_text(json_text(data), encoding="utf-8")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%?$")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that a spreadsheet would run as a formula (starting with
    ``= + - @``, a tab or a carriage return: the OWASP rule) prefixed by ``'``. Numbers, and
    text that is a plain number such as ``-12.5``, stay as they are."""

    def cell(value: Any) -> Any:
        formula = isinstance(value, str) and value.startswith(_FORMULA_START)
        return "'" + value if formula and not _NUMBER.match(value) else value

    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(cell)
    safe.columns = [cell(str(name)) for name in safe.columns]
    return safe


class ParquetAppender:
    """Append tables of one schema to a Parquet file at ``path`` (a temporary file of an
    :class:`OutputFolder`, published with the folder)."""

    def __init__(self, path: Path):
        self.path = path
        self._writer: pq.ParquetWriter | None = None

    def append(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table.cast(self._writer.schema))

    def close(self) -> None:
        """Finish the file."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def copy_scenario(source: Path, folder: Path) -> None:
    """Copy the scenario file's bytes into ``folder`` (so its sha256 is the summary's), for a
    report to show the assumptions and their source comments after the file has changed."""
    with atomic_path(folder / SCENARIO_COPY) as temporary:
        temporary.write_bytes(Path(source).read_bytes())
