"""The preview's key (sim/view/preview.py): one row for every kind of mark the preview draws
on top of the viewer's map, and only those this scenario's preview draws (`key_items`), so
that nothing on the picture is left unexplained and the key stays short. The viewer's own marks
(territory, the front line, APP-6 symbols, town dots) are docs/viewer.md's.
"""

from __future__ import annotations

import math
from typing import Any

import pygame

from sim.view import basemap as bm
from sim.view import panels
from sim.view import symbols as sym
from sim.view.style import CROSSING_MARK_PX, DESTROYED, PONTOON

#: How each kind of order is drawn: the dash pattern of its arrow (None: solid).
ARROW_DASH: dict[str, tuple[int, int] | None] = {
    "attack": None,
    "move": (9, 5),
    "withdraw": (3, 4),
    "leave": (14, 4),
}
DEPOT_LETTER = {"base": "B", "depot": "D", "railhead": "R"}
ARRIVAL_ALPHA = 150  # 0-255: how strongly a later arrival's symbol shows
RING_COLOUR = (20, 20, 20)  # the ring round what a scenario adds (a place, a crossing)
FORD = (30, 90, 170)  # a ford's mark
EXIT = (90, 90, 90)  # where a unit leaves the map

#: Every key row: (kind, label), in the order they are listed.
KEY_ROWS: tuple[tuple[str, str], ...] = (
    ("attack", "attack order (number: orders[n])"),
    ("move", "move order"),
    ("withdraw", "withdraw order"),
    ("leave", "leave order: the unit leaves the map at ⊗"),
    ("depot", "B base · D depot · R railhead"),
    ("arrival", "unit arriving later (faded)"),
    ("region", "control region"),
    ("destroyed", "crossing destroyed at the start"),
    ("pontoon", "pontoon at the start"),
    ("ford", "ford (added by the scenario)"),
    ("added_crossing", "crossing added by the scenario (ringed)"),
    ("added_place", "place added by the scenario (ringed)"),
    ("holding", "holding force's line"),
    ("offmap", "supply or fire from beyond the map's edge"),
    ("artillery", "range of artillery beyond the edge"),
    ("leader", "line from a label standing off to its mark"),
)


def key_items(scenario: Any, crossings: dict[str, str], drawn: set[str]) -> list[tuple[str, str]]:
    """The key rows of what this preview draws: `crossings` the states at the start of the
    crossings that do not stand as built, `drawn` the kinds the drawing reported (order
    arrows, leaders)."""
    kinds = set(drawn)
    kinds |= {"depot"} if scenario.depots else set()
    kinds |= {"arrival"} if any(u.arrives for u in scenario.units) else set()
    kinds |= {"region"} if scenario.control.regions else set()
    kinds |= set(crossings.values()) & {"destroyed", "pontoon"}
    sites = getattr(scenario, "new_crossings", [])
    kinds |= {"added_crossing"} if sites else set()
    kinds |= {"ford"} if any(c.kind == "ford" for c in sites) else set()
    kinds |= {"added_place"} if scenario.places else set()
    kinds |= {"holding"} if scenario.holding_forces else set()
    kinds |= {"offmap"} if scenario.offmap else set()
    kinds |= {"artillery"} if any(o.artillery for o in scenario.offmap) else set()
    return [(kind, label) for kind, label in KEY_ROWS if kind in kinds]


def arrow_head(surface, colour, a, b, size: float) -> None:
    ang = math.atan2(b[1] - a[1], b[0] - a[0])
    left = (b[0] - size * math.cos(ang - 0.45), b[1] - size * math.sin(ang - 0.45))
    right = (b[0] - size * math.cos(ang + 0.45), b[1] - size * math.sin(ang + 0.45))
    pygame.draw.polygon(surface, colour, [b, left, right])


def depot_marker(surface, centre, side: str, kind: str, ui: float) -> pygame.Rect:
    """A depot: its kind's letter in a box of its side's colour; returns the box."""
    t = panels.text(DEPOT_LETTER.get(kind, "?"), round(11 * ui), True, (255, 255, 255))
    box = t.get_rect(center=(round(centre[0]), round(centre[1]))).inflate(
        round(6 * ui), round(2 * ui)
    )
    pygame.draw.rect(surface, (255, 255, 255), box.inflate(4, 4), border_radius=3)
    pygame.draw.rect(surface, sym.SIDE_LINE.get(side, (40, 40, 40)), box, border_radius=3)
    surface.blit(t, t.get_rect(center=box.center))
    return box


def destroyed_mark(surface, centre, ui: float) -> None:
    """A crossing down: the viewer's red X (sim/view/render.py)."""
    x, y = centre
    r = CROSSING_MARK_PX * ui
    for colour, w in (((255, 255, 255), round(6 * ui)), (DESTROYED, round(4 * ui))):
        pygame.draw.line(surface, colour, (x - r, y - r), (x + r, y + r), w)
        pygame.draw.line(surface, colour, (x - r, y + r), (x + r, y - r), w)


def pontoon_mark(surface, centre, ui: float) -> None:
    """A pontoon: the viewer's green P in a circle."""
    _letter_mark(surface, centre, ui, "P", PONTOON)


