"""Authoring, round two (issue 25): a scenario using every new field (the template with its
examples switched on, `run.py new --examples`) validates, previews and replays; the preview
places every label clear of the symbols and of each other, keys every mark it draws and lists
every order (on further pages); crossings a scenario adds are on its own map."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from clirun import run as cli

from sim.map.theatre import build_theatre
from sim.scenario import ScenarioError, read_scenario
from sim.scenario.checks import check_file, check_loaded
from sim.scenario.reference import TEMPLATE_FILE, with_examples

REPO = Path(__file__).resolve().parent.parent
SEPT = REPO / "scenarios" / "izium_2022_09.yaml"
SVATOVE = REPO / "scenarios" / "svatove_2022_10.yaml"


@pytest.fixture(scope="module")
def theatre():
    return build_theatre()


@pytest.fixture(scope="module")
def every_field(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("every") / "every.yaml"
    assert cli("new", "every", "--examples", "--out", str(path)).returncode == 0
    return path


def test_the_template_shows_every_new_field_and_its_examples_switch_on(every_field, theatre):
    text = TEMPLATE_FILE.read_text(encoding="utf-8")
    for field in ("new_crossings:", "phases:", "effort:", "pause:", "task: leave", "phase:"):
        assert field in text, field
    scenario, problems = check_file(every_field, theatre)
    assert [p for p in problems if p.severity == "error"] == []
    assert scenario.new_crossings and scenario.phases and scenario.places
    assert scenario.fallback.source and scenario.holding_forces
    orders = scenario.orders
    assert any(o.effort == "main" for o in orders)
    assert any(o.task == "leave" and o.pause and o.phase == "second" for o in orders)
    assert with_examples(text).count("\n# ") < text.count("\n# ")  # comments switched on


def test_a_scenario_with_every_new_field_previews_and_replays(every_field, tmp_path):
    png = tmp_path / "start.png"
    proc = cli("preview", str(every_field), "--out", str(png))
    assert proc.returncode == 0 and png.stat().st_size > 50_000, proc.stderr
    run = cli(str(every_field), "--headless", "--out", str(tmp_path / "run"))
    assert run.returncode == 0, run.stderr
    assert "Phases:\n  second (UA Phase 2: beyond Balakliia)" in run.stdout
    assert "leave Andriivka; phase second" in run.stdout
    assert "main effort" in run.stdout


# ------------------------------------------------------------------------------------ preview
def drawn(path: Path, theatre, size=(1400, 900)):
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from sim.model import CampaignModel
    from sim.view import preview as pv
    from sim.view.replay import Replay

    pygame.font.init()
    loaded = read_scenario(path, theatre)
    s, own = loaded.scenario, loaded.theatre
    model = CampaignModel(s, own, s.parameters_with(), seed=0)
    replay = Replay.from_run(model.record, own, s)
    model.release()
    surface = pygame.Surface(size)
    return s, own, surface, pv.draw_preview(surface, replay, s, check_loaded(loaded, theatre))


@pytest.mark.parametrize("path", [SEPT, SVATOVE], ids=lambda p: p.stem)
def test_preview_labels_cover_no_symbol_name_or_other_label(path, theatre):
    """Units arriving at one place (September's reinforcements at Valuiki and Svatove) each get
    a label of their own: every label found a spot clear of the symbols, key names, marks
    and the labels placed before it."""
    _, _, _, out = drawn(path, theatre)
    assert out.labels and all(spot.clear for spot in out.labels)
    rects = [spot.rect for spot in out.labels]
    for i, r in enumerate(rects):
        assert r.collidelist(rects[i + 1 :]) == -1, r


def test_the_preview_key_has_every_mark_it_draws(every_field, theatre):
    _, _, _, out = drawn(every_field, theatre)
    kinds = {kind for kind, _ in out.key}
    # the oskil dam road destroyed, the ford added, yarova added, the line, the leave arrow
    assert {"destroyed", "ford", "added_crossing", "added_place", "holding"} <= kinds
    assert {"attack", "leave", "depot"} <= kinds
    sept = {kind for kind, _ in drawn(SEPT, theatre)[3].key}
    assert "arrival" in sept and "ford" not in sept and "leave" not in sept


def test_every_order_is_listed_on_the_preview_or_its_further_pages(theatre, tmp_path):
    from sim.view import preview as pv
    from sim.view import preview_orders as po

    s, own, surface, out = drawn(SVATOVE, theatre, size=(1000, 700))
    rows = [*po.phase_rows(s, own), *po.order_rows(s, own)]
    assert out.rest and len(out.rest) < len(rows)  # the sidebar holds some
    rest, pages = out.rest, 1
    while rest:
        before = len(rest)
        rest = po.draw_order_page(surface, s, rest, pages + 1)
        assert len(rest) < before
        pages += 1
    written = pv.render_preview(s, own, tmp_path / "p.png", size=(1000, 700))
    assert [p.name for p in written] == ["p.png", *(f"p_{n}.png" for n in range(2, pages + 1))]
    assert all(p.stat().st_size > 1000 for p in written)


# ---------------------------------------------------------------------------------- crossings
def with_crossing(tmp_path: Path, entry: str, extra: str = "") -> Path:
    text = TEMPLATE_FILE.read_text(encoding="utf-8").rstrip("\n") + "\n"
    path = tmp_path / "c.yaml"
    path.write_text(text + "new_crossings:\n" + entry + extra, encoding="utf-8")
    return path


FORD = """  - id: oskil_ford
    kind: ford
    lat: 49.160
    lon: 37.445
    source: "a test position"
"""


def test_a_ford_by_position_joins_the_places_either_side_of_its_river(tmp_path, theatre):
    loaded = read_scenario(with_crossing(tmp_path, FORD), theatre)
    own = loaded.theatre
    c = own.crossings["oskil_ford"]
    assert c.kind == "ford" and c.river == "Oskil" and {c.u, c.v} == {"oskil", "studenok"}
    assert own.graph.edges[c.u, c.v]["crossing"] == "oskil_ford"
    assert "none_oskil_studenok" not in own.crossings and "oskil_ford" not in theatre.crossings
    from sim.model import CampaignModel

    model = CampaignModel(loaded.scenario, own, seed=0)
    assert model.world.crossings["oskil_ford"].value == "ford" and model.world.passable(c.id)


def test_the_same_crossing_between_two_places_is_the_same_map(tmp_path, theatre):
    by_position = read_scenario(with_crossing(tmp_path, FORD), theatre).theatre
    between = FORD.replace("    lat: 49.160\n    lon: 37.445\n", "    between: [Oskil, studenok]\n")
    other = read_scenario(with_crossing(tmp_path, between), theatre).theatre
    assert sorted(other.graph.edges) == sorted(by_position.graph.edges)
    assert other.crossings["oskil_ford"].u in ("oskil", "studenok")


def test_a_dam_blown_cuts_a_village_off_until_the_crossing_the_sources_give(tmp_path, theatre):
    """Item 2 of the issue: with the Oskil dam road destroyed and Izium Russian, the village
    of Oskil is a pocket, and the warning says which river cuts it off and what to declare;
    with the ford below the dam declared, it is supplied."""
    text = TEMPLATE_FILE.read_text(encoding="utf-8").replace(
        "RU: [balakliia,", "RU: [izium_n, izium_s, balakliia,"
    )
    text = text.rstrip("\n") + "\ncrossings: {oskil_dam_road: destroyed}\n"
    path = tmp_path / "dam.yaml"
    path.write_text(text, encoding="utf-8")
    oskil = [p for p in check_file(path, theatre)[1] if ": Oskil" in p.message]
    assert oskil and "the Oskil (" in oskil[0].message and "new_crossings:" in oskil[0].message
    path.write_text(text + "new_crossings:\n" + FORD, encoding="utf-8")
    assert not [p for p in check_file(path, theatre)[1] if ": Oskil" in p.message]


def oskil_problems(path: Path, theatre) -> list:
    return [p for p in check_file(path, theatre)[1] if "Oskil." in p.message]


@pytest.mark.parametrize(
    ("comment", "severity", "words"),
    [
        ("", "warning", "gives oskil_dam_road destroyed without a source"),
        ("  # blown 31 Mar 2022 [WKC]", "note", "no base is needed"),
        ("  # blown 31 Mar 2022 [NOSUCH]", "warning", "without a source"),  # undeclared key
    ],
)
def test_a_pocket_the_file_sources_is_a_note_not_a_warning(
    tmp_path, theatre, comment, severity, words
):
    """Item 2 of the issue: the village of Oskil cut off by the dam road the file gives as
    destroyed is, with the source cited beside it, a note (what the sources say: no stand-in
    base, and --strict passes); without a citation of a declared key, a warning saying so."""
    text = TEMPLATE_FILE.read_text(encoding="utf-8").replace(
        "RU: [balakliia,", "RU: [izium_n, izium_s, balakliia,"
    )
    path = tmp_path / "dam.yaml"
    path.write_text(
        text.rstrip("\n") + f"\ncrossings:{comment}\n  oskil_dam_road: destroyed\n",
        encoding="utf-8",
    )
    (oskil,) = oskil_problems(path, theatre)
    assert oskil.severity == severity and words in oskil.message, oskil
    assert "the Oskil (no crossing, Oskil dam road [oskil_dam_road] destroyed)" in oskil.message


def test_validate_strict_passes_a_file_whose_only_finding_is_a_note(tmp_path):
    """The April-May scenario with the dam road blown on 31 Mar 2022, its source declared and
    cited: the village of Oskil is a pocket the sources give; validate --strict exits 0."""
    text = (REPO / "scenarios" / "kharkiv_2022_05.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "\nsources:\n",
        '\nsources:\n  - key: WOR\n    cite: "Oskil River (soft.lk/key/Oskil_River): '
        'reservoir dam destroyed 31 Mar 2022"\n',
        1,
    ).replace(
        "  staryi_saltiv_bridge: destroyed\n",
        "  staryi_saltiv_bridge: destroyed\n  oskil_dam_road: destroyed  # 31 Mar 2022 [WOR]\n",
    )
    path = tmp_path / "april.yaml"
    path.write_text(text, encoding="utf-8")
    proc = cli("validate", str(path), "--strict")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{path}: valid (1 note)"
    assert proc.stderr.startswith("note: ") and "Oskil. Nothing there is supplied" in proc.stderr
    plain = cli("validate", str(REPO / "scenarios" / "kharkiv_2022_05.yaml"), "--strict")
    assert "note" not in plain.stdout + plain.stderr  # the note is the dam's


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (("lat: 49.160", "lat: 49.300"), "new_crossings[0].lat", "from the Oskil"),
        (
            ("    lat: 49.160\n    lon: 37.445\n", "    between: [izium_n, oskil]\n"),
            "new_crossings[0].between",
            "they lie on the same bank",
        ),
        (
            ("    lat: 49.160\n    lon: 37.445\n", "    between: [oskil, yatskivka]\n"),
            "new_crossings[0].between",
            "already crosses the Oskil there: Oskil dam road [oskil_dam_road]",
        ),
        (
            ("    lat: 49.160\n    lon: 37.445\n", "    between: [oskil, nowhere]\n"),
            "new_crossings[0].between[1]",
            "'nowhere' is no place",
        ),
        (("    lon: 37.445\n", ""), "new_crossings[0]", "give both lat and lon"),
    ],
)
def test_a_crossing_the_map_cannot_take_is_an_error_at_its_field(
    tmp_path, theatre, change, field, words
):
    path = with_crossing(tmp_path, FORD.replace(*change))
    with pytest.raises(ScenarioError) as e:
        read_scenario(path, theatre)
    found = [p for p in e.value.problems if p.path == field]
    assert found and words in found[0].message, e.value.problems


# ------------------------------------------------------------------------------------ sources
def test_sources_lists_every_key_the_shipped_scenarios_declare():
    from sim.scenario.catalogue import catalogue, shipped
    from sim.scenario.loader import parse_scenario, read_scenario_text

    citations = catalogue()
    declared = {
        (src.key, src.cite)
        for p in shipped()
        for src in parse_scenario(read_scenario_text(p), str(p), max_days=None)[0].sources
    }
    assert {(c.key, c.cite) for c in citations} == declared
    btg = cli("sources", "BTG")
    assert btg.returncode == 0 and btg.stdout.startswith("BTG\n  Wikipedia, Battalion tactical")
    assert "izium_2022_09 (" in btg.stdout
    pasted = cli("sources", "btg", "--yaml")
    assert pasted.stdout.startswith("sources:\n  - key: BTG\n    cite: ")
    assert cli("sources", "no such words anywhere").returncode == 1
