"""The panels around the map: sidebar (title, clock, event ticker, legend or unit panel,
credits), the timeline along the bottom, the help overlay and small map overlays.

Every function takes a surface and data and draws; none changes the replay or the view state.
Text is rendered through a small cache (`text`), since pygame text rendering is the slow part.
"""

from __future__ import annotations

import math
from datetime import datetime

import pygame

from sim.view import basemap as bm
from sim.view import style
from sim.view import symbols as sym

INK = (25, 25, 30)
MUTED = (95, 95, 100)
PANEL = (250, 248, 242)
RULE = (200, 195, 185)
HISTORY_TAG = (70, 70, 150)
MODEL_TAG = (90, 90, 90)
SIDE_INK = {"UA": (0, 90, 160), "RU": (180, 60, 0)}
# A what-if: Okabe-Ito reddish purple, unlike either side's tint and the black front line (its
# front is also dashed, so that it reads apart in greyscale); darker for text.
WHATIF = (204, 121, 167)
WHATIF_INK = (150, 60, 115)
WHATIF_DASH_PX = (9, 5)

CREDITS = (
    "Contains data from Natural Earth (public domain) and GeoNames (CC BY 4.0). "
    "Unit positions and strengths from the scenario's sources (see the scenario file); "
    "many are estimates. The outcome is a simulation, not a record of events."
)

TYPE_NAMES = {
    "armour": "Armour",
    "mechanised": "Mechanised infantry",
    "airborne": "Airborne / air assault",
    "infantry": "Infantry",
    "national_guard": "National guard",
    "artillery": "Artillery",
    "special_forces": "Special forces",
    "reconnaissance": "Reconnaissance",
}
ITEM_NAMES = ("Personnel", "Tanks", "IFV / APC", "Artillery", "MLRS")
SIDE_NAMES = {"UA": "Ukraine", "RU": "Russia"}
LEGEND_ROWS = 13  # rows in each of the legend's two columns (15 with how the front is held)

KEYS = [
    ("Space", "play / pause"),
    ("+  /  -", "faster / slower (simulated hours per second)"),
    ("→  /  ←", "step one hour forward / back"),
    ("PgUp / PgDn", "one day forward / back"),
    ("Home / End", "start / end"),
    ("1 … 9", "jump to the start of day 1 … 9 of the scenario"),
    ("j", "jump to a date: type e.g. 2022-09-10 14:00, or 10 14, then Enter"),
    ("mouse on timeline", "click or drag to scrub"),
    ("click a unit", "its panel; Esc or click the map to close"),
    ("wheel / drag map", "zoom / pan;  z: reset the view"),
    ("t", "territory and front line"),
    ("f", "how the front is held: line held, screen, gap"),
    ("u", "units"),
    ("r", "roads and railways"),
    ("l", "town names"),
    ("b", "combat and bridge marks"),
    ("g", "legend"),
    ("e", "event ticker"),
    ("p", "save a screenshot (PNG) in the current folder"),
    ("w", "what if: change one thing at this hour and watch both futures"),
    ("v", "with a what-if: drawn over the base, side by side, or hidden"),
    ("h  or  ?", "this help"),
    ("Esc / q", "close help or panel; quit"),
]

# ---------------------------------------------------------------------------------- text
_TEXT: dict[tuple, pygame.Surface] = {}


def text(s: str, size: int, bold: bool = False, colour=INK, halo: bool = False) -> pygame.Surface:
    """Rendered text (cached). `halo`: a light outline for text over the map."""
    key = (s, size, bold, colour, halo)
    img = _TEXT.get(key)
    if img is None:
        if len(_TEXT) > 3000:
            _TEXT.clear()
        f = bm.font(max(6, size), bold)
        img = f.render(s, True, colour)
        if halo:
            h = f.render(s, True, bm.LABEL_HALO)
            out = pygame.Surface((img.get_width() + 2, img.get_height() + 2), pygame.SRCALPHA)
            for ox, oy in ((0, 1), (2, 1), (1, 0), (1, 2)):
                out.blit(h, (ox, oy))
            out.blit(img, (1, 1))
            img = out
        _TEXT[key] = img
    return img


