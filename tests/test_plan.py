"""Plans and commanders on small hand-built theatres: orders that wait for conditions, attacks
that go on to their next objective, and the commander's decisions (docs/model.md, "Plans and
commanders")."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError
from toy import START, toy_scenario, toy_theatre

from sim.model import CampaignModel
from sim.model.plan import OrderState, met
from sim.scenario import Condition, Posture, Scenario

QUIET = {"combat_noise": 0.0, "presence_km": 0.0}
# a --- b --- c --- d, 10 km apart by local road
LINE4 = {"a": (0, 0), "b": (10, 0), "c": (20, 0), "d": (30, 0)}
EDGES4 = [("a", "b", 10, "local"), ("b", "c", 10, "local"), ("c", "d", 10, "local")]


def hour_of(model: CampaignModel, when: str) -> float:
    return (datetime.fromisoformat(when) - START).total_seconds() / 3600


def first(model: CampaignModel, kind: str, text: str = "") -> dict | None:
    return next((e for e in model.record.events if e["kind"] == kind and text in e["text"]), None)


def changed(model: CampaignModel, node: str) -> float:
    """Hours from the start until `node` first changed hands (inf if never)."""
    ch = next((c for c in model.record.control_changes if c["node_id"] == node), None)
    return hour_of(model, ch["time"]) if ch else float("inf")


def run(scenario: Scenario, theatre, seed: int = 0) -> CampaignModel:
    model = CampaignModel(scenario, theatre, seed=seed)
    model.run()
    return model


# ---------------------------------------------------------------------------------- orders
def test_an_attack_goes_on_to_its_next_objective():
    """UA attacks b then c, each held by a small RU post: c falls after b, without a second
    order, and the order is done once c is held, with the unit there."""
    theatre = toy_theatre(LINE4, EDGES4)
    scenario = toy_scenario(
        [
            {"id": "ua", "name": "UA", "side": "UA", "at": "a", "equipment": {"personnel": 3000}},
            {"id": "rb", "name": "RU b", "side": "RU", "at": "b", "equipment": {"personnel": 100}},
            {"id": "rc", "name": "RU c", "side": "RU", "at": "c", "equipment": {"personnel": 100}},
        ],
        hours=96,
        orders=[{"id": "push", "units": ["ua"], "task": "attack", "objectives": ["b", "c"]}],
        depots=[{"id": "ua_d", "side": "UA", "at": "a"}, {"id": "ru_d", "side": "RU", "at": "d"}],
        control={"nodes": {"RU": ["b", "c", "d"]}},
        parameters=QUIET,
    )
    model = CampaignModel(scenario, theatre, seed=0)
    ua = model.unit("ua")
    done_at, beyond = None, []
    while model.running:
        model.step()
        if done_at is None and model.plan.state("push") == OrderState.DONE:
            done_at = ua.node
        if ua.node == "d":
            beyond.append(ua.order_id)
    assert changed(model, "b") < changed(model, "c") < float("inf")
    assert done_at == "c"  # done once c is held, where the attack stopped
    # the order took it no further: if it went on to d, the garrisons having routed there,
    # its commander sent it (pursuit: sim/model/commander.py, _take_abandoned)
    assert all(order is None for order in beyond)
    assert not beyond or first(model, "command", "moves to take D, which the enemy has left")


def test_an_order_waits_for_its_condition_then_the_command_delay():
    """The 'follow' order waits until b is taken (by the other unit), then goes out
    order_delay_hours later: the follower starts moving in the hour after that."""
    theatre = toy_theatre(LINE4, EDGES4)
    delay = 3
    scenario = toy_scenario(
        [
            {"id": "ua", "name": "UA", "side": "UA", "at": "a", "equipment": {"personnel": 3000}},
            {"id": "ua2", "name": "UA 2", "side": "UA", "at": "a", "equipment": {"personnel": 200}},
            {"id": "rb", "name": "RU b", "side": "RU", "at": "b", "equipment": {"personnel": 100}},
        ],
        hours=72,
        orders=[
            {"units": ["ua"], "task": "attack", "objective": "b"},
            {
                "id": "follow",
                "units": ["ua2"],
                "task": "move",
                "objective": "d",
                "when": {"taken": "b"},
            },
        ],
        depots=[{"id": "ua_d", "side": "UA", "at": "a"}, {"id": "ru_d", "side": "RU", "at": "d"}],
        control={"nodes": {"RU": ["b", "c", "d"]}},
        parameters={**QUIET, "order_delay_hours": delay},
    )
    model = run(scenario, theatre)
    taken = changed(model, "b")
    moved = next(
        k
        for k, f in enumerate(model.record.frames)
        if any(u["id"] == "ua2" and u["task"] == "move" for u in f["units"])
    )
    # the condition is seen in the orders phase of the hour after b changed hands
    assert moved == taken + 1 + delay


def test_a_reinforcement_takes_its_order_on_arrival():
    theatre = toy_theatre(LINE4, EDGES4)
    scenario = toy_scenario(
        [
            {
                "id": "late",
                "name": "Late",
                "side": "UA",
                "at": "a",
                "arrives": START + timedelta(hours=10),
                "equipment": {"personnel": 200},
            }
        ],
        hours=24,
        orders=[{"units": ["late"], "task": "move", "objective": "b"}],
        depots=[{"id": "ua_d", "side": "UA", "at": "a"}],
        parameters=QUIET,
    )
    model = run(scenario, theatre)
    assert model.unit("late").node == "b"
    assert first(model, "arrival")["time"] == (START + timedelta(hours=11)).isoformat()[:16]


# ---------------------------------------------------------------------------------- conditions
@pytest.fixture()
def standing():
    """A model at its start: UA at a (strong) and b (weak), RU at c, d RU-held and empty."""
    theatre = toy_theatre(LINE4, EDGES4)
    scenario = toy_scenario(
        [
            {"id": "ua", "name": "UA", "side": "UA", "at": "a", "equipment": {"personnel": 3000}},
            {
                "id": "weak",
                "name": "Weak",
                "side": "UA",
                "at": "b",
                "supply": 0.2,
                "equipment": {"personnel": 100},
            },
            {
                "id": "later",
                "name": "Later",
                "side": "UA",
                "at": "a",
                "arrives": START + timedelta(hours=5),
                "equipment": {"personnel": 100},
            },
            {"id": "rc", "name": "RU c", "side": "RU", "at": "c", "equipment": {"personnel": 500}},
        ],
        hours=24,
        orders=[{"id": "o", "units": ["ua"], "task": "hold"}],
        depots=[{"id": "ua_d", "side": "UA", "at": "a"}, {"id": "ru_d", "side": "RU", "at": "d"}],
        control={"nodes": {"RU": ["c", "d"]}},
        parameters=QUIET,
    )
    model = CampaignModel(scenario, theatre, seed=0)
    return model, model.plan[0]


@pytest.mark.parametrize(
    "cond, expected",
    [
        ({"taken": "b"}, True),
        ({"taken": "c"}, False),
        ({"lost": "c"}, True),
        ({"lost": "a"}, False),
        ({"empty": "d"}, True),
        ({"empty": "c"}, False),
        ({"arrived": "ua"}, True),
        ({"arrived": "later"}, False),
        ({"arrived": "ua", "at": "a"}, True),
        ({"arrived": "ua", "at": "b"}, False),
        ({"supply": "weak", "below": 0.5}, True),
        ({"supply": "ua", "below": 0.5}, False),
        ({"strength": "weak", "below": 0.5}, False),
        ({"ratio": 2.0, "at": "c"}, True),
        ({"ratio": 20.0, "at": "c"}, False),
        ({"done": "o"}, False),
        ({"all": [{"taken": "b"}, {"lost": "c"}]}, True),
        ({"all": [{"taken": "b"}, {"taken": "c"}]}, False),
        ({"any": [{"taken": "c"}, {"lost": "d"}]}, True),
    ],
)
def test_each_kind_of_condition(standing, cond, expected):
    """Seen from UA at the start. The ratio: 3,000 soldiers attacking (x1) against 500 in a
    prepared defence (x1.6): 3.75."""
    model, order = standing
    assert met(Condition.model_validate(cond), order, model.world, model.plan) is expected


def test_done_and_arrived_become_true(standing):
    model, order = standing
    for _ in range(6):
        model.step()
    assert met(Condition(done="o"), order, model.world, model.plan)  # a hold is done once issued
    assert met(Condition(arrived="later"), order, model.world, model.plan)


@pytest.mark.parametrize(
    "cond, message",
    [
        ({}, "exactly one of"),
        ({"taken": "b", "lost": "c"}, "exactly one of"),
        ({"taken": "b", "at": "c"}, "at: goes with arrived or ratio"),
        ({"ratio": 2.0}, "ratio: needs at:"),
        ({"supply": "x"}, "below: goes with strength or supply"),
        ({"taken": "b", "below": 0.3}, "below: goes with strength or supply"),
    ],
)
def test_a_condition_is_checked_when_the_scenario_is_read(cond, message):
    with pytest.raises(ValidationError, match=message):
        Condition.model_validate(cond)


# ---------------------------------------------------------------------------------- commander
def pocket(
    on_threat: str = "withdraw", post: int = 100, dead_end: bool = False, **params
) -> CampaignModel:
    """Two RU units at p hold a salient fed from their base h through q, 15 km behind them
    (beyond sector_reach_km: q is the rear of their line, not a place of their sector); a
    RU post of `post` men at h covers h and q (without it q, in the enemy's zone of control
    with no troops near, would carry no supply). A strong UA unit at u attacks q to cut the
    line. Fallback: r, reached from p by a second road; with `dead_end`, there is no r and p's
    one road runs through q (fallback: the base h)."""
    nodes = {"h": (0, 0), "q": (10, 0), "p": (25, 0), "r": (25, -10), "u": (10, 10)}
    edges = [
        ("h", "q", 10, "main"),
        ("q", "p", 15, "main"),
        ("p", "r", 10, "local"),
        ("r", "h", 28, "local"),
        ("u", "q", 14, "main"),
    ]
    held, fallback = ["h", "q", "p", "r"], "r"
    if dead_end:
        del nodes["r"]
        edges = [e for e in edges if "r" not in e[:2]]
        held, fallback = ["h", "q", "p"], "h"
    theatre = toy_theatre(nodes, edges)
    scenario = toy_scenario(
        [
            {"id": "r1", "name": "RU 1", "side": "RU", "at": "p", "equipment": {"personnel": 400}},
            {"id": "r2", "name": "RU 2", "side": "RU", "at": "p", "equipment": {"personnel": 400}},
            {"id": "r0", "name": "RU 0", "side": "RU", "at": "h", "equipment": {"personnel": post}},
            {"id": "ua", "name": "UA", "side": "UA", "at": "u", "equipment": {"personnel": 3000}},
        ],
        hours=80 if dead_end else 60,
        orders=[{"units": ["ua"], "task": "attack", "objective": "q"}],
        depots=[
            {"id": "ru_h", "side": "RU", "at": "h", "kind": "base"},
            {"id": "ua_u", "side": "UA", "at": "u", "kind": "base"},
        ],
        control={"nodes": {"RU": held, "UA": ["u"]}},
        fallback={"RU": [fallback]},
        parameters={**QUIET, **params},
    )
    data = scenario.model_dump()
    data["groupings"] = [
        {"id": "salient", "units": ["r1", "r2"], "on_threat": on_threat, "source": "test"}
    ]
    return run(Scenario.model_validate(data), theatre)


@pytest.mark.parametrize(
    "post, evidence",
    [
        # q's defence, the post's half of 100 x 1.6, against 3000: the enemy is winning there
        (100, "the enemy is attacking Q on its line of supply"),
        # 4000 x 1.6 / 2 = 3200 against 3000: not winning yet, but on the move one road from
        # q and far stronger than loc_threat_ratio x the grouping
        (4000, "enemy forces at U are closing on its line of supply"),
    ],
)
def test_a_grouping_whose_line_is_threatened_withdraws_together_after_the_decision_delay(
    post, evidence
):
    model = pocket(post=post, withdraw_decision_hours=5, order_delay_hours=1)
    order = first(model, "command", "grouping back")
    assert order is not None
    withdrawals = [e for e in model.record.events if e["kind"] == "withdraw"]
    assert {e["unit_id"] for e in withdrawals} == {"r1", "r2"}
    assert len({e["time"] for e in withdrawals}) == 1  # together
    assert model.unit("r1").node == "r" and model.unit("r2").node == "r"
    # the evidence is there from the first hour, and names the place: the decision 5 hours
    # later, the order one hour after that
    assert order["text"].endswith(evidence)
    assert hour_of(model, order["time"]) == 5 + 1 + 1


def test_a_grouping_cut_off_with_no_way_back_holds_where_it_stands():
    """The salient at p is a dead end: its one road runs through q. Once the UA attack has
    taken q, the grouping's line of supply is cut and there is no way back (the way out
    crosses 15 km of enemy-held road, more than breakout_max_km). Ordered back then, it would
    only stand in the place out of its defence; it holds instead, in its defence. (The
    decision waits until q has fallen, about hour 16, and the way out with it.)"""
    model = pocket(dead_end=True, withdraw_decision_hours=30, breakout_max_km=5)
    taken = first(model, "node_taken")
    assert taken is not None and "Q" in taken["text"]
    assert first(model, "command", "grouping back") is None
    for uid in ("r1", "r2"):
        unit = model.unit(uid)
        assert unit.node == "p" and unit.posture == Posture.DEFEND


@pytest.mark.parametrize("variant", [{"on_threat": "hold"}, {"withdrawal_doctrine": False}])
def test_a_grouping_the_plan_holds_stays(variant):
    model = pocket(**variant)
    assert first(model, "command", "grouping back") is None
    assert {model.unit("r1").node, model.unit("r2").node} == {"p"}


def test_a_stalled_attack_is_resumed_when_reinforced():
    """A UA unit too weak to take b (400 against 400 x 1.6, prepared: ratio 0.63, below
    stall_ratio 0.75) calls its attack off after attack_stall_hours; a second unit arriving
    at a later brings the estimate over capture_ratio x resume_ratio_margin: the commander
    resumes the attack and b falls."""
    theatre = toy_theatre(LINE4, EDGES4)
    scenario = toy_scenario(
        [
            {"id": "ua", "name": "UA", "side": "UA", "at": "a", "equipment": {"personnel": 400}},
            {
                "id": "help",
                "name": "Help",
                "side": "UA",
                "at": "a",
                "arrives": START + timedelta(hours=40),
                "equipment": {"personnel": 2500},
            },
            {"id": "rb", "name": "RU b", "side": "RU", "at": "b", "equipment": {"personnel": 400}},
        ],
        hours=120,
        orders=[{"units": ["ua"], "task": "attack", "objective": "b"}],
        depots=[{"id": "ua_d", "side": "UA", "at": "a"}, {"id": "ru_d", "side": "RU", "at": "d"}],
        control={"nodes": {"RU": ["b", "c", "d"]}},
        parameters={**QUIET, "withdrawal_doctrine": False},
    )
    model = run(scenario, theatre)
    stalled = first(model, "attack_stalled")
    resumed = first(model, "command", "resumes the attack")
    assert stalled and resumed
    assert hour_of(model, stalled["time"]) < 40 < hour_of(model, resumed["time"])
    assert changed(model, "b") < float("inf")


def test_a_reserve_is_committed_where_the_line_is_about_to_break():
    """RU attacks UA-held b at 4000 / (800 x 1.6) = 3.1; at the commander's review of hour 6
    the fight is still on, and the UA reserve standing at a is sent to b."""
    theatre = toy_theatre(LINE4, EDGES4)
    scenario = toy_scenario(
        [
            {
                "id": "res",
                "name": "Reserve",
                "side": "UA",
                "at": "a",
                "posture": "reserve",
                "equipment": {"personnel": 800},
            },
            {"id": "ub", "name": "UA b", "side": "UA", "at": "b", "equipment": {"personnel": 800}},
            {"id": "ru", "name": "RU", "side": "RU", "at": "c", "equipment": {"personnel": 4000}},
        ],
        hours=24,
        orders=[{"units": ["ru"], "task": "attack", "objective": "b"}],
        depots=[{"id": "ua_d", "side": "UA", "at": "a"}, {"id": "ru_d", "side": "RU", "at": "d"}],
        control={"nodes": {"RU": ["c", "d"]}},
        parameters={**QUIET, "withdrawal_doctrine": False},
    )
    model = run(scenario, theatre)
    sent = first(model, "command", "Reserve moves up to reinforce B")
    assert sent is not None


def test_a_unit_done_with_its_attack_joins_the_nearest_one():
    """UA 1 takes its objective b; UA 2 attacks d; UA 1, free (no enemy within idle_free_km
    of b once c is cleared), joins the attack on d."""
    theatre = toy_theatre(LINE4, EDGES4)
    scenario = toy_scenario(
        [
            {"id": "u1", "name": "UA 1", "side": "UA", "at": "a", "equipment": {"personnel": 2000}},
            {"id": "u2", "name": "UA 2", "side": "UA", "at": "b", "equipment": {"personnel": 400}},
            {"id": "rd", "name": "RU d", "side": "RU", "at": "d", "equipment": {"personnel": 300}},
        ],
        hours=96,
        orders=[
            {"units": ["u1"], "task": "attack", "objective": "b"},
            {"units": ["u2"], "task": "attack", "objective": "d"},
        ],
        depots=[{"id": "ua_d", "side": "UA", "at": "a"}],
        control={"nodes": {"RU": ["d"]}},
        parameters={**QUIET, "idle_free_km": 5.0, "withdrawal_doctrine": False},
    )
    model = run(scenario, theatre)
    assert first(model, "command", "UA 1 joins the attack on D") is not None


def test_a_position_being_lost_is_given_up_unless_the_plan_holds_it():
    """A RU post at b attacked at 1200 / (400 x 1.6) = 1.9 (16 hours to clear it): with the
    doctrine it leaves when the attack has gained give_up_share of b (8 hours, then the
    2-hour command delay), before it is forced out, and lives; held by the plan, it fights
    on."""

    def post(on_threat: str | None) -> CampaignModel:
        theatre = toy_theatre(LINE4, EDGES4)
        scenario = toy_scenario(
            [
                {
                    "id": "ua",
                    "name": "UA",
                    "side": "UA",
                    "at": "a",
                    "equipment": {"personnel": 1200},
                },
                {
                    "id": "rb",
                    "name": "RU b",
                    "side": "RU",
                    "at": "b",
                    "equipment": {"personnel": 400},
                },
            ],
            hours=48,
            orders=[{"units": ["ua"], "task": "attack", "objective": "b"}],
            depots=[
                {"id": "ru_d", "side": "RU", "at": "d", "kind": "base"},
                {"id": "ua_d", "side": "UA", "at": "a"},
            ],
            control={"nodes": {"RU": ["b", "c", "d"]}},
            fallback={"RU": ["d"]},
            parameters=QUIET,
        )
        data = scenario.model_dump()
        if on_threat:
            data["groupings"] = [
                {"id": "g", "units": ["rb"], "on_threat": on_threat, "source": "test"}
            ]
        return run(Scenario.model_validate(data), theatre)

    gave_up = post(None)
    left = first(gave_up, "command", "gives up B")
    assert left is not None
    # gone before the attack cleared it (the attack may still have to take b from the sector
    # of the place it stepped back to: tests/test_held_depth.py)
    taken = first(gave_up, "node_taken")
    assert taken is None or taken["time"] > left["time"]
    rb = gave_up.world.unit("rb")
    assert rb is not None and rb.node != "b"
    held = post("hold")
    assert first(held, "command", "gives up") is None
    assert first(held, "node_taken") is not None


def test_scenario_orders_name_existing_orders_and_one_side_per_grouping():
    from sim.scenario import ScenarioError, check_references

    base = toy_scenario(
        [
            {"id": "ua", "name": "UA", "side": "UA", "at": "a", "equipment": {"personnel": 1}},
            {"id": "ru", "name": "RU", "side": "RU", "at": "b", "equipment": {"personnel": 1}},
        ],
        orders=[{"units": ["ua"], "task": "hold", "when": {"done": "nope"}}],
    )
    with pytest.raises(ScenarioError, match="no order or phase with id 'nope'"):
        check_references(base, "t.yaml", {})
    data = base.model_dump()
    data["orders"] = []
    data["groupings"] = [{"id": "g", "units": ["ua", "ru"], "source": "test"}]
    with pytest.raises(ScenarioError, match="one side"):
        check_references(Scenario.model_validate(data), "t.yaml", {})


def test_the_out_of_sample_scenario_keeps_to_the_plan_rules():
    """kharkiv_2022_05.yaml is the model's prediction test (issue 15): an order carries a date
    only where a source dates the decision, a condition says it is the author's reading, no
    Russian withdrawal is ordered (the Russian commander decides it), and no model parameter is
    set for it."""
    from toy import SCENARIOS

    from sim.map.theatre import build_theatre
    from sim.scenario import Task, load_scenario

    s = load_scenario(SCENARIOS / "kharkiv_2022_05.yaml", build_theatre())
    side = {u.id: u.side for u in s.units}
    assert s.parameters == {}
    for i, o in enumerate(s.orders):
        if o.start is not None and o.start > s.start:
            assert "dated decision" in o.source, f"orders[{i}] has a date no source dates"
        if o.when is not None:
            assert "author's reading" in o.source, f"orders[{i}]: whose reading is the condition?"
        if any(side[u] == "RU" for u in o.units):
            assert o.task != Task.WITHDRAW, f"orders[{i}] orders a Russian withdrawal"


@pytest.mark.parametrize(
    ("cond", "text"),
    [
        ({"taken": "a"}, "A taken"),
        ({"lost": "a"}, "A lost"),
        ({"empty": "a"}, "no enemy at A"),
        ({"arrived": "ua_1"}, "ua_1 arrived"),
        ({"arrived": "ua_1", "at": "b"}, "ua_1 arrived at B"),
        ({"done": "breach"}, "order breach done"),
        ({"ratio": 1.5, "at": "b"}, "force ratio ≥ 1.5 at B"),
        ({"strength": "ru_1", "below": 0.5}, "ru_1 below 50% strength"),
        ({"strength": "ru_1", "below": 0.125}, "ru_1 below 12.5% strength"),  # not rounded
        ({"supply": "ru_1", "below": 0.25}, "ru_1 supply below 0.25"),
        (
            {"all": [{"taken": "a"}, {"any": [{"empty": "b"}, {"done": "breach"}]}]},
            "A taken and (no enemy at B or order breach done)",
        ),
    ],
)
def test_a_condition_in_words(cond, text):
    """What the preview's sidebar prints beside an order that waits (places by name)."""
    from sim.model.plan import condition_text

    assert condition_text(Condition.model_validate(cond), str.upper) == text


