"""The scenario file's reference, generated from the live schema (sim/scenario.py).

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
template (scenarios/TEMPLATE.yaml) does not use (`EXAMPLES`).
"""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sim.params import Parameters
from sim.scenario import Scenario

REPO = Path(__file__).resolve().parent.parent
SCHEMA_FILE = REPO / "docs" / "scenario.schema.json"
REFERENCE_FILE = REPO / "docs" / "scenario-reference.md"
TEMPLATE_FILE = REPO / "scenarios" / "TEMPLATE.yaml"

#: What a date field accepts in YAML: a date, or a date and a time (local Kyiv time).
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}([Tt ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$"

#: One-line meanings, "Model.field" -> text, for fields whose schema has no description.
FIELD_NOTES: dict[str, str] = {
    "Scenario.id": "Short name of the scenario; names the run folder (runs/<id>_seed<N>).",
    "Scenario.title": "Title shown in the viewer and the printed summary.",
    "Scenario.description": "A paragraph on what the scenario covers (free text).",
    "Scenario.start": "When the first hour begins (local Kyiv time).",
    "Scenario.end": "When the run stops; one step is one hour, so end - start is the length.",
    "Scenario.sources": "The references cited in `source:` texts, each by its key.",
    "Scenario.sides": "The two sides, `UA` and `RU`, each with a display name.",
    "Scenario.control": "Who holds what at the start (by default each place is held by its "
                        "country); regions and lists override it.",
    "Scenario.depots": "Where supply comes from: bases (the rear, never cut) and forward depots "
                       "or railheads (work while a base reaches them).",
    "Scenario.units": "The order of battle: every unit on the map at the start or arriving "
                      "later.",
    "Scenario.orders": "Each side's plan: tasks for units from the start, from a sourced "
                       "date, or once a condition holds; the side's commander issues them.",
    "Scenario.groupings": "Units a side's commander withdraws together when their line of "
                          "supply is threatened, or holds whatever happens.",
    "Scenario.whatif": "What `python run.py whatif` varies, and the directions the author "
                       "expects (docs/whatif.md).",
    "Scenario.events": "Dated events: captions, bridges destroyed, depots struck, surprise.",
    "Scenario.parameters": "Model parameters set for this scenario (names and meanings: "
                           "docs/parameters.md); `--set` on the command line overrides them.",
    "Scenario.history": "Dated observations of what happened, which a run is scored against "
                        "(`--compare`).",
    "Source.key": "Short key cited in `source:` texts, as `[KEY]` or at the head of the text.",
    "Source.cite": "The full reference: author, title, publisher or site, date, address.",
    "SideSpec.name": "Display name of the side.",
    "SideSpec.source": "Where the side's description comes from.",
    "ControlSpec.regions": "Polygons whose places start under one side (applied in order; a "
                           "later region wins).",
    "ControlSpec.nodes": "Places listed by side; applied after the regions, so a list wins.",
    "Region.side": "Who holds the places inside the polygon at the start.",
    "Region.polygon": "Corners as [longitude, latitude] pairs in degrees (longitude first), "
                      "at least three, in order round the area.",
    "Region.source": "Where the line comes from (a map, a date).",
    "Depot.id": "Unique id of the depot (lower case, digits, underscores); events target it.",
    "Depot.side": "The side it supplies.",
    "Depot.at": "The place it stands at.",
    "Depot.kind": "`base` is the rear and always works; `depot` and `railhead` work only while "
                  "a base of their side reaches them through ground it holds.",
    "Depot.source": "Where the depot's existence and position come from.",
    "UnitSpec.id": "Unique id of the unit (lower case, digits, underscores); orders name it.",
    "UnitSpec.name": "Full name, shown in the viewer (its number is drawn by the symbol).",
    "UnitSpec.side": "`UA` or `RU`.",
    "UnitSpec.type": "What kind of unit it is (APP-6 function); sets combat weights and speed.",
    "UnitSpec.echelon": "Its size (APP-6 echelon); drawn above the symbol.",
    "UnitSpec.equipment": "What it holds: personnel and counts of tanks, IFV/APC, guns, MLRS.",
    "UnitSpec.posture": "What it does at the start, until its first order.",
    "UnitSpec.morale": "Will to fight, 0 to 1: a unit breaks (routs) sooner when it is low.",
    "UnitSpec.supply": "Supply level at the start, 0 to 1 (1 = full stocks).",
    "UnitSpec.parent": "The formation it belongs to (free text, shown in its panel).",
    "UnitSpec.source": "Where its position and strength come from; an estimate says so.",
    "UnitSpec.estimate": "True when its strength is an estimate rather than a sourced figure.",
    "Equipment.personnel": "Soldiers.",
    "Equipment.tanks": "Main battle tanks.",
    "Equipment.ifv_apc": "Infantry fighting vehicles and armoured personnel carriers.",
    "Equipment.artillery": "Tube artillery: howitzers and guns.",
    "Equipment.mlrs": "Multiple rocket launchers.",
    "Order.units": "Ids of the units that get the task.",
    "Order.start": "Not before this time (default: the scenario's start); only for a "
                   "decision a source dates itself, which its `source:` says.",
    "Order.task": "What to do: `move` or `attack` to the objective, `withdraw` to it, `hold` "
                  "where they are, `reserve` (hold back, out of the line).",
    "Order.objective": "The place to reach; needed by move, attack and withdraw.",
    "Order.via": "Places to pass on the way, in order (to choose a road or a bridge).",
    "Order.source": "Where the order comes from; inferred orders say so.",
    "Condition.taken": "The order's side holds this place (whoever took it).",
    "Condition.lost": "The enemy holds this place.",
    "Condition.empty": "No enemy troops stand at this place (they left, or were never there).",
    "Condition.arrived": "This unit is on the map (with `at`: at that place).",
    "Condition.done": "The order with this id is done (its objectives held).",
    "Condition.ratio": "The order's own units would attack the enemy at `at` with at least this "
                       "force ratio (the commander's estimate).",
    "Condition.strength": "This unit has less than `below` of its starting personnel.",
    "Condition.supply": "This unit's supply level is below `below`.",
    "Condition.all": "Every one of these conditions holds.",
    "Condition.any": "At least one of these conditions holds.",
    "Grouping.id": "Name of the grouping (lower case, digits, underscores).",
    "Grouping.units": "Ids of its units (all of one side, each in one grouping at most).",
    "Grouping.on_threat": "`withdraw`: its commander pulls it back when its line of supply is "
                          "threatened; `hold`: it stays whatever happens.",
    "Grouping.source": "Why these units belong together, and why they withdraw or hold.",
    "WhatIf.attacker": "The side whose offensive the scenario is about.",
    "WhatIf.key_bridge": "A crossing id: the what-ifs make it indestructible, or destroy it at "
                         "the start.",
    "WhatIf.bridge_intact_expect": "What an indestructible key bridge should do to the "
                                   "expected place's date.",
    "WhatIf.bridge_destroyed_expect": "What the key bridge destroyed at the start should do to "
                                      "the expected place's date.",
    "Event.at": "When it happens.",
    "Event.kind": "What happens (see the allowed values).",
    "Event.target": "For destroy_bridge a crossing id (see `python run.py places` or "
                    "docs/map.md); for strike_depot a depot id of this scenario.",
    "Event.side": "For surprise: the side that has it; for captions: whose news it is.",
    "Event.probability": "Chance that it takes effect (drawn once per run, from the seed).",
    "Event.text": "The caption shown in the viewer's ticker (needed by kind caption).",
    "Event.source": "Where the event comes from.",
    "Observation.date": "The day of the observation; a bare date means by the end of that day.",
    "Observation.place": "A place whose holder was observed (give `holder`).",
    "Observation.holder": "Who held `place` on that date.",
    "Observation.side": "For an area or settlements figure: the side that took them.",
    "Observation.area_km2": "Area taken by `side` since the start, km².",
    "Observation.settlements": "Settlements taken by `side` since the start.",
    "Observation.relation": "How the figure compares with the truth: `=` about, `>=` at least, "
                            "`<=` at most.",
    "Observation.source": "Where the observation comes from.",
    "Observation.note": "A remark shown with the comparison.",
}

#: Meanings of allowed values, "value" -> text (the same value means the same in every field).
VALUE_NOTES: dict[str, str] = {
    "armour": "tank units",
    "mechanised": "mechanised / motor rifle infantry",
    "airborne": "VDV, airborne and air assault",
    "infantry": "light infantry, territorial defence, rifle battalions",
    "national_guard": "Rosgvardia, UA National Guard",
    "artillery": "gun and rocket artillery units",
    "special_forces": "special forces",
    "reconnaissance": "reconnaissance",
    "company": "I",
    "battalion": "II (a Russian BTG is drawn as a battalion)",
    "regiment": "III",
    "brigade": "X",
    "division": "XX",
    "attack": "attacking: takes ground, fights at the attacker's rates",
    "defend": "holding its place (digs in after some hours)",
    "move": "marching, not seeking combat",
    "withdraw": "falling back",
    "rout": "broken, fleeing",
    "reserve": "held back, out of the line",
    "hold": "stay and defend where it is",
    "intact": "standing (the map's state of a bridge)",
    "destroyed": "down: only engineers cross (with a pontoon)",
    "pontoon": "a pontoon stands (slower than a bridge)",
    "indestructible": "standing, and no strike or demolition can destroy it (a what-if)",
    "earlier": "the place changes hands sooner than in the baseline",
    "later": "later than in the baseline (or never)",
    "either": "no direction expected",
    "no_earlier": "no sooner than in the baseline (the same, or later)",
    "no_later": "no later than in the baseline (the same, or sooner)",
    "caption": "a dated text in the viewer's ticker",
    "destroy_bridge": "a bridge (target: crossing id) is destroyed",
    "strike_depot": "a depot (target: depot id) stops working",
    "surprise": "`side` fights with the surprise bonus for `hours`",
    "base": "the rear: supply starts here, never cut",
    "depot": "a forward depot: works while a base reaches it",
    "railhead": "a forward railhead: works while a base reaches it",
    "=": "about equal",
    ">=": "at least",
    "<=": "at most",
}

#: Fields whose values are places (a node id, or a name the loader resolves).
PLACE_FIELDS = {"UnitSpec.at", "Order.objective", "Order.objectives", "Order.via", "Depot.at",
                "Scenario.fallback", "ControlSpec.nodes", "Observation.place", "Condition.taken",
                "Condition.lost", "Condition.empty", "Condition.at", "Grouping.fallback",
                "WhatIf.key_places", "WhatIf.key_town", "WhatIf.bridge_expect_place",
                "WhatIf.withdrawal_place"}

#: Examples (YAML text) for fields the template does not use.
EXAMPLES: dict[str, str] = {
    "Scenario.description": 'description: "The first two days of the Balakliia attack."',
    "Scenario.parameters": "parameters: {capture_ratio: 2.0}",
    "Scenario.fallback": "fallback: {RU: [kupiansk_e, svatove], UA: [chuhuiv]}",
    "ControlSpec.regions": "regions: [{side: RU, polygon: [[37.0, 49.3], [37.4, 49.3], "
                           "[37.4, 49.5]], source: \"ISW map 5 Sep\"}]",
    "Region.side": "side: RU",
    "Region.polygon": "polygon: [[37.0, 49.3], [37.4, 49.3], [37.4, 49.5]]",
    "Region.source": 'source: "ISW map of 5 Sep 2022 [ISW0909]"',
    "SideSpec.source": 'source: "WKC"',
    "UnitSpec.quality": "quality: 1.1",
    "UnitSpec.morale": "morale: 0.6",
    "UnitSpec.supply": "supply: 0.5",
    "UnitSpec.engineers": "engineers: true",
    "UnitSpec.arrives": "arrives: 2022-09-07T12:00",
    "UnitSpec.parent": 'parent: "Air Assault Forces"',
    "Equipment.mlrs": "mlrs: 6",
    "Order.via": "via: [savyntsi]",
    "Event.target": "target: izium_road_bridge",
    "Event.side": "side: UA",
    "Event.hours": "hours: 48",
    "Event.probability": "probability: 0.7",
    "Observation.side": "side: UA",
    "Observation.area_km2": "area_km2: 1000",
    "Observation.settlements": "settlements: 20",
    "Observation.relation": 'relation: ">="',
    "Observation.bound": "bound: true",
    "Observation.until": "until: 2022-09-09",
    "Observation.note": 'note: "figure includes the southern front"',
    "Scenario.crossings": "crossings: {kupiansk_road_bridge: destroyed}",
    "Scenario.whatif": "whatif: {attacker: UA, key_places: [balakliia], key_town: balakliia, "
                       "source: \"KPS\"}",
    "SideSpec.doctrine": "doctrine: {withdraw_decision_hours: 12}",
    "Order.objective": "objective: balakliia",
    "Order.start": "start: 2022-02-27T07:30",
    "Condition.lost": "when: {lost: kupiansk_w}",
    "Condition.empty": "when: {empty: vovchansk}",
    "Condition.arrived": "when: {arrived: ua_14_mech, at: staryi_saltiv}",
    "Condition.done": "when: {done: ua_breach}",
    "Condition.ratio": "when: {ratio: 3.0, at: izium_n}",
    "Condition.strength": "when: {strength: ru_3_mrd, below: 0.5}",
    "Condition.supply": "when: {supply: ru_vdv_izium, below: 0.3}",
    "Condition.all": "when: {all: [{taken: verbivka}, {arrived: ua_92_mech}]}",
    "Condition.any": "when: {any: [{taken: balakliia}, {taken: shevchenkove}]}",
    "Condition.at": "at: izium_n",
    "Condition.below": "below: 0.5",
    "Grouping.fallback": "fallback: [lyman, borova]",
    "WhatIf.attacker": "attacker: UA",
    "WhatIf.key_places": "key_places: [balakliia, kupiansk_w, izium_n]",
    "WhatIf.key_town": "key_town: balakliia",
    "WhatIf.key_bridge": "key_bridge: kupiansk_rail_bridge",
    "WhatIf.bridge_intact_expect": "bridge_intact_expect: either",
    "WhatIf.bridge_destroyed_expect": "bridge_destroyed_expect: earlier",
    "WhatIf.bridge_expect_place": "bridge_expect_place: izium_n",
    "WhatIf.withdrawal_place": "withdrawal_place: izium_n",
    "WhatIf.supporting_attack": "supporting_attack: ua_shevchenkove",
    "WhatIf.source": 'source: "the Izium grouping was supplied by rail through Kupiansk [WKC]"',
}


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
        "type": "object", "additionalProperties": False,
        "description": FIELD_NOTES["Scenario.parameters"],
        "properties": params["properties"]}
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", **raw,
              "title": "Izium-sim scenario", "definitions": defs}
    schema = _walk(schema, _editor_friendly)
    if not annotate:
        return schema
    for name, d in [("Scenario", schema), *schema["definitions"].items()]:
        for field, prop in d.get("properties", {}).items():
            note = FIELD_NOTES.get(f"{name}.{field}")
            if note and "description" not in prop:
                prop["description"] = note
            dated = prop.get("pattern") == DATE_PATTERN or any(
                x.get("pattern") == DATE_PATTERN for x in prop.get("anyOf", []))
            if dated:
                prop["description"] = f"{_sentence(prop.get('description', ''))} A date, or " \
                                      "a date and time: 2022-09-06T03:30.".strip()
            if f"{name}.{field}" in PLACE_FIELDS:
                text = _sentence(prop.get("description", ""))
                prop["description"] = f"{text} A place: node id or name (python run.py " \
                                      "places NAME).".strip()
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
    for key, sym in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"),
                     ("exclusiveMaximum", "<")):
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
        plain = text and text[0] not in "[{&*!|>'\"%@`#-?:,=<" and ": " not in text \
            and " #" not in text and text not in ("true", "false", "null", "yes", "no")
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


