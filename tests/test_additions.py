"""What a scenario adds (issue 23, parts 6-8): places the map lacks (the scenario's own map),
the map's edge (off-map bases, artillery beyond it), forces the sources give only in aggregate,
time in position; the loader's checks of them, validate's supply warnings, the preview."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from clirun import run

from sim.map.theatre import WINDING, build_theatre, haversine_km, project
from sim.scenario import ScenarioError, load_scenario, read_scenario
from sim.scenario.theatre import SPLIT_KM, theatre_for

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "scenarios" / "TEMPLATE.yaml"
SEPT = REPO / "scenarios" / "izium_2022_09.yaml"
MARCH = REPO / "scenarios" / "izium_2022_03.yaml"


@pytest.fixture(scope="module")
def base():
    return build_theatre()


def _at(theatre, u: str, v: str, t: float) -> tuple[float, float]:
    """(lat, lon) a fraction t of the way from node u to node v."""
    a, b = theatre.graph.nodes[u], theatre.graph.nodes[v]
    return a["lat"] + t * (b["lat"] - a["lat"]), a["lon"] + t * (b["lon"] - a["lon"])


def _km_to_numbered_roads(theatre, lat: float, lon: float) -> float:
    g = theatre.graph
    p = np.array(project(lon, lat))
    best = math.inf
    for u, v, d in g.edges(data=True):
        if not d.get("road"):
            continue
        a = np.array([g.nodes[u]["x_km"], g.nodes[u]["y_km"]])
        b = np.array([g.nodes[v]["x_km"], g.nodes[v]["y_km"]])
        t = float(np.clip(np.dot(p - a, b - a) / np.dot(b - a, b - a), 0, 1))
        best = min(best, float(np.hypot(*(p - (a + t * (b - a))))))
    return best


@pytest.fixture(scope="module")
def places(base):
    """Three added places: on the Balakliia-Savyntsi road (road and railway, no river), on
    the bridged Balakliia-Husarivka road, and in the fields 5 km from any numbered road."""
    on_road = _at(base, "savyntsi", "balakliia", 0.5)
    by_bridge = _at(base, "balakliia", "husarivka", 0.3)
    fields = (49.35, 36.75)
    assert _km_to_numbered_roads(base, *fields) > SPLIT_KM  # the precondition of the test
    return [
        {"id": "test_road", "name": "Testroad", "lat": on_road[0], "lon": on_road[1]},
        {"id": "test_bridge", "name": "Testbridge", "lat": by_bridge[0], "lon": by_bridge[1]},
        {"id": "test_fields", "name": "Testfields", "lat": fields[0], "lon": fields[1]},
    ]


@pytest.fixture(scope="module")
def added(places):
    return theatre_for([{**p, "source": "a test position"} for p in places])


# ------------------------------------------------------------------------------ the map
def test_a_scenario_without_places_has_the_base_map_itself(base):
    scenario = load_scenario(MARCH, base)  # it adds no places
    assert not scenario.places
    assert theatre_for(scenario) is base and theatre_for([], base) is base


def test_a_place_on_a_numbered_road_is_put_on_it(base, added):
    g, old = added.graph, base.graph["savyntsi"]["balakliia"]
    assert not g.has_edge("savyntsi", "balakliia")  # the road now runs through the place
    for end in ("savyntsi", "balakliia"):
        e = g.edges["test_road", end]
        assert (e["road"], e["road_class"], e["rail"]) == (old["road"], "secondary", old["rail"])
        a, b = g.nodes["test_road"], g.nodes[end]
        chord = haversine_km(a["lat"], a["lon"], b["lat"], b["lon"])
        assert e["length_km"] == pytest.approx(chord * WINDING["secondary"])
    halves = sum(g.edges["test_road", n]["length_km"] for n in ("savyntsi", "balakliia"))
    assert old["length_km"] <= halves < old["length_km"] * 1.001  # it lies on the chord
    assert "Balakliia-Savyntsi-Izium" in g.nodes["test_road"]["joined"]
    assert g.nodes["test_road"]["added"] and added.resolve("Testroad") == "test_road"


def test_a_bridge_stays_on_the_half_of_the_road_that_crosses_its_river(base, added):
    g = added.graph
    bridge = added.crossings["balakliia_south_bridge"]
    on = [n for n in g.neighbors("test_bridge") if g.edges["test_bridge", n].get("road")]
    assert sorted(on) == ["balakliia", "husarivka"]
    crossing = [n for n in on if g.edges["test_bridge", n]["crossing"] == bridge.id]
    assert len(crossing) == 1 and {bridge.u, bridge.v} == {"test_bridge", crossing[0]}
    assert g.edges["test_bridge", crossing[0]]["river"] == "Siverskyi Donets"
    other = next(n for n in on if n != crossing[0])
    assert g.edges["test_bridge", other]["crossing"] is None
    assert base.crossings[bridge.id].kind == bridge.kind


def test_a_place_off_the_roads_gets_local_roads_and_a_river_needs_a_bridge(added):
    g = added.graph
    edges = [g.edges["test_fields", n] for n in g.neighbors("test_fields")]
    assert edges and all(e["road_class"] == "local" for e in edges)
    assert all(e["length_km"] <= 25.0 * WINDING["local"] + 1e-9 for e in edges)
    for nb in g.neighbors("test_fields"):  # every new edge over a river is a crossing
        e = g.edges["test_fields", nb]
        if e["river"] is not None:
            assert added.crossings[e["crossing"]].kind == "none"


def test_territory_is_shared_out_again(base, added):
    area = {n: d["area_km2"] for n, d in added.graph.nodes(data=True)}
    assert sum(area.values()) == pytest.approx(
        sum(d["area_km2"] for _, d in base.graph.nodes(data=True))
    )
    assert all(area[p] > 0 for p in ("test_road", "test_bridge", "test_fields"))
    assert all(area[n] <= base.graph.nodes[n]["area_km2"] + 1e-9 for n in base.node_ids)
    assert added.node_ids[: len(base.node_ids)] == base.node_ids


def test_the_map_of_a_scenario_is_kept(places, added):
    from sim.scenario import theatre as st

    again = [{**p, "source": "a test position"} for p in places]
    assert theatre_for(again) is added  # in this process
    st._extended.cache_clear()
    read_back = theatre_for(again)  # from the disk cache of this test session
    assert read_back is not added and read_back.key == added.key
    assert sorted(read_back.graph.edges) == sorted(added.graph.edges)
    other = theatre_for([{**again[0], "lat": again[0]["lat"] + 0.01}])
    assert other.key not in ("", added.key, build_theatre().key)


# ---------------------------------------------------------------------------- the loader
def scenario_text(extra: str, text: str | None = None) -> str:
    """The template (or `text`) with top-level blocks added."""
    return (text or TEMPLATE.read_text(encoding="utf-8")).rstrip("\n") + "\n" + extra


def write(tmp_path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


PLACE = """places:
  - id: test_fields
    name: Testfields
    name_uk: Тестполе
    lat: 49.35
    lon: 36.75
    aliases: [Test Fields]
    source: "a test position"
