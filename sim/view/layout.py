"""Where everything goes in the window (`Layout`) and what its controls change (`ViewState`):
shared by the renderer (sim/view/render.py) and what it draws of a what-if
(sim/view/whatif_draw.py)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pygame

SPEEDS_H_PER_S = (0.5, 1, 2, 3, 4, 6, 8, 12, 24)  # simulated hours per real second
DEFAULT_SPEED = 4
LAYERS = ("territory", "units", "roads", "labels", "battles", "legend", "ticker")
COMPARE_MODES = ("overlay", "split", "base")  # how a what-if is shown (key v cycles them)


@dataclass
class ViewState:
    """What the controls change. The replay itself is never changed."""

    t: float = 0.0  # playback time in hours since the start (fractional: animation)
    playing: bool = False
    speed: int = DEFAULT_SPEED  # index into SPEEDS_H_PER_S
    layers: set[str] = field(default_factory=lambda: set(LAYERS))
    selected: str | None = None
    help: bool = False
    jump_text: str | None = None  # the 'j' prompt while typing
    message: str = ""  # a short notice (bad date, screenshot saved)
    message_until: float = 0.0
    bounds_km: tuple[float, float, float, float] | None = None  # zoom; None = default view
    hover: tuple[int, int] | None = None
    compare: str = "overlay"  # with a what-if: one of COMPARE_MODES

    @property
    def hours_per_s(self) -> float:
        return SPEEDS_H_PER_S[self.speed]


@dataclass(frozen=True)
class Layout:
    """Where everything goes in a window of `size`: map (left), sidebar (right), timeline
    (bottom of the map column). `ui` scales fonts and symbols with the window."""

    size: tuple[int, int]
    map_rect: pygame.Rect
    sidebar: pygame.Rect
    timeline: pygame.Rect
    ui: float
    branch_row: bool = False  # the timeline has a row for a what-if's dates
    pane: str = ""  # split screen: "base" or "branch" (the map_rect is that half)

    @classmethod
    def for_size(cls, size: tuple[int, int], branch_row: bool = False) -> Layout:
        w, h = size
        ui = max(0.7, min(1.8, min(w / 1280, h / 800)))
        side_w = int(max(250, min(w * 0.3, 520 * ui)))
        tl_h = int(max(80, 104 * ui)) + (round(16 * ui) if branch_row else 0)
        return cls(
            (w, h),
            pygame.Rect(0, 0, w - side_w, h - tl_h),
            pygame.Rect(w - side_w, 0, side_w, h),
            pygame.Rect(0, h - tl_h, w - side_w, tl_h),
            ui,
            branch_row,
        )

    def panes(self) -> tuple[Layout, Layout]:
        """Split screen: the base (left) and the what-if (right), each half the map."""
        r = self.map_rect
        half = r.w // 2
        return (
            dataclasses.replace(self, map_rect=pygame.Rect(r.left, r.top, half, r.h), pane="base"),
            dataclasses.replace(
                self, map_rect=pygame.Rect(r.left + half, r.top, r.w - half, r.h), pane="branch"
            ),
        )
