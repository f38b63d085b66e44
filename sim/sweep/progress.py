"""A sweep's progress on stderr: runs done, rate, time elapsed and left."""

from __future__ import annotations

import math
import sys
import time
from typing import Any


class Progress:
    """Runs done, rate and time left, on stderr: one line redrawn with \\r on a terminal,
    a line every `every_s` seconds (and at the end) otherwise."""

    def __init__(self, total: int, done: int, stream: Any = None, every_s: float = 10.0):
        self.total, self.done, self.failed = total, done, 0
        self.start_done, self.t0 = done, time.monotonic()
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every_s, self.last = every_s, 0.0

    def text(self) -> str:
        elapsed = time.monotonic() - self.t0
        new = self.done - self.start_done
        rate = new / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        pct = 100.0 * self.done / self.total if self.total else 100.0
        fail = f", {self.failed} failed" if self.failed else ""
        return (
            f"sweep: {self.done}/{self.total} runs ({pct:.0f} %{fail})  "
            f"{rate:.2f} runs/s  elapsed {_clock(elapsed)}  left {_clock(left)}"
        )

    def update(self, failed: bool = False, force: bool = False) -> None:
        self.done += 1
        self.failed += failed
        self.show(force)

    def show(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r" + self.text().ljust(79))
            self.stream.flush()
        elif force or now - self.last >= self.every_s or self.done == self.total:
            self.stream.write(self.text() + "\n")
            self.stream.flush()
            self.last = now

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    s = int(round(seconds))
    return (
        f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )
