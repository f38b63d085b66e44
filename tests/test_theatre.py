"""Tests of the map (sim/map/theatre.py and the data in assets/map).

The geometric checks here re-read the GeoJSON files and recompute intersections and banks
with their own code, independently of the build, so a bug in the build cannot hide itself.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from sim.disk_cache import CACHE_ENV, cache_dir
from sim.map.theatre import (
    BOX,
    EARTH_RADIUS_KM,
    Theatre,
    build_theatre,
    haversine_km,
)

MAP_DIR = Path(__file__).resolve().parent.parent / "assets" / "map"


@pytest.fixture(scope="module")
def theatre() -> Theatre:
    return build_theatre()


# --- independent geometry helpers (deliberately not imported from sim.map.theatre) ----------


def _xy(lon, lat):
    """Local equirectangular km about the box centre."""
    k = EARTH_RADIUS_KM * math.pi / 180
    return (np.asarray(lon) - 37.2) * k * math.cos(math.radians(49.6)), (np.asarray(lat) - 49.6) * k


def _read_lines(name: str) -> dict[str, list[np.ndarray]]:
    data = json.loads((MAP_DIR / name).read_text(encoding="utf-8"))
    out: dict[str, list[np.ndarray]] = {}
    for f in data["features"]:
        g = f["geometry"]
        c = g["coordinates"][0] if g["type"] == "Polygon" else g["coordinates"]
        arr = np.asarray(c, float)
        out.setdefault(f["properties"]["name"], []).append(np.c_[_xy(arr[:, 0], arr[:, 1])])
    return out


def _ccw(a, b, c):
    return (c[1] - a[1]) * (b[0] - a[0]) - (b[1] - a[1]) * (c[0] - a[0])


def _seg_hits_line(p, q, line) -> bool:
    for a, b in zip(line[:-1], line[1:], strict=True):
        d1, d2 = _ccw(p, q, a), _ccw(p, q, b)
        d3, d4 = _ccw(a, b, p), _ccw(a, b, q)
        if d1 * d2 <= 0 and d3 * d4 <= 0 and (d1, d2) != (0, 0):
            return True
    return False


def _inside(pt, poly) -> bool:
    x, y = pt
    n, hit = len(poly), False
    for i in range(n):
        (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def _side(pt, lines) -> str:
    best = (math.inf, 0.0)
    for line in lines:
        for a, b in zip(line[:-1], line[1:], strict=True):
            ab = b - a
            t = max(0.0, min(1.0, float(np.dot(pt - a, ab) / np.dot(ab, ab))))
            d = float(np.hypot(*(a + t * ab - pt)))
            if d < best[0]:
                best = (d, ab[0] * (pt[1] - a[1]) - ab[1] * (pt[0] - a[0]))
    return "left" if best[1] > 0 else "right"


def _node_xy(t: Theatre, n: str) -> np.ndarray:
    d = t.graph.nodes[n]
    return np.array(_xy(d["lon"], d["lat"]), float)


# --- structure -------------------------------------------------------------------------

NAMED_VILLAGES = [
    "Hrakove",
    "Dovhenke",
    "Kamianka",
    "Husarivka",
    "Volokhiv Yar",
    "Bohorodychne",
    "Verbivka",
    "Topolske",
    "Oskil",
    "Studenok",
    "Yatskivka",
    "Dolyna",
    "Hrushuvakha",
    "Kupiansk-Vuzlovyi",
    "Kivsharivka",
    "Sviatohirsk",
    "Yampil",
    "Savyntsi",
    "Petrivske",
    "Pisky-Radkivski",
    "Borova",
    "Belgorod",
    "Shebekino",
    "Valuiki",
    "Urazovo",
    "Velykyi Burluk",
    "Vovchansk",
    "Shevchenkove",
    "Balakliia",
    "Lyman",
    "Kozacha Lopan",
    "Drobysheve",
    "Stavky",
    "Shandryholove",
    "Chuhuiv",
    "Zmiiv",
    "Sloviansk",
    "Kramatorsk",
    # north-east of Kharkiv, named by the record of the April-May 2022 counteroffensive
    "Kutuzivka",
    "Verkhnia Rohanka",
    "Slobidske",
    "Ruska Lozova",
    "Cherkaski Tyshky",
    "Ruski Tyshky",
    "Bairak",
    "rubizhne_kharkiv",
    "Staryi Saltiv",
    "Ternova",
    "Lyptsi",
    "Tsyrkuny",
    "Vilkhivka",
    "Vilcha",
]


def test_at_least_150_settlements(theatre):
    assert theatre.graph.number_of_nodes() >= 150
    assert theatre.node_ids == list(theatre.graph.nodes)


@pytest.mark.parametrize("name", NAMED_VILLAGES)
def test_named_places_resolve(theatre, name):
    node = theatre.resolve(name)
    assert node in theatre.graph


def test_resolve_variants(theatre):
    assert theatre.resolve("Izium") == "izium_s"
    assert theatre.resolve("ізюм") == "izium_s"
    assert theatre.resolve("KUPIANSK") == "kupiansk_w"
    assert theatre.resolve("Куп'янськ-Вузловий") == "kupiansk_vuzlovyi"
    assert theatre.resolve("Lyman") == "lyman"
    assert theatre.resolve("lyman_zmiiv") == "lyman_zmiiv"
    with pytest.raises(KeyError, match="balakliia"):
        theatre.resolve("Balaklia")
    # two places named Rubizhne: the plain name stays the Luhansk-oblast town
    assert theatre.resolve("Rubizhne") == "rubizhne"
    assert theatre.graph.nodes["rubizhne_kharkiv"]["name"] == "Rubizhne"
    assert theatre.graph.nodes["rubizhne"]["population"] > 50_000


def test_node_attributes(theatre):
    for n, d in theatre.graph.nodes(data=True):
        assert d["terrain"] in ("urban", "forest", "open"), n
        assert d["country"] in ("UA", "RU"), n
        assert BOX[0] <= d["lon"] <= BOX[2] and BOX[1] <= d["lat"] <= BOX[3], n
        assert isinstance(d["population"], int) and d["name"] and d["name_uk"] and d["source"]
    assert theatre.graph.nodes["belgorod"]["country"] == "RU"
    assert theatre.graph.nodes["sviatohirsk"]["terrain"] == "forest"
    assert theatre.graph.nodes["kharkiv"]["terrain"] == "urban"


def test_edge_attributes(theatre):
    for u, v, d in theatre.graph.edges(data=True):
        assert (
            d["length_km"]
            >= haversine_km(
                theatre.graph.nodes[u]["lat"],
                theatre.graph.nodes[u]["lon"],
                theatre.graph.nodes[v]["lat"],
                theatre.graph.nodes[v]["lon"],
            )
            - 1e-9
        )
        assert d["road_class"] in ("highway", "main", "secondary", "local", None)
        assert d["road_class"] is not None or d["rail"], (u, v)
        if d["crossing"] is not None:
            c = theatre.crossings[d["crossing"]]
            assert {c.u, c.v} == {u, v} and d["river"] == c.river


def test_graph_connected_even_without_unbridged_crossings(theatre):
    g = theatre.graph
    assert nx.is_connected(g)
    usable = nx.subgraph_view(
        g,
        filter_edge=lambda u, v: (
            g.edges[u, v]["crossing"] is None
            or theatre.crossings[g.edges[u, v]["crossing"]].kind != "none"
        ),
    )
    assert nx.is_connected(usable)


@pytest.mark.parametrize(
    "north, south, pair_kind",
    [("izium_n", "izium_s", "Siverskyi Donets"), ("kupiansk_w", "kupiansk_e", "Oskil")],
)
def test_split_towns_joined_by_named_bridge(theatre, north, south, pair_kind):
    d = theatre.graph.edges[north, south]
    c = theatre.crossings[d["crossing"]]
    assert c.kind == "bridge" and c.river == pair_kind and "bridge" in c.name.lower()
    assert d["road"] is not None


def test_kupiansk_rail_bridge_and_named_bridges(theatre):
    names = {c.name for c in theatre.crossings.values()}
    for expected in [
        "Izium road bridge",
        "Kupiansk road bridge (Oskil)",
        "Kupiansk rail bridge",
        "Borova bridge",
        "Sviatohirsk bridge",
        "Oskil dam road",
    ]:
        assert expected in names


# --- road distances ----------------------------------------------------------------------

# (from, to, real road km, tolerance, source). Tolerance 20 % as required by the issue.
ROAD_DISTANCES = [
    (
        "Kharkiv",
        "Izium",
        127.0,
        "uk.wikipedia.org/wiki/Ізюм infobox: to the oblast centre by road 127 km (M03)",
    ),
    (
        "Chuhuiv",
        "izium_n",
        87.5,
        "M03 kilometre posts: Chuhuiv km 538+800 (times.kharkiv.ua 2021-08-13), Izium Donets "
        "crossing km 626+260 (allkharkov.ua/news/idn/644181)",
    ),
    (
        "Kharkiv",
        "Kupiansk",
        124.0,
        "de.wikipedia 'Kupjansk': 124 km SE of Kharkiv. The straight line is ~100 km, so this is "
        "taken to be the road distance via Chuhuiv - Shevchenkove (H26); approximate",
    ),
    (
        "Izium",
        "Sloviansk",
        52.0,
        "M03 kilometre posts: Izium km 626+260; km 673+682..674+500 at Seleznivka on the north "
        "edge of Sloviansk (Sloviansk local news, M03 repair notice) -> ~48 km, plus ~4 km to "
        "the centre",
    ),
    ("Kharkiv", "Borova", 165.0, "en.wikipedia 'Borova, Kharkiv Oblast': 165 km by road"),
    (
        "Kupiansk",
        "Izium",
        85.0,
        "ESTIMATE (no citable figure found): P79 Kupiansk - Borova - Izium read off a road map, "
        "~45 km Kupiansk-Borova + ~40 km Borova-Izium",
    ),
    (
        "Kharkiv",
        "Staryi Saltiv",
        45.0,
        "silkway.news: Staryi Saltiv lies 45 km from Kharkiv, taken as the road distance; the "
        "T-21-04 reaches the Staryi Saltiv bridge at km 35-37 (mediaport.ua); approximate",
    ),
    (
        "Kharkiv",
        "Vovchansk",
        72.0,
        "ru.wikipedia 'Волчанск (Украина)' via wafarin.com: 72 km NE of Kharkiv (the straight "
        "line is ~60 km, so taken as the T-21-04 road distance); approximate",
    ),
    (
        "Kharkiv",
        "slobozhanske_lyptsi",
        28.0,
        "ru.wikipedia 'Слобожанское (Харьковский район)' via wafarin.com: 28 km from Kharkiv, "
        "taken as the distance along the Kharkiv - Lyptsi road; approximate",
    ),
]


@pytest.mark.parametrize("a, b, real_km, source", ROAD_DISTANCES)
def test_road_distances(theatre, a, b, real_km, source):
    g = theatre.graph
    roads = nx.subgraph_view(g, filter_edge=lambda u, v: g.edges[u, v]["road_class"] is not None)
    km = nx.shortest_path_length(roads, theatre.resolve(a), theatre.resolve(b), weight="length_km")
    assert abs(km - real_km) <= 0.2 * real_km, f"{a}-{b}: {km:.1f} km vs {real_km} ({source})"


# --- rivers and banks --------------------------------------------------------------------


def test_no_edge_crosses_a_river_without_a_crossing(theatre):
    rivers = _read_lines("rivers.geojson")
    water = _read_lines("water.geojson")
    assert {"Siverskyi Donets", "Oskil"} <= set(rivers)
    bad = []
    for u, v, d in theatre.graph.edges(data=True):
        p, q = _node_xy(theatre, u), _node_xy(theatre, v)
        hits = [r for r, lines in rivers.items() if any(_seg_hits_line(p, q, ln) for ln in lines)]
        for polys in water.values():
            for poly in polys:
                closed = np.vstack([poly, poly[:1]])
                if _seg_hits_line(p, q, closed) or _inside(p, poly) or _inside(q, poly):
                    hits.append("Oskil")
        if hits and d["crossing"] is None:
            bad.append((u, v, hits))
        if hits and d["crossing"] is not None:
            assert d["river"] in hits, (u, v)
        if (d["road"] or d["rail"]) and hits:
            assert theatre.crossings[d["crossing"]].kind != "none", (u, v)
    assert not bad


def test_detects_a_crossing_when_there_is_one():
    """The checker itself must be able to fail: a segment across the Donets at Izium."""
    rivers = _read_lines("rivers.geojson")
    p, q = np.array(_xy(37.283, 49.226)), np.array(_xy(37.275, 49.200))
    assert any(_seg_hits_line(p, q, ln) for ln in rivers["Siverskyi Donets"])


BANK_FACTS = [  # (node, river, bank facing downstream, dossier s.4)
    ("studenok", "Siverskyi Donets", "left"),
    ("bohorodychne", "Siverskyi Donets", "right"),
    ("izium_n", "Siverskyi Donets", "left"),
    ("izium_s", "Siverskyi Donets", "right"),
    ("oskil", "Oskil", "right"),
    ("borova", "Oskil", "left"),  # east of the Oskil
    ("kivsharivka", "Oskil", "left"),
    ("kupiansk_vuzlovyi", "Oskil", "left"),
    ("kupiansk_w", "Oskil", "right"),
    ("kupiansk_e", "Oskil", "left"),
]


@pytest.mark.parametrize("node, river, bank", BANK_FACTS)
def test_bank_facts(theatre, node, river, bank):
    lines = _read_lines("rivers.geojson")[river]
    assert _side(_node_xy(theatre, node), lines) == bank
    assert theatre.bank(node, river) == bank


# North-east of Kharkiv the Donets (Pechenihy reservoir) separates the villages the Ukrainian
# counteroffensive of April-May 2022 retook (right, west bank) from Vovchansk (left bank).
# Staryi Saltiv: right bank (gwaramedia.com, dozor.com.ua); Vilcha 3 km S of Vovchansk.
NE_RIGHT_BANK = [
    "kutuzivka",
    "verkhnia_rohanka",
    "slobidske",
    "vilkhivka",
    "cherkaski_tyshky",
    "ruski_tyshky",
    "bairak",
    "rubizhne_kharkiv",
    "staryi_saltiv",
    "ternova",
    "lyptsi",
    "tsyrkuny",
    "ruska_lozova",
]
NE_LEFT_BANK = ["vovchansk", "vilcha"]


@pytest.mark.parametrize("node", NE_RIGHT_BANK + NE_LEFT_BANK)
def test_north_east_banks_of_the_donets(theatre, node):
    bank = "left" if node in NE_LEFT_BANK else "right"
    lines = _read_lines("rivers.geojson")["Siverskyi Donets"]
    assert _side(_node_xy(theatre, node), lines) == bank
    assert theatre.bank(node, "Siverskyi Donets") == bank


@pytest.mark.parametrize("crossing", ["staryi_saltiv_bridge", "rubizhne_bridge"])
def test_pechenihy_reservoir_bridges(theatre, crossing):
    """Both Donets bridges north-east of Kharkiv exist and join the two banks."""
    c = theatre.crossings[crossing]
    assert c.kind == "bridge" and c.river == "Siverskyi Donets"
    lines = _read_lines("rivers.geojson")["Siverskyi Donets"]
    p, q = _node_xy(theatre, c.u), _node_xy(theatre, c.v)
    assert any(_seg_hits_line(p, q, ln) for ln in lines)
    assert {theatre.bank(c.u, c.river), theatre.bank(c.v, c.river)} == {"left", "right"}
    assert theatre.graph.edges[c.u, c.v]["crossing"] == crossing


def test_kharkiv_vovchansk_road_crosses_the_donets_once_at_staryi_saltiv(theatre):
    g = theatre.graph
    t2104 = nx.subgraph_view(g, filter_edge=lambda u, v: "T-21-04" in (g.edges[u, v]["road"] or ""))
    path = nx.shortest_path(t2104, "kharkiv", "vovchansk")
    assert "kutuzivka" in path and "staryi_saltiv" in path and "tsyrkuny" not in path
    crossed = [
        g.edges[u, v]["crossing"]
        for u, v in zip(path[:-1], path[1:], strict=True)
        if g.edges[u, v]["crossing"]
    ]
    assert crossed == ["staryi_saltiv_bridge"]
    lyptsi_road = nx.subgraph_view(
        g, filter_edge=lambda u, v: "Kharkiv-Lyptsi" in (g.edges[u, v]["road"] or "")
    )
    assert nx.shortest_path(lyptsi_road, "kharkiv", "lyptsi")[1:4] == [
        "tsyrkuny",
        "cherkaski_tyshky",
        "ruski_tyshky",
    ]


# --- territory ---------------------------------------------------------------------------


def test_territory_sums_to_box_area(theatre):
    lon0, lat0, lon1, lat1 = BOX
    box = (
        EARTH_RADIUS_KM**2
        * math.radians(lon1 - lon0)
        * (math.sin(math.radians(lat1)) - math.sin(math.radians(lat0)))
    )
    total = sum(d["area_km2"] for _, d in theatre.graph.nodes(data=True))
    assert abs(total - box) <= 0.01 * box
    assert abs(theatre.territory.cell_area_km2.sum() - box) <= 0.01 * box
    assert all(d["area_km2"] > 0 for _, d in theatre.graph.nodes(data=True))
    t = theatre.territory
    assert t.owner.shape == (len(t.lats), len(t.lons)) == t.cell_area_km2.shape
    assert t.owner.min() >= 0 and t.owner.max() < len(theatre.node_ids)


# --- determinism and caching -------------------------------------------------------------


def test_build_is_deterministic(monkeypatch):
    monkeypatch.setenv(CACHE_ENV, "off")  # two builds, not one read twice
    a, b = build_theatre(MAP_DIR), build_theatre(MAP_DIR)
    assert list(a.graph.nodes(data=True)) == list(b.graph.nodes(data=True))
    assert list(a.graph.edges(data=True)) == list(b.graph.edges(data=True))
    assert a.crossings == b.crossings and a.node_ids == b.node_ids
    assert np.array_equal(a.territory.owner, b.territory.owner)


def test_default_build_is_cached():
    assert build_theatre() is build_theatre()


def test_project_scalar_and_array(theatre):
    x, y = theatre.project(37.2, 49.6)
    assert (x, y) == (0.0, 0.0)
    xs, ys = theatre.project(np.array([36.2, 38.2]), np.array([49.6, 50.6]))
    assert xs.shape == (2,) and ys[1] > 0 and xs[0] < 0


# --- rendering ---------------------------------------------------------------------------


def test_basemap_renders_river_near_izium(theatre, tmp_path):
    import pygame

    from sim.view.basemap import RIVER, Viewport, draw_basemap, render_theatre_png

    surface = pygame.Surface((900, 1000))
    vp = Viewport(surface.get_size())
    draw_basemap(surface, theatre, vp, labels=False)
    donets = theatre.rivers["Siverskyi Donets"][0]
    # the river vertex nearest to a point 6 km west of Izium centre (the Izium bend)
    target = np.array(theatre.project(37.19, 49.15))
    xy = np.c_[theatre.project(donets[:, 0], donets[:, 1])]
    lon, lat = donets[int(np.argmin(np.hypot(*(xy - target).T)))]
    px, py = (round(c) for c in vp.lonlat_to_px(lon, lat))
    near = {tuple(surface.get_at((px + dx, py + dy)))[:3] for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
    assert RIVER in near
    assert vp.to_km(*vp.to_px(12.5, -40.0)) == pytest.approx((12.5, -40.0))
    out = render_theatre_png(theatre, tmp_path / "t.png", size=(700, 550))
    assert out.exists() and out.stat().st_size > 10_000


# ------------------------------------------------------------------ the built map's cache


def test_a_cached_map_runs_exactly_as_a_built_one(tmp_path, monkeypatch):
    """The first call builds and saves; the second reads the file; both give the run of a map
    built afresh, byte for byte."""
    from sim.model import CampaignModel
    from sim.scenario import load_scenario
    from sim.scenario.theatre import theatre_for

    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    saved = build_theatre(MAP_DIR)
    files = list(tmp_path.glob("theatre-*.pickle"))
    assert len(files) == 1
    read = build_theatre(MAP_DIR)
    assert read is not saved  # it came from the file
    monkeypatch.setenv(CACHE_ENV, "off")
    fresh = build_theatre(MAP_DIR)
    scenario_file = Path(__file__).resolve().parent.parent / "scenarios" / "izium_2022_09.yaml"
    digests = set()
    for th in (fresh, read):
        sc = load_scenario(scenario_file, th)
        model = CampaignModel(sc, theatre_for(sc, th), sc.parameters_with(), seed=0)
        for _ in range(72):  # three days: the breakthrough, every rule at work
            model.step()
        digests.add(model.record.digest())
    assert len(digests) == 1


def test_a_damaged_cache_file_is_rebuilt_and_off_means_off(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    build_theatre(MAP_DIR)
    (path,) = tmp_path.glob("theatre-*.pickle")
    path.write_bytes(path.read_bytes()[:1000])  # cut short
    theatre = build_theatre(MAP_DIR)
    assert isinstance(theatre, Theatre) and theatre.graph.number_of_nodes() > 150
    assert path.stat().st_size > 100_000  # written again, whole
    monkeypatch.setenv(CACHE_ENV, "off")
    assert cache_dir() is None
    path.unlink()
    build_theatre(MAP_DIR)
    assert not path.exists()
