"""Running `python run.py ...` from a test: in this process (`run`: sim.cli.main with stdout and
stderr captured, from a given folder; a fraction of a second) or, where the test is about the
process itself (a hash seed, a kill, what a command imports), in a new one (`run_process`)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from sim.cli.main import main

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Result:
    """What a command did: its exit code and everything it printed."""

    returncode: int
    stdout: str
    stderr: str


def run(*args: str | Path, cwd: Path | None = None) -> Result:
    """run.py ARGS in this process, from `cwd` (default: the current folder). argparse's
    --help exit is an exit code like any other."""
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 0
    finally:
        os.chdir(here)
    return Result(code, out.getvalue(), err.getvalue())


def run_process(*args: str | Path, cwd: Path = REPO, hashseed: str = "0") -> Result:
    """run.py ARGS in a new Python process with the given hash seed."""
    env = {**os.environ, "PYTHONHASHSEED": hashseed, "SDL_VIDEODRIVER": "dummy"}
    proc = subprocess.run(
        [sys.executable, str(REPO / "run.py"), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)
