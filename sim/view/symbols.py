"""Unit symbols after APP-6 / MIL-STD-2525, drawn with pygame primitives (no image files).

Both sides use the same rectangular frame (the "friend" shape of APP-6), told apart by the
fill colour: light blue for Ukraine, light red for Russia. A neutral replay has no viewpoint,
so neither side is drawn with the "hostile" diamond; docs/viewer.md says so next to the legend.

Inside the frame, the function icon (APP-6 land unit icons):
    infantry X; armour an oval (track); mechanised infantry X + oval; airborne X + wings arc at
    the bottom; national guard / territorial X with "NG"; artillery a filled dot; special forces
    "SF"; reconnaissance one diagonal slash.
Above the frame, the echelon mark: I company, II battalion, III regiment, X brigade, XX division.

`unit_symbol` returns a small cached surface; nothing here changes any state but that cache.
"""

from __future__ import annotations

import re

import pygame

from sim.view.basemap import font

# APP-6 fill colours (friend "crystal blue", hostile "salmon"), darker outlines of the same hue.
SIDE_FILL = {"UA": (128, 200, 255), "RU": (255, 140, 130)}
SIDE_LINE = {"UA": (0, 60, 120), "RU": (120, 20, 20)}
ICON = (10, 10, 10)
ROUTED_FILL = (200, 200, 200)
STRENGTH_BG = (255, 255, 255)
STRENGTH_FG = (30, 30, 30)
GONE = (110, 110, 110)

ECHELON_BARS = {
    "company": "I",
    "battalion": "II",
    "regiment": "III",
    "brigade": "X",
    "division": "XX",
}

FRAME_W, FRAME_H = 30, 20  # px at scale 1 (1280x800 window)
ECHELON_H = 7
BAR_H = 4


def frame_size(scale: float) -> tuple[int, int]:
    return max(12, round(FRAME_W * scale)), max(8, round(FRAME_H * scale))


def symbol_extent(scale: float) -> tuple[int, int, int]:
    """(width, height, frame_top): the symbol surface size and the frame's y offset in it."""
    w, h = frame_size(scale)
    top = round((ECHELON_H + 3) * scale)
    bar = round((BAR_H + 3) * scale)
    return w + 4, top + h + bar + 2, top


def short_designation(name: str) -> str:
    """The unique designation written right of the frame: '25th Airborne Brigade' -> '25';
    '10th Tank Battalion, 3rd Tank Brigade' -> '10/3'; 'Airborne (VDV) battalion group' ->
    'VDV'; 'Azov Battalion' -> 'Azov'; 'Rosgvardia detachments' -> 'Rosg.'."""
    nums = re.findall(r"\b(\d+)(?:st|nd|rd|th)\b", name)
    if nums:
        return "/".join(nums[:2]) if "," in name else nums[0]
    acronym = re.search(r"\(([A-Z]{2,6})\)", name)
    if acronym:
        return acronym[1]
    word = re.split(r"[\s(,']+", name.strip())[0]
    return word if len(word) <= 5 or word.isupper() else word[:4] + "."


def _echelon(surface, mark: str, cx: float, top: float, scale: float, colour) -> None:
    h = ECHELON_H * scale
    y0, y1 = top, top + h
    lw = max(1, round(1.6 * scale))
    if mark.startswith("X"):
        n = len(mark)
        w = h * 0.8
        gap = 2 * scale
        total = n * w + (n - 1) * gap
        x = cx - total / 2
        for _ in range(n):
            pygame.draw.line(surface, colour, (x, y0), (x + w, y1), lw)
            pygame.draw.line(surface, colour, (x, y1), (x + w, y0), lw)
            x += w + gap
    else:
        n = len(mark)
        gap = 3.2 * scale
        x = cx - (n - 1) * gap / 2
        for _ in range(n):
            pygame.draw.line(surface, colour, (x, y0), (x, y1), lw)
            x += gap


