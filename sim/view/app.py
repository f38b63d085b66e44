"""The replay window, screenshots and GIF/MP4 export (called by sim/cli.py).

    replay = Replay.from_run(record, theatre, scenario, comparison)   # or Replay.load(run_dir, ..)
    play(replay)                        # window; returns when closed
    play(replay, brancher=Brancher(...))  # ... with the what-if panel (key w)
    screenshot(replay, path, at)        # one frame to PNG, no window
    record_video(replay, path)          # the whole run to .gif or .mp4, no window
    # a what-if (sim/view/whatif_job.py, BranchView) drawn with its base run:
    play(replay, brancher=..., branch=view, mode="split")
    screenshot(replay, path, at, branch=view);  record_video(replay, path, branch=view)

The viewer reads a `Replay` (recorded frames) and never changes the model. One main loop:
events -> update playback -> draw -> wait for the next frame (`FramePacer`). Keys: see
`panels.KEYS` and docs/viewer.md.
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from sim.view.render import (  # noqa: E402
    COMPARE_MODES,
    LAYERS,
    SPEEDS_H_PER_S,
    Layout,
    Renderer,
    ViewState,
    fit_bounds,
    unit_placements,
    viewport_for,
)
from sim.view.replay import Mark, Replay  # noqa: E402
from sim.view.timeline import timeline_t  # noqa: E402
from sim.view.whatif_panel import WhatIfPanel, draw_progress, save_file  # noqa: E402

__all__ = ["MissingExtra", "Replay", "Mark", "play", "screenshot", "record_video"]

FPS = 30
#: Where key p saves the window, under the current folder: inside runs/, which .gitignore
#: covers, so a screenshot taken in a clone of the repository is not committed by accident.
SCREENSHOT_DIR = Path("runs") / "screenshots"
GIF_STEP_H = 3.0  # one GIF frame per 3 simulated hours
GIF_FRAME_S = 0.15
GIF_MAX_FRAMES = 100
WHATIF_LEAD_H = 24  # an export of a what-if starts this long before its branch hour
MP4_STEP_H = 0.5
MP4_FPS = 24
HOLD_END_S = 2.0  # the last frame stays this long
LAYER_KEYS = {
    pygame.K_t: "territory",
    pygame.K_u: "units",
    pygame.K_r: "roads",
    pygame.K_l: "labels",
    pygame.K_b: "battles",
    pygame.K_g: "legend",
    pygame.K_e: "ticker",
}
ZOOM_STEP = 1.25
MIN_VIEW_KM = 20.0


class FramePacer:
    """Frames at a steady rate: each frame is due at start + n / fps, and the loop sleeps until
    then. A late frame (a slow one, or a busy machine waking the process late) is made up by
    shorter waits after it, so the rate holds on average, which pygame's Clock.tick (a fixed
    wait after each frame) does not; a loop more than `MAX_BEHIND` frames behind (a stall: an
    export, a resize) starts afresh rather than rushing that many frames."""

    MAX_BEHIND = 3

    def __init__(self, fps: float):
        self.period = 1.0 / fps
        self.last = time.perf_counter()
        self.due = self.last + self.period

    def wait(self) -> float:
        """Sleep until the next frame is due; returns the seconds since the last frame."""
        now = time.perf_counter()
        if self.due > now:
            time.sleep(self.due - now)
            now = time.perf_counter()
        self.due = max(self.due, now - self.MAX_BEHIND * self.period) + self.period
        dt, self.last = now - self.last, now
        return dt


class MissingExtra(Exception):
    """An optional dependency is not installed (e.g. imageio-ffmpeg for MP4)."""


#: The packages each export format imports, and what to install for them.
EXPORT_NEEDS = {
    ".gif": (("PIL",), 'GIF export needs Pillow: pip install -e ".[video]"'),
    ".mp4": (
        ("imageio", "imageio_ffmpeg"),
        'MP4 export needs imageio and imageio-ffmpeg: pip install -e ".[video]"',
    ),
}


def check_export(path: Path) -> None:
    """Raise MissingExtra if a package that exporting to `path` (.gif or .mp4) needs is not
    installed; checked without importing it, so a caller can ask before simulating."""
    import importlib.util

    modules, message = EXPORT_NEEDS.get(Path(path).suffix.lower(), ((), ""))
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise MissingExtra(message)


class Closed(Exception):
    """The window was closed during an export."""


# ---------------------------------------------------------------------------------- controls
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


def update(state: ViewState, replay: Replay, dt_s: float, now_s: float) -> None:
    """Advance playback by `dt_s` real seconds; stop at the end."""
    if state.playing:
        state.t += dt_s * state.hours_per_s
        if state.t >= replay.hours:
            state.t, state.playing = float(replay.hours), False
    if state.message and now_s > state.message_until:
        state.message = ""


# ---------------------------------------------------------------------------------- entry points
def play(
    replay: Replay,
    *,
    size=(1280, 800),
    brancher=None,
    branch=None,
    mode: str = "overlay",
    screenshot_dir: Path = SCREENSHOT_DIR,
) -> None:
    """Open a resizable window and play the replay; returns when the window is closed.

    With a `brancher` (sim/view/whatif_job.py) the what-if panel is on key w. With `branch` (a
    finished what-if) the window opens at its branch hour, paused, showing it (`mode`:
    "overlay" or "split"). Key p saves the window to `screenshot_dir`."""
    pygame.display.init()  # not pygame.init(): no audio
    pygame.font.init()
    if brancher is not None:
        brancher.warm()  # the what-if worker process starts while the window opens
    try:
        window = pygame.display.set_mode(size, pygame.RESIZABLE)
        pygame.display.set_caption(f"{replay.title} (seed {replay.seed})")
        pygame.key.start_text_input()
        renderer = Renderer(replay)
        panel = WhatIfPanel(brancher, renderer) if brancher is not None else None
        control = Controller(replay, renderer, panel, screenshot_dir)
        state = ViewState(playing=branch is None, compare=mode)
        if branch is not None:
            renderer.set_branch(branch)
            state.t = float(branch.hour)
            control.say(state, "What if: space plays both futures; v: overlay, split or base", 0.0)
            state.message_until = 6.0
        pacer = FramePacer(FPS)
        layout = renderer.layout(window.get_size())
        dt = 0.0
        running = True
        while running:
            now = pygame.time.get_ticks() / 1000
            for ev in pygame.event.get():  # 1. events
                if not control.handle(ev, state, layout, now):
                    running = False
                    break
            if not running:
                break
            whatif_update(control, state, now)
            update(state, replay, dt, now)  # 2. playback
            screen = pygame.display.get_surface()  # the window's, as resized
            assert screen is not None  # the window opened above (closing it ends the loop)
            layout = renderer.draw(screen, state)  # 3. draw
            if panel is not None:
                panel.draw(screen, layout)
                job = panel.brancher.job
                if job is not None and not job.done:
                    draw_progress(screen, layout, job)
            pygame.display.flip()
            dt = pacer.wait()  # 4. tick
    except KeyboardInterrupt:
        pass
    finally:
        if brancher is not None:
            brancher.close()
        pygame.quit()


def whatif_update(control: Controller, state: ViewState, now_s: float) -> None:
    """Act on what the what-if panel asked for (run, save, clear), and show a finished
    what-if (or why it failed)."""
    panel = control.panel
    if panel is None:
        return
    b = panel.brancher
    request, control.request = control.request, None
    if request == "run" and panel.changes:
        b.start(panel.hour, panel.changes, title="What if: " + "; ".join(panel.texts()))
        panel.close()
    elif request == "save" and control.renderer.branch is not None:
        try:
            path = save_file(b, control.renderer.branch)
            control.say(state, f"saved {path} (python run.py view {path})", now_s)
        except OSError as e:
            control.say(state, f"could not save: {e.strerror or e}", now_s)
        panel.close()
    elif request == "clear":
        control.renderer.set_branch(None)
        panel.close()
        control.say(state, "What-if cleared", now_s)
    job = b.job
    if job is not None and job.done and not job.shown:
        job.shown = True
        if job.result is not None:
            control.renderer.set_branch(job.result)
            state.compare = "overlay" if state.compare == "base" else state.compare
            control.say(
                state,
                f"What if ready ({job.seconds:.1f} s): space plays both "
                "futures; v: overlay, split or base",
                now_s,
            )
            state.message_until = now_s + 6.0
        elif job.error != "cancelled":
            panel.failed(job.hour, job.changes, f"Cannot branch here: {job.error}")


def render_frame(
    replay: Replay,
    t: float,
    size=(1280, 800),
    *,
    renderer: Renderer | None = None,
    state: ViewState | None = None,
    branch=None,
    mode: str = "overlay",
) -> pygame.Surface:
    """One frame at playback hour `t` on a new offscreen surface (no window needed); with a
    what-if (`branch`), drawn over the base or beside it (`mode`)."""
    if not pygame.font.get_init():
        pygame.font.init()
    if renderer is None:
        renderer = Renderer(replay)
        renderer.set_branch(branch)
    state = state or ViewState(compare=mode)
    state.t = float(t)
    surface = pygame.Surface(size)
    renderer.draw(surface, state)
    return surface


def screenshot(
    replay: Replay,
    path: Path,
    at: datetime,
    *,
    size=(1280, 800),
    branch=None,
    mode: str = "overlay",
) -> None:
    """Render the frame at `at` (clamped to the run) to a PNG, without a window (with a
    what-if `branch`: drawn as `mode` says)."""
    t = (at - replay.start) / timedelta(hours=1)
    t = min(max(t, 0.0), float(replay.hours))
    surface = render_frame(replay, t, size, branch=branch, mode=mode)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(path))


def _frame_array(surface: pygame.Surface):
    import numpy as np

    return np.ascontiguousarray(pygame.surfarray.array3d(surface).swapaxes(0, 1))


def _shared_palette(images, Image, colours: int = 128):
    """One palette for every GIF frame, from a montage of frames across the run (so colours
    that appear late, such as combat bursts, are in it)."""
    picks = images[:: max(1, len(images) // 12)] + [images[-1]]
    w, h = images[0].size
    tw, th = w // 2, h // 2
    montage = Image.new("RGB", (tw, th * len(picks)))
    for i, im in enumerate(picks):
        montage.paste(im.resize((tw, th), Image.Resampling.NEAREST), (0, i * th))
    return montage.quantize(colors=colours, method=Image.Quantize.MEDIANCUT)


def _check_closed() -> None:
    """During an export from inside a running window, a QUIT ends the export cleanly."""
    if pygame.display.get_init() and pygame.display.get_surface() is not None:
        if pygame.event.get(pygame.QUIT):
            raise Closed


def record_video(
    replay: Replay,
    path: Path,
    *,
    size=(1280, 800),
    step_h: float | None = None,
    progress=None,
    branch=None,
    mode: str = "overlay",
) -> None:
    """Render the whole replay to `path` (.gif or .mp4) without a window. With a what-if
    (`branch`), both futures are drawn (`mode`: "overlay" or "split"), from WHATIF_LEAD_H
    before its branch hour (until then the two runs are one).

    GIF: one frame per `step_h` simulated hours (default 3, more for runs longer than
    `GIF_MAX_FRAMES` frames), one shared 128-colour palette, no
    dithering (flat map colours compress well). MP4: H.264 through imageio-ffmpeg, two frames
    per simulated hour at 24 fps. Raises MissingExtra if the needed package is missing."""
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in (".gif", ".mp4"):
        raise ValueError(f"{path}: expected a .gif or .mp4 file name")
    check_export(path)
    if kind == ".mp4":
        try:
            import imageio.v2 as iio
            import imageio_ffmpeg  # noqa: F401
        except ImportError:
            raise MissingExtra(
                'MP4 export needs imageio and imageio-ffmpeg: pip install -e ".[video]"'
            ) from None
    else:
        try:
            from PIL import Image
        except ImportError:
            raise MissingExtra(
                'GIF export needs imageio (with Pillow): pip install -e ".[video]"'
            ) from None
    if step_h is None:  # long runs: fewer frames, so a GIF stays a few MB
        step_h = (
            max(GIF_STEP_H, math.ceil(replay.hours / GIF_MAX_FRAMES))
            if kind == ".gif"
            else MP4_STEP_H
        )
    step = step_h
    first = max(0.0, float(branch.hour - WHATIF_LEAD_H)) if branch is not None else 0.0
    if branch is not None and kind == ".gif":  # a shorter span: finer steps, same file size
        step = max(1.0, min(step, math.ceil((replay.hours - first) / GIF_MAX_FRAMES)))
    n = int(math.floor((replay.hours - first) / step)) + 1
    times = [min(first + i * step, float(replay.hours)) for i in range(n)]
    if times[-1] < replay.hours:
        times.append(float(replay.hours))
    renderer = Renderer(replay)
    renderer.set_branch(branch)
    state = ViewState(playing=True, compare=mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".partial" + path.suffix)
    if not pygame.font.get_init():
        pygame.font.init()
    surface = pygame.Surface(size)
    try:
        if kind == ".mp4":
            writer = iio.get_writer(
                str(tmp),
                format="FFMPEG",
                mode="I",
                fps=MP4_FPS,
                codec="libx264",
                quality=7,
                macro_block_size=8,
                pixelformat="yuv420p",
            )
            try:
                for i, t in enumerate(times):
                    _check_closed()
                    state.t = t
                    renderer.draw(surface, state)
                    frame = _frame_array(surface)
                    for _ in range(1 if i < len(times) - 1 else int(HOLD_END_S * MP4_FPS)):
                        writer.append_data(frame)
                    if progress:
                        progress(i + 1, len(times))
            finally:
                writer.close()
        else:
            rgb = []
            for i, t in enumerate(times):
                _check_closed()
                state.t = t
                renderer.draw(surface, state)
                rgb.append(Image.frombytes("RGB", size, pygame.image.tobytes(surface, "RGB")))
                if progress:
                    progress(i + 1, len(times))
            palette = _shared_palette(rgb, Image)
            frames = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in rgb]
            durations = [round(GIF_FRAME_S * 1000)] * (len(frames) - 1) + [round(HOLD_END_S * 1000)]
            frames[0].save(
                str(tmp),
                save_all=True,
                append_images=frames[1:],
                duration=durations,
                loop=0,
                optimize=False,
                disposal=1,
            )
        os.replace(tmp, path)
    except (Closed, KeyboardInterrupt):
        tmp.unlink(missing_ok=True)
        print(f"export of {path} stopped: no file written", file=sys.stderr)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


__all__ += ["LAYERS", "render_frame", "parse_jump", "Controller", "update", "ViewState"]
