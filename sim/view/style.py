"""The map's colours and the two marks that the legend draws as the map does (no-data hatching,
the battle burst): shared by the renderer (sim/view/render.py) and the legend
(sim/view/panels.py) so that neither imports the other."""

from __future__ import annotations

import math

import pygame

# Territory tints: Okabe-Ito blue and vermillion (colour-blind safe, distinct in greyscale),
# translucent so roads and rivers show through; Russia itself in a neutral grey.
UA_TINT = (0, 114, 178, 72)
RU_TINT = (213, 94, 0, 80)
RUSSIA_TINT = (150, 150, 150, 50)
FRONT = (20, 20, 20)
FRONT_CASING = (255, 255, 255)
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


def draw_burst(surface, centre, radius: float, points: int = 8) -> None:
    x, y = centre
    pts = []
    for i in range(points * 2):
        a = math.pi * i / points
        rr = radius if i % 2 == 0 else radius * 0.5
        pts.append((x + rr * math.cos(a), y + rr * math.sin(a)))
    pygame.draw.polygon(surface, BATTLE_FILL, pts)
    pygame.draw.polygon(surface, BATTLE_LINE, pts, 2)
