"""The viewer's what-if (issue 14), rendered offscreen: a branch drawn over the base run and
side by side, its dates on the timeline and sidebar, the panel a teacher types into (keys and
map clicks), saving and recording a what-if."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"  # before pygame is imported anywhere
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from datetime import datetime  # noqa: E402

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402
from viewkit import SIZE, STRIKE, frame, september_run  # noqa: E402

from sim.view import app, export, panels  # noqa: E402
from sim.view import render as rd  # noqa: E402
from sim.view.app import Replay, record_video, render_frame  # noqa: E402


@pytest.fixture(scope="module")
def run():
    return september_run()


@pytest.fixture(scope="module")
def replay(run):
    th, sc, rec = run
    return Replay.from_run(rec, th, sc)


@pytest.fixture(scope="module")
def brancher(run):
    from sim.view.whatif_job import Brancher

    th, sc, rec = run
    return Brancher(sc, th, sc.parameters_with(), 0, base_record=rec, process=False)


@pytest.fixture(scope="module")
def stand(brancher):
    """September: the 25th Airborne Brigade, done with its breach, is sent on to Izium from
    9 Sep 06:00 (hour 84): for a while the what-if's Ukraine holds ground the base's does
    not."""
    from sim.whatif.branch import Change

    return brancher.run_now(84, [Change(attack="ua_25_abn", to=["kunie", "izium_n", "izium_s"])])


def whatif_frame(replay, view, t, mode="overlay", layers=("territory",)):
    renderer = rd.Renderer(replay)
    renderer.set_branch(view)
    state = rd.ViewState(t=t, compare=mode)
    state.layers = set(layers)
    surf = render_frame(replay, t, SIZE, renderer=renderer, state=state)
    return surf, renderer, state


def node_cell_px(replay, vp, node):
    """A pixel inside `node`'s territory cell, away from its dot."""
    th = replay.theatre
    i = th.node_ids.index(node)
    rows, cols = np.nonzero(th.territory.owner == i)
    pts = [
        vp.lonlat_to_px(th.territory.lons[c], th.territory.lats[r])
        for r, c in zip(rows, cols, strict=True)
    ]
    cx, cy = np.mean(pts, axis=0)
    return min(pts, key=lambda p: abs(np.hypot(p[0] - cx, p[1] - cy) - 6))


def purple(surf, rect) -> int:
    px = pygame.surfarray.array3d(surf.subsurface(rect)).reshape(-1, 3).astype(int)
    return int((np.abs(px - np.array(panels.WHATIF)).sum(axis=1) < 30).sum())


def test_the_whatif_is_drawn_over_the_base_only_after_its_hour(replay, stand):
    """Before the branch hour the overlay adds only the banner; after it, the branch's own
    front (purple dashes) and the ground it holds differently (hatching) appear on the map,
    and far from the fighting the map is the base's."""
    k = next(
        k
        for k in range(stand.hour, replay.hours)
        if (replay.ua_held[k] != stand.branch.ua_held[k]).sum() >= 3
    )
    layout = rd.Layout.for_size(SIZE, branch_row=True)
    below_banner = layout.map_rect.copy()
    below_banner.top += 90
    below_banner.height -= 90
    before, _, _ = whatif_frame(replay, stand, stand.hour - 4)
    base_before, _, _ = whatif_frame(replay, stand, stand.hour - 4, mode="base")
    a = pygame.surfarray.array3d(before.subsurface(below_banner))
    b = pygame.surfarray.array3d(base_before.subsurface(below_banner))
    assert (a == b).all()
    after, renderer, state = whatif_frame(replay, stand, k)
    base_after, _, _ = whatif_frame(replay, stand, k, mode="base")
    assert purple(after, below_banner) > 40
    assert purple(base_after, below_banner) == 0
    vp = renderer.viewport(layout, state)
    node = next(
        n
        for i, n in enumerate(replay.theatre.node_ids)
        if replay.ua_held[k][i] != stand.branch.ua_held[k][i]
        and layout.map_rect.collidepoint(vp.to_px(*renderer.node_xy[n]))
    )
    x, y = node_cell_px(replay, vp, node)
    box = pygame.Rect(round(x) - 6, round(y) - 6, 12, 12)
    assert (
        pygame.surfarray.array3d(after.subsurface(box))
        != pygame.surfarray.array3d(base_after.subsurface(box))
    ).any()
    far = pygame.Rect(layout.map_rect.left + 5, layout.map_rect.bottom - 120, 60, 60)
    assert (
        pygame.surfarray.array3d(after.subsurface(far))
        == pygame.surfarray.array3d(base_after.subsurface(far))
    ).all()