def _icon(surface, kind: str, r: pygame.Rect, scale: float, fill) -> None:
    lw = max(1, round(1.3 * scale))

    def cross() -> None:
        pygame.draw.line(surface, ICON, r.topleft, (r.right - 1, r.bottom - 1), lw)
        pygame.draw.line(surface, ICON, (r.left, r.bottom - 1), (r.right - 1, r.top), lw)

    def oval() -> None:
        o = r.inflate(-r.w * 0.36, -r.h * 0.44)
        pygame.draw.ellipse(surface, ICON, o, lw)

    if kind in ("infantry", "national_guard", "mechanised", "airborne"):
        cross()
    if kind in ("armour", "mechanised"):
        oval()
    if kind == "airborne":  # the "wings": two small arcs at the bottom centre
        aw, ah = r.w * 0.22, r.h * 0.36
        y = r.bottom - ah * 0.75
        pygame.draw.arc(surface, ICON, pygame.Rect(r.centerx - aw, y, aw, ah), 0, 3.1416, lw)
        pygame.draw.arc(surface, ICON, pygame.Rect(r.centerx, y, aw, ah), 0, 3.1416, lw)
    if kind == "national_guard":
        t = font(max(7, round(8 * scale)), bold=True).render("NG", True, ICON)
        box = t.get_rect(center=r.center).inflate(2, 0)
        pygame.draw.rect(surface, fill, box)
        surface.blit(t, t.get_rect(center=r.center))
    if kind == "artillery":
        pygame.draw.circle(surface, ICON, r.center, max(2, round(3 * scale)))
    if kind == "special_forces":
        t = font(max(8, round(10 * scale)), bold=True).render("SF", True, ICON)
        surface.blit(t, t.get_rect(center=r.center))
    if kind == "reconnaissance":
        pygame.draw.line(surface, ICON, (r.left, r.bottom - 1), (r.right - 1, r.top), lw)


_CACHE: dict[tuple, pygame.Surface] = {}


def unit_symbol(
    side: str, kind: str, echelon: str, scale: float = 1.0, *, routed: bool = False
) -> pygame.Surface:
    """The frame, icon and echelon mark on a transparent surface of `symbol_extent(scale)`;
    the frame is centred horizontally, its top at `frame_top`. Routed units are drawn grey
    and hatched."""
    key = (side, kind, echelon, round(scale, 3), routed)
    if key in _CACHE:
        return _CACHE[key]
    sw, sh, top = symbol_extent(scale)
    w, h = frame_size(scale)
    surf = pygame.Surface((sw, sh), pygame.SRCALPHA)
    frame = pygame.Rect((sw - w) // 2, top, w, h)
    fill = ROUTED_FILL if routed else SIDE_FILL.get(side, (230, 230, 230))
    line = SIDE_LINE.get(side, (40, 40, 40))
    pygame.draw.rect(surf, fill, frame)
    if routed:  # hatching: the formation has broken
        step = max(4, round(5 * scale))
        clip = surf.get_clip()
        surf.set_clip(frame)
        for x in range(frame.left - frame.h, frame.right, step):
            pygame.draw.line(surf, (120, 120, 120), (x, frame.bottom), (x + frame.h, frame.top))
        surf.set_clip(clip)
    _icon(surf, kind, frame.inflate(-2, -2), scale, fill)
    pygame.draw.rect(surf, line, frame, max(2, round(2 * scale)))
    _echelon(surf, ECHELON_BARS.get(echelon, ""), frame.centerx, 1, scale, line)
    _CACHE[key] = surf
    return surf


def draw_strength_bar(
    surface, frame: pygame.Rect, strength: float, side: str, scale: float = 1.0
) -> None:
    """A bar under the frame: the share of the unit's initial personnel still present."""
    bar = pygame.Rect(frame.left, frame.bottom + round(2 * scale), frame.w, round(BAR_H * scale))
    pygame.draw.rect(surface, STRENGTH_BG, bar)
    filled = bar.copy()
    filled.w = round(bar.w * max(0.0, min(1.0, strength)))
    pygame.draw.rect(surface, SIDE_LINE.get(side, STRENGTH_FG), filled)
    pygame.draw.rect(surface, STRENGTH_FG, bar, 1)


def draw_gone_mark(surface, centre, scale: float = 1.0, alpha: int = 255) -> None:
    """A grey cross where a unit surrendered or was disbanded."""
    r = 8 * scale
    x, y = centre
    lw = max(2, round(3 * scale))
    colour = (*GONE, alpha)
    layer = pygame.Surface((2 * r + 4, 2 * r + 4), pygame.SRCALPHA)
    c = r + 2
    pygame.draw.line(layer, colour, (c - r, c - r), (c + r, c + r), lw)
    pygame.draw.line(layer, colour, (c - r, c + r), (c + r, c - r), lw)
    surface.blit(layer, (x - c, y - c))
