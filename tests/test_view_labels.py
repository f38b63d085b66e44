"""Labels placed clear of what they must not cover (sim/view/placement.py, `label_spot`): as a
pure function over random obstacles, and on the what-if's bridge labels ("what if: intact")
drawn over the base run, for the bridge what-ifs of the September and March lessons, every
change the what-if panel offers for those bridges; and the village names the units would hide,
moved clear of them (`names_clear_of_units`), on random marks and on a frame of April-May."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"  # before pygame is imported anywhere
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import math  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from viewkit import SIZE  # noqa: E402

from sim.view import panels, placement, whatif_draw  # noqa: E402
from sim.view import render as rd  # noqa: E402
from sim.view import symbols as sym  # noqa: E402
from sim.view.app import Replay, render_frame  # noqa: E402

BOUNDS = pygame.Rect(0, 0, 600, 400)

rects = st.builds(
    pygame.Rect,
    st.integers(-20, 600),
    st.integers(-20, 400),
    st.integers(4, 80),
    st.integers(4, 40),
)


@settings(max_examples=200, deadline=None)
@given(
    obstacles=st.lists(rects, max_size=40),
    x=st.integers(150, 450),
    y=st.integers(100, 300),
    size=st.tuples(st.integers(20, 120), st.integers(8, 20)),
)
def test_a_label_said_clear_covers_nothing_and_stays_inside(obstacles, x, y, size):
    spot = placement.label_spot((x, y), 12, size, obstacles, [], BOUNDS, 1.0)
    assert spot.rect.size == size
    if spot.clear:
        assert BOUNDS.contains(spot.rect)
        assert spot.rect.collidelist(obstacles) == -1
    if spot.leader is not None:  # from the mark's edge to the label's edge
        (ax, ay), (bx, by) = spot.leader
        assert math.hypot(ax - x, ay - y) == pytest.approx(12)
        assert spot.rect.inflate(1, 1).collidepoint(bx, by)
        assert not spot.rect.inflate(-2, -2).collidepoint(bx, by)


@settings(max_examples=200, deadline=None)
@given(obstacles=st.lists(rects, max_size=40), x=st.integers(150, 450), y=st.integers(100, 300))
def test_a_label_stays_beside_its_mark_while_one_side_is_free(obstacles, x, y):
    """With nothing on the left of the mark, the label is beside it (no leader), clear: it
    never wanders off when it need not."""
    free = pygame.Rect(0, y - 30, x - 12, 60)
    hard = [r for r in obstacles if not r.colliderect(free)]
    spot = placement.label_spot((x, y), 12, (90, 14), hard, [], BOUNDS, 1.0)
    assert spot.clear and spot.leader is None
    assert spot.rect.collidelist(hard) == -1


def test_a_label_goes_round_a_lesser_name_when_it_can():
    name = pygame.Rect(215, 193, 60, 14)  # right of the mark, where the label would go first
    spot = placement.label_spot((200, 200), 12, (60, 14), [], [name], BOUNDS, 1.0)
    assert spot.clear and not spot.rect.colliderect(name)
    alone = placement.label_spot((200, 200), 12, (60, 14), [], [], BOUNDS, 1.0)
    assert alone.rect.colliderect(name)  # the name, not the map's emptiness, moved it


# ------------------------------------------------------------- the what-if's bridge labels
LESSONS = (
    "examples/lessons/sep_2_rail_bridge_cut.yaml",
    "examples/lessons/sep_3_kupiansk_bridge_held.yaml",
    "examples/lessons/mar_1_izium_bridge_held.yaml",
)
FRAMES_PER_CASE = 6  # overlay frames checked per what-if, evenly over the hours it differs
#: The base run has the lesson's bridge struck this many hours after the lesson's hour
#: (tests/toy.py, with_strike), so that a bridge saved at that hour fares differently from then
#: on whatever the run's own demolitions do.
STRIKE_AFTER_H = 12


def _bridge_whatifs():
    """(base replay, what-if view) for the first change the panel offers for the bridge of
    each lesson, at the lesson's hour: for a bridge standing then, "cannot be destroyed",
    over a base in which the test has it struck STRIKE_AFTER_H later."""
    from toy import with_strike

    from sim.map.theatre import build_theatre
    from sim.model import CampaignModel
    from sim.scenario.theatre import theatre_for
    from sim.view.whatif_job import Brancher
    from sim.view.whatif_options import Asking, Step, next_question
    from sim.whatif.branch_file import load_branch

    th = build_theatre()
    out = []
    for path in LESSONS:
        b = load_branch(path, th)
        (change,) = b.changes
        bridge = change.save_bridge or change.destroy_bridge
        assert bridge is not None, path
        sc = with_strike(b.scenario, bridge, b.hour + STRIKE_AFTER_H)
        own = theatre_for(sc, th)  # its own map: the places it adds
        rec = CampaignModel(sc, own, b.params, seed=b.spec.seed).run()
        brancher = Brancher(sc, own, b.params, b.spec.seed, base_record=rec, process=False)
        replay = Replay.from_run(rec, own, sc)
        at = Asking(replay, b.hour, sc, b.params)
        step = next_question("bridge", [bridge], at)
        assert isinstance(step, Step)
        assert step.options[0].value == "save", (path, step.options)  # it stands at the hour
        for option in step.options[:1]:  # the first change offered (the second costs 4 s more)
            made = next_question("bridge", [bridge, option.value], at)
            out.append((replay, brancher.run_now(b.hour, [made], title=b.spec.title)))
    return out


@pytest.fixture(scope="module")
def bridge_whatifs():
    return _bridge_whatifs()


def _ink(surf, rect) -> int:
    """Pixels of the what-if's label ink (panels.WHATIF_INK) inside `rect`."""
    rect = rect.clip(surf.get_rect())
    px = pygame.surfarray.array3d(surf.subsurface(rect)).reshape(-1, 3).astype(int)
    return int((np.abs(px - np.array(panels.WHATIF_INK)).sum(axis=1) < 30).sum())