"""


def test_orders_control_and_history_may_name_an_added_place(tmp_path, base):
    text = TEMPLATE.read_text(encoding="utf-8").rstrip("\n") + "\n"
    text += '  - {date: 2022-09-07, place: "Тестполе", holder: UA, source: "RT0908"}\n'
    text = scenario_text(PLACE, text).replace(
        "    task: hold\n", "    task: withdraw\n    objective: Testfields\n", 1
    )
    text = text.replace("RU: [balakliia,", "RU: [test fields, balakliia,")
    loaded = read_scenario(write(tmp_path, text), base)
    s = loaded.scenario
    assert loaded.theatre is not None and "test_fields" in loaded.theatre.graph
    assert s.orders[2].objective == "test_fields" and s.history[-1].place == "test_fields"
    assert "test_fields" in s.control.nodes["RU"]
    assert (
        s.places[0].country is None and loaded.theatre.graph.nodes["test_fields"]["country"] == "UA"
    )


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (("name: Testfields", "name: Balakliia"), "places[0].name", "already a place on the map"),
        (("aliases: [Test Fields]", "aliases: [Izium]"), "places[0].aliases[0]", "Izium"),
        (("id: test_fields", "id: verbivka"), "places[0].id", "already a place"),
        (("lat: 49.35", "lat: 51.2"), "places[0].lat", "outside the map"),
        (("lat: 49.35", "lat: 49.35\n    popul: 3"), "places[0].popul", "did you mean population"),
    ],
)
def test_a_bad_added_place_is_an_error_at_its_field(tmp_path, base, change, path, words):
    bad = write(tmp_path, scenario_text(PLACE.replace(*change)))
    with pytest.raises(ScenarioError) as e:
        read_scenario(bad, base)
    assert any(p.path == path and words in p.message for p in e.value.problems), e.value
    line = next(p.line for p in e.value.problems if p.path == path)
    assert (
        line is not None
        and change[1].split("\n")[-1].strip() in bad.read_text().splitlines()[line - 1]
    )


def test_two_added_places_may_not_share_a_name(tmp_path, base):
    twice = PLACE + PLACE.replace("places:\n", "").replace("id: test_fields", "id: test_two")
    with pytest.raises(ScenarioError) as e:
        read_scenario(write(tmp_path, scenario_text(twice)), base)
    assert any("also names places[0]" in p.message for p in e.value.problems)


def test_places_command_finds_an_added_place(tmp_path):
    path = write(tmp_path, scenario_text(PLACE))
    found = run("places", "Testfields", "--scenario", path)
    assert found.returncode == 0 and "test_fields" in found.stdout
    assert "added by the scenario" in found.stdout and "joined by local roads" in found.stdout
    assert run("places", "Testfields").returncode == 1  # not on the base map
    bad = write(tmp_path, scenario_text(PLACE.replace("lat: 49.35", "lat: 12")), "b.yaml")
    refused = run("places", "Testfields", "--scenario", bad)
    assert refused.returncode == 2 and "places[0].lat" in refused.stderr


# ---------------------------------------------------------------------- holding forces
HOLDING = """holding_forces:
  - id: ru_line
    side: RU
    along: [volokhiv_yar, balakliia]
    btgs: 1.5
    quality: 0.7
    in_position_since: 2022-05-01
    on_threat: hold
    source: "a test total"
