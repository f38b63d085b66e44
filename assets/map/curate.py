"""One-off curation script: how assets/map/places.csv was made (kept for provenance).

NOT run by the simulator. It reads the reference extract in ../shared/geodata (GeoNames
cities500, CC BY 4.0) and writes places.csv. After running it, places.csv is the curated
source of truth; edits to villages and overrides live in the tables below, so re-running
reproduces the file exactly.

Usage (from the repo root): python assets/map/curate.py /path/to/shared/geodata
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from pathlib import Path

BOX = (35.8, 48.5, 38.6, 50.7)
MIN_POP = 1000  # issue: every place of 1,000+ people in the box

# GeoNames points flagged `maybe_city_district` that are in fact separate settlements
# (suburban towns/villages around Kharkiv), kept. All other flagged points are dropped.
KEEP_DISTRICT_FLAGGED = {"Pisochyn", "Pokotylivka", "Podvirky", "Babai", "Mala Danylivka",
                         "Kulynychi"}
# Exact duplicates in GeoNames (second point for the same town).
DROP = {("Gorod Shebekino", 39680), ("Malynivka", 0)}
# Places under 1,000 people kept because scenarios or the road network need them.
KEEP_SMALL = {"Volokhiv Yar", "Bohorodychne", "Dolyna", "Yats’kivka", "Stavky", "Kunie",
              "Hoptivka", "Kindrashivka",
              # named in the record of the Kharkiv counteroffensive of April-May 2022
              # (General Staff 10.05.2022; Vilkhivka retaken 27.03.2022, CNN)
              "Cherkaski Tyshky", "Ruski Tyshky", "Vilkhivka"}

# Corrections to GeoNames names (KMU romanisation, Ukrainian Cyrillic for UA places).
FIX = {
    "Yats’kivka": {"name": "Yatskivka", "name_uk": "Яцьківка", "population": 600,
                   "note": "population: estimate (GeoNames has 0)"},
    "Novoselovka": {"name": "Novoselivka", "name_uk": "Новоселівка"},
    "Drobysheve": {"name_uk": "Дробишеве"},
    "Donets": {"name_uk": "Донець"},
    "Bohdanivka": {"name_uk": "Богданівка"},
    "Bezruky": {"name_uk": "Безруки"},
    "Studenok": {"name_uk": "Студенок"},
    "Valuyki": {"name": "Valuiki"},
    "Oktyabr’skiy": {"name": "Oktyabrskiy"},
    "Maslova Pristan’": {"name": "Maslova Pristan"},
    "Kunie": {"name_uk": "Куньє"},
    "Vilkhivka": {"population": 1244,
                  "note": "population: 2001 census, ru.wikipedia via perceptiode.com "
                          "(GeoNames has 0)"},
    # Nudged 1 km NNE: the simplified NE Donets runs through the GeoNames point; the town
    # centre and station are on the left bank (dossier s.4: Sviatohirsk lies on both banks).
    "Sviatohirsk": {"lat": 49.050, "lon": 37.575,
                    "note": "position nudged from 49.0410, 37.5719 to stay on the left bank "
                            "of the simplified river"},
}

# Ids for names that occur more than once: the most populous place keeps the plain slug.
ID_OVERRIDE = {
    ("Lyman", 4008): "lyman_zmiiv",
    ("Slobozhanske", 2800): "slobozhanske_zlatopil",
    ("Slobozhanske", 1173): "slobozhanske_lyptsi",
    ("Andriivka", 1044): "andriivka_kramatorsk",
    ("Pokrovske", 1333): "pokrovske_bakhmut",
    ("Novoselivka", 1100): "novoselivka_kramatorsk",
}

# Villages missing from GeoNames cities500, entered by hand (lat, lon, population, source).
HAND = [
    dict(name="Hrakove", name_uk="Гракове", lat=49.715, lon=36.860, population=753,
         source="estimate: on the M03 at its overpass over the Kharkiv-Kupiansk railway "
                "(the overpass was destroyed, RTBF 11088733), i.e. where the Natural Earth M03 "
                "and rail lines cross; +-3 km. Population: 2001 census via wiki-org.ru"),
    dict(name="Dovhenke", name_uk="Довгеньке", lat=49.021, lon=37.310, population=400,
         source="dossier s.4 (code comment ~49.021, 37.310, Unc); population estimate"),
    dict(name="Kamianka", name_uk="Кам'янка", lat=49.145, lon=37.285, population=700,
         source="estimate: 7 km S of Izium centre on the M03 toward Sloviansk (atn.ua 382301: "
                "7 km from Izium; ukrinform 3519796: right bank of the Donets); +-3 km; "
                "population estimate"),
    dict(name="Topolske", name_uk="Топольське", lat=49.125, lon=37.120, population=500,
         source="estimate: right bank of the Donets W of Izium (dossier s.1: Russians crossed "
                "outside the city toward Topolske and Kamianka); +-5 km; population estimate"),
    dict(name="Hrushuvakha", name_uk="Грушуваха", lat=49.1167, lon=36.900, population=860,
         source="de.wiki.li/Hruschuwacha (49 7 N, 36 54 E; 2001 census 860)"),
    # North-east of Kharkiv: villages the record of the April-May 2022 counteroffensive names
    # (see docs/map.md). Ids with a qualifier where the name clashes with a town on the map.
    dict(name="Bairak", name_uk="Байрак", lat=50.1494, lon=36.7261, population=42,
         source="ru.wikipedia 'Байрак (Волчанский район)' via perceptiode.com (50 08 58 N, "
                "36 43 34 E; 2001 census 42; Rubizhne village council, head of the Rubizhna "
                "ravine)"),
    dict(id="rubizhne_kharkiv", name="Rubizhne", name_uk="Рубіжне", lat=50.135, lon=36.790,
         population=400,
         source="estimate: right bank of the Siverskyi Donets (Pechenihy reservoir) at the "
                "Rubizhne bridge upstream of Staryi Saltiv (CNN/BlackSky image of 12.05.2022 "
                "via rp.pl; Daily Kos 2022-05: 'up to the Rubizhne bridge' from Staryi "
                "Saltiv), at the mouth of the ravine whose head is Bairak; +-3 km; population "
                "estimate. Not the Luhansk-oblast town `rubizhne`"),
    dict(name="Kutuzivka", name_uk="Кутузівка", lat=50.035, lon=36.455, population=300,
         source="estimate: on the T-21-04 Kharkiv - Staryi Saltiv road (gwaramedia.com: "
                "'we drove to Staryi Saltiv through Kutuzivka'), Vilkhivka hromada "
                "(en.wikipedia via worddisk.com), formerly Kulynychi council (ru.wikipedia via "
                "perceptiode.com); +-4 km; population estimate (about 170 sheltered there, "
                "Zaluzhnyi 23.05.2022)"),
    dict(name="Verkhnia Rohanka", name_uk="Верхня Роганка", lat=50.010, lon=36.505,
         population=179,
         source="estimate: on the upper Rohanka upstream of Vilkhivka (ru.wikipedia 'Ольховка "
                "(Харьковская область)' via perceptiode.com: Sorokivka adjoins Vilkhivka "
                "upstream), Vilkhivka hromada (obozrevatel.com 2026-02-27: population 179); "
                "+-3 km"),
    dict(name="Slobidske", name_uk="Слобідське", lat=50.015, lon=36.430, population=200,
         source="estimate: formerly Kulynychi council east of Kharkiv (ru.wikipedia 'Кулиничи' "
                "via perceptiode.com), between Kulynychi and Kutuzivka; +-5 km; population "
                "estimate"),
]

# Izium and Kupiansk are split by their rivers into one node per bank (population split is
# an estimate: Kupiansk ~2/3 on the right bank per dossier s.4; Izium's north bank
# (station, Honcharivka, Pisky) taken as ~30 %).
SPLIT = {
    "Izium": [
        dict(id="izium_n", name="Izium (north bank)", name_uk="Ізюм (північний берег)",
             lat=49.226, lon=37.283, share=0.30, aliases="Izium north;Izium-North",
             source="GeoNames Izium split by the Donets; north bank: rail station, "
                    "Honcharivka, Pisky (dossier s.4); position estimate"),
        dict(id="izium_s", name="Izium (south bank)", name_uk="Ізюм (південний берег)",
             lat=49.200, lon=37.275, share=0.70, aliases="Izium;Ізюм;Izyum",
             source="GeoNames Izium split by the Donets; south bank: city centre; "
                    "position estimate"),
    ],
    "Kupiansk": [
        dict(id="kupiansk_w", name="Kupiansk (west bank)", name_uk="Куп’янськ (правий берег)",
             lat=49.7100, lon=37.6158, share=2 / 3, aliases="Kupiansk;Куп’янськ;Kupyansk",
             source="GeoNames Kupiansk point (right/west bank, city council; ~2/3 of the "
                    "city per dossier s.4)"),
        dict(id="kupiansk_e", name="Kupiansk (east bank)", name_uk="Куп’янськ (лівий берег)",
             lat=49.706, lon=37.650, share=1 / 3, aliases="Kupiansk east;Kupiansk-East",
             source="estimate: left/east bank of the Oskil opposite the centre (dossier s.4)"),
    ],
}

URBAN_MIN_POP = 10_000  # towns of ~10,000+ are "urban" terrain
# Forest belt along the Siverskyi Donets and lower Oskil (Holy Mountains national park,
# Izium-Lyman forests, Zmiiv/Andriivka pine forests, Oskil sands): curated by the author.
FOREST_IDS = {"sviatohirsk", "bohorodychne", "studenok", "drobysheve", "stavky",
              "shandryholove", "novoselivka", "zarichne", "torske", "yampil", "raihorodok",
              "maiaky", "dolyna", "kamianka", "topolske", "donets", "andriivka", "pidlyman",
              "borova", "pisky_radkivski", "yatskivka", "bilohorivka", "serebrianka", "kunie",
              "lyman_zmiiv"}


def slug(name: str) -> str:
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    s = re.sub(r"['’`]", "", s.lower())
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def main(geodata: Path) -> None:
    feats = json.loads((geodata / "places.geojson").read_text())["features"]
    rows = []
    for f in feats:
        p = f["properties"]
        lon, lat = f["geometry"]["coordinates"]
        if not (BOX[0] <= lon <= BOX[2] and BOX[1] <= lat <= BOX[3]):
            continue
        if (p["name"], p["population"]) in DROP:
            continue
        if p["maybe_city_district"] and p["name"] not in KEEP_DISTRICT_FLAGGED:
            continue
        if p["population"] < MIN_POP and p["name"] not in KEEP_SMALL:
            continue
        fix = FIX.get(p["name"], {})
        name = fix.get("name", p["name"])
        rows.append(dict(name=name, name_uk=fix.get("name_uk", p["name_local"] or name),
                         lat=fix.get("lat", round(lat, 4)), lon=fix.get("lon", round(lon, 4)),
                         population=int(fix.get("population", p["population"])),
                         country=p["country"],
                         aliases=";".join(sorted({p["name_geonames"]} - {name})),
                         source=f"GeoNames {p['geonameid']}"
                         + (f"; {fix['note']}" if "note" in fix else "")))
    for h in HAND:
        rows.append(dict(h, country="UA", aliases=""))
    out = []
    for r in rows:
        if r["name"] in SPLIT:
            for part in SPLIT[r["name"]]:
                out.append(dict(id=part["id"], name=part["name"], name_uk=part["name_uk"],
                                lat=part["lat"], lon=part["lon"],
                                population=round(r["population"] * part["share"]),
                                country="UA", aliases=part["aliases"], part_of_town=True,
                                source=f"{r['source']}; {part['source']}"))
            continue
        r["id"] = r.get("id") or ID_OVERRIDE.get((r["name"], r["population"]), slug(r["name"]))
        r["part_of_town"] = False
        out.append(r)
    ids = [r["id"] for r in out]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise SystemExit(f"id clash: {sorted(dup)}")
    for r in out:
        if r["part_of_town"]:  # a bank of a split town of 10,000+ people
            r["terrain"] = "urban"
        elif r["id"] in FOREST_IDS:
            r["terrain"] = "forest" if r["population"] < URBAN_MIN_POP else "urban"
        else:
            r["terrain"] = "urban" if r["population"] >= URBAN_MIN_POP else "open"
    out.sort(key=lambda r: (-r["population"], r["id"]))
    cols = ["id", "name", "name_uk", "lat", "lon", "population", "terrain", "country",
            "aliases", "source"]
    with open(Path(__file__).with_name("places.csv"), "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in out:
            w.writerow({c: r[c] for c in cols})
    print(len(out), "places")


SIMPLIFY_KM = 0.25  # Douglas-Peucker tolerance for rivers, reservoir and border (~NE 1:10m noise)


def _km(coords):
    import math
    k = 111.195
    c = math.cos(math.radians(49.6))
    return [((lo - 37.2) * k * c, (la - 49.6) * k) for lo, la in coords]


def simplify(coords: list, tol_km: float = SIMPLIFY_KM) -> list:
    """Douglas-Peucker on lon/lat points, distances measured in km."""
    pts = _km(coords)
    keep = [False] * len(coords)
    keep[0] = keep[-1] = True
    stack = [(0, len(coords) - 1)]
    while stack:
        i, j = stack.pop()
        (x1, y1), (x2, y2) = pts[i], pts[j]
        dx, dy = x2 - x1, y2 - y1
        n2 = dx * dx + dy * dy or 1e-12
        best, bk = -1.0, -1
        for k in range(i + 1, j):
            x, y = pts[k]
            t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / n2))
            d = ((x1 + t * dx - x) ** 2 + (y1 + t * dy - y) ** 2) ** 0.5
            if d > best:
                best, bk = d, k
        if best > tol_km:
            keep[bk] = True
            stack += [(i, bk), (bk, j)]
    return [[round(c[0], 4), round(c[1], 4)] for c, k in zip(coords, keep, strict=True) if k]


def _fc(name: str, feats: list, note: str) -> dict:
    return {"type": "FeatureCollection", "name": name,
            "metadata": {"curated_by": "assets/map/curate.py", "note": note,
                         "simplify_km": SIMPLIFY_KM}, "features": feats}


def geometry(geodata: Path) -> None:
    here = Path(__file__).parent
    riv = json.loads((geodata / "rivers.geojson").read_text())["features"]
    don = [f for f in riv if f["properties"]["name"] == "Siverskyi Donets"][0]
    osk = [f["geometry"]["coordinates"] for f in riv if f["properties"]["name"] == "Oskil"]
    # NE splits the Oskil in three: upper river, reservoir centreline, below the dam.
    upper = [c for c in osk if c[0][1] >= 50.6][0]
    res = [c for c in osk if c[0] == upper[-1]][0]
    lower = [c for c in osk if c[0] == res[-1]][0]
    oskil = upper + res[1:] + lower[1:]
    src = ("Natural Earth 4.0.0 ne_10m_rivers_lake_centerlines + rivers_europe (public domain), "
           "via ../shared/geodata/rivers.geojson; merged, simplified")
    feats = [
        {"type": "Feature",
         "properties": {"name": "Siverskyi Donets", "name_uk": "Сіверський Донець",
                        "flows": "first to last point (downstream)", "source": src},
         "geometry": {"type": "LineString",
                      "coordinates": simplify(don["geometry"]["coordinates"])}},
        {"type": "Feature", "properties": {"name": "Oskil", "name_uk": "Оскіл",
                                           "flows": "first to last point (downstream)",
                                           "source": src + "; the reservoir stretch is the NE "
                                                           "centreline"},
         "geometry": {"type": "LineString", "coordinates": simplify(oskil)}},
    ]
    (here / "rivers.geojson").write_text(json.dumps(_fc("rivers", feats, "downstream order"),
                                                   ensure_ascii=False, indent=1))
    wat = json.loads((geodata / "water.geojson").read_text())["features"]
    res_poly = [f for f in wat if f["properties"]["name"] == "Oskil Reservoir"][0]
    ring = simplify(res_poly["geometry"]["coordinates"][0][:-1], 0.15)
    # Nudge: the NE polygon's east shore bulges over the Kupiansk-Lyman railway between
    # Pidlyman and Pisky-Radkivski, which runs on land east of the water; pull that vertices west.
    nudge = {(37.6172, 49.3106): [37.600, 49.3106], (37.6135, 49.3292): [37.598, 49.3292]}
    ring = [nudge.get(tuple(p), p) for p in ring]
    ring.append(ring[0])
    feats = [{"type": "Feature",
              "properties": {"name": "Oskil Reservoir", "name_uk": "Оскільське водосховище",
                             "source": "Natural Earth 4.0.0 ne_10m_lakes_europe (public domain); "
                                       "name by location (NE polygon is unnamed)"},
              "geometry": {"type": "Polygon", "coordinates": [ring]}}]
    (here / "water.geojson").write_text(json.dumps(_fc("water", feats, "Oskil reservoir"),
                                                  ensure_ascii=False, indent=1))
    bor = json.loads((geodata / "border.geojson").read_text())["features"]
    feats = [{"type": "Feature",
              "properties": {"name": "Ukraine - Russia", "source":
                             "Natural Earth 4.0.0 ne_10m_admin_0_boundary_lines_land "
                             "(public domain), simplified"},
              "geometry": {"type": "LineString",
                           "coordinates": simplify(f["geometry"]["coordinates"])}} for f in bor]
    (here / "border.geojson").write_text(json.dumps(_fc("border", feats, "state border"),
                                                   ensure_ascii=False, indent=1))


if __name__ == "__main__":
    gd = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/geodata")
    main(gd)
    geometry(gd)