def test_a_bridge_whatif_label_covers_no_unit_symbol_nor_key_name(bridge_whatifs):
    """Every overlay frame in which a bridge fares differently: each "what if: ..." label's
    rectangle meets no unit symbol (echelon mark to strength bar), no unit designation, no
    name drawn above the units and no other such label; and in the picture, no label ink
    falls on a unit symbol."""
    layout = rd.Layout.for_size(SIZE, branch_row=True)
    _, sh, top = sym.symbol_extent(layout.ui)
    checked = labels = 0
    for replay, view in bridge_whatifs:
        renderer = rd.Renderer(replay)
        renderer.set_branch(view)
        hours = [
            k
            for k in range(view.hour, replay.hours + 1)
            if replay.crossings_at(k) != view.branch.crossings_at(min(k, view.branch.hours))
        ]
        for k in hours[:: max(1, len(hours) // FRAMES_PER_CASE)]:
            state = rd.ViewState(t=float(k), compare="overlay")
            vp = renderer.viewport(layout, state)
            keys = renderer.key_labels(layout, vp)
            placed = rd.unit_placements(replay, k, vp, layout.ui, keys)
            marks = whatif_draw.crossing_marks(renderer, layout, vp, state, k, view, placed)
            symbols = [
                pygame.Rect(rect.centerx - rect.w // 2, rect.top - top, rect.w, sh)
                for _uid, _snap, rect, _spot in placed
            ]
            names = [
                pygame.Rect(
                    rect.right + 2, rect.top - 2, *renderer.designation(uid, layout.ui).get_size()
                )
                for uid, _snap, rect, _spot in placed
            ]
            shown = [m for m in marks if layout.map_rect.collidepoint(m.centre)]
            for m in shown:
                others = [o.label.rect for o in marks if o is not m]
                for what, obstacles in (
                    ("unit symbol", symbols),
                    ("designation", names),
                    ("key name", list(keys.values())),
                    ("what-if label", others),
                ):
                    hit = m.label.rect.collidelist(obstacles)
                    assert hit == -1, (view.title, k, m.crossing, what, obstacles[hit])
                assert m.label.clear
            surf = render_frame(replay, k, SIZE, renderer=renderer, state=state)
            banner = whatif_draw.banner_rect(layout, view, k)
            for s in symbols:
                if not s.colliderect(banner):
                    assert _ink(surf, s) == 0, (view.title, k, s)
            checked += 1
            labels += len(shown)
    assert checked >= 10 and labels >= 10


# ------------------------------------------------------- the village names under the units
names = st.lists(
    st.tuples(st.integers(20, 560), st.integers(20, 380), st.integers(20, 90), st.integers(10, 16)),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(towns=names, units=st.lists(rects, max_size=30), above=st.lists(rects, max_size=5))
def test_a_name_a_unit_would_hide_moves_clear_or_is_left_out(towns, units, above):
    """A name no unit mark touches stays where the map put it; a name one touches is moved
    to a spot that covers no unit mark, no name drawn above the units and no other name in
    the frame, or left out; never is a name drawn under a unit."""
    given_ = [
        (f"t{i}", pygame.Rect(x + 6, y - h // 2, w, h), (x, y), 3.0)
        for i, (x, y, w, h) in enumerate(towns)
    ]
    spots = placement.names_clear_of_units(given_, units, above, BOUNDS, 1.0)
    where = {node: rect for node, rect, _, _ in given_}
    pad = placement.LABEL_PAD_PX
    for s in spots:
        assert s.rect.inflate(2 * pad, 2 * pad).collidelist(units) == -1, s
        if not s.moved:
            assert s.rect == where[s.node] and s.leader is None
        else:
            assert s.rect.size == where[s.node].size and BOUNDS.contains(s.rect)
            assert s.rect.collidelist(above) == -1
            others = [o.rect for o in spots if o.node != s.node]
            assert s.rect.collidelist(others) == -1, s
    shown = {s.node for s in spots}
    for node, rect, _, _ in given_:
        if rect.inflate(2 * pad, 2 * pad).collidelist(units) == -1:
            assert node in shown and not next(s for s in spots if s.node == node).moved


def test_village_names_the_units_stand_on_are_drawn_clear_of_them():
    """April-May around 1 May: units stand on villages north of Kharkiv. Every lesser name in
    the frame is clear of every unit symbol and designation, at least three of them because
    they were moved off the units, and each moved name's ink is in the picture where it was
    placed."""
    from sim.map.theatre import build_theatre
    from sim.model import CampaignModel
    from sim.scenario import load_scenario
    from sim.scenario.theatre import theatre_for
    from sim.view import basemap as bm

    base = build_theatre()
    sc = load_scenario("scenarios/kharkiv_2022_05.yaml", base)
    own = theatre_for(sc, base)
    replay = Replay.from_run(CampaignModel(sc, own, seed=0).run(), own, sc)
    t = (datetime(2022, 5, 1, 12) - replay.start) / timedelta(hours=1)
    layout = rd.Layout.for_size(SIZE)
    renderer = rd.Renderer(replay)
    state = rd.ViewState(t=t)
    vp = renderer.viewport(layout, state)
    placed = rd.unit_placements(replay, t, vp, layout.ui, renderer.key_labels(layout, vp))
    marks = [r for p in placed for r in renderer.unit_footprint(p, layout.ui)]
    names = renderer.names.spots(layout, vp, marks, list(renderer.key_labels(layout, vp).values()))
    for _, s in names:
        assert s.rect.collidelist(marks) == -1, s
    moved = [(img, s) for img, s in names if s.moved]
    assert len(moved) >= 3, moved
    surf = render_frame(replay, t, SIZE, renderer=renderer, state=state)

    def ink(rgb):
        return np.abs(rgb.astype(int) - np.array(bm.LABEL)).sum(axis=2) <= 60

    for img, s in moved:  # the name's own ink (inside its halo) is ink in the frame
        want = ink(pygame.surfarray.array3d(img)[1:-1, 1:-1])
        want &= pygame.surfarray.array_alpha(img)[1:-1, 1:-1] > 200
        got = ink(pygame.surfarray.array3d(surf.subsurface(s.rect)))
        assert want.sum() > 0 and (want & got).sum() >= 0.85 * want.sum(), s