def test_split_screen_shows_each_future_in_its_own_half(replay, stand):
    th = replay.theatre

    def taken_at(k: int) -> list[int]:  # RU in the base at hour k, UA took it in the what-if
        return [
            i
            for i in range(len(th.node_ids))
            if not replay.ua_held[k][i] and stand.branch.ua_held[k][i]
        ]

    # the last hour the two futures differ so (by the end both may hold the same ground)
    k = next((k for k in range(replay.hours, 84, -1) if taken_at(k)), None)
    assert k is not None
    taken = taken_at(k)
    xy = np.array([replay.theatre.graph.nodes[n]["x_km"] for n in th.node_ids])
    mid = (xy.min() + xy.max()) / 2
    i = min(taken, key=lambda j: abs(xy[j] - mid))  # the one nearest the middle of the map
    surf, renderer, state = whatif_frame(replay, stand, k, mode="split")
    layout = rd.Layout.for_size(SIZE, branch_row=True)
    left, right = layout.panes()
    rows, cols = np.nonzero(th.territory.owner == i)
    colours = []
    for pane, r in ((left, renderer), (right, renderer.alt)):
        vp = (
            r.viewport(pane, state)
            if r is renderer
            else rd.viewport_for(pane, renderer.viewport(left, state).bounds_km)
        )
        pts = [
            vp.lonlat_to_px(th.territory.lons[c], th.territory.lats[r_])
            for r_, c in zip(rows, cols, strict=True)
        ]
        assert all(pane.map_rect.collidepoint(x, y) for x, y in pts)
        colours.append(np.mean([surf.get_at((round(x), round(y)))[:3] for x, y in pts], axis=0))
    base_c, branch_c = colours  # the cell's mean colour: fronts and names are grey, tints not
    assert base_c[0] > base_c[2]  # reddish: Russia holds it in the base
    assert branch_c[2] > branch_c[0]  # bluish: Ukraine holds it in the what-if


def test_the_timeline_and_sidebar_show_the_whatif(replay, stand):
    surf, _, _ = whatif_frame(replay, stand, replay.hours, layers=())
    plain, _, _ = frame(replay, replay.hours, layers=())
    layout = rd.Layout.for_size(SIZE, branch_row=True)
    assert purple(surf, layout.timeline) > 30  # the branch hour line and the what-if dates
    assert purple(plain, rd.Layout.for_size(SIZE).timeline) == 0
    lines = stand.futures.lines(until=replay.hours)
    assert any("Izium (south bank)" in ln for ln in lines)
    side = pygame.surfarray.array3d(surf.subsurface(layout.sidebar))
    side_plain = pygame.surfarray.array3d(plain.subsurface(rd.Layout.for_size(SIZE).sidebar))
    assert (side != side_plain).any()


def _panel(replay, brancher, t=84.0):
    from sim.view.whatif_panel import WhatIfPanel

    renderer = rd.Renderer(replay)
    panel = WhatIfPanel(brancher, renderer)
    control = app.Controller(replay, renderer, panel)
    state = rd.ViewState(t=t)
    surface = pygame.Surface(SIZE)
    layout = renderer.draw(surface, state)
    return renderer, panel, control, state, layout, surface


def _type(control, state, layout, *items):
    for item in items:
        if isinstance(item, str):
            for ch in item:
                control.handle(pygame.event.Event(pygame.TEXTINPUT, text=ch), state, layout, 0)
        else:
            control.handle(
                pygame.event.Event(pygame.KEYDOWN, key=item, mod=0, unicode=""), state, layout, 0
            )


