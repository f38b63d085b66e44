"""The author's commands: validate, places, preview, schema, new (sim/cli/authoring.py), the
generated reference and JSON Schema, and no traceback from any mangled argument."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pytest  # noqa: E402
from clirun import Result, run  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402
from toy import march_with_two_warnings  # noqa: E402

from sim.cli.main import main  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SEPT = REPO / "scenarios" / "izium_2022_09.yaml"
MARCH = REPO / "scenarios" / "izium_2022_03.yaml"
TEMPLATE = REPO / "scenarios" / "TEMPLATE.yaml"


def cli(*args: str, cwd: Path = REPO) -> Result:
    """run.py ARGS, in this process, from `cwd`."""
    return run(*args, cwd=cwd)


# ---------------------------------------------------------------------------------- validate
def test_validate_lists_every_problem_with_file_line_field_and_exits_2(tmp_path):
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text.replace(
        "  - at: 2022-09-06T03:30\n    kind: caption", "  - at: 2022-09-30T03:30\n    kind: caption"
    )
    text = text.replace("led the Balakliia breach [WPG]", "led the Balakliia breach [WPX]")
    text = text.replace(
        "    start: 2022-09-06T03:30             # the", "    start: 2022-09-01T06:00  # the"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    proc = cli("validate", str(bad))
    assert proc.returncode == 0, proc.stderr  # warnings only: an undeclared key is one
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 3, lines
    for ln, field in zip(
        lines, ["units[0].source", "orders[0].start", "events[0].at"], strict=True
    ):
        assert ln.startswith(f"warning: {bad}:"), ln
        number = int(ln.split(":")[2])
        assert ln.split(": ")[2] == field, ln
        assert text.splitlines()[number - 1].strip()  # the line exists and has the field
    assert f"{bad}: valid (3 warnings)" in proc.stdout
    strict = cli("validate", "--strict", str(bad))
    assert strict.returncode == 2 and f"{bad}: invalid (3 errors)" in strict.stdout


def test_validate_warnings_exit_0_and_strict_makes_them_errors(tmp_path):
    warned = march_with_two_warnings(tmp_path)
    proc = cli("validate", str(warned), str(SEPT), str(TEMPLATE))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("warning: ") == 2, proc.stderr
    assert "depots[" in proc.stderr and "arrives at Kupiansk-Vuzlovyi" in proc.stderr
    assert f"{warned}: valid (2 warnings)\n" in proc.stdout
    assert f"{SEPT}: valid\n" in proc.stdout and f"{TEMPLATE}: valid\n" in proc.stdout
    strict = cli("validate", "--strict", str(warned))
    assert strict.returncode == 2 and strict.stderr.count("error: ") == 2


def test_validate_reports_a_loader_error_in_one_line(tmp_path):
    bad = tmp_path / "b.yaml"
    bad.write_text(
        TEMPLATE.read_text(encoding="utf-8").replace("at: andriivka", "at: nowhere", 1),
        encoding="utf-8",
    )
    proc = cli("validate", str(bad), str(TEMPLATE))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "units[0].at" in proc.stderr
    assert f"{TEMPLATE}: valid" in proc.stdout  # the next file is still checked


def test_validate_lists_value_errors_with_the_field_errors_in_one_pass(tmp_path):
    """A value YAML reads but Python cannot hold (30 February, hour 25, ``!!int izium``) is
    one problem at its line, listed with the file's other field errors, not alone."""
    text = TEMPLATE.read_text(encoding="utf-8")
    edits = [
        ("start: 2022-09-06T00:00", "start: 2022-02-30T10:00:00", "start", "out of range"),
        (
            "    start: 2022-09-06T03:30 ",
            "    start: 2022-09-06 25:00:00 ",
            "orders[0].start",
            "hour",
        ),
        ("at: andriivka  ", "at: atlantis  ", "units[0].at", "unknown place"),
    ]
    for old, new, _, _ in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    proc = cli("validate", str(bad), str(TEMPLATE))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 3, lines
    by_field = {ln.split(": ")[2]: ln for ln in lines}
    assert sorted(by_field) == sorted(field for *_, field, _ in edits), lines
    for _old, new, field, words in edits:
        ln = by_field[field]
        assert ln.startswith(f"error: {bad}:") and words in ln, ln
        assert new.strip() in text.splitlines()[int(ln.split(":")[2]) - 1], ln
    assert f"{bad}: invalid (fix the 3 problems above" in proc.stdout
    assert f"{TEMPLATE}: valid" in proc.stdout  # the next file is still checked


