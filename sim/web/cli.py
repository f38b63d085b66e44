"""`python run.py html`: a replay as one self-contained web page (sim/web/).

    python run.py html RUN_DIR [--scenario FILE.yaml] --out replay.html
    python run.py html BRANCH_FILE.yaml --out lesson.html
    python run.py html LESSONS_FOLDER/ --out site/

A run folder is read as `run.py view` reads it (every file checked; the scenario from
scenarios/<id>.yaml or --scenario); a branch file is simulated (base and branch, as `run.py
branch` does); a folder of branch files becomes a page per lesson and an index. Bad input:
one line naming the file and what is wrong, exit code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.cli.common import Parser, UsageError, check_writable, days_value, folder_value
from sim.scenario import MAX_DAYS


def _parser() -> Parser:
    ap = Parser(
        prog="run.py html",
        description="Write a replay as one self-contained HTML page that plays in any "
        "browser, offline: a saved run, a what-if branch file (both futures), or a folder "
        "of lessons (a page each, and an index).",
    )
    ap.add_argument(
        "source",
        type=folder_value,
        help="a run folder (runs/<id>_seed<N>), a branch file (examples/lessons/*.yaml) or a "
        "folder of branch files (examples/lessons/)",
    )
    ap.add_argument(
        "--out",
        type=folder_value,
        default=None,
        help="the page to write (default: replay.html, or <branch file name>.html); for a "
        "folder of lessons, the folder to write them in (default site/)",
    )
    ap.add_argument(
        "--scenario",
        type=Path,
        default=None,
        help="a run folder's scenario file (default scenarios/<scenario id of the run>.yaml)",
    )
    ap.add_argument(
        "--max-days",
        type=days_value,
        default=MAX_DAYS,
        metavar="DAYS",
        help=f"longest scenario accepted (default {MAX_DAYS} days)",
    )
    return ap


def html_main(argv: list[str]) -> int:
    """Write a replay, a what-if or a folder of lessons as web pages."""
    args = _parser().parse_args(argv)
    src: Path = args.source
    if not src.exists():
        raise UsageError(f"{src}: no such file or folder")
    if src.is_dir() and not (src / "frames.json.gz").exists():
        return _site(src, args.out or Path("site"))
    if src.is_file() and src.suffix.lower() not in (".yaml", ".yml"):
        raise UsageError(
            f"{src}: expected a run folder (with frames.json.gz), a branch file (.yaml) or a "
            "folder of branch files"
        )
    out: Path = args.out or Path(f"{src.stem}.html" if src.is_file() else "replay.html")
    if out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--out {out}: expected a .html file name")
    check_writable(out, "--out")
    if src.is_file():
        from sim import api

        api.branch(src).to_html(out)
    else:
        from sim.cli.commands import saved_run
        from sim.web import export_replay

        export_replay(saved_run(src, args.scenario, args.max_days)[0], out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


def _site(folder: Path, out: Path) -> int:
    from sim import api
    from sim.web.site import export_site, lesson_files

    if not lesson_files(folder):
        raise UsageError(
            f"{folder}: no frames.json.gz (not a run folder) and no branch files (*.yaml)"
        )
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file, expected a folder for the lesson pages")
    check_writable(out, "--out", folder=True)
    written = export_site(
        folder, out, api.branch, progress=lambda f: print(f"  {f.name}", file=sys.stderr)
    )
    size = sum(p.stat().st_size for p in written) / 1e6
    print(f"wrote {len(written) - 1} lesson pages and index.html to {out} ({size:.1f} MB)")
    return 0
