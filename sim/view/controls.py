"""Keys, clicks, drags and the mouse wheel turned into changes of the `ViewState` (never of
the replay): `Controller`, the first step of the viewer's loop (sim/view/app.py), and
`parse_jump`, the dates key j accepts. Which key does what: `panels.KEYS` and docs/viewer.md.
"""

from __future__ import annotations

import math
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from sim.view.basemap import fit_bounds  # noqa: E402
from sim.view.layout import COMPARE_MODES, SPEEDS_H_PER_S, Layout, ViewState  # noqa: E402
from sim.view.render import Renderer, unit_placements, viewport_for  # noqa: E402
from sim.view.replay import Replay  # noqa: E402
from sim.view.timeline import timeline_t  # noqa: E402

if TYPE_CHECKING:
    from sim.view.whatif_panel import WhatIfPanel

#: Where key p saves the window, under the current folder: inside runs/, which .gitignore
#: covers, so a screenshot taken in a clone of the repository is not committed by accident.
SCREENSHOT_DIR = Path("runs") / "screenshots"
LAYER_KEYS = {
    pygame.K_t: "territory",
    pygame.K_u: "units",
    pygame.K_r: "roads",
    pygame.K_l: "labels",
    pygame.K_b: "battles",
    pygame.K_g: "legend",
    pygame.K_e: "ticker",
}
ZOOM_STEP = 1.25  # one notch of the mouse wheel zooms in or out by a quarter
MIN_VIEW_KM = 20.0  # the closest zoom: a view 20 km wide (a few villages)


def parse_jump(text: str, replay: Replay) -> float:
    """Playback hour for a typed date: '2022-09-10 14:00', '2022-09-10T14:00', '2022-09-10',
    '10 14' (day of month, hour), '10' (day of month, 00:00; same month as the start, or the
    next month if that day has passed). Raises ValueError."""
    s = text.strip()
    when = None
    try:
        when = datetime.fromisoformat(s.replace(" ", "T", 1) if re.match(r"\d{4}-", s) else s)
    except ValueError:
        m = re.fullmatch(r"(\d{1,2})(?:[ T](\d{1,2})(?::(\d{2}))?)?", s)
        if not m:
            raise ValueError(f"not a date: {text!r}") from None
        day, hour, minute = int(m[1]), int(m[2] or 0), int(m[3] or 0)
        st = replay.start
        when = datetime(st.year, st.month, day, hour, minute)
        if when < st.replace(hour=0, minute=0) and st.month < 12:
            when = when.replace(month=st.month + 1)
    h = (when - replay.start) / timedelta(hours=1)
    if not 0 <= h <= replay.hours + 0.01:
        raise ValueError(
            f"{when:%d %b %Y %H:%M} is outside the run "
            f"({replay.start:%d %b %H:%M} to {replay.end:%d %b %H:%M})"
        )
    return float(h)


