"""The theatre of a scenario: the base map (sim/map/theatre.py) with the places the scenario adds
(``places:``, `PlaceSpec`) and the river crossings it adds (``new_crossings:``, `CrossingSite`).
Every command that runs, draws or checks a scenario takes its map from `theatre_for`; a scenario
that adds neither gets the base map itself (the same object).

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

An added crossing (a ford, a bridge, a pontoon) is built as if it were an entry of
``crossings.yaml`` on the local road between two places across its river:

* **Between two places** (``between:``): those two, which must lie on either bank of one river
  (their straight line crosses it) and at most `LOCAL_MAX_KM` apart.
* **At a position** (``lat:``, ``lon:``), which must lie within `ON_RIVER_KM` of its river (by
  default the nearest): the two places within `LOCAL_MAX_KM` of the site whose straight line
  crosses that river, and no other, within `SITE_KM` of the site, with the shortest way
  through the site (the distance from one to the site and on to the other).

Either way the pair must not already be joined across the river by a named crossing (a bridge
of the map: set its state under ``crossings:`` instead). The two places get a local road if
the local mesh does not join them, and the crossing replaces the edge's crossing of kind
``none``.

The build is kept on disk like the base map's (sim/disk_cache.py), named by the base map's key
and what the scenario adds, and in this process (`CACHE_SIZE` theatres).
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
    normalised,
    project,
    read_map_inputs,
)
from sim.scenario.additions import CrossingSite, PlaceSpec

#: An added place this close (km, projected) to the straight segment of a numbered road between
#: two places is put on that road. Villages here lie 5-15 km apart along a road, and the chords
#: of the map's roads stay within about 2.5 km of the real line (the railway towns are within
#: 2.5 km of the Natural Earth railway, docs/map.md): a place closer than 2 km to a chord lies
#: on that road, not beside it.
SPLIT_KM = 2.0
#: A crossing site given by position lies this close (km, projected) to its river: the map's
#: rivers are simplified to 0.25 km and follow the real banks within about 1 km (docs/map.md),
#: so a site further out is a misplaced position, or a site on another river.
ON_RIVER_KM = 2.0
#: The road a site given by position is put on passes this close (km) to the site: villages on
#: either bank lie a few km apart, so a straight line between them crosses the river within
#: about half that of where the road really crosses it.
SITE_KM = 3.0
#: Theatres with added places kept in this process (a sweep or a test suite reads the same few).
CACHE_SIZE = 4
#: Builds with added places kept on disk (about 0.9 MB each).
CACHE_KEEP = 8


class AddedPlaceError(ValueError):
    """An added place the map cannot take (no road reaches it), naming the place by id."""

    def __init__(self, place: str, message: str):
        super().__init__(f"{place}: {message}")
        self.place, self.message = place, message


class AddedCrossingError(ValueError):
    """An added crossing the map cannot take (no road crosses its river there), naming the
    crossing by id and the field at fault (`field`: its location in the entry)."""

    def __init__(self, crossing: str, field: tuple, message: str):
        super().__init__(f"{crossing}: {'.'.join(map(str, field))}: {message}")
        self.crossing, self.field, self.message = crossing, field, message


def places_of(what: Any) -> list[PlaceSpec]:
    """The added places of a scenario, or of a list of places (`PlaceSpec` or mappings)."""
    if what is None:
        return []
    items = getattr(what, "places", what)
    return [p if isinstance(p, PlaceSpec) else PlaceSpec.model_validate(p) for p in items]


def crossings_of(what: Any) -> list[CrossingSite]:
    """The added crossings of a scenario (none for a list of places)."""
    return list(getattr(what, "new_crossings", None) or [])


def theatre_for(what: Any = None, base: Theatre | None = None) -> Theatre:
    """The theatre of a scenario: `base` (default: the map, `build_theatre()`) with the
    scenario's places (``places:``) and crossings (``new_crossings:``) added; `base` itself
    when it adds neither. `what` is a scenario or a list of places. Raises AddedPlaceError for
    a place no road can reach, AddedCrossingError for a crossing no road can take, and
    ValueError for a base map that was not built from map files (a test's toy map)."""
    base = base if base is not None else build_theatre()
    places, crossings = places_of(what), crossings_of(what)
    if not places and not crossings:
        return base
    if base.map_dir is None:
        raise ValueError("this map was not built from map files: it cannot take added places")
    text = json.dumps(
        {
            "places": [p.model_dump(mode="json") for p in places],
            "crossings": [c.model_dump(mode="json") for c in crossings],
        },
        sort_keys=True,
    )
    return _extended(str(base.map_dir), base.key, text)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _extended(map_dir: str, base_key: str, added_json: str) -> Theatre:
    from pathlib import Path

    added = json.loads(added_json)
    places = [PlaceSpec.model_validate(p) for p in added["places"]]
    crossings = [CrossingSite.model_validate(c) for c in added["crossings"]]
    if not base_key or disk_cache.cache_dir() is None:
        theatre = build_with_places(read_map_inputs(Path(map_dir)), places, crossings)
    else:
        key = disk_cache.key_of(b"added places", base_key.encode(), added_json.encode())

        theatre = cached_theatre(
            "theatre-places",
            key,
            lambda: build_with_places(read_map_inputs(Path(map_dir)), places, crossings),
            CACHE_KEEP,
        )
    theatre.map_dir = Path(map_dir)
    return theatre


def build_with_places(
    inputs: MapInputs,
    places: Sequence[PlaceSpec],
    crossings: Sequence[CrossingSite] = (),
) -> Theatre:
    """The theatre of `inputs` with `places` and `crossings` added (the module docstring).
    Raises AddedPlaceError for a place that no road reaches (inside the reservoir, or 25 km
    from any other place), AddedCrossingError for a crossing no road can take."""
    rows = [_row(p, inputs.places) for p in places]
    inputs = replace(
        inputs,
        places=[*inputs.places, *rows],
        roads=[dict(r, via=list(r["via"])) for r in inputs.roads],
        rails=[dict(r, via=list(r["via"])) for r in inputs.rails],
        crossings=[dict(c) for c in inputs.crossings],
    )
    split = _put_on_roads(inputs, [r["id"] for r in rows])
    for c in crossings:
        row = site_row(c, inputs, split)
        inputs.crossings.append(row)
        inputs.links.append((row["u"], row["v"]))
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
    for c in crossings:
        u, v = theatre.crossings[c.id].u, theatre.crossings[c.id].v
        g.edges[u, v]["added"] = True
    return theatre


# ------------------------------------------------------------------------------ added crossings
def _point_segments_km(p: np.ndarray, line: np.ndarray) -> float:
    """Distance (km) from the point p to the polyline `line` (n x 2, km)."""
    a, b = line[:-1], line[1:]
    d = b - a
    t = np.clip(
        np.einsum("ij,ij->i", p - a, d) / np.maximum(np.einsum("ij,ij->i", d, d), 1e-12), 0, 1
    )
    foot = a + t[:, None] * d
    return float(np.hypot(*(p - foot).T).min())


def river_distances(inputs: MapInputs, p: np.ndarray) -> dict[str, float]:
    """River (a reservoir counted as its river, as the build does) -> distance (km) from the
    point p (km) to its nearest line or shore."""
    from sim.map.theatre import RESERVOIR_RIVER

    out = {
        name: min(_point_segments_km(p, line) for line in lines)
        for name, lines in inputs.rivers_xy.items()
    }
    for wname, poly in inputs.water_xy.items():
        river = RESERVOIR_RIVER.get(wname, wname)
        shore = _point_segments_km(p, np.vstack([poly, poly[:1]]))
        out[river] = min(out.get(river, shore), shore)
    return out


def _names_of(inputs: MapInputs) -> dict[str, list[str]]:
    """Normalised name -> node ids, as `Theatre.resolve` reads them."""
    out: dict[str, list[str]] = {}
    for r in inputs.places:
        for name in (r["id"], r["name"], r["name_uk"], *r["aliases"]):
            ids = out.setdefault(normalised(name), [])
            if r["id"] not in ids:
                ids.append(r["id"])
    return out


def site_row(c: CrossingSite, inputs: MapInputs, split: set[frozenset[str]]) -> dict:
    """The crossings.yaml entry of an added crossing: on the pair of places the module
    docstring says (`split`: pairs a numbered road no longer joins directly). Raises
    AddedCrossingError."""
    at = {r["id"]: np.array(project(r["lon"], r["lat"])) for r in inputs.places}
    named = {frozenset((x["u"], x["v"])): x for x in inputs.crossings}
    if c.between:
        names = _names_of(inputs)
        pair = []
        for j, name in enumerate(c.between):
            ids = names.get(normalised(name), [])
            if len(ids) != 1:
                what = "names several places" if ids else "is no place on the map"
                raise AddedCrossingError(c.id, ("between", j), f"{name!r} {what}")
            pair.append(ids[0])
        u, v = pair
        crossed = inputs.rivers_crossed(at[u], at[v])
        problem = _pair_problem(c, at[u], at[v], crossed)
        if problem is None and frozenset((u, v)) in split:
            problem = "a numbered road between them now runs through a place the scenario adds"
        if problem is not None:
            raise AddedCrossingError(c.id, ("between",), problem)
        river = crossed[0]
    else:
        assert c.lat is not None and c.lon is not None  # the schema: lat and lon, or between
        p = np.array(project(c.lon, c.lat))
        near = river_distances(inputs, p)
        river = c.river or min(near, key=lambda r: (near[r], r))
        if near.get(river, float("inf")) > ON_RIVER_KM:
            raise AddedCrossingError(
                c.id,
                ("lat",),
                f"({c.lat}, {c.lon}) lies {near.get(river, float('inf')):.1f} km from the "
                f"{river}: a crossing site lies on its river (within {ON_RIVER_KM:g} km of it "
                "on the map)",
            )
        u, v = _site_pair(c, inputs, at, p, river, set(named) | split)
    if frozenset((u, v)) in named:
        old = named[frozenset((u, v))]
        raise AddedCrossingError(
            c.id,
            ("between",) if c.between else ("lat",),
            f"the map already crosses the {old['river']} there: {old['name']} [{old['id']}] "
            "(set its state under crossings: instead)",
        )
    return {
        "id": c.id,
        "name": c.name or f"{c.kind.capitalize()} over the {river} (added by the scenario)",
        "river": river,
        "kind": c.kind,
        "u": u,
        "v": v,
        "source": c.source,
    }


def _pair_problem(c: CrossingSite, a: np.ndarray, b: np.ndarray, crossed: list[str]) -> str | None:
    """What is wrong with a crossing `between` two places at a and b (km) whose line crosses
    the rivers `crossed`; None when nothing is."""
    km = float(np.hypot(*(a - b)))
    if km == 0:
        return "the two are one place"
    if not crossed:
        return "they lie on the same bank (the line between them crosses no river)"
    if len(crossed) > 1:
        return f"the line between them crosses {' and '.join(crossed)}: a crossing crosses one"
    if c.river is not None and c.river != crossed[0]:
        return f"they lie on either bank of the {crossed[0]}, not the {c.river}"
    if km > LOCAL_MAX_KM:
        return (
            f"they are {km:.0f} km apart; a crossing joins places at most {LOCAL_MAX_KM:g} km apart"
        )
    return None


def _site_pair(
    c: CrossingSite,
    inputs: MapInputs,
    at: dict[str, np.ndarray],
    p: np.ndarray,
    river: str,
    taken: set[frozenset[str]],
) -> tuple[str, str]:
    """The two places a crossing given by position joins (the module docstring); `taken`:
    pairs that may not have it."""
    near = sorted(
        (n for n, xy in at.items() if float(np.hypot(*(xy - p))) <= LOCAL_MAX_KM),
        key=lambda n: (float(np.hypot(*(at[n] - p))), n),
    )
    best: tuple[float, str, str] | None = None
    for i, u in enumerate(near):
        for v in near[i + 1 :]:
            if frozenset((u, v)) in taken:
                continue
            way = float(np.hypot(*(at[u] - p)) + np.hypot(*(at[v] - p)))
            if best is not None and way >= best[0]:
                continue
            if float(np.hypot(*(at[u] - at[v]))) > LOCAL_MAX_KM:
                continue
            if _segment(p, at[u], at[v])[0] > SITE_KM:
                continue
            if inputs.rivers_crossed(at[u], at[v]) != [river]:
                continue
            a, b = sorted((u, v))
            best = (way, a, b)
    if best is None:
        raise AddedCrossingError(
            c.id,
            ("lat",),
            f"no two places on either bank of the {river}, within {LOCAL_MAX_KM:g} km of "
            f"({c.lat}, {c.lon}), have a line across it passing within {SITE_KM:g} km of the "
            "site (give the site as between: [PLACE, PLACE])",
        )
    return best[1], best[2]


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
