"""The model's answer to a prepared lesson, as docs/lessons.md writes it (over seeds 0-4), for the
lesson's page to quote beside the differences of the run it shows."""

from __future__ import annotations

import re
from pathlib import Path

#: docs/lessons.md, where each prepared lesson's answer (over seeds 0-4) is written.
LESSONS_DOC = Path(__file__).resolve().parents[2] / "docs" / "lessons.md"


def _plain(markdown: str) -> str:
    """Markdown text as plain text: links as their text, no emphasis marks, no source keys."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", markdown)
    text = text.replace("**", "").replace("*", "").replace("`", "")
    return re.sub(r"\s+", " ", text).strip()


def lesson_answer(file_name: str, doc: Path = LESSONS_DOC) -> str:
    """The model's answer docs/lessons.md gives for the lesson `file_name` (its paragraph
    "The model answers: ..."), as plain text; "" if the lesson is not described there."""
    try:
        text = doc.read_text(encoding="utf-8")
    except OSError:
        return ""
    for section in re.split(r"\n(?=### )", text):
        if f"examples/lessons/{file_name}`" not in section:
            continue
        for para in re.split(r"\n\s*\n", section):
            if para.lstrip().startswith("*The model answers"):
                return _plain(para)
    return ""
