"""A real browser for the tests of the web pages (sim/web/): Debian's Chromium, headless, driven
by Playwright, with no browser download of Playwright's own.

`chromium()` gives a launched browser or skips the test with the reason (Playwright not
installed, no Chromium on this machine): never a silent pass. `.ci/run` installs both.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

#: The flags a headless Chromium needs here, as root and with no network but the package
#: registries: no sandbox (root), no GPU, and none of the background connections that this
#: machine's closed network refuses (docs/viewer.md, "Tests in a browser").
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    """Chromium's executable: $IZIUM_CHROMIUM, or chromium / chromium-browser on the PATH."""
    given = os.environ.get("IZIUM_CHROMIUM")
    if given:
        return given if Path(given).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch():
    """(playwright, browser), or pytest.skip with the reason there is no browser."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("no browser test: Playwright is not installed (pip install -e '.[dev]')")
    exe = chromium_path()
    if exe is None:
        pytest.skip(
            "no browser test: no Chromium on this machine (apt-get install chromium; "
            "or set IZIUM_CHROMIUM to its path)"
        )
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
    except Exception as e:  # a broken install: say so, do not pass
        pw.stop()
        pytest.skip(f"no browser test: Chromium at {exe} did not start ({str(e)[:200]})")
    return pw, browser


class Page:
    """A page opened in the browser, with every console error, page error and request it
    made recorded."""

    def __init__(self, browser, path: Path, size: tuple[int, int] = (1280, 800)):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("window.replay && window.replay.ready", timeout=20_000)

    def js(self, expr: str):
        return self.page.evaluate(expr)

    def close(self) -> None:
        self.context.close()