class Controller:
    """Turns pygame events into changes of the `ViewState` (never of the replay)."""

    def __init__(
        self,
        replay: Replay,
        renderer: Renderer,
        panel: WhatIfPanel | None = None,
        screenshot_dir: Path = SCREENSHOT_DIR,
    ):
        self.replay = replay
        self.renderer = renderer
        self.screenshot_dir = Path(screenshot_dir)  # where `p` saves the window
        self.panel = panel  # the what-if panel (None: no scenario to branch from)
        self.request: str | None = None  # what the panel asked for: "run", "save", "clear"
        self.swallow: str | None = None  # the text of the key that opened the jump prompt
        self.dragging: str | None = None  # "timeline" | "map"
        self.drag_from: tuple[int, int] | None = None
        self.drag_bounds: tuple[float, float, float, float] | None = None  # km, when it began
        self.drag_layout: Layout | None = None
        self.moved = False

    def handle(self, ev, state: ViewState, layout: Layout, now_s: float) -> bool:
        """Apply one event; returns False when the viewer should close."""
        rp = self.replay
        if ev.type == pygame.QUIT:
            return False
        panel = self.panel
        if panel is not None and panel.open and self._to_panel(ev, panel):
            self.request = panel.handle(ev, state) or self.request
            return True
        if ev.type == pygame.KEYDOWN and state.jump_text is not None:
            self.swallow = None
            if ev.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                try:
                    state.t = parse_jump(state.jump_text, rp)
                    state.playing = False
                except ValueError as e:
                    self.say(state, str(e), now_s)
                state.jump_text = None
            elif ev.key == pygame.K_ESCAPE:
                state.jump_text = None
            elif ev.key == pygame.K_BACKSPACE:
                state.jump_text = state.jump_text[:-1]
            return True
        if ev.type == pygame.TEXTINPUT and state.jump_text is not None:
            if self.swallow == ev.text:  # the "j" that opened the prompt, typed as text too
                self.swallow = None
                return True
            if len(state.jump_text) < 24:
                state.jump_text += ev.text
            return True
        if ev.type == pygame.TEXTINPUT and ev.text == "?":
            state.help = not state.help
            return True
        if ev.type == pygame.KEYDOWN:
            return self._key(ev, state, now_s)
        if ev.type == pygame.MOUSEBUTTONDOWN and ev.button == 1:
            if layout.timeline.collidepoint(ev.pos):
                self.dragging = "timeline"
                state.t = timeline_t(layout, rp, ev.pos[0])
                state.playing = False
            elif layout.map_rect.collidepoint(ev.pos):
                self.dragging = "map"
                self.drag_from = ev.pos
                self.drag_layout = self.renderer.layout_at(layout, state, ev.pos)
                self.drag_bounds = self.renderer.bounds(self.drag_layout, state)
                self.moved = False
        elif ev.type == pygame.MOUSEBUTTONUP and ev.button == 1:
            if self.dragging == "map" and not self.moved:
                pane = self.renderer.layout_at(layout, state, ev.pos)
                if panel is not None and panel.map_pick:
                    panel.pick_from_map(ev.pos, pane, state)
                else:
                    self.click_map(ev.pos, state, pane)
            self.dragging = None
        elif ev.type == pygame.MOUSEMOTION:
            state.hover = ev.pos
            if self.dragging == "timeline":
                state.t = timeline_t(layout, rp, ev.pos[0])
            elif self.dragging == "map" and self.drag_from and self.drag_bounds:
                dx, dy = ev.pos[0] - self.drag_from[0], ev.pos[1] - self.drag_from[1]
                if abs(dx) + abs(dy) > 4:
                    self.moved = True
                if self.moved:
                    pane = self.drag_layout or layout
                    vp = viewport_for(pane, self.drag_bounds)
                    x0, y0, x1, y1 = self.drag_bounds
                    ox, oy = dx / vp.scale, dy / vp.scale
                    state.bounds_km = fit_bounds(
                        (x0 - ox, y0 + oy, x1 - ox, y1 + oy), pane.map_rect
                    )
        elif ev.type == pygame.MOUSEWHEEL:
            pos = pygame.mouse.get_pos()
            if layout.map_rect.collidepoint(pos):
                self.zoom(
                    state, self.renderer.layout_at(layout, state, pos), pos, ZOOM_STEP ** (-ev.y)
                )
        elif ev.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
            state.bounds_km = None  # re-fit the view to the new map area
        return True

    @staticmethod
    def _to_panel(ev, panel: WhatIfPanel) -> bool:
        """Whether an event goes to the open what-if panel: keys and typing, and clicks and
        wheel turns over it (clicks on the map may pick for it: see MOUSEBUTTONUP)."""
        if ev.type in (pygame.KEYDOWN, pygame.TEXTINPUT):
            return True
        if ev.type == pygame.MOUSEBUTTONDOWN and ev.button == 1:
            return panel.box is not None and panel.box.collidepoint(ev.pos)
        if ev.type == pygame.MOUSEWHEEL:
            return panel.box is not None and panel.box.collidepoint(pygame.mouse.get_pos())
        return False

    def whatif(self, state: ViewState, now_s: float) -> None:
        """Key w: pause and open the what-if panel at the hour on screen."""
        if self.panel is None:
            self.say(
                state,
                "A what-if needs the scenario: python run.py SCENARIO.yaml, or "
                "python run.py view BRANCH.yaml",
                now_s,
            )
            return
        k = min(int(math.floor(state.t + 1e-9)), self.replay.hours)
        if k >= self.replay.hours:
            self.say(state, "The run has ended: go back to an earlier hour to branch", now_s)
            return
        state.playing = False
        state.t = float(k)
        self.panel.open_at(k, state.selected)

    def _key(self, ev, state: ViewState, now_s: float) -> bool:
        rp = self.replay
        k = ev.key
        if (
            k == pygame.K_ESCAPE
            and self.panel is not None
            and self.panel.brancher.job
            and not self.panel.brancher.job.done
        ):
            self.panel.brancher.cancel()
            self.say(state, "What-if cancelled", now_s)
            return True
        if k in (pygame.K_ESCAPE, pygame.K_q):
            if state.help or state.selected:
                state.help, state.selected = False, None
                return True
            return False
        if k == pygame.K_SPACE:
            if not state.playing and state.t >= rp.hours:
                state.t = 0.0
            state.playing = not state.playing
        elif k in (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS):
            state.speed = min(state.speed + 1, len(SPEEDS_H_PER_S) - 1)
            self.say(state, f"{state.hours_per_s:g} simulated hours per second", now_s)
        elif k in (pygame.K_MINUS, pygame.K_KP_MINUS):
            state.speed = max(state.speed - 1, 0)
            self.say(state, f"{state.hours_per_s:g} simulated hours per second", now_s)
        elif k == pygame.K_RIGHT:
            state.playing = False
            state.t = min(float(rp.hours), math.floor(state.t + 1e-9) + 1.0)
        elif k == pygame.K_LEFT:
            state.playing = False
            state.t = max(0.0, math.ceil(state.t - 1e-9) - 1.0)
        elif k == pygame.K_PAGEUP:
            state.t = min(float(rp.hours), state.t + 24)
        elif k == pygame.K_PAGEDOWN:
            state.t = max(0.0, state.t - 24)
        elif k == pygame.K_HOME:
            state.t, state.playing = 0.0, False
        elif k == pygame.K_END:
            state.t, state.playing = float(rp.hours), False
        elif pygame.K_1 <= k <= pygame.K_9:
            day = k - pygame.K_1  # day 1 = the start date
            midnight = datetime.combine(rp.start.date() + timedelta(days=day), datetime.min.time())
            state.t = float(min(max((midnight - rp.start) / timedelta(hours=1), 0), rp.hours))
        elif k == pygame.K_j:
            state.jump_text = ""
            state.playing = False
            self.swallow = ev.unicode or "j"  # SDL also sends the key as TEXTINPUT
        elif k == pygame.K_h:
            state.help = not state.help
        elif k == pygame.K_z:
            state.bounds_km = None
        elif k == pygame.K_p:
            path = self.screenshot_dir / f"{rp.scenario_id}_{rp.time_at(state.t):%Y%m%dT%H%M}.png"
            surf = pygame.display.get_surface()
            if surf is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                pygame.image.save(surf, str(path))
                self.say(state, f"saved {path}", now_s)
        elif k == pygame.K_w:
            self.whatif(state, now_s)
        elif k == pygame.K_v and self.renderer.branch is not None:
            state.compare = COMPARE_MODES[
                (COMPARE_MODES.index(state.compare) + 1) % len(COMPARE_MODES)
            ]
            self.say(
                state,
                {
                    "overlay": "What-if drawn over the base run",
                    "split": "Base run (left) and what-if (right)",
                    "base": "Base run only (v: the what-if again)",
                }[state.compare],
                now_s,
            )
        elif k in LAYER_KEYS:
            layer = LAYER_KEYS[k]
            state.layers ^= {layer}
            self.say(state, f"{layer}: {'on' if layer in state.layers else 'off'}", now_s)
        return True

    def zoom(self, state: ViewState, layout: Layout, pos, factor: float) -> None:
        vp = self.renderer.viewport(layout, state)
        cx, cy = vp.to_km(*pos)
        x0, y0, x1, y1 = vp.bounds_km
        if factor < 1 and (x1 - x0) * factor < MIN_VIEW_KM:
            return
        state.bounds_km = fit_bounds(
            (
                cx - (cx - x0) * factor,
                cy - (cy - y0) * factor,
                cx + (x1 - cx) * factor,
                cy + (y1 - cy) * factor,
            ),
            layout.map_rect,
        )

    def click_map(self, pos, state: ViewState, layout: Layout) -> None:
        if "units" not in state.layers:
            return
        vp = self.renderer.viewport(layout, state)
        hit = None
        alt = self.renderer.alt  # the what-if's renderer, in split screen
        rp = alt.replay if layout.pane == "branch" and alt is not None else self.replay
        for uid, _snap, rect, _spot in unit_placements(rp, state.t, vp, layout.ui):
            if rect.inflate(6, 14).collidepoint(pos):
                hit = uid  # the last drawn (topmost) wins
        state.selected = hit

    @staticmethod
    def say(state: ViewState, message: str, now_s: float) -> None:
        state.message, state.message_until = message, now_s + 2.5
