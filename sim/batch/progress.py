"""A plain-text progress bar on stderr: runs done, failures, elapsed time and ETA.

On a terminal the line is rewritten in place; otherwise (a log file, CI) a line is printed at
most every ``interval`` seconds and at the end. No dependency: a bar is a few characters.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 24


class BatchProgress:
    """Progress of ``total`` runs, of which ``already`` were done before this session."""

    def __init__(
        self, total: int, already: int = 0, stream: TextIO | None = None, interval: float = 5.0
    ):
        self.total = total
        self.already = already
        self.done = 0
        self.failed = 0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.interval = interval
        self.started = time.perf_counter()
        self.last_print = -float("inf")

    def update(self, failed: bool = False) -> None:
        """Count one finished run (``failed`` if it raised) and redraw."""
        self.done += 1
        self.failed += int(failed)
        now = time.perf_counter()
        if self.tty or now - self.last_print >= self.interval or self.finished:
            self.last_print = now
            self._draw(now)

    @property
    def finished(self) -> bool:
        return self.already + self.done >= self.total

    def line(self, now: float | None = None) -> str:
        """The progress line, e.g. ``[######------] 12/40 runs, 1 failed, 3 s, ETA 7 s``."""
        elapsed = (time.perf_counter() if now is None else now) - self.started
        count = self.already + self.done
        filled = WIDTH * count // self.total if self.total else WIDTH
        remaining = self.total - count
        eta = elapsed / self.done * remaining if self.done else float("nan")
        eta_text = f"ETA {_seconds(eta)}" if remaining else "done"
        skipped = f" ({self.already} on disk)" if self.already else ""
        return (
            f"[{'#' * filled}{'-' * (WIDTH - filled)}] {count}/{self.total} runs{skipped}, "
            f"{self.failed} failed, {_seconds(elapsed)} elapsed, {eta_text}"
        )

    def _draw(self, now: float) -> None:
        if self.tty:
            print(f"\r{self.line(now)}", end="", file=self.stream, flush=True)
        else:
            print(self.line(now), file=self.stream, flush=True)

    def close(self) -> None:
        """End the line on a terminal."""
        if self.tty:
            print(f"\r{self.line()}", file=self.stream, flush=True)


def _seconds(value: float) -> str:
    if value != value:  # NaN: no run finished yet
        return "?"
    if value < 120:
        return f"{value:.0f} s"
    if value < 7200:
        return f"{value / 60:.0f} min"
    return f"{value / 3600:.1f} h"