def test_validate_gives_a_yaml_syntax_error_one_line_with_its_line(tmp_path):
    text = TEMPLATE.read_text(encoding="utf-8").replace("at: andriivka", 'at: "andriivka', 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    proc = cli("validate", str(bad))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"error: {bad}:") and "YAML syntax" in line, line
    assert int(line.split(":")[2]) > 1


def test_a_replay_prints_the_warnings_and_refuses_errors(tmp_path):
    late = TEMPLATE.read_text(encoding="utf-8").replace(
        "  - at: 2022-09-06T03:30\n    kind: caption", "  - at: 2022-09-30T03:30\n    kind: caption"
    )
    warned = tmp_path / "late.yaml"
    warned.write_text(late, encoding="utf-8")
    proc = cli(str(warned), "--headless", "--out", str(tmp_path / "run1"))
    assert proc.returncode == 0 and "warning:" in proc.stderr and "events[0].at" in proc.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(late.replace("side: RU\n    type:", "side: UA\n    type:"), encoding="utf-8")
    proc = cli(str(bad), "--headless", "--out", str(tmp_path / "run2"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "no RU units" in proc.stderr and "1 error" in proc.stderr
    assert proc.stdout == "" and not (tmp_path / "run2" / "summary.json").exists()


# ---------------------------------------------------------------------------------- places
@pytest.mark.parametrize(
    ("query", "node"),
    [
        ("Krasnyi Lyman", "lyman"),
        ("Artemivsk", "bakhmut"),
        ("Артемовск", "bakhmut"),
        ("Kharkov", "kharkiv"),
        ("Харьков", "kharkiv"),
        ("Chuguyev", "chuhuiv"),
        ("Balakleya", "balakliia"),
        ("Изюм", "izium_s"),
        ("Pervomaiskyi", "zlatopil"),
        ("Kupyansk", "kupiansk_w"),
        ("balaklia", "balakliia"),
        ("Volokhiv Jar", "volokhiv_yar"),
    ],
)
def test_places_finds_old_russian_and_misspelt_names(query, node):
    from sim.map.places import search
    from sim.map.theatre import build_theatre

    assert search(build_theatre(), query)[0].node == node


def test_places_prints_names_terrain_population_and_each_edges_road_or_crossing():
    proc = cli("places", "Izium")
    assert proc.returncode == 0, proc.stderr
    block = proc.stdout.split("\n\n")[0]
    assert block.startswith("izium_s  Izium (south bank) · Ізюм")
    assert "urban" in block and "population 32,119" in block
    assert "izium_n" in block and "Izium road bridge" in block  # the bridge to the north bank
    assert "NO CROSSING" in block  # the local edges across the Donets
    near = cli("places", "--near", "49.21,37.26", "--limit", "2", "--brief")
    assert near.returncode == 0 and near.stdout.splitlines()[0].startswith("izium_s ")
    assert "km SE of the position" in near.stdout
    bare = cli("places", "49.21,37.26", "--limit", "2", "--brief")  # a position without --near
    assert bare.returncode == 0 and bare.stdout == near.stdout


@pytest.mark.parametrize(
    ("query", "first", "note"),
    [
        ("Izium", "izium_s  ", "(exact: also 'Izium')"),  # an alias of the south bank
        ("Kharkov", "kharkiv  ", "(exact: also 'Kharkov')"),
        ("Izi", "izium_s  ", "(prefix: 'Izium' starts with 'Izi')"),
        ("Krasnopillia", "lyman  ", "(similar: 'Красный Лиман')"),
        ("Dmytrivka", "yurivka  ", "(similar: 'Yurivka')"),
    ],
)
def test_places_labels_exact_prefix_and_similar_matches(query, first, note):
    """A fuzzy match does not look like a hit (issue 25): each match says how it matched, and
    with no exact one a first line says there is no such place."""
    proc = cli("places", query, "--brief")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    exact = note.startswith("(exact")
    assert lines[0].startswith(f"no place named {query!r} on the map") != exact
    row = lines[0 if exact else 1]
    assert row.startswith(first) and row.endswith(note), row


@pytest.mark.parametrize(
    "args",
    [
        ["places"],
        ["places", "--near", "49.2"],
        ["places", "--near", "nan,37"],
        ["places", "--near", "91,0"],
        ["places", "x", "--near", "49,37"],
        ["places", "x", "--limit", "0"],
    ],
)
def test_places_bad_input_is_one_line_exit_2(args):
    proc = cli(*args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------- schema
def editor_view(node):
    """YAML as an editor's language server reads it (YAML 1.2 core: dates stay text)."""
    if isinstance(node, dict):
        return {k: editor_view(v) for k, v in node.items()}
    if isinstance(node, list):
        return [editor_view(v) for v in node]
    if isinstance(node, datetime):
        return node.isoformat(timespec="minutes")
    if isinstance(node, date):
        return node.isoformat()
    return node


def test_the_json_schema_accepts_the_shipped_scenarios_and_rejects_bad_fields():
    jsonschema = pytest.importorskip("jsonschema")
    from sim.scenario.reference import json_schema

    schema = json_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    for path in (SEPT, MARCH, TEMPLATE):
        data = editor_view(YAML(typ="safe").load(path.read_text(encoding="utf-8")))
        assert list(validator.iter_errors(data)) == [], path
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../docs/scenario.schema.json", path
    data = editor_view(YAML(typ="safe").load(TEMPLATE.read_text(encoding="utf-8")))
    data["units"][0]["type"] = "spaceship"
    data["units"][1]["colour"] = "red"
    data["parameters"] = {"warp_speed": 9}
    data["orders"][0]["start"] = "next tuesday"
    bad = {tuple(e.path) for e in validator.iter_errors(data)}
    assert bad == {("units", 0, "type"), ("units", 1), ("parameters",), ("orders", 0, "start")}


def test_the_generated_files_are_current():
    from sim.scenario.reference import json_schema_text, reference_markdown

    assert (REPO / "docs" / "scenario.schema.json").read_text(
        encoding="utf-8"
    ) == json_schema_text(), "regenerate: python run.py schema --out docs/scenario.schema.json"
    assert (REPO / "docs" / "scenario-reference.md").read_text(
        encoding="utf-8"
    ) == reference_markdown(), (
        "regenerate: python run.py schema --markdown --out docs/scenario-reference.md"
    )


def test_every_field_of_the_schema_has_a_meaning_and_an_example():
    """A field added to the schema needs a `description=` (or a FIELD_NOTES entry) and an
    example (in scenarios/TEMPLATE.yaml or EXAMPLES) before the reference is complete."""
    from sim.scenario import reference as ref

    schema = ref.json_schema(annotate=False)
    doc = ref.reference_markdown()
    missing = []
    sections = {part.split("\n", 1)[0].strip(): part for part in doc.split("\n## ")[1:]}
    for model, field, prop, _ in ref.field_rows(schema):
        if not ref.meaning(model, field, prop):
            missing.append(f"{model}.{field}: meaning")
        section = sections[model].splitlines()  # the row in its own model's table
        row = next(ln for ln in section if ln.startswith(f"| `{field}` |"))
        if row.endswith("| — |"):
            missing.append(f"{model}.{field}: example")
    assert missing == []
    known = {f"{m}.{f}" for m, f, _, _ in ref.field_rows(schema)}
    stale = sorted((set(ref.FIELD_NOTES) | set(ref.EXAMPLES) | ref.PLACE_FIELDS) - known)
    assert stale == [], "entries for fields the schema no longer has"


def test_schema_command_writes_what_the_docs_hold(tmp_path):
    out = tmp_path / "s.json"
    proc = cli("schema", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["title"] == "Izium-sim scenario"


# ---------------------------------------------------------------------------------- new
SCHEMA = (REPO / "docs" / "scenario.schema.json").resolve()


def schema_target(path: Path) -> Path:
    """The file a scenario's `$schema=` first line points at, read as yaml-language-server
    reads it: a file URI as it is, another path relative to the scenario's folder."""
    from urllib.parse import unquote, urlparse

    value = path.read_text(encoding="utf-8").splitlines()[0].split("$schema=", 1)[1]
    if value.startswith("file:"):
        return Path(unquote(urlparse(value).path)).resolve()
    return (path.parent / value).resolve()


@pytest.mark.parametrize("where", ["out", "cwd", "nested"])
def test_new_points_at_the_schema_from_wherever_the_file_lands(where, tmp_path):
    """Outside the repository the schema is named by an absolute file URI (a relative path
    back into this checkout breaks as soon as the file or the checkout moves)."""
    elsewhere = tmp_path / "my work" / "ops"  # a space: the URI quotes it
    elsewhere.mkdir(parents=True)
    if where == "out":
        proc = cli("new", "my_op", "--out", str(elsewhere / "my_op.yaml"))
    elif where == "cwd":
        proc = cli("new", "my_op", cwd=elsewhere)
    else:
        proc = cli("new", "my_op", "--out", "deeper/my_op.yaml", cwd=elsewhere)
        elsewhere = elsewhere / "deeper"
    assert proc.returncode == 0, proc.stderr
    path = elsewhere / "my_op.yaml"
    assert schema_target(path) == SCHEMA
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=file:///"), first


def test_new_takes_a_file_path_as_its_name(tmp_path):
    """`new ops/my_op` writes ops/my_op.yaml with the id my_op (as `new my_op --out ...`)."""
    (tmp_path / "ops").mkdir()
    proc = cli("new", "ops/my_op", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "ops" / "my_op.yaml").read_text(encoding="utf-8")
    assert "\nid: my_op\n" in text and schema_target(tmp_path / "ops" / "my_op.yaml") == SCHEMA
    both = cli("new", "ops/other.yaml", "--out", "x.yaml", cwd=tmp_path)
    assert both.returncode == 2 and "not both" in both.stderr
    assert sorted(p.name for p in tmp_path.rglob("*.yaml")) == ["my_op.yaml"]


def test_new_with_text_that_is_not_utf8_is_one_line_and_leaves_no_file(tmp_path):
    """`new abc --title $'\\xff'` (bytes the terminal gave that are not UTF-8) ended in a
    UnicodeEncodeError traceback and left an empty abc.yaml behind."""
    import os

    title = os.fsdecode(b"\xff")  # what Python makes of the byte 0xff in an argument
    proc = cli("new", "abc", "--out", "abc.yaml", "--title", title, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: --title:") and "not UTF-8" in proc.stderr
    assert list(tmp_path.iterdir()) == []
    odd = os.fsdecode(b"op\xff")  # a folder whose name is not UTF-8 is no matter
    (tmp_path / odd).mkdir()
    proc = cli("new", "abc", "--out", f"{odd}/abc.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / odd / "abc.yaml").read_bytes().decode("utf-8")


def test_new_expands_a_home_path(tmp_path, monkeypatch):
    """A quoted `~/ops/x` is the home folder's, not a folder named `~` here."""
    home, work = tmp_path / "home", tmp_path / "work"
    (home / "ops").mkdir(parents=True)
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    proc = cli("new", "~/ops/my_op", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert (home / "ops" / "my_op.yaml").is_file() and list(work.iterdir()) == []


@pytest.mark.parametrize(
    "inside", ["scenarios/x.yaml", "examples/lessons/x.yaml", "x.yaml", "scenarios/a/b/x.yaml"]
)
def test_the_schema_line_inside_the_repository_is_relative(inside):
    from sim.scenario.reference import schema_line

    value = schema_line(REPO / inside).split("$schema=", 1)[1]
    assert not value.startswith(("/", "file:")), value
    assert ((REPO / inside).parent / value).resolve() == SCHEMA


def test_the_shipped_scenarios_keep_their_schema_line():
    from sim.scenario.reference import schema_line

    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        assert path.read_text(encoding="utf-8").splitlines()[0] == schema_line(path), path


def test_new_writes_a_scenario_that_validates_and_runs(tmp_path):
    proc = cli("new", "my_raid", "--title", "My raid", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "my_raid.yaml"
    text = path.read_text(encoding="utf-8")
    assert schema_target(path) == SCHEMA  # outside the repository: an absolute file URI
    assert text.splitlines()[0].split("$schema=")[1].startswith("file:///")
    assert "\nid: my_raid\n" in text and '\ntitle: "My raid"\n' in text
    check = cli("validate", str(path), cwd=tmp_path)
    assert check.returncode == 0 and check.stderr == "", check.stderr
    again = cli("new", "my_raid", cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr  # never overwrites
    run = cli(str(path), "--headless", "--out", str(tmp_path / "run"), "--compare", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["scenario"] == "my_raid"


@pytest.mark.parametrize(
    "args",
    [
        ["new"],
        ["new", "My Raid"],
        ["new", "x", "--out", "x.txt"],
        ["new", "x", "--title", " "],
        ["new", "9lives"],
        ["new", "."],
        ["new", "ops/Bad Name.yaml"],
        ["new", "ops/x.txt"],
        ["new", "ops/"],  # a folder, not a file: was written as ./ops.yaml
    ],
)
def test_new_bad_input_is_one_line_exit_2(args, tmp_path):
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------- preview
def test_preview_draws_units_orders_and_depots_of_the_template(tmp_path):
    import pygame

    from sim.map.theatre import build_theatre
    from sim.scenario.checks import check_file
    from sim.view import preview as pv
    from sim.view import symbols as sym

    out = tmp_path / "start.png"
    proc = cli("preview", str(TEMPLATE), "--out", str(out), "--size", "1400x900")
    assert proc.returncode == 0, proc.stderr
    img = pygame.image.load(str(out))
    assert img.get_size() == (1400, 900)
    theatre = build_theatre()
    scenario, _ = check_file(TEMPLATE, theatre)
    layout = pv.preview_layout((1400, 900))
    from sim.view import render as rd

    vp = rd.viewport_for(layout, pv.preview_bounds(scenario, theatre, layout.map_rect))
    legs = pv.order_legs(scenario, theatre)
    assert sorted(i for i, *_ in legs) == [0, 1]  # the hold (orders[2]) has no arrow
    g = theatre.graph

    def colour_near(x, y, colour, r=2):
        return any(
            all(
                abs(a - b) < 20
                for a, b in zip(img.get_at((x + dx, y + dy))[:3], colour, strict=True)
            )
            for dx in range(-r, r + 1)
            for dy in range(-r, r + 1)
        )

    for _, _, side, nodes in legs:  # the arrow's line runs between its places
        (ax, ay), (bx, by) = (vp.to_px(g.nodes[n]["x_km"], g.nodes[n]["y_km"]) for n in nodes[-2:])
        hits = sum(
            colour_near(round(ax + f * (bx - ax)), round(ay + f * (by - ay)), sym.SIDE_LINE[side])
            for f in (0.3, 0.4, 0.5, 0.7)
        )
        assert hits >= 3, nodes
    # the symbols of the units: the side's frame fill somewhere near each start place
    for u in scenario.units:
        x, y = vp.to_px(g.nodes[u.at]["x_km"], g.nodes[u.at]["y_km"])
        assert colour_near(round(x), round(y), sym.SIDE_FILL[u.side], r=60), u.id


def test_preview_of_a_scenario_with_arrivals_and_problems(tmp_path):
    out = tmp_path / "m.png"
    warned = march_with_two_warnings(tmp_path)
    proc = cli("preview", str(warned), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("warning: ") == 2 and out.stat().st_size > 50_000
    bad = cli("preview", str(warned), "--out", str(tmp_path / "m.jpg"))
    assert bad.returncode == 2 and ".png" in bad.stderr


@pytest.mark.parametrize("path", [SEPT, MARCH, TEMPLATE])
def test_preview_lists_the_orders_in_file_order_with_their_start_or_condition(path):
    """Authors refer to orders by position (orders[n]) and id: the sidebar lists them as the
    file does, each with when it may start (its start, its condition, or both)."""
    from sim.map.theatre import build_theatre
    from sim.model.plan import condition_text
    from sim.scenario.checks import check_file
    from sim.view.panels import fmt_time
    from sim.view.preview_orders import order_rows

    theatre = build_theatre()
    scenario, _ = check_file(path, theatre)
    rows = order_rows(scenario, theatre)
    assert [int(r.split(".", 1)[0]) for r in rows] == list(range(len(scenario.orders)))
    name = theatre.graph.nodes
    for row, o in zip(rows, scenario.orders, strict=True):
        assert o.id is None or f" {o.id} " in row, row
        if o.start is not None:
            assert fmt_time(o.start) in row, row
        if o.when is not None:
            assert "when " + condition_text(o.when, lambda p: name[p]["name"]) in row, row
        if o.start is None and o.when is None:
            assert "at the start" in row, row
    if path == SEPT:  # orders[4]: `when: {taken: volokhiv_yar}`, written out by hand
        assert rows[4].startswith("4. ua_kupiansk · when Volokhiv Yar taken · "), rows[4]


# ---------------------------------------------------------------------------------- fuzz
# Paths are relative to a fresh folder holding a copy of the template (t.yaml): no command
# may write into the repository, whatever it is given.
VALUES = [
    "",
    "x",
    "nan",
    "-1",
    "0",
    "1e999",
    "9999999999",
    "abc",
    "49.2,37.3",
    "91,200",
    "a,b,c",
    "Izium",
    "Ізюм",
    "10x10",
    "640x480",
    "700X500",
    "/proc/x/y.png",
    "/proc/nope/out.json",
    "out.png",
    "out.yaml",
    "out.json",
    "out.md",
    "nonexistent.yaml",
    "/dev/null",
    "t.yaml",
    "BAD NAME",
    "ok_name",
    "sub/ok_name",
    "ok.yaml",
    ".",
    "--",
    "-h",
]
COMMANDS = {  # positional values, then options (None: a flag without a value)
    "validate": (["t.yaml"], {"--strict": None}),
    "places": (["Izium", "Krasnyi Lyman"], {"--near": "", "--limit": "", "--brief": None}),
    "preview": (["t.yaml"], {"--out": "", "--size": ""}),
    "schema": ([], {"--out": "", "--markdown": None}),
    "new": (["ok_name"], {"--out": "", "--title": ""}),
}


@st.composite
def command_lines(draw):
    command = draw(st.sampled_from(sorted(COMMANDS)))
    positional, options = COMMANDS[command]
    argv = [command]
    if positional or draw(st.booleans()):
        argv.append(draw(st.sampled_from(positional + VALUES)))
    for flag in draw(st.lists(st.sampled_from(sorted(options)), max_size=3)):
        argv.append(flag)
        if options[flag] is not None:
            argv.append(draw(st.sampled_from(VALUES)))
    return argv


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command_lines())
def test_mangled_arguments_never_give_a_traceback(tmp_path_factory, argv):
    """Any argument list to the author's commands ends in exit 0, 1 (no place found) or 2
    (bad input, one line on stderr), or argparse's --help exit; never another exception."""
    cwd = tmp_path_factory.mktemp("fuzz")
    (cwd / "t.yaml").write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    here = os.getcwd()
    os.chdir(cwd)
    try:
        try:
            code = main(argv)
        except SystemExit as e:  # --help prints and exits 0
            assert e.code == 0 and "-h" in argv
            return
    finally:
        os.chdir(here)
    assert code in (0, 1, 2)
    assert (cwd / "t.yaml").read_text(encoding="utf-8") == TEMPLATE.read_text(encoding="utf-8")
