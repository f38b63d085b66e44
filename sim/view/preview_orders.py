"""The preview's list of a scenario's phases and orders (sim/view/preview.py): one line each,
in the file's order, in the sidebar, and the pages the orders that do not fit go on
(``start_2.png``, ...)."""

from __future__ import annotations

from typing import Any

from sim.view import panels
from sim.view import render as rd


def _pause_text(pause: Any) -> str:
    parts = [f"{pause.hours:g} h"] if pause.hours is not None else []
    parts += [f"until {pause.recovered:.0%} recovered"] if pause.recovered is not None else []
    return "pause " + " or ".join(parts)


def order_rows(scenario: Any, theatre: Any) -> list[str]:
    """The sidebar's line for each order, in the file's order (authors refer to orders by
    position, ``orders[n]``, and id): "n. id · when it may start · effort, phase, pause ·
    units: task → objectives", where it may start is its `start:` (Kyiv time), its `when:`
    condition, both, or "at the start"; places by name."""
    from sim.model.plan import condition_text
    from sim.scenario.checks import objectives_of

    names = theatre.graph.nodes
    phases = {p.id for p in getattr(scenario, "phases", [])}

    def place(p: str) -> str:
        return str(names[p]["name"]) if p in names else p

    rows = []
    for i, o in enumerate(scenario.orders):
        start, cond = getattr(o, "start", None), getattr(o, "when", None)
        when = (
            [f"from {panels.fmt_time(start)}" if cond else panels.fmt_time(start)] if start else []
        )
        when += [f"when {condition_text(cond, place, phases)}"] if cond else []
        head = [o.id] if getattr(o, "id", None) else []
        head.append(", ".join(when) or "at the start")
        tags = [f"{o.effort} effort"] if getattr(o, "effort", None) else []
        tags += [f"phase {o.phase}"] if getattr(o, "phase", None) else []
        pause = scenario.pause_of(o) if hasattr(scenario, "pause_of") else None
        tags += [_pause_text(pause)] if pause is not None else []
        if tags:
            head.append(", ".join(tags))
        where = "".join(f" → {place(p)}" for _, p in objectives_of(o))
        rows.append(f"{i}. {' · '.join(head)} · {', '.join(o.units)}: {o.task}{where}")
    return rows


def phase_rows(scenario: Any, theatre: Any) -> list[str]:
    """The sidebar's line for each phase: its id, side, name, and when it begins."""
    from sim.model.plan import condition_text

    names = theatre.graph.nodes
    ids = {p.id for p in scenario.phases}

    def place(p: str) -> str:
        return str(names[p]["name"]) if p in names else p

    rows = []
    for p in scenario.phases:
        when = [f"from {panels.fmt_time(p.start)}"] if p.start else []
        when += [f"when {condition_text(p.when, place, ids)}"] if p.when else []
        name = f" {p.name}" if p.name else ""
        count = sum(o.phase == p.id for o in scenario.orders)
        rows.append(
            f"phase {p.id} ({p.side}{name}): {', '.join(when) or 'at the start'}; "
            f"{count} order{'s' * (count != 1)}"
        )
    return rows


def rows_in(
    s, rows: list[str], x: int, y: int, bottom: int, width: int, ui: float
) -> tuple[int, int]:
    """Draw `rows` (wrapped) from y while they fit above `bottom`; returns (how many were
    drawn, the y below them)."""
    size = round(12 * ui)
    for n, row in enumerate(rows):
        lines = panels.wrap(row, size, width)
        if y + len(lines) * round(15 * ui) > bottom:
            return n, y
        y = panels.blit_lines(s, lines, x, y, size)
    return len(rows), y


def draw_order_page(
    surface, scenario: Any, rows: list[str], page: int, next_page: str = "the next page"
) -> list[str]:
    """Page `page`: the orders that did not fit before it, over the whole of `surface`: the
    scenario's title, then as many of `rows` as fit, in two columns; returns those that did
    not (they go on `next_page`)."""
    w, h = surface.get_size()
    ui = rd.Layout.for_size((w, h)).ui
    surface.fill(panels.PANEL)
    pad = round(20 * ui)
    y = pad
    y = panels.blit_lines(
        surface,
        panels.wrap(scenario.title, round(15 * ui), w - 2 * pad, True),
        pad,
        y,
        round(15 * ui),
        True,
    )
    head = f"Orders, continued (page {page}; number as in the file: orders[n])"
    surface.blit(panels.text(head, round(13 * ui), True, panels.MUTED), (pad, y + round(4 * ui)))
    top = y + round(28 * ui)
    columns = 2
    col_w = (w - 2 * pad - (columns - 1) * pad) // columns
    done = 0
    bottom = h - pad - round(18 * ui)
    for c in range(columns):
        n, _ = rows_in(surface, rows[done:], pad + c * (col_w + pad), top, bottom, col_w, ui)
        done += n
    if done < len(rows):
        more = f"… {len(rows) - done} more on {next_page}"
        surface.blit(panels.text(more, round(12 * ui), True, panels.MUTED), (pad, bottom))
    return rows[done:]
