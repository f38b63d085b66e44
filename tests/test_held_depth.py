"""Depth in a defence and the limits of a pursuit (issue 23): a position given up is held
again one place back, a side's base is not cut off by the enemy's zone of control, and a
pursuit does not cross into a country the plan does not enter, nor into a quiet rear."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from toy import toy_scenario, toy_theatre

from sim.model import CampaignModel
from sim.model.params_physics import PhysicsParameters
from sim.model.rules import front
from sim.model.rules.combat import combat_phase
from sim.model.rules.supply import supply_share
from sim.model.watch import in_pursuit
from sim.model.world import CrossingState
from sim.scenario import Posture, Scenario, Task

QUIET = {"combat_noise": 0.0, "presence_km": 0.0}
# a --- b --- c --- d --- e, 10 km apart by local road
LINE5 = {"a": (0, 0), "b": (10, 0), "c": (20, 0), "d": (30, 0), "e": (40, 0)}
EDGES5 = [(u, v, 10, "local") for u, v in zip("abcd", "bcde", strict=True)]


def unit(uid: str, name: str, side: str, at: str, personnel: int, **extra: object) -> dict:
    """A unit of a toy scenario: its id, name, side, place and men (other fields as written)."""
    return {
        "id": uid,
        "name": name,
        "side": side,
        "at": at,
        "equipment": {"personnel": personnel},
        **extra,
    }


def base(side: str, at: str) -> dict:
    """A side's base (where its supply starts) at a place of a toy scenario."""
    return {"id": f"{side.lower()}_{at}", "side": side, "at": at, "kind": "base"}


def run(scenario: Scenario, theatre) -> CampaignModel:
    model = CampaignModel(scenario, theatre, seed=0)
    model.run()
    return model


def logged(model: CampaignModel, text: str) -> bool:
    return any(text in e["text"] for e in model.record.events)


def test_a_position_given_up_is_held_again_at_the_next_place_back():
    """A RU post at b, attacked at about 2 : 1, gives b up: it steps back to c, the nearest
    place its side holds deeper in its lines (not the fallback e, 30 km back), and holds
    there once the attack has taken b. With step_back_km 0 it goes to its fallback."""

    def post(step_back_km: float) -> CampaignModel:
        scenario = toy_scenario(
            [
                unit("ua", "UA", "UA", "a", 1200),
                unit("rb", "RU b", "RU", "b", 400),
            ],
            hours=72,
            orders=[{"units": ["ua"], "task": "attack", "objective": "b"}],
            depots=[base("RU", "e"), base("UA", "a")],
            control={"nodes": {"RU": ["b", "c", "d", "e"]}},
            fallback={"RU": ["e"]},
            parameters={**QUIET, "step_back_km": step_back_km},
        )
        return run(scenario, toy_theatre(LINE5, EDGES5))

    stepped = post(20.0)
    assert logged(stepped, "steps back to C")
    rb = stepped.world.unit("rb")
    assert rb is not None and rb.node == "c" and rb.task == Task.HOLD
    assert stepped.world.control["b"] == "UA" and stepped.world.control["c"] == "RU"
    ran = post(0.0)
    assert not logged(ran, "steps back")
    rb = ran.world.unit("rb")
    assert rb is not None and rb.node == "e"


def test_a_position_with_no_way_back_is_fought_for_to_the_end():
    """A RU post holds b, a dead end: its only road leads to a, where the attack comes from.
    When the attack has gained give_up_share of b, the post has nowhere to go back to, so it
    fights on in its defence (said once) instead of giving b up in name and losing men for
    it, and it is still in defence, not withdrawing, when b falls."""
    nodes = {"z": (-10, 0), "a": (0, 0), "b": (10, 0)}
    edges = [("z", "a", 10, "local"), ("a", "b", 10, "local")]
    scenario = toy_scenario(
        [unit("ua", "UA", "UA", "a", 1200), unit("rb", "RU b", "RU", "b", 400)],
        hours=72,
        orders=[{"units": ["ua"], "task": "attack", "objective": "b"}],
        depots=[base("RU", "b"), base("UA", "z")],
        control={"nodes": {"RU": ["b"]}},
        fallback={"RU": ["b"]},
        parameters=QUIET,
    )
    model = CampaignModel(scenario, toy_theatre(nodes, edges), seed=0)
    rb = model.world.unit("rb")
    assert rb is not None
    postures = []
    while model.running and model.world.control["b"] == "RU":
        postures.append(rb.posture)
        model.step()
    texts = [e["text"] for e in model.record.events]
    assert sum("no way back" in t for t in texts) == 1
    assert not any("gives up" in t for t in texts)
    assert model.world.control["b"] == "UA"  # it fell, to the attack
    assert set(postures) == {Posture.DEFEND}


