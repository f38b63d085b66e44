"""The replay as a web page: one self-contained HTML file that plays a run, or a what-if's two
futures, in any browser, with nothing to install (docs/viewer.md, "In a browser").

    python run.py html runs/izium_2022_09_seed0 --out replay.html
    python run.py html examples/lessons/sep_2_rail_bridge_cut.yaml --out lesson.html
    python run.py html examples/lessons/ --out site/        # a page per lesson, and an index

- `data`: the map and a run as plain data (from the `Replay` the pygame viewer plays);
- `page`: the page itself (template, vendored Leaflet and milsymbol, script, style, data);
- `site`: a folder of lessons as pages with an index;
- `cli`: the `html` command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sim.web.data import WhatIf, page_data
from sim.web.page import render_page, write_page

if TYPE_CHECKING:
    from sim.runs.record import RunRecord
    from sim.view.replay import Replay
    from sim.whatif.futures import Futures


class Played(Protocol):
    """What a page needs of one future (sim/api.py's `Run`)."""

    @property
    def record(self) -> RunRecord: ...
    @property
    def fidelity(self) -> float: ...
    def replay(self) -> Replay: ...


class Branch(Protocol):
    """What a page needs of a what-if (sim/api.py's `Branch`; typed here by what is read, so
    that the notebook API and the page do not import each other)."""

    title: str
    question: str
    context: str
    source: str
    hour: int
    changes: list[str]
    file: str

    @property
    def base(self) -> Played: ...
    @property
    def branch(self) -> Played: ...
    @property
    def futures(self) -> Futures: ...
    @property
    def differences(self) -> list[str]: ...


__all__ = ["WhatIf", "branch_whatif", "export_branch", "export_replay", "replay_page"]


def replay_page(replay: Replay, whatif: WhatIf | None = None, back_link: str = "") -> str:
    """The page (HTML text) that plays `replay`, with a what-if if given."""
    title = replay.title if whatif is None else f"{whatif.title} ({replay.title})"
    return render_page(page_data(replay, whatif), title=title, back_link=back_link)


def export_replay(replay: Replay, path: Path) -> Path:
    """Write the page of `replay` to `path`."""
    return write_page(Path(path), replay_page(replay))


def branch_whatif(b: Branch, answer: str = "") -> WhatIf:
    """A what-if (sim/api.py, `Branch`) as the page shows it: the branch's run, and the
    differences between the futures at each hour from the branch hour."""
    base, alt = b.base.record, b.branch.record
    end = min(base.hours, alt.hours)
    by_hour: list[tuple[int, list[str]]] = []
    for k in range(b.hour, end + 1):
        lines = b.futures.lines(until=k)
        if not by_hour or by_hour[-1][1] != lines:
            by_hour.append((k, lines))
    return WhatIf(
        title=b.title,
        hour=b.hour,
        branch=b.branch.replay(),
        changes=list(b.changes),
        differences=b.differences,
        differences_by_hour=by_hour,
        question=b.question,
        context=b.context,
        source=b.source,
        answer=answer,
        file=Path(b.file).name if b.file else "",
        scores={"base": b.base.fidelity, "branch": b.branch.fidelity},
    )


def export_branch(b: Branch, path: Path, answer: str = "", back_link: str = "") -> Path:
    """Write the page of a what-if: both futures, the question and the model's answer
    (`answer`, or for a prepared lesson the answer docs/lessons.md gives)."""
    from sim.web.lessons import lesson_answer

    if not answer and b.file:
        answer = lesson_answer(Path(b.file).name)
    page = replay_page(b.base.replay(), branch_whatif(b, answer), back_link=back_link)
    return write_page(Path(path), page)
