"""The start of a scenario on the map, without simulating (``python run.py preview``).

Drawn with the viewer's own code (base map, territory and front line, APP-6 symbols, names)
from the model's state before its first hour: a `CampaignModel` is built but never stepped,
so who holds what is exactly what a run starts from. On top of it, what only a preview shows:

* each order as an arrow from where the unit will be (its start, or its previous order's
  objective) through its `via:` places to its objective, numbered as in the file
  (``orders[3]`` is 3); solid for attack, dashed for move, dotted for withdraw;
* units that arrive later, faded, with their arrival date;
* depots and bases: a letter in a box of the side's colour (B base, D depot, R railhead);
* the control regions' outlines, dashed in the side's colour;
* what the scenario adds (sim/view/preview_additions.py): a ring round each place it adds,
  each holding force's line, each off-map entry's arrows and artillery ranges;
* a sidebar: dates, forces by side, the orders in the file's order (each with its start or its
  condition), and the checks' findings.
"""

from __future__ import annotations

import math
import os
from datetime import datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from sim.view import basemap as bm  # noqa: E402
from sim.view import panels  # noqa: E402
from sim.view import preview_additions as pa  # noqa: E402
from sim.view import render as rd  # noqa: E402
from sim.view import symbols as sym  # noqa: E402
from sim.view.replay import Replay  # noqa: E402

DEPOT_LETTER = {"base": "B", "depot": "D", "railhead": "R"}
ARROW_DASH = {"attack": None, "move": (9, 5), "withdraw": (3, 4)}
ARRIVAL_ALPHA = 150  # 0-255: how strongly a later arrival's symbol shows
BOUNDS_MARGIN_KM = 14.0  # room around the places the scenario uses
MIN_EXTENT_KM = 70.0  # the smallest width or height shown: enough to see the roads around
PREVIEW_NOTE = "Preview of the start: nothing has been simulated."


def render_preview(
    scenario: Any,
    theatre: Any,
    path: str | Path,
    *,
    size: tuple[int, int] = (1400, 900),
    problems: list | None = None,
) -> Path:
    """Draw the start of `scenario` (places resolved) and save it as a PNG; returns the path.
    `problems`: the checks' findings (sim.scenario.Problem), summarised in the sidebar."""
    from sim.model import CampaignModel

    if not pygame.font.get_init():
        pygame.font.init()
    model = CampaignModel(scenario, theatre, scenario.parameters_with(), seed=0)
    try:
        replay = Replay.from_run(model.record, theatre, scenario)
    finally:
        model.release()
    surface = pygame.Surface(size)
    draw_preview(surface, replay, scenario, problems or [])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(path))
    return path


def preview_layout(size: tuple[int, int]) -> rd.Layout:
    """The viewer's layout without the timeline: map left, sidebar right."""
    base = rd.Layout.for_size(size)
    w, h = size
    return rd.Layout(
        base.size,
        pygame.Rect(0, 0, base.map_rect.w, h),
        base.sidebar,
        pygame.Rect(0, h, base.map_rect.w, 0),
        base.ui,
    )


def order_legs(scenario: Any, theatre: Any) -> list[tuple[int, Any, str, list[str]]]:
    """(index in the file, order, side, [from, via..., objective]) for every order with an
    objective, one per distinct starting place of its units. A unit starts each order where
    its previous order (by date) sent it, or at its `at:`."""
    from sim.scenario.checks import objectives_of

    g = theatre.graph
    specs = {u.id: u for u in scenario.units}
    position = {u.id: u.at for u in scenario.units}
    out = []
    order_idx = sorted(
        range(len(scenario.orders)),
        key=lambda i: (getattr(scenario.orders[i], "start", None) or scenario.start, i),
    )
    for i in order_idx:
        o = scenario.orders[i]
        objectives = [p for _, p in objectives_of(o) if p in g]
        units = [u for u in o.units if u in specs]
        if not units or not objectives:
            continue
        via = [v for v in getattr(o, "via", []) or [] if v in g]
        starts: dict[str, str] = {}
        for uid in units:
            starts.setdefault(position[uid], specs[uid].side)
            position[uid] = objectives[-1]
        for here, side in starts.items():
            legs = [here, *via, *objectives]
            legs = [n for k, n in enumerate(legs) if k == 0 or n != legs[k - 1]]
            if len(legs) > 1:
                out.append((i, o, side, legs))
    return out