def test_a_unit_that_breaks_where_its_fallback_is_leaves_no_men_behind():
    """Men are left behind when a unit breaks contact under assault, on the road out. A unit
    whose morale breaks in the place that is its own fallback goes nowhere, so it breaks no
    contact and hands the enemy no prisoners; one with a road back does."""

    def breaking(fallback: str) -> tuple[CampaignModel, float]:
        scenario = toy_scenario(
            [unit("ua", "UA", "UA", "a", 1200), unit("rb", "RU b", "RU", "b", 400)],
            hours=2,
            depots=[base("RU", "e"), base("UA", "a")],
            control={"nodes": {"RU": ["b", "c", "d", "e"]}},
            fallback={"RU": [fallback]},
            parameters=QUIET,
        )
        model = CampaignModel(scenario, toy_theatre(LINE5, EDGES5), seed=0)
        rb = model.world.unit("rb")
        assert rb is not None
        men = rb.personnel
        rb.in_combat = True
        rb.fall_back(Posture.WITHDRAW, "breaks off and withdraws")
        return model, men - rb.personnel

    stays, lost = breaking("b")
    assert stays.world.unit("rb").node == "b" and lost == 0
    assert stays.world.prisoners["UA"] == 0
    goes, lost = breaking("e")
    assert goes.world.unit("rb").route and lost > 0 and goes.world.prisoners["UA"] == lost


def test_a_unit_broken_in_place_reorganises_only_out_of_contact():
    """A RU post at b breaks on its own morale where its fallback is: it stays, withdrawn. With
    its morale back to withdraw_morale it stands again only if no enemy troops are within
    presence_km; a UA unit 3 km away keeps it broken (it used to break and stand again hour
    after hour on the threshold)."""

    def broken(ua_at: str) -> Posture:
        nodes = {"u": (-3, 0), "b": (0, 0), "e": (20, 0), "f": (-40, 0)}
        edges = [("u", "b", 3, "local"), ("b", "e", 20, "local"), ("f", "u", 37, "local")]
        scenario = toy_scenario(
            [unit("ua", "UA", "UA", ua_at, 300), unit("rb", "RU b", "RU", "b", 400)],
            hours=4,
            depots=[base("RU", "e"), base("UA", "f")],
            control={"nodes": {"RU": ["b", "e"], "UA": ["u", "f"]}},
            fallback={"RU": ["b"]},
            parameters={**QUIET, "presence_km": 5.0},
        )
        model = CampaignModel(scenario, toy_theatre(nodes, edges), seed=0)
        rb = model.world.unit("rb")
        assert rb is not None
        rb.morale = rb.doctrine.withdraw_morale - 0.01
        rb.step()
        assert rb.posture == Posture.WITHDRAW and rb.node == "b" and rb.broke
        rb.morale = rb.doctrine.withdraw_morale + 0.01
        rb.step()
        return rb.posture

    assert broken("u") == Posture.WITHDRAW  # the enemy 3 km off: still broken
    assert broken("f") == Posture.DEFEND  # none near: reorganised


def test_a_base_is_not_cut_off_by_the_enemy_zone_of_control():
    """UA's base a and the village f both lie next to a RU company holding b, with no UA
    troops near: supply is not traced through f, but the base stays open."""
    nodes = {**LINE5, "f": (10, 10)}
    edges = [*EDGES5, ("b", "f", 10, "local")]
    scenario = toy_scenario(
        [
            unit("rb", "RU b", "RU", "b", 400),
            unit("ue", "UA far", "UA", "e", 100),
        ],
        hours=2,
        depots=[base("UA", "a"), base("RU", "d")],
        control={"nodes": {"RU": ["b", "c", "d"]}},
        parameters=QUIET,
    )
    model = run(scenario, toy_theatre(nodes, edges))
    world = model.world
    blocked = front.supply_blocked(world, "UA")
    index = world.network.index
    assert front.front(world).zoc["RU"][index["a"]] and front.front(world).zoc["RU"][index["f"]]
    assert blocked[index["f"]]
    assert not blocked[index["a"]]


