"""The scenario file's reference, generated from the live schema (sim/scenario/schema.py).

* `json_schema()`: a JSON Schema (draft-07, which editors' YAML plugins read) of a scenario
  file, for ``python run.py schema``; the shipped scenarios point at it with a
  ``# yaml-language-server: $schema=...`` first line so that an editor completes and checks
  fields as one types.
* `reference_markdown()`: docs/scenario-reference.md, every field with its type, allowed
  values, default, a one-line meaning and an example (a test keeps the file current).

Both walk the pydantic models, so a field added to the schema appears in both at once. What
the models do not carry is added here: a one-line meaning for a field whose `Field` has no
`description` (`FIELD_NOTES`; a description in the schema wins), meanings of allowed values
(`VALUE_NOTES`), which fields name places (`PLACE_FIELDS`), and examples for fields the
template (scenarios/TEMPLATE.yaml) does not use (`EXAMPLES`): those are in
sim/scenario/notes.py.
"""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sim.model.params import Parameters
from sim.scenario.notes import EXAMPLES, FIELD_NOTES, PLACE_FIELDS, VALUE_NOTES
from sim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "docs" / "scenario.schema.json"
REFERENCE_FILE = REPO / "docs" / "scenario-reference.md"
TEMPLATE_FILE = REPO / "scenarios" / "TEMPLATE.yaml"

#: What a date field accepts in YAML: a date, or a date and a time (local Kyiv time).
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}([Tt ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$"


# ------------------------------------------------------------------------------ JSON Schema
def _walk(node: Any, fn) -> Any:
    """Apply `fn` to every mapping in a JSON-like tree, bottom-up; returns the new tree."""
    if isinstance(node, dict):
        return fn({k: _walk(v, fn) for k, v in node.items()})
    if isinstance(node, list):
        return [_walk(v, fn) for v in node]
    return node


def _editor_friendly(d: dict) -> dict:
    """One schema mapping made draft-07 and YAML-friendly: dates as patterns (YAML writes
    them unquoted, without seconds), tuples as `items` lists, no generated titles."""
    d = dict(d)
    if d.get("format") in ("date-time", "date"):
        d.pop("format")
        d["pattern"] = DATE_PATTERN
    if "prefixItems" in d:
        d["items"] = d.pop("prefixItems")
    if isinstance(d.get("title"), str) and "properties" not in d and "enum" not in d:
        d.pop("title")  # pydantic's "Ifv Apc"-style field titles say nothing
    if "unit" in d:  # a parameter's unit: keep it readable in the description
        d["description"] = f"[{d.pop('unit')}] {d.get('description', '')}".strip()
    return d


def json_schema(annotate: bool = True) -> dict[str, Any]:
    """The JSON Schema of a scenario file (draft-07), from the live pydantic models. With
    `annotate`, fields without a description get their meaning from `FIELD_NOTES` (editors
    show it on hover), and place fields say how to find a place."""
    raw = Scenario.model_json_schema(ref_template="#/definitions/{model}")
    defs = raw.pop("$defs", {})
    params = Parameters.model_json_schema()
    raw["properties"]["parameters"] = {
        "type": "object",
        "additionalProperties": False,
        "description": FIELD_NOTES["Scenario.parameters"],
        "properties": params["properties"],
    }
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        **raw,
        "title": "Izium-sim scenario",
        "definitions": defs,
    }
    schema = _walk(schema, _editor_friendly)
    if not annotate:
        return schema
    for name, d in [("Scenario", schema), *schema["definitions"].items()]:
        for field, prop in d.get("properties", {}).items():
            note = FIELD_NOTES.get(f"{name}.{field}")
            if note and "description" not in prop:
                prop["description"] = note
            dated = prop.get("pattern") == DATE_PATTERN or any(
                x.get("pattern") == DATE_PATTERN for x in prop.get("anyOf", [])
            )
            if dated:
                prop["description"] = (
                    f"{_sentence(prop.get('description', ''))} A date, or "
                    "a date and time: 2022-09-06T03:30.".strip()
                )
            if f"{name}.{field}" in PLACE_FIELDS:
                text = _sentence(prop.get("description", ""))
                prop["description"] = (
                    f"{text} A place: node id or name (python run.py places NAME).".strip()
                )
    return schema


def json_schema_text() -> str:
    """`json_schema()` as the text of docs/scenario.schema.json."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------ the reference
def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _anchor(name: str) -> str:
    return name.lower()


def _bounds(s: dict) -> str:
    out = []
    for key, sym in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ):
        if key in s:
            out.append(f"{sym} {s[key]}")
    return f" ({', '.join(out)})" if out else ""


def type_text(s: dict, defs: dict, place: bool = False) -> str:
    """A schema as a short phrase: 'whole number (≥ 0)', 'list of [Unit](#unitspec)'."""
    if "$ref" in s:
        name = _ref_name(s["$ref"])
        target = defs.get(name, {})
        if "enum" in target:
            return f"one of [{name}](#{_anchor(name)})"
        return f"[{name}](#{_anchor(name)})"
    if "anyOf" in s:
        parts = [type_text(x, defs, place) for x in s["anyOf"] if x.get("type") != "null"]
        return " or ".join(dict.fromkeys(parts))
    if "enum" in s:
        return "one of " + ", ".join(f"`{v}`" for v in s["enum"])
    t = s.get("type")
    if t == "array":
        items = s.get("items", {})
        if isinstance(items, list):
            return "[" + ", ".join(type_text(x, defs) for x in items) + "] pair"
        least = f", at least {s['minItems']}" if s.get("minItems") else ""
        return f"list of {type_text(items, defs, place)}{least}"
    if t == "object":
        if "properties" in s:
            return "mapping of model parameter names to values ([parameters](parameters.md))"
        value = s.get("additionalProperties")
        keys = s.get("propertyNames", {}).get("enum")
        key_text = "/".join(f"`{k}`" for k in keys) if keys else "name"
        if isinstance(value, dict) and value:
            return f"mapping of {key_text} to {type_text(value, defs, place)}"
        return "mapping"
    if t == "string":
        if place:
            return "place (node id or name)"
        if s.get("pattern") == DATE_PATTERN:
            return "date and time"
        if s.get("pattern"):
            return f"text matching `{s['pattern']}`"
        return "non-empty text" if s.get("minLength") else "text"
    if t == "integer":
        return "whole number" + _bounds(s)
    if t == "number":
        return "number" + _bounds(s)
    if t == "boolean":
        return "true / false"
    return "anything"


def _yaml_value(v: Any) -> str:
    """A value as compact YAML flow text."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, datetime):
        return f"{v:%Y-%m-%dT%H:%M}"
    if isinstance(v, date):
        return f"{v:%Y-%m-%d}"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_yaml_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_yaml_value(x) for x in v) + "]"
    if isinstance(v, str):
        text = v if len(v) <= 60 else v[:57].rstrip() + "..."
        plain = (
            text
            and text[0] not in "[{&*!|>'\"%@`#-?:,=<"
            and ": " not in text
            and " #" not in text
            and text not in ("true", "false", "null", "yes", "no")
        )
        return text if plain else json.dumps(text, ensure_ascii=False)
    return str(v)