def ford_mark(surface, centre, ui: float) -> None:
    """A ford: an F in a blue circle."""
    _letter_mark(surface, centre, ui, "F", FORD)


def _letter_mark(surface, centre, ui: float, letter: str, colour) -> None:
    """A crossing's letter in a circle of its colour, on a white halo."""
    r = CROSSING_MARK_PX * ui
    pygame.draw.circle(surface, (255, 255, 255), centre, r + 2)
    pygame.draw.circle(surface, colour, centre, r + 1, max(2, round(2 * ui)))
    t = panels.text(letter, round(11 * ui), True, colour)
    surface.blit(t, t.get_rect(center=(round(centre[0]), round(centre[1]))))


def ring(surface, centre, radius: float, ui: float) -> None:
    """The ring round what a scenario adds."""
    pygame.draw.circle(surface, (255, 255, 255), centre, radius, max(1, round(3 * ui)))
    pygame.draw.circle(surface, RING_COLOUR, centre, radius, max(1, round(1.5 * ui)))


def exit_mark(surface, centre, ui: float) -> None:
    """Where a unit leaves the map: a circled X."""
    r = 6 * ui
    x, y = centre
    pygame.draw.circle(surface, (255, 255, 255), centre, r + 2)
    pygame.draw.circle(surface, EXIT, centre, r, max(1, round(2 * ui)))
    d = r * 0.6
    w = max(1, round(2 * ui))
    pygame.draw.line(surface, EXIT, (x - d, y - d), (x + d, y + d), w)
    pygame.draw.line(surface, EXIT, (x - d, y + d), (x + d, y - d), w)


def order_line(surface, colour, points, width: int, dash) -> None:
    """An order's line, cased in white, solid or dashed."""
    for casing, w in (((255, 255, 255), width + 2), (colour, width)):
        if dash:
            bm.draw_dashed(surface, casing, points, w, dash)
        else:
            pygame.draw.lines(surface, casing, False, points, w)


def key_height(items: list[tuple[str, str]], ui: float) -> int:
    return round(19 * ui) * len(items) + round(22 * ui)


def draw_key(s, x: int, y: int, items: list[tuple[str, str]], ui: float) -> None:
    """The key's rows, with their sample marks, from (x, y) down."""
    row = round(19 * ui)
    s.blit(
        panels.text(
            "Preview key (and the viewer's: docs/viewer.md)", round(12 * ui), True, panels.MUTED
        ),
        (x, y),
    )
    y += round(20 * ui)
    sw = round(34 * ui)
    colour = sym.SIDE_LINE["UA"]
    for kind, label in items:
        cy = y + row / 2
        mid = (x + sw / 2, cy)
        if kind in ARROW_DASH:
            tip = x + sw - (12 * ui if kind == "leave" else 0)
            a, b = (x, cy), (tip, cy)
            order_line(s, colour, [a, (b[0] - 6, cy)], 3, ARROW_DASH[kind])
            arrow_head(s, colour, a, b, 10 * ui)
            if kind == "leave":
                exit_mark(s, (x + sw - 4 * ui, cy), 0.8 * ui)
        elif kind == "depot":
            for j, k in enumerate(("base", "depot", "railhead")):
                depot_marker(s, (x + 6 * ui + j * 14 * ui, cy), "UA", k, 0.8 * ui)
        elif kind == "arrival":
            img = sym.unit_symbol("RU", "mechanised", "battalion", 0.6 * ui).copy()
            img.set_alpha(ARRIVAL_ALPHA)
            s.blit(img, (x + sw / 2 - img.get_width() / 2, cy - img.get_height() / 2))
        elif kind == "region":
            bm.draw_dashed(s, panels.SIDE_INK["RU"], [(x, cy), (x + sw, cy)], 2, (8, 4))
        elif kind == "destroyed":
            destroyed_mark(s, mid, 0.8 * ui)
        elif kind == "pontoon":
            pontoon_mark(s, mid, 0.8 * ui)
        elif kind == "ford":
            ford_mark(s, mid, 0.8 * ui)
        elif kind in ("added_crossing", "added_place"):
            ring(s, mid, 7 * ui, ui)
        elif kind == "holding":
            band = pygame.Surface((sw, round(12 * ui)), pygame.SRCALPHA)
            band.fill((*sym.SIDE_LINE["RU"], 90))
            s.blit(band, (x, cy - band.get_height() / 2))
        elif kind == "offmap":
            a, b = (x, cy), (x + sw, cy)
            order_line(s, sym.SIDE_LINE["RU"], [a, (b[0] - 6, cy)], 3, None)
            arrow_head(s, sym.SIDE_LINE["RU"], a, b, 10 * ui)
        elif kind == "artillery":
            pts = [
                (
                    mid[0] + 9 * ui * math.cos(t / 12 * math.tau),
                    cy + 7 * ui * math.sin(t / 12 * math.tau),
                )
                for t in range(13)
            ]
            bm.draw_dashed(s, sym.SIDE_LINE["RU"], pts, max(1, round(2 * ui)), (4, 3))
        elif kind == "leader":
            pygame.draw.line(s, panels.MUTED, (x, cy + 4 * ui), (x + sw, cy - 4 * ui), 1)
        s.blit(panels.text(label, round(12 * ui)), (x + sw + round(8 * ui), y + 2))
        y += row
