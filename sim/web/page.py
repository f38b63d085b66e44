"""One self-contained HTML page: the template, the vendored libraries, the page's own script
and style, and the data (sim/web/data.py), all inlined. Nothing is fetched when the page is
opened: it plays from a USB stick, an e-mail attachment or a school web server alike.

The page is a function of its data alone (no clock, no random names, JSON with sorted keys),
so the same run gives the same bytes.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

ASSETS = Path(__file__).resolve().parent / "assets"
#: The vendored libraries, inlined in this order (their licences sit beside them and are
#: quoted in the page's credits): Leaflet draws the map, milsymbol the APP-6 symbols.
VENDOR_JS = ("vendor/leaflet/leaflet.js", "vendor/milsymbol/milsymbol.js")
VENDOR_CSS = ("vendor/leaflet/leaflet.css",)
APP_JS = ("app.js",)
APP_CSS = ("app.css",)


@cache
def _asset(name: str) -> str:
    text = (ASSETS / name).read_text(encoding="utf-8")
    # a source map comment would send the browser's tools looking for a file we do not ship
    text = re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    # Leaflet's stylesheet names images for controls this page does not use: nothing to fetch
    return re.sub(r"url\(images/[^)]*\)", "none", text)


def _script(text: str) -> str:
    """Text safe inside a <script> element (no closing tag can end it early)."""
    return text.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def data_json(data: dict[str, Any]) -> str:
    """The page's data as JSON: sorted keys, no spaces, strict (no NaN), and no '<', so it can
    sit in a <script> element whatever text a scenario holds."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(data: dict[str, Any], *, title: str, back_link: str = "") -> str:
    """The HTML page that plays `data` (`page_data`). `back_link`: an index page to link to
    (a lesson page of a site)."""
    template = _asset("template.html")
    parts = {
        "TITLE": html.escape(title),
        "VENDOR_CSS": "\n".join(_asset(n) for n in VENDOR_CSS),
        "APP_CSS": "\n".join(_asset(n) for n in APP_CSS),
        "VENDOR_JS": "\n".join(_script(_asset(n)) for n in VENDOR_JS),
        "APP_JS": "\n".join(_script(_asset(n)) for n in APP_JS),
        "DATA": data_json(data),
        "BACK": (
            f'<a class="back" href="{html.escape(back_link, quote=True)}">&larr; all lessons</a>'
            if back_link
            else ""
        ),
    }
    return re.sub(r"@@([A-Z_]+)@@", lambda m: parts[m.group(1)], template)


def write_page(path: Path, text: str) -> Path:
    """Write a page (UTF-8, LF line ends) atomically: a page half written is never left."""
    from sim.safe_io import write_atomic

    write_atomic(path, text.encode("utf-8"))
    return path
