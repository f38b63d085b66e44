"""The start of a scenario on the map, without simulating (``python run.py preview``).

Drawn with the viewer's own code (base map, territory and front line, APP-6 symbols, names)
from the model's state before its first hour: a `CampaignModel` is built but never stepped,
so who holds what is exactly what a run starts from. On top of it, what only a preview shows:

* each order as an arrow from where the unit will be (its start, or its previous order's
  objective) through its `via:` places to its objective, numbered as in the file
  (``orders[3]`` is 3); solid for attack, dashed for move, dotted for withdraw, long dashes
  to a circled X for a unit leaving the map (sim/view/preview_key.py, `ARROW_DASH`);
* units that arrive later, faded, with their arrival date;
* every unit's designation placed where it covers no symbol, key name or other label (the
  viewer's label placement, sim/view/placement.py, `label_spot`), with a leader line when it
  has to stand off;
* depots and bases: a letter in a box of the side's colour (B base, D depot, R railhead);
* the control regions' outlines, dashed in the side's colour;
* crossings destroyed or bridged by a pontoon at the start (the viewer's marks);
* what the scenario adds (sim/view/preview_additions.py): a ring round each place and each
  crossing it adds (an F for a ford), each holding force's line, each off-map entry's arrows
  and artillery ranges;
* a sidebar: dates, forces by side, the phases and the orders in the file's order (each with
  its start or its condition, its effort, its pause), the checks' findings, and a key of every
  mark drawn (sim/view/preview_key.py). Orders that do not fit go on further pages, written
  beside the picture (``start_2.png``, ...; the list and its pages: sim/view/preview_orders.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from sim.view import basemap as bm  # noqa: E402
from sim.view import panels, placement  # noqa: E402
from sim.view import preview_additions as pa  # noqa: E402
from sim.view import preview_key as pk  # noqa: E402
from sim.view import preview_orders as po  # noqa: E402
from sim.view import render as rd  # noqa: E402
from sim.view import symbols as sym  # noqa: E402
from sim.view.replay import Replay  # noqa: E402

BOUNDS_MARGIN_KM = 14.0  # room around the places the scenario uses
MIN_EXTENT_KM = 70.0  # the smallest width or height shown: enough to see the roads around
PREVIEW_NOTE = "Preview of the start: nothing has been simulated."
#: Most pages a preview writes (the picture and the rest of the orders): 40 orders a page at
#: the default size, so 20 pages hold more orders than any operation of the period needs
MAX_PAGES = 20


@dataclass(frozen=True)
class Drawn:
    """What `draw_preview` drew: the order rows that did not fit in the sidebar (`rest`, for
    further pages), where each unit's label went, and the key's rows."""

    rest: list[str]
    labels: list[placement.LabelSpot]
    key: list[tuple[str, str]]


def render_preview(
    scenario: Any,
    theatre: Any,
    path: str | Path,
    *,
    size: tuple[int, int] = (1400, 900),
    problems: list | None = None,
) -> list[Path]:
    """Draw the start of `scenario` (places resolved) and save it as a PNG, with a page more
    for each sidebar's worth of orders that did not fit (``NAME_2.png``, ...); returns the
    paths written, the picture first. `problems`: the checks' findings (sim.scenario.Problem),
    summarised in the sidebar."""
    from sim.model import CampaignModel

    if not pygame.font.get_init():
        pygame.font.init()
    model = CampaignModel(scenario, theatre, scenario.parameters_with(), seed=0)
    try:
        replay = Replay.from_run(model.record, theatre, scenario)
    finally:
        model.release()
    path = Path(path)

    def page(n: int) -> Path:
        return path.with_name(f"{path.stem}_{n}{path.suffix}")

    surface = pygame.Surface(size)
    rest = draw_preview(surface, replay, scenario, problems or [], page(2).name).rest
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(path))
    written = [path]
    while rest and len(written) < MAX_PAGES:
        n = len(written) + 1
        rest = po.draw_order_page(surface, scenario, rest, n, page(n + 1).name)
        pygame.image.save(surface, str(page(n)))
        written.append(page(n))
    return written


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
    its previous order (by date) sent it, or at its `at:`. A unit told to leave the map
    where it stands has a leg of one place (its exit)."""
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
        leave = o.task == "leave"
        if not units or not (objectives or leave):
            continue
        via = [v for v in getattr(o, "via", []) or [] if v in g]
        starts: dict[str, str] = {}
        for uid in units:
            starts.setdefault(position[uid], specs[uid].side)
            position[uid] = objectives[-1] if objectives else position[uid]
        for here, side in starts.items():
            legs = [here, *via, *objectives]
            legs = [n for k, n in enumerate(legs) if k == 0 or n != legs[k - 1]]
            if len(legs) > 1 or leave:
                out.append((i, o, side, legs))
    return out