"""


def _line_nodes(theatre, along):
    from sim.scenario.expand import holding_line

    return holding_line(along, theatre)


def test_a_holding_force_becomes_plain_units_along_its_line(tmp_path, base):
    from sim.scenario import BTG

    s = load_scenario(write(tmp_path, scenario_text(HOLDING)), base)
    hf = s.holding_forces[0]
    parts = [u for u in s.units if u.holding_force == "ru_line"]
    assert len(parts) == hf.parts == round(1.5 * 4)
    assert [u.id for u in parts] == [f"ru_line_{k}" for k in range(1, len(parts) + 1)]
    for item in ("personnel", "tanks", "ifv_apc", "artillery", "mlrs"):
        got = [getattr(u.equipment, item) for u in parts]
        assert sum(got) == round(1.5 * getattr(BTG, item)) and max(got) - min(got) <= 1
    line = _line_nodes(base, ["volokhiv_yar", "balakliia"])
    total = sum(km for _, km in line)
    assert total > 0 and {u.at for u in parts} <= {n for n, _ in line}
    for node, km in line:  # each place's parts: its share of the line, rounded up or down
        quota = len(parts) * km / total
        assert math.floor(quota) <= sum(u.at == node for u in parts) <= math.ceil(quota)
    assert all(u.side == "RU" and u.quality == 0.7 and u.estimate for u in parts)
    assert all(
        s.hours_in_position(u) == (s.start - hf.in_position_since).total_seconds() / 3600
        for u in parts
    )
    assert parts[2].name.startswith("3rd company of 6")
    grouping = next(g for g in s.groupings if g.id == "ru_line")
    order = next(o for o in s.orders if o.id == "ru_line_hold")
    assert grouping.units == order.units == [u.id for u in parts]
    assert grouping.on_threat == "hold" and order.task == "hold"


def test_a_holding_force_from_an_equipment_total_in_battalions(tmp_path, base):
    text = scenario_text(
        HOLDING.replace("btgs: 1.5", "equipment: {personnel: 2000, tanks: 7}").replace(
            "on_threat: hold", "echelon: battalion"
        )
    )
    s = load_scenario(write(tmp_path, text), base)
    parts = [u for u in s.units if u.holding_force == "ru_line"]
    assert len(parts) == round(2000 / 700)
    assert sum(u.equipment.personnel for u in parts) == 2000
    assert sorted(u.equipment.tanks for u in parts) == [2, 2, 3]
    assert {u.echelon for u in parts} == {"battalion"}


@pytest.mark.parametrize(
    ("extra", "path", "words"),
    [
        (  # an order may name its units; a unit of the file may not take their ids
            "  - units: [ru_line_9]\n    task: hold\n    source: x\n",
            "orders[0].units[0]",
            "no unit 'ru_line_9'",
        ),
        ("", "holding_forces[0].id", "is already 'ru_line_2'"),
        (
            "  - id: ru_line_hold\n    units: [ru_58_ingush]\n    task: hold\n    source: x\n",
            "holding_forces[0].id",
            "hold order is named ru_line_hold",
        ),
    ],
)
def test_the_ids_of_a_holding_force_are_its_own(tmp_path, base, extra, path, words):
    text = scenario_text(HOLDING).replace("orders:\n", "orders:\n" + extra, 1)
    if not extra:
        text = text.replace("  - id: ru_58_ingush", "  - id: ru_line_2", 1).replace(
            "[ru_rosg_balakliia, ru_58_ingush]", "[ru_rosg_balakliia, ru_line_2]"
        )
    with pytest.raises(ScenarioError) as e:
        read_scenario(write(tmp_path, text), base)
    assert any(p.path == path and words in p.message for p in e.value.problems), e.value


def test_a_file_may_not_write_what_the_loader_makes(tmp_path, base):
    text = scenario_text(HOLDING).replace(
        "    estimate: true\n  - id: ua_3tk_10bn",
        "    estimate: true\n    holding_force: ru_line\n  - id: ua_3tk_10bn",
    )
    with pytest.raises(ScenarioError) as e:
        read_scenario(write(tmp_path, text), base)
    assert any(p.path == "units[0].holding_force" for p in e.value.problems)


def test_resolving_again_makes_the_same_units_from_the_holding_force(tmp_path):
    """A sweep re-validates and resolves a scenario already resolved (sim/sweep/base.py): the
    units are made again from the holding force, never twice."""
    from sim.sweep.base import Base
    from sim.sweep.paths import PathError

    text = scenario_text(HOLDING)
    b = Base.load("s.yaml", text)
    n = len(b.scenario.units)
    same, _ = b.materialise({"holding_forces[0].quality": 0.9})
    assert [u.id for u in same.units] == [u.id for u in b.scenario.units]
    assert {u.quality for u in same.units if u.holding_force} == {0.9}
    more, _ = b.materialise({"holding_forces[0].btgs": 2})
    assert len(more.units) == n + 2 and len({u.id for u in more.units}) == len(more.units)
    assert len([g for g in more.groupings if g.id == "ru_line"]) == 1
    with pytest.raises(PathError):
        Base.load("p.yaml", scenario_text(PLACE)).materialise({"places[0].lat": 49.4})


# -------------------------------------------------------------------------- off the map
OFFMAP = """offmap:
  - id: ru_belgorod_oblast
    side: RU
    at: [mayskiy, hoptivka]
    kind: base
    source: "a test"
  - id: ru_guns
    name: "guns beyond the border"
    side: RU
    at: shebekino
    artillery: {guns: 18, mlrs: 6, range_km: 30, lat: 50.5, lon: 37.0, start: 2022-09-07}
    source: "a test"
    estimate: true