def test_pause_change_watch_with_the_panel(replay, brancher):
    """w opens the panel at the hour on screen (paused); 1, a bridge typed and chosen, 'cannot
    be destroyed', Enter: the branch runs and the window shows it."""
    from sim.whatif.branch import Change

    renderer, panel, control, state, layout, surface = _panel(replay, brancher)
    state.playing = True
    _type(control, state, layout, pygame.K_w)
    assert panel.open and not state.playing and panel.hour == 84
    _type(control, state, layout, "1", "kupiansk road")
    assert [o.value for o in panel.options] == ["kupiansk_road_bridge"]
    _type(control, state, layout, pygame.K_RETURN, pygame.K_RETURN)
    assert panel.changes == [Change(save_bridge="kupiansk_road_bridge")]
    panel.draw(surface, layout)  # draws without error, over the map
    assert panel.box is not None and layout.map_rect.contains(panel.box)
    _type(control, state, layout, pygame.K_RETURN)
    app.whatif_update(control, state, 0.0)
    assert not panel.open
    brancher.job.join(timeout=120)
    app.whatif_update(control, state, 1.0)
    assert renderer.branch is not None and renderer.branch.hour == 84
    assert renderer.branch.texts == ["Kupiansk road bridge (Oskil) cannot be destroyed"]
    _type(control, state, layout, pygame.K_v)
    assert state.compare == "split"


def test_the_panel_picks_units_and_places_by_clicking_the_map(replay, brancher):
    from sim.whatif.branch import Change

    renderer, panel, control, state, layout, surface = _panel(replay, brancher)
    _type(control, state, layout, pygame.K_w, "4")
    assert panel.map_pick == "unit"
    vp = renderer.viewport(layout, state)
    placed = rd.unit_placements(replay, state.t, vp, layout.ui)
    uid, _snap, rect, _ = next(  # a UA unit alone under its centre: a click can mean only it
        p
        for p in placed
        if replay.units[p[0]]["side"] == "UA"
        and layout.map_rect.contains(p[2])
        and not any(q is not p and q[2].inflate(6, 14).collidepoint(p[2].center) for q in placed)
    )
    for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
        control.handle(pygame.event.Event(kind, button=1, pos=rect.center), state, layout, 0)
    assert panel.answers == [uid]
    _type(control, state, layout, pygame.K_RETURN)  # attack
    assert panel.map_pick == "place"
    x, y = vp.to_px(*renderer.node_xy["kupiansk_w"])
    for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
        control.handle(
            pygame.event.Event(kind, button=1, pos=(round(x), round(y))), state, layout, 0
        )
    assert panel.changes == [Change(attack=uid, to=["kupiansk_w"])]
    assert state.selected is None  # the clicks went to the panel, not to the unit panel


def test_a_bridge_already_down_is_asked_again_with_why():
    """September with the Kupiansk road bridge struck at hour 30 (set up by the test): the
    hour after, asked to change it, the panel says it is down and asks for a bridge again."""
    from sim.view.whatif_job import Brancher

    th, sc, rec = september_run(STRIKE)
    replay = Replay.from_run(rec, th, sc)
    brancher = Brancher(sc, th, sc.parameters_with(), 0, base_record=rec, process=False)
    down, hour = STRIKE
    assert replay.crossings_at(hour + 1).get(down) == "destroyed"
    renderer, panel, control, state, layout, surface = _panel(replay, brancher, t=hour + 1.0)
    _type(control, state, layout, pygame.K_w, "1", down)
    assert [o.value for o in panel.options] == [down]
    _type(control, state, layout, pygame.K_RETURN)
    assert panel.answers == [] and panel.map_pick == "bridge"  # the list of bridges again
    assert panel.message == "That bridge is already down at this hour."


def test_a_change_that_cannot_be_made_reopens_the_panel_with_why(replay, brancher):
    from sim.whatif.branch import Change

    renderer, panel, control, state, layout, surface = _panel(replay, brancher)
    brancher.start(10, [Change(hold="ua_14_mech")])  # it arrives at hour 67
    brancher.job.join(timeout=60)
    app.whatif_update(control, state, 0.0)
    assert renderer.branch is None
    assert panel.open and "not on the map yet" in panel.message


def test_save_a_whatif_from_the_window_and_read_it_back(stand, brancher, tmp_path):
    from sim.map.theatre import build_theatre
    from sim.view.whatif_panel import save_file
    from sim.whatif.branch_file import load_branch

    path = save_file(brancher, stand, tmp_path)
    b = load_branch(path, build_theatre())  # the base map: the scenario adds its places
    assert b.hour == stand.hour and b.changes == stand.changes