def preview_bounds(scenario: Any, theatre: Any, map_rect: pygame.Rect):
    """km bounds around the units, their objectives and via places, the off-map entries'
    places and what the scenario adds to the map or changes on it (places, crossings),
    fitted to the map (depots far behind the operation are left out of the frame, not off the
    sidebar's list)."""
    g = theatre.graph
    nodes = {u.at for u in scenario.units} | {n for o in scenario.offmap for n in o.at}
    for _, _, _, legs in order_legs(scenario, theatre):
        nodes |= set(legs)
    nodes |= {p.id for p in scenario.places}  # what the scenario adds or changes on the map
    for cid in [*(c.id for c in scenario.new_crossings), *scenario.crossings]:
        c = theatre.crossings.get(cid)
        nodes |= {c.u, c.v} if c is not None else set()
    xs = [g.nodes[n]["x_km"] for n in nodes if n in g] or [0.0]
    ys = [g.nodes[n]["y_km"] for n in nodes if n in g] or [0.0]
    m = BOUNDS_MARGIN_KM
    x0, y0, x1, y1 = min(xs) - m, min(ys) - m, max(xs) + m, max(ys) + m
    grow_x = max(0.0, MIN_EXTENT_KM - (x1 - x0)) / 2
    grow_y = max(0.0, MIN_EXTENT_KM - (y1 - y0)) / 2
    return bm.fit_bounds((x0 - grow_x, y0 - grow_y, x1 + grow_x, y1 + grow_y), map_rect)


def draw_preview(
    surface: pygame.Surface,
    replay: Replay,
    scenario: Any,
    problems: list,
    next_page: str = "the next page",
) -> Drawn:
    """The whole preview (map and sidebar) onto `surface`; returns what it drew (`Drawn`:
    the sidebar's order rows that did not fit, for `next_page`, the name of the file that
    will hold them)."""
    layout = preview_layout(surface.get_size())
    renderer = rd.Renderer(replay)
    theatre = replay.theatre
    bounds = preview_bounds(scenario, theatre, layout.map_rect)
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
    pa.draw_additions(surface, vp, scenario, theatre, ui)
    drawn = draw_orders(surface, vp, scenario, theatre, ui)
    surface.blit(renderer.label_layer(layout, vp), mr.topleft)  # names over the arrows
    renderer.draw_crossings(surface, vp, 0, ui)  # bridges down or pontoons at the start
    pa.draw_added_crossings(surface, renderer, vp, scenario, ui)
    marks = draw_depots(surface, vp, scenario, theatre, ui)
    avoid = renderer.key_labels(layout, vp, min_population=0)  # every name: units step aside
    numbers = order_number_spots(vp, scenario, theatre, ui)
    marks += [box for *_, box in numbers]
    labels = draw_start_units(surface, layout, renderer, vp, scenario, avoid, marks)
    if any(spot.leader is not None for spot in labels):
        drawn.add("leader")
    surface.blit(renderer.label_layer(layout, vp, key_only=True), mr.topleft)
    draw_order_numbers(surface, numbers, ui)
    _scale(surface, layout, vp)
    surface.set_clip(clip)
    pygame.draw.rect(surface, bm.FRAME, mr, 1)
    items = pk.key_items(scenario, replay.crossings_at(0), drawn)
    rest = draw_sidebar(surface, layout, replay, scenario, problems, items, next_page)
    return Drawn(rest, labels, items)


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


