"""The replay window, and the viewer's contract with sim/cli/main.py: the window (`play`, here),
screenshots and GIF/MP4 export (sim/view/export.py, imported from here).

    replay = Replay.from_run(record, theatre, scenario, comparison)   # or Replay.load(run_dir, ..)
    play(replay)                        # window; returns when closed
    play(replay, brancher=Brancher(...))  # ... with the what-if panel (key w)
    screenshot(replay, path, at)        # one frame to PNG, no window
    record_video(replay, path)          # the whole run to .gif or .mp4, no window
    # a what-if (sim/view/whatif_job.py, BranchView) drawn with its base run:
    play(replay, brancher=..., branch=view, mode="split")
    screenshot(replay, path, at, branch=view);  record_video(replay, path, branch=view)

The viewer reads a `Replay` (recorded frames) and never changes the model. One main loop:
events (`Controller`, sim/view/controls.py) -> the what-if panel's requests (`whatif_update`)
-> update playback (`update`) -> draw -> wait for the next frame (`FramePacer`). Keys: see
`panels.KEYS` and docs/viewer.md.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from sim.view.controls import SCREENSHOT_DIR, Controller, parse_jump  # noqa: E402
from sim.view.export import (  # noqa: E402  (the export half of this module's contract)
    MissingExtra,
    check_export,
    record_video,
    render_frame,
    screenshot,
)
from sim.view.layout import LAYERS, ViewState  # noqa: E402
from sim.view.render import Renderer  # noqa: E402
from sim.view.replay import Mark, Replay  # noqa: E402
from sim.view.whatif_draw import draw_progress  # noqa: E402
from sim.view.whatif_panel import WhatIfPanel, save_file  # noqa: E402

__all__ = [
    "MissingExtra",
    "Replay",
    "Mark",
    "play",
    "screenshot",
    "record_video",
    "check_export",
    "SCREENSHOT_DIR",
]

FPS = 30


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


# ---------------------------------------------------------------------------------- controls
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


__all__ += ["LAYERS", "render_frame", "parse_jump", "Controller", "update", "ViewState"]