# ------------------------------------------------------------------------- the plan's outcome
def run_on_the_line(units: list[dict], *, orders: list[dict], hours: int) -> CampaignModel:
    """A run on the line a-b-c-d: UA's depot at a, RU's at d, RU holding b, c and d."""
    scenario = toy_scenario(
        units,
        hours=hours,
        orders=orders,
        depots=[{"id": "ua_d", "side": "UA", "at": "a"}, {"id": "ru_d", "side": "RU", "at": "d"}],
        control={"nodes": {"RU": ["b", "c", "d"]}},
        parameters=QUIET,
    )
    return run(scenario, toy_theatre(LINE4, EDGES4))


def test_the_plan_report_says_which_orders_were_not_carried_out_and_why():
    """A weak attack stalls before a strong post; an order waits for its capture and so is
    never issued; a done attack is not listed."""
    from sim.runs.plan_report import plan_report, unfinished

    model = run_on_the_line(
        [
            {"id": "ua", "name": "UA", "side": "UA", "at": "a", "equipment": {"personnel": 100}},
            {"id": "ua2", "name": "UA 2", "side": "UA", "at": "a", "equipment": {"personnel": 50}},
            {"id": "rb", "name": "RU b", "side": "RU", "at": "b", "equipment": {"personnel": 3000}},
        ],
        hours=72,
        orders=[
            {"id": "push", "units": ["ua"], "task": "attack", "objective": "b"},
            {
                "id": "next",
                "units": ["ua2"],
                "task": "move",
                "objective": "c",
                "when": {"taken": "b"},
            },
        ],
    )
    assert model.world.control["b"] == "RU"
    push, nxt = unfinished(model)
    assert push.startswith("  push (UA ua: attack B)") and "B not taken" in push, push
    last = [e for e in model.record.events if e["unit_id"] == "ua" and e["kind"] != "arrival"]
    t = datetime.fromisoformat(last[-1]["time"])
    assert push.endswith(f"; last: {t.day} {t:%b %H:%M} {last[-1]['text']}"), push
    assert nxt.startswith("  next (UA ua2: move C)"), nxt
    assert "never issued: its condition (B taken) never held" in nxt, nxt
    assert plan_report(model).splitlines()[:2] == [
        "Plan: 0 of 2 orders carried out",
        "Not carried out:",
    ]