def _leg_points(vp, theatre, legs: list[str]) -> list[tuple[float, float]]:
    g = theatre.graph
    return [vp.to_px(g.nodes[n]["x_km"], g.nodes[n]["y_km"]) for n in legs]


def draw_orders(surface, vp, scenario, theatre, ui: float) -> set[str]:
    """Each order as an arrow to its objective (see the module docstring); returns the kinds
    of order drawn (for the key)."""
    w = max(2, round(3 * ui))
    drawn: set[str] = set()
    for _, order, side, legs in order_legs(scenario, theatre):
        pts = _leg_points(vp, theatre, legs)
        task = str(order.task)
        drawn.add(task if task in pk.ARROW_DASH else "move")
        if task == "leave":
            pk.exit_mark(surface, pts[-1], ui)
        if len(pts) < 2:
            continue
        colour = sym.SIDE_LINE[side]
        # stop short of the objective so the head sits on the line, not under the town dot
        ax, ay = pts[-2]
        bx, by = pts[-1]
        d = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5 or 1.0
        stop = (10 if task == "leave" else 6) * ui
        end = (bx - (bx - ax) * stop / d, by - (by - ay) * stop / d)
        pk.order_line(surface, colour, [*pts[:-1], end], w, pk.ARROW_DASH.get(task))
        pk.arrow_head(surface, colour, pts[-2], end, 12 * ui)
    return drawn


def order_number_spots(vp, scenario, theatre, ui: float) -> list[tuple]:
    """(text, side, centre, radius, box) of each order's number: in a small circle part way
    along its last leg (a leave where it stands: beside its exit)."""
    seen: set[tuple[int, int]] = set()
    out = []
    for i, _, side, legs in order_legs(scenario, theatre):
        pts = _leg_points(vp, theatre, legs)
        if len(pts) > 1:
            (ax, ay), (bx, by) = pts[-2], pts[-1]
            x, y = ax + 0.62 * (bx - ax), ay + 0.62 * (by - ay)
        else:
            x, y = pts[0][0] + 14 * ui, pts[0][1] - 14 * ui
        while (round(x / 8), round(y / 8)) in seen:  # orders along the same line
            y += 14 * ui
        seen.add((round(x / 8), round(y / 8)))
        t = panels.text(str(i), round(11 * ui), True, sym.SIDE_LINE[side])
        r = max(t.get_width(), t.get_height()) / 2 + 3 * ui
        box = pygame.Rect(round(x - r), round(y - r), round(2 * r), round(2 * r))
        out.append((str(i), side, (x, y), r, box))
    return out


def draw_order_numbers(surface, numbers: list[tuple], ui: float) -> None:
    """The orders' numbers (`order_number_spots`)."""
    for label, side, (x, y), r, _ in numbers:
        t = panels.text(label, round(11 * ui), True, sym.SIDE_LINE[side])
        pygame.draw.circle(surface, (255, 255, 255), (x, y), r)
        pygame.draw.circle(surface, sym.SIDE_LINE[side], (x, y), r, max(1, round(1.5 * ui)))
        surface.blit(t, t.get_rect(center=(round(x), round(y))))


def draw_depots(surface, vp, scenario, theatre, ui: float) -> list[pygame.Rect]:
    """Depots below-left of their place's dot (several at one place side by side); returns
    their boxes."""
    g = theatre.graph
    count: dict[str, int] = {}
    boxes = []
    for d in scenario.depots:
        if d.at not in g:
            continue
        x, y = vp.to_px(g.nodes[d.at]["x_km"], g.nodes[d.at]["y_km"])
        k = count.get(d.at, 0)
        count[d.at] = k + 1
        boxes.append(
            pk.depot_marker(surface, (x - 10 * ui - k * 18 * ui, y + 12 * ui), d.side, d.kind, ui)
        )
    return boxes


