"""A minimal text progress bar for geoplex.build() and geoplex.synth() (progress=True)."""

from __future__ import annotations

import sys
from typing import Optional, TextIO


class TextProgress:
    """Callable ``(task, done, total)`` drawing one bar per task on a stream (stderr by default).

    The engine calls it at most ~10 times a second per task, with the GIL held.
    """

    def __init__(self, stream: Optional[TextIO] = None, width: int = 30) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._width = width
        self._task: Optional[str] = None
        self._open = False  # a bar is drawn without its final newline

    def __call__(self, task: str, done: int, total: int) -> None:
        if task != self._task:
            self.close()
            self._task = task
        if total:
            fraction = min(max(done / total, 0.0), 1.0)
            filled = int(round(self._width * fraction))
            bar = "#" * filled + "." * (self._width - filled)
            line = f"\r{task} [{bar}] {100.0 * fraction:5.1f}% ({done}/{total})"
        else:
            line = f"\r{task} {done}"
        self._stream.write(line)
        self._open = True
        if total and done >= total:
            self.close()
        self._stream.flush()

    def close(self) -> None:
        """Ends the current bar's line (idempotent)."""
        if self._open:
            self._stream.write("\n")
            self._stream.flush()
            self._open = False

    def __repr__(self) -> str:
        return f"TextProgress(stream={getattr(self._stream, 'name', self._stream)!r}, width={self._width})"
