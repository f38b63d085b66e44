"""Drawing a what-if over the base run: its front line where it differs, bridges that fare
differently, the banner that says what was changed, the titles of a split screen, the
sidebar's list of differences and the timeline's what-if row (`sidebar_block`, `timeline_row`:
sim/view/panels.py and sim/view/timeline.py call them), and the progress bar of a what-if
being simulated (`draw_progress`).

The ghost shading of the ground held differently is a raster layer of the renderer
(`Renderer.ghost_layer`). Every function draws and changes nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pygame

from sim.view import basemap as bm
from sim.view import panels, placement, timeline
from sim.view.panels import INK, PANEL, WHATIF, WHATIF_DASH_PX, WHATIF_INK, text
from sim.view.style import CROSSING_MARK_PX

if TYPE_CHECKING:
    from sim.view import basemap
    from sim.view.layout import Layout, ViewState
    from sim.view.replay import Replay
    from sim.view.whatif_job import BranchView


class Renderer(Protocol):
    """What the what-if's drawing reads of the renderer (sim/view/render.py's `Renderer`)."""

    replay: Replay
    ridges: list
    ridge_ends: tuple[np.ndarray, np.ndarray]
    front_cache: dict[bytes, frozenset[int]]
    russia: np.ndarray

    def unit_footprint(self, placed, ui: float) -> tuple[pygame.Rect, pygame.Rect]: ...

    def key_labels(
        self, layout: Layout, vp: basemap.Viewport, min_population: int = ...
    ) -> dict[str, pygame.Rect]: ...

    def crossing_px(self, vp, cid: str): ...


#: Pixel distance under which two segment ends are the same point when chaining a front line.
JOIN_PX = 0.75
#: Radius of the purple ring on a bridge that fares differently in the what-if, at ui 1: a
#: little wider than the base's red X (7 px) so that the two read together.
RING_PX = 12


def _front_ridges(renderer: Renderer, ua_held: np.ndarray) -> frozenset[int]:
    """Indices of the ridges that are front line for this control pattern (the rule of
    `placement.front_segments`: sides differ, the state border left out), vectorised and
    cached on the renderer by the pattern (control changes a few times a simulated hour)."""
    key = ua_held.tobytes()
    cache = renderer.front_cache
    if key not in cache:
        if len(cache) > 16:
            cache.clear()
        i, j = renderer.ridge_ends
        ru = np.where(ua_held[i], j, i)
        cache[key] = frozenset(
            np.nonzero((ua_held[i] != ua_held[j]) & ~renderer.russia[ru])[0].tolist()
        )
    return cache[key]


def chain(segments: list[tuple[tuple, tuple]]) -> list[list[tuple]]:
    """Join segments that share ends into polylines (so that a dash pattern runs on along a
    front instead of restarting on each short ridge). Returns lists of points."""
    key = {}
    ends: dict[tuple, list[int]] = {}
    for n, (a, b) in enumerate(segments):
        for p in (a, b):
            kp = (round(p[0] / JOIN_PX), round(p[1] / JOIN_PX))
            key[p] = kp
            ends.setdefault(kp, []).append(n)
    used = [False] * len(segments)
    lines = []
    for n in range(len(segments)):
        if used[n]:
            continue
        used[n] = True
        a, b = segments[n]
        line = [a, b]
        for forward in (True, False):
            while True:
                tip = line[-1] if forward else line[0]
                nxt = next((m for m in ends.get(key.get(tip, tip), []) if not used[m]), None)
                if nxt is None:
                    break
                used[nxt] = True
                p, q = segments[nxt]
                far = q if key[p] == key.get(tip, tip) else p
                if forward:
                    line.append(far)
                else:
                    line.insert(0, far)
        lines.append(line)
    return lines


def branch_front(surface, vp, renderer: Renderer, branch: Replay, k: int, ui: float) -> None:
    """The what-if's front line at hour k where it is not the base's: purple dashes on a
    white casing (where the two fronts are one, the base's black line stands for both)."""
    ka = min(k, branch.hours)
    own = _front_ridges(renderer, branch.ua_held[ka]) - _front_ridges(
        renderer, renderer.replay.ua_held[k]
    )
    if not own:
        return
    segs = [
        (tuple(vp.to_px(*renderer.ridges[i][2])), tuple(vp.to_px(*renderer.ridges[i][3])))
        for i in sorted(own)
    ]
    w = max(2, round(3 * ui))
    dash = (round(WHATIF_DASH_PX[0] * ui), round(WHATIF_DASH_PX[1] * ui))
    for line in chain(segs):
        bm.draw_dashed(surface, (255, 255, 255), line, w + 2, dash)
        bm.draw_dashed(surface, WHATIF, line, w, dash)


@dataclass(frozen=True)
class CrossingMark:
    """A bridge whose state at the hour on screen is not the base's: where its ring goes
    (centre px, radius px), the what-if's state, and its label's spot."""

    crossing: str
    centre: tuple[float, float]
    radius: float
    state: str  # the what-if's: "intact", "destroyed" or "pontoon"
    label: placement.LabelSpot


def _label_image(state: str, ui: float) -> pygame.Surface:
    return panels.text(f"what if: {state}", round(11 * ui), True, WHATIF_INK, halo=True)


def crossing_marks(
    renderer: Renderer,
    layout: Layout,
    vp,
    state: ViewState,
    k: int,
    view: BranchView,
    placements: list,
) -> list[CrossingMark]:
    """The bridges whose state at hour k differs in the what-if, each with its label placed
    beside its ring where it covers none of the unit symbols (`placements`, drawn by the
    renderer), the names drawn above them, the banner, another ring or label, and as little as
    it can of the lesser names and the base's bridge marks (placement.label_spot)."""
    ui = layout.ui
    hard = [r for p in placements for r in renderer.unit_footprint(p, ui)]
    hard.append(banner_rect(layout, view, k))
    soft = []
    if "labels" in state.layers:
        keys = renderer.key_labels(layout, vp)
        hard += keys.values()
        soft += [r for n, r in renderer.key_labels(layout, vp, 0).items() if n not in keys]
    base = renderer.replay.crossings_at(k)
    x_r = round((CROSSING_MARK_PX + 2) * ui)  # the base's X or pontoon circle, with its halo
    for cid in base:
        if cid in renderer.replay.theatre.crossings:
            x, y = renderer.crossing_px(vp, cid)
            soft.append(pygame.Rect(round(x) - x_r, round(y) - x_r, 2 * x_r, 2 * x_r))
    bounds = layout.map_rect.inflate(-round(8 * ui), -round(8 * ui))
    alt = view.branch.crossings_at(min(k, view.branch.hours))
    differ = [
        cid
        for cid in sorted(set(base) | set(alt))
        if base.get(cid, "intact") != alt.get(cid, "intact")
        and cid in renderer.replay.theatre.crossings
    ]
    r = RING_PX * ui
    rings = {cid: renderer.crossing_px(vp, cid) for cid in differ}
    boxes = {
        c: pygame.Rect(x - r - 2, y - r - 2, 2 * r + 4, 2 * r + 4) for c, (x, y) in rings.items()
    }
    placed: list[pygame.Rect] = []
    out = []
    for cid in differ:
        state_ = alt.get(cid, "intact")
        size = _label_image(state_, ui).get_size()
        others = [b for c, b in boxes.items() if c != cid]
        spot = placement.label_spot(
            rings[cid], r + 2, size, hard + others + placed, soft, bounds, ui
        )
        placed.append(spot.rect)
        out.append(CrossingMark(cid, rings[cid], r, state_, spot))
    return out


def draw_leaders(surface, marks: list[CrossingMark], ui: float) -> None:
    """Under the units: the leader line from a bridge's ring to its label where the label had
    to stand off (it passes behind the symbols it crosses, never over them)."""
    for m in marks:
        if m.label.leader is not None:
            a, b = m.label.leader
            pygame.draw.line(surface, (255, 255, 255), a, b, max(3, round(4 * ui)))
            pygame.draw.line(surface, WHATIF, a, b, max(1, round(2 * ui)))


def draw_crossing_marks(surface, marks: list[CrossingMark], ui: float) -> None:
    """Over the units: a purple ring on each bridge that fares differently (hollow, so the
    symbols under it still read), and in the spot found clear of them the what-if's state
    ("what if: intact", "what if: destroyed", "what if: pontoon")."""
    for m in marks:
        pygame.draw.circle(surface, (255, 255, 255), m.centre, m.radius + 2, max(2, round(4 * ui)))
        pygame.draw.circle(surface, WHATIF, m.centre, m.radius, max(2, round(3 * ui)))
        surface.blit(_label_image(m.state, ui), m.label.rect)


def _banner(layout: Layout, view: BranchView, k: int) -> tuple[list[pygame.Surface], pygame.Rect]:
    """The banner's lines and its box (px)."""
    ui = layout.ui
    mr = layout.map_rect
    size = round(13 * ui)
    head = f"WHAT IF, from {view.when.day} {view.when:%b %H:%M}: " + "; ".join(view.texts)
    lines = panels.wrap(head, size, mr.w - round(24 * ui), True)[:2]
    if k < view.hour:
        note = "Until then the what-if is the base run."
    else:
        note = "Purple dashes: its front where it differs. Hatched: ground it holds differently."
    imgs = [panels.text(ln, size, True, WHATIF_INK) for ln in lines]
    imgs.append(panels.text(note, round(12 * ui), False, panels.INK))
    h = sum(i.get_height() for i in imgs) + round(10 * ui)
    box = pygame.Rect(
        mr.left + round(8 * ui),
        mr.top + round(8 * ui),
        max(i.get_width() for i in imgs) + round(16 * ui),
        h,
    )
    return imgs, box


def banner_rect(layout: Layout, view: BranchView, k: int) -> pygame.Rect:
    """Where `banner` draws (px): what the map's labels keep clear of."""
    return _banner(layout, view, k)[1]


def banner(surface, layout: Layout, view: BranchView, k: int) -> None:
    """A strip across the top of the map: what the what-if changed, from when, and how it is
    drawn (before the branch hour: that the two runs are still one)."""
    ui = layout.ui
    imgs, box = _banner(layout, view, k)
    back = pygame.Surface(box.size, pygame.SRCALPHA)
    back.fill((255, 252, 245, 225))
    surface.blit(back, box.topleft)
    pygame.draw.rect(surface, WHATIF, box, max(1, round(2 * ui)), border_radius=4)
    y = box.top + round(5 * ui)
    for img in imgs:
        surface.blit(img, (box.left + round(8 * ui), y))
        y += img.get_height()


def pane_titles(surface, base: Layout, branch: Layout, view: BranchView, state: ViewState) -> None:
    """Split screen: "Base run" over the left map, "What if ..." over the right, and a rule
    between them."""
    ui = base.ui
    for lay, title, colour in (
        (base, "Base run", panels.INK),
        (branch, "What if: " + "; ".join(view.texts), WHATIF_INK),
    ):
        mr = lay.map_rect
        lines = panels.wrap(title, round(14 * ui), mr.w - round(20 * ui), True)[:2]
        imgs = [panels.text(ln, round(14 * ui), True, colour) for ln in lines]
        h = sum(i.get_height() for i in imgs) + round(8 * ui)
        box = pygame.Rect(mr.left, mr.top, mr.w, h)
        back = pygame.Surface(box.size, pygame.SRCALPHA)
        back.fill((255, 252, 245, 215))
        surface.blit(back, box.topleft)
        y = box.top + round(4 * ui)
        for img in imgs:
            surface.blit(img, (box.left + round(10 * ui), y))
            y += img.get_height()
    x = branch.map_rect.left
    pygame.draw.line(
        surface,
        WHATIF,
        (x, branch.map_rect.top),
        (x, branch.map_rect.bottom),
        max(2, round(3 * ui)),
    )


def sidebar_block(s, view, state, k: int, x: int, y: int, width: int, ui: float, max_h: int) -> int:
    """The what-if in the sidebar: what was changed, from when, how it is shown, and the
    differences from the base so far (sim/whatif/futures.py). Returns the y below it."""
    text, wrap, lines_at, clip = panels.text, panels.wrap, panels.blit_lines, panels.clip
    muted, size, small = panels.MUTED, round(13 * ui), round(11 * ui)
    bottom = y + max_h
    tag = text("WHAT IF", round(10 * ui), True, (255, 255, 255))
    tag_rect = pygame.Rect(x, y + 1, tag.get_width() + 8, tag.get_height())
    pygame.draw.rect(s, WHATIF_INK, tag_rect, border_radius=3)
    s.blit(tag, (tag_rect.x + 4, tag_rect.y))
    s.blit(
        text(
            f"from {panels.fmt_time(view.when)}  ·  {state.compare} (v: change)",
            round(12 * ui),
            False,
            muted,
        ),
        (tag_rect.right + 6, y),
    )
    y += round(18 * ui)
    y = lines_at(
        s,
        clip(wrap(view.title, round(14 * ui), width, True), 3),
        x,
        y,
        round(14 * ui),
        True,
        WHATIF_INK,
    )
    for t in view.texts:
        y = lines_at(s, clip(wrap(f"Changed: {t}", size, width), 2), x, y, size)
    if view.question:
        y = lines_at(
            s, clip(wrap(f"Question: {view.question}", size, width), 3), x, y, size, colour=muted
        )
    if view.mismatch:
        note = (
            "Note: this code's replay of the saved run differs at the branch hour; both "
            "futures are this code's."
        )
        y = lines_at(s, wrap(note, small, width), x, y, small, colour=muted)
    y += round(4 * ui)
    if k < view.hour:
        same = f"The same run until {panels.fmt_time(view.when)}."
        return lines_at(s, wrap(same, size, width), x, y, size, colour=muted) + round(6 * ui)
    now = view.futures.start + timedelta(hours=k)
    s.blit(text(f"Differences from the base by {panels.fmt_time(now)}", size, True, muted), (x, y))
    y += round(size * 1.4)
    lines = view.futures.lines(until=k)
    for i, line in enumerate(lines):
        wrapped = wrap(line, size, width - round(12 * ui))
        if y + len(wrapped) * round(size * 1.25) > bottom:
            more = f"… and {len(lines) - i} more (python run.py branch --headless lists all)"
            y = lines_at(s, [more], x, y, small, colour=muted)
            break
        pygame.draw.circle(s, WHATIF, (x + 4 * ui, y + size * 0.6), 3 * ui)
        y = lines_at(s, wrapped, x + round(12 * ui), y, size)
    return y + round(6 * ui)


def _diamond(surf, x, y, r, colour) -> None:
    pts = [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
    pygame.draw.polygon(surf, colour, pts)
    pygame.draw.polygon(surf, panels.INK, pts, 1)


def timeline_row(s, layout, rp, view) -> None:
    """The what-if's row of the timeline: a purple line at the branch hour, and a purple
    diamond at each date the what-if matched an observation after it, joined to the base's
    match when they differ."""
    ui = layout.ui
    off = pygame.Vector2(layout.timeline.topleft)
    bar = timeline.timeline_bar(layout).move(-off.x, -off.y)
    x = timeline.timeline_x(layout, rp, view.hour) - off.x
    pygame.draw.line(
        s,
        WHATIF,
        (x, bar.top - round(14 * ui)),
        (x, bar.bottom + round(26 * ui)),
        max(2, round(2 * ui)),
    )
    lab = panels.text("what if", round(11 * ui), True, WHATIF_INK)
    s.blit(lab, (min(x + 3, bar.right - lab.get_width()), bar.top - round(26 * ui)))
    r = 5 * ui
    base = {id(m): sim for m, _obs, sim in timeline.mark_positions(layout, rp)}
    for m, (xb, yb), _when in timeline.branch_mark_positions(layout, rp, view):
        xb, yb = xb - off.x, yb - off.y
        sim = base.get(id(m))
        if sim is not None and abs(sim[0] - off.x - xb) > 1:
            pygame.draw.line(s, WHATIF, (sim[0] - off.x, sim[1] - off.y), (xb, yb), 1)
        _diamond(s, xb, yb, r, WHATIF)


def draw_progress(surface, layout: Layout, job) -> None:
    """While a what-if is simulated: a bar over the top of the map, with what it is doing."""
    ui = layout.ui
    mr = layout.map_rect
    w = min(round(440 * ui), mr.w - round(40 * ui))
    box = pygame.Rect(0, 0, w, round(52 * ui))
    box.midtop = (mr.centerx, mr.top + round(12 * ui))
    back = pygame.Surface(box.size, pygame.SRCALPHA)
    back.fill((*PANEL, 240))
    surface.blit(back, box.topleft)
    pygame.draw.rect(surface, WHATIF, box, 2, border_radius=6)
    label = f"What if: {job.stage} … {job.progress:.0%}   (Esc: cancel)"
    surface.blit(
        text(label, round(13 * ui), True, WHATIF_INK),
        (box.left + round(10 * ui), box.top + round(7 * ui)),
    )
    bar = pygame.Rect(
        box.left + round(10 * ui),
        box.bottom - round(18 * ui),
        box.w - round(20 * ui),
        round(9 * ui),
    )
    pygame.draw.rect(surface, (255, 255, 255), bar)
    fill = bar.copy()
    fill.w = round(bar.w * max(0.0, min(1.0, job.progress)))
    pygame.draw.rect(surface, WHATIF, fill)
    pygame.draw.rect(surface, INK, bar, 1)
