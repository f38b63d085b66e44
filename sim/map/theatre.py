"""The map: a networkx graph of the real geography of the Kharkiv-Izium-Sloviansk area.

`build_theatre()` turns the curated data in ``assets/map`` into a `Theatre`:

* nodes: settlements (``places.csv``; GeoNames, CC BY 4.0, plus hand-added villages);
* edges: numbered roads (``roads.yaml``), railway lines (``rail.yaml``) and a local-road mesh
  (a Delaunay triangulation of the settlements pruned to `LOCAL_MAX_KM`);
* rivers (``rivers.geojson``: Siverskyi Donets, Oskil), the Oskil reservoir (``water.geojson``)
  and the state border (``border.geojson``);
* crossings: every edge whose straight segment crosses a river is a crossing. On numbered roads
  and rail it must be a named bridge listed in ``crossings.yaml`` (the build fails otherwise);
  on local edges it is a listed ford or a crossing of kind ``"none"`` (impassable until
  engineers build a pontoon). Local edges across the reservoir are dropped;
* territory: each node owns the raster cells nearest to it, with their true area in km².

The build is a pure function of the files in ``map_dir``; it never reads ``../shared``.
See docs/map.md for the sources and for every constant below.
"""

from __future__ import annotations

import csv
import difflib
import functools
import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import networkx as nx
import numpy as np
from ruamel.yaml import YAML
from scipy.spatial import Delaunay, cKDTree

from sim import disk_cache
from sim.map.entry import theatre_entry, theatre_from_entry
from sim.map.geometry import point_in_polygon, segments_cross

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius
BOX = (35.8, 48.5, 38.6, 50.7)  # lon_min, lat_min, lon_max, lat_max (theatre extent)
LON0, LAT0 = 37.2, 49.6  # projection centre (middle of the box)

KM_PER_DEG = EARTH_RADIUS_KM * math.pi / 180.0  # km per degree of latitude (~111.2)
KM_PER_DEG_LON = KM_PER_DEG * math.cos(math.radians(LAT0))  # km per degree of longitude at LAT0

CELL_DEG = 0.01  # territory raster step in degrees (~0.7 km x 1.1 km cells)
# Longest local-road edge kept from the Delaunay mesh (great-circle km): villages here lie
# 5-15 km apart, so 25 km keeps every real neighbour link while dropping the long triangle
# edges across empty ground and along the box's rim that no single local road follows.
LOCAL_MAX_KM = 25.0

# Winding factors: edge length_km = great-circle distance x factor, because a road between two
# nodes is longer than the straight chord. The highway factor is measured on the M03: between
# the kilometre posts at Chuhuiv (538+800) and Izium (626+260) the road is 87.5 km, while the
# chords through this map's M03 nodes sum to 82.6 km (ratio 1.06). The other road factors are
# stated estimates that grow as roads get smaller (more bends, village streets, detours round
# ravines and ponds), checked against published road distances in tests/test_theatre.py.
WINDING = {
    "highway": 1.06,  # M roads: engineered trunk roads (measured, see above)
    "main": 1.15,  # national / regional (H, P) roads
    "secondary": 1.2,  # territorial (T) roads and connectors
    "local": 1.3,  # local-road mesh
    "rail": 1.1,  # rail-only edges: railways curve less than roads
}
ROAD_CLASS_RANK = {"highway": 0, "main": 1, "secondary": 2, "local": 3}
CROSSING_KINDS = ("bridge", "rail_bridge", "ford", "none")
#: The kinds a named crossing may have: crossings.yaml's, and a pontoon built before the start,
#: which a scenario may add (sim/scenario/theatre.py)
NAMED_KINDS = ("bridge", "rail_bridge", "ford", "pontoon")
RESERVOIR_RIVER = {"Oskil Reservoir": "Oskil"}  # water body -> the river it belongs to

_DEFAULT_MAP_DIR = Path(__file__).resolve().parents[2] / "assets" / "map"