"""


def test_an_offmap_base_is_a_base_at_each_place_and_artillery_is_typed_fire(tmp_path, base):
    s = load_scenario(write(tmp_path, scenario_text(OFFMAP)), base)
    made = [d for d in s.depots if d.offmap]
    assert [(d.id, d.at, d.kind, d.side) for d in made] == [
        ("ru_belgorod_oblast_mayskiy", "mayskiy", "base", "RU"),
        ("ru_belgorod_oblast_hoptivka", "hoptivka", "base", "RU"),
    ]
    (fire,) = s.fires
    assert (fire.id, fire.side, fire.at, fire.guns, fire.rockets, fire.range_km) == (
        "ru_guns",
        "RU",
        ("shebekino",),
        18,
        6,
        30.0,
    )
    assert fire.positions(base) == [(50.5, 37.0)] and fire.estimate
    assert not fire.active(s.start) and fire.active(s.end)
    assert s.offmap[1].kind == "edge"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (("guns: 18, mlrs: 6,", "guns: 0,"), "offmap[1].artillery"),
        (("lat: 50.5, lon: 37.0,", "lat: 50.5,"), "offmap[1].artillery"),
        (("start: 2022-09-07", "start: 2022-10-07"), "offmap[1].artillery.start"),
        (("at: shebekino", "at: shebekin"), "offmap[1].at"),
        (("at: [mayskiy, hoptivka]", "at: []"), "offmap[0].at"),
    ],
)
def test_a_bad_offmap_entry_is_an_error_at_its_field(tmp_path, base, change, path):
    with pytest.raises(ScenarioError) as e:
        read_scenario(write(tmp_path, scenario_text(OFFMAP.replace(*change))), base)
    assert [p.path for p in e.value.problems] == [path], e.value


# --------------------------------------------------------------------- time in position
def test_time_in_position_is_the_units_own_else_its_sides(tmp_path, base):
    text = TEMPLATE.read_text(encoding="utf-8").replace(
        'RU: {name: "Armed Forces of the Russian Federation", source: "WKC"}',
        'RU: {name: "Armed Forces of the Russian Federation", source: "WKC", '
        "in_position_since: 2022-08-01}",
    )
    text = text.replace(
        '    source: "Rosgvardia held',
        '    in_position_since: 2022-09-05T12:00\n    source: "Rosgvardia held',
    )
    s = load_scenario(write(tmp_path, text), base)
    units = {u.id: u for u in s.units}
    assert s.hours_in_position(units["ru_rosg_balakliia"]) == 12.0
    side = (s.start - s.sides["RU"].in_position_since).total_seconds() / 3600
    assert s.hours_in_position(units["ru_58_ingush"]) == side == 36 * 24
    assert s.hours_in_position(units["ua_25_abn"]) is None  # UA gives no date
    plain = load_scenario(TEMPLATE, base)
    assert all(plain.hours_in_position(u) is None for u in plain.units)


@pytest.mark.parametrize(
    ("where", "value", "path"),
    [
        ("unit", "2022-09-07", "units[2].in_position_since"),
        ("side", "2022-09-06T01:00", "sides.RU.in_position_since"),
        ("arriving", "2022-08-01", "units[2].in_position_since"),
    ],
)
def test_time_in_position_after_the_start_or_for_an_arrival_is_an_error(
    tmp_path, base, where, value, path
):
    text = TEMPLATE.read_text(encoding="utf-8")
    if where == "side":
        text = text.replace(
            'source: "WKC"}\n  # A side', f'source: "WKC", in_position_since: {value}}}\n  # A side'
        )
    else:
        extra = "    arrives: 2022-09-07T00:00\n" if where == "arriving" else ""
        text = text.replace(
            '    source: "Rosgvardia held',
            f'    in_position_since: {value}\n{extra}    source: "Rosgvardia held',
        )
    with pytest.raises(ScenarioError) as e:
        read_scenario(write(tmp_path, text), base)
    assert [p.path for p in e.value.problems] == [path], e.value


# ------------------------------------------------------------------- validate and preview
def without_block(text: str, key: str) -> str:
    """The scenario text without its top-level block `key:` (up to the next top-level key)."""
    lines = text.splitlines(keepends=True)
    i = next(k for k, ln in enumerate(lines) if ln.startswith(key + ":"))
    n = next((k for k in range(i + 1, len(lines)) if lines[k][:1].isalpha()), len(lines))
    return "".join(lines[:i] + lines[n:])


def test_september_luhansk_rear_is_reported_until_an_offmap_base_is_declared(tmp_path, base):
    from sim.scenario.checks import check_file

    _, shipped = check_file(SEPT, base)  # the shipped file declares the Luhansk rear
    assert not any("only through Kreminna" in p.message for p in shipped)
    bare = without_block(SEPT.read_text(encoding="utf-8"), "offmap")
    _, problems = check_file(write(tmp_path, bare, "bare.yaml"), base)
    (hanging,) = [p for p in problems if "only through Kreminna" in p.message]
    assert hanging.severity == "warning" and "offmap:" in hanging.message
    for place in ("Lysychansk", "Popasna", "Pryvillia", "Sokolohirsk", "Irmino"):
        assert place in hanging.message
    rear = """offmap:
  - id: ru_luhansk_rear
    side: RU
    at: [popasna, irmino, sokolohirsk]
    kind: base
    source: "a test"