def wrap(s: str, size: int, width: int, bold: bool = False) -> list[str]:
    """Greedy word wrap to `width` pixels."""
    f = bm.font(max(6, size), bold)
    lines, line = [], ""
    for word in s.split():
        trial = f"{line} {word}".strip()
        if f.size(trial)[0] <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def clip(lines: list[str], n: int) -> list[str]:
    """At most `n` wrapped lines, the last ending in an ellipsis when some were left out."""
    if len(lines) <= n:
        return lines
    return [*lines[: n - 1], lines[n - 1].rstrip(" .,;:") + " …"]


def blit_lines(surface, lines, x, y, size, bold=False, colour=INK, gap=1.25) -> int:
    """Draw wrapped lines; returns the y below them."""
    for ln in lines:
        surface.blit(text(ln, size, bold, colour), (x, y))
        y += round(size * gap)
    return y


def fmt_time(t: datetime) -> str:
    return f"{t.day} {t:%b} {t:%H:%M}"


# ---------------------------------------------------------------------------------- sidebar
class Cached:
    """One drawn panel and what it was drawn for. Each Renderer owns its own (sidebar,
    timeline), so two renderers (two windows, a test's and the viewer's) never share one, and a
    panel is redrawn only when its key or the what-if shown with it changes."""

    def __init__(self) -> None:
        self.key: tuple | None = None
        self.branch: object = None
        self.img: pygame.Surface | None = None

    def get(self, key: tuple, branch: object, draw) -> pygame.Surface:
        """The panel for `key` and `branch`; `draw()` makes it when they differ from the last."""
        if self.img is None or key != self.key or branch is not self.branch:
            img = draw()
            if pygame.display.get_init() and pygame.display.get_surface() is not None:
                img = img.convert()
            self.key, self.branch, self.img = key, branch, img
        return self.img


def draw_sidebar(surface, layout, state, rp, cache: Cached, branch=None, block=None) -> None:
    """The sidebar; with a what-if (`branch`, a BranchView), its block of differences drawn
    by `block(surface, branch, state, k, x, y, width, ui, max_h) -> y below it`
    (sim/view/whatif_draw.py, sidebar_block)."""
    k = min(max(int(math.floor(state.t)), 0), rp.hours)
    key = (
        state.compare,
        layout.size,
        k,
        state.selected,
        "legend" in state.layers,
        "ticker" in state.layers,
        shows_hold(state, rp),
        state.playing,
        state.speed,
    )

    def draw() -> pygame.Surface:
        img = pygame.Surface(layout.sidebar.size)
        _sidebar(img, layout, state, rp, k, branch, block)
        return img

    surface.blit(cache.get(key, branch, draw), layout.sidebar.topleft)