@dataclass(frozen=True)
class Crossing:
    """A place where an edge crosses a river."""

    id: str
    name: str
    river: str  # "Siverskyi Donets" | "Oskil"
    kind: str  # "bridge" | "rail_bridge" | "ford" | "none" | "pontoon" (a scenario's)
    u: str
    v: str  # node ids of the edge it sits on
    source: str


@dataclass(frozen=True)
class Territory:
    """A lon/lat raster; each cell is owned by its nearest node (in projected km)."""

    lons: np.ndarray  # (ncols,) cell-centre longitudes
    lats: np.ndarray  # (nrows,) cell-centre latitudes
    owner: np.ndarray  # (nrows, ncols) int32: index into Theatre.node_ids
    cell_area_km2: np.ndarray  # (nrows, ncols) float64


@dataclass
class Theatre:
    """The built map. `graph` nodes and edges carry the attributes listed in docs/map.md."""

    graph: nx.Graph
    node_ids: list[str]
    crossings: dict[str, Crossing]
    rivers: dict[str, list[np.ndarray]]
    water: dict[str, np.ndarray]
    border: list[np.ndarray]
    territory: Territory
    _names: dict[str, list[str]] = field(default_factory=dict, repr=False)
    #: the hash of its map files and the code that built it ("" if not built through the
    #: cache): sim/disk_cache.py
    key: str = field(default="", repr=False)
    #: the folder of map files it was built from (None for a map made otherwise, e.g. in
    #: tests); set after the build, never kept in the cache (the folder is this checkout's)
    map_dir: Path | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def adjacency(self) -> dict[str, list[tuple[str, dict]]]:
        """Node -> [(neighbour, edge attributes)], in the graph's own neighbour order (for
        route searches, sim/model/rules/movement.py)."""
        return {n: list(nbrs.items()) for n, nbrs in self.graph.adj.items()}

    def project(self, lon, lat):
        """Equirectangular projection about (LON0, LAT0): returns (x_km, y_km), y grows north."""
        return project(lon, lat)

    def resolve(self, name: str) -> str:
        """Node id from an id, an English name, a Ukrainian/Russian name or an alias.

        Case- and apostrophe-insensitive. Raises KeyError naming close matches.
        """
        key = _norm(name)
        ids = self._names.get(key)
        if ids:
            if len(ids) == 1:
                return ids[0]
            plain = [i for i in ids if i == slug(name)]
            if plain:
                return plain[0]
            raise KeyError(f"{name!r} is ambiguous: {sorted(ids)}")
        close = difflib.get_close_matches(key, list(self._names), n=5, cutoff=0.6)
        hint = ", ".join(f"{c!r} -> {self._names[c][0]}" for c in close) or "none"
        raise KeyError(f"unknown place {name!r}; close matches: {hint}")

    def bank(self, node: str, river: str) -> str:
        """'left' or 'right' bank (facing downstream) of `river` for a node."""
        d = self.graph.nodes[node]
        return bank_of(d["lon"], d["lat"], self.rivers[river])


def project(lon, lat):
    """Equirectangular projection about (LON0, LAT0) in km; floats or numpy arrays."""
    if np.isscalar(lon) and np.isscalar(lat):
        x, y = cast(float, lon), cast(float, lat)  # numbers (np.isscalar also admits text)
        return (float(x) - LON0) * KM_PER_DEG_LON, (float(y) - LAT0) * KM_PER_DEG
    return (
        (np.asarray(lon, dtype=float) - LON0) * KM_PER_DEG_LON,
        (np.asarray(lat, dtype=float) - LAT0) * KM_PER_DEG,
    )


def unproject(x_km, y_km):
    """Inverse of `project`: (lon, lat) in degrees."""
    return np.asarray(x_km) / KM_PER_DEG_LON + LON0, np.asarray(y_km) / KM_PER_DEG + LAT0


