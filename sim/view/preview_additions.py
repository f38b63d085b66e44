"""What a scenario adds, as the preview draws it (sim/view/preview.py; issue 23's additions,
sim/scenario/additions.py):

* each place it adds to the map: a ring round its dot; each crossing it adds: a ring round
  its site (the middle of its road), with an F for a ford;
* each holding force: its line (the places of `along` and the roads between them) as a broad
  translucent band in its side's colour, labelled with its id and how it was spread; its units
  stand on the line as ordinary units;
* each off-map entry: an arrow from each of its `at` places toward the map's nearest edge,
  labelled with its id (its bases are drawn as bases, B); its artillery as a dashed circle of
  its range round each position, labelled with its guns and launchers.
"""

from __future__ import annotations

import math
from typing import Any

import pygame

from sim.view import basemap as bm
from sim.view import panels
from sim.view import preview_key as pk
from sim.view import symbols as sym

BAND_ALPHA = 90  # 0-255: how strongly a holding force's line shows under the symbols


def summary_lines(scenario: Any) -> list[str]:
    """The sidebar's lines about the additions (none when the scenario has none)."""
    out = []
    if scenario.places:
        out.append("Added places: " + ", ".join(p.id for p in scenario.places))
    sites = getattr(scenario, "new_crossings", [])
    if sites:
        out.append("Added crossings: " + ", ".join(f"{c.id} ({c.kind})" for c in sites))
    for h in scenario.holding_forces:
        total = f"{h.btgs:g} BTGs" if h.btgs is not None else f"{h.total.personnel:,} men"
        out.append(
            f"Holding force {h.id} ({h.side}): {total} in {h.parts} {h.echelon.value} parts, "
            f"{' - '.join(h.along)}"
        )
    for o in scenario.offmap:
        what = [o.kind] + (["artillery"] if o.artillery is not None else [])
        out.append(f"Off the map: {o.id} ({o.side}, {', '.join(what)}) at {', '.join(o.at)}")
    return out


def draw_additions(surface, vp, scenario: Any, theatre: Any, ui: float) -> None:
    """Holding-force lines, off-map arrows and artillery ranges (under the units), rings
    round the added places."""
    draw_holding_lines(surface, vp, scenario, theatre, ui)
    draw_offmap(surface, vp, scenario, theatre, ui)
    draw_added_places(surface, vp, scenario, theatre, ui)


def draw_holding_lines(surface, vp, scenario: Any, theatre: Any, ui: float) -> None:
    from sim.scenario.expand import ExpandError, holding_line

    g = theatre.graph
    for h in scenario.holding_forces:
        try:
            line = [n for n, _ in holding_line(list(h.along), theatre)]
        except ExpandError:
            continue
        pts = [vp.to_px(g.nodes[n]["x_km"], g.nodes[n]["y_km"]) for n in line if n in g]
        if len(pts) < 2:
            continue
        band = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
        colour = (*sym.SIDE_LINE[h.side], BAND_ALPHA)
        width = max(6, round(14 * ui))
        pygame.draw.lines(band, colour, False, pts, width)
        for p in pts:
            pygame.draw.circle(band, colour, p, width / 2)
        surface.blit(band, (0, 0))
        parts = "companies" if h.echelon.value == "company" else f"{h.echelon.value}s"
        label = panels.text(
            f"{h.id}: {h.parts} {parts}", round(11 * ui), True, sym.SIDE_LINE[h.side]
        )
        x, y = pts[0]
        surface.blit(label, (round(x + 8 * ui), round(y + 10 * ui)))


def _outward(x_km: float, y_km: float) -> tuple[float, float]:
    """The unit vector from a point toward the map box's nearest edge (km, y north)."""
    x0, y0, x1, y1 = bm.box_km()
    gaps = [(x_km - x0, (-1.0, 0.0)), (x1 - x_km, (1.0, 0.0)), (y_km - y0, (0.0, -1.0))]
    gaps.append((y1 - y_km, (0.0, 1.0)))
    return min(gaps)[1]


def draw_offmap(surface, vp, scenario: Any, theatre: Any, ui: float) -> None:
    from sim.map.theatre import project

    g = theatre.graph
    w = max(2, round(3 * ui))
    for o in scenario.offmap:
        colour = sym.SIDE_LINE[o.side]
        for n in o.at:
            if n not in g:
                continue
            x, y = g.nodes[n]["x_km"], g.nodes[n]["y_km"]
            dx, dy = _outward(x, y)
            a = vp.to_px(x + 3 * dx, y + 3 * dy)
            b = vp.to_px(x + 14 * dx, y + 14 * dy)
            for casing, width in (((255, 255, 255), w + 2), (colour, w)):
                pygame.draw.line(surface, casing, a, b, width)
            ang = math.atan2(b[1] - a[1], b[0] - a[0])
            size = 11 * ui
            head = [
                b,
                (b[0] - size * math.cos(ang - 0.45), b[1] - size * math.sin(ang - 0.45)),
                (b[0] - size * math.cos(ang + 0.45), b[1] - size * math.sin(ang + 0.45)),
            ]
            pygame.draw.polygon(surface, colour, head)
            t = panels.text(o.id, round(11 * ui), True, colour, halo=True)
            surface.blit(t, (round(b[0] + 4 * ui), round(b[1] - t.get_height() / 2)))
        fire = o.artillery
        if fire is None:
            continue
        if fire.lat is not None and fire.lon is not None:
            centres = [project(fire.lon, fire.lat)]
        else:
            centres = [(g.nodes[n]["x_km"], g.nodes[n]["y_km"]) for n in o.at if n in g]
        for k, (cx, cy) in enumerate(centres):
            ring = [
                vp.to_px(
                    cx + fire.range_km * math.cos(k * math.pi / 36),
                    cy + fire.range_km * math.sin(k * math.pi / 36),
                )
                for k in range(73)
            ]
            bm.draw_dashed(surface, colour, ring, max(1, round(2 * ui)), (6, 5))
            if k:
                continue  # one label for the entry
            guns = [f"{fire.guns} guns"] * bool(fire.guns) + [f"{fire.mlrs} MLRS"] * bool(fire.mlrs)
            t = panels.text(
                f"{o.id}: {', '.join(guns)}, {fire.range_km:g} km", round(10 * ui), False, colour
            )
            px, py = vp.to_px(cx, cy + fire.range_km)
            surface.blit(t, (round(px - t.get_width() / 2), round(py + 2 * ui)))


def draw_added_places(surface, vp, scenario: Any, theatre: Any, ui: float) -> None:
    g = theatre.graph
    for p in scenario.places:
        if p.id not in g:
            continue
        x, y = vp.to_px(g.nodes[p.id]["x_km"], g.nodes[p.id]["y_km"])
        pk.ring(surface, (x, y), 8 * ui, ui)


def draw_added_crossings(surface, renderer: Any, vp, scenario: Any, ui: float) -> None:
    """A ring round each crossing the scenario adds, at the middle of its road (where the
    viewer marks a crossing's state), and an F in it for a ford."""
    crossings = renderer.replay.theatre.crossings
    for c in getattr(scenario, "new_crossings", []):
        if c.id not in crossings:
            continue
        x, y = renderer.crossing_px(vp, c.id)
        pk.ring(surface, (x, y), 12 * ui, ui)
        if c.kind == "ford":
            pk.ford_mark(surface, (x, y), ui)
