"""What the viewer tests share (tests/test_view.py, tests/test_view_whatif.py): the September
run they draw (simulated once per process), a frame rendered offscreen, and a colour test."""

import functools
import os

os.environ["SDL_VIDEODRIVER"] = "dummy"  # before pygame is imported anywhere
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from sim.view import render as rd  # noqa: E402
from sim.view.app import render_frame  # noqa: E402

SIZE = (1280, 800)


#: The bridge the view tests have struck for certain, and the hour (tests/toy.py, with_strike):
#: a test of how a destroyed bridge is shown sets it up so, rather than waiting for a
#: demolition that happens to come in the run.
STRIKE = ("kupiansk_road_bridge", 30)


@functools.lru_cache(maxsize=2)
def september_run(strike: tuple[str, int] | None = None):
    """(theatre, scenario, record) of September, seed 0; with `strike` (a crossing and an
    hour), of a copy of the scenario in which that crossing is struck at that hour."""
    from toy import with_strike

    from sim.map.theatre import build_theatre
    from sim.model import CampaignModel
    from sim.scenario import load_scenario
    from sim.scenario.theatre import theatre_for

    base = build_theatre()
    sc = load_scenario("scenarios/izium_2022_09.yaml", base)
    if strike is not None:
        sc = with_strike(sc, *strike)
    th = theatre_for(sc, base)  # its own map: the places it adds
    rec = CampaignModel(sc, th, seed=0).run()
    return th, sc, rec


def frame(replay, t, layers=None, size=SIZE):
    renderer = rd.Renderer(replay)
    state = rd.ViewState(t=t)
    if layers is not None:
        state.layers = set(layers)
    surf = render_frame(replay, t, size, renderer=renderer, state=state)
    layout = rd.Layout.for_size(size)
    return surf, renderer.viewport(layout, state), layout


def near(surf, xy, colour, radius=1, tol=12):
    """Whether `colour` appears within `radius` px of xy."""
    x, y = round(xy[0]), round(xy[1])
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            c = surf.get_at((x + dx, y + dy))[:3]
            if all(abs(a - b) <= tol for a, b in zip(c, colour, strict=True)):
                return True
    return False