def preview_bounds(scenario: Any, theatre: Any, map_rect: pygame.Rect):
    """km bounds around the units, their objectives and via places and the off-map entries'
    places, fitted to the map (depots far behind the operation are left out of the frame, not
    off the sidebar's list)."""
    g = theatre.graph
    nodes = {u.at for u in scenario.units} | {n for o in scenario.offmap for n in o.at}
    for _, _, _, legs in order_legs(scenario, theatre):
        nodes |= set(legs)
    xs = [g.nodes[n]["x_km"] for n in nodes if n in g] or [0.0]
    ys = [g.nodes[n]["y_km"] for n in nodes if n in g] or [0.0]
    m = BOUNDS_MARGIN_KM
    x0, y0, x1, y1 = min(xs) - m, min(ys) - m, max(xs) + m, max(ys) + m
    grow_x = max(0.0, MIN_EXTENT_KM - (x1 - x0)) / 2
    grow_y = max(0.0, MIN_EXTENT_KM - (y1 - y0)) / 2
    return bm.fit_bounds((x0 - grow_x, y0 - grow_y, x1 + grow_x, y1 + grow_y), map_rect)


def draw_preview(surface: pygame.Surface, replay: Replay, scenario: Any, problems: list) -> None:
    """The whole preview (map and sidebar) onto `surface`."""
    layout = preview_layout(surface.get_size())
    renderer = rd.Renderer(replay)
    bounds = preview_bounds(scenario, replay.theatre, layout.map_rect)
    vp = rd.viewport_for(layout, bounds)
    ui = layout.ui
    mr = layout.map_rect
    surface.fill(bm.BACKGROUND)
    surface.blit(renderer.base_layer(layout, vp, True), mr.topleft)
    clip = surface.get_clip()
    surface.set_clip(mr)
    terr, pos = renderer.territory_layer(layout, vp, 0)
    if terr is not None:
        surface.blit(terr, pos)
    renderer.draw_front(surface, vp, 0, ui)
    draw_regions(surface, vp, scenario, ui)
    pa.draw_additions(surface, vp, scenario, replay.theatre, ui)
    draw_orders(surface, vp, scenario, replay.theatre, ui)
    surface.blit(renderer.label_layer(layout, vp), mr.topleft)  # names over the arrows
    renderer.draw_crossings(surface, vp, 0, ui)  # bridges down or pontoons at the start
    draw_depots(surface, vp, scenario, replay.theatre, ui)
    avoid = renderer.key_labels(layout, vp, min_population=0)  # every name: units step aside
    draw_start_units(surface, vp, replay, scenario, ui, avoid)
    surface.blit(renderer.label_layer(layout, vp, key_only=True), mr.topleft)
    draw_order_numbers(surface, vp, scenario, replay.theatre, ui)
    _scale(surface, layout, vp)
    surface.set_clip(clip)
    pygame.draw.rect(surface, bm.FRAME, mr, 1)
    draw_sidebar(surface, layout, replay, scenario, problems)


# ------------------------------------------------------------------------------ map overlays
def draw_regions(surface, vp, scenario, ui: float) -> None:
    """Control regions: dashed outlines in the side's colour, inside the theatre box."""
    x0, y0, x1, y1 = bm.box_km()
    (lx, ty), (rx, by) = vp.to_px(x0, y1), vp.to_px(x1, y0)
    clip = surface.get_clip()
    surface.set_clip(pygame.Rect(round(lx), round(ty), round(rx - lx), round(by - ty)).clip(clip))
    for region in scenario.control.regions:
        pts = [vp.lonlat_to_px(lon, lat) for lon, lat in region.polygon]
        if len(pts) >= 3:
            bm.draw_dashed(
                surface,
                panels.SIDE_INK[region.side],
                [*pts, pts[0]],
                max(2, round(2 * ui)),
                (12, 6),
            )
    surface.set_clip(clip)


def _arrow_head(surface, colour, a, b, size: float) -> None:
    ang = math.atan2(b[1] - a[1], b[0] - a[0])
    left = (b[0] - size * math.cos(ang - 0.45), b[1] - size * math.sin(ang - 0.45))
    right = (b[0] - size * math.cos(ang + 0.45), b[1] - size * math.sin(ang + 0.45))
    pygame.draw.polygon(surface, colour, [b, left, right])


def _leg_points(vp, theatre, legs: list[str]) -> list[tuple[float, float]]:
    g = theatre.graph
    return [vp.to_px(g.nodes[n]["x_km"], g.nodes[n]["y_km"]) for n in legs]