def test_record_a_whatif_gif_from_before_its_hour(replay, stand, tmp_path):
    from PIL import Image

    out = tmp_path / "w.gif"
    record_video(replay, out, size=(640, 400), branch=stand, mode="split")
    with Image.open(out) as im:
        n = im.n_frames
    span = replay.hours - (stand.hour - export.WHATIF_LEAD_H)
    assert 10 <= n <= export.GIF_MAX_FRAMES + 1
    assert n >= min(span // 3, export.GIF_MAX_FRAMES)  # finer steps than the whole run's


def test_the_j_that_opens_the_jump_prompt_is_not_typed_into_it(replay):
    """A real window sends a key as KEYDOWN and then as TEXTINPUT: the 'j' is not a date."""
    c = app.Controller(replay, rd.Renderer(replay))
    state = rd.ViewState()
    layout = rd.Layout.for_size(SIZE)
    c.handle(
        pygame.event.Event(pygame.KEYDOWN, key=pygame.K_j, mod=0, unicode="j"), state, layout, 0.0
    )
    for ch in "j9 6":
        c.handle(pygame.event.Event(pygame.TEXTINPUT, text=ch), state, layout, 0.0)
    c.handle(
        pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0, unicode="\r"),
        state,
        layout,
        0.0,
    )
    assert replay.time_at(state.t) == datetime(2022, 9, 9, 6)


def test_a_doctrine_parameter_for_one_side_typed_in_the_panel(replay, brancher):
    """6, a parameter typed to filter, its new value typed over the current one, one side."""
    from sim.whatif.branch import Change

    renderer, panel, control, state, layout, surface = _panel(replay, brancher)
    _type(control, state, layout, pygame.K_w, "6", "order_delay")
    assert [o.value for o in panel.options] == ["order_delay_hours"]
    _type(control, state, layout, pygame.K_RETURN)
    assert panel.step.typed == str(
        brancher.scenario.side_parameters(brancher.params)["UA"].order_delay_hours
    )
    _type(control, state, layout, "-2", pygame.K_RETURN)
    assert "greater than or equal to 0" in panel.message  # not accepted, asked again
    _type(control, state, layout, pygame.K_BACKSPACE, pygame.K_BACKSPACE, "6", pygame.K_RETURN)
    assert [o.label for o in panel.options] == ["Both sides", "UA only", "RU only"]
    _type(control, state, layout, pygame.K_DOWN, pygame.K_DOWN, pygame.K_RETURN)
    assert panel.changes == [Change(parameter="order_delay_hours", value=6.0, side="RU")]
    panel.draw(surface, layout)
    _type(control, state, layout, pygame.K_BACKSPACE)  # remove it again
    assert panel.changes == [] and panel.kind is None
    _type(control, state, layout, pygame.K_ESCAPE)
    assert not panel.open


def test_a_saved_run_is_branched_from_its_own_parameters_and_seed(run, tmp_path):
    """view RUN_DIR: the branch re-simulates the saved run from its summary's parameters and
    its seed, and says when this code's replay differs from the saved frames at the branch
    hour (here: a run saved with --set whose summary is lost)."""
    from sim.model import CampaignModel
    from sim.runs.report import write_run
    from sim.view.whatif_job import Brancher
    from sim.whatif.branch import Change

    th, sc, _ = run
    params = sc.parameters_with({"capture_ratio": 1.7})
    rec = CampaignModel(sc, th, params, seed=2).run()
    write_run(rec, tmp_path)
    replay = Replay.load(tmp_path, th, sc)
    change = [Change(save_bridge="kupiansk_road_bridge")]
    b = Brancher.for_saved(tmp_path, replay, sc, th, process=False)
    assert b.seed == 2 and b.params.capture_ratio == 1.7
    view = b.run_now(84, change)
    assert not view.mismatch
    assert view.futures.base.frames == rec.frames  # the base's future, simulated again
    (tmp_path / "summary.json").unlink()
    lost = Brancher.for_saved(tmp_path, replay, sc, th, process=False)
    assert lost.params.capture_ratio == sc.parameters_with().capture_ratio
    assert lost.run_now(84, change).mismatch