def _sidebar(s: pygame.Surface, layout, state, rp, k: int, branch=None, whatif=None) -> None:
    ui = layout.ui
    w, h = s.get_size()
    pad = round(14 * ui)
    inner = w - 2 * pad
    s.fill(PANEL)
    pygame.draw.line(s, RULE, (0, 0), (0, h), 2)
    y = pad
    y = blit_lines(s, wrap(rp.title, round(15 * ui), inner, True), pad, y, round(15 * ui), True)
    y += round(4 * ui)
    # the clock
    now = rp.times[k]
    date_size = round(22 * ui)
    date = f"{now:%A} {now.day} {now:%B %Y}"
    while date_size > 10 and bm.font(date_size, True).size(date)[0] > inner:
        date_size -= 1
    s.blit(text(date, date_size, True), (pad, y))
    y += round(28 * ui)
    clock = text(f"{now:%H:%M}", round(40 * ui), True)
    s.blit(clock, (pad, y))
    day = (now.date() - rp.start.date()).days + 1
    days = (rp.end.date() - rp.start.date()).days + 1
    s.blit(
        text(f"day {day} of {days}  ·  hour {k} of {rp.hours}", round(14 * ui), False, MUTED),
        (pad + clock.get_width() + round(12 * ui), y + round(6 * ui)),
    )
    status = (
        f"▶ playing, {state.hours_per_s:g} h per second"
        if state.playing
        else "❚❚ paused  (space: play)"
    )
    s.blit(
        text(status, round(14 * ui), False, MUTED),
        (pad + clock.get_width() + round(12 * ui), y + round(26 * ui)),
    )
    y += round(54 * ui)
    pygame.draw.line(s, RULE, (pad, y), (w - pad, y), 1)
    y += round(8 * ui)
    if branch is not None and whatif is not None:
        y = whatif(s, branch, state, k, pad, y, inner, ui, round(h * 0.42))
        pygame.draw.line(s, RULE, (pad, y), (w - pad, y), 1)
        y += round(8 * ui)

    # bottom block: credits, then the legend or the unit panel above them
    credit_lines = wrap(CREDITS, round(11 * ui), inner)
    credits_h = len(credit_lines) * round(11 * ui * 1.25)
    bottom = h - pad - credits_h
    blit_lines(s, credit_lines, pad, bottom, round(11 * ui), colour=MUTED)
    block = None
    if state.selected and state.selected in rp.units:
        block = unit_panel(rp, state.selected, k, inner, ui)
    elif "legend" in state.layers and branch is None:
        block = legend(inner, ui, hold=shows_hold(state, rp))
    if block is not None:
        top = bottom - round(8 * ui) - block.get_height()
        pygame.draw.line(s, RULE, (pad, top - round(6 * ui)), (w - pad, top - round(6 * ui)), 1)
        s.blit(block, (pad, top))
        bottom = top - round(10 * ui)
    if "ticker" in state.layers:
        _ticker(s, rp, k, pad, y, inner, bottom, ui)


def _ticker(s, rp, k: int, x: int, y: int, width: int, bottom: int, ui: float) -> None:
    size = round(14 * ui)
    s.blit(text("Events (newest first)", round(13 * ui), True, MUTED), (x, y))
    y += round(20 * ui)
    items = [i for i in rp.ticker if i.hour <= k]
    for item in reversed(items):
        tag = "HISTORY" if item.history else "MODEL"
        head = text(
            f"{fmt_time(item.time)}",
            round(12 * ui),
            True,
            SIDE_INK.get(item.side, INK) if not item.history else INK,
        )
        tag_img = text(tag, round(10 * ui), True, (255, 255, 255))
        lines = wrap(item.text, size, width)
        need = round(17 * ui) + len(lines) * round(size * 1.25)
        if y + need > bottom and (
            y + round(17 * ui) + round(size * 1.25) > bottom or item is not items[-1]
        ):
            break  # only the newest item may be cut short
        fresh = k - item.hour < 6
        box = pygame.Rect(x - 4, y - 2, width + 8, 0)
        tag_rect = pygame.Rect(x, y + 1, tag_img.get_width() + 8, tag_img.get_height())
        pygame.draw.rect(s, HISTORY_TAG if item.history else MODEL_TAG, tag_rect, border_radius=3)
        s.blit(tag_img, (tag_rect.x + 4, tag_rect.y))
        s.blit(head, (tag_rect.right + 6, y))
        y += round(17 * ui)
        top_text = y
        for ln in lines:
            if y + round(size * 1.25) > bottom:
                break
            s.blit(text(ln, size, False, INK if fresh or item.history else (60, 60, 60)), (x, y))
            y += round(size * 1.25)
        if fresh:
            box.h = y - box.y + 2
            pygame.draw.line(s, (230, 160, 0), (x - 7, top_text - 17 * ui), (x - 7, y), 3)
        y += round(6 * ui)