def _resolve(s: dict, defs: dict) -> dict:
    """Follow a $ref, an optional (anyOf with null), a list's items, a map's values: the
    schema of the mapping one level down, or {}."""
    if "$ref" in s:
        return defs.get(_ref_name(s["$ref"]), {})
    if "anyOf" in s:
        for x in s["anyOf"]:
            r = _resolve(x, defs)
            if r.get("properties"):
                return r
    if s.get("type") == "array" and isinstance(s.get("items"), dict):
        return _resolve(s["items"], defs)
    if s.get("type") == "object" and isinstance(s.get("additionalProperties"), dict):
        return _resolve(s["additionalProperties"], defs)
    return s


def template_examples(
    data: Any, schema: dict, defs: dict, name: str = "Scenario", out: dict[str, str] | None = None
) -> dict[str, str]:
    """ "Model.field" -> "field: value" for the first use of each field in a scenario's data."""
    out = {} if out is None else out
    props = schema.get("properties", {})
    if not isinstance(data, dict):
        return out
    for key, value in data.items():
        if key not in props:
            continue
        out.setdefault(f"{name}.{key}", f"{key}: {_yaml_value(value)}")
        sub = props[key]
        target = _resolve(sub, defs)
        sub_name = next((n for n, d in defs.items() if d is target), None)
        if sub_name is None or not target.get("properties"):
            continue
        values = (
            value
            if isinstance(value, list)
            else (list(value.values()) if "additionalProperties" in _unwrap(sub, defs) else [value])
        )
        for item in values:
            template_examples(item, target, defs, sub_name, out)
    return out


