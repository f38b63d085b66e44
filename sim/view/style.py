"""The map's colours and the two marks that the legend draws as the map does (no-data hatching,
the battle burst): shared by the renderer (sim/view/render.py) and the legend
(sim/view/panels.py) so that neither imports the other."""

from __future__ import annotations

import math

import pygame

from sim.view import basemap as bm

# Territory tints: Okabe-Ito blue and vermillion (colour-blind safe, distinct in greyscale),
# translucent so roads and rivers show through; Russia itself in a neutral grey.
UA_TINT = (0, 114, 178, 72)
RU_TINT = (213, 94, 0, 80)
RUSSIA_TINT = (150, 150, 150, 50)
FRONT = (20, 20, 20)
FRONT_CASING = (255, 255, 255)
#: The front line's width (px at ui 1; at least 2) and its white casing's (1 px each side).
FRONT_PX = 3
# How a side holds the front (sim/view/render.py, draw_front): a band beside the line on the
# side's own ground, solid and wide where it holds a line (a defence), thin and dashed where it
# only screens, none at a gap. The territory tints' hues, opaque and a little darker, so that
# a band reads against its side's tint and in greyscale (Ukraine's darker than Russia's).
HOLD_INK = {"UA": (0, 80, 150), "RU": (165, 50, 0)}
HOLD_DEFENCE_PX = 7  # band width at ui 1
HOLD_SCREEN_PX = 4
HOLD_SCREEN_DASH_PX = (8, 6)  # on, off at ui 1
DESTROYED = (215, 25, 30)
PONTOON = (0, 110, 80)
#: Half-size (px at ui 1) of a crossing's mark: the arms of a destroyed bridge's X, the radius
#: of a pontoon's circle (its white halo adds 2 px)
CROSSING_MARK_PX = 7
BATTLE_FILL = (255, 205, 40)
BATTLE_LINE = (60, 40, 0)
SELECTED = (255, 200, 0)
# Outside the theatre box there is no data: pale grey hatched with darker grey diagonals, so
# that it reads as "nothing here" and not as Russia (flat grey) or either side's tint.
NO_DATA = (247, 247, 247)
NO_DATA_LINE = (190, 190, 190)
NO_DATA_HATCH_PX = 7


def draw_no_data(surface: pygame.Surface, rect: pygame.Rect) -> None:
    """Outside the theatre box: hatching on pale grey, unlike any territory colour."""
    surface.fill(NO_DATA, rect)
    clip = surface.get_clip()
    surface.set_clip(rect.clip(clip) if clip else rect)
    step = NO_DATA_HATCH_PX
    for x in range(rect.left - rect.h, rect.right, step):
        pygame.draw.line(surface, NO_DATA_LINE, (x, rect.bottom), (x + rect.h, rect.top), 1)
    surface.set_clip(clip)


def hold_band_px(level: int, ui: float) -> tuple[int, float]:
    """(width, offset): a band of hold `level` (1 a screen, 2 a defence) is drawn this wide,
    its middle this far from the front line's middle, so that it runs along the line's white
    casing, on the side's ground."""
    line = max(2, round(FRONT_PX * ui))
    w = max(3, round(HOLD_DEFENCE_PX * ui)) if level >= 2 else max(2, round(HOLD_SCREEN_PX * ui))
    return w, line / 2 + 1 + w / 2


def draw_hold_band(surface, side: str, level: int, pts, ui: float, closed: bool = False) -> None:
    """One band (its points already offset from the front line: `hold_band_px`)."""
    colour = HOLD_INK[side]
    w, _ = hold_band_px(level, ui)
    if len(pts) < 2:
        return
    if level >= 2:
        for c, width in ((FRONT_CASING, w + 2), (colour, w)):  # a white edge: it reads on
            pygame.draw.lines(surface, c, closed, pts, width)  # its side's tint and on roads
            for p in pts:  # round joints where the line turns
                pygame.draw.circle(surface, c, p, width / 2)
    else:
        on, off = HOLD_SCREEN_DASH_PX
        dash = (max(3, round(on * ui)), max(2, round(off * ui)))
        line = list(pts) + ([pts[0]] if closed else [])
        bm.draw_dashed(surface, FRONT_CASING, line, w + 2, dash)
        bm.draw_dashed(surface, colour, line, w, dash)


def draw_burst(surface, centre, radius: float, points: int = 8) -> None:
    x, y = centre
    pts = []
    for i in range(points * 2):
        a = math.pi * i / points
        rr = radius if i % 2 == 0 else radius * 0.5
        pts.append((x + rr * math.cos(a), y + rr * math.sin(a)))
    pygame.draw.polygon(surface, BATTLE_FILL, pts)
    pygame.draw.polygon(surface, BATTLE_LINE, pts, 2)