def shows_hold(state, rp) -> bool:
    """Whether the map shows how the front is held (its key on, the territory drawn, and a
    run that records it): the legend then explains it."""
    return "hold" in state.layers and "territory" in state.layers and rp.has_hold


def legend(width: int, ui: float, hold: bool = False) -> pygame.Surface:
    """The key to the map's symbols, two columns; with `hold`, the front's styles (how each
    side holds it) in place of the plain front line."""
    row = round(21 * ui)
    size = round(13 * ui)
    col_w = width // 2
    rows = LEGEND_ROWS + (2 if hold else 0)
    surf = pygame.Surface((width, row * rows + round(24 * ui)), pygame.SRCALPHA)
    surf.blit(text("Legend", round(13 * ui), True, MUTED), (0, 0))
    y0 = round(22 * ui)
    sw = round(30 * ui)

    def no_data(x, y):
        r = pygame.Rect(x, y + 2, sw, row - 6)
        style.draw_no_data(surf, r)
        pygame.draw.rect(surf, RULE, r, 1)

    def swatch(x, y, colour):
        r = pygame.Rect(x, y + 2, sw, row - 6)
        pygame.draw.rect(surf, bm.LAND, r)
        layer = pygame.Surface(r.size, pygame.SRCALPHA)
        layer.fill(colour)
        surf.blit(layer, r)
        pygame.draw.rect(surf, RULE, r, 1)

    left = [
        (lambda x, y: swatch(x, y, style.UA_TINT), "Held by Ukraine"),
        (lambda x, y: swatch(x, y, style.RU_TINT), "Held by Russia"),
        (lambda x, y: swatch(x, y, style.RUSSIA_TINT), "Russia"),
        (lambda x, y: no_data(x, y), "No map data"),
        (
            lambda x, y: (
                pygame.draw.line(
                    surf, style.FRONT_CASING, (x, y + row / 2), (x + sw, y + row / 2), 5
                ),
                pygame.draw.line(surf, style.FRONT, (x, y + row / 2), (x + sw, y + row / 2), 3),
            ),
            "Front line",
        ),
        (lambda x, y: _bridge_icon(surf, x + sw / 2, y + row / 2, "intact", ui), "Bridge"),
        (
            lambda x, y: _bridge_icon(surf, x + sw / 2, y + row / 2, "destroyed", ui),
            "Bridge destroyed",
        ),
        (lambda x, y: _bridge_icon(surf, x + sw / 2, y + row / 2, "pontoon", ui), "Pontoon bridge"),
        (
            lambda x, y: pygame.draw.line(
                surf, bm.ROAD_STYLE["highway"][0], (x, y + row / 2), (x + sw, y + row / 2), 3
            ),
            "Highway",
        ),
        (
            lambda x, y: pygame.draw.line(
                surf, bm.ROAD_STYLE["main"][0], (x, y + row / 2), (x + sw, y + row / 2), 3
            ),
            "Main road",
        ),
        (
            lambda x, y: bm.draw_dashed(
                surf, bm.RAIL, [(x, y + row / 2), (x + sw, y + row / 2)], 2, bm.RAIL_DASH_PX
            ),
            "Railway",
        ),
        (
            lambda x, y: pygame.draw.line(
                surf, bm.RIVER, (x, y + row / 2), (x + sw, y + row / 2), 3
            ),
            "River",
        ),
        (
            lambda x, y: bm.draw_dashed(
                surf, bm.BORDER, [(x, y + row / 2), (x + sw, y + row / 2)], 2, (6, 4)
            ),
            "State border",
        ),
    ]
    s_ui = 0.62 * ui

    def unit(side, kind, echelon="brigade", routed=False):
        def f(x, y):
            img = sym.unit_symbol(side, kind, echelon, s_ui, routed=routed)
            surf.blit(
                img, (x + sw / 2 - img.get_width() / 2, y + row / 2 - img.get_height() / 2 + 1)
            )

        return f

    def bar(x, y):
        fw, fh = sym.frame_size(s_ui)
        sym.draw_strength_bar(surf, pygame.Rect(x + (sw - fw) / 2, y + 2, fw, 4), 0.65, "UA", s_ui)

    if hold:  # the plain line gives way to its three styles
        at = [label for _, label in left].index("Front line")
        left[at : at + 1] = [
            (lambda x, y: _front_icon(surf, x, y, sw, row, 2, ui), "Line held"),
            (lambda x, y: _front_icon(surf, x, y, sw, row, 1, ui), "Screen (thin)"),
            (lambda x, y: _front_icon(surf, x, y, sw, row, 0, ui), "Gap (not held)"),
        ]
    right = [
        (unit("UA", "infantry"), "Ukrainian unit"),
        (unit("RU", "infantry"), "Russian unit"),
        (unit("UA", "armour"), "Armour"),
        (unit("UA", "mechanised"), "Mechanised inf."),
        (unit("UA", "airborne"), "Airborne, air aslt."),
        (unit("UA", "national_guard"), "National guard"),
        (unit("UA", "artillery"), "Artillery"),
        (
            lambda x, y: surf.blit(text("X", round(12 * ui), True), (x + sw / 2 - 4 * ui, y + 2)),
            "bde (II bn, III rgt)",
        ),
        (bar, "Strength"),
        (unit("RU", "mechanised", routed=True), "Routed"),
        (lambda x, y: sym.draw_gone_mark(surf, (x + sw / 2, y + row / 2), 0.7 * ui), "Surrendered"),
        (
            lambda x, y: style.draw_burst(surf, (x + sw / 2, y + row / 2), row * 0.45),
            "Combat (size: odds)",
        ),
        (lambda x, y: _timeline_marks_icon(surf, x, y, sw, row, ui), "History / model"),
    ]
    assert max(len(left), len(right)) <= rows
    for col, items in ((0, left), (1, right)):
        x = col * col_w
        y = y0
        for draw, label in items:
            draw(x, y)
            surf.blit(text(label, size), (x + sw + round(6 * ui), y + (row - size) / 2 - 1))
            y += row
    return surf