def _unwrap(s: dict, defs: dict) -> dict:
    if "anyOf" in s:
        return next((x for x in s["anyOf"] if x.get("type") != "null"), s)
    return s


def _models_in_order(schema: dict) -> list[str]:
    """Definition names in the order a reader meets them, from the top level down."""
    defs = schema["definitions"]
    seen: list[str] = []

    def visit(s: Any) -> None:
        if isinstance(s, dict):
            if "$ref" in s:
                name = _ref_name(s["$ref"])
                if name not in seen:
                    seen.append(name)
                    visit(defs.get(name, {}))
            for v in s.values():
                visit(v)
        elif isinstance(s, list):
            for v in s:
                visit(v)

    visit(schema.get("properties", {}))
    return seen + [n for n in defs if n not in seen]


def _template_data() -> Any:
    from ruamel.yaml import YAML

    if not TEMPLATE_FILE.exists():
        return {}
    return YAML(typ="safe").load(TEMPLATE_FILE.read_text(encoding="utf-8")) or {}


def field_rows(schema: dict | None = None) -> list[tuple[str, str, dict, bool]]:
    """(model, field, field schema, required) for every field of every model."""
    schema = schema or json_schema()
    defs = schema["definitions"]
    rows = []
    for name in ["Scenario", *_models_in_order(schema)]:
        d = schema if name == "Scenario" else defs[name]
        required = set(d.get("required", []))
        for field, prop in d.get("properties", {}).items():
            rows.append((name, field, prop, field in required))
    return rows


def _sentence(text: str) -> str:
    """'enters the map at this time' -> 'Enters the map at this time.'"""
    text = " ".join(text.split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?)" else text + "."


def meaning(model: str, field: str, prop: dict) -> str:
    """The one-line meaning of a field: the schema's description, else `FIELD_NOTES` ("" when
    nothing says it). `prop` is the field's schema from `json_schema(annotate=False)`."""
    return _sentence(prop.get("description") or FIELD_NOTES.get(f"{model}.{field}", ""))


def reference_markdown() -> str:
    """docs/scenario-reference.md (generated; a test keeps it current)."""
    schema = json_schema(annotate=False)
    defs = schema["definitions"]
    examples = template_examples(_template_data(), schema, defs)
    examples.update({k: v for k, v in EXAMPLES.items() if k not in examples})
    order = _models_in_order(schema)
    models = [n for n in order if defs[n].get("properties")]
    enums = [n for n in order if "enum" in defs[n]]
    lines = [
        "# Scenario file reference",
        "",
        "Generated from the schema in `sim/scenario/schema.py` by",
        "`python run.py schema --markdown > docs/scenario-reference.md`; a test keeps it current.",
        "How to write a scenario, step by step: [Write your own scenario](scenarios.md#write-"
        "your-own-scenario). Editors with a YAML plugin (VS Code's *YAML*, or any client of",
        "yaml-language-server) complete and check fields as you type when the file's first line is",
        "`# yaml-language-server: $schema=../docs/scenario.schema.json` (the path from the "
        "scenario",
        "to `docs/scenario.schema.json` inside the repository, its absolute `file://` URI "
        "outside it;",
        "`python run.py new NAME` writes the right one for where the file lands).",
        "",
        "Dates are local (Kyiv) time, written `2022-09-06T03:30` (or a bare date, `2022-09-06`,"
        " which",
        "means midnight, or for `history:` the end of that day). A *place* is a node id of the map",
        "(`izium_s`) or a name or alias the loader resolves (`Izium`, `Ізюм`, `Krasnyi Lyman`); "
        "find",
        "ids with `python run.py places NAME` or `python run.py places --near LAT,LON`. After "
        "editing,",
        "`python run.py validate FILE.yaml` checks the file and the start it describes, and",
        "`python run.py preview FILE.yaml --out start.png` draws that start.",
        "",
        "Contents: " + " · ".join(f"[{n}](#{_anchor(n)})" for n in ["Scenario", *models]),
        "· allowed values: " + " · ".join(f"[{n}](#{_anchor(n)})" for n in enums),
        "",
    ]
    for name in ["Scenario", *models]:
        d = schema if name == "Scenario" else defs[name]
        doc = (
            " ".join((Scenario.__doc__ or "").split())
            if name == "Scenario"
            else " ".join(d.get("description", "").split())
        )
        lines += [f"## {name}", ""]
        if name == "Scenario":
            lines += ["The top level of a scenario file.", ""]
        elif doc:
            lines += [doc, ""]
        lines += ["| field | type | default | meaning | example |", "|---|---|---|---|---|"]
        required = set(d.get("required", []))
        for field, prop in d.get("properties", {}).items():
            key = f"{name}.{field}"
            typ = type_text(prop, defs, place=key in PLACE_FIELDS and prop.get("type") == "string")
            if key in PLACE_FIELDS and prop.get("type") != "string":
                typ = typ.replace("text", "place")
            default = "**required**" if field in required else _default_text(prop)
            target = _resolve(prop, defs)
            model_name = next(
                (n for n, x in defs.items() if x is target and x.get("properties")), None
            )
            example = examples.get(key, "")
            if model_name:  # a block of its own: its fields have their examples
                example = f"see [{model_name}](#{_anchor(model_name)})"
            else:
                example = f"`{example}`" if example else "—"
            lines.append(
                f"| `{field}` | {typ} | {default} | "
                f"{_cell(meaning(name, field, prop)) or '—'} | {_cell(example)} |"
            )
        lines.append("")
        noted = [
            (field, v)
            for field, prop in d.get("properties", {}).items()
            for v in _literal_values(prop)
            if str(v) in VALUE_NOTES
        ]
        for field in dict.fromkeys(f for f, _ in noted):
            values = "; ".join(f"`{v}` {VALUE_NOTES[str(v)]}" for f, v in noted if f == field)
            lines.append(f"Values of `{field}`: {values}.")
            lines.append("")
    for name in enums:
        d = defs[name]
        lines += [
            f"## {name}",
            "",
            " ".join(d.get("description", "").split()) or "Allowed values:",
            "",
        ]
        for v in d["enum"]:
            note = VALUE_NOTES.get(str(v))
            lines.append(f"* `{v}`" + (f": {note}" if note else ""))
        lines.append("")
    return "\n".join(lines)


