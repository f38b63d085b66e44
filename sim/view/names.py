"""The lesser town names in a frame of the viewer: those the units would hide are moved clear
of the unit symbols and designations (sim/view/placement.py, `names_clear_of_units`, the
search the preview uses for its labels), the rest stay where the map put them. The key names
(towns of KEY_LABEL_POPULATION+) are not these: they are drawn above the units, and the units
step aside from them (sim/view/render.py).

`TownNames` keeps what is slow to make (each name's image with its halo, the names left in
place as one layer, the spots found) per map size and zoom; sim/view/render.py draws with it:
the names left in place under the units, the leaders of the moved ones behind the symbols,
and the moved names over them.
"""

from __future__ import annotations

import pygame

from sim.view import basemap as bm
from sim.view.layout import Layout
from sim.view.placement import NameSpot, names_clear_of_units

#: (node, the name's rectangle px, its image with a 1 px halo round it, the town's dot px,
#: the dot's radius)
Name = tuple[str, pygame.Rect, pygame.Surface, tuple[float, float], float]


def fast_surface(surface: pygame.Surface, alpha: bool) -> pygame.Surface:
    """Convert to the display's pixel format when a window exists (faster blits)."""
    if pygame.display.get_init() and pygame.display.get_surface() is not None:
        return surface.convert_alpha() if alpha else surface.convert()
    return surface


class TownNames:
    """The lesser names of one theatre's map, placed frame by frame (the module docstring)."""

    def __init__(self, theatre) -> None:
        self.theatre = theatre
        self._names: dict = {}
        self._memo: dict = {}  # names_clear_of_units' spots, from frame to frame
        self._kept: dict = {}  # the names left in place, as one layer
        self._kept_before: frozenset[str] | None = None  # those of the frame before

    def lesser(self, layout: Layout, vp: bm.Viewport) -> list[Name]:
        """The names drawn under the units (towns below KEY_LABEL_POPULATION) where the map
        places them (basemap.label_placements), biggest town first."""
        key = (layout.size, tuple(layout.map_rect), vp.bounds_km)
        if key not in self._names:
            if len(self._names) > 6:
                self._names.clear()
            local = bm.Viewport(layout.map_rect.size, vp.bounds_km, margins=(0, 0, 0, 0))
            g = self.theatre.graph
            out = []
            for p in bm.label_placements(self.theatre, local):
                if p.population >= bm.KEY_LABEL_POPULATION:
                    continue
                d = g.nodes[p.node]
                img = pygame.Surface((p.rect.w + 2, p.rect.h + 2), pygame.SRCALPHA)
                at = pygame.Rect((1, 1), p.rect.size)  # inside its halo
                bm.blit_label(img, bm.LabelPlacement(**{**vars(p), "rect": at}))
                rect = p.rect.move(layout.map_rect.topleft)
                dot = vp.to_px(d["x_km"], d["y_km"])
                radius = bm.town_radius_px(d["population"])
                out.append((p.node, rect, fast_surface(img, alpha=True), dot, radius))
            self._names[key] = out
        return self._names[key]

    def spots(
        self, layout: Layout, vp: bm.Viewport, units: list[pygame.Rect], above: list[pygame.Rect]
    ) -> list[tuple[pygame.Surface, NameSpot]]:
        """(image, spot) of each lesser name in this frame: where the map put it, or moved
        clear of `units` (what the unit symbols and designations cover) and of `above` (the
        key names); a name with no clear spot near its town is left out."""
        names = self.lesser(layout, vp)
        ui = layout.ui
        bounds = layout.map_rect.inflate(-round(4 * ui), -round(4 * ui))
        given = [(n, rect, dot, r) for n, rect, _img, dot, r in names]
        spots = names_clear_of_units(given, units, above, bounds, ui, self._memo)
        image = {n: img for n, _rect, img, _dot, _r in names}
        return [(image[s.node], s) for s in spots]

    def draw_kept(
        self,
        surface: pygame.Surface,
        layout: Layout,
        vp: bm.Viewport,
        names: list[tuple[pygame.Surface, NameSpot]],
    ) -> None:
        """The names of `names` left where the map put them: while the same names stay clear
        of the units from one frame to the next, as one cached layer (one blit); while units
        move past names, one by one rather than a layer used once."""
        kept = frozenset(spot.node for _img, spot in names if not spot.moved)
        if kept == self._kept_before:
            surface.blit(self._kept_layer(layout, vp, kept), layout.map_rect.topleft)
        else:
            for img, spot in names:
                if not spot.moved:
                    surface.blit(img, spot.rect.move(-1, -1))
        self._kept_before = kept

    def _kept_layer(self, layout: Layout, vp: bm.Viewport, kept: frozenset[str]) -> pygame.Surface:
        key = (layout.size, tuple(layout.map_rect), vp.bounds_km, kept)
        if key not in self._kept:
            if len(self._kept) > 8:
                self._kept.clear()
            mr = layout.map_rect
            s = pygame.Surface(mr.size, pygame.SRCALPHA)
            for node, rect, img, _dot, _r in self.lesser(layout, vp):
                if node in kept:
                    s.blit(img, rect.move(-mr.left - 1, -mr.top - 1))
            self._kept[key] = fast_surface(s, alpha=True)
        return self._kept[key]


def draw_leaders(
    surface: pygame.Surface, names: list[tuple[pygame.Surface, NameSpot]], ui: float
) -> None:
    """Under the units: the line from a town's dot to its name where the name had to stand
    off them, in the names' ink on a light casing (it passes behind the symbols, as the
    what-if's leaders do)."""
    for _img, spot in names:
        if spot.leader is not None:
            a, b = spot.leader
            pygame.draw.line(surface, bm.LABEL_HALO, a, b, max(3, round(3 * ui)))
            pygame.draw.line(surface, bm.LABEL, a, b, 1)


def draw_moved(surface: pygame.Surface, names: list[tuple[pygame.Surface, NameSpot]]) -> None:
    """Over the units: the names moved clear of them."""
    for img, spot in names:
        if spot.moved:
            surface.blit(img, spot.rect.move(-1, -1))