def test_a_pursuit_stays_out_of_a_country_the_plan_does_not_enter():
    """UA takes b; c (Ukraine) and d (Russia) are held by Russia, a small Russian post at c
    going back to z (90 km beyond d) at the start. The idle brigade follows it to take c,
    which the enemy has left, but not d, across the border: no UA order attacks into
    Russia."""
    theatre = toy_theatre({**LINE5, "z": (120, 0)}, [*EDGES5, ("e", "z", 80, "local")])
    for n in ("d", "e", "z"):
        theatre.graph.nodes[n]["country"] = "RU"
    scenario = toy_scenario(
        [
            unit("ua", "UA", "UA", "a", 1200),
            unit("rc", "RU c", "RU", "c", 10),
        ],
        hours=120,
        orders=[
            {"units": ["ua"], "task": "attack", "objective": "b"},
            {"units": ["rc"], "task": "withdraw", "objective": "z"},
        ],
        depots=[base("UA", "a"), base("RU", "z")],
        control={"nodes": {"RU": ["b", "c"]}},
        parameters={**QUIET, "idle_free_km": 5.0},
    )
    model = run(scenario, theatre)
    assert model.world.control["c"] == "UA"
    assert model.world.control["d"] == "RU"
    assert not logged(model, "moves to take D")


def test_a_pursuit_follows_an_enemy_in_retreat_not_into_its_quiet_rear():
    """UA takes b, which Russia holds with no troops; c, d and e are Russian-held and
    undefended, the nearest Russian troops 90 km beyond e at z. With nobody seen going back,
    the idle brigade stays at b: the enemy's quiet rear is not walked into on its own
    initiative. With a Russian post going back from d to z at the start, it follows: c and
    d are taken (docs/model.md, Plans and commanders: the pursuit)."""

    def rear(retreat: bool) -> CampaignModel:
        theatre = toy_theatre({**LINE5, "z": (130, 0)}, [*EDGES5, ("e", "z", 90, "local")])
        units = [unit("ua", "UA", "UA", "a", 1200), unit("rz", "RU z", "RU", "z", 10)]
        orders = [{"units": ["ua"], "task": "attack", "objective": "b"}]
        if retreat:
            units.append(unit("rd", "RU d", "RU", "d", 10))
            orders.append({"units": ["rd"], "task": "withdraw", "objective": "z"})
        scenario = toy_scenario(
            units,
            hours=120,
            orders=orders,
            depots=[base("UA", "a"), base("RU", "z")],
            control={"nodes": {"RU": ["b", "c", "d", "e", "z"]}},
            parameters={**QUIET, "idle_free_km": 5.0},
        )
        return run(scenario, theatre)

    quiet, followed = rear(retreat=False), rear(retreat=True)
    assert quiet.world.control["b"] == "UA"
    assert quiet.world.control["c"] == "RU"
    assert not logged(quiet, "which the enemy has left")
    assert followed.world.control["c"] == "UA"
    assert followed.world.control["d"] == "UA"


def test_a_unit_broken_where_it_stands_is_not_a_retreat_to_pursue():
    """A commander notes where enemy units are on the road back (`retreat_seen`, what a
    pursuit follows). A Russian post broken where it stands (posture withdraw, nowhere to go)
    is not going back and is not noted; the same post on the road back to z is."""
    theatre = toy_theatre({**LINE5, "z": (130, 0)}, [*EDGES5, ("e", "z", 90, "local")])
    scenario = toy_scenario(
        [unit("ua", "UA", "UA", "a", 1200), unit("rd", "RU d", "RU", "d", 100)],
        hours=2,
        depots=[base("UA", "a"), base("RU", "z")],
        control={"nodes": {"RU": ["b", "c", "d", "e", "z"]}},
        parameters=QUIET,
    )
    model = CampaignModel(scenario, theatre, seed=0)
    rd, commander = model.world.unit("rd"), model.commanders["UA"]
    assert rd is not None
    rd.posture = Posture.WITHDRAW  # broken in place: no route
    commander._watch_enemy()
    assert "d" not in commander.retreat_seen
    rd.set_route(["e", "z"])  # on the road back
    commander._watch_enemy()
    assert "d" in commander.retreat_seen


