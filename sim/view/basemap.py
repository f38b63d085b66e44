"""Static base map of the theatre drawn with pygame (land, border, water, roads, rail, towns).

Importing this module opens no window. Drawing functions take a surface and data and change
nothing else. `render_theatre_png` draws onto a plain `pygame.Surface` and saves it, so it
runs headless (it sets SDL_VIDEODRIVER=dummy only if no display is available).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from sim.map.theatre import BOX, Theatre, project  # noqa: E402

FONT_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

# Colours (RGB). Muted atlas palette: roads warm, water blue, rail near-black.
LAND = (242, 238, 226)
BACKGROUND = (225, 221, 210)
FRAME = (120, 115, 105)
WATER = (160, 200, 232)
RIVER = (52, 120, 190)
BORDER = (120, 70, 140)
RAIL = (45, 45, 50)
ROAD_STYLE = {  # road_class -> (colour, width px); drawn from local up to highway
    "local": ((205, 196, 180), 1),
    "secondary": ((215, 160, 80), 2),
    "main": ((205, 120, 40), 3),
    "highway": ((190, 40, 40), 4),
}
TERRAIN_FILL = {"urban": (70, 60, 60), "forest": (60, 120, 60), "open": (250, 250, 245)}
TOWN_OUTLINE = (40, 40, 40)
LABEL = (30, 30, 30)
LABEL_HALO = (250, 248, 240)
BRIDGE = (20, 20, 20)

RIVER_WIDTH_PX = 3
BIG_LABEL_COVERS_BELOW = 3000  # see _place_labels
#: Towns this big have bold names (see _label_style), which the viewer draws again above the
#: unit symbols so that no symbol hides Izium, Kupiansk or Belgorod.
KEY_LABEL_POPULATION = 20_000
DASH_PX = (10, 6)  # border dash: on, off
RAIL_DASH_PX = (6, 4)


def box_km() -> tuple[float, float, float, float]:
    """The theatre box in projected km: (x_min, y_min, x_max, y_max)."""
    x0, y0 = project(BOX[0], BOX[1])
    x1, y1 = project(BOX[2], BOX[3])
    return x0, y0, x1, y1


def fit_bounds(bounds, map_rect: pygame.Rect):
    """Widen `bounds` (km) to the aspect of `map_rect`, then shift it inside the theatre box
    (and shrink it to the box if it is larger)."""
    x0, y0, x1, y1 = bounds
    bx0, by0, bx1, by1 = box_km()
    aspect = map_rect.w / max(1, map_rect.h)
    w, h = x1 - x0, y1 - y0
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    if w > bx1 - bx0 and h > by1 - by0:  # larger than the box both ways: show the whole box
        shrink = max((bx1 - bx0) / w, (by1 - by0) / h)
        w, h = w * shrink, h * shrink
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    cx = min(max(cx, bx0 + w / 2), bx1 - w / 2) if w <= bx1 - bx0 else (bx0 + bx1) / 2
    cy = min(max(cy, by0 + h / 2), by1 - h / 2) if h <= by1 - by0 else (by0 + by1) / 2
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


class Viewport:
    """Maps projected km (see `sim.map.theatre.project`) to pixels on a surface of `size`.

    Keeps the aspect ratio (one scale for x and y) and centres the map inside the margins.
    `bounds_km` is (x_min, y_min, x_max, y_max); default: the theatre box.
    """

    def __init__(self, size, bounds_km=None, margins=(20, 20, 20, 20)):
        if bounds_km is None:
            bounds_km = box_km()
        self.size = (int(size[0]), int(size[1]))
        self.bounds_km = tuple(float(b) for b in bounds_km)
        left, top, right, bottom = margins
        w = self.size[0] - left - right
        h = self.size[1] - top - bottom
        bx0, by0, bx1, by1 = self.bounds_km
        self.scale = min(w / (bx1 - bx0), h / (by1 - by0))  # px per km
        self.left = left + (w - self.scale * (bx1 - bx0)) / 2
        self.top = top + (h - self.scale * (by1 - by0)) / 2

    @property
    def rect(self) -> pygame.Rect:
        """Pixel rectangle covered by the bounds."""
        bx0, by0, bx1, by1 = self.bounds_km
        w = self.scale * (bx1 - bx0)
        h = self.scale * (by1 - by0)
        return pygame.Rect(round(self.left), round(self.top), round(w), round(h))

    def to_px(self, x_km, y_km):
        """km -> pixels (floats, or numpy arrays); y grows down on screen."""
        px = self.left + (np.asarray(x_km, float) - self.bounds_km[0]) * self.scale
        py = self.top + (self.bounds_km[3] - np.asarray(y_km, float)) * self.scale
        if np.ndim(px) == 0:
            return float(px), float(py)
        return px, py

    def to_km(self, px, py):
        """Pixels -> km, the inverse of `to_px`."""
        x = (np.asarray(px, float) - self.left) / self.scale + self.bounds_km[0]
        y = self.bounds_km[3] - (np.asarray(py, float) - self.top) / self.scale
        if np.ndim(x) == 0:
            return float(x), float(y)
        return x, y

    def lonlat_to_px(self, lon, lat):
        """lon/lat -> pixels."""
        return self.to_px(*project(lon, lat))


_FONTS: dict[tuple[bool, int], pygame.font.Font] = {}


def font(size: int, bold: bool = False) -> pygame.font.Font:
    """DejaVu Sans from assets/fonts (falls back to pygame's default font)."""
    if not pygame.font.get_init():
        pygame.font.init()
    key = (bold, size)
    if key not in _FONTS:
        path = FONT_BOLD if bold else FONT_REGULAR
        _FONTS[key] = pygame.font.Font(str(path) if path.exists() else None, size)
    return _FONTS[key]


def _polyline_px(vp: Viewport, lonlat: np.ndarray) -> list[tuple[float, float]]:
    px, py = vp.lonlat_to_px(lonlat[:, 0], lonlat[:, 1])
    return list(zip(px.tolist(), py.tolist(), strict=True))


def draw_dashed(surface, colour, pts, width=1, dash=DASH_PX):
    """Dashed polyline; the dash pattern runs continuously along the whole line."""
    on, off = dash
    period = on + off
    pos = 0.0
    for (x1, y1), (x2, y2) in zip(pts[:-1], pts[1:], strict=True):
        seg = math.hypot(x2 - x1, y2 - y1)
        if seg == 0:
            continue
        t = 0.0
        while t < seg:
            phase = (pos + t) % period
            if phase < on:
                run = min(on - phase, seg - t)
                a, b = t / seg, (t + run) / seg
                pygame.draw.line(
                    surface,
                    colour,
                    (x1 + a * (x2 - x1), y1 + a * (y2 - y1)),
                    (x1 + b * (x2 - x1), y1 + b * (y2 - y1)),
                    width,
                )
            else:
                run = min(period - phase, seg - t)
            t += run
        pos += seg


def town_radius_px(population: int) -> float:
    """Dot radius grows with log10(population): ~2 px for a village, ~9 px for Kharkiv."""
    return 2.0 + 1.6 * max(0.0, math.log10(max(population, 1) / 300.0))


#: Towns split by a river into two nodes: the half that carries the name -> the other half.
SPLIT_TOWNS = {"izium_s": "izium_n", "kupiansk_w": "kupiansk_e"}


def _label_text(name: str, node: str) -> str | None:
    """Split towns: the main half carries the town's name, the other half is unlabelled."""
    if node in SPLIT_TOWNS:
        return name.split(" (")[0]
    if node in SPLIT_TOWNS.values():
        return None
    return name


def label_population(theatre: Theatre, node: str) -> int:
    """The population a name stands for: a split town's two halves together."""
    g = theatre.graph
    other = SPLIT_TOWNS.get(node)
    return g.nodes[node]["population"] + (g.nodes[other]["population"] if other in g else 0)


def _label_style(population: int) -> tuple[int, bool]:
    if population >= 100_000:
        return 17, True
    if population >= 20_000:
        return 14, True
    if population >= 5_000:
        return 12, False
    return 10, False


def draw_basemap(
    surface: pygame.Surface,
    theatre: Theatre,
    viewport: Viewport,
    *,
    labels: bool = True,
    roads: bool = True,
) -> None:
    """Draw land, reservoir, rivers, border, roads by class, rail, bridges, towns and names.

    `roads=False` leaves out roads and railways (a plainer map under the territory shading);
    `labels=False` leaves out the town names (see `draw_labels` to draw them on their own).
    """
    g = theatre.graph
    vp = viewport
    clip = surface.get_clip()
    surface.set_clip(vp.rect)
    surface.fill(LAND, vp.rect)

    for poly in theatre.water.values():
        pts = _polyline_px(vp, poly)
        pygame.draw.polygon(surface, WATER, pts)
        pygame.draw.polygon(surface, RIVER, pts, 1)

    pos = {n: vp.to_px(d["x_km"], d["y_km"]) for n, d in g.nodes(data=True)}
    for cls in ("local", "secondary", "main", "highway") if roads else ():
        colour, width = ROAD_STYLE[cls]
        for u, v, d in g.edges(data=True):
            if d["road_class"] == cls:
                pygame.draw.line(surface, colour, pos[u], pos[v], width)

    for lines in theatre.rivers.values():
        for line in lines:
            pygame.draw.lines(surface, RIVER, False, _polyline_px(vp, line), RIVER_WIDTH_PX)

    for u, v, d in g.edges(data=True) if roads else ():
        if d["rail"]:
            draw_dashed(surface, RAIL, [pos[u], pos[v]], 2, RAIL_DASH_PX)

    for line in theatre.border:
        draw_dashed(surface, BORDER, _polyline_px(vp, line), 2, DASH_PX)

    for c in theatre.crossings.values():
        if c.kind in ("bridge", "rail_bridge"):
            (x1, y1), (x2, y2) = pos[c.u], pos[c.v]
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
            mark = pygame.Rect(0, 0, 7, 7)
            mark.center = (round(mx), round(my))
            pygame.draw.rect(surface, (255, 255, 255), mark)
            pygame.draw.rect(surface, BRIDGE, mark, 1)

    order, dots = _town_dots(theatre, pos)
    for n in reversed(order):  # small first, big on top
        d = g.nodes[n]
        r = town_radius_px(d["population"])
        pygame.draw.circle(surface, TERRAIN_FILL[d["terrain"]], pos[n], r)
        pygame.draw.circle(surface, TOWN_OUTLINE, pos[n], r, 1)

    if labels:
        _draw_labels(surface, theatre, vp, order, pos, dots)
    surface.set_clip(clip)


def _town_dots(theatre: Theatre, pos) -> tuple[list[str], list[tuple[int, pygame.Rect]]]:
    """Nodes biggest first, and (population, dot rectangle) per node."""
    g = theatre.graph
    order = sorted(g.nodes, key=lambda n: (-g.nodes[n]["population"], n))
    dots = []
    for n in order:
        r = town_radius_px(g.nodes[n]["population"])
        dots.append(
            (g.nodes[n]["population"], pygame.Rect(pos[n][0] - r, pos[n][1] - r, 2 * r, 2 * r))
        )
    return order, dots


@dataclass(frozen=True)
class LabelPlacement:
    """Where a town's name goes: node id, text, font size and weight, pixel rectangle."""

    node: str
    text: str
    size: int
    bold: bool
    rect: pygame.Rect
    population: int


def label_placements(theatre: Theatre, viewport: Viewport) -> list[LabelPlacement]:
    """Town names placed greedily, biggest towns first (see `_place_labels`)."""
    g = theatre.graph
    pos = {n: viewport.to_px(d["x_km"], d["y_km"]) for n, d in g.nodes(data=True)}
    order, dots = _town_dots(theatre, pos)
    return _place_labels(theatre, viewport, order, pos, dots)


def draw_labels(
    surface: pygame.Surface,
    theatre: Theatre,
    viewport: Viewport,
    *,
    min_population: int = 0,
    halo_px: int = 1,
) -> None:
    """Town names alone (the same placement as `draw_basemap`), e.g. onto a transparent layer
    drawn above the territory shading. `min_population` keeps only the names of towns that
    big (the key names drawn again above the units, with a `halo_px` wide halo)."""
    clip = surface.get_clip()
    surface.set_clip(viewport.rect)
    for p in label_placements(theatre, viewport):
        if p.population >= min_population:
            blit_label(surface, p, halo_px)
    surface.set_clip(clip)


def blit_label(surface: pygame.Surface, p: LabelPlacement, halo_px: int = 1) -> None:
    """Draw one placed name with a light halo `halo_px` wide."""
    f = font(p.size, p.bold)
    halo = f.render(p.text, True, LABEL_HALO)
    for ox in range(-halo_px, halo_px + 1):
        for oy in range(-halo_px, halo_px + 1):
            if (ox or oy) and abs(ox) + abs(oy) <= halo_px + (halo_px > 1):
                surface.blit(halo, (p.rect.x + ox, p.rect.y + oy))
    surface.blit(f.render(p.text, True, LABEL), p.rect)


def _draw_labels(surface, theatre, vp, order, pos, dots) -> None:
    for p in _place_labels(theatre, vp, order, pos, dots):
        blit_label(surface, p)


def _place_labels(theatre, vp, order, pos, dots) -> list[LabelPlacement]:
    """Greedy label placement: biggest towns first; a label is skipped if it would overlap
    a placed label or a town dot, or leave the map. Labels of towns of 20,000+ may cover the
    dots of villages under `BIG_LABEL_COVERS_BELOW` people."""
    g = theatre.graph
    placed: list[pygame.Rect] = []
    out: list[LabelPlacement] = []
    area = vp.rect
    for n in order:
        d = g.nodes[n]
        text = _label_text(d["name"], n)
        if not text:
            continue
        population = label_population(theatre, n)
        size, bold = _label_style(population)
        w, h = font(size, bold).size(text)
        x, y = pos[n]
        r = town_radius_px(d["population"]) + 2
        own = pygame.Rect(x - r, y - r, 2 * r, 2 * r)
        for cx, cy in (
            (x + r, y - h / 2),
            (x - r - w, y - h / 2),
            (x - w / 2, y - r - h),
            (x - w / 2, y + r),
            (x + r, y - h),
            (x + r, y),
        ):
            rect = pygame.Rect(round(cx), round(cy), w, h)
            if not area.contains(rect):
                continue
            if rect.collidelist(placed) != -1:
                continue
            floor = BIG_LABEL_COVERS_BELOW if d["population"] >= 20_000 else 0
            if any(
                rect.colliderect(dr) and not dr.colliderect(own) for p, dr in dots if p >= floor
            ):
                continue
            out.append(LabelPlacement(n, text, size, bold, rect, population))
            placed.append(rect.inflate(4, 2))
            break
    return out


def _scale_bar(surface, vp: Viewport, x: int, y: int, km: int = 50) -> None:
    px = km * vp.scale
    for i in range(5):
        seg = pygame.Rect(x + i * px / 5, y, px / 5 + 1, 6)
        pygame.draw.rect(surface, (30, 30, 30) if i % 2 == 0 else (255, 255, 255), seg)
    pygame.draw.rect(surface, (30, 30, 30), pygame.Rect(x, y, px + 1, 6), 1)
    f = font(12)
    surface.blit(f.render("0", True, LABEL), (x - 3, y + 8))
    lab = f.render(f"{km} km", True, LABEL)
    surface.blit(lab, (x + px - lab.get_width() / 2, y + 8))


def _legend(surface, x: int, y: int) -> None:
    f = font(13)
    head = font(14, bold=True)
    surface.blit(head.render("Legend", True, LABEL), (x, y))
    y += 26
    # (kind, (colour, px), label): px is a line's width, a dot's radius
    items: list[tuple[str, tuple[tuple[int, int, int], int], str]] = [
        ("line", ROAD_STYLE["highway"], "Highway (M roads)"),
        ("line", ROAD_STYLE["main"], "Main road (H, P)"),
        ("line", ROAD_STYLE["secondary"], "Secondary road (T)"),
        ("line", ROAD_STYLE["local"], "Local road"),
        ("rail", (RAIL, 2), "Railway"),
        ("line", (RIVER, RIVER_WIDTH_PX), "River"),
        ("border", (BORDER, 2), "State border"),
        ("bridge", (BRIDGE, 1), "Bridge / dam road"),
        ("dot", (TERRAIN_FILL["urban"], 5), "Town (urban)"),
        ("dot", (TERRAIN_FILL["forest"], 5), "Forest settlement"),
        ("dot", (TERRAIN_FILL["open"], 5), "Open-country village"),
    ]
    for kind, (colour, px), text in items:
        cy = y + 8
        if kind == "line":
            pygame.draw.line(surface, colour, (x, cy), (x + 36, cy), px)
        elif kind == "rail":
            draw_dashed(surface, colour, [(x, cy), (x + 36, cy)], px, RAIL_DASH_PX)
        elif kind == "border":
            draw_dashed(surface, colour, [(x, cy), (x + 36, cy)], px, DASH_PX)
        elif kind == "bridge":
            mark = pygame.Rect(0, 0, 7, 7)
            mark.center = (x + 18, cy)
            pygame.draw.rect(surface, (255, 255, 255), mark)
            pygame.draw.rect(surface, colour, mark, px)
        else:
            pygame.draw.circle(surface, colour, (x + 18, cy), px)
            pygame.draw.circle(surface, TOWN_OUTLINE, (x + 18, cy), px, 1)
        surface.blit(f.render(text, True, LABEL), (x + 46, y))
        y += 22
    y += 6
    for line in ("Dot size grows with population.", "Terrain is a curated estimate."):
        surface.blit(font(11).render(line, True, LABEL), (x, y))
        y += 16


CREDITS = (
    "Contains data from Natural Earth (public domain, naturalearthdata.com) and from "
    "GeoNames (geonames.org, CC BY 4.0). Roads, bridges and terrain curated: "
    "see docs/map.md."
)


def render_theatre_png(theatre: Theatre, path, size=(1400, 1100)) -> Path:
    """Draw the base map with title, legend, scale bar and credits; save as PNG. Returns path."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.font.init()
    surface = pygame.Surface(size)
    surface.fill(BACKGROUND)
    legend_w = 260
    vp = Viewport(size, margins=(20, 56, 20 + legend_w, 40))
    draw_basemap(surface, theatre, vp)
    pygame.draw.rect(surface, FRAME, vp.rect, 1)
    title = "The Izium theatre, 2022: settlements, roads, railways and rivers"
    surface.blit(font(22, bold=True).render(title, True, LABEL), (20, 14))
    _legend(surface, vp.rect.right + 24, vp.rect.top + 4)
    _scale_bar(surface, vp, vp.rect.right + 30, vp.rect.top + 360)
    surface.blit(font(11).render(CREDITS, True, LABEL), (20, size[1] - 26))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(path))
    return path
