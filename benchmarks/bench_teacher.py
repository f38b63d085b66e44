"""A teacher's three steps in the real window, timed: pause, change one thing, watch.

    python benchmarks/bench_teacher.py [--out runs/teacher] [--keep-display]

Starts a virtual X display (Xvfb; Debian packages xvfb, xdotool and x11-apps for xwd), opens
the September replay the way a teacher would (`python run.py scenarios/izium_2022_09.yaml`),
and drives the real window with xdotool, typing at a teacher's pace (KEY_DELAY_MS per key):

1. pause: `j`, "9 6", Enter (jump to 9 Sep 06:00; the replay pauses there);
2. change: `w` (the what-if panel), `1` (a bridge), "kupiansk road", Enter (the Kupiansk road
   bridge), Enter ("cannot be destroyed"), Enter (run the what-if);
3. watch: as soon as the what-if is on the map, Space (both futures play).

It prints the time from the first key to the what-if on screen, and to the end of a few
seconds of watching, and saves a screenshot after each step (PNG, from `xwd`) to look at.
The target (issue 14): under a minute for the three steps.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DISPLAY = ":94"
SIZE = (1280, 800)
KEY_DELAY_MS = 150  # a brisk typist; the real bottleneck is reading the menu
WATCH_S = 4.0
WHATIF_RGB = (204, 121, 167)  # sim/view/panels.py WHATIF


def xwd_png(path: Path, display: str) -> np.ndarray:
    """A screenshot of the whole X screen (xwd, 24/32-bit TrueColor) as an RGB array; also
    saved as a PNG at `path`."""
    raw = subprocess.run(
        ["xwd", "-root", "-silent", "-display", display], check=True, capture_output=True
    ).stdout
    head = np.frombuffer(raw[:100], dtype=">u4")
    header_size, width, height = int(head[0]), int(head[4]), int(head[5])
    bits_per_pixel, bytes_per_line, ncolors = int(head[11]), int(head[12]), int(head[19])
    byte_order = int(head[7])  # 0: LSB first
    offset = header_size + 12 * ncolors
    data = np.frombuffer(raw[offset : offset + bytes_per_line * height], dtype=np.uint8)
    rows = data.reshape(height, bytes_per_line)[:, : width * bits_per_pixel // 8]
    px = rows.reshape(height, width, bits_per_pixel // 8)
    rgb = px[:, :, [2, 1, 0]] if byte_order == 0 else px[:, :, [1, 2, 3]]
    from PIL import Image

    Image.fromarray(np.ascontiguousarray(rgb)).save(path)
    return rgb


def purple_pixels(rgb: np.ndarray, box: tuple[int, int, int, int]) -> int:
    x0, y0, x1, y1 = box
    part = rgb[y0:y1, x0:x1].astype(int)
    return int((np.abs(part - np.array(WHATIF_RGB)).sum(axis=2) < 30).sum())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "runs" / "teacher")
    ap.add_argument("--keep-display", action="store_true")
    args = ap.parse_args()
    for tool in ("Xvfb", "xdotool", "xwd"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install xvfb xdotool x11-apps", file=sys.stderr)
            return 2
    args.out.mkdir(parents=True, exist_ok=True)
    xvfb = subprocess.Popen(
        ["Xvfb", DISPLAY, "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"],
        stderr=subprocess.DEVNULL,
    )
    env = {**os.environ, "DISPLAY": DISPLAY, "SDL_VIDEODRIVER": "x11"}
    env.pop("WAYLAND_DISPLAY", None)
    viewer = None
    try:
        time.sleep(1.0)
        t_launch = time.perf_counter()
        viewer = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "run.py"),
                "scenarios/izium_2022_09.yaml",
                "--out",
                str(args.out / "run"),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        win = ""
        while not win and time.perf_counter() - t_launch < 60:
            time.sleep(0.3)
            found = subprocess.run(
                ["xdotool", "search", "--class", "run.py"], env=env, capture_output=True, text=True
            )
            win = found.stdout.split()[0] if found.stdout.split() else ""
        if not win:
            print(
                "the window did not open",
                viewer.stderr.read() if viewer.poll() else "",
                file=sys.stderr,
            )
            return 1
        print(
            f"window open {time.perf_counter() - t_launch:.1f} s after launch "
            "(the base run is simulated first)"
        )
        time.sleep(1.5)  # the replay plays for a moment, as in a classroom

        def keys(*items: str) -> None:
            for item in items:
                if item.startswith("type:"):
                    subprocess.run(
                        ["xdotool", "type", "--delay", str(KEY_DELAY_MS), item[5:]],
                        env=env,
                        check=True,
                    )
                else:
                    subprocess.run(
                        ["xdotool", "key", "--delay", str(KEY_DELAY_MS), item], env=env, check=True
                    )

        subprocess.run(["xdotool", "windowfocus", "--sync", win], env=env)  # (no window manager)
        t0 = time.perf_counter()
        keys("j", "type:9 6", "Return")  # 1. pause at 9 Sep 06:00
        time.sleep(0.4)
        xwd_png(args.out / "1_paused.png", DISPLAY)
        keys("w", "type:1", "type:kupiansk road")  # 2. change: the panel, a bridge, filtered
        time.sleep(0.4)
        xwd_png(args.out / "2_panel.png", DISPLAY)
        keys("Return", "Return")
        time.sleep(0.3)
        xwd_png(args.out / "3_ready.png", DISPLAY)
        keys("Return")  # run the what-if
        t_run = time.perf_counter()
        shown = None
        while time.perf_counter() - t_run < 60:
            time.sleep(0.25)
            rgb = xwd_png(args.out / "4_running.png", DISPLAY)
            # the what-if banner's purple frame, top left of the map, once the branch is in
            if (
                purple_pixels(rgb, (0, 0, 700, 60)) > 400
                and purple_pixels(rgb, (0, SIZE[1] - 140, 880, SIZE[1])) > 30
            ):
                shown = time.perf_counter()
                break
        if shown is None:
            print("the what-if did not appear within 60 s", file=sys.stderr)
            return 1
        xwd_png(args.out / "5_whatif.png", DISPLAY)
        keys("space")  # 3. watch both futures
        time.sleep(WATCH_S)
        xwd_png(args.out / "6_watching.png", DISPLAY)
        t_end = time.perf_counter()
        print(f"pause and change (typed at {KEY_DELAY_MS} ms a key): {t_run - t0:.1f} s")
        print(f"the what-if simulated and on screen: {shown - t_run:.1f} s after Enter")
        print(
            f"three steps, with {WATCH_S:g} s of watching: {t_end - t0:.1f} s (target: under 60 s)"
        )
        print(f"screenshots in {args.out}")
        keys("q")
        try:
            viewer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            viewer.kill()
        return 0
    finally:
        if viewer is not None and viewer.poll() is None:
            viewer.kill()
        if not args.keep_display:
            xvfb.terminate()
            xvfb.wait()


if __name__ == "__main__":
    sys.exit(main())