def _front_icon(surf, x, y, sw, row, level: int, ui: float) -> None:
    """The front line as the map draws it at `level` (0 a gap, 1 a screen, 2 a line held):
    Ukraine's band above the line, Russia's below, each on its own side; a gap the bare line."""
    small = 0.6 * ui
    cy = y + row / 2
    if level:
        _, off = style.hold_band_px(level, small)
        for side, dy in (("UA", -off), ("RU", off)):
            style.draw_hold_band(surf, side, level, [(x, cy + dy), (x + sw, cy + dy)], small)
    w = max(2, round(style.FRONT_PX * small))
    pygame.draw.line(surf, style.FRONT_CASING, (x, cy), (x + sw, cy), w + 2)
    pygame.draw.line(surf, style.FRONT, (x, cy), (x + sw, cy), w)


def _bridge_icon(surf, x, y, state, ui):
    r = 6 * ui
    if state == "intact":
        rect = pygame.Rect(0, 0, 7, 7)
        rect.center = (round(x), round(y))
        pygame.draw.rect(surf, (255, 255, 255), rect)
        pygame.draw.rect(surf, bm.BRIDGE, rect, 1)
    elif state == "destroyed":
        w = max(2, round(3 * ui))
        pygame.draw.line(surf, style.DESTROYED, (x - r, y - r), (x + r, y + r), w)
        pygame.draw.line(surf, style.DESTROYED, (x - r, y + r), (x + r, y - r), w)
    else:
        pygame.draw.circle(surf, style.PONTOON, (x, y), r + 1, 2)
        t = text("P", round(10 * ui), True, style.PONTOON)
        surf.blit(t, t.get_rect(center=(x, y)))


