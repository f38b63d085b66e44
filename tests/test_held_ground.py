"""Held ground (issue 23) on small hand-built theatres: properties of the defence that grows
with time in position, of the advance against it, of attrition, and of where a unit that breaks
off goes (docs/model.md, "Fronts and held ground").
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from toy import START, toy_scenario, toy_theatre

from sim.model import CampaignModel
from sim.model.params import Parameters
from sim.model.rules import combat_math as combat

# a (UA) --10 km-- b (RU) --10 km-- c (RU) --10 km-- d (RU base)
LINE = {"a": (0, 0), "b": (10, 0), "c": (20, 0), "d": (30, 0)}
EDGES = [("a", "b", 10, "local"), ("b", "c", 10, "local"), ("c", "d", 10, "local")]
CLEAN = {
    "combat_noise": 0.0,
    "fatigue_per_march_hour": 0.0,
    "morale_loss_per_casualty": 0.0,
    "presence_km": 0.0,
    "withdrawal_doctrine": False,
}
LEVELS = {"hasty": 0.0, "prepared": 30.0, "fortified": 400.0}  # hours in position at the start


def attack_on_b(
    attackers: int, defenders: int, level: str, hours: int = 120, until_taken: bool = False
) -> CampaignModel:
    """UA attacks b, held by a RU unit in position `level` (hours in position at the start:
    LEVELS) and in supply from d; run for `hours` (`until_taken`: stop when b is taken, before
    anything the attacker's commander does next)."""
    since = START - timedelta(hours=LEVELS[level])
    scenario = toy_scenario(
        [
            {
                "id": "ua",
                "name": "UA",
                "side": "UA",
                "at": "a",
                "equipment": {"personnel": attackers},
            },
            {
                "id": "ru",
                "name": "RU",
                "side": "RU",
                "at": "b",
                "in_position_since": since,
                "equipment": {"personnel": defenders},
            },
        ],
        hours=hours,
        orders=[{"units": ["ua"], "task": "attack", "objective": "b"}],
        depots=[
            {"id": "ua_d", "side": "UA", "at": "a", "kind": "base"},
            {"id": "ru_d", "side": "RU", "at": "d", "kind": "base"},
        ],
        control={"nodes": {"RU": ["b", "c", "d"]}},
        parameters=CLEAN,
    )
    model = CampaignModel(scenario, toy_theatre(LINE, EDGES), seed=0)
    while model.running and not (until_taken and model.world.control["b"] == "UA"):
        model.step()
    return model


def taken_at(model: CampaignModel, node: str) -> float:
    """Hours from the start until `node` first changed hands (inf if never)."""
    for ch in model.record.control_changes:
        if ch["node_id"] == node:
            return (np.datetime64(ch["time"]) - np.datetime64(START)) / np.timedelta64(1, "h")
    return float("inf")


def test_the_defence_level_follows_the_hours_in_position():
    """The scenario's in_position_since sets the hours in place at the start: 0 h hasty,
    30 h prepared (over dig_in_hours), 400 h fortified (over fortify_hours)."""
    p = Parameters()
    assert p.dig_in_hours < LEVELS["prepared"] < p.fortify_hours < LEVELS["fortified"]
    for level in LEVELS:
        ru = attack_on_b(1000, 500, level, hours=1).unit("ru")
        assert ru is not None and ru.defence_level == combat.DefenceLevel[level.upper()]


@settings(max_examples=12, deadline=None)
@given(st.integers(1500, 6000), st.integers(100, 600))
def test_a_longer_held_position_never_falls_sooner_and_costs_the_attacker_more(
    attackers, defenders
):
    """The same attack on the same garrison: a prepared position falls no sooner than a hasty
    one and a fortified no sooner than a prepared one, and each costs the attacker at least as
    many men up to the capture (the attack lasts longer at worse odds)."""
    runs = [attack_on_b(attackers, defenders, level, until_taken=True) for level in LEVELS]
    times = [taken_at(m, "b") for m in runs]
    assert times == sorted(times)
    lost = [m.unit("ua").lost[combat.PERSONNEL] for m in runs]
    assert lost == sorted(lost)
    assert times[0] < float("inf")  # the hasty position does fall: the comparison means something


@settings(max_examples=12, deadline=None)
@given(st.integers(800, 4000), st.integers(0, 4000), st.sampled_from(list(LEVELS)))
def test_more_attackers_never_slow_an_advance(attackers, extra, level):
    """Against the same defence, a larger attack never covers less of the way to b in any
    hour, and so never takes it later."""
    small = attack_on_b(attackers, 400, level, hours=60)
    large = attack_on_b(attackers + extra, 400, level, hours=60)
    assert taken_at(large, "b") <= taken_at(small, "b")


@settings(max_examples=200, deadline=None)
@given(
    st.floats(10.0, 1e5),
    st.floats(10.0, 1e5),
    st.floats(1.0, 8.0),
    st.sampled_from(list(combat.DefenceLevel)[1:]),
    st.sampled_from(["open", "forest", "urban"]),
    st.floats(0.0, 2000.0),
    st.floats(1.0, 30.0),
)
def test_a_battle_hour_gains_more_with_more_attack_and_less_with_more_defence(
    attack, defence, factor, level, terrain, density, road
):
    """resolve_battle: more attacking power never gains less of the way, nor costs the attacker
    a larger share; more defending power (denser too) never lets it gain more."""
    p = Parameters()
    ground = combat.Ground(level, terrain, density, 12.6, road, 0.0)
    denser = combat.Ground(level, terrain, density * factor, 12.6, road, 0.0)
    base = combat.resolve_battle(attack, defence, ground, fog=1.0, physics=p)
    more = combat.resolve_battle(attack * factor, defence, ground, fog=1.0, physics=p)
    held = combat.resolve_battle(attack, defence * factor, denser, fog=1.0, physics=p)
    assert more.gain >= base.gain and more.attacker_loss <= base.attacker_loss
    assert held.gain <= base.gain and held.defender_loss <= base.defender_loss


def out_of_supply(depot_km: float, hours: int = 120) -> CampaignModel:
    """A RU unit holding c, alone on the map, its base `depot_km` away by road."""
    theatre = toy_theatre({"d": (0, 0), "c": (depot_km, 0)}, [("d", "c", depot_km, "main")])
    scenario = toy_scenario(
        [
            {
                "id": "ru",
                "name": "RU",
                "side": "RU",
                "at": "c",
                "equipment": {"personnel": 600, "tanks": 10},
            }
        ],
        hours=hours,
        depots=[{"id": "ru_d", "side": "RU", "at": "d", "kind": "base"}],
        control={"nodes": {"RU": ["d", "c"]}},
        parameters={"combat_noise": 0.0, "withdrawal_doctrine": False},
    )
    model = CampaignModel(scenario, theatre, seed=0)
    model.run()
    return model


def test_units_at_supply_zero_lose_men_and_units_in_supply_do_not():
    """With no enemy anywhere, a unit 150 km from its base (beyond supply_range_km) runs out
    of supply and loses men to sickness, desertion and stragglers (unsupplied_loss_per_day);
    the same unit 20 km from its base loses nobody."""
    far = out_of_supply(150.0).unit("ru")
    near = out_of_supply(20.0).unit("ru")
    assert far is not None and near is not None
    assert far.supply == 0.0 and far.lost[combat.PERSONNEL] > 0
    assert near.supply == 1.0 and near.lost.sum() == 0


def test_a_unit_breaking_off_goes_back_not_towards_the_enemy():
    """A shaken RU unit at c (morale below withdraw_morale, no fallback places: a breakout to
    the nearest place its side holds and supplies) while UA attacks b: of b and d, both 10 km
    away, it goes to d, nearer its base, never to b, the place under attack. (It used to take
    the first by name, b, march into the battle and be forced out of it with the place.)"""
    scenario = toy_scenario(
        [
            {"id": "ua", "name": "UA", "side": "UA", "at": "a", "equipment": {"personnel": 3000}},
            {"id": "rb", "name": "RU b", "side": "RU", "at": "b", "equipment": {"personnel": 300}},
            {
                "id": "rc",
                "name": "RU c",
                "side": "RU",
                "at": "c",
                "morale": 0.3,
                "equipment": {"personnel": 300},
            },
        ],
        hours=12,
        orders=[{"units": ["ua"], "task": "attack", "objective": "b"}],
        depots=[
            {"id": "ua_d", "side": "UA", "at": "a", "kind": "base"},
            {"id": "ru_d", "side": "RU", "at": "d", "kind": "base"},
        ],
        control={"nodes": {"RU": ["b", "c", "d"]}},
        parameters={"combat_noise": 0.0},
    )
    model = CampaignModel(scenario, toy_theatre(LINE, EDGES), seed=0)
    rc = model.unit("rc")
    assert rc is not None
    places = []
    while model.running:
        model.step()
        places += [rc.node, rc.next_node]
    assert any(e["kind"] == "withdraw" and e["unit_id"] == "rc" for e in model.record.events)
    assert "d" in places and "b" not in places


def test_the_front_follows_a_task_changed_without_a_change_of_posture():
    """The sectors are kept until the world's units change (World.derived): a unit given a
    task that is not holding a position while its posture stays defend (no order does that
    today, but a rule may) leaves the front at once, and covers its sector again with the task
    back. Without the task telling the world, the front kept the old sector."""
    from sim.model.rules import front
    from sim.scenario import Task

    model = out_of_supply(20.0, hours=1)
    ru = model.unit("ru")
    assert ru is not None
    assert front.front(model.world).covered["RU"].any()
    ru.task = Task.MOVE  # posture still defend
    assert not front.holds_position(ru)
    assert not front.front(model.world).covered["RU"].any()
    ru.task = Task.HOLD
    assert front.front(model.world).covered["RU"].any()
