"""Writing results: files appear whole or not at all, only over regular files, and an output
folder has one writer at a time.

- Every file is written under a temporary name in its final folder, flushed to disk and renamed
  into place (:func:`atomic_path`), so an interrupted command never leaves a half-written file
  and never damages the previous one. A path that exists and is not a regular file (a device,
  a FIFO, a socket, a folder) is refused, never replaced.
- An output folder (``--out``) is held by :class:`OutputFolder` for the whole command: an
  exclusive lock (``DIR/.capsim.lock``, holding who took it), the kind of command that wrote the
  folder (``DIR/contents.json``; another kind is refused), leftover temporary files of a killed
  command removed, and the folder's files published together with their sha256 in
  ``contents.json``, written last, which :func:`verify_folder` checks for every reader.
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import re
import secrets
import socket
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SCENARIO_COPY = "scenario.yaml"
"""The name of the copy of the scenario file in an output folder (for reports)."""
CONTENTS = "contents.json"
"""What wrote an output folder and, once complete, the sha256 of each of its files."""
LOCK = ".capsim.lock"
"""The lock file of an output folder; it holds the pid, host and command of its last holder."""

_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[0-9a-f]{16}\.tmp$")
WRITES = {
    "run": {"summary.json", "jobs.parquet", "timeseries.parquet", SCENARIO_COPY},
    "batch": {"batch.json", "summary.json", "summary.parquet", SCENARIO_COPY, "runs/", "failed/"},
    "size": {"sizing.json", "sizing.parquet", SCENARIO_COPY},
    "report": {"report.md", "figures/", "tables/"},
}
"""What each kind of command writes into its folder (a trailing ``/``: a subfolder it owns):
their temporary files, left by a killed command, are removed by the next one."""
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


# --- single files --------------------------------------------------------------------------------


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
        probe = _temporary_beside(path)
        probe.unlink()
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces ``path`` when the block succeeds."""
    check_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_beside(path)
    try:
        yield temporary
        _sync(temporary)
        check_target(path)
        os.replace(temporary, path)
        _sync_folder(path.parent)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _temporary_beside(path: Path) -> Path:
    # Not mkstemp: its files are private (0600), and results and reports are meant to be
    # shared, so the file gets the permissions of any new file (0666 less the umask).
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return temporary


