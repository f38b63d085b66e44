"""The speed work's shortcuts and caches give what the long way gives (properties checked over
shipped runs; the timings themselves live in benchmarks/bench_model.py, never in a test)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from sim.map.theatre import build_theatre
from sim.model import CampaignModel, table
from sim.model import watch as watch_module
from sim.model import world as world_module
from sim.model.network import RoadNetwork
from sim.model.rules import front
from sim.model.rules.supply import trace
from sim.scenario import SIDES, Posture, Status, load_scenario
from sim.scenario.theatre import theatre_for

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.fixture(scope="module")
def theatre():
    return build_theatre()


def model_of(name: str, theatre, seed: int = 0) -> CampaignModel:
    scenario = load_scenario(SCENARIOS / name, theatre)
    return CampaignModel(scenario, theatre_for(scenario, theatre), seed=seed)


def test_a_watch_skips_the_rear_tests_only_where_they_find_nothing(theatre, monkeypatch):
    """`threat` skips the rear part's tests when the lines of supply pass through none of the
    places the enemy attacks or moves at (`NearEnemy.evidence`): over the April-May run (both
    kinds of rear threat happen there), every watch that found nothing would have found
    nothing the long way either, and the long way did find threats of both kinds."""
    threat, rear_threat = watch_module.threat, watch_module.rear_threat
    found: Counter[str] = Counter()

    def checked(units, near_of, attacked, world, doctrine):
        reason = threat(units, near_of, attacked, world, doctrine)
        long_way = rear_threat(units, near_of, attacked, world, doctrine)
        if reason is None:
            assert long_way is None, (world.hour, [u.key for u in units], long_way)
        elif long_way is not None:
            found[long_way.split(" ")[1]] += 1  # "the enemy is attacking" / "enemy forces at"
        return reason

    monkeypatch.setattr(watch_module, "threat", checked)
    model_of("kharkiv_2022_05.yaml", theatre).run()
    assert found["enemy"] > 0 and found["forces"] > 0, found


def test_the_supply_kept_between_hours_is_the_supply_traced_now(theatre, monkeypatch):
    """The world keeps a side's last supply trace when only places it did not reach (nor any
    of their neighbours) changed hands (`World.supply_net`, `supply.untouched`), and a new
    trace takes again the searches of the last whose costs and sources are the same
    (`trace`'s `previous`): after every supply phase of the September run, each side's supply
    is what a trace of the world as it is then, from nothing, gives; and the run did keep a
    trace over changed ground."""
    model = model_of("izium_2022_09.yaml", theatre)
    world = model.world
    kept = Counter()
    untouched = world_module.untouched

    def counted(net, before, now):
        same = untouched(net, before, now)
        kept[same and bool((before != now).any())] += 1
        return same

    monkeypatch.setattr(world_module, "untouched", counted)
    supply_phase = model.supply_phase

    def checked():
        supply_phase()
        for side, net in world.supply_lines.items():
            held, depots = world.supply_ground(side, front.supply_blocked(world, side))
            fresh = trace(world.network, side, held, depots, world.standing_edges(), world.physics)
            assert np.array_equal(net.dist, fresh.dist), (world.hour, side)
            assert np.array_equal(net.pred, fresh.pred), (world.hour, side)
            assert len(net.feeders) == len(fresh.feeders), (world.hour, side)
            for mine, theirs in zip(net.feeders, fresh.feeders, strict=True):
                assert np.array_equal(mine, theirs), (world.hour, side)

    model.supply_phase = checked  # type: ignore[method-assign]
    model.run()
    assert kept[True] > 0, kept


def test_the_distance_table_is_the_distance_worked_out(theatre):
    """`RoadNetwork.km` reads a table made once; it is, to the last bit, the straight line
    worked out between the two places' positions."""
    network = RoadNetwork(theatre)
    xy, ids = network.xy, network.node_ids
    for a in ids[::7]:
        for b in ids:
            worked_out = float(np.hypot(*(xy[network.index[a]] - xy[network.index[b]])))
            assert network.km(a, b) == worked_out, (a, b)


def test_the_kept_stance_and_reach_are_the_ones_worked_out(theatre, monkeypatch):
    """A unit's `holds_position`, `holds_ground` and `advancing` are read from its kept
    stance, and the sectors' reach mask is kept while the crossings stand: every time the
    front is worked out over the March run (bridges fall there), every unit's kept answers
    are the ones its status, posture, task and road give, and the kept mask is the distances
    compared again; units held positions and others did not, some advanced, some columns
    were on the road back."""
    work_out, reach_mask = front._work_out, front._reach_mask
    seen: Counter[bool] = Counter()
    going: Counter[str] = Counter()

    def checked(world):
        for u in world.active_units():
            assert u.holds_position == front.holds_position_long(u), (world.hour, u.key)
            seen[u.holds_position] += 1
            column = u.posture == Posture.WITHDRAW and (u.next_node is not None or bool(u.route))
            holds = u.status == Status.ACTIVE and u.posture != Posture.ROUT and not column
            advancing = holds and u.posture in (Posture.ATTACK, Posture.MOVE)
            assert (u.holds_ground, u.advancing) == (holds, advancing), (world.hour, u.key)
            going.update(["advancing"] * advancing + ["column"] * column)
        return work_out(world)

    def checked_mask(world):
        mask = reach_mask(world)
        assert np.array_equal(mask, front._reach(world) <= world.physics.sector_reach_km)
        return mask

    monkeypatch.setattr(front, "_work_out", checked)
    monkeypatch.setattr(front, "_reach_mask", checked_mask)
    model_of("izium_2022_03.yaml", theatre).run()
    assert seen[True] > 0 and seen[False] > 0, seen
    assert going["advancing"] > 0 and going["column"] > 0, going


def test_each_sides_front_kept_is_the_front_worked_out_now(theatre, monkeypatch):
    """A side's front is kept until its own units, the control or the crossings change (its
    units' stances read again only when one of them told the world: `World.units_changed`),
    and its parts (the places' front km, the sectors) while what each depends on stands:
    every time a rule asks for it over the September run, it is what `_side_front` works out
    from the world as it is then with nothing kept, its holders are on the map (their rows of
    the table are theirs), and the places each side defends are those worked out from the
    positions; the sectors were kept over changes of the front."""
    side_front, defended = front.side_front, front.defended
    asked: Counter[str] = Counter()
    fronts: dict[int, front.SideFront] = {}
    covers: dict[int, np.ndarray] = {}

    def same(kept, fresh, ids):
        assert kept.holders == fresh.holders
        for name in ("front_km", "cover", "sector_km", "zoc", "covered", "defended", "rows"):
            assert np.array_equal(getattr(kept, name), getattr(fresh, name)), name
        for k, key in enumerate(kept.holders):  # the sectors' places (kept)
            assert kept.sector_nodes(key, ids) == {ids[i] for i in np.flatnonzero(fresh.cover[k])}

    def checked(world, side):
        kept = side_front(world, side)
        same(kept, front._side_front(world, side, keep=False), world.network.node_ids)
        assert all(world.unit(u.key) is u for u in kept.units), world.hour
        assert list(kept.rows) == [u.index for u in kept.units]
        asked[side] += 1
        fronts[id(kept)], covers[id(kept.cover)] = kept, kept.cover  # (kept: ids not reused)
        return kept

    def checked_defended(world, side):
        kept = defended(world, side)
        long_way = world.positions().mask[side] | (
            front._side_front(world, side, keep=False).covered & world.held(side)
        )
        assert np.array_equal(kept, long_way), (world.hour, side)
        return kept

    monkeypatch.setattr(front, "side_front", checked)
    monkeypatch.setattr(front, "defended", checked_defended)
    model_of("izium_2022_09.yaml", theatre).run()
    assert asked["RU"] > 0 and asked["UA"] > 0, asked
    assert len(covers) < len(fronts), (len(covers), len(fronts))


def test_the_hold_code_is_the_one_worked_out_unit_by_unit(theatre, monkeypatch):
    """`hold_code` reads the powers of both sides' holders in one array operation: every hour
    of the April-May run (positional fighting: both screens and defences), each place's letter
    is what the holders' powers read one unit at a time give (`base_power`, the same sum over
    the units whose sectors cover it)."""
    from sim.model.rules.combat_math import base_power

    hold_code = front.hold_code
    letters: Counter[str] = Counter()

    def long_way(world):
        code = ["0"] * len(world.network.node_ids)
        for side in SIDES:
            f = front.side_front(world, side)
            held = world.held(side)
            for i in np.flatnonzero(held & f.covered):
                total = 0.0
                for k in np.flatnonzero(f.cover[:, i]):
                    unit = world.unit(f.holders[k])
                    if unit is not None:
                        total += base_power(unit, world.weights, world.physics) / f.sector_km[k]
                code[i] = "d" if total >= world.physics.defence_density else "s"
        return "".join(code)

    def checked(world):
        code = hold_code(world)
        assert code == long_way(world), world.hour
        letters.update(code)
        return code

    monkeypatch.setattr(front, "hold_code", checked)
    model_of("kharkiv_2022_05.yaml", theatre).run()
    assert letters["s"] > 0 and letters["d"] > 0, letters


def test_the_units_numbers_are_their_rows_of_the_table_grown_or_copied(theatre, monkeypatch):
    """A unit's equipment, losses, loss carry and initial items are views of its row of the
    world's units' table (`World.table`), which the attrition, the hold code and the record
    change and read for many units at once. A table grown from nothing as units enter (each
    unit then takes its views again) and a run's copy (a what-if's snapshot: the copy's units
    take views of the copy's table) give the same September run, to the byte, as the table
    made whole at the start."""
    from sim.whatif.branch import snapshot

    whole = model_of("izium_2022_09.yaml", theatre).run().digest()
    made = world_module.UnitTable
    monkeypatch.setattr(world_module, "UnitTable", lambda rows=0: made(0))
    model = model_of("izium_2022_09.yaml", theatre)
    first = [u.index for u in model.world.units.values()]
    assert len(model.world.table.equipment) == max(first) + 1  # grown unit by unit
    for _ in range(120):
        model.step()
    twin = snapshot(model)
    for mine, theirs in ((model, twin), (twin, model)):
        for u in [*mine.world.units.values(), *mine.world.gone]:
            for name in table.NUMBERS:  # equipment, lost, loss_carry, initial
                row = getattr(mine.world.table, name)[u.index]
                assert np.shares_memory(getattr(u, name), getattr(mine.world.table, name))
                assert not np.shares_memory(getattr(u, name), getattr(theirs.world.table, name))
                assert np.array_equal(getattr(u, name), row)
    assert model.run().digest() == whole
    assert twin.run().digest() == whole


def test_the_attrition_phase_changes_no_stance_it_reads_once(theatre, monkeypatch):
    """The attrition reads once, for both sides' passes, which units are on the map and which
    hold ground out of the battles (shelled, and their guns fire): over the September run
    (shelling, shortage and men giving themselves up), a phase leaves every unit where it
    stood and as it stood, and units did lose men in it."""
    from sim.model.rules import attrition, combat

    phase = attrition.attrition_phase
    lost: Counter[bool] = Counter()

    def checked(world, busy):
        def stances():
            return [(u.key, u.active, u.holds_ground, u.node) for u in world.active_units()]

        before, men = stances(), {u.key: u.personnel for u in world.active_units()}
        phase(world, busy)
        assert stances() == before, world.hour
        lost[any(u.personnel < men[u.key] for u in world.active_units())] += 1

    monkeypatch.setattr(combat, "attrition_phase", checked)
    model_of("izium_2022_09.yaml", theatre).run()
    assert lost[True] > 0, lost


def test_the_densities_of_all_places_are_each_places_density(theatre, monkeypatch):
    """A commander's fight-through estimate reads the defence's density at every place at
    once (`front.density_map`): every time it is worked out over the September run, each
    place's figure is exactly what `front.density` gives for that place alone, and some
    places were held thickly enough to count."""
    density_map = front.density_map
    thick = Counter()

    def checked(world, side, powers):
        got = density_map(world, side, powers)
        for i, place in enumerate(world.network.node_ids):
            assert got[i] == front.density(world, place, side, powers), (world.hour, place)
            thick[bool(got[i] > 0)] += 1
        return got

    monkeypatch.setattr(front, "density_map", checked)
    model_of("izium_2022_09.yaml", theatre).run()
    assert thick[True] > 0 and thick[False] > 0, thick


def test_the_guns_fire_values_are_each_units_worked_out_alone(theatre, monkeypatch):
    """The fire support and the fire on columns on the road out read the guns' values for
    many units at once (`combat.fire_values`): every time over the September run, each unit's
    value is the one its own guns, rockets and supply give at its distance, worked out with
    Python floats one unit at a time (combat_math.supply_factor); some guns were in range."""
    from sim.model.rules import combat
    from sim.model.rules.combat_math import ARTILLERY, MLRS, supply_factor

    fire_values = combat.fire_values
    reached = Counter()

    def one(unit, km, physics):
        guns = float(unit.equipment[ARTILLERY]) * physics.weight_artillery
        rockets = float(unit.equipment[MLRS]) * physics.weight_mlrs
        value = (guns if km <= physics.artillery_range_km else 0.0) + (
            rockets if km <= physics.mlrs_range_km else 0.0
        )
        return value * physics.fire_support_factor * supply_factor(unit.supply, physics)

    def checked(world, units, distance_km):
        got = fire_values(world, units, distance_km)
        for u, km, value in zip(units, distance_km.tolist(), got.tolist(), strict=True):
            assert value == one(u, km, world.physics), (world.hour, u.key, km)
            reached[value > 0] += 1
        return got

    monkeypatch.setattr(combat, "fire_values", checked)
    model_of("izium_2022_09.yaml", theatre).run()
    assert reached[True] > 0 and reached[False] > 0, reached
