"""The timeline under the map: the run's days, the record's dated observations (triangles
above the bar) and the model's matching dates (below it), the playhead, and the tooltip of the
marks under the mouse. Its static part is drawn once per window size and what-if
(`Cached`, owned by the Renderer)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pygame

from sim.view.panels import INK, MUTED, PANEL, RULE, SIDE_INK, Cached, fmt_time, text, triangle

TIMELINE_BAR = (225, 220, 208)
PLAYED = (120, 115, 105)
PLAYHEAD = (20, 20, 20)


def timeline_bar(layout) -> pygame.Rect:
    r = layout.timeline
    ui = layout.ui
    pad = round(22 * ui)
    return pygame.Rect(r.left + pad, r.top + round(58 * ui), r.w - 2 * pad, round(10 * ui))


def timeline_x(layout, rp, t_hours: float) -> float:
    bar = timeline_bar(layout)
    return bar.left + bar.w * max(0.0, min(1.0, t_hours / max(1, rp.hours)))


def timeline_t(layout, rp, x: float) -> float:
    """Inverse of `timeline_x`: playback hour under a pixel column, clamped to the run."""
    bar = timeline_bar(layout)
    return max(0.0, min(float(rp.hours), (x - bar.left) / max(1, bar.w) * rp.hours))


def _hours(rp, when: datetime) -> float:
    return (when - rp.start) / timedelta(hours=1)


def mark_positions(layout, rp):
    """[(mark, (x, y) of the history symbol, (x, y) of the model match or None)] in window
    pixels. Observations of the same day sit side by side, centred on their date; place
    observations just above the bar, area and settlement counts in a row above them."""
    ui = layout.ui
    bar = timeline_bar(layout)
    r = 5 * ui
    groups: dict[tuple[str, datetime], list] = {}
    for m in rp.marks:
        groups.setdefault((m.kind == "control", m.date), []).append(m)
    out = []
    for (control, date), ms in groups.items():
        x0 = timeline_x(layout, rp, _hours(rp, date))
        y = bar.top - r - 3 if control else bar.top - round(30 * ui)
        for i, m in enumerate(ms):
            x = x0 + (i - (len(ms) - 1) / 2) * (2 * r + 2)
            sim = None
            if m.sim_date:
                sim = (timeline_x(layout, rp, _hours(rp, m.sim_date)), bar.bottom + r + 3)
            out.append((m, (x, y), sim))
    return out


def draw_timeline(surface, layout, state, rp, cache: Cached, branch=None, row=None) -> None:
    """The timeline; with a what-if (`branch`), its row of dates and its branch hour, drawn by
    `row(surface, layout, rp, branch)` (sim/view/whatif_draw.py, timeline_row)."""

    def draw() -> pygame.Surface:
        img = pygame.Surface(layout.timeline.size)
        _timeline_static(img, layout, rp)
        if branch is not None and layout.branch_row and row is not None:
            row(img, layout, rp, branch)
        return img

    surface.blit(cache.get((layout.size, layout.branch_row), branch, draw), layout.timeline.topleft)
    ui = layout.ui
    bar = timeline_bar(layout)
    x = timeline_x(layout, rp, state.t)
    played = pygame.Rect(bar.left, bar.top, x - bar.left, bar.h)
    pygame.draw.rect(surface, PLAYED, played)
    pygame.draw.rect(surface, INK, bar, 1)
    pygame.draw.line(
        surface, PLAYHEAD, (x, bar.top - 8 * ui), (x, bar.bottom + 8 * ui), max(2, round(2 * ui))
    )
    pygame.draw.circle(surface, PLAYHEAD, (x, bar.centery), 7 * ui)
    pygame.draw.circle(surface, (255, 255, 255), (x, bar.centery), 7 * ui, 2)
    if state.hover and layout.timeline.collidepoint(state.hover):
        _timeline_tooltip(surface, layout, rp, state.hover, branch)


def _timeline_static(s, layout, rp) -> None:
    ui = layout.ui
    s.fill(PANEL)
    pygame.draw.line(s, RULE, (0, 0), (s.get_width(), 0), 2)
    off = pygame.Vector2(layout.timeline.topleft)
    bar = timeline_bar(layout).move(-off.x, -off.y)
    pygame.draw.rect(s, TIMELINE_BAR, bar)
    day = datetime.combine(rp.start.date(), datetime.min.time())
    day_w = bar.w * 24 / max(1, rp.hours)
    stride = max(1, math.ceil(text("30 Sep", round(12 * ui)).get_width() * 1.3 / day_w))
    i = 0
    while day <= rp.end:
        x = timeline_x(layout, rp, _hours(rp, day)) - off.x
        x_next = timeline_x(layout, rp, _hours(rp, day + timedelta(days=1))) - off.x
        if day >= rp.start:
            tall = 3 if i % stride == 0 else 1
            pygame.draw.line(s, INK, (x, bar.top - tall), (x, bar.bottom + tall), 1)
        lab = text(f"{day.day} {day:%b}", round(12 * ui), False, MUTED)
        label_y = bar.bottom + round((30 if layout.branch_row else 14) * ui)
        if stride == 1:  # each day's name in the middle of its span
            cx = (max(x, bar.left) + min(x_next, bar.right)) / 2
            if min(x_next, bar.right) - max(x, bar.left) > lab.get_width() * 0.8:
                s.blit(lab, (cx - lab.get_width() / 2, label_y))
        elif i % stride == 0 and day >= rp.start and x + lab.get_width() / 2 <= bar.right:
            s.blit(lab, (x - lab.get_width() / 2, label_y))
        day += timedelta(days=1)
        i += 1
    if not rp.marks:
        legend_txt = "No historical observations in this scenario."
    elif rp.has_comparison:
        legend_txt = (
            "History (sourced): ▼ who held a place by the end of that day, ■ area or "
            "settlements.  ● when this run matched it (○ outside tolerance)."
        )
    else:
        legend_txt = (
            "History (sourced): ▼ who held a place by the end of that day, ■ area or "
            "settlements taken."
        )
    s.blit(text(legend_txt, round(11 * ui), False, MUTED), (bar.left, round(4 * ui)))
    r = 5 * ui
    for m, (xs, ys), sim in mark_positions(layout, rp):
        colour = SIDE_INK.get(m.holder or "", MUTED)
        xs, ys = xs - off.x, ys - off.y
        if sim is not None:
            xm, ym = sim[0] - off.x, sim[1] - off.y
            pygame.draw.line(s, colour, (xs, ys), (xm, ym), 1)
        if m.kind == "control":
            triangle(s, xs, ys, r, colour)
        else:
            sq = pygame.Rect(0, 0, 2 * r, 2 * r)
            sq.center = (round(xs), round(ys))
            pygame.draw.rect(s, colour, sq)
            pygame.draw.rect(s, INK, sq, 1)
        if sim is not None:
            c = (round(xm), round(ym))
            if m.ok is False:
                pygame.draw.circle(s, (255, 255, 255), c, r * 0.8)
                pygame.draw.circle(s, colour, c, r * 0.8, 2)
            else:
                pygame.draw.circle(s, colour, c, r * 0.8)


def branch_mark_positions(layout, rp, view) -> list:
    """[(mark of the base, (x, y) of the what-if's match, what-if date)] for the history marks
    the what-if matched after its branch hour, one row below the base's matches."""
    ui = layout.ui
    bar = timeline_bar(layout)
    y = bar.bottom + round(21 * ui)
    alt = {(m.place, m.date, m.holder, m.kind): m for m in view.branch.marks}
    out = []
    for m, _obs, _sim in mark_positions(layout, rp):
        b = alt.get((m.place, m.date, m.holder, m.kind))
        if (
            b is not None
            and b.sim_date is not None
            and m.kind == "control"
            and b.sim_date > view.when
        ):  # before the branch hour the runs are one
            out.append((m, (timeline_x(layout, rp, _hours(rp, b.sim_date)), y), b.sim_date))
    return out


def _timeline_tooltip(surface, layout, rp, pos, branch=None) -> None:
    ui = layout.ui
    best, dist = None, 9 * ui
    for m, obs, sim in mark_positions(layout, rp):
        for p in (obs, sim):
            if p is not None and math.dist(p, pos) < dist:
                best, dist = m, math.dist(p, pos)
    alt_dates = {}
    if branch is not None and layout.branch_row:
        for m, p, when in branch_mark_positions(layout, rp, branch):
            alt_dates[id(m)] = when
            if math.dist(p, pos) < dist:
                best, dist = m, math.dist(p, pos)
    if best is None:
        t = rp.time_at(timeline_t(layout, rp, pos[0]))
        lines = [f"{t.day} {t:%b %H:%M}"]
    else:
        m = best
        what = f"{m.name}: {m.holder}" if m.kind == "control" else m.name
        when = (
            f"{m.date.day} {m.date:%b} to {m.until.day} {m.until:%b}"
            if m.until
            else f"by {m.date.day} {m.date:%b}"
        )
        lines = [f"{what}  (history, {when})"]
        if rp.has_comparison:
            if m.sim_date:
                err = f", {m.error_days:+.1f} days" if m.error_days is not None else ""
                lines.append(
                    f"model: {fmt_time(m.sim_date)}{err}"
                    + ("" if m.ok is None else ("  ✓ matches" if m.ok else "  ✗ off"))
                )
            else:
                lines.append("model: never matched in this run")
        if branch is not None and m.kind == "control":
            when = alt_dates.get(id(m))
            lines.append(f"what if: {fmt_time(when)}" if when else "what if: never matched")
    imgs = [text(ln, round(13 * ui), i == 0) for i, ln in enumerate(lines)]
    w = max(i.get_width() for i in imgs) + 12
    h = sum(i.get_height() for i in imgs) + 8
    box = pygame.Rect(0, 0, w, h)
    box.midbottom = (pos[0], layout.timeline.top - 4)
    box.clamp_ip(pygame.Rect(0, 0, layout.map_rect.w, layout.size[1]))
    pygame.draw.rect(surface, (255, 255, 240), box)
    pygame.draw.rect(surface, INK, box, 1)
    y = box.top + 4
    for img in imgs:
        surface.blit(img, (box.left + 6, y))
        y += img.get_height()
