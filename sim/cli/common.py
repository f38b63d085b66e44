"""What every command line of run.py shares: the one-line usage error, the parser that raises it,
and the parsers of option values (seeds, sizes, times, folders, days).

Commands live in their own modules (sim/cli/main.py, sim/cli/authoring.py, sim/sweep/cli.py...);
each imports its helpers from here, never from another command's module, so that the command
modules do not import each other. Nothing here imports more than the standard library:
`run.py --help` and a mistyped option cost no start-up time.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

#: The exit code of bad input (a scenario, an option, a damaged file): one line on stderr.
EXIT_BAD_INPUT = 2
#: Seeds are whole numbers from 0 to MAX_SEED (numpy's 32-bit seed words; a sweep's table
#: stores them as 64-bit integers).
MAX_SEED = 2**32 - 1
#: Largest window, screenshot or MP4 (4K); a GIF keeps every frame in memory, so it is smaller.
MAX_SIZE = (3840, 2160)
MAX_GIF_SIZE = (1920, 1200)
MIN_SIZE = (320, 240)
#: Longest scenario a --max-days option accepts (274 years: any larger is a typo).
MAX_DAYS_OPTION = 100_000
#: Most units a --max-units option accepts (a typo beyond).
MAX_UNITS_OPTION = 1_000_000


class UsageError(Exception):
    """Bad command-line input: reported in one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with errors as one line and exit code 2 (not argparse's usage block)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see {self.prog} --help)")


# ---------------------------------------------------------------------------- option values
def seed_value(text: str) -> int:
    """An argparse type: a seed, 0 to MAX_SEED."""
    try:
        v = int(text)
    except ValueError:
        v = -1
    if not 0 <= v <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 0 to {MAX_SEED}, got {text[:40]!r}"
        )
    return v


def time_value(text: str) -> datetime:
    """An argparse type: a naive date and time (Kyiv local time), e.g. 2022-09-10T12:00."""
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date and time like 2022-09-10T12:00, got {text[:40]!r}"
        ) from None
    if t.tzinfo is not None:
        # the scenario's own message (imported here: start-up needs the standard library only)
        from sim.scenario import kyiv_local_time

        try:
            kyiv_local_time(t)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"{text[:40]!r}: {e}") from None
    return t


def size_type(min_size: tuple[int, int] = MIN_SIZE) -> Callable[[str], tuple[int, int]]:
    """An argparse type: WIDTHxHEIGHT in pixels, from `min_size` to MAX_SIZE."""

    def size(text: str) -> tuple[int, int]:
        w, sep, h = text.lower().partition("x")
        ok = sep and all(x.isascii() and x.isdigit() and len(x) < 6 for x in (w, h))
        if not ok or not (
            min_size[0] <= int(w) <= MAX_SIZE[0] and min_size[1] <= int(h) <= MAX_SIZE[1]
        ):
            raise argparse.ArgumentTypeError(
                f"expected WIDTHxHEIGHT from {min_size[0]}x{min_size[1]} to "
                f"{MAX_SIZE[0]}x{MAX_SIZE[1]}, got {text[:40]!r}"
            )
        return int(w), int(h)

    return size


size_value = size_type()


def folder_value(text: str) -> Path:
    """An argparse type: a folder or file name that is not empty."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder, got an empty name")
    return Path(text)


def days_value(text: str) -> float:
    """An argparse type: a number of days above 0 (at most MAX_DAYS_OPTION)."""
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not 0 < v <= MAX_DAYS_OPTION:
        raise argparse.ArgumentTypeError(f"expected a number of days above 0, got {text[:40]!r}")
    return v


def units_value(text: str) -> int:
    """An argparse type: a number of units, 1 or more (at most MAX_UNITS_OPTION)."""
    v = int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0
    if not 1 <= v <= MAX_UNITS_OPTION:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of units from 1 to {MAX_UNITS_OPTION:,}, got {text[:40]!r}"
        )
    return v


# ---------------------------------------------------------------------------- the terminal
#: Characters a terminal acts on rather than shows: the C0 controls but tab, newline and
#: carriage return (the sweep's progress line), DEL, the C1 controls (ESC [ starts a colour or
#: a cursor move; \x9b is one on its own), and the marks that reverse the order text is shown
#: in (U+202A-U+202E, U+2066-U+2069).
UNSHOWN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """`text` with every character a terminal would act on written as its escape (``\\x1b``):
    a title or caption from a scenario or branch file is shown, never obeyed."""
    return UNSHOWN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class ShownStream:
    """A text stream (stdout, stderr) that writes `shown(text)`: everything a command prints,
    whatever file it came from, reaches the terminal as text. Other attributes are the
    stream's own."""

    def __init__(self, stream: Any):
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(shown(text))

    def writelines(self, lines: Any) -> None:
        self.stream.writelines(shown(line) for line in lines)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


# ---------------------------------------------------------------------------- outputs
def check_writable(path: Path | None, option: str, *, folder: bool = False) -> None:
    """Fail before any work if an output cannot be written: create `path` (a folder, with
    `folder`) or the folder of the file `path` now. Raises UsageError naming `option`."""
    if path is None:
        return
    where = path if folder else path.parent
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{option} {path}: cannot create {where} ({e.strerror})") from None
    if not os.access(where, os.W_OK):
        raise UsageError(f"{option} {path}: cannot write in {where}")
    if not folder and path.is_dir():
        raise UsageError(f"{option} {path}: is a folder, expected a file name")


def display_available() -> bool:
    """Whether a real window can be opened (an X or Wayland display, not SDL's dummy driver:
    a dummy window would play unseen forever)."""
    if os.environ.get("SDL_VIDEODRIVER", "") in ("dummy", "offscreen"):
        return False
    return bool(
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or sys.platform in ("win32", "darwin")
    )


def add_screenshots_option(ap: argparse.ArgumentParser) -> None:
    """`--screenshots DIR`: where the window's key p saves PNGs (the viewer's default when not
    given: runs/screenshots/ under the current folder, which .gitignore covers)."""
    ap.add_argument(
        "--screenshots",
        type=Path,
        metavar="DIR",
        default=None,
        help="folder for the PNGs key p saves in the window (default runs/screenshots/)",
    )


def add_frame_options(
    ap: argparse.ArgumentParser,
    size_help: str = "window or screenshot size in pixels (default 1280x800)",
    size: Callable[[str], tuple[int, int]] = size_value,
) -> None:
    """The options of every command that shows a run: --screenshot FILE.png, --screenshots
    DIR (where the window's key p saves), --at (the screenshot's time) and --size."""
    ap.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE.png",
        help="render one frame (at --at) to a PNG, without a window",
    )
    add_screenshots_option(ap)
    ap.add_argument(
        "--at",
        type=time_value,
        metavar="YYYY-MM-DDTHH:MM",
        help="time of the --screenshot frame, Kyiv local time (default: the end)",
    )
    ap.add_argument("--size", type=size, default=(1280, 800), metavar="WxH", help=size_help)