def haversine_km(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance in km on a sphere of radius EARTH_RADIUS_KM."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def slug(name: str) -> str:
    """ASCII id slug: 'Velykyi Burluk' -> 'velykyi_burluk'."""
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    s = re.sub(r"['’`ʼ]", "", s.lower())
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def _norm(name: str) -> str:
    s = unicodedata.normalize("NFC", name).strip().lower()
    s = re.sub(r"[’ʼ`]", "'", s)
    return re.sub(r"[\s_]+", " ", s)


def normalised(name: str) -> str:
    """The form `Theatre.resolve` compares names in (case, apostrophes, spaces and ``_``
    ignored)."""
    return _norm(name)


# --- geometry -----------------------------------------------------------------------------


def bank_of(lon: float, lat: float, polylines: list[np.ndarray]) -> str:
    """'left'/'right' side of the nearest river segment, facing downstream (lon/lat input)."""
    px, py = project(lon, lat)
    best = (math.inf, 0.0)
    for line in polylines:
        x, y = project(line[:, 0], line[:, 1])
        ax, ay, bx, by = x[:-1], y[:-1], x[1:], y[1:]
        dx, dy = bx - ax, by - ay
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0, 1)
        dist = np.hypot(ax + t * dx - px, ay + t * dy - py)
        j = int(np.argmin(dist))
        cross = dx[j] * (py - ay[j]) - dy[j] * (px - ax[j])
        if dist[j] < best[0]:
            best = (dist[j], cross)
    return "left" if best[1] > 0 else "right"


# --- loading ------------------------------------------------------------------------------


def _yaml(path: Path):
    return YAML(typ="safe").load(path.read_text(encoding="utf-8")) or []


def _lines(path: Path) -> dict[str, list[np.ndarray]]:
    out: dict[str, list[np.ndarray]] = {}
    for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
        g = f["geometry"]
        parts = [g["coordinates"]] if g["type"] in ("LineString", "Polygon") else g["coordinates"]
        for c in parts:
            arr = np.asarray(c[0] if g["type"] == "Polygon" else c, dtype=float)
            out.setdefault(f["properties"]["name"], []).append(arr)
    return out