def _sync(path: Path) -> None:
    """Flush a finished file to disk, so a rename never publishes a file the disk lacks."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_folder(folder: Path) -> None:
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


# --- output folders ------------------------------------------------------------------------------


class OutputFolder:
    """An output folder held by one command: see :func:`open_folder`."""

    def __init__(self, root: Path, kind: str):
        self.root = root
        self.kind = kind
        self._staged: dict[str, Path] = {}

    def stage(self, name: str) -> Path:
        """A new temporary file for ``name`` (a path relative to the folder), published by
        :meth:`publish` with the others."""
        target = self.root / name
        check_target(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        previous = self._staged.pop(name, None)
        if previous is not None:
            previous.unlink(missing_ok=True)
        self._staged[name] = _temporary_beside(target)
        return self._staged[name]

    def stage_bytes(self, name: str, data: bytes) -> None:
        self.stage(name).write_bytes(data)

    def stage_json(self, name: str, data: Any) -> None:
        self.stage(name).write_text(json_text(data), encoding="utf-8")

    def publish(self) -> None:
        """Move every staged file into place, then record them with their sha256 in
        ``contents.json``. Until that last write the folder is marked as being written, so a
        kill between the renames leaves a folder that readers refuse, never a mixed one."""
        hashes = {}
        for name, temporary in self._staged.items():
            _sync(temporary)
            hashes[name] = _sha256(temporary)
            check_target(self.root / name)
        self._write_contents("writing", {})
        for name, temporary in sorted(self._staged.items()):
            os.replace(temporary, self.root / name)
            _sync_folder((self.root / name).parent)
        self._staged.clear()
        self._write_contents("complete", hashes)

    def discard(self) -> None:
        """Drop what was staged; the files already in the folder are untouched."""
        for temporary in self._staged.values():
            temporary.unlink(missing_ok=True)
        self._staged.clear()

    def _write_contents(self, state: str, files: dict[str, str]) -> None:
        write_json(self.root / CONTENTS, {"kind": self.kind, "state": state, "files": files})


@contextmanager
def open_folder(root: Path, kind: str, option: str = "--out") -> Iterator[OutputFolder]:
    """Hold the output folder ``root`` for a command of ``kind`` (``run``, ``batch``, ``size``,
    ``report``), before any work is done.

    The folder is made if needed and locked for the whole block; it must be writable, must not
    be locked by another command and must not hold another kind's output (legacy folders
    without ``contents.json`` are recognised by their files). Temporary files left by a killed
    command are removed. Staged files not published when the block ends are dropped.

    Raises
    ------
    OutputError
        The folder cannot be written (status 1).
    FolderInUse
        Another command holds it, or it holds another kind's output (status 2).
    """
    if root.exists() and not root.is_dir():
        raise OutputError(f"{option} {root} exists and is not a folder")
    try:
        root.mkdir(parents=True, exist_ok=True)
        descriptor = _lock(root, option)
    except OSError as error:
        raise OutputError(f"cannot write to {root}: {error.strerror or error}") from None
    folder = OutputFolder(root, kind)
    try:
        found = folder_kind(root)
        if found is not None and found != kind:
            raise FolderInUse(
                f"{option} {root} holds the output of `capsim {found}`; `capsim {kind}` does "
                f"not write over it: choose another {option}"
            )
        _remove_leftovers(root, WRITES.get(kind, set()) | {CONTENTS})
        if found is None:
            folder._write_contents("writing", {})
        yield folder
    finally:
        folder.discard()
        os.close(descriptor)  # releases the lock


def _lock(root: Path, option: str) -> int:
    """Take the folder's lock and write who holds it (which also proves the folder takes
    writes: a read-only or full disk fails here, before any work)."""
    import fcntl

    path = root / LOCK
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OutputError(f"{path} is not a regular file; remove it")
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 4096, 0).decode("utf-8", errors="replace")
            raise FolderInUse(
                f"{option} {root} is being written by another capsim ({_holder(holder)}); "
                f"wait for it to finish or choose another {option}"
            ) from None
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": " ".join(["capsim", *sys.argv[1:]]),
            "since": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        }
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(me).encode("utf-8"), 0)
        os.fsync(descriptor)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _holder(holder: str) -> str:
    try:
        data = json.loads(holder)
        return f"pid {data['pid']} on {data['host']} since {data['since']}: {data['command']}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown"


def _remove_leftovers(root: Path, names: set[str]) -> None:
    """Temporary files of ``names`` left by a killed command (only those: a report being
    written into the folder by ``capsim report`` keeps its own)."""
    for name in names:
        if name.endswith("/"):
            owned = root / name
            found = list(owned.iterdir()) if owned.is_dir() else []
        else:
            found = list(root.glob(f".{glob.escape(name)}.*.tmp"))
        for path in found:
            if _TEMPORARY.match(path.name) and path.is_file():
                path.unlink(missing_ok=True)


def folder_kind(root: Path) -> str | None:
    """The kind of command whose output ``root`` holds, if any: from ``contents.json``, else
    (folders written before it existed) from the files."""
    contents = _read_contents(root)
    if contents is not None:
        return str(contents.get("kind"))
    if (root / "batch.json").exists() or (root / "runs").is_dir():
        return "batch"
    if (root / "sizing.json").exists():
        return "size"
    if (root / "report.md").exists():
        return "report"
    if (root / "summary.json").exists():
        try:
            summary = json.loads((root / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return "batch" if isinstance(summary, dict) and "points" in summary else "run"
    return None


def _read_contents(root: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((root / CONTENTS).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise OutputError(f"{root / CONTENTS}: cannot read it: {error}") from None
    if not isinstance(data, dict):
        raise OutputError(f"{root / CONTENTS}: expected a JSON object")
    return data


def verify_folder(root: Path) -> None:
    """Check that ``root`` is whole: every file of ``contents.json`` present with its sha256.
    A folder without ``contents.json`` (written before capsim recorded it) passes.

    Raises
    ------
    OutputError
        Naming what is wrong (the folder is being written, was interrupted, or mixes files).
    """
    contents = _read_contents(root)
    if contents is None:
        return
    kind = contents.get("kind")
    if contents.get("state") != "complete":
        raise OutputError(
            f"{root} is incomplete: `capsim {kind}` is writing it or was interrupted while "
            "writing it; run that command again"
        )
    for name, expected in dict(contents.get("files", {})).items():
        path = root / name
        if not path.is_file() or _sha256(path) != expected:
            problem = "is missing" if not path.is_file() else "differs from what was written"
            raise OutputError(
                f"{path} {problem} (sha256 in {CONTENTS}): the folder mixes outputs; run "
                f"`capsim {kind}` again"
            )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def optional_folder(root: Path | None, kind: str) -> Iterator[OutputFolder | None]:
    """:func:`open_folder` for an optional ``--out``; ``None`` without one."""
    if root is None:
        yield None
        return
    with open_folder(root, kind) as folder:
        yield folder
