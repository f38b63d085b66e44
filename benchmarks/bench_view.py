"""Viewer frame rate, offscreen: simulated playback at the default speed and at 1280x800.

    python benchmarks/bench_view.py [--seconds 180] [--size 1280x800]

Runs the September scenario once (a few seconds), then draws frames exactly as the window's
loop does (update playback by 1/30 s, draw everything) for `--seconds` of wall-clock playback
time at the window's default speed, looping the replay. Prints frames per second and ms per
frame (mean, median, 95th percentile, worst). No window, no vsync: this is the drawing cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pygame  # noqa: E402

from sim.model import CampaignModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.theatre import build_theatre  # noqa: E402
from sim.view.app import FPS, Replay, update  # noqa: E402
from sim.view.render import Renderer, ViewState  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=180.0, help="playback seconds to draw")
    ap.add_argument("--size", default="1280x800")
    ap.add_argument("--scenario", default="scenarios/izium_2022_09.yaml")
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    th = build_theatre()
    sc = load_scenario(args.scenario, th)
    rec = CampaignModel(sc, th, seed=0).run()
    replay = Replay.from_run(rec, th, sc)
    pygame.display.init()  # not pygame.init(): no audio
    pygame.font.init()
    screen = pygame.display.set_mode(size)  # dummy driver: a real display surface, unseen
    renderer = Renderer(replay)
    state = ViewState(playing=True)
    n = round(args.seconds * FPS)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        update(state, replay, 1 / FPS, 0.0)
        if not state.playing:  # loop the replay
            state.t, state.playing = 0.0, True
        renderer.draw(screen, state)
        pygame.display.flip()
        times.append(time.perf_counter() - t0)
    pygame.quit()
    ms = sorted(t * 1000 for t in times)
    total = sum(times)
    print(
        f"{sc.id} at {size[0]}x{size[1]}, {state.hours_per_s:g} simulated h/s, "
        f"{n} frames = {args.seconds:g} s of playback at {FPS} fps"
    )
    print(f"  {n / total:.0f} frames per second when drawing flat out")
    print(
        f"  ms per frame: mean {statistics.fmean(ms):.1f}, median {statistics.median(ms):.1f}, "
        f"p95 {ms[int(0.95 * len(ms))]:.1f}, worst {ms[-1]:.1f} (budget {1000 / FPS:.1f})"
    )


if __name__ == "__main__":
    main()