def _load_places(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows: list[dict[str, Any]] = list(csv.DictReader(fh))
    for r in rows:
        r["lat"], r["lon"] = float(r["lat"]), float(r["lon"])
        r["population"] = int(r["population"])
        r["aliases"] = [a for a in r["aliases"].split(";") if a]
        if r["terrain"] not in ("urban", "forest", "open") or r["country"] not in ("UA", "RU"):
            raise ValueError(f"{path.name}: bad terrain/country for {r['id']}")
        if not (BOX[0] <= r["lon"] <= BOX[2] and BOX[1] <= r["lat"] <= BOX[3]):
            raise ValueError(f"{path.name}: {r['id']} lies outside the box")
    ids = [r["id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path.name}: duplicate ids")
    return rows


# --- build --------------------------------------------------------------------------------


def build_theatre(map_dir: Path | None = None) -> Theatre:
    """Build the theatre from ``map_dir`` (default ``<repo>/assets/map``: kept in this process
    after the first call). A build is also kept on disk between processes (`cache_dir`)."""
    if map_dir is None:
        return _build_default()
    return _cached_build(Path(map_dir))


@functools.lru_cache(maxsize=1)
def _build_default() -> Theatre:
    return _cached_build(_DEFAULT_MAP_DIR)


# --- the built map, kept between processes (sim/disk_cache.py) ------------------------------
CACHE_KEEP = 4  # builds kept (about 0.9 MB each): the newest, for switching between checkouts


def _cached_build(map_dir: Path) -> Theatre:
    """`_build(map_dir)`, read from the cache when an identical build is there (the key: the
    map files and the code), else built and saved. The theatre carries its key (`key`), for
    results that depend on it (a scenario read against it)."""
    if disk_cache.cache_dir() is None:
        theatre = _build(map_dir)
    else:
        files = [f for f in sorted(map_dir.iterdir()) if f.is_file()]
        key = disk_cache.key_of(*(f.name.encode() + b"\0" + f.read_bytes() for f in files))

        theatre = cached_theatre("theatre", key, lambda: _build(map_dir), CACHE_KEEP)
    theatre.map_dir = map_dir
    return theatre


def cached_theatre(kind: str, key: str, build: Callable[[], Theatre], keep: int) -> Theatre:
    """`build()` given `key`, or the theatre of that key kept on disk (sim/disk_cache.py,
    sim/map/entry.py), of a `kind` that keeps its `keep` newest."""

    def made() -> Theatre:
        theatre = build()
        theatre.key = key
        return theatre

    def decode(entry: disk_cache.Entry) -> Theatre:
        theatre = theatre_from_entry(entry, Theatre, Crossing, Territory)
        if theatre.key != key:
            raise ValueError("another build's entry")
        return theatre

    return disk_cache.cached(kind, key, made, theatre_entry, decode, keep)


@dataclass
class MapInputs:
    """What a build reads from ``map_dir``: the places (rows of places.csv), the numbered roads
    and railways (their `via` lists), the named crossings, the rivers, water and border (lon/lat
    polylines). A scenario's theatre (sim/scenario/theatre.py) is these with its places added."""

    places: list[dict]
    roads: list[dict]
    rails: list[dict]
    crossings: list[dict]
    rivers: dict[str, list[np.ndarray]]
    water: dict[str, np.ndarray]
    border: list[np.ndarray]
    #: node pairs joined by a local road whether or not the local mesh joins them (the road
    #: to a crossing a scenario adds, sim/scenario/theatre.py); none on the base map
    links: list[tuple[str, str]] = field(default_factory=list)

    @functools.cached_property
    def rivers_xy(self) -> dict[str, list[np.ndarray]]:
        """The rivers projected (km)."""
        return {k: [np.c_[project(a[:, 0], a[:, 1])] for a in v] for k, v in self.rivers.items()}

    @functools.cached_property
    def water_xy(self) -> dict[str, np.ndarray]:
        """The water bodies projected (km)."""
        return {k: np.c_[project(v[:, 0], v[:, 1])] for k, v in self.water.items()}

    def rivers_crossed(self, p1, p2) -> list[str]:
        """Rivers (and reservoirs, as their river) that the straight segment p1-p2 (km)
        crosses, as the build decides an edge is a crossing."""
        found = [name for name, lines in self.rivers_xy.items() if segments_cross(p1, p2, lines)]
        for wname, poly in self.water_xy.items():
            river = RESERVOIR_RIVER.get(wname, wname)
            inside = point_in_polygon(p1[0], p1[1], poly) or point_in_polygon(p2[0], p2[1], poly)
            if (inside or segments_cross(p1, p2, [np.vstack([poly, poly[:1]])])) and (
                river not in found
            ):
                found.append(river)
        return found

    def through_water(self, p1, p2) -> bool:
        """Whether the segment p1-p2 (km) touches a water body (no local road is built so)."""
        return any(
            segments_cross(p1, p2, [np.vstack([poly, poly[:1]])])
            or point_in_polygon(p1[0], p1[1], poly)
            or point_in_polygon(p2[0], p2[1], poly)
            for poly in self.water_xy.values()
        )


def read_map_inputs(map_dir: Path) -> MapInputs:
    """The files of ``map_dir`` as read (places checked: terrain, country, box, unique ids)."""
    water = {k: v[0] for k, v in _lines(map_dir / "water.geojson").items()}
    return MapInputs(
        _load_places(map_dir / "places.csv"),
        _yaml(map_dir / "roads.yaml"),
        _yaml(map_dir / "rail.yaml"),
        _yaml(map_dir / "crossings.yaml"),
        _lines(map_dir / "rivers.geojson"),
        water,
        [a for v in _lines(map_dir / "border.geojson").values() for a in v],
    )


def _build(map_dir: Path) -> Theatre:
    return assemble(read_map_inputs(map_dir))


def assemble(inputs: MapInputs, keep_apart: frozenset[frozenset[str]] = frozenset()) -> Theatre:
    """The theatre of `inputs`: nodes, numbered roads and railways, the local-road mesh,
    crossings and territory (the module docstring). `keep_apart`: node pairs that get no local
    road (a numbered road between them that now runs through a place a scenario added)."""
    places = inputs.places
    node_ids = [p["id"] for p in places]
    idx = {n: i for i, n in enumerate(node_ids)}
    lon = np.array([p["lon"] for p in places])
    lat = np.array([p["lat"] for p in places])
    xs, ys = project(lon, lat)
    xy = np.c_[xs, ys]

    rivers = inputs.rivers
    water = inputs.water
    border = inputs.border

    named: dict[frozenset, dict] = {}
    for c in inputs.crossings:
        if c["kind"] not in NAMED_KINDS:
            raise ValueError(
                f"crossings.yaml: {c['id']}: kind must be one of {', '.join(NAMED_KINDS)}"
            )
        for n in (c["u"], c["v"]):
            if n not in idx:
                raise ValueError(f"crossings.yaml: {c['id']}: unknown node {n!r}")
        pair = frozenset((c["u"], c["v"]))
        if pair in named:
            raise ValueError(f"crossings.yaml: two crossings on {sorted(pair)}")
        named[pair] = c

    def key(u: str, v: str) -> tuple[str, str]:
        return (u, v) if idx[u] < idx[v] else (v, u)

    edges: dict[tuple[str, str], dict] = {}

    def add(u, v, *, road=None, road_class=None, rail_line=None, source=""):
        for n in (u, v):
            if n not in idx:
                raise ValueError(f"unknown node id {n!r} in {road or rail_line}")
        if u == v:
            raise ValueError(f"self-loop {u} in {road or rail_line}")
        e = edges.setdefault(key(u, v), dict(road_class=None, roads=[], rail_lines=[]))
        if road_class is not None:
            if (
                e["road_class"] is None
                or ROAD_CLASS_RANK[road_class] < ROAD_CLASS_RANK[e["road_class"]]
            ):
                e["road_class"] = road_class
            if road and road not in e["roads"]:
                e["roads"].append(road)
        if rail_line and rail_line not in e["rail_lines"]:
            e["rail_lines"].append(rail_line)

    for r in inputs.roads:
        if r["class"] not in ("highway", "main", "secondary"):
            raise ValueError(f"roads.yaml: {r['road']}: bad class {r['class']!r}")
        for u, v in zip(r["via"][:-1], r["via"][1:], strict=True):
            add(u, v, road=r["road"], road_class=r["class"])
    for r in inputs.rails:
        for u, v in zip(r["via"][:-1], r["via"][1:], strict=True):
            add(u, v, rail_line=r["line"])

    def crossing_rivers(u: str, v: str) -> list[str]:
        """Rivers (and reservoirs, as their river) that the straight segment u-v crosses."""
        return inputs.rivers_crossed(xy[idx[u]], xy[idx[v]])

    def through_water(u: str, v: str) -> bool:
        return inputs.through_water(xy[idx[u]], xy[idx[v]])

    # Local-road mesh: Delaunay triangulation in projected km, pruned by length.
    tri = Delaunay(xy)
    local_pairs = set()
    for simplex in tri.simplices:
        for a, b in ((0, 1), (1, 2), (0, 2)):
            i, j = sorted((int(simplex[a]), int(simplex[b])))
            local_pairs.add((i, j))
    for i, j in sorted(local_pairs):
        u, v = node_ids[i], node_ids[j]
        if haversine_km(lat[i], lon[i], lat[j], lon[j]) > LOCAL_MAX_KM:
            continue
        pair = frozenset((u, v))
        e = edges.get(key(u, v))
        if e is not None and e["road_class"] is not None:
            continue  # already a numbered road
        if pair in keep_apart:
            continue  # a numbered road between them runs through an added place
        if pair in named and named[pair]["kind"] == "rail_bridge":
            continue  # a rail bridge does not carry a local road
        if through_water(u, v) and pair not in named:
            continue  # no local road across the reservoir
        add(u, v, road_class="local")
    for u, v in inputs.links:  # the road to a crossing a scenario adds
        if key(u, v) not in edges:
            add(u, v, road_class="local")

    graph = nx.Graph()
    for p in places:
        x, y = project(p["lon"], p["lat"])
        graph.add_node(
            p["id"],
            name=p["name"],
            name_uk=p["name_uk"],
            lat=p["lat"],
            lon=p["lon"],
            x_km=float(x),
            y_km=float(y),
            population=p["population"],
            terrain=p["terrain"],
            country=p["country"],
            area_km2=0.0,
            source=p["source"],
            aliases=p["aliases"],
        )

    crossings: dict[str, Crossing] = {}
    used_named: set[frozenset] = set()
    errors: list[str] = []
    for u, v in sorted(edges, key=lambda k: (idx[k[0]], idx[k[1]])):
        e = edges[(u, v)]
        pair = frozenset((u, v))
        found = crossing_rivers(u, v)
        numbered = bool(e["roads"]) or bool(e["rail_lines"])
        crossing = None
        if found:
            if pair in named:
                c = named[pair]
                if c["river"] not in found:
                    errors.append(f"{c['id']}: river {c['river']!r} but segment crosses {found}")
                crossing = Crossing(c["id"], c["name"], c["river"], c["kind"], u, v, c["source"])
                used_named.add(pair)
            elif numbered:
                what = "/".join(e["roads"] + e["rail_lines"])
                errors.append(f"{what}: {u}-{v} crosses {found} without a named crossing")
                continue
            else:
                river = found[0]
                crossing = Crossing(
                    f"none_{u}_{v}",
                    f"no crossing {graph.nodes[u]['name']}-{graph.nodes[v]['name']}",
                    river,
                    "none",
                    u,
                    v,
                    "computed: local edge crosses the river geometry; no bridge or ford known",
                )
        elif pair in named:
            errors.append(f"{named[pair]['id']}: {u}-{v} does not cross any river")
            continue
        if crossing is not None:
            crossings[crossing.id] = crossing
        chord = haversine_km(lat[idx[u]], lon[idx[u]], lat[idx[v]], lon[idx[v]])
        cls = e["road_class"]
        graph.add_edge(
            u,
            v,
            length_km=chord * WINDING[cls if cls is not None else "rail"],
            chord_km=chord,
            road_class=cls,
            road="/".join(e["roads"]) or None,
            rail=bool(e["rail_lines"]),
            rail_line="/".join(e["rail_lines"]) or None,
            crossing=crossing.id if crossing else None,
            river=crossing.river if crossing else None,
        )
    unused = [
        c["id"]
        for p, c in named.items()
        if p not in used_named and tuple(p) and not any(c["id"] in err for err in errors)
    ]
    errors += [f"{c}: listed in crossings.yaml but its edge is not in the graph" for c in unused]
    if errors:
        raise ValueError("map build failed:\n  " + "\n  ".join(errors))

    territory = _territory(xy)
    counts = np.bincount(
        territory.owner.ravel(), weights=territory.cell_area_km2.ravel(), minlength=len(node_ids)
    )
    for n, a in zip(node_ids, counts, strict=True):
        graph.nodes[n]["area_km2"] = float(a)

    names: dict[str, list[str]] = {}
    for p in places:
        for k in [p["id"], p["name"], p["name_uk"], *p["aliases"]]:
            lst = names.setdefault(_norm(k), [])
            if p["id"] not in lst:
                lst.append(p["id"])
    return Theatre(graph, node_ids, crossings, rivers, water, border, territory, names)


def _territory(xy: np.ndarray) -> Territory:
    ncols = round((BOX[2] - BOX[0]) / CELL_DEG)
    nrows = round((BOX[3] - BOX[1]) / CELL_DEG)
    lons = BOX[0] + CELL_DEG * (np.arange(ncols) + 0.5)
    lats = BOX[1] + CELL_DEG * (np.arange(nrows) + 0.5)
    glon, glat = np.meshgrid(lons, lats)
    gx, gy = project(glon, glat)
    _, owner = cKDTree(xy).query(np.c_[gx.ravel(), gy.ravel()])
    lat_edges = BOX[1] + CELL_DEG * np.arange(nrows + 1)
    band = EARTH_RADIUS_KM**2 * math.radians(CELL_DEG) * np.diff(np.sin(np.radians(lat_edges)))
    area = np.repeat(band[:, None], ncols, axis=1)
    return Territory(lons, lats, owner.reshape(nrows, ncols).astype(np.int32), area)
