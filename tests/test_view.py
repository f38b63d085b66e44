"""The viewer, rendered offscreen: checks the picture (pixel colours where the map says things
are), the controls and the export, not just that nothing raised."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"  # before pygame is imported anywhere
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import json  # noqa: E402
import sys  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402
from viewkit import SIZE, STRIKE, frame, near, september_run  # noqa: E402

from sim.view import app, controls, style, timeline  # noqa: E402
from sim.view import basemap as bm  # noqa: E402
from sim.view import render as rd  # noqa: E402
from sim.view import symbols as sym  # noqa: E402
from sim.view.app import MissingExtra, Replay, parse_jump, record_video  # noqa: E402


@pytest.fixture(scope="module")
def run():
    return september_run()


@pytest.fixture(scope="module")
def replay(run):
    th, sc, rec = run
    return Replay.from_run(rec, th, sc)


def test_donets_is_drawn_in_river_colour_where_the_map_runs(replay):
    surf, vp, layout = frame(replay, 0, layers=())
    line = replay.theatre.rivers["Siverskyi Donets"][0]
    hits = total = 0
    for lon, lat in line[:: max(1, len(line) // 40)]:
        p = vp.lonlat_to_px(lon, lat)
        if layout.map_rect.inflate(-20, -20).collidepoint(p):
            total += 1
            hits += near(surf, p, bm.RIVER, radius=1)
    assert total >= 10
    assert hits >= 0.8 * total  # a few vertices sit under towns or bridges


def test_a_lone_unit_frame_is_drawn_at_its_node(replay):
    k = 0
    snaps = [s for s in replay.units_at(k).values() if s["status"] == "active" and not s["next"]]
    count = {}
    for s in replay.units_at(k).values():
        count[s["node"]] = count.get(s["node"], 0) + 1
    lone = [s for s in snaps if count[s["node"]] == 1]
    assert lone
    surf, vp, _ = frame(replay, k, layers=("units",))
    fw, fh = sym.frame_size(rd.Layout.for_size(SIZE).ui)
    for s in lone[:5]:
        side = replay.units[s["id"]]["side"]
        node = replay.theatre.graph.nodes[s["node"]]
        x, y = vp.to_px(node["x_km"], node["y_km"])
        # left of the centre, between the arms of an X and outside an oval: frame fill
        assert near(surf, (x - 0.36 * fw, y), sym.SIDE_FILL[side], radius=1), s["id"]
        # the frame's outline one px inside its left edge
        assert near(surf, (x - fw / 2 + 1, y), sym.SIDE_LINE[side], radius=1), s["id"]


def test_the_clock_shows_the_time_and_changes(replay):
    a, _, layout = frame(replay, 0)
    b, _, _ = frame(replay, 30)
    clock = pygame.Rect(layout.sidebar.left + 10, 60, layout.sidebar.w - 20, 100)
    pa = pygame.surfarray.array3d(a.subsurface(clock))
    pb = pygame.surfarray.array3d(b.subsurface(clock))
    assert (pa.sum(axis=2) < 200).sum() > 300  # dark text is there
    assert (pa != pb).any(axis=2).sum() > 200  # and it changes with the time
    # the rendered hour text matches the frame's hour ("18:00" at the start)
    assert f"{replay.times[0]:%H:%M}" == "18:00"


def test_a_destroyed_bridge_shows_a_red_mark():
    """September with the Kupiansk road bridge struck at hour 30 (set up by the test): in the
    frame it is down, a red mark stands on it; at the start, on the same layer, none does."""
    th, sc, rec = september_run(STRIKE)
    replay = Replay.from_run(rec, th, sc)
    cid, hour = STRIKE
    k = next(k for k, f in enumerate(replay.frames) if f["crossings"].get(cid) == "destroyed")
    assert k <= hour + 1
    surf, vp, _ = frame(replay, k, layers=("battles",))
    renderer = rd.Renderer(replay)
    x, y = renderer.crossing_px(vp, cid)
    assert near(surf, (x + 4, y + 4), style.DESTROYED, radius=2)
    before, _, _ = frame(replay, 0, layers=("battles",))  # the same layer, the bridge standing
    assert not near(before, (x + 4, y + 4), style.DESTROYED, radius=2)


def test_territory_colour_differs_between_sides(replay):
    th = replay.theatre
    k = 0
    ua = replay.ua_held[k]
    idx = {n: i for i, n in enumerate(th.node_ids)}
    surf, vp, _ = frame(replay, k, layers=("territory",))

    def sample(node):
        i = idx[node]
        terr = th.territory
        rows, cols = np.nonzero(terr.owner == i)
        nx_, ny_ = vp.to_px(th.graph.nodes[node]["x_km"], th.graph.nodes[node]["y_km"])
        pts = [vp.lonlat_to_px(terr.lons[c], terr.lats[r]) for r, c in zip(rows, cols, strict=True)]
        far = max(pts, key=lambda p: min(np.hypot(p[0] - nx_, p[1] - ny_), 25))
        return surf.get_at((round(far[0]), round(far[1])))[:3]

    ua_node = next(n for n in ("balakliia", "chuhuiv", "zmiiv") if ua[idx[n]])
    ru_node = next(n for n in ("izium_s", "kupiansk_w", "borova") if not ua[idx[n]])
    cu, cr = sample(ua_node), sample(ru_node)
    assert cu[2] > cu[0]  # bluish
    assert cr[0] > cr[2]  # reddish
    assert cu != cr


def test_units_move_smoothly_between_hours(replay):
    vp = bm.Viewport(SIZE)
    k = next(
        k
        for k in range(replay.hours)
        if any(s["next"] and s["progress_km"] > 0 for s in replay.units_at(k).values())
    )
    a = {u: r.center for u, _, r, _ in rd.unit_placements(replay, k, vp, 1.0)}
    m = {u: r.center for u, _, r, _ in rd.unit_placements(replay, k + 0.5, vp, 1.0)}
    b = {u: r.center for u, _, r, _ in rd.unit_placements(replay, k + 1, vp, 1.0)}
    moved = [u for u in a if u in b and u in m and np.hypot(*np.subtract(a[u], b[u])) > 3]
    assert moved
    for u in moved:  # halfway in time is between the two positions
        assert min(a[u][0], b[u][0]) - 8 <= m[u][0] <= max(a[u][0], b[u][0]) + 8


def test_the_view_never_changes_the_record(run, replay):
    th, sc, rec = run
    before = json.dumps(rec.frames[:50], sort_keys=True, default=float)
    for t in (0, 10.5, 49):
        frame(replay, t)
    assert json.dumps(rec.frames[:50], sort_keys=True, default=float) == before


def test_load_a_saved_run(run, tmp_path):
    from sim.runs.report import write_run

    th, sc, rec = run
    write_run(rec, tmp_path)
    rp = Replay.load(tmp_path, th, sc)
    assert rp.hours == rec.hours and set(rp.units) == {u["id"] for u in rec.units}
    assert (rp.ua_held == Replay.from_run(rec, th, sc).ua_held).all()
    assert any(i.history for i in rp.ticker) and any(not i.history for i in rp.ticker)


def test_comparison_rows_become_timeline_marks(run):
    """Each row of the run's real comparison with history becomes a timeline mark carrying
    the run's date; its model mark sits left of the history mark exactly when the run was
    early, and hovering a mark draws a tooltip over the timeline."""
    from sim.runs.history import compare

    th, sc, rec = run
    comparison = compare(rec, sc, th)
    rp = Replay.from_run(rec, th, sc, comparison)
    assert rp.has_comparison
    by_key = {(m.date, m.place, m.holder, m.kind): m for m in rp.marks}
    for row in comparison.rows:
        mark = by_key[(row.date, row.place, row.holder, row.kind)]
        assert mark.sim_date == row.sim_date
    layout = rd.Layout.for_size(SIZE)
    placed = [
        (m, obs, sim)
        for m, obs, sim in timeline.mark_positions(layout, rp)
        if sim is not None and m.kind == "control"
    ]
    assert placed, "the run matched some observations"
    for m, obs, sim in placed:
        hours_early = (m.date - m.sim_date) / timedelta(hours=1)
        if abs(hours_early) > 24:  # clearly early or late: the marks' order says which
            assert (sim[0] < obs[0]) == (hours_early > 0), m.name
    m, obs, sim = placed[0]
    plain, hovered = pygame.Surface(SIZE), pygame.Surface(SIZE)
    rd.Renderer(rp).draw(plain, rd.ViewState(t=40, hover=(0, 0)))
    rd.Renderer(rp).draw(hovered, rd.ViewState(t=40, hover=(round(sim[0]), round(sim[1]))))
    a = pygame.surfarray.array3d(plain).astype(int)
    b = pygame.surfarray.array3d(hovered).astype(int)
    assert (abs(a - b).sum(axis=2) > 0).sum() > 500  # a tooltip appeared


def test_parse_jump(replay):
    assert parse_jump("2022-09-10 14:00", replay) == (
        datetime(2022, 9, 10, 14) - replay.start
    ) / timedelta(hours=1)
    assert parse_jump("10 14", replay) == parse_jump("2022-09-10T14:00", replay)
    assert parse_jump("6", replay) == parse_jump("2022-09-06", replay)
    with pytest.raises(ValueError):
        parse_jump("2022-10-01", replay)
    with pytest.raises(ValueError):
        parse_jump("soon", replay)


def test_controls_change_the_view_state_only(replay):
    renderer = rd.Renderer(replay)
    c = app.Controller(replay, renderer)
    state = rd.ViewState()
    layout = rd.Layout.for_size(SIZE)

    def key(k, **kw):
        return c.handle(
            pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode="", **kw), state, layout, 0.0
        )

    key(pygame.K_SPACE)
    assert state.playing
    app.update(state, replay, 0.5, 0.0)
    assert state.t == pytest.approx(0.5 * state.hours_per_s)
    key(pygame.K_RIGHT)
    assert not state.playing and state.t == 3.0
    key(pygame.K_LEFT)
    assert state.t == 2.0
    speed = state.speed
    key(pygame.K_PLUS)
    assert state.speed == speed + 1
    key(pygame.K_t)
    assert "territory" not in state.layers
    key(pygame.K_3)
    assert replay.time_at(state.t) == datetime(2022, 9, 7)
    key(pygame.K_j)
    for ch in "10 12":
        c.handle(pygame.event.Event(pygame.TEXTINPUT, text=ch), state, layout, 0.0)
    key(pygame.K_RETURN)
    assert replay.time_at(state.t) == datetime(2022, 9, 10, 12)
    key(pygame.K_END)
    assert state.t == replay.hours
    # click on the timeline scrubs
    bar = timeline.timeline_bar(layout)
    c.handle(
        pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=(bar.left, bar.centery)),
        state,
        layout,
        0.0,
    )
    assert state.t == 0.0
    c.handle(
        pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=(bar.left, bar.centery)),
        state,
        layout,
        0.0,
    )
    # click on a unit selects it
    vp = renderer.viewport(layout, state)
    uid, _, rect, _ = rd.unit_placements(replay, state.t, vp, layout.ui)[0]
    for t in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
        c.handle(pygame.event.Event(t, button=1, pos=rect.center), state, layout, 0.0)
    assert state.selected is not None
    surf = pygame.Surface(SIZE)
    renderer.draw(surf, state)  # the unit panel draws
    assert key(pygame.K_ESCAPE) and state.selected is None
    assert not c.handle(pygame.event.Event(pygame.QUIT), state, layout, 0.0)


def test_record_a_small_gif(replay, tmp_path):
    from PIL import Image

    out = tmp_path / "run.gif"
    record_video(replay, out, size=(400, 260), step_h=60)
    assert out.exists() and not list(tmp_path.glob("*.partial*"))
    with Image.open(out) as im:
        assert im.n_frames == len(range(0, replay.hours, 60)) + (replay.hours % 60 != 0)


def test_mp4_without_ffmpeg_says_how_to_install(replay, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    with pytest.raises(MissingExtra, match=r'pip install -e "\.\[video\]"'):
        record_video(replay, tmp_path / "x.mp4", size=(320, 240))


def test_screenshot_writes_a_png(replay, tmp_path):
    out = tmp_path / "a.png"
    app.screenshot(replay, out, datetime(2022, 9, 10, 12), size=(800, 500))
    img = pygame.image.load(str(out))
    assert img.get_size() == (800, 500)


def test_symbols_differ_by_type_and_echelon():
    imgs = {
        (k, e): pygame.image.tobytes(sym.unit_symbol("UA", k, e), "RGBA")
        for k in (
            "armour",
            "mechanised",
            "infantry",
            "airborne",
            "national_guard",
            "artillery",
            "special_forces",
            "reconnaissance",
        )
        for e in ("battalion", "brigade")
    }
    assert len(set(imgs.values())) == len(imgs)
    assert sym.short_designation("25th Airborne Brigade") == "25"


def _label_ink(surf, rect):
    """Boolean mask of the town-name ink (bm.LABEL) inside `rect`."""
    arr = pygame.surfarray.array3d(surf.subsurface(rect)).astype(int)
    return abs(arr - np.array(bm.LABEL)).sum(axis=2) <= 12


def test_key_town_names_are_not_hidden_by_units(replay):
    """At the start of September units stand at key towns (their positions are the
    scenario's, not the run's; whichever towns they are, at least three): every pixel of such
    a town's name (drawn alone) is still the name's ink in the full frame."""
    layout = rd.Layout.for_size(SIZE)
    renderer = rd.Renderer(replay)
    state = rd.ViewState(t=0)
    vp = renderer.viewport(layout, state)
    keys = renderer.key_labels(layout, vp)
    snaps = replay.units_at(0).values()
    covered = {s["node"] for s in snaps if s["status"] == "active"} & set(keys)
    assert len(covered) >= 3, covered
    full, _, _ = frame(replay, 0)
    names_only, _, _ = frame(replay, 0, layers=("labels",))
    for node in covered:
        want = _label_ink(names_only, keys[node])
        got = _label_ink(full, keys[node])
        assert want.sum() > 20, node
        assert (got & want).sum() >= 0.97 * want.sum(), node


def test_units_at_a_key_town_step_aside_from_its_name_and_dot(replay):
    layout = rd.Layout.for_size(SIZE)
    renderer = rd.Renderer(replay)
    vp = renderer.viewport(layout, rd.ViewState(t=0))
    keys = renderer.key_labels(layout, vp)
    g = replay.theatre.graph
    checked = 0
    for _uid, snap, rect, _ in rd.unit_placements(replay, 0, vp, layout.ui, keys):
        node = snap["node"]
        if node in keys and not snap.get("next"):
            x, y = vp.to_px(g.nodes[node]["x_km"], g.nodes[node]["y_km"])
            r = bm.town_radius_px(g.nodes[node]["population"])
            dot = pygame.Rect(round(x - r), round(y - r), round(2 * r), round(2 * r))
            assert not rect.colliderect(keys[node]), node
            assert not rect.colliderect(dot), node
            checked += 1
    assert checked >= 3
    # without names to avoid, a lone unit is centred on its node (as before)
    plain = rd.unit_placements(replay, 0, vp, layout.ui)
    assert any(
        rect.collidepoint(vp.to_px(g.nodes[s["node"]]["x_km"], g.nodes[s["node"]]["y_km"]))
        for _, s, rect, _ in plain
        if s["node"] in keys
    )


def test_no_data_margin_is_hatched_and_unlike_any_territory_colour(replay):
    surf, vp, layout = frame(replay, 0)
    x0, y0, x1, y1 = bm.box_km()
    left, _ = vp.to_px(x0, y1)
    assert left > 40, "the default September view shows the margin west of the box"
    strip = pygame.surfarray.array3d(surf.subsurface(pygame.Rect(5, 100, round(left) - 10, 300)))
    colours, counts = np.unique(strip.reshape(-1, 3), axis=0, return_counts=True)
    common = {tuple(int(v) for v in c) for c in colours[np.argsort(counts)[-2:]]}
    assert common == {style.NO_DATA, style.NO_DATA_LINE}  # hatched (names may cross it)
    # unlike the flat colours the legend gives to held ground and to Russia, over land
    land = np.array(bm.LAND, float)
    for tint in (style.UA_TINT, style.RU_TINT, style.RUSSIA_TINT):
        a = tint[3] / 255
        flat = land * (1 - a) + np.array(tint[:3]) * a
        for c in common:
            assert np.abs(np.array(c) - flat).sum() > 20, (c, tint)


def test_p_saves_the_window_to_the_screenshot_folder_only(replay, tmp_path, monkeypatch):
    """Key p writes a PNG into the controller's screenshot folder (runs/screenshots/ by
    default, which .gitignore covers), never into the current folder."""
    monkeypatch.chdir(tmp_path)
    pygame.display.init()
    pygame.display.set_mode(SIZE)
    shots = tmp_path / "elsewhere"
    c = app.Controller(replay, rd.Renderer(replay), screenshot_dir=shots)
    state = rd.ViewState()
    c.handle(
        pygame.event.Event(pygame.KEYDOWN, key=pygame.K_p, mod=0, unicode="p"),
        state,
        rd.Layout.for_size(SIZE),
        0.0,
    )
    saved = list(shots.glob("*.png"))
    assert len(saved) == 1 and saved[0].name.startswith(replay.scenario_id)
    assert not list(tmp_path.glob("*.png"))
    assert controls.SCREENSHOT_DIR.parts[0] == "runs"
    assert "runs/" in (Path(__file__).resolve().parent.parent / ".gitignore").read_text()
