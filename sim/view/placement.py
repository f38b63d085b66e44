"""Where things go on the map, as pure functions of a replay and a viewport: the front line
(Voronoi ridges between territories held by different sides) and the bands beside it that say
how each side holds it (`front_bands`), the unit symbols (positions
interpolated along roads, units on one spot fanned out, units at a key town moved off its name)
and the pixels each covers, and a label put beside its mark where it covers none of them
(`label_spot`), as the village names the units would hide are (`names_clear_of_units`).
sim/view/render.py and sim/view/whatif_draw.py draw them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pygame

from sim.view import basemap as bm
from sim.view import symbols as sym
from sim.view.replay import Replay


def voronoi_ridges(theatre) -> list[tuple[int, int, tuple, tuple]]:
    """(i, j, a_km, b_km): the boundary between the territories of nodes i and j (indices into
    theatre.node_ids), running from a to b with i's territory on its left (north up). The
    territory raster gives each cell to its nearest node, so these are the raster's internal
    borders, drawn as clean lines."""
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
            pa, pb = vor.vertices[a], vor.vertices[b]
            d, to_i = pb - pa, xy[i] - pa
            if d[0] * to_i[1] - d[1] * to_i[0] < 0:  # i on the right of a -> b: turn it round
                pa, pb = pb, pa
            out.append((int(i), int(j), tuple(pa), tuple(pb)))
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


@dataclass(frozen=True)
class Band:
    """One stretch of the front that `side` holds at one `level` (SCREEN or DEFENCE, the
    indices of sim/view/replay.py's HOLD_LETTERS): a polyline in km along the front line,
    running so that the side's own ground lies on its left (north up), where the band is
    drawn. A closed ring (a pocket) ends where it starts."""

    side: str  # "UA" | "RU"
    level: int
    points: tuple[tuple[float, float], ...]


def front_bands(ridges, ua_held: np.ndarray, russia: np.ndarray, hold: np.ndarray) -> list[Band]:
    """How each side holds the front (`front_segments`): along each ridge, each side's stretch
    takes the level of the place behind it (`hold`, theatre order: 0 a gap, 1 a screen, 2 a
    defence). Gaps make no band: there the front is the bare line, where an attack walks
    through. Ridges of one side and level are joined into polylines (a dash pattern runs on
    along them, and their corners join), in a fixed order."""
    segments: dict[tuple[str, int], list[tuple[tuple, tuple]]] = {}
    for i, j, a, b in ridges:
        if ua_held[i] == ua_held[j]:
            continue
        ua, ru = (i, j) if ua_held[i] else (j, i)
        if russia[ru]:
            continue
        for side, n in (("UA", ua), ("RU", ru)):
            level = int(hold[n])
            if level <= 0:
                continue
            # the side's cell on the left: i's runs a -> b (`voronoi_ridges`), j's b -> a
            segments.setdefault((side, level), []).append((a, b) if n == i else (b, a))
    return [
        Band(side, level, tuple(line))
        for (side, level), segs in sorted(segments.items())
        for line in _chain(segs)
    ]


def offset_left(pts: list[tuple[float, float]], dist: float) -> list[tuple[float, float]]:
    """A screen polyline (y down) moved `dist` px to its left as it is drawn (the side a
    `Band` is on), corners mitred (at most twice `dist` out, so a sharp turn does not spike).
    A closed ring (last point = first) stays closed."""
    p = [pts[0]]
    for q in pts[1:]:
        if math.hypot(q[0] - p[-1][0], q[1] - p[-1][1]) > 1e-9:
            p.append(q)
    if len(p) < 2:
        return list(p)
    closed = len(p) > 3 and math.hypot(p[0][0] - p[-1][0], p[0][1] - p[-1][1]) < 1e-6
    normals = []
    for (x1, y1), (x2, y2) in zip(p[:-1], p[1:], strict=True):
        d = math.hypot(x2 - x1, y2 - y1)
        normals.append(((y2 - y1) / d, -(x2 - x1) / d))  # the left of the way it runs
    out = []
    for k in range(len(p)):
        before = normals[k - 1] if k > 0 else (normals[-1] if closed else None)
        after = normals[k] if k < len(normals) else (normals[0] if closed else None)
        a = before or after
        b = after or before
        assert a is not None and b is not None  # two points at least: one normal
        mx, my = a[0] + b[0], a[1] + b[1]
        m = math.hypot(mx, my)
        if m < 1e-9:  # the line turns straight back: offset along one side
            mx, my, m = a[0], a[1], 1.0
        mx, my = mx / m, my / m
        scale = dist / max(mx * a[0] + my * a[1], 0.5)
        out.append((p[k][0] + mx * scale, p[k][1] + my * scale))
    return out


def _chain(segs: list[tuple[tuple, tuple]]) -> list[list[tuple[float, float]]]:
    """Directed segments joined end to start into polylines; open chains are started at a
    segment no other one leads into, then what is left (rings) in order."""

    def key(p):
        return (round(float(p[0]), 6), round(float(p[1]), 6))

    starts: dict[tuple, list[int]] = {}
    ends: set[tuple] = set()
    for n, (a, b) in enumerate(segs):
        starts.setdefault(key(a), []).append(n)
        ends.add(key(b))
    used = [False] * len(segs)
    lines = []
    heads = [n for n, (a, _) in enumerate(segs) if key(a) not in ends]
    for first in heads + list(range(len(segs))):
        if used[first]:
            continue
        used[first] = True
        a, b = segs[first]
        line = [(float(a[0]), float(a[1])), (float(b[0]), float(b[1]))]
        at = key(b)
        while True:
            nxt = next((m for m in starts.get(at, ()) if not used[m]), None)
            if nxt is None:
                break
            used[nxt] = True
            q = segs[nxt][1]
            line.append((float(q[0]), float(q[1])))
            at = key(q)
        lines.append(line)
    return lines


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


def unit_footprint(
    frame: pygame.Rect, designation: tuple[int, int], ui: float
) -> tuple[pygame.Rect, pygame.Rect]:
    """(symbol, designation): the pixel rectangles a unit's marks cover around its `frame`
    (from `unit_placements`): the symbol surface (the echelon mark above the frame, the
    strength bar below it) and the designation of size `designation` (w, h px) written right
    of the frame. sim/view/render.py draws the unit into exactly these."""
    sw, sh, top = sym.symbol_extent(ui)
    body = pygame.Rect(frame.centerx - sw // 2, frame.top - top, sw, sh)
    return body, pygame.Rect(frame.right + 2, frame.top - 2, *designation)


#: Where a label may go around its mark (unit vectors, y down), tried in the order a map
#: reader looks first: right of a point (as town names and unit designations are written),
#: above and below right, then the same on the left, then straight above and below.
LABEL_SIDES = ((1, 0), (1, -1), (1, 1), (-1, 0), (-1, -1), (-1, 1), (0, -1), (0, 1))
LABEL_GAP_PX = 3  # between a mark's edge and its label, at ui 1
LABEL_STEP_PX = 6  # each further try moves the label this much further out, at ui 1
LABEL_REACH_PX = (
    160  # the farthest a label goes from its mark's edge, at ui 1 (a leader joins them)
)
LABEL_PAD_PX = 2  # clearance kept around a label (its halo) from what it must not cover
#: A label pushed one step further out costs STEP_COST; covering a whole lesser name costs
#: SOFT_COST (eight steps: text over text reads as badly as text over a symbol, so the label
#: rather goes 48 px further out, with a leader), and each symbol its leader line crosses
#: LEADER_COST. The order of LABEL_SIDES breaks ties (less than 1 in all).
STEP_COST = 10.0
SOFT_COST = 80.0
LEADER_COST = 15.0


@dataclass(frozen=True)
class LabelSpot:
    """Where a mark's label goes: its pixel rectangle; the leader line (from the mark's edge to
    the label's nearest point, None when the label sits right beside the mark); and whether
    it is clear (covers nothing it must not: False only when no spot within reach was)."""

    rect: pygame.Rect
    leader: tuple[tuple[float, float], tuple[float, float]] | None
    clear: bool


def _beside(x: float, y: float, d: float, side: tuple[int, int], w: int, h: int) -> pygame.Rect:
    """The w x h rectangle whose nearest edge or corner is d px from (x, y) towards `side`."""
    dx, dy = side
    f = d / math.hypot(dx, dy)
    px, py = x + dx * f, y + dy * f
    left = px if dx > 0 else px - w if dx < 0 else px - w / 2
    top = py if dy > 0 else py - h if dy < 0 else py - h / 2
    return pygame.Rect(round(left), round(top), w, h)


def _covered(rect: pygame.Rect, others: list[pygame.Rect]) -> int:
    """Pixels of `rect` that the rectangles `others` cover (overlaps among them counted
    twice)."""
    clips = (rect.clip(others[i]) for i in rect.collidelistall(others))
    return sum(c.w * c.h for c in clips)


def _share_covered(rect: pygame.Rect, others: list[pygame.Rect]) -> float:
    """How much of the rectangles `others` `rect` covers, in whole rectangles (a sum of
    shares: covering two names by half each is 1)."""
    clips = ((rect.clip(others[i]), others[i]) for i in rect.collidelistall(others))
    return sum(c.w * c.h / max(1, o.w * o.h) for c, o in clips)


def label_spot(
    anchor: tuple[float, float],
    clear_px: float,
    size: tuple[int, int],
    hard: list[pygame.Rect],
    soft: list[pygame.Rect],
    bounds: pygame.Rect,
    ui: float,
    reach_px: float = LABEL_REACH_PX,
    clear_only: bool = False,
) -> LabelSpot:
    """The spot for a label of `size` (w, h px) for a round mark of radius `clear_px` at
    `anchor` (px): beside it if that is clear, otherwise the nearest spot within
    `reach_px` (at ui 1) that covers none of the `hard` rectangles (unit symbols, names drawn
    above them, other marks and labels) and as little as it can of the `soft` ones (lesser names),
    whole inside `bounds`, with a leader line back to the mark. Tries LABEL_SIDES at
    LABEL_STEP_PX steps outwards; if no spot is clear, the one that covers the fewest pixels
    of `hard` (`clear` False); with `clear_only`, the nearest clear spot or, if none is, a
    spot beside the mark said not clear (a label its caller leaves out: the search skips what
    it would need to rank the spots that are not clear). Deterministic: the same input gives
    the same spot."""
    x, y = anchor
    w, h = size
    pad = round(LABEL_PAD_PX * ui)
    first = clear_px + LABEL_GAP_PX * ui
    steps = max(1, round(reach_px / LABEL_STEP_PX))
    best: tuple[tuple[int, float], pygame.Rect, tuple | None] | None = None
    for step in range(steps + 1):
        if best is not None and best[0][0] == 0 and best[0][1] < step * STEP_COST:
            break  # a clear spot nearer in than any spot from here on can beat
        d = first + step * LABEL_STEP_PX * ui
        for rank, side in enumerate(LABEL_SIDES):
            rect = _beside(x, y, d, side, w, h)
            if not bounds.contains(rect):
                continue
            halo = rect.inflate(2 * pad, 2 * pad)
            if halo.collidelist(hard) == -1:
                blocked = 0
            elif clear_only:
                continue
            else:
                blocked = _covered(halo, hard)
            if best is not None and blocked > best[0][0]:
                continue  # covers more than the best: it cannot win, whatever it costs
            leader = None
            cost = step * STEP_COST + rank / len(LABEL_SIDES)
            if soft:
                cost += SOFT_COST * _share_covered(rect, soft)
            if best is not None and (blocked, cost) >= best[0]:
                continue  # a leader only adds to the cost
            if step:
                qx, qy = min(max(x, rect.left), rect.right), min(max(y, rect.top), rect.bottom)
                f = clear_px / max(1e-9, math.hypot(qx - x, qy - y))
                leader = ((x + (qx - x) * f, y + (qy - y) * f), (qx, qy))
                (ax, ay), _ = leader
                # only a rectangle that meets the leader's box can meet the leader
                box = pygame.Rect(
                    math.floor(min(ax, qx)) - 1,
                    math.floor(min(ay, qy)) - 1,
                    math.ceil(abs(qx - ax)) + 3,
                    math.ceil(abs(qy - ay)) + 3,
                )
                crossed = box.collidelistall(hard)
                cost += LEADER_COST * sum(1 for i in crossed if hard[i].clipline(*leader))
            key = (blocked, cost)
            if best is None or key < best[0]:
                best = (key, rect, leader)
    if best is None:  # nowhere inside the bounds: beside the mark, on the right
        return LabelSpot(_beside(x, y, first, LABEL_SIDES[0], w, h), None, False)
    (blocked, _), rect, leader = best
    return LabelSpot(rect, leader, blocked == 0)


#: The farthest a town's name moved off the units stands from its dot (px at ui 1, a leader
#: joins them; `names_clear_of_units`): within a counter's width, so that it still reads as
#: that town's name and not a neighbour's, and the search stays short enough to run for every
#: frame (dozens of names in a crowded one). A name with no clear spot that near is left out.
NAME_REACH_PX = 36
#: Spots `names_clear_of_units` keeps in its memo before it starts it afresh: a few thousand,
#: the names of several minutes of playback, a few hundred kB.
NAME_MEMO_SIZE = 4096


@dataclass(frozen=True)
class NameSpot:
    """Where a lesser town name is drawn in a frame (`names_clear_of_units`): `rect`, where the
    map's placement put it (`moved` False) or a spot clear of the units (`moved` True, with a
    `leader` from the town's dot when it stands off)."""

    node: str
    rect: pygame.Rect
    leader: tuple[tuple[float, float], tuple[float, float]] | None
    moved: bool


def names_clear_of_units(
    names: list[tuple[str, pygame.Rect, tuple[float, float], float]],
    units: list[pygame.Rect],
    above: list[pygame.Rect],
    bounds: pygame.Rect,
    ui: float,
    memo: dict | None = None,
) -> list[NameSpot]:
    """Town names that unit symbols would hide, moved clear of them. `names`: (node, the
    name's rectangle as the map placed it, the town's dot px, the dot's radius), biggest town
    first; `units`: what the units cover (`unit_footprint`: symbols and designations); `above`:
    what is drawn over the names and must stay readable too (the key names). A name that no
    unit mark touches stays where it is; the others, in order, go to the nearest spot beside
    their dot that covers no unit mark, no name in `above`, no name kept and no name moved
    before it (`label_spot`, a leader back to the dot when it stands off). A name with no such
    spot within NAME_REACH_PX is left out of the frame: a name under a symbol reads as
    neither. `memo` (a dict the caller keeps from frame to frame) holds each name's spot by
    what lies near it: a name whose surroundings did not change is not searched again."""
    pad = round(LABEL_PAD_PX * ui)  # kept clear round a name, as `label_spot` keeps it
    kept, out, touched = [], [], []
    for node, rect, dot, r in names:
        if rect.inflate(2 * pad, 2 * pad).collidelist(units) == -1:
            kept.append(rect)
            out.append(NameSpot(node, rect, None, False))
        else:
            touched.append((node, rect, dot, r))
    hard = [*units, *above, *kept]
    # the farthest a spot of `label_spot` (with its halo) reaches from the dot's edge, and a
    # step to spare
    reach = math.ceil((LABEL_GAP_PX + NAME_REACH_PX + 2 * LABEL_STEP_PX + LABEL_PAD_PX) * ui)
    for node, rect, (x, y), r in touched:
        clear = r + 2 * ui  # the dot and its outline
        # only what lies within reach can stop a spot or a leader: the same spot, found faster
        half_w, half_h = math.ceil(clear) + reach + rect.w, math.ceil(clear) + reach + rect.h
        area = pygame.Rect(round(x) - half_w, round(y) - half_h, 2 * half_w, 2 * half_h)
        near = [hard[i] for i in area.collidelistall(hard)]
        key = (node, x, y, clear, tuple(rect.size), tuple(bounds), ui, *map(tuple, near))
        spot = memo.get(key) if memo is not None else None
        if spot is None:
            spot = label_spot(
                (x, y), clear, rect.size, near, [], bounds, ui, NAME_REACH_PX, clear_only=True
            )
            if memo is not None:
                if len(memo) > NAME_MEMO_SIZE:
                    memo.clear()
                memo[key] = spot
        if spot.clear:
            hard.append(spot.rect)
            out.append(NameSpot(node, spot.rect, spot.leader, True))
    return out