def test_an_order_carried_out_is_not_listed():
    from sim.runs.plan_report import plan_report, unfinished

    model = run_on_the_line(
        [
            {"id": "ua", "name": "UA", "side": "UA", "at": "a", "equipment": {"personnel": 3000}},
            {"id": "rb", "name": "RU b", "side": "RU", "at": "b", "equipment": {"personnel": 100}},
        ],
        hours=72,
        orders=[{"id": "push", "units": ["ua"], "task": "attack", "objective": "b"}],
    )
    assert model.world.control["b"] == "UA"
    assert unfinished(model) == []
    assert plan_report(model) == "Plan: 1 of 1 orders carried out"


def test_the_last_event_shown_is_one_of_the_orders_own_time():
    """ua takes b ('first'), then is ordered on to c ('second'), which a strong post at d
    covers (c lies in its sector; b, 20 km from d, does not): the attack on c stalls, and the
    line of 'second' shows the stall, an event after it was issued; 'first' is carried out."""
    from sim.runs.plan_report import unfinished

    model = run_on_the_line(
        [
            {"id": "ua", "name": "UA", "side": "UA", "at": "a", "equipment": {"personnel": 3000}},
            {"id": "rb", "name": "RU b", "side": "RU", "at": "b", "equipment": {"personnel": 100}},
            {"id": "rd", "name": "RU d", "side": "RU", "at": "d", "equipment": {"personnel": 9000}},
        ],
        hours=96,
        orders=[
            {"id": "first", "units": ["ua"], "task": "attack", "objective": "b"},
            {
                "id": "second",
                "units": ["ua"],
                "task": "attack",
                "objective": "c",
                "when": {"done": "first"},
            },
        ],
    )
    assert model.plan.state("first") == OrderState.DONE
    (line,) = unfinished(model)
    assert line.startswith("  second (UA ua: attack C): issued"), line
    issued = next(o.issued_at for o in model.plan if o.id == "second").isoformat()
    stalls = [e for e in model.record.events if e["kind"] == "attack_stalled"]
    assert stalls and stalls[-1]["time"] > issued[:16]
    assert line.endswith(stalls[-1]["text"]), line


