#!/usr/bin/env python3
"""The replay pages (sim/web/): their sizes, and how fast they open and play in Chromium.

    python benchmarks/bench_web.py                    # the three scenarios, seed 0
    python benchmarks/bench_web.py --lessons          # and the ten lessons (a site)
    python benchmarks/bench_web.py --shots DIR        # screenshots at 10 Sep 12:00 etc.

For each page it prints the size, then over --repeat openings in headless Chromium (Debian's,
driven by Playwright, as the tests do): the time from navigation to the first frame drawn
(the page's `replay-ready` mark), to the load event, and from pressing Space to the clock
showing the next hour (the page playing). Targets (issue 26): September at most 5 MB; open and
play in under 2 s. Figures depend on the machine's load: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from browser import CHROMIUM_FLAGS, chromium_path  # noqa: E402

from sim import api  # noqa: E402
from sim.web.site import export_site  # noqa: E402

SCENARIOS = ("izium_2022_09", "izium_2022_03", "kharkiv_2022_05", "svatove_2022_10")
#: When each scenario's screenshot is taken (a busy hour of each operation).
SHOT_AT = {
    "izium_2022_09": "2022-09-10T12:00",
    "izium_2022_03": "2022-03-25T12:00",
    "kharkiv_2022_05": "2022-05-10T12:00",
    "svatove_2022_10": "2022-10-05T12:00",
}


def measure(browser, page_path: Path, repeat: int, shot: Path | None, at: str | None):
    opened, loaded, playing, errors = [], [], [], []
    for i in range(repeat):
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.resolve().as_uri())
        page.wait_for_function("window.replay && window.replay.ready")
        marks = page.evaluate(
            "() => ({ready: performance.getEntriesByName('replay-ready')[0].startTime,"
            " load: performance.getEntriesByType('navigation')[0].loadEventEnd})"
        )
        opened.append(marks["ready"] / 1000)
        loaded.append(marks["load"] / 1000)
        k = page.evaluate("window.replay.hour()")
        t0 = time.perf_counter()
        page.keyboard.press("Space")
        page.wait_for_function(f"window.replay.hour() > {k}")
        playing.append(time.perf_counter() - t0)
        if shot is not None and i == 0:
            page.keyboard.press("Space")
            if at:
                page.evaluate(f"window.replay.setTime(window.replay.hourOf('{at}'))")
            page.wait_for_timeout(300)
            page.screenshot(path=str(shot))
        ctx.close()
    return opened, loaded, playing, errors


def fmt(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s (max {max(values):.2f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--lessons", action="store_true", help="also the ten lessons")
    ap.add_argument("--shots", type=Path, default=None, help="write screenshots here")
    args = ap.parse_args()
    exe = chromium_path()
    if exe is None:
        print("no Chromium: apt-get install chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bench-web-"))
    pages: list[tuple[str, Path, str | None]] = []
    for sid in SCENARIOS:
        t0 = time.perf_counter()
        run = api.run(REPO / "scenarios" / f"{sid}.yaml", seed=0)
        page = run.to_html(work / f"{sid}.html")
        print(f"{sid}: exported in {time.perf_counter() - t0:.1f} s (run included)")
        pages.append((sid, page, SHOT_AT[sid]))
    if args.lessons:
        t0 = time.perf_counter()
        written = export_site(REPO / "examples" / "lessons", work / "site", api.branch)
        print(f"10 lessons: exported in {time.perf_counter() - t0:.1f} s (runs included)")
        pages += [(p.stem, p, None) for p in written if p.name != "index.html"]
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        for name, page, at in pages:
            shot = args.shots / f"{name}.png" if args.shots else None
            opened, loaded, playing, errors = measure(browser, page, args.repeat, shot, at)
            print(
                f"{name}: {page.stat().st_size / 2**20:.2f} MiB; first frame {fmt(opened)}; "
                f"load {fmt(loaded)}; plays (next hour shown) {fmt(playing)}; "
                f"console errors: {len(errors)}"
            )
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