def test_a_retreat_is_followed_for_fortify_hours_and_within_idle_reach_only():
    """in_pursuit on the toy line (places 10 km apart): a retreat seen at e, fortify_hours
    ago, opens d (10 km off) to a pursuit reaching 15 km, and c (20 km) too at 25 km, never b
    (30 km); one seen an hour longer ago opens nothing, and is forgotten."""
    scenario = toy_scenario(
        [unit("ua", "UA", "UA", "a", 100)],
        hours=1,
        depots=[base("UA", "a")],
        control={"nodes": {"RU": ["b", "c", "d", "e"]}},
        parameters=QUIET,
    )
    world = CampaignModel(scenario, toy_theatre(LINE5, EDGES5), seed=0).world
    hours = world.physics.fortify_hours
    fresh = {"e": world.now - timedelta(hours=hours)}
    assert in_pursuit(["b", "c", "d"], fresh, world, 15.0) == ["d"]
    assert in_pursuit(["b", "c", "d"], fresh, world, 25.0) == ["c", "d"]
    stale = {"e": world.now - timedelta(hours=hours + 1)}
    assert in_pursuit(["b", "c", "d"], stale, world, 25.0) == []
    assert stale == {}


def test_a_rigged_bridge_is_blown_in_the_enemy_s_face():
    """a --- b -bridge- c --- d: a RU company holds c behind the bridge, a UA battalion
    without engineers attacks from a. Rigged (and the RU doctrine sure to fire it), the bridge
    is blown when the UA battalion reaches b, before it attacks over it: c is never taken.
    Not rigged, nobody blows it (the RU company never withdraws over it) and c falls."""
    theatre = toy_theatre(
        {"a": (0, 0), "b": (10, 0), "c": (20, 0), "d": (30, 0)},
        [("a", "b", 10, "local"), ("b", "c", 10, "local", "br"), ("c", "d", 10, "local")],
        crossings={"br": "bridge"},
    )

    def river_line(rigged: bool) -> CampaignModel:
        scenario = toy_scenario(
            [
                unit("ua", "UA", "UA", "a", 1200, posture="attack"),
                unit("rc", "RU c", "RU", "c", 150),
            ],
            hours=72,
            orders=[{"units": ["ua"], "task": "attack", "objective": "c"}],
            depots=[base("RU", "d"), base("UA", "a")],
            control={"nodes": {"RU": ["c", "d"]}},
            parameters=QUIET,
            sides={
                "UA": {"name": "UA"},
                "RU": {"name": "RU", "doctrine": {"demolition_probability": 1.0}},
            },
            crossings={"br": "rigged"} if rigged else {},
        )
        return run(scenario, theatre)

    rigged = river_line(True)
    assert rigged.world.crossings["br"] == CrossingState.DESTROYED
    assert logged(rigged, "as the enemy reached it")
    assert rigged.world.control["c"] == "RU"
    plain = river_line(False)
    assert plain.world.crossings["br"] == CrossingState.INTACT
    assert plain.world.control["c"] == "UA"


def test_a_zone_of_control_reaches_only_the_roads_a_unit_covers():
    """A RU company at a: b, 8 km away by road, is in its zone of control; c, 40 km away by
    its own road, is not (a column or a supply line 40 km off is not stopped by it). With
    sector_reach_km 50 it is."""
    nodes = {"a": (0, 0), "b": (8, 0), "c": (0, 40)}
    edges = [("a", "b", 8, "local"), ("a", "c", 40, "local")]

    def zoc(reach_km: float) -> dict[str, bool]:
        scenario = toy_scenario(
            [unit("ra", "RU a", "RU", "a", 400)],
            hours=1,
            depots=[base("RU", "a")],
            parameters={**QUIET, "sector_reach_km": reach_km},
        )
        world = run(scenario, toy_theatre(nodes, edges)).world
        mask = front.front(world).zoc["RU"]
        return {n: bool(mask[world.network.index[n]]) for n in nodes}

    assert zoc(10.0) == {"a": True, "b": True, "c": False}
    assert zoc(50.0) == {"a": True, "b": True, "c": True}


def test_supply_thins_out_with_distance_beyond_supply_range():
    """The share of its needs a unit gets never grows with distance: all of it within
    supply_range_km, none at supply_reach_km or cut off. A unit standing 100 km from its base
    settles at that share (about half, with 60 and 145 km), not at nothing."""
    physics = PhysicsParameters()
    kms = [0, 30, 60, 61, 90, 100, 144, 145, 300, math.inf]
    shares = [supply_share(km, physics) for km in kms]
    assert shares[:3] == [1.0, 1.0, 1.0] and shares[-3:] == [0.0, 0.0, 0.0]
    assert all(a >= b for a, b in zip(shares, shares[1:], strict=False))
    assert 0 < shares[3] < 1

    def settled(reach_km: float) -> float:
        scenario = toy_scenario(
            [unit("ub", "UA b", "UA", "b", 400)],
            hours=240,
            depots=[base("UA", "a")],
            parameters={**QUIET, "supply_reach_km": reach_km},
        )
        theatre = toy_theatre({"a": (0, 0), "b": (100, 0)}, [("a", "b", 100, "local")])
        ub = run(scenario, theatre).world.unit("ub")
        assert ub is not None
        return ub.supply

    physics_share = supply_share(100.0, physics)
    assert settled(145.0) == pytest.approx(physics_share, abs=0.02)
    assert settled(60.0) == 0.0