def template_examples(data: Any, schema: dict, defs: dict, name: str = "Scenario",
                      out: dict[str, str] | None = None) -> dict[str, str]:
    """"Model.field" -> "field: value" for the first use of each field in a scenario's data."""
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
        values = value if isinstance(value, list) else (
            list(value.values()) if "additionalProperties" in _unwrap(sub, defs) else [value])
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
        "# Scenario file reference", "",
        "Generated from the schema in `sim/scenario.py` by",
        "`python run.py schema --markdown > docs/scenario-reference.md`; a test keeps it "
        "current.",
        "How to write a scenario, step by step: [Write your own scenario](scenarios.md#write-"
        "your-own-scenario). Editors with a YAML plugin (VS Code's *YAML*, or any client of",
        "yaml-language-server) complete and check fields as you type when the file's first "
        "line is",
        "`# yaml-language-server: $schema=../docs/scenario.schema.json` (the path from the "
        "scenario",
        "to `docs/scenario.schema.json`; `python run.py new NAME` writes it for you).", "",
        "Dates are local (Kyiv) time, written `2022-09-06T03:30` (or a bare date, `2022-09-06`,"
        " which",
        "means midnight, or for `history:` the end of that day). A *place* is a node id of the "
        "map",
        "(`izium_s`) or a name or alias the loader resolves (`Izium`, `Ізюм`, `Krasnyi Lyman`); "
        "find",
        "ids with `python run.py places NAME` or `python run.py places --near LAT,LON`. After "
        "editing,",
        "`python run.py validate FILE.yaml` checks the file and the start it describes, and",
        "`python run.py preview FILE.yaml --out start.png` draws that start.", "",
        "Contents: " + " · ".join(f"[{n}](#{_anchor(n)})" for n in ["Scenario", *models]),
        "· allowed values: " + " · ".join(f"[{n}](#{_anchor(n)})" for n in enums), "",
    ]
    for name in ["Scenario", *models]:
        d = schema if name == "Scenario" else defs[name]
        doc = " ".join((Scenario.__doc__ or "").split()) if name == "Scenario" else \
            " ".join(d.get("description", "").split())
        lines += [f"## {name}", ""]
        if name == "Scenario":
            lines += ["The top level of a scenario file.", ""]
        elif doc:
            lines += [doc, ""]
        lines += ["| field | type | default | meaning | example |", "|---|---|---|---|---|"]
        required = set(d.get("required", []))
        for field, prop in d.get("properties", {}).items():
            key = f"{name}.{field}"
            typ = type_text(prop, defs, place=key in PLACE_FIELDS and
                            prop.get("type") == "string")
            if key in PLACE_FIELDS and prop.get("type") != "string":
                typ = typ.replace("text", "place")
            default = "**required**" if field in required else _default_text(prop)
            target = _resolve(prop, defs)
            model_name = next((n for n, x in defs.items() if x is target and
                               x.get("properties")), None)
            example = examples.get(key, "")
            if model_name:  # a block of its own: its fields have their examples
                example = f"see [{model_name}](#{_anchor(model_name)})"
            else:
                example = f"`{example}`" if example else "—"
            lines.append(f"| `{field}` | {typ} | {default} | "
                         f"{_cell(meaning(name, field, prop)) or '—'} | {_cell(example)} |")
        lines.append("")
        noted = [(field, v) for field, prop in d.get("properties", {}).items()
                 for v in _literal_values(prop) if str(v) in VALUE_NOTES]
        for field in dict.fromkeys(f for f, _ in noted):
            values = "; ".join(f"`{v}` {VALUE_NOTES[str(v)]}" for f, v in noted if f == field)
            lines.append(f"Values of `{field}`: {values}.")
            lines.append("")
    for name in enums:
        d = defs[name]
        lines += [f"## {name}", "", " ".join(d.get("description", "").split()) or
                  "Allowed values:", ""]
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
    docs/scenario.schema.json by a path relative to the file (absolute when there is none)."""
    import os

    try:
        rel = Path(os.path.relpath(SCHEMA_FILE, Path(for_file).resolve().parent)).as_posix()
    except ValueError:  # another drive (Windows)
        rel = SCHEMA_FILE.as_uri()
    return f"# yaml-language-server: $schema={rel}"


def new_scenario_text(name: str, title: str | None, out: str | Path) -> str:
    """The template with its id, title and schema line set for a new scenario at `out`."""
    import re

    text = TEMPLATE_FILE.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith("# yaml-language-server:"):
        lines[0] = schema_line(out) + "\n"
    text = "".join(lines)
    text = re.sub(r"(?m)^id: .*$", f"id: {name}", text, count=1)
    if title:
        line = f"title: {json.dumps(title, ensure_ascii=False)}"
        text = re.sub(r"(?m)^title: .*$", lambda _: line, text, count=1)
    return text