def draw_start_units(
    surface, layout, renderer, vp, scenario, avoid: dict, marks: list[pygame.Rect]
) -> list[placement.LabelSpot]:
    """Every unit at its start place, fanned out with the others there (the viewer's layout):
    those on the map at the start as in the viewer, later arrivals faded with their date. Then
    each unit's designation (with its arrival date) where it covers no symbol, key name, mark
    or other label, and as little as it can of the lesser names (`placement.label_spot`), with
    a leader line to its symbol when it stands off. Returns where each label went."""
    replay = renderer.replay
    ui = layout.ui
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
    placed = rd.place_groups(list(groups.values()), replay, ui, avoid)
    bodies = []
    for uid, snap, rect, _ in placed:
        facts = replay.units[uid]
        side = facts["side"]
        img = sym.unit_symbol(side, facts["type"], facts["echelon"], ui)
        later = arrives.get(uid) is not None
        if later:
            img = img.copy()
            img.set_alpha(pk.ARRIVAL_ALPHA)
        body = placement.unit_footprint(rect, (0, 0), ui)[0]
        surface.blit(img, body)
        bodies.append(body)
        if not later:
            sym.draw_strength_bar(surface, rect, snap["strength"], side, ui)
    keys = renderer.key_labels(layout, vp)
    hard = [*bodies, *keys.values(), *marks]
    soft = [r for n, r in avoid.items() if n not in keys]
    bounds = layout.map_rect.inflate(-round(6 * ui), -round(6 * ui))
    labels: list[tuple[pygame.Surface, placement.LabelSpot, str]] = []
    for uid, _snap, rect, _ in placed:
        facts = replay.units[uid]
        name = sym.short_designation(facts["name"])
        later = arrives.get(uid) is not None
        if later:
            name += f" arr. {panels.fmt_time(arrives[uid])}"
        img = panels.text(
            name, round((10 if later else 11) * ui), True, sym.SIDE_LINE[facts["side"]], halo=True
        )
        clear = max(rect.w, rect.h) / 2 + 1
        spot = placement.label_spot(
            rect.center,
            clear,
            img.get_size(),
            hard + [lb.rect for _, lb, _ in labels],
            soft,
            bounds,
            ui,
        )
        labels.append((img, spot, facts["side"]))
    for _, spot, side in labels:
        if spot.leader is not None:
            pygame.draw.line(surface, (255, 255, 255), *spot.leader, max(2, round(3 * ui)))
            pygame.draw.line(surface, sym.SIDE_LINE[side], *spot.leader, 1)
    for img, spot, _ in labels:
        surface.blit(img, spot.rect)
    return [spot for _, spot, _ in labels]


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


def draw_sidebar(
    surface,
    layout,
    replay: Replay,
    scenario: Any,
    problems: list,
    items: list,
    next_page: str = "the next page",
) -> list[str]:
    """The sidebar (title, dates, forces, additions, phases, orders, checks, the key of
    `items`); returns the order rows that did not fit (they go on `next_page`)."""
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

    key_h = pk.key_height(items, ui)
    checks_lines = _checks_lines(problems)
    checks_h = (len(checks_lines) + 1) * round(14 * ui) + round(10 * ui)
    bottom = r.h - pad - key_h - checks_h - round(10 * ui)
    rows = [*po.phase_rows(scenario, replay.theatre), *po.order_rows(scenario, replay.theatre)]
    s.blit(
        panels.text(
            "Orders (number as in the file: orders[n])", round(13 * ui), True, panels.MUTED
        ),
        (pad, y),
    )
    y += round(20 * ui)
    shown, y = po.rows_in(s, rows, pad, y, bottom - round(15 * ui), inner, ui)
    rest = rows[shown:]
    if rest:
        s.blit(
            panels.text(
                f"… {len(rest)} more on {next_page}",
                round(12 * ui),
                True,
                panels.MUTED,
            ),
            (pad, y),
        )
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
    pk.draw_key(s, pad, r.h - pad - key_h, items, ui)
    surface.blit(s, r.topleft)
    return rest


def _checks_lines(problems: list, most: int = 6) -> list[str]:
    errors = sum(p.severity == "error" for p in problems)
    notes = sum(p.severity == "note" for p in problems)
    warnings = len(problems) - errors - notes
    head = (
        f"validate: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        + (f", {notes} note{'s' * (notes != 1)}" if notes else "")
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