def test_a_holding_unit_follows_up_a_withdrawal_but_not_an_advance():
    """A UA brigade holds a; a RU company at c, 20 km off, goes back to e on its command's
    order. The brigade follows it up: it moves to c, the place the enemy has left, and holds
    there. A RU company that moves on (a move, not a withdrawal) leaves c the same way, and
    the brigade stays at a: a holding unit follows a retreat, not an enemy that has gone
    elsewhere."""

    def front_line(ru_task: str) -> CampaignModel:
        scenario = toy_scenario(
            [
                unit("ua", "UA", "UA", "a", 1200),
                unit("rc", "RU c", "RU", "c", 400),
            ],
            hours=96,
            orders=[
                {"units": ["ua"], "task": "hold"},
                {"units": ["rc"], "task": ru_task, "objective": "e"},
            ],
            depots=[base("UA", "a"), base("RU", "e")],
            control={"nodes": {"RU": ["c", "d", "e"]}},
            fallback={"RU": ["e"]},
            parameters=QUIET,
        )
        return run(scenario, toy_theatre(LINE5, EDGES5))

    followed = front_line("withdraw")
    assert logged(followed, "UA moves to take C, which the enemy has left")
    ua = followed.world.unit("ua")
    assert ua is not None and ua.node == "c" and ua.task == Task.HOLD
    assert followed.world.control["c"] == "UA"
    moved_on = front_line("move")
    assert not logged(moved_on, "moves to take")
    ua = moved_on.world.unit("ua")
    assert ua is not None and ua.node == "a"


def test_an_attack_goes_round_not_through_a_country_its_side_does_not_enter():
    """a UA battalion at a attacks c, held by Russia. The short way runs through r, a
    Russian village across the border (8 + 8 km of highway); the long way is 30 km of local
    road inside Ukraine. No UA order attacks into Russia and UA holds nothing there, so the
    battalion takes the long way and never stands in r. With r in Ukraine it takes the short
    way through it."""

    def visited(r_country: str) -> set[str]:
        theatre = toy_theatre(
            {"a": (0, 0), "c": (20, 0), "r": (10, 6)},
            [("a", "c", 30, "local"), ("a", "r", 8, "highway"), ("r", "c", 8, "highway")],
        )
        theatre.graph.nodes["r"]["country"] = r_country
        scenario = toy_scenario(
            [unit("ua", "UA", "UA", "a", 800, posture="attack")],
            hours=72,
            orders=[{"units": ["ua"], "task": "attack", "objective": "c"}],
            depots=[base("UA", "a")],
            control={"nodes": {"RU": ["c", "r"]}},
            parameters=QUIET,
        )
        model = CampaignModel(scenario, theatre, seed=0)
        seen = set()
        for _ in range(72):
            model.step()
            ua = model.world.unit("ua")
            assert ua is not None
            seen.add(ua.node)
        return seen

    abroad = visited("RU")
    assert "r" not in abroad and "c" in abroad
    assert "r" in visited("UA")


def test_a_siege_lapses_only_when_nobody_attacks_the_place():
    """A UA battalion at a attacks c by way of b. An hour with no battle at b (its defenders
    gone, nobody in it yet) does not wipe out what the attack had gained there while the
    battalion still attacks b; at c, which nobody attacks this hour, it does."""
    scenario = toy_scenario(
        [unit("ua", "UA", "UA", "a", 800, posture="attack")],
        hours=4,
        orders=[{"units": ["ua"], "task": "attack", "objective": "e"}],
        depots=[base("UA", "a")],
        control={"nodes": {"RU": ["b", "c", "d", "e"]}},
        parameters=QUIET,
    )
    model = CampaignModel(scenario, toy_theatre(LINE5, EDGES5), seed=0)
    model.step()  # the commander hands out the order; the battalion sets off towards b
    world = model.world
    ua = world.unit("ua")
    assert ua is not None and ua.task == Task.ATTACK and ua.next_node == "b"
    world.siege.update({"b": 0.5, "d": 0.5})
    combat_phase(world)
    assert world.siege == {"b": 0.5}