def _timeline_marks_icon(surf, x, y, sw, row, ui):
    cy = y + row / 2
    triangle(surf, x + sw * 0.25, cy - 1, 5 * ui, SIDE_INK["UA"])
    pygame.draw.circle(surf, SIDE_INK["UA"], (x + sw * 0.75, cy + 1), 4 * ui)


def unit_panel(rp, uid: str, k: int, width: int, ui: float) -> pygame.Surface:
    """Name, parent, type, echelon, status; strength, morale, supply; equipment now against
    the start; the source of the unit's data."""
    facts = rp.units[uid]
    snap = rp.units_at(k).get(uid)
    size = round(13 * ui)
    lh = round(size * 1.3)
    surf = pygame.Surface((width, 600 * ui), pygame.SRCALPHA)
    y = 0
    ink = SIDE_INK.get(facts["side"], INK)
    y = blit_lines(
        surf, wrap(facts["name"], round(16 * ui), width, True), 0, y, round(16 * ui), True, ink
    )
    side = rp.side_names.get(facts["side"]) or SIDE_NAMES.get(facts["side"], facts["side"])
    kind = f"{TYPE_NAMES.get(facts['type'], facts['type'])} {facts['echelon']}"
    y = blit_lines(surf, wrap(f"{side} · {kind}", size, width), 0, y, size, colour=MUTED)
    if facts.get("parent"):
        y = blit_lines(
            surf, wrap(f"Parent: {facts['parent']}", size, width), 0, y, size, colour=MUTED
        )
    y += round(4 * ui)
    if snap is None:
        y = blit_lines(surf, ["Not yet on the map at this time."], 0, y, size)
        return surf.subsurface((0, 0, width, min(surf.get_height(), y + 4))).copy()
    status = snap["status"]
    where = rp.node_name(snap["node"])
    if snap.get("next"):
        where += f" → {rp.node_name(snap['next'])}"
    lines = [
        f"Status: {status}" + ("" if status == "active" else f" (hour {rp.gone_since.get(uid)})"),
        f"Posture: {snap['posture']}" + ("  ·  in combat" if snap.get("in_combat") else ""),
        f"Task: {snap.get('task') or '—'}"
        + (f" → {rp.node_name(snap.get('objective'))}" if snap.get("objective") else ""),
        f"At: {where}",
    ]
    for ln in lines:
        y = blit_lines(surf, wrap(ln, size, width), 0, y, size)
    y += round(4 * ui)
    for label, value in (
        ("Strength", snap["strength"]),
        ("Morale", snap["morale"]),
        ("Supply", snap["supply"]),
    ):
        surf.blit(text(label, size), (0, y))
        bar = pygame.Rect(round(80 * ui), y + 3, width - round(130 * ui), size - 3)
        pygame.draw.rect(surf, (255, 255, 255), bar)
        fill = bar.copy()
        fill.w = round(bar.w * max(0.0, min(1.0, float(value))))
        pygame.draw.rect(surf, ink, fill)
        pygame.draw.rect(surf, INK, bar, 1)
        surf.blit(text(f"{float(value):.0%}", size, True), (bar.right + 6, y))
        y += lh
    y += round(4 * ui)
    cols = (0, round(width * 0.45), round(width * 0.65), round(width * 0.85))
    for x, head in zip(cols, ("Equipment", "now", "start", "lost"), strict=True):
        surf.blit(text(head, size, True, MUTED), (x, y))
    y += lh
    initial = facts.get("initial") or [0] * 5
    for name, now, start in zip(ITEM_NAMES, snap["equipment"], initial, strict=False):
        if not start and not now:
            continue
        for x, v in zip(cols, (name, f"{now:,}", f"{start:,}", f"{start - now:,}"), strict=True):
            surf.blit(text(v, size), (x, y))
        y += lh
    if facts.get("source"):
        y += round(4 * ui)
        lines = wrap(f"Source: {facts['source']}", round(11 * ui), width)[:3]
        y = blit_lines(surf, lines, 0, y, round(11 * ui), colour=MUTED)
    y = blit_lines(surf, ["Esc: close"], 0, y + 2, round(11 * ui), colour=MUTED)
    return surf.subsurface((0, 0, width, min(surf.get_height(), y + 2))).copy()


