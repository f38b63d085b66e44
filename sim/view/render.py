"""Drawing one frame of a replay: layout, map layers, units, the panels around them.

`ViewState` is what the window's controls change (time, speed, layers, selection, zoom).
`Renderer` draws a `Replay` at a `ViewState` onto any surface (the window, or an offscreen
surface for PNG/GIF/MP4). Its only state is caches of things that are slow to draw (the base
map per size and zoom, the territory shading per control pattern, text); the functions that
compute where things go (`unit_placements`, `front_segments`: sim/view/placement.py) are
pure.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pygame

from sim.view import basemap as bm
from sim.view import names as town_names
from sim.view import panels, timeline, whatif_draw
from sim.view import symbols as sym
from sim.view.basemap import box_km, fit_bounds
from sim.view.layout import (  # the window's layout and state, shared with the what-if drawing
    Layout,
    ViewState,
)
from sim.view.placement import (  # place_groups: sim/view/preview.py uses it through here
    Band,
    front_bands,
    front_segments,
    offset_left,
    place_groups,
    unit_footprint,
    unit_placements,
    unit_position_km,
    voronoi_ridges,
)
from sim.view.replay import Replay
from sim.view.style import (  # the map's colours, shared with the legend
    CROSSING_MARK_PX,
    DESTROYED,
    FRONT,
    FRONT_CASING,
    FRONT_PX,
    PONTOON,
    RU_TINT,
    RUSSIA_TINT,
    SELECTED,
    UA_TINT,
    draw_burst,
    draw_hold_band,
    draw_no_data,
    hold_band_px,
)

if TYPE_CHECKING:
    from sim.view.whatif_job import BranchView

# A what-if drawn over the base run: the ground it holds differently hatched in the colour of
# the side that holds it in the what-if (its front line and colours: sim/view/whatif_draw.py).
GHOST_ALPHA = 190
GHOST_HATCH_PX = 6  # stripe period: one stripe in three is coloured
GONE_SHOWN_H = 24  # how long a surrendered/disbanded unit's grey cross stays on the map
#: A raster layer of the map: its surface (None: nothing to draw) and its top-left pixel.
RasterLayer = tuple[pygame.Surface | None, tuple[int, int]]


def default_bounds(replay: Replay, map_rect: pygame.Rect, margin_km: float = 14.0):
    """km bounds around every place a unit stood or fought in the run, widened to the map's
    aspect ratio and kept inside the theatre box where possible."""
    g = replay.theatre.graph
    nodes = {
        u["node"] for f in replay.frames[:: max(1, len(replay.frames) // 60)] for u in f["units"]
    }
    nodes |= {b["node_id"] for b in replay.battles}
    xs = [g.nodes[n]["x_km"] for n in nodes if n in g] or [0.0]
    ys = [g.nodes[n]["y_km"] for n in nodes if n in g] or [0.0]
    return fit_bounds(
        (min(xs) - margin_km, min(ys) - margin_km, max(xs) + margin_km, max(ys) + margin_km),
        map_rect,
    )


def viewport_for(layout: Layout, bounds_km) -> bm.Viewport:
    r = layout.map_rect
    w, h = layout.size
    return bm.Viewport(layout.size, bounds_km, margins=(r.left, r.top, w - r.right, h - r.bottom))


# ------------------------------------------------------------------------------ the renderer
class Renderer:
    """Draws frames of one replay. Holds caches only (see the module docstring)."""

    def __init__(self, replay: Replay, ridges=None):
        self.replay = replay
        th = replay.theatre
        self.ridges = voronoi_ridges(th) if ridges is None else ridges
        self.ridge_ends = (
            np.array([r[0] for r in self.ridges], dtype=np.int64),
            np.array([r[1] for r in self.ridges], dtype=np.int64),
        )
        self.front_cache: dict[bytes, frozenset[int]] = {}  # control pattern -> front ridges
        self._bands: dict[bytes, list[Band]] = {}  # control and hold -> how the front is held
        self.branch: BranchView | None = None  # a what-if shown with this (base) replay
        self.sidebar_cache = panels.Cached()
        self.timeline_cache = panels.Cached()
        self.alt: Renderer | None = None  # draws the what-if's own map in split screen
        self._ghost_key: tuple | None = None
        self._ghost: RasterLayer | None = None
        self.russia = np.array([th.graph.nodes[n]["country"] == "RU" for n in th.node_ids])
        self.owner = th.territory.owner
        self._base: dict = {}
        self._labels: dict = {}
        self._key_rects: dict = {}
        self.names = town_names.TownNames(th)  # the lesser names, placed clear of the units
        self._territory_key: tuple | None = None
        self._territory: RasterLayer | None = None
        self._default_bounds: dict = {}
        g = th.graph
        self.node_xy = {n: (d["x_km"], d["y_km"]) for n, d in g.nodes(data=True)}

    def set_branch(self, view: BranchView | None) -> None:
        """Show a what-if with this replay (None: the base alone again)."""
        self.branch = view
        self.alt = Renderer(view.branch, ridges=self.ridges) if view is not None else None
        self._ghost_key = self._ghost = None

    # ---------------------------------------------------------------- layout helpers
    def layout(self, size: tuple[int, int]) -> Layout:
        """The window's layout (a taller timeline when a what-if is shown)."""
        return Layout.for_size(size, branch_row=self.branch is not None)

    def split(self, state: ViewState) -> bool:
        return self.branch is not None and state.compare == "split"

    def layout_at(self, layout: Layout, state: ViewState, pos) -> Layout:
        """The map pane under `pos` in split screen (else `layout` itself)."""
        if layout.pane or not self.split(state):
            return layout
        base, branch = layout.panes()
        return branch if branch.map_rect.collidepoint(pos) else base

    def bounds(self, layout: Layout, state: ViewState) -> tuple[float, float, float, float]:
        """The map's view (km: x_min, y_min, x_max, y_max) in `layout`: the zoom of `state`,
        or the default view of the replay."""
        if state.bounds_km is not None:
            return fit_bounds(state.bounds_km, layout.map_rect) if layout.pane else state.bounds_km
        key = layout.map_rect.size
        if key not in self._default_bounds:
            self._default_bounds[key] = default_bounds(self.replay, layout.map_rect)
        return self._default_bounds[key]

    def viewport(self, layout: Layout, state: ViewState) -> bm.Viewport:
        return viewport_for(layout, self.bounds(layout, state))

    # ---------------------------------------------------------------- cached layers
    def base_layer(self, layout: Layout, vp: bm.Viewport, roads: bool) -> pygame.Surface:
        key = (layout.size, tuple(layout.map_rect), vp.bounds_km, roads)
        if key not in self._base:
            if len(self._base) > 6:
                self._base.clear()
            s = pygame.Surface(layout.map_rect.size)
            s.fill(bm.BACKGROUND)
            local = bm.Viewport(layout.map_rect.size, vp.bounds_km, margins=(0, 0, 0, 0))
            bm.draw_basemap(s, self.replay.theatre, local, labels=False, roads=roads)
            # outside the theatre box there is no data: plain background, and a frame
            x0, y0, x1, y1 = box_km()
            (lx, ty), (rx, by) = local.to_px(x0, y1), local.to_px(x1, y0)
            inside = pygame.Rect(round(lx), round(ty), round(rx - lx), round(by - ty))
            full = s.get_rect()
            for strip in (
                pygame.Rect(0, 0, inside.left, full.h),
                pygame.Rect(inside.right, 0, full.w - inside.right, full.h),
                pygame.Rect(0, 0, full.w, inside.top),
                pygame.Rect(0, inside.bottom, full.w, full.h - inside.bottom),
            ):
                if strip.w > 0 and strip.h > 0:
                    draw_no_data(s, strip)
            if not inside.contains(full):
                pygame.draw.rect(s, bm.FRAME, inside, 1)
            self._base[key] = town_names.fast_surface(s, alpha=False)
        return self._base[key]

    def label_layer(
        self, layout: Layout, vp: bm.Viewport, key_only: bool = False
    ) -> pygame.Surface:
        """Town names on a transparent layer the size of the map; `key_only`: only the names
        of towns of KEY_LABEL_POPULATION+, with a wider halo, drawn above the units."""
        key = (layout.size, tuple(layout.map_rect), vp.bounds_km, key_only)
        if key not in self._labels:
            if len(self._labels) > 12:
                self._labels.clear()
            s = pygame.Surface(layout.map_rect.size, pygame.SRCALPHA)
            local = bm.Viewport(layout.map_rect.size, vp.bounds_km, margins=(0, 0, 0, 0))
            if key_only:
                bm.draw_labels(
                    s, self.replay.theatre, local, min_population=bm.KEY_LABEL_POPULATION, halo_px=2
                )
            else:
                bm.draw_labels(s, self.replay.theatre, local)
            self._labels[key] = town_names.fast_surface(s, alpha=True)
        return self._labels[key]

    def key_labels(
        self, layout: Layout, vp: bm.Viewport, min_population: int = bm.KEY_LABEL_POPULATION
    ) -> dict[str, pygame.Rect]:
        """Node -> pixel rectangle of the names of towns of `min_population`+ (by default the
        key names, those drawn above the units)."""
        key = (layout.size, tuple(layout.map_rect), vp.bounds_km, min_population)
        if key not in self._key_rects:
            if len(self._key_rects) > 6:
                self._key_rects.clear()
            local = bm.Viewport(layout.map_rect.size, vp.bounds_km, margins=(0, 0, 0, 0))
            mr = layout.map_rect
            self._key_rects[key] = {
                p.node: p.rect.move(mr.left, mr.top)
                for p in bm.label_placements(self.replay.theatre, local)
                if p.population >= min_population
            }
        return self._key_rects[key]

    def territory_layer(self, layout: Layout, vp: bm.Viewport, k: int) -> RasterLayer:
        """(surface or None, top-left px): the raster coloured by holder, cropped to the
        view."""
        ua = self.replay.ua_held[k]
        key = (layout.size, tuple(layout.map_rect), vp.bounds_km, ua.tobytes())
        if key != self._territory_key:
            colours = np.array([UA_TINT, RU_TINT, RUSSIA_TINT], dtype=np.uint8)

            def colour(owner):
                return colours[np.where(ua[owner], 0, np.where(self.russia[owner], 2, 1))]

            self._territory_key, self._territory = key, self.raster(layout, vp, colour)
        assert self._territory is not None  # made with its key (above, or an earlier call)
        return self._territory

    def raster(self, layout: Layout, vp: bm.Viewport, colour, hatch: int = 0) -> RasterLayer:
        """(surface, top-left px): the territory raster cropped to the view (surface None:
        nothing of it in the view, or nothing coloured with `hatch`), each cell
        coloured by `colour(owner)` (owner: node indices, north row first -> RGBA array),
        scaled to the screen; `hatch` > 0 keeps only diagonal stripes of that period (px)."""
        terr = self.replay.theatre.territory
        lon_step = float(terr.lons[1] - terr.lons[0])
        lat_step = float(terr.lats[1] - terr.lats[0])
        lon0, lat1 = terr.lons[0] - lon_step / 2, terr.lats[-1] + lat_step / 2
        # visible window in lon/lat -> cell index ranges (rows counted from the north)
        r = layout.map_rect
        from sim.map.theatre import unproject

        lonl, latt = unproject(*vp.to_km(r.left, r.top))
        lonr, latb = unproject(*vp.to_km(r.right, r.bottom))
        c0 = max(0, int(math.floor((float(lonl) - lon0) / lon_step)))
        c1 = min(len(terr.lons), int(math.ceil((float(lonr) - lon0) / lon_step)))
        r0 = max(0, int(math.floor((lat1 - float(latt)) / lat_step)))
        r1 = min(len(terr.lats), int(math.ceil((lat1 - float(latb)) / lat_step)))
        if c1 <= c0 or r1 <= r0:
            return None, (0, 0)
        owner = self.owner[::-1][r0:r1, c0:c1]  # north row first
        rgba = np.ascontiguousarray(colour(owner), dtype=np.uint8)
        if hatch:  # a sparse layer: only the box around its coloured cells is drawn
            rows, cols = np.nonzero(rgba[:, :, 3])
            if not len(rows):
                return None, (0, 0)
            top, left = int(rows.min()), int(cols.min())
            rgba = np.ascontiguousarray(rgba[top : int(rows.max()) + 1, left : int(cols.max()) + 1])
            r0, r1 = r0 + top, r0 + top + rgba.shape[0]
            c0, c1 = c0 + left, c0 + left + rgba.shape[1]
        small = pygame.image.frombytes(rgba.tobytes(), (c1 - c0, r1 - r0), "RGBA")
        x0, y0 = vp.lonlat_to_px(lon0 + c0 * lon_step, lat1 - r0 * lat_step)
        x1, y1 = vp.lonlat_to_px(lon0 + c1 * lon_step, lat1 - r1 * lat_step)
        size = (max(1, round(x1 - x0)), max(1, round(y1 - y0)))
        big = pygame.transform.scale(small, size)
        if hatch:
            alpha = pygame.surfarray.pixels_alpha(big)
            xs, ys = np.ogrid[: alpha.shape[0], : alpha.shape[1]]
            phase = (round(x0) + round(y0)) % hatch  # stripes fixed to the screen, not the box
            alpha[((xs + ys + phase) % hatch) >= max(2, hatch // 3)] = 0
            del alpha  # unlock the surface
        return town_names.fast_surface(big, alpha=True), (round(x0), round(y0))

    # ---------------------------------------------------------------- the frame
    def draw(self, surface: pygame.Surface, state: ViewState) -> Layout:
        """Draw the whole window for `state` onto `surface`; returns the layout used. With a
        what-if (`set_branch`), it is drawn over the base (`state.compare` "overlay"), beside
        it ("split"), or left out ("base")."""
        layout = self.layout(surface.get_size())
        rp = self.replay
        surface.fill(bm.BACKGROUND)
        if self.split(state):
            # a what-if is shown (split), so `set_branch` has made its renderer
            assert self.branch is not None and self.alt is not None
            base, branch = layout.panes()
            vp = self.viewport(base, state)
            self.draw_map(surface, base, state, vp, overlays=False)
            self.alt.draw_map(
                surface, branch, state, viewport_for(branch, vp.bounds_km), overlays=False
            )
            whatif_draw.pane_titles(surface, base, branch, self.branch, state)
            panels.draw_map_overlays(surface, base, vp, state, rp)
        else:
            self.draw_map(surface, layout, state, self.viewport(layout, state))
        pygame.draw.rect(surface, bm.FRAME, layout.map_rect, 1)
        timeline.draw_timeline(
            surface, layout, state, rp, self.timeline_cache, self.branch, whatif_draw.timeline_row
        )
        panels.draw_sidebar(
            surface, layout, state, rp, self.sidebar_cache, self.branch, whatif_draw.sidebar_block
        )
        if state.help:
            panels.draw_help(surface, layout)
        return layout

    def draw_map(
        self,
        surface: pygame.Surface,
        layout: Layout,
        state: ViewState,
        vp: bm.Viewport,
        overlays: bool = True,
    ) -> None:
        """The map of this replay in `layout.map_rect`; with a what-if in overlay mode, its
        front and the ground it holds differently drawn over the base."""
        rp = self.replay
        k = min(max(int(math.floor(state.t)), 0), rp.hours)
        ui = layout.ui
        mr = layout.map_rect
        surface.blit(self.base_layer(layout, vp, "roads" in state.layers), mr.topleft)
        clip = surface.get_clip()
        surface.set_clip(mr)
        over = (
            self.branch
            if self.branch is not None
            and state.compare == "overlay"
            and not layout.pane
            and k >= self.branch.hour
            else None
        )
        if "territory" in state.layers:
            terr, pos = self.territory_layer(layout, vp, k)
            if terr is not None:
                surface.blit(terr, pos)
            if over is not None:
                ghost, gpos = self.ghost_layer(layout, vp, k, over.branch)
                if ghost is not None:
                    surface.blit(ghost, gpos)
            self.draw_front(surface, vp, k, ui, hold="hold" in state.layers)
            if over is not None:
                whatif_draw.branch_front(surface, vp, self, over.branch, k, ui)
        placements = []
        if "units" in state.layers:
            avoid = self.key_labels(layout, vp) if "labels" in state.layers else {}
            placements = unit_placements(rp, state.t, vp, ui, avoid)
        names = []  # the lesser names, those the units would hide moved clear of them
        if "labels" in state.layers and placements:
            units = [r for pl in placements for r in self.unit_footprint(pl, ui)]
            above = list(self.key_labels(layout, vp).values())
            names = self.names.spots(layout, vp, units, above)
            self.names.draw_kept(surface, layout, vp, names)
        elif "labels" in state.layers:
            surface.blit(self.label_layer(layout, vp), mr.topleft)
        self.draw_crossings(surface, vp, k, ui)
        if "battles" in state.layers:
            self.draw_battles(surface, vp, state.t, ui)
        marks = []  # bridges that fare differently: labels clear of the units, leaders behind
        if over is not None:
            marks = whatif_draw.crossing_marks(self, layout, vp, state, k, over, placements)
            whatif_draw.draw_leaders(surface, marks, ui)
        town_names.draw_leaders(surface, names, ui)
        self.draw_units(surface, vp, state, ui, placements)
        whatif_draw.draw_crossing_marks(surface, marks, ui)
        town_names.draw_moved(surface, names)
        if "labels" in state.layers:  # key names above the symbols
            surface.blit(self.label_layer(layout, vp, key_only=True), mr.topleft)
        if self.branch is not None and state.compare == "overlay" and not layout.pane:
            whatif_draw.banner(surface, layout, self.branch, k)
        if overlays:
            panels.draw_map_overlays(surface, layout, vp, state, rp)
        surface.set_clip(clip)

    def ghost_layer(self, layout: Layout, vp: bm.Viewport, k: int, alt: Replay) -> RasterLayer:
        """(surface, top-left px): the ground the what-if `alt` holds differently from the
        base at hour k, hatched in the colour of its holder in the what-if (None if none
        differs)."""
        ka = min(k, alt.hours)
        ua, ua_alt = self.replay.ua_held[k], alt.ua_held[ka]
        differs = ua != ua_alt
        key = (
            layout.size,
            tuple(layout.map_rect),
            vp.bounds_km,
            id(alt),
            differs.tobytes(),
            (ua_alt & differs).tobytes(),
        )
        if key != self._ghost_key:
            layer: RasterLayer
            if not differs.any():
                layer = (None, (0, 0))
            else:
                colours = np.array(
                    [(0, 0, 0, 0), (*UA_TINT[:3], GHOST_ALPHA), (*RU_TINT[:3], GHOST_ALPHA)],
                    dtype=np.uint8,
                )

                def colour(owner):
                    return colours[np.where(differs[owner], np.where(ua_alt[owner], 1, 2), 0)]

                layer = self.raster(layout, vp, colour, hatch=round(GHOST_HATCH_PX * layout.ui))
            self._ghost_key, self._ghost = key, layer
        assert self._ghost is not None  # made with its key (above, or an earlier call)
        return self._ghost

    def draw_front(self, surface, vp, k: int, ui: float, hold: bool = True) -> None:
        """The front line of hour k, black on a white casing; with `hold` (and a frame that
        records it), beside it on each side's ground a band saying how that side holds the
        place behind it: solid and wide a line held, thin and dashed a screen, none a gap."""
        ua = self.replay.ua_held[k]
        levels = self.replay.hold_at(k) if hold else None
        if levels is not None:
            key = ua.tobytes() + levels.tobytes()
            if key not in self._bands:
                if len(self._bands) > 64:
                    self._bands.clear()
                self._bands[key] = front_bands(self.ridges, ua, self.russia, levels)
            for band in self._bands[key]:
                pts = [vp.to_px(*p) for p in band.points]
                closed = len(pts) > 3 and band.points[0] == band.points[-1]
                _, dist = hold_band_px(band.level, ui)
                moved = offset_left(pts, dist)
                draw_hold_band(
                    surface, band.side, band.level, moved[:-1] if closed else moved, ui, closed
                )
        segs = front_segments(self.ridges, ua, self.russia)
        w = max(2, round(FRONT_PX * ui))
        px = [(vp.to_px(*a), vp.to_px(*b)) for a, b in segs]
        for a, b in px:
            pygame.draw.line(surface, FRONT_CASING, a, b, w + 2)
        for a, b in px:
            pygame.draw.line(surface, FRONT, a, b, w)
            pygame.draw.circle(surface, FRONT, a, w / 2)
            pygame.draw.circle(surface, FRONT, b, w / 2)

    def crossing_px(self, vp, cid: str):
        c = self.replay.theatre.crossings[cid]
        (ax, ay), (bx, by) = self.node_xy[c.u], self.node_xy[c.v]
        return vp.to_px((ax + bx) / 2, (ay + by) / 2)

    def draw_crossings(self, surface, vp, k: int, ui: float) -> None:
        """Destroyed bridges: a red X; pontoons: a green P in a circle."""
        r = CROSSING_MARK_PX * ui
        for cid, st in self.replay.crossings_at(k).items():
            if cid not in self.replay.theatre.crossings:
                continue
            x, y = self.crossing_px(vp, cid)
            if st == "destroyed":
                for colour, w in (((255, 255, 255), round(6 * ui)), (DESTROYED, round(4 * ui))):
                    pygame.draw.line(surface, colour, (x - r, y - r), (x + r, y + r), w)
                    pygame.draw.line(surface, colour, (x - r, y + r), (x + r, y - r), w)
            elif st == "pontoon":
                pygame.draw.circle(surface, (255, 255, 255), (x, y), r + 2)
                pygame.draw.circle(surface, PONTOON, (x, y), r + 1, max(2, round(2 * ui)))
                t = panels.text("P", round(11 * ui), True, PONTOON)
                surface.blit(t, t.get_rect(center=(x, y)))

    def draw_battles(self, surface, vp, t: float, ui: float) -> None:
        """A burst at each node fought over this hour, its size growing with the force ratio."""
        k = min(int(math.floor(t)), self.replay.hours)
        by_node: dict[str, float] = {}
        hour = k + 1 if t > k else k  # between hours k and k+1: the fighting of that hour
        for b in self.replay.battles_at.get(hour, []):
            by_node[b["node_id"]] = max(by_node.get(b["node_id"], 0.0), float(b["ratio"]))
        pulse = 1.0 + 0.12 * math.sin((t - k) * math.tau)
        for node, ratio in by_node.items():
            if node not in self.node_xy:
                continue
            x, y = vp.to_px(*self.node_xy[node])
            draw_burst(surface, (x, y), battle_radius(ratio, ui) * pulse)

    def designation(self, uid: str, ui: float) -> pygame.Surface:
        """A unit's short designation as written right of its frame."""
        facts = self.replay.units[uid]
        name = sym.short_designation(facts["name"])
        return panels.text(name, round(11 * ui), True, sym.SIDE_LINE[facts["side"]], halo=True)

    def unit_footprint(self, placed, ui: float) -> tuple[pygame.Rect, pygame.Rect]:
        """(symbol, designation): the pixels a placed unit (an item of `unit_placements`)
        covers on the map, as `draw_units` draws it."""
        uid, _snap, rect, _spot = placed
        return unit_footprint(rect, self.designation(uid, ui).get_size(), ui)

    def draw_units(self, surface, vp, state: ViewState, ui: float, placements: list) -> None:
        """Grey crosses where units left the field, then every placed unit (`placements`, from
        `unit_placements`): its symbol, strength bar and designation; the selected one framed,
        with a dashed line to its objective."""
        rp = self.replay
        k = min(int(math.floor(state.t)), rp.hours)
        if "units" not in state.layers:
            return
        for uid, since in rp.gone_since.items():  # grey crosses where units left the field
            if 0 <= k - since < GONE_SHOWN_H:
                snap = rp.units_at(k).get(uid)
                if snap and snap["status"] != "left":  # a unit sent away was not lost
                    alpha = round(255 * (1 - (k - since) / GONE_SHOWN_H) ** 0.5)
                    sym.draw_gone_mark(surface, vp.to_px(*unit_position_km(rp, snap)), ui, alpha)
        sel = None
        for placed in placements:
            uid, snap, rect, _spot = placed
            facts = rp.units[uid]
            img = sym.unit_symbol(
                facts["side"], facts["type"], facts["echelon"], ui, routed=snap["posture"] == "rout"
            )
            body, tag = self.unit_footprint(placed, ui)
            surface.blit(img, body)
            sym.draw_strength_bar(surface, rect, snap["strength"], facts["side"], ui)
            surface.blit(self.designation(uid, ui), tag)
            if uid == state.selected:
                sel = (snap, rect)
        if sel:
            snap, rect = sel
            pygame.draw.rect(surface, SELECTED, rect.inflate(10, 16), max(2, round(3 * ui)), 4)
            obj = snap.get("objective")
            if obj and obj in self.node_xy and obj != snap["node"]:
                bm.draw_dashed(
                    surface,
                    SELECTED,
                    [rect.center, vp.to_px(*self.node_xy[obj])],
                    max(2, round(2 * ui)),
                    (8, 6),
                )


def battle_radius(ratio: float, ui: float) -> float:
    """8 px at even odds, growing with log2 of the force ratio (attacker : defender)."""
    return (8 + 4 * math.log2(max(1.0, min(ratio, 32.0)))) * ui


__all__ = [
    "Layout",
    "Renderer",
    "ViewState",
    "front_segments",
    "place_groups",
    "unit_placements",
    "unit_position_km",
    "voronoi_ridges",
]
