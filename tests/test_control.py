"""Territory and withdrawal rules on small hand-built theatres (docs/model.md, Territory and
the supply-threat doctrine)."""

from __future__ import annotations

from toy import toy_scenario, toy_theatre

from sim.model import CampaignModel

QUIET = {"combat_noise": 0.0}


def run(theatre, scenario, hours: int | None = None) -> CampaignModel:
    model = CampaignModel(scenario, theatre, seed=0)
    for _ in range(hours or scenario.hours):
        model.step()
    return model


def test_presence_takes_villages_but_not_across_an_unbridged_river_nor_towns():
    """A RU column moving off from a toward far: within its first hour c (same bank, 4 km,
    within presence_km = 5) passes to RU; b (4 km, but across a river with no crossing), t (a
    town on the same bank, 4 km) and v (a village 7 km away, beyond presence_km) stay
    Ukrainian."""
    nodes = {"a": (0, 0), "b": (0, 4), "c": (4, 0), "t": (0, -4), "v": (-7, 0), "far": (40, 0)}
    edges = [
        ("a", "b", 4, "local", "river"),
        ("a", "c", 4, "local"),
        ("a", "t", 4, "local"),
        ("a", "v", 7, "local"),
        ("c", "far", 36, "local"),
    ]
    theatre = toy_theatre(nodes, edges, terrain={"t": "urban"}, crossings={"river": "none"})
    scenario = toy_scenario(
        [
            {
                "id": "ru",
                "name": "RU column",
                "side": "RU",
                "at": "a",
                "equipment": {"personnel": 500},
            }
        ],
        hours=6,
        orders=[{"units": ["ru"], "task": "move", "objective": "far"}],
        control={"nodes": {"RU": ["a"]}},
        parameters=QUIET,
    )
    assert 4 < model_physics(scenario).presence_km < 7
    model = run(theatre, scenario, hours=1)
    assert model.unit("ru").node == "a"  # still on the road to c (into enemy ground)
    assert model.world.control["c"] == "RU"
    assert model.world.control["b"] == "UA"  # the river stops patrols
    assert model.world.control["t"] == "UA"  # a town needs troops to enter it
    assert model.world.control["v"] == "UA"  # beyond the patrols' reach


def model_physics(scenario):
    """The physics a run of `scenario` uses."""
    return scenario.parameters_with().physics()


def test_holding_units_do_not_creep_forward():
    """The same RU unit holding its line (posture defend) takes no empty village."""
    nodes = {"a": (0, 0), "c": (6, 0)}
    theatre = toy_theatre(nodes, [("a", "c", 6, "local")])
    scenario = toy_scenario(
        [{"id": "ru", "name": "RU line", "side": "RU", "at": "a", "equipment": {"personnel": 500}}],
        hours=12,
        control={"nodes": {"RU": ["a"]}},
        parameters=QUIET,
    )
    model = run(theatre, scenario)
    assert model.world.control["c"] == "UA"


def cut_off(nodes: dict, edges: list) -> CampaignModel:
    """A shaken RU unit at p, its base and only fallback place at home, the ground between
    Ukrainian; run for two days."""
    scenario = toy_scenario(
        [
            {
                "id": "ru",
                "name": "RU cut off",
                "side": "RU",
                "at": "p",
                "morale": 0.3,
                "equipment": {"personnel": 500},
            }
        ],
        hours=48,
        depots=[{"id": "ru_base", "side": "RU", "at": "home", "kind": "base"}],
        control={"nodes": {"RU": ["p", "home"]}},
        fallback={"RU": ["home"]},
        parameters=QUIET,
    )
    return run(toy_theatre(nodes, edges), scenario)


def test_a_cut_off_unit_does_not_march_home_through_deep_enemy_ground():
    """A RU unit at p whose only way to its fallback place runs through 40 km of Ukrainian
    ground stays where it is (and its side takes nothing on the way)."""
    nodes = {"p": (0, 0), "u1": (10, 0), "u2": (20, 0), "u3": (30, 0), "home": (40, 0)}
    edges = [
        ("p", "u1", 10, "main"),
        ("u1", "u2", 10, "main"),
        ("u2", "u3", 10, "main"),
        ("u3", "home", 10, "main"),
    ]
    model = cut_off(nodes, edges)
    unit = model.unit("ru")
    assert all(model.world.control[n] == "UA" for n in ("u1", "u2", "u3"))
    assert unit.node == "p" or unit.status != "active"


def test_a_short_breakout_is_taken():
    """With only one enemy-held village (10 km) between it and supplied ground, the cut-off
    unit breaks out and reaches its side's ground."""
    nodes = {"p": (0, 0), "u1": (10, 0), "home": (20, 0)}
    model = cut_off(nodes, [("p", "u1", 10, "main"), ("u1", "home", 10, "main")])
    assert model.unit("ru").node == "home"
