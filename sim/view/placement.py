"""Where things go on the map, as pure functions of a replay and a viewport: the front line
(Voronoi ridges between territories held by different sides) and the unit symbols (positions
interpolated along roads, units on one spot fanned out, units at a key town moved off its name).
sim/view/render.py draws them.
"""

from __future__ import annotations

import math

import numpy as np
import pygame

from sim.view import basemap as bm
from sim.view import symbols as sym
from sim.view.replay import Replay


def voronoi_ridges(theatre) -> list[tuple[int, int, tuple, tuple]]:
    """(i, j, a_km, b_km): the boundary between the territories of nodes i and j (indices into
    theatre.node_ids). The territory raster gives each cell to its nearest node, so these are
    the raster's internal borders, drawn as clean lines."""
    from scipy.spatial import Voronoi

    g = theatre.graph
    xy = np.array([[g.nodes[n]["x_km"], g.nodes[n]["y_km"]] for n in theatre.node_ids])
    far = 5000.0
    pts = np.vstack([xy, [[-far, -far], [far, -far], [far, far], [-far, far]]])
    vor = Voronoi(pts)
    n = len(xy)
    out = []
    for (i, j), (a, b) in zip(vor.ridge_points, vor.ridge_vertices, strict=True):
        if i < n and j < n and a >= 0 and b >= 0:
            out.append((int(i), int(j), tuple(vor.vertices[a]), tuple(vor.vertices[b])))
    return out


def front_segments(ridges, ua_held: np.ndarray, russia: np.ndarray):
    """Ridges between territories held by different sides, leaving out the state border
    (a Russian-held cell inside Russia next to a Ukrainian-held one)."""
    out = []
    for i, j, a, b in ridges:
        if ua_held[i] != ua_held[j]:
            ru = j if ua_held[i] else i
            if not russia[ru]:
                out.append((a, b))
    return out


def unit_position_km(replay: Replay, snap: dict) -> tuple[float, float]:
    """Where a unit stands at the end of an hour: its node, or part way along the edge to
    `next` (progress_km / length_km)."""
    g = replay.theatre.graph
    a = g.nodes[snap["node"]]
    nxt = snap.get("next")
    if nxt and nxt in g and g.has_edge(snap["node"], nxt):
        length = g.edges[snap["node"], nxt]["length_km"]
        f = max(0.0, min(1.0, (snap.get("progress_km") or 0.0) / max(length, 1e-6)))
        b = g.nodes[nxt]
        return a["x_km"] + f * (b["x_km"] - a["x_km"]), a["y_km"] + f * (b["y_km"] - a["y_km"])
    return a["x_km"], a["y_km"]


def unit_placements(
    replay: Replay,
    t: float,
    vp: bm.Viewport,
    ui: float,
    avoid: dict[str, pygame.Rect] | None = None,
):
    """[(unit id, snapshot, frame rect, centre px)] for the active units at time t, positions
    interpolated between hours; units on the same spot are fanned out in rows of three above
    the spot (a single unit is centred on its node). Units standing at a node whose name is in
    `avoid` (node -> the name's pixel rectangle) are moved off the name and the town's dot, to
    the side away from the name."""
    k = min(int(math.floor(t)), replay.hours)
    frac = t - k if k < replay.hours else 0.0
    now = replay.units_at(k)
    nxt = replay.units_at(k + 1) if frac > 0 else {}
    spots: dict[tuple[int, int], list] = {}
    for uid, snap in now.items():
        if snap["status"] != "active":
            continue
        x, y = unit_position_km(replay, snap)
        if uid in nxt and nxt[uid]["status"] == "active":
            x2, y2 = unit_position_km(replay, nxt[uid])
            x, y = x + frac * (x2 - x), y + frac * (y2 - y)
        px, py = vp.to_px(x, y)
        spots.setdefault((round(px / 4), round(py / 4)), []).append((uid, snap, px, py))
    return place_groups(list(spots.values()), replay, ui, avoid)


def place_groups(
    groups: list[list], replay: Replay, ui: float, avoid: dict[str, pygame.Rect] | None = None
):
    """Lay out groups of (unit id, snapshot, px, py) that share a spot (see
    `unit_placements`); returns [(unit id, snapshot, frame rect, spot px)]."""
    fw, fh = sym.frame_size(ui)
    _, sh, top = sym.symbol_extent(ui)
    g = replay.theatre.graph
    out = []
    for group in groups:
        group.sort(key=lambda m: (replay.units[m[0]]["side"], m[0]))
        n = len(group)
        cols = min(n, 3)
        rects = []
        for idx, (_uid, _snap, px, py) in enumerate(group):
            row, col = divmod(idx, cols)
            in_row = min(cols, n - row * cols)
            cx = px + (col - (in_row - 1) / 2) * (fw + 24 * ui)
            cy = py - row * (sh + 2 * ui) if n > 1 else py
            rect = pygame.Rect(0, 0, fw, fh)
            rect.center = (round(cx), round(cy))
            rects.append(rect)
        node = group[0][1]["node"]
        still = all(
            m[1]["node"] == node and not (m[1].get("next") and m[1].get("progress_km"))
            for m in group
        )
        if avoid and still and node in avoid and node in g:
            dx, dy = _away_from_label(
                rects,
                avoid[node],
                (group[0][2], group[0][3]),
                bm.town_radius_px(g.nodes[node]["population"]),
                ui,
                top,
                sh - top - fh,
            )
            rects = [r.move(dx, dy) for r in rects]
        out += [
            (uid, snap, rect, (px, py))
            for (uid, snap, px, py), rect in zip(group, rects, strict=True)
        ]
    return out


def _away_from_label(
    rects: list[pygame.Rect],
    label: pygame.Rect,
    dot: tuple[float, float],
    dot_r: float,
    ui: float,
    above: int,
    below: int,
) -> tuple[int, int]:
    """The shift that moves a group of frames (with `above` px of echelon mark over each
    frame and `below` px of strength bar under it) clear of a name and of the town's dot:
    to the side of the dot away from the name (left of a name on the right, and so on)."""
    box = rects[0].unionall(rects[1:]) if len(rects) > 1 else rects[0].copy()
    box = pygame.Rect(
        box.left - round(14 * ui),
        box.top - above,
        box.w + round(14 * ui) * 2,
        box.h + above + below,
    )  # the designation written right of each frame
    x, y = dot
    gap = dot_r + 3 * ui
    lx, ly = label.center
    if abs(lx - x) >= abs(ly - y):  # name right or left of the dot: go the other way
        dx = (x - gap - box.right) if lx > x else (x + gap - box.left)
        return round(dx), 0
    dy = (y - gap - box.bottom) if ly > y else (y + gap - box.top)  # name below: go above
    return 0, round(dy)
