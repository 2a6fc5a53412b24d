"""Writing results: files appear whole or not at all, only over regular files, and an output
folder has one writer at a time (the README's "Output guarantees").

- :mod:`sim.output.files`: one file, atomic and flushed (:func:`atomic_path`), never over a
  device, FIFO, socket or folder (:func:`check_target`); JSON and CSV made safe to write.
- :mod:`sim.output.folders`: an output folder held by one command (:func:`open_folder`):
  locked, of one kind, checked writable before any work, published together and verified by
  readers (:func:`verify_folder`).
"""

from sim.output.files import (
    SCENARIO_COPY,
    FolderInUse,
    OutputError,
    ParquetAppender,
    atomic_path,
    check_target,
    copy_scenario,
    csv_safe,
    json_text,
    prepare_file,
    write_json,
)
from sim.output.folders import (
    CONTENTS,
    LOCK,
    WRITES,
    OutputFolder,
    folder_kind,
    open_folder,
    optional_folder,
    verify_folder,
)

__all__ = [
    "CONTENTS",
    "LOCK",
    "SCENARIO_COPY",
    "WRITES",
    "FolderInUse",
    "OutputError",
    "OutputFolder",
    "ParquetAppender",
    "atomic_path",
    "check_target",
    "copy_scenario",
    "csv_safe",
    "folder_kind",
    "json_text",
    "open_folder",
    "optional_folder",
    "prepare_file",
    "verify_folder",
    "write_json",
]