def draw_orders(surface, vp, scenario, theatre, ui: float) -> None:
    """Each order as an arrow to its objective (see the module docstring)."""
    w = max(2, round(3 * ui))
    for _, order, side, legs in order_legs(scenario, theatre):
        pts = _leg_points(vp, theatre, legs)
        colour = sym.SIDE_LINE[side]
        dash = ARROW_DASH.get(order.task)
        # stop short of the objective so the head sits on the line, not under the town dot
        ax, ay = pts[-2]
        bx, by = pts[-1]
        d = math.hypot(bx - ax, by - ay) or 1.0
        end = (bx - (bx - ax) * 6 * ui / d, by - (by - ay) * 6 * ui / d)
        line = [*pts[:-1], end]
        for casing, width in (((255, 255, 255), w + 2), (colour, w)):
            if dash:
                bm.draw_dashed(surface, casing, line, width, dash)
            else:
                pygame.draw.lines(surface, casing, False, line, width)
        _arrow_head(surface, colour, pts[-2], end, 12 * ui)


def draw_order_numbers(surface, vp, scenario, theatre, ui: float) -> None:
    """The order's index in the file, in a small circle part way along its last leg."""
    seen: set[tuple[int, int]] = set()
    for i, _, side, legs in order_legs(scenario, theatre):
        pts = _leg_points(vp, theatre, legs)
        (ax, ay), (bx, by) = pts[-2], pts[-1]
        x, y = ax + 0.62 * (bx - ax), ay + 0.62 * (by - ay)
        while (round(x / 8), round(y / 8)) in seen:  # orders along the same line
            y += 14 * ui
        seen.add((round(x / 8), round(y / 8)))
        t = panels.text(str(i), round(11 * ui), True, sym.SIDE_LINE[side])
        r = max(t.get_width(), t.get_height()) / 2 + 3 * ui
        pygame.draw.circle(surface, (255, 255, 255), (x, y), r)
        pygame.draw.circle(surface, sym.SIDE_LINE[side], (x, y), r, max(1, round(1.5 * ui)))
        surface.blit(t, t.get_rect(center=(round(x), round(y))))


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


def draw_depots(surface, vp, scenario, theatre, ui: float) -> None:
    """Depots below-left of their place's dot (several at one place side by side)."""
    g = theatre.graph
    count: dict[str, int] = {}
    for d in scenario.depots:
        if d.at not in g:
            continue
        x, y = vp.to_px(g.nodes[d.at]["x_km"], g.nodes[d.at]["y_km"])
        k = count.get(d.at, 0)
        count[d.at] = k + 1
        depot_marker(surface, (x - 10 * ui - k * 18 * ui, y + 12 * ui), d.side, d.kind, ui)


