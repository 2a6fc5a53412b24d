"""Output folders: one writer at a time, one kind of output, files published together.

An output folder (``--out``) is held by :func:`open_folder` for the whole command: an
exclusive lock (``DIR/.capsim.lock``, holding who took it), the kind of command that wrote the
folder (``DIR/contents.json``; another kind is refused), leftover temporary files of a killed
command removed, and the folder's files published together with their sha256 in
``contents.json``, written last, which :func:`verify_folder` checks for every reader.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import socket
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.output.files import (
    SCENARIO_COPY,
    TEMPORARY_NAME,
    FolderInUse,
    OutputError,
    check_target,
    flush_file,
    flush_folder,
    json_text,
    temporary_beside,
    write_json,
)

CONTENTS = "contents.json"
"""What wrote an output folder and, once complete, the sha256 of each of its files."""
LOCK = ".capsim.lock"
"""The lock file of an output folder; it holds the pid, host and command of its last holder."""

WRITES = {
    "run": {"summary.json", "summary.parquet", "jobs.parquet", "timeseries.parquet", SCENARIO_COPY},
    "batch": {"batch.json", "summary.json", "summary.parquet", SCENARIO_COPY, "runs/", "failed/"},
    "size": {"sizing.json", "sizing.parquet", SCENARIO_COPY},
    "plan": {"plan.json", "plan.parquet", "candidates.json", "batch.json", SCENARIO_COPY, "runs/"},
    "report": {"report.md", "figures/", "tables/"},
}
"""What each kind of command writes into its folder (a trailing ``/``: a subfolder it owns):
their temporary files, left by a killed command, are removed by the next one."""


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
        self._staged[name] = temporary_beside(target)
        return self._staged[name]

    def stage_bytes(self, name: str, data: bytes) -> None:
        self.stage(name).write_bytes(data)

    def stage_json(self, name: str, data: Any) -> None:
        self.stage(name).write_text(json_text(data), encoding="utf-8")

    def publish(self) -> None:
        """Move every staged file into place, then record them with their sha256 in
        ``contents.json``. Until that last write the folder is marked as being written, so a
        kill between the renames leaves a folder that readers refuse, never a mixed one. Files
        the previous publish made and this one does not (an optional table) are removed."""
        hashes = {}
        for name, temporary in self._staged.items():
            flush_file(temporary)
            hashes[name] = _sha256(temporary)
            check_target(self.root / name)
        previous = _read_contents(self.root) or {}
        self._write_contents("writing", {})
        for name in set(previous.get("files", {})) - set(self._staged):
            (self.root / name).unlink(missing_ok=True)
        for name, temporary in sorted(self._staged.items()):
            os.replace(temporary, self.root / name)
            flush_folder((self.root / name).parent)
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
        _check_space(root)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


MIN_FREE_BYTES = 1 << 20
"""Below this much free space a disk counts as full: the lock record fits in a block the lock
file already has, so it alone does not prove there is room for results."""


def _check_space(root: Path) -> None:
    disk = os.statvfs(root)
    free = disk.f_bavail * disk.f_frsize
    if free < MIN_FREE_BYTES:
        raise OutputError(f"cannot write to {root}: the disk is full ({free} bytes free)")


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
            if TEMPORARY_NAME.match(path.name) and path.is_file():
                path.unlink(missing_ok=True)


def folder_kind(root: Path) -> str | None:
    """The kind of command whose output ``root`` holds, if any: from ``contents.json``, else
    (folders written before it existed) from the files."""
    contents = _read_contents(root)
    if contents is not None:
        return str(contents.get("kind"))
    if (root / "plan.json").exists():
        return "plan"
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
