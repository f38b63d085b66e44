"""A folder of lessons as web pages: one page per branch file (both futures, the question and
the model's answer) and an index linking them, for a school web server or a USB stick.

    python run.py html examples/lessons/ --out site/
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sim.web.page import write_page

if TYPE_CHECKING:
    from sim.api import Branch

#: The index page of a site.
INDEX = "index.html"


def lesson_files(folder: Path) -> list[Path]:
    """The branch files of a folder (*.yaml, *.yml), by name."""
    return sorted(
        p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file()
    )


def page_name(lesson: Path) -> str:
    return f"{lesson.stem}.html"


def index_page(entries: list[dict[str, str]]) -> str:
    """The index: each lesson's title, question and scenario, linking its page."""
    groups: dict[str, list[dict[str, str]]] = {}
    for e in entries:
        groups.setdefault(e["scenario"], []).append(e)
    body = []
    for scenario, items in groups.items():
        body.append(f"<h2>{html.escape(scenario)}</h2><ol>")
        for e in items:
            body.append(
                f'<li><a href="{html.escape(e["page"], quote=True)}">{html.escape(e["title"])}</a>'
                + (f"<p>{html.escape(e['question'])}</p>" if e["question"] else "")
                + "</li>"
            )
        body.append("</ol>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Lessons: what if?</title>\n<style>\n"
        "body{font-family:'DejaVu Sans',system-ui,sans-serif;max-width:52em;margin:1em auto;"
        "padding:0 1em;background:rgb(250,248,242);color:rgb(25,25,30);"
        "font-size:clamp(15px,0.6vw + 10px,22px)}\n"
        "li{margin:0.6em 0}li p{margin:0.2em 0;color:rgb(95,95,100)}"
        "footer{color:rgb(95,95,100);font-size:0.8em;border-top:1px solid rgb(200,195,185);"
        "margin-top:2em;padding-top:0.5em}\n</style>\n</head>\n<body>\n"
        "<h1>Lessons: what if?</h1>\n<p>Each page replays an operation of 2022 in the "
        "Kharkiv&ndash;Izium area and a what-if: one thing changed at one hour, and both "
        "futures played on one map, against the historical record, with the question for "
        "the class and what the model answers. Pages open in any browser, offline.</p>\n"
        + "\n".join(body)
        + "\n<footer>Contains data from Natural Earth (public domain) and GeoNames (CC BY 4.0). "
        "Unit positions follow Henry Schlottman's estimates published by uawardata.com "
        "(UAWD) and each scenario's sources. The outcomes are simulations, not records of "
        "events.</footer>\n</body>\n</html>\n"
    )


def export_site(
    folder: Path,
    out: Path,
    branch: Callable[[Path], Branch],
    progress: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Every lesson of `folder` as a page in `out`, and the index; returns the paths written.
    `branch(file)` simulates a lesson (sim.api.branch); `progress(file)` is called before
    each lesson is simulated."""
    from sim.web import export_branch

    entries = []
    written = []
    out.mkdir(parents=True, exist_ok=True)
    for lesson in lesson_files(folder):
        if progress:
            progress(lesson)
        b = branch(lesson)
        page = out / page_name(lesson)
        written.append(export_branch(b, page, back_link=INDEX))
        entries.append(
            {
                "page": page.name,
                "title": b.title,
                "question": b.question,
                "scenario": b.base.scenario.title,
            }
        )
    written.append(write_page(out / INDEX, index_page(entries)))
    return written