def test_an_objective_lost_again_is_listed_under_its_order():
    """UA takes b; a strong Russian counterattack, waiting for that loss, takes it back."""
    from sim.runs.plan_report import lost_again, plan_report

    model = run_on_the_line(
        [
            {"id": "ua", "name": "UA", "side": "UA", "at": "a", "equipment": {"personnel": 800}},
            {"id": "rb", "name": "RU b", "side": "RU", "at": "b", "equipment": {"personnel": 50}},
            {"id": "rd", "name": "RU d", "side": "RU", "at": "d", "equipment": {"personnel": 9000}},
        ],
        hours=120,
        orders=[
            {"id": "take", "units": ["ua"], "task": "attack", "objective": "b"},
            {
                "id": "back",
                "units": ["rd"],
                "task": "attack",
                "objective": "b",
                "when": {"lost": "b"},
            },
        ],
    )
    assert model.plan.state("take") == OrderState.DONE and model.world.control["b"] == "RU"
    (line,) = lost_again(model)
    assert line.startswith("  take (UA ua: attack B): carried out ") and "B lost again" in line
    assert "Carried out, then lost again:" in plan_report(model).splitlines()


def test_the_last_event_of_an_order_is_within_its_own_time():
    """Events are stamped at the end of their hour: the hour an order is issued in is its
    first; from the hour the next order for one of its units is issued, events are that one's."""
    from types import SimpleNamespace

    from sim.model.plan import PlanOrder
    from sim.runs.plan_report import last_event
    from sim.scenario import Order

    def order(oid: str, hour: int) -> PlanOrder:
        spec = Order.model_validate(
            {"id": oid, "units": ["u"], "task": "attack", "objective": "b", "source": "t"}
        )
        at = START + timedelta(hours=hour)
        return PlanOrder(spec, oid, "UA", at, OrderState.ISSUED, issued_at=at)

    def event(hour: int, text: str) -> dict:
        t = (START + timedelta(hours=hour)).isoformat(timespec="minutes")
        return {"time": t, "unit_id": "u", "kind": "command", "text": text}

    first, second = order("first", 10), order("second", 20)
    events = [event(10, "before first"), event(11, "first's"), event(20, "first's last"),
              event(21, "second's")]  # fmt: skip
    m = SimpleNamespace(plan=[first, second], record=SimpleNamespace(events=events))
    assert last_event(first, m)["text"] == "first's last"
    assert last_event(second, m)["text"] == "second's"
    m.record.events = events[:1]
    assert last_event(first, m) is None
