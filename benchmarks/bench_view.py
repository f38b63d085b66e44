"""Viewer frame rate, offscreen: simulated playback at the default speed and at 1280x800,
alone or while a what-if branch simulates in the background.

    python benchmarks/bench_view.py [--seconds 180] [--size 1280x800]
    python benchmarks/bench_view.py --branch [--seconds 30] [--scenario SCENARIO.yaml]

Runs the September scenario once (a few seconds), then draws frames exactly as the window's
loop does (update playback by 1/30 s, draw everything) for `--seconds` of wall-clock playback
time at the window's default speed, looping the replay. Prints frames per second and ms per
frame (mean, median, 95th percentile, worst). No window, no vsync: this is the drawing cost.

With --branch, what-if branches (sim/view/whatif_job.py) are simulated one after another in
the background, as the window's what-if panel starts them (each shown for half a second before
the next starts), for the whole measurement:
first drawing flat out (the drawing cost while the model runs beside it), then paced by the
window's frame pacer, as `play()` runs (the frame rate a viewer sees: the target is 30; the
paced run is printed without --branch too, for comparison). It also prints how long each
branch took to simulate while the window was drawing. --thread simulates the branches in a
thread of the window's process instead of the worker process, to compare.
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

from sim.map.theatre import build_theatre  # noqa: E402
from sim.model import CampaignModel  # noqa: E402
from sim.runs.history import compare  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.scenario.theatre import theatre_for  # noqa: E402
from sim.view.app import FPS, FramePacer, Replay, update  # noqa: E402
from sim.view.render import Renderer, ViewState  # noqa: E402
from sim.view.whatif_draw import draw_progress  # noqa: E402
from sim.view.whatif_job import Brancher  # noqa: E402
from sim.whatif.branch import Change  # noqa: E402

#: Frames the window shows a finished what-if before the next one is started (half a second).
REST_FRAMES = 15
#: The what-ifs the --branch run cycles through, per scenario: (hour, change).
BRANCHES = {
    "izium_2022_09": [
        (84, Change(save_bridge="kupiansk_road_bridge")),
        (40, Change(strength="ru_rosg_balakliia", factor=2.0)),
        (120, Change(withdrawal="RU", on=False)),
    ],
    "izium_2022_03": [
        (176, Change(save_bridge="izium_road_bridge")),
        (144, Change(strength="ua_122_tdf", factor=4.0)),
        (200, Change(withdrawal="UA", on=False)),
    ],
}


def _stats(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return (
        f"ms per frame: mean {statistics.fmean(ms):.1f}, median {statistics.median(ms):.1f}, "
        f"p95 {ms[int(0.95 * len(ms))]:.1f}, worst {ms[-1]:.1f} (budget {1000 / FPS:.1f})"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=180.0, help="playback seconds to draw")
    ap.add_argument("--size", default="1280x800")
    ap.add_argument("--scenario", default="scenarios/izium_2022_09.yaml")
    ap.add_argument(
        "--branch",
        action="store_true",
        help="simulate what-if branches in the background while drawing",
    )
    ap.add_argument(
        "--thread",
        action="store_true",
        help="with --branch: simulate in a thread of this process, not in the "
        "worker process (to compare)",
    )
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    sc = load_scenario(args.scenario, build_theatre())
    th = theatre_for(sc)  # the scenario's own map: the places it adds
    rec = CampaignModel(sc, th, seed=0).run()
    replay = Replay.from_run(rec, th, sc, compare(rec, sc, th))
    pygame.display.init()  # not pygame.init(): no audio
    pygame.font.init()
    screen = pygame.display.set_mode(size)  # dummy driver: a real display surface, unseen
    renderer = Renderer(replay)
    state = ViewState(playing=True)
    brancher = None
    if args.branch:
        brancher = Brancher(
            sc, th, sc.parameters_with(), 0, base_record=rec, process=not args.thread
        )
        brancher.warm()
    done: list[float] = []
    n_job = 0

    since_swap = [REST_FRAMES]
    windows: list[list[float]] = []  # [start, end] of each branch's simulation, wall clock

    def keep_branching() -> None:
        """Show a finished what-if, and start the next one REST_FRAMES frames later (the
        window shows each for a moment, as in class)."""
        nonlocal n_job
        job = brancher.job
        if job is not None and job.done and not job.shown:
            job.shown = True
            done.append(job.seconds)
            windows[-1][1] = time.perf_counter()
            if job.result is not None:
                renderer.set_branch(job.result)
                since_swap[0] = 0
        since_swap[0] += 1
        if (job is None or job.done) and since_swap[0] > REST_FRAMES:
            hour, change = BRANCHES[sc.id][n_job % len(BRANCHES[sc.id])]
            n_job += 1
            brancher.start(hour, [change])
            windows.append([time.perf_counter(), float("inf")])

    def frame(layout=None) -> float:
        t0 = time.perf_counter()
        update(state, replay, 1 / FPS, 0.0)
        if not state.playing:  # loop the replay
            state.t, state.playing = 0.0, True
        lay = renderer.draw(screen, state)
        if brancher is not None and brancher.job is not None and not brancher.job.done:
            draw_progress(screen, lay, brancher.job)
        pygame.display.flip()
        return time.perf_counter() - t0

    n = round(args.seconds * FPS)
    times = []
    for _ in range(n):
        if brancher is not None:
            keep_branching()
        times.append(frame())
    total = sum(times)
    what = " while what-if branches simulate in the background" if brancher else ""
    print(
        f"{sc.id} at {size[0]}x{size[1]}, {state.hours_per_s:g} simulated h/s, "
        f"{n} frames = {args.seconds:g} s of playback at {FPS} fps{what}"
    )
    print(f"  drawing flat out: {n / total:.0f} frames per second")
    print(f"  {_stats(times)}")
    pacer = FramePacer(FPS)
    t0, paced = time.perf_counter(), []
    if brancher is not None:  # count from here the windows of branches being simulated
        running = brancher.job is not None and not brancher.job.done
        windows[:] = [[t0, float("inf")]] if running else []
    shown_at: list[float] = []  # when each paced frame was on screen
    for _ in range(n):
        if brancher is not None:
            keep_branching()
        paced.append(frame())
        shown_at.append(time.perf_counter())
        pacer.wait()
    wall = time.perf_counter() - t0
    print(
        f"  paced at {FPS} fps as play() paces its frames (FramePacer): "
        f"{n / wall:.1f} frames per second achieved ({n} frames in {wall:.1f} s)"
    )
    print(f"  {_stats(paced)}")
    if windows:
        spans = [(a, min(b, shown_at[-1])) for a, b in windows if a < shown_at[-1]]
        inside = sum(1 for t in shown_at if any(a <= t < b for a, b in spans))
        busy = sum(b - a for a, b in spans)
        print(
            f"  while the worker was simulating ({busy:.1f} s in all): {inside / busy:.1f} "
            "frames per second"
        )
    if brancher is not None:
        brancher.close()
        if done:
            hours = ", ".join(str(h) for h, _ in BRANCHES[sc.id])
            print(
                f"  {len(done)} branches simulated while drawing, {statistics.fmean(done):.1f} s "
                f"each on average (from the base at hours {hours} to the end)"
            )
    pygame.quit()


if __name__ == "__main__":
    main()
