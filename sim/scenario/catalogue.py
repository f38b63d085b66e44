"""The citation catalogue of the shipped scenarios (``python run.py sources [QUERY]``): every
source key their ``sources:`` blocks declare, with its text, the scenarios that declare it and
how often each cites it, so that an author writing a new scenario reuses a reference (and its
key) instead of grepping it out of the files.

A key declared with different texts in two scenarios (the same site read on another day, a
mirror instead of the original) is listed once per text. A query matches a key exactly
(case-insensitive) first, then any key or text containing it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sim.scenario.loader import parse_scenario, read_scenario_text

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@dataclass
class Citation:
    """A source key with one text, and where it is declared: scenario id -> how many times
    that scenario cites the key (in its fields and its comments)."""

    key: str
    cite: str
    used: dict[str, int] = field(default_factory=dict)

    def yaml(self) -> str:
        """The entry as a scenario's ``sources:`` holds it, ready to paste."""
        return f"  - key: {self.key}\n    cite: {json.dumps(self.cite, ensure_ascii=False)}"


def shipped() -> list[Path]:
    """The shipped scenario files (scenarios/*.yaml but the template), by name."""
    return sorted(p for p in SCENARIOS.glob("*.yaml") if p.name != "TEMPLATE.yaml")


def catalogue(paths: list[Path] | None = None) -> list[Citation]:
    """Every key the scenario files `paths` (default: the shipped ones) declare, each text
    once, sorted by key."""
    from sim.scenario.checks import cited_keys

    found: dict[tuple[str, str], Citation] = {}
    for path in paths if paths is not None else shipped():
        text = read_scenario_text(path)
        scenario, _ = parse_scenario(text, str(path), max_days=None)
        counts = Counter(key for *_, key, _ in cited_keys(scenario, text))
        for src in scenario.sources:
            c = found.setdefault((src.key, src.cite), Citation(src.key, src.cite))
            c.used[scenario.id] = counts.get(src.key, 0)
    return sorted(found.values(), key=lambda c: (c.key.lower(), c.key, c.cite))


def search(citations: list[Citation], query: str) -> list[Citation]:
    """The citations whose key is the query (case-insensitive), else those whose key or text
    contains it."""
    q = query.strip().lower()
    exact = [c for c in citations if c.key.lower() == q]
    return exact or [c for c in citations if q in c.key.lower() or q in c.cite.lower()]
