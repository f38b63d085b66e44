"""What a replay page holds: the map and the run as plain JSON-able data.

`map_data(theatre)` is the static map in projected km (sim/map/theatre.py, `project`): every
settlement, its territory cell (the Voronoi cell of the node, clipped to the theatre box: the
same partition as the territory raster the pygame viewer colours, nearest node per cell), the
Voronoi ridges the front line is drawn along, roads by class, railways, rivers, the reservoir,
the state border and the crossings. `run_data(replay)` is one run, from the same `Replay` the
pygame viewer plays (sim/view/replay.py: frames, ticker, timeline marks), packed so that a
September run is some hundred kilobytes:

- control: the first hour's holders, then only the changes (hour, node, holder);
- hold: how each place's holder holds it (sim/view/replay.py, HOLD_LETTERS: a gap, a screen, a
  defence), the first hour's letters, then only the changes (hour, node, level); none for a run
  recorded before the front was kept;
- crossings: the changes of state (hour, crossing, "destroyed" | "pontoon" | "" standing);
- units: for each unit the hours at which anything about it changed, one row each
  (`UNIT_FIELDS`), from the hour it entered the map;
- battles, the event ticker and the timeline's marks as lists.

Every number is rounded to a stated precision and every list is in a fixed order, so the same
run gives the same data, byte for byte (sim/web/page.py writes it with sorted keys).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from sim.map.theatre import BOX, Theatre, project
from sim.runs.record import STATE
from sim.scenario import Posture, Status, Task

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # the ridges' module imports pygame
from sim.view.placement import voronoi_ridges  # noqa: E402
from sim.view.replay import HOLD_LETTERS, NO_HOLD, Mark, Replay  # noqa: E402

#: Decimals of a map coordinate in km (10 m: far below a pixel at any zoom the page allows).
KM_DECIMALS = 2
#: Decimals of a unit's strength, morale and supply (shares, 0-1), and of its progress
#: along a road in km (as frames.json.gz rounds them: sim/runs/record.py).
SHARE_DECIMALS = 4
PROGRESS_DECIMALS = 2
#: A unit's row in `run_data`'s tracks, in this order (node columns hold node indices into
#: `map_data`'s nodes, -1 for none; posture, status and task an index into their lists).
UNIT_FIELDS = ("hour", *STATE, "equipment")
POSTURES = [p.value for p in Posture]
STATUSES = [s.value for s in Status]
TASKS = [t.value for t in Task]


def _km(v: float) -> float:
    return round(float(v), KM_DECIMALS)


def _line_km(lonlat: np.ndarray) -> list[float]:
    """A lon/lat polyline as a flat list of projected km: x0, y0, x1, y1, ..."""
    x, y = project(lonlat[:, 0], lonlat[:, 1])
    return [_km(v) for pair in zip(x.tolist(), y.tolist(), strict=True) for v in pair]


def box_km() -> tuple[float, float, float, float]:
    """The theatre box in projected km: x_min, y_min, x_max, y_max."""
    x0, y0 = project(BOX[0], BOX[1])
    x1, y1 = project(BOX[2], BOX[3])
    return x0, y0, x1, y1


def clip_to_box(poly: list[tuple[float, float]], box) -> list[tuple[float, float]]:
    """A convex polygon clipped to the rectangle `box` (x_min, y_min, x_max, y_max):
    Sutherland-Hodgman, one edge of the box at a time."""
    x0, y0, x1, y1 = box
    edges = (
        (lambda p: p[0] >= x0, lambda a, b: _cut_x(a, b, x0)),
        (lambda p: p[0] <= x1, lambda a, b: _cut_x(a, b, x1)),
        (lambda p: p[1] >= y0, lambda a, b: _cut_y(a, b, y0)),
        (lambda p: p[1] <= y1, lambda a, b: _cut_y(a, b, y1)),
    )
    out = list(poly)
    for inside, cut in edges:
        if not out:
            break
        pts, out = out, []
        for i, b in enumerate(pts):
            a = pts[i - 1]
            if inside(b):
                if not inside(a):
                    out.append(cut(a, b))
                out.append(b)
            elif inside(a):
                out.append(cut(a, b))
    return out


def _cut_x(a, b, x):
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _cut_y(a, b, y):
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def territory_cells(theatre: Theatre) -> list[list[float]]:
    """Each node's territory (in theatre.node_ids order) as a flat list of km, x0, y0, ...:
    its Voronoi cell (the points nearer to it than to any other node, as the territory
    raster gives each cell to its nearest node) clipped to the theatre box."""
    from scipy.spatial import Voronoi

    g = theatre.graph
    xy = np.array([[g.nodes[n]["x_km"], g.nodes[n]["y_km"]] for n in theatre.node_ids])
    far = 5000.0  # four points far outside close every real node's cell
    vor = Voronoi(np.vstack([xy, [[-far, -far], [far, -far], [far, far], [-far, far]]]))
    box = box_km()
    cells = []
    for i in range(len(xy)):
        region = vor.regions[vor.point_region[i]]
        pts = [tuple(vor.vertices[v]) for v in region if v >= 0]
        # the vertices of a Voronoi region come in order round it; sort by angle to be sure
        angle = np.arctan2([p[1] - xy[i][1] for p in pts], [p[0] - xy[i][0] for p in pts])
        pts = [pts[j] for j in np.argsort(angle, kind="stable")]
        cells.append([_km(v) for p in clip_to_box(pts, box) for v in p])
    return cells


def map_data(theatre: Theatre) -> dict[str, Any]:
    """The static map (see the module docstring), in projected km."""
    g = theatre.graph
    ids = theatre.node_ids
    index = {n: i for i, n in enumerate(ids)}
    roads: dict[str, list[int]] = {c: [] for c in ("local", "secondary", "main", "highway")}
    rail: list[int] = []
    for u, v, d in sorted(g.edges(data=True), key=lambda e: (index[e[0]], index[e[1]])):
        a, b = sorted((index[u], index[v]))
        if d["road_class"] in roads:
            roads[d["road_class"]] += [a, b]
        if d["rail"]:
            rail += [a, b]
    crossings = [
        {"id": c.id, "name": c.name, "kind": c.kind, "u": index[c.u], "v": index[c.v]}
        for c in sorted(theatre.crossings.values(), key=lambda c: c.id)
    ]
    return {
        "box": [_km(v) for v in box_km()],
        "nodes": {
            "id": list(ids),
            "name": [g.nodes[n]["name"] for n in ids],
            "x": [_km(g.nodes[n]["x_km"]) for n in ids],
            "y": [_km(g.nodes[n]["y_km"]) for n in ids],
            "population": [int(g.nodes[n]["population"]) for n in ids],
            "terrain": [g.nodes[n]["terrain"] for n in ids],
            "russia": [int(g.nodes[n]["country"] == "RU") for n in ids],
        },
        "cells": territory_cells(theatre),
        "ridges": [
            [i, j, _km(a[0]), _km(a[1]), _km(b[0]), _km(b[1])]
            for i, j, a, b in sorted(voronoi_ridges(theatre))
        ],
        "roads": roads,
        "rail": rail,
        "rivers": [
            _line_km(line) for name in sorted(theatre.rivers) for line in theatre.rivers[name]
        ],
        "water": [_line_km(theatre.water[name]) for name in sorted(theatre.water)],
        "border": [_line_km(line) for line in theatre.border],
        "crossings": crossings,
    }


def _time(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat(timespec="minutes")


def _mark(m: Mark, index: dict[str, int]) -> dict[str, Any]:
    return {
        "date": _time(m.date),
        "until": _time(m.until),
        "kind": m.kind,
        "place": index.get(m.place, -1) if m.place else -1,
        "name": m.name,
        "holder": m.holder,
        "sim_date": _time(m.sim_date),
        "error_days": None if m.error_days is None else round(m.error_days, 2),
        "ok": m.ok,
    }


def _unit_row(k: int, snap: dict[str, Any], index: dict[str, int]) -> list[Any]:
    def node(n: str | None) -> int:
        return index.get(n, -1) if n else -1

    return [
        k,
        node(snap["node"]),
        node(snap.get("next")),
        round(float(snap.get("progress_km") or 0.0), PROGRESS_DECIMALS),
        POSTURES.index(snap["posture"]),
        # a status this code does not know (a foreign file) is drawn as a unit gone
        STATUSES.index(snap["status"] if snap["status"] in STATUSES else Status.DISBANDED),
        round(float(snap["strength"]), SHARE_DECIMALS),
        round(float(snap["morale"]), SHARE_DECIMALS),
        round(float(snap["supply"]), SHARE_DECIMALS),
        TASKS.index(snap["task"]) if snap.get("task") in TASKS else -1,
        node(snap.get("objective")),
        int(bool(snap.get("in_combat"))),
        [int(x) for x in snap["equipment"]],
    ]


def _hold(levels: np.ndarray) -> tuple[str | None, list[list[int]]]:
    """(letters of hour 0, [hour, node, level] changes) of `Replay.hold`; (None, []) if a
    frame does not record it (a run recorded before the front was kept: nothing is drawn)."""
    if (levels == NO_HOLD).any():
        return None, []
    first = "".join(HOLD_LETTERS[c] for c in levels[0].tolist())
    changes = [
        [k, int(i), int(levels[k, i])]
        for k in range(1, len(levels))
        for i in np.flatnonzero(levels[k] != levels[k - 1]).tolist()
    ]
    return first, changes


def run_data(replay: Replay) -> dict[str, Any]:
    """One run, packed (see the module docstring)."""
    th = replay.theatre
    ids = th.node_ids
    index = {n: i for i, n in enumerate(ids)}
    g = th.graph
    # edge lengths for units part way along a road (positions as sim/view/placement.py)
    held = replay.ua_held
    control0 = "".join("U" if h else "R" for h in held[0])
    control = [
        [k, int(i), int(held[k, i])]
        for k in range(1, len(held))
        for i in np.flatnonzero(held[k] != held[k - 1]).tolist()
    ]
    hold0, hold = _hold(replay.hold)
    crossing_ids = sorted(th.crossings)
    cindex = {c: i for i, c in enumerate(crossing_ids)}
    crossings: list[list[Any]] = []
    before: dict[str, str] = {}
    for k in range(len(replay.frames)):
        now = {c: s for c, s in replay.crossings_at(k).items() if c in cindex}
        for c in sorted(set(before) | set(now)):
            if before.get(c, "") != now.get(c, ""):
                crossings.append([k, cindex[c], now.get(c, "")])
        before = now
    order = list(replay.units)
    uindex = {u: i for i, u in enumerate(order)}
    tracks: list[list[list[Any]]] = [[] for _ in order]
    last: dict[str, list[Any]] = {}
    for k, f in enumerate(replay.frames):
        for snap in f["units"]:
            row = _unit_row(k, snap, index)
            prev = last.get(snap["id"])
            if prev is None or prev[1:] != row[1:]:
                tracks[uindex[snap["id"]]].append(row)
                last[snap["id"]] = row
    lengths: dict[str, float] = {}
    for track in tracks:
        for row in track:
            if row[2] >= 0:
                a, b = ids[row[1]], ids[row[2]]
                if g.has_edge(a, b):
                    lengths[f"{row[1]}-{row[2]}"] = round(g.edges[a, b]["length_km"], 3)
    units = []
    for uid in order:
        u = replay.units[uid]
        units.append(
            {
                "id": uid,
                "name": u["name"],
                "side": u["side"],
                "type": u["type"],
                "echelon": u["echelon"],
                "parent": u.get("parent") or "",
                "initial": [int(x) for x in u.get("initial", [])],
                "source": u.get("source") or "",
            }
        )
    battles = sorted(
        [replay.hour_of(datetime.fromisoformat(b["time"])), index[b["node_id"]], float(b["ratio"])]
        for b in replay.battles
        if b["node_id"] in index
    )
    ticker = [
        {
            "hour": i.hour,
            "time": _time(i.time),
            "kind": i.kind,
            "side": i.side,
            "text": i.text,
            "history": i.history,
        }
        for i in replay.ticker
    ]
    return {
        "title": replay.title,
        "scenario": replay.scenario_id,
        "seed": replay.seed,
        "start": _time(replay.start),
        "hours": replay.hours,
        "side_names": dict(sorted(replay.side_names.items())),
        "control0": control0,
        "control": control,
        "hold0": hold0,
        "hold": hold,
        "crossing_ids": crossing_ids,
        "crossings": crossings,
        "units": units,
        "tracks": tracks,
        "edge_km": dict(sorted(lengths.items())),
        "battles": battles,
        "ticker": ticker,
        "marks": [_mark(m, index) for m in replay.marks],
        "has_comparison": replay.has_comparison,
        "postures": POSTURES,
        "statuses": STATUSES,
        "tasks": TASKS,
    }


@dataclass(frozen=True)
class WhatIf:
    """A what-if shown with its base run: the branch's replay, when it branches, what was
    changed and asked, and what the model answers (the differences between the futures,
    sim/whatif/futures.py; and, for a prepared lesson, docs/lessons.md's answer)."""

    title: str
    hour: int
    branch: Replay
    changes: list[str]
    differences: list[str]
    #: (hour, the differences as far as that hour), from the branch hour, one entry per hour
    #: at which they change (the sidebar shows those of the hour on screen)
    differences_by_hour: list[tuple[int, list[str]]] = field(default_factory=list)
    question: str = ""
    context: str = ""
    source: str = ""
    answer: str = ""
    file: str = ""
    scores: dict[str, float] = field(default_factory=dict)


def page_data(replay: Replay, whatif: WhatIf | None = None) -> dict[str, Any]:
    """Everything a page shows: the map, the run, and a what-if with its branch's run."""
    data: dict[str, Any] = {
        "format": 1,
        "map": map_data(replay.theatre),
        "run": run_data(replay),
        "whatif": None,
    }
    if whatif is not None:
        data["whatif"] = {
            "title": whatif.title,
            "hour": whatif.hour,
            "changes": whatif.changes,
            "differences": whatif.differences,
            "differences_by_hour": [[k, lines] for k, lines in whatif.differences_by_hour],
            "question": whatif.question,
            "context": whatif.context,
            "source": whatif.source,
            "answer": whatif.answer,
            "file": whatif.file,
            "scores": {k: round(v, 1) for k, v in sorted(whatif.scores.items())},
            "run": run_data(whatif.branch),
        }
    return data