def triangle(surf, x, y, r, colour, outline=INK):
    pts = [(x - r, y - r), (x + r, y - r), (x, y + r * 0.6)]
    pygame.draw.polygon(surf, colour, pts)
    pygame.draw.polygon(surf, outline, pts, 1)


# ---------------------------------------------------------------------------------- overlays
def draw_help(surface, layout) -> None:
    ui = layout.ui
    size = round(15 * ui)
    rows = [(text(k, size, True), text(v, size)) for k, v in KEYS]
    kw = max(r[0].get_width() for r in rows)
    vw = max(r[1].get_width() for r in rows)
    lh = round(size * 1.45)
    box = pygame.Rect(0, 0, kw + vw + round(60 * ui), lh * len(rows) + round(70 * ui))
    box.center = layout.map_rect.center
    box.clamp_ip(pygame.Rect((0, 0), layout.size))
    shade = pygame.Surface(layout.size, pygame.SRCALPHA)
    shade.fill((0, 0, 0, 90))
    surface.blit(shade, (0, 0))
    pygame.draw.rect(surface, PANEL, box, border_radius=8)
    pygame.draw.rect(surface, INK, box, 2, border_radius=8)
    surface.blit(
        text("Keys and mouse", round(18 * ui), True), (box.left + 20 * ui, box.top + 14 * ui)
    )
    y = box.top + round(50 * ui)
    for k, v in rows:
        surface.blit(k, (box.left + 20 * ui, y))
        surface.blit(v, (box.left + 40 * ui + kw, y))
        y += lh


def draw_map_overlays(surface, layout, vp, state, rp) -> None:
    """Scale bar, the key hint, the jump prompt and short messages, over the map."""
    ui = layout.ui
    mr = layout.map_rect
    km = 10 if vp.scale * 20 > mr.w * 0.3 else 20
    x, y = mr.left + round(14 * ui), mr.bottom - round(34 * ui)
    px = km * vp.scale
    back = pygame.Rect(x - 6, y - 6, px + 60 * ui, 34 * ui)
    pygame.draw.rect(surface, (250, 248, 240), back, border_radius=4)
    for i in range(4):
        seg = pygame.Rect(x + i * px / 4, y, px / 4 + 1, 6)
        pygame.draw.rect(surface, INK if i % 2 == 0 else (255, 255, 255), seg)
    pygame.draw.rect(surface, INK, pygame.Rect(x, y, px + 1, 6), 1)
    surface.blit(text(f"{km} km", round(12 * ui)), (x + px + 6, y - 4))
    surface.blit(text("h: help · space: play", round(12 * ui), False, MUTED), (x, y + 9))
    if state.jump_text is not None:
        prompt = text(
            f"Jump to (e.g. 2022-09-10 14:00 or 10 14): {state.jump_text}_", round(18 * ui), True
        )
        box = prompt.get_rect(midtop=(mr.centerx, mr.top + 20 * ui)).inflate(24, 16)
        pygame.draw.rect(surface, (255, 255, 240), box, border_radius=6)
        pygame.draw.rect(surface, INK, box, 2, border_radius=6)
        surface.blit(prompt, prompt.get_rect(center=box.center))
    if state.message:
        msg = text(state.message, round(15 * ui), True)
        box = msg.get_rect(midtop=(mr.centerx, mr.top + 70 * ui)).inflate(20, 12)
        pygame.draw.rect(surface, (255, 255, 240), box, border_radius=6)
        pygame.draw.rect(surface, INK, box, 1, border_radius=6)
        surface.blit(msg, msg.get_rect(center=box.center))
