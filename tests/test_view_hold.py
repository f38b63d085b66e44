"""How the front is held, as the viewer draws it (issue 23): each side's band beside the front
line read from the frame's "hold" letters (a defence solid, a screen dashed, a gap nothing), in
the window and its legend; a frame without "hold" (an older run) draws as before."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"  # before pygame is imported anywhere
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import dataclasses  # noqa: E402
import math  # noqa: E402

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402
from viewkit import SIZE, frame, near, september_run  # noqa: E402

from sim.model.rules.front import HOLD_LETTERS  # noqa: E402
from sim.view import app, panels, style  # noqa: E402
from sim.view import render as rd  # noqa: E402
from sim.view.placement import front_bands, front_segments, offset_left  # noqa: E402
from sim.view.replay import DEFENCE, GAP, SCREEN, Replay  # noqa: E402
from sim.view.replay import HOLD_LETTERS as VIEW_LETTERS  # noqa: E402

HOUR = 66  # 8 Sep 12:00: the breakthrough at Balakliia under way


@pytest.fixture(scope="module")
def replay():
    th, sc, rec = september_run()
    return Replay.from_run(rec, th, sc)


@pytest.fixture(scope="module")
def renderer(replay):
    return rd.Renderer(replay)


def with_hold(replay: Replay, k: int, levels: dict[int, int]) -> Replay:
    """The replay with hour k's "hold" set to `levels` (theatre index -> level), every other
    place a gap."""
    where = {n: i for i, n in enumerate(replay.theatre.node_ids)}
    code = "".join(VIEW_LETTERS[levels.get(where[n], GAP)] for n in replay.node_ids)
    frames = list(replay.frames)
    frames[k] = {**frames[k], "hold": code}
    return dataclasses.replace(replay, frames=frames)


def without_hold(replay: Replay) -> Replay:
    """The replay as a run recorded before the front was kept."""
    frames = [{key: v for key, v in f.items() if key != "hold"} for f in replay.frames]
    return dataclasses.replace(replay, frames=frames)


def long_front_ridge(replay, renderer, vp, layout, k: int):
    """(UA node, RU node, a px, b px) of the longest front ridge of hour k well inside the map."""
    ua = replay.ua_held[k]
    inside = layout.map_rect.inflate(-60, -60)
    best = None
    for i, j, a, b in renderer.ridges:
        if ua[i] == ua[j]:
            continue
        u, r = (i, j) if ua[i] else (j, i)
        if renderer.russia[r]:
            continue
        pa, pb = vp.to_px(*a), vp.to_px(*b)
        if not (inside.collidepoint(pa) and inside.collidepoint(pb)):
            continue
        length = math.dist(pa, pb)
        if best is None or length > best[0]:
            best = (length, u, r, pa, pb)
    assert best is not None and best[0] > 20  # a stretch long enough to look at
    return best[1:]


def test_the_letters_are_the_models():
    assert VIEW_LETTERS == HOLD_LETTERS
    assert (GAP, SCREEN, DEFENCE) == (0, 1, 2)


def test_every_ridge_runs_with_its_first_cell_on_its_left(replay, renderer):
    g, ids = replay.theatre.graph, replay.theatre.node_ids
    for i, j, a, b in renderer.ridges:
        d = np.subtract(b, a)
        for n, sign in ((i, 1), (j, -1)):
            p = np.subtract((g.nodes[ids[n]]["x_km"], g.nodes[ids[n]]["y_km"]), a)
            assert sign * (d[0] * p[1] - d[1] * p[0]) > 0


def test_bands_follow_the_front_on_each_sides_ground(replay, renderer):
    k = HOUR
    ua, russia = replay.ua_held[k], renderer.russia
    levels = replay.hold_at(k)
    assert levels is not None
    bands = front_bands(renderer.ridges, ua, russia, levels)
    assert {b.level for b in bands} == {SCREEN, DEFENCE}  # September has both at this hour
    drawn = {
        (b.side, b.level, p, q)
        for b in bands
        for p, q in zip(b.points[:-1], b.points[1:], strict=True)
    }
    expected = set()
    for i, j, a, b in renderer.ridges:
        if ua[i] != ua[j] and not russia[j if ua[i] else i]:
            for n, ab in ((i, (a, b)), (j, (b, a))):
                if levels[n] > GAP:
                    expected.add(("UA" if ua[n] else "RU", int(levels[n]), *ab))
    assert drawn == expected  # every held stretch once, none at a gap, the ground on the left
    assert len(expected) < 2 * len(front_segments(renderer.ridges, ua, russia))  # gaps exist


def test_a_defence_draws_a_solid_band_and_a_gap_none(replay, renderer):
    layout = rd.Layout.for_size(SIZE)
    state = rd.ViewState(t=HOUR)
    vp = renderer.viewport(layout, state)
    u, r, pa, pb = long_front_ridge(replay, renderer, vp, layout, HOUR)
    shown = with_hold(replay, HOUR, {u: DEFENCE})  # Ukraine holds a line, Russia nothing
    surf, vp, _ = frame(shown, HOUR, layers=("territory", "hold"))
    ui = layout.ui
    (ax, ay), (bx, by) = pa, pb
    length = math.hypot(bx - ax, by - ay)
    tx, ty = (bx - ax) / length, (by - ay) / length
    node = replay.theatre.graph.nodes[replay.theatre.node_ids[u]]
    ux, uy = vp.to_px(node["x_km"], node["y_km"])
    mx, my = (ax + bx) / 2, (ay + by) / 2
    nx, ny = -ty, tx
    if (ux - mx) * nx + (uy - my) * ny < 0:  # the normal toward Ukraine's ground
        nx, ny = -nx, -ny
    _, off = style.hold_band_px(DEFENCE, ui)
    for f in (0.3, 0.5, 0.7):
        x, y = ax + f * (bx - ax), ay + f * (by - ay)
        assert near(surf, (x + nx * off, y + ny * off), style.HOLD_INK["UA"], radius=1)
        for side in ("UA", "RU"):  # across the line, Russia's gap: no band
            assert not near(surf, (x - nx * off, y - ny * off), style.HOLD_INK[side], radius=1)
    plain, _, _ = frame(shown, HOUR, layers=("territory",))  # key f off: the bare line
    assert not near(plain, (mx + nx * off, my + ny * off), style.HOLD_INK["UA"], radius=1)


def test_a_screen_draws_a_dashed_band(replay, renderer):
    layout = rd.Layout.for_size(SIZE)
    vp = renderer.viewport(layout, rd.ViewState(t=HOUR))
    u, r, pa, pb = long_front_ridge(replay, renderer, vp, layout, HOUR)
    shown = with_hold(replay, HOUR, {r: SCREEN})
    surf, _, _ = frame(shown, HOUR, layers=("territory", "hold"))
    node = replay.theatre.graph.nodes[replay.theatre.node_ids[r]]
    rx, ry = vp.to_px(node["x_km"], node["y_km"])
    (ax, ay), (bx, by) = pa, pb
    length = math.hypot(bx - ax, by - ay)
    nx, ny = -(by - ay) / length, (bx - ax) / length
    if (rx - (ax + bx) / 2) * nx + (ry - (ay + by) / 2) * ny < 0:
        nx, ny = -nx, -ny
    _, off = style.hold_band_px(SCREEN, layout.ui)
    hits = [
        near(
            surf,
            (ax + f * (bx - ax) + nx * off, ay + f * (by - ay) + ny * off),
            style.HOLD_INK["RU"],
        )
        for f in np.linspace(0.1, 0.9, 25)
    ]
    assert 0.25 < sum(hits) / len(hits) < 0.9  # dashes: ink, then gaps


def test_a_frame_without_hold_draws_as_before(replay):
    old = without_hold(replay)
    assert not old.has_hold and old.hold_at(HOUR) is None and replay.has_hold
    a, _, _ = frame(old, HOUR)  # every layer on, the key f's too
    state_off = set(rd.ViewState().layers) - {"hold"}
    b, _, _ = frame(replay, HOUR, layers=state_off)
    assert pygame.image.tobytes(a, "RGB") == pygame.image.tobytes(b, "RGB")
    c, _, _ = frame(replay, HOUR)
    assert pygame.image.tobytes(c, "RGB") != pygame.image.tobytes(b, "RGB")


def test_the_legend_names_the_styles_only_when_they_are_drawn(replay):
    ui = 1.0
    with_rows, plain = panels.legend(300, ui, hold=True), panels.legend(300, ui)
    assert with_rows.get_height() > plain.get_height()
    state = rd.ViewState()
    assert panels.shows_hold(state, replay)
    assert not panels.shows_hold(state, without_hold(replay))
    state.layers.discard("territory")
    assert not panels.shows_hold(state, replay)


def test_key_f_toggles_the_bands_and_help_lists_it(replay, renderer):
    c = app.Controller(replay, renderer)
    state = rd.ViewState()
    layout = rd.Layout.for_size(SIZE)
    assert "hold" in state.layers  # on by default
    c.handle(
        pygame.event.Event(pygame.KEYDOWN, key=pygame.K_f, mod=0, unicode="f"), state, layout, 0
    )
    assert "hold" not in state.layers and "front is held: off" in state.message
    assert any(k == "f" for k, _ in panels.KEYS)


def test_offset_left_keeps_its_distance_round_a_corner():
    pts = [(0.0, 0.0), (100.0, 0.0), (100.0, 100.0)]  # east, then south on the screen
    out = offset_left(pts, 5.0)
    assert out[0] == pytest.approx((0.0, -5.0))  # left of going east (y down) is up
    assert out[-1] == pytest.approx((105.0, 100.0))  # left of going south is east
    assert out[1] == pytest.approx((105.0, -5.0))  # the mitred corner, 5 px from both legs
    ring = [(0.0, 0.0), (0.0, 10.0), (10.0, 10.0), (10.0, 0.0), (0.0, 0.0)]
    moved = offset_left(ring, 1.0)
    assert moved[0] == pytest.approx(moved[-1])  # a ring stays closed