"""
    text = scenario_text(rear, bare)
    _, after = check_file(write(tmp_path, text, "izium_2022_09.yaml"), base)
    assert not any("only through Kreminna" in p.message for p in after)
    assert all("Lysychansk" not in p.message for p in after)


def test_a_problem_of_a_made_unit_is_located_at_its_holding_force(tmp_path, base):
    from sim.scenario.checks import check_file

    text = scenario_text(
        HOLDING.replace("along: [volokhiv_yar, balakliia]", "along: [andriivka, balakliia]")
    )
    path = write(tmp_path, text)
    _, problems = check_file(path, base)
    held = [p for p in problems if p.path == "holding_forces[0]" and "held by UA" in p.message]
    assert held and all(p.message.startswith("ru_line_") for p in held)
    assert path.read_text().splitlines()[held[0].line - 1].strip() == "- id: ru_line"


def test_a_scenario_with_additions_runs_and_previews(tmp_path, base):
    from sim.model import CampaignModel

    text = scenario_text(PLACE + HOLDING + OFFMAP).replace(
        "along: [volokhiv_yar, balakliia]", "along: [volokhiv_yar, balakliia, test_fields]"
    )
    path = write(tmp_path, text)
    loaded = read_scenario(path, base)
    with pytest.raises(ValueError, match="theatre_for"):
        CampaignModel(loaded.scenario, base)
    record = CampaignModel(loaded.scenario, loaded.theatre, seed=0).run()
    assert record.hours == loaded.scenario.hours
    control = record.frames[0]["control"]
    assert len(control) == len(loaded.theatre.node_ids) > len(base.node_ids)
    out = tmp_path / "start.png"
    proc = run("preview", path, "--out", out)
    assert proc.returncode == 0 and out.stat().st_size > 50_000, proc.stderr
    from sim.view.preview_additions import summary_lines

    lines = summary_lines(loaded.scenario)
    assert lines[0] == "Added places: test_fields" and "ru_line" in lines[1]