def _literal_values(prop: dict) -> list:
    if "enum" in prop:
        return list(prop["enum"])
    out = []
    for x in prop.get("anyOf", []):
        out += _literal_values(x)
    if isinstance(prop.get("items"), dict):
        out += _literal_values(prop["items"])
    return out


def _default_text(prop: dict) -> str:
    if "default" not in prop:
        return "optional"
    v = prop["default"]
    if v is None:
        return "none"
    if v == "":
        return '`""`'
    return f"`{_yaml_value(copy.deepcopy(v))}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def schema_line(for_file: str | Path) -> str:
    """The editor hint for a scenario written at `for_file`: the first line pointing at
    docs/scenario.schema.json. Inside this repository the path is relative to the file (what the
    shipped scenarios carry: it holds wherever the checkout is); outside it, an absolute file URI,
    since a relative path back into the checkout breaks as soon as either moves, and an editor
    opening the file on its own would not find it."""
    import os

    here = Path(for_file).resolve()
    if here.is_relative_to(REPO):
        target = Path(os.path.relpath(SCHEMA_FILE, here.parent)).as_posix()
    else:
        target = SCHEMA_FILE.as_uri()
    return f"# yaml-language-server: $schema={target}"


#: The comment that opens each optional example of the template (`with_examples`).
EXAMPLE_MARK = "Example (uncomment to use)"


def with_examples(text: str) -> str:
    """The template's text with every optional example switched on: after each line that
    says EXAMPLE_MARK, the commented lines that follow it (up to the first line that is not
    a comment) lose their ``# ``, keeping their indentation."""
    import re

    out, on = [], False
    for line in text.splitlines(keepends=True):
        m = re.match(r"^(\s*)# ?(.*)$", line, flags=re.S)
        if on and m and line.strip() != "#":
            out.append(m.group(1) + m.group(2))
            continue
        on = EXAMPLE_MARK in line
        out.append(line)
    return "".join(out)


def new_scenario_text(name: str, title: str | None, out: str | Path, examples: bool = False) -> str:
    """The template with its id, title and schema line set for a new scenario at `out`
    (`examples`: with every optional example switched on, `with_examples`)."""
    import re

    text = TEMPLATE_FILE.read_text(encoding="utf-8")
    if examples:
        text = with_examples(text)
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith("# yaml-language-server:"):
        lines[0] = schema_line(out) + "\n"
    text = "".join(lines)
    text = re.sub(r"(?m)^id: .*$", f"id: {name}", text, count=1)
    if title:
        line = f"title: {json.dumps(title, ensure_ascii=False)}"
        text = re.sub(r"(?m)^title: .*$", lambda _: line, text, count=1)
    return text
