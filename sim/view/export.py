"""Frames without a window: one frame on an offscreen surface (`render_frame`), a PNG
(`screenshot`), the whole run as a GIF or an MP4 (`record_video`), and what each export needs
installed (`check_export`, `MissingExtra`). A what-if (sim/view/whatif_job.py, `BranchView`) is
drawn with its base run, over it or beside it. The same `Renderer` draws the window's frames
(sim/view/app.py), so an export shows what the window shows.
"""

from __future__ import annotations

import math
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from sim.view.render import Renderer, ViewState  # noqa: E402
from sim.view.replay import Replay  # noqa: E402

GIF_STEP_H = 3.0  # one GIF frame per 3 simulated hours
GIF_FRAME_S = 0.15
GIF_MAX_FRAMES = 100
WHATIF_LEAD_H = 24  # an export of a what-if starts this long before its branch hour
MP4_STEP_H = 0.5
MP4_FPS = 24
HOLD_END_S = 2.0  # the last frame stays this long


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
