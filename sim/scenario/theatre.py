"""The theatre of a scenario: the base map (sim/map/theatre.py) with the places the scenario adds
(``places:``, `PlaceSpec`). Every command that runs, draws or checks a scenario takes its map from
`theatre_for`; a scenario without places gets the base map itself (the same object).

An added place is built as if it were a row of ``places.csv`` (docs/map.md, "Places a scenario
adds"):

* **On the road it lies on.** If the place lies within `SPLIT_KM` of the straight segment of a
  numbered road (``roads.yaml``) between two places, the road is routed through it: it is put
  into the road's ``via`` list (and the railway's, where a railway shares the edge) between the
  two, so that both new edges get the road's class and winding factor and their lengths from
  the geometry, as the base build gives every edge. The nearest such road wins. A road with a
  bridge is split only where one of the two new edges crosses the bridge's river and the other
  crosses nothing (the bridge moves to that edge); a road without one only where neither new
  edge crosses a river. The two places are then not also joined by a local road.
* **Otherwise by local roads**, as every place is: the local-road mesh (a Delaunay triangulation
  pruned to `LOCAL_MAX_KM`) is made again for the new set of places, so the new place is
  joined to its natural neighbours, and local roads nearby are re-drawn around it. A local edge
  that crosses a river is a crossing of kind ``none`` (no bridge: engineers only), as on the
  base map; none is built across the reservoir.
* **Territory** (the Voronoi raster) is recomputed for the new set of places.

The build is kept on disk like the base map's (sim/disk_cache.py), named by the base map's key
and the added places, and in this process (`CACHE_SIZE` theatres).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from sim import disk_cache
from sim.map.theatre import (
    LOCAL_MAX_KM,
    MapInputs,
    Theatre,
    assemble,
    build_theatre,
    cached_theatre,
    project,
    read_map_inputs,
)
from sim.scenario.additions import PlaceSpec

#: An added place this close (km, projected) to the straight segment of a numbered road between
#: two places is put on that road. Villages here lie 5-15 km apart along a road, and the chords
#: of the map's roads stay within about 2.5 km of the real line (the railway towns are within
#: 2.5 km of the Natural Earth railway, docs/map.md): a place closer than 2 km to a chord lies
#: on that road, not beside it.
SPLIT_KM = 2.0
#: Theatres with added places kept in this process (a sweep or a test suite reads the same few).
CACHE_SIZE = 4
#: Builds with added places kept on disk (about 0.9 MB each).
CACHE_KEEP = 8


class AddedPlaceError(ValueError):
    """An added place the map cannot take (no road reaches it), naming the place by id."""

    def __init__(self, place: str, message: str):
        super().__init__(f"{place}: {message}")
        self.place, self.message = place, message


def places_of(what: Any) -> list[PlaceSpec]:
    """The added places of a scenario, or of a list of places (`PlaceSpec` or mappings)."""
    if what is None:
        return []
    items = getattr(what, "places", what)
    return [p if isinstance(p, PlaceSpec) else PlaceSpec.model_validate(p) for p in items]


def theatre_for(what: Any = None, base: Theatre | None = None) -> Theatre:
    """The theatre of a scenario: `base` (default: the map, `build_theatre()`) with the
    scenario's places (``places:``) added; `base` itself when it adds none. `what` is a
    scenario or a list of places. Raises AddedPlaceError for a place no road can reach, and
    ValueError for a base map that was not built from map files (a test's toy map)."""
    base = base if base is not None else build_theatre()
    places = places_of(what)
    if not places:
        return base
    if base.map_dir is None:
        raise ValueError("this map was not built from map files: it cannot take added places")
    text = json.dumps([p.model_dump(mode="json") for p in places], sort_keys=True)
    return _extended(str(base.map_dir), base.key, text)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _extended(map_dir: str, base_key: str, places_json: str) -> Theatre:
    from pathlib import Path

    places = [PlaceSpec.model_validate(p) for p in json.loads(places_json)]
    if not base_key or disk_cache.cache_dir() is None:
        theatre = build_with_places(read_map_inputs(Path(map_dir)), places)
    else:
        key = disk_cache.key_of(b"added places", base_key.encode(), places_json.encode())

        theatre = cached_theatre(
            "theatre-places",
            key,
            lambda: build_with_places(read_map_inputs(Path(map_dir)), places),
            CACHE_KEEP,
        )
    theatre.map_dir = Path(map_dir)
    return theatre


def build_with_places(inputs: MapInputs, places: Sequence[PlaceSpec]) -> Theatre:
    """The theatre of `inputs` with `places` added (the module docstring). Raises
    AddedPlaceError for a place that no road reaches (inside the reservoir, or 25 km from
    any other place)."""
    rows = [_row(p, inputs.places) for p in places]
    inputs = replace(
        inputs,
        places=[*inputs.places, *rows],
        roads=[dict(r, via=list(r["via"])) for r in inputs.roads],
        rails=[dict(r, via=list(r["via"])) for r in inputs.rails],
        crossings=[dict(c) for c in inputs.crossings],
    )
    split = _put_on_roads(inputs, [r["id"] for r in rows])
    theatre = assemble(inputs, keep_apart=frozenset(split))
    g = theatre.graph
    for p in places:
        if g.degree(p.id) == 0:
            raise AddedPlaceError(
                p.id,
                f"no road reaches it: no other place lies within {LOCAL_MAX_KM:g} km across "
                "land (is it in the reservoir, or off its true position?)",
            )
        g.nodes[p.id]["added"] = True
        g.nodes[p.id]["joined"] = joined(theatre, p.id)
    return theatre


def _row(p: PlaceSpec, base: list[dict]) -> dict:
    """A places.csv row for an added place; its country by default that of the nearest place."""
    country = p.country
    if country is None:
        nearest = min(base, key=lambda r: (r["lat"] - p.lat) ** 2 + (r["lon"] - p.lon) ** 2)
        country = nearest["country"]
    return {
        "id": p.id,
        "name": p.name,
        "name_uk": p.name_uk or p.name,
        "lat": p.lat,
        "lon": p.lon,
        "population": p.population or 0,
        "terrain": p.terrain,
        "country": country,
        "aliases": list(p.aliases),
        "source": p.source,
    }


def _segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(distance from p to the segment a-b, position of its foot along it, 0 at a, 1 at b)."""
    d = b - a
    t = float(np.dot(p - a, d) / max(float(np.dot(d, d)), 1e-12))
    foot = a + min(1.0, max(0.0, t)) * d
    return float(np.hypot(*(p - foot))), t


def _road_pairs(inputs: MapInputs) -> list[tuple[str, str]]:
    """The numbered roads' consecutive places, each pair once, in the files' order."""
    out: dict[frozenset, tuple[str, str]] = {}
    for r in inputs.roads:
        for u, v in zip(r["via"][:-1], r["via"][1:], strict=True):
            out.setdefault(frozenset((u, v)), (u, v))
    return list(out.values())


def _put_on_roads(inputs: MapInputs, added: Iterable[str]) -> set[frozenset[str]]:
    """Route the numbered roads (and railways on the same edge) through each added place
    that lies on one (`SPLIT_KM`), in place in `inputs`; returns the pairs split."""
    at = {r["id"]: np.array(project(r["lon"], r["lat"])) for r in inputs.places}
    named = {frozenset((c["u"], c["v"])): c for c in inputs.crossings}
    pairs = _road_pairs(inputs)
    split: set[frozenset[str]] = set()
    for place in added:
        p = at[place]
        best: tuple[float, int, str, str] | None = None
        for k, (u, v) in enumerate(pairs):
            dist, t = _segment(p, at[u], at[v])
            if not 0.0 < t < 1.0 or dist > SPLIT_KM or (best is not None and dist >= best[0]):
                continue
            first, second = inputs.rivers_crossed(at[u], p), inputs.rivers_crossed(p, at[v])
            bridge = named.get(frozenset((u, v)))
            if bridge is None:
                fits = not first and not second
            else:
                fits = sorted([first, second]) == [[], [bridge["river"]]]
            if fits:
                best = (dist, k, u, v)
        if best is None:
            continue
        _, k, u, v = best
        for line in (*inputs.roads, *inputs.rails):
            via = line["via"]
            for i in range(len(via) - 1, 0, -1):
                if {via[i - 1], via[i]} == {u, v}:
                    via.insert(i, place)
        bridge = named.pop(frozenset((u, v)), None)
        if bridge is not None:  # the bridge stays on the new edge that crosses its river
            end = u if inputs.rivers_crossed(at[u], p) else v
            bridge["u"], bridge["v"] = end, place
            named[frozenset((end, place))] = bridge
        pairs[k : k + 1] = [(u, place), (place, v)]
        split.add(frozenset((u, v)))
    return split


def joined(theatre: Theatre, node: str) -> str:
    """How a place is joined to the map, in words: the roads through it, else its local roads."""
    g = theatre.graph
    name = {n: g.nodes[n]["name"] for n in g.neighbors(node)}
    roads = sorted({d["road"] for _, _, d in g.edges(node, data=True) if d.get("road")})
    if roads:
        ends = [n for n in g.neighbors(node) if g.edges[node, n].get("road")]
        return f"on the road {'/'.join(roads)} between " + " and ".join(name[n] for n in ends)
    near = sorted(g.neighbors(node), key=lambda n: g.edges[node, n]["length_km"])
    return "joined by local roads to " + ", ".join(name[n] for n in near)