def draw_start_units(surface, vp, replay: Replay, scenario, ui: float, avoid) -> None:
    """Every unit at its start place, fanned out with the others there (the viewer's layout):
    those on the map at the start as in the viewer, later arrivals faded with their date."""
    snaps = replay.units_at(0)
    g = replay.theatre.graph
    arrives = {u.id: u.arrives for u in scenario.units}
    groups: dict[str, list] = {}
    for u in scenario.units:
        snap = snaps.get(u.id) or {"id": u.id, "strength": 1.0}  # arrivals are not in frames
        if u.at not in g or u.id not in replay.units:
            continue
        x, y = vp.to_px(g.nodes[u.at]["x_km"], g.nodes[u.at]["y_km"])
        groups.setdefault(u.at, []).append((u.id, {**snap, "node": u.at, "next": None}, x, y))
    _, _, top = sym.symbol_extent(ui)
    for uid, snap, rect, _ in rd.place_groups(list(groups.values()), replay, ui, avoid):
        facts = replay.units[uid]
        side = facts["side"]
        img = sym.unit_symbol(side, facts["type"], facts["echelon"], ui)
        later = arrives.get(uid) is not None
        if later:
            img = img.copy()
            img.set_alpha(ARRIVAL_ALPHA)
        surface.blit(img, (rect.centerx - img.get_width() // 2, rect.top - top))
        if not later:
            sym.draw_strength_bar(surface, rect, snap["strength"], side, ui)
        name = sym.short_designation(facts["name"])
        if later:
            name += f" arr. {panels.fmt_time(arrives[uid])}"
        label = panels.text(
            name, round((10 if later else 11) * ui), True, sym.SIDE_LINE[side], halo=True
        )
        surface.blit(label, (rect.right + 2, rect.top - 2))


def _scale(surface, layout, vp) -> None:
    ui = layout.ui
    mr = layout.map_rect
    km = 10 if vp.scale * 20 > mr.w * 0.3 else 20
    x, y = mr.left + round(14 * ui), mr.bottom - round(28 * ui)
    px = km * vp.scale
    pygame.draw.rect(
        surface, (250, 248, 240), pygame.Rect(x - 6, y - 6, px + 60 * ui, 22 * ui), border_radius=4
    )
    for i in range(4):
        seg = pygame.Rect(x + i * px / 4, y, px / 4 + 1, 6)
        pygame.draw.rect(surface, panels.INK if i % 2 == 0 else (255, 255, 255), seg)
    pygame.draw.rect(surface, panels.INK, pygame.Rect(x, y, px + 1, 6), 1)
    surface.blit(panels.text(f"{km} km", round(12 * ui)), (x + px + 6, y - 4))


# ------------------------------------------------------------------------------ the sidebar
def _fmt(t: datetime) -> str:
    return f"{t:%a} {t.day} {t:%b %Y} {t:%H:%M}"


def forces(scenario: Any) -> dict[str, dict[str, int]]:
    """Per side: units at the start and arriving later, personnel and tanks of all of them."""
    out = {s: {"start": 0, "later": 0, "personnel": 0, "tanks": 0} for s in ("UA", "RU")}
    for u in scenario.units:
        f = out[u.side]
        f["later" if u.arrives is not None else "start"] += 1
        f["personnel"] += u.equipment.personnel
        f["tanks"] += u.equipment.tanks
    return out


def order_rows(scenario: Any, theatre: Any) -> list[str]:
    """The sidebar's line for each order, in the file's order (authors refer to orders by
    position, ``orders[n]``, and id): "n. id · when it may start · units: task → objectives",
    where it may start is its `start:` (Kyiv time), its `when:` condition, both, or
    "at the start"; places by name."""
    from sim.model.plan import condition_text
    from sim.scenario.checks import objectives_of

    names = theatre.graph.nodes

    def place(p: str) -> str:
        return str(names[p]["name"]) if p in names else p

    rows = []
    for i, o in enumerate(scenario.orders):
        start, cond = getattr(o, "start", None), getattr(o, "when", None)
        when = (
            [f"from {panels.fmt_time(start)}" if cond else panels.fmt_time(start)] if start else []
        )
        when += [f"when {condition_text(cond, place)}"] if cond else []
        head = [o.id] if getattr(o, "id", None) else []
        head.append(", ".join(when) or "at the start")
        where = "".join(f" → {place(p)}" for _, p in objectives_of(o))
        rows.append(f"{i}. {' · '.join(head)} · {', '.join(o.units)}: {o.task}{where}")
    return rows


def draw_sidebar(surface, layout, replay: Replay, scenario: Any, problems: list) -> None:
    ui = layout.ui
    r = layout.sidebar
    s = pygame.Surface(r.size)
    s.fill(panels.PANEL)
    pygame.draw.line(s, panels.RULE, (0, 0), (0, r.h), 2)
    pad = round(14 * ui)
    inner = r.w - 2 * pad
    y = pad
    y = panels.blit_lines(
        s, panels.wrap(scenario.title, round(15 * ui), inner, True), pad, y, round(15 * ui), True
    )
    y += round(4 * ui)
    s.blit(panels.text(PREVIEW_NOTE, round(12 * ui), False, panels.MUTED), (pad, y))
    y += round(20 * ui)
    for line in (
        f"start  {_fmt(scenario.start)}",
        f"end    {_fmt(scenario.end)}  ({scenario.hours} hours)",
    ):
        s.blit(panels.text(line, round(13 * ui)), (pad, y))
        y += round(18 * ui)
    y += round(6 * ui)
    for side, f in forces(scenario).items():
        later = f", {f['later']} later" if f["later"] else ""
        line = (
            f"{panels.SIDE_NAMES[side]}: {f['start']} units at the start{later}; "
            f"{f['personnel']:,} personnel, {f['tanks']} tanks"
        )
        y = panels.blit_lines(
            s,
            panels.wrap(line, round(13 * ui), inner),
            pad,
            y,
            round(13 * ui),
            colour=panels.SIDE_INK[side],
        )
    depots = ", ".join(f"{d.id} ({d.kind})" for d in scenario.depots)
    for text in [f"Depots: {depots or 'none'}", *pa.summary_lines(scenario)]:
        y = panels.blit_lines(
            s,
            panels.wrap(text, round(12 * ui), inner),
            pad,
            y + round(4 * ui),
            round(12 * ui),
            colour=panels.MUTED,
        )
    y += round(8 * ui)
    pygame.draw.line(s, panels.RULE, (pad, y), (r.w - pad, y), 1)
    y += round(8 * ui)

    key_h = _key(s, pad, r.h - pad, inner, ui, measure=True)
    checks_lines = _checks_lines(problems)
    checks_h = (len(checks_lines) + 1) * round(14 * ui) + round(10 * ui)
    bottom = r.h - pad - key_h - checks_h - round(10 * ui)
    s.blit(
        panels.text(
            "Orders (number as in the file: orders[n])", round(13 * ui), True, panels.MUTED
        ),
        (pad, y),
    )
    y += round(20 * ui)
    rows = order_rows(scenario, replay.theatre)
    shown = 0
    for n, row in enumerate(rows):
        lines = panels.wrap(row, round(12 * ui), inner)
        need = len(lines) * round(15 * ui)
        if y + need > bottom - round(15 * ui) and n < len(rows):
            s.blit(
                panels.text(
                    f"… and {len(rows) - shown} more (see the file)",
                    round(12 * ui),
                    False,
                    panels.MUTED,
                ),
                (pad, y),
            )
            break
        y = panels.blit_lines(s, lines, pad, y, round(12 * ui))
        shown += 1
    if not rows:
        s.blit(panels.text("none", round(12 * ui), False, panels.MUTED), (pad, y))
    y = bottom
    pygame.draw.line(s, panels.RULE, (pad, y), (r.w - pad, y), 1)
    y += round(8 * ui)
    s.blit(panels.text(checks_lines[0], round(13 * ui), True, panels.MUTED), (pad, y))
    y += round(18 * ui)
    for line in checks_lines[1:]:
        s.blit(
            panels.text(_fit(line, round(11 * ui), inner), round(11 * ui), False, panels.INK),
            (pad, y),
        )
        y += round(14 * ui)
    _key(s, pad, r.h - pad - key_h, inner, ui)
    surface.blit(s, r.topleft)


def _checks_lines(problems: list, most: int = 6) -> list[str]:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    head = (
        f"validate: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    )
    out = [head]
    for p in problems[:most]:
        out.append(f"{p.severity}: line {p.line}: {p.path}: {p.message}")
    if len(problems) > most:
        out.append(f"... {len(problems) - most} more: python run.py validate FILE")
    return out


def _fit(text: str, size: int, width: int) -> str:
    """`text` cut (with an ellipsis) to fit `width` pixels at font `size`."""
    f = bm.font(max(6, size))
    if f.size(text)[0] <= width:
        return text
    while text and f.size(text + "…")[0] > width:
        text = text[:-1]
    return text + "…"


def _key(s, x: int, y: int, width: int, ui: float, measure: bool = False) -> int:
    """The preview's own symbols; returns the height used."""
    row = round(19 * ui)
    items = [
        ("attack", "attack order (number: orders[n])"),
        ("move", "move order"),
        ("withdraw", "withdraw order"),
        ("depot", "B base · D depot · R railhead"),
        ("arrival", "unit arriving later (faded)"),
        ("region", "control region"),
    ]
    if measure:
        return row * len(items) + round(22 * ui)
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
        if kind in ARROW_DASH:
            a, b = (x, cy), (x + sw, cy)
            if ARROW_DASH[kind]:
                bm.draw_dashed(s, colour, [a, (b[0] - 6, cy)], 3, ARROW_DASH[kind])
            else:
                pygame.draw.line(s, colour, a, (b[0] - 6, cy), 3)
            _arrow_head(s, colour, a, b, 10 * ui)
        elif kind == "depot":
            for j, k in enumerate(("base", "depot", "railhead")):
                depot_marker(s, (x + 6 * ui + j * 14 * ui, cy), "UA", k, 0.8 * ui)
        elif kind == "arrival":
            img = sym.unit_symbol("RU", "mechanised", "battalion", 0.6 * ui).copy()
            img.set_alpha(ARRIVAL_ALPHA)
            s.blit(img, (x + sw / 2 - img.get_width() / 2, cy - img.get_height() / 2))
        else:
            bm.draw_dashed(s, panels.SIDE_INK["RU"], [(x, cy), (x + sw, cy)], 2, (8, 4))
        s.blit(panels.text(label, round(12 * ui)), (x + sw + round(8 * ui), y + 2))
        y += row
    return 0
