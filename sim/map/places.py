"""Finding places on the map: `python run.py places QUERY` and `--near LAT,LON`.

A scenario names places by node id (or by a name the loader resolves). This module finds them
for an author: by English, Ukrainian or Russian name, by an older name kept in
``assets/map/places.csv``'s `aliases` column (Krasnyi Lyman for Lyman, Artemivsk for Bakhmut),
by a misspelling or another transliteration (Kharkov, Chuguyev, Balakleya), or by coordinates;
and prints what an author needs to know of each: id, names, terrain, population, who holds it
by default, and its neighbours with the road, railway or river crossing on each edge.

Fuzzy matching compares *folded* names: Cyrillic transliterated to Latin, then the letters
that transliteration systems disagree on merged (g/h, y/i, doubled letters, apostrophes).
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from dataclasses import dataclass

from sim.map.theatre import BOX, Theatre, haversine_km

#: Ukrainian and Russian Cyrillic to Latin, close to the Ukrainian national system (KMU 2010).
CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "h",
    "ґ": "g",
    "д": "d",
    "е": "e",
    "є": "ie",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "y",
    "і": "i",
    "ї": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
}
#: Below this similarity (difflib ratio of folded names, 0..1) a name is not offered as a match.
FUZZY_CUTOFF = 0.72
#: How many matches `search` returns by default.
DEFAULT_LIMIT = 5
#: Places are located relative to the nearest town of at least this many people (to tell
#: apart places of the same name: Lyman near Sloviansk from Lyman near Zmiiv).
LANDMARK_POPULATION = 10_000
COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def fold(name: str) -> str:
    """A spelling-insensitive key: 'Chuguyev' and 'Чугуїв' and 'Chuhuiv' come out close."""
    s = unicodedata.normalize("NFC", name).lower()
    s = "".join(CYRILLIC.get(ch, ch) for ch in s)
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]", "", s)
    s = s.replace("g", "h").replace("y", "i").replace("kh", "h").replace("w", "v")
    s = re.sub(r"(.)\1+", r"\1", s)  # doubled letters: Balakliia ~ Balaklia
    return s


#: A match at or above this score is the query's own name (1.0 as written, 0.99 in another
#: spelling: Kharkov, Харьков); at or above PREFIX_SCORE a name that starts with the query.
EXACT_SCORE = 0.99
PREFIX_SCORE = 0.9


@dataclass(frozen=True)
class Match:
    """A place found by `search`: node id, how well it matched (1.0 exact) and by which name."""

    node: str
    score: float
    matched: str

    @property
    def how(self) -> str:
        """ "exact" (the name, in any spelling), "prefix" (a name that starts with the query)
        or "similar" (a fuzzy match: another place, perhaps)."""
        if self.score >= EXACT_SCORE:
            return "exact"
        return "prefix" if self.score >= PREFIX_SCORE else "similar"


def _names(theatre: Theatre, node: str) -> list[str]:
    d = theatre.graph.nodes[node]
    return [node, d["name"], d["name_uk"], *d.get("aliases", [])]


def search(theatre: Theatre, query: str, limit: int = DEFAULT_LIMIT) -> list[Match]:
    """Places whose id, name or alias matches `query`, best first: exact matches (ignoring
    case and apostrophes; every one, even beyond `limit`), then names that start with the
    query, then (only when no name matched exactly) fuzzy matches; each says which it is
    (`Match.how`)."""
    q = " ".join(query.split()).lower().replace("’", "'")
    fq = fold(query)
    if not fq:
        return []
    best: dict[str, Match] = {}
    for node in theatre.node_ids:
        for name in _names(theatre, node):
            low = name.lower().replace("’", "'").replace("_", " ")
            fn = fold(name)
            if low == q or node == q:
                score = 1.0
            elif fn == fq:
                score = 0.99
            elif fn.startswith(fq) and len(fq) >= 3:
                score = 0.9 + 0.05 * len(fq) / len(fn)
            else:
                score = difflib.SequenceMatcher(None, fq, fn).ratio()
            if score >= FUZZY_CUTOFF and (node not in best or score > best[node].score):
                best[node] = Match(node, round(score, 3), name)
    g = theatre.graph
    ranked = sorted(best.values(), key=lambda m: (-m.score, -g.nodes[m.node]["population"], m.node))
    if any(m.how == "exact" for m in ranked):  # a name matched: keep it and longer names only
        ranked = [m for m in ranked if m.how != "similar"]
    exact = [m for m in ranked if m.how == "exact"]
    return exact if len(exact) > limit else ranked[:limit]


def nearest(
    theatre: Theatre, lat: float, lon: float, limit: int = DEFAULT_LIMIT
) -> list[tuple[str, float]]:
    """The `limit` places nearest to (lat, lon): (node id, great-circle km), nearest first."""
    g = theatre.graph
    dist = [
        (haversine_km(lat, lon, g.nodes[n]["lat"], g.nodes[n]["lon"]), n) for n in theatre.node_ids
    ]
    return [(n, d) for d, n in sorted(dist)[:limit]]


def looks_like_position(text: str) -> bool:
    """Whether a query is a position ('49.2,37.3', '49.2N 37.3E'), not a name."""
    try:
        parse_lat_lon(text)
    except ValueError:
        return False
    return True


def parse_lat_lon(text: str) -> tuple[float, float]:
    """'49.2,37.3' or '49.2 37.3' or '49.2N 37.3E' -> (lat, lon); ValueError otherwise."""
    parts = [p for p in re.split(r"[,\s;]+", text.strip().upper()) if p]
    if len(parts) != 2:
        raise ValueError(f"expected LAT,LON in degrees like 49.2,37.3, got {text!r}")
    values = []
    for part, (pos, neg) in zip(parts, (("N", "S"), ("E", "W")), strict=True):
        sign = -1.0 if part.endswith(neg) else 1.0
        number = part.rstrip(pos + neg)
        try:
            value = float(number)
        except ValueError:
            raise ValueError(f"expected LAT,LON in degrees like 49.2,37.3, got {text!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"expected finite degrees, got {text!r}")
        values.append(sign * value)
    lat, lon = values
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"latitude must be within ±90 and longitude within ±180, got {text!r}")
    return lat, lon


def bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> str:
    """Compass point (N, NE, ...) from the first position to the second."""
    y = math.sin(math.radians(lon2 - lon1)) * math.cos(math.radians(lat2))
    x = math.cos(math.radians(lat1)) * math.sin(math.radians(lat2)) - math.sin(
        math.radians(lat1)
    ) * math.cos(math.radians(lat2)) * math.cos(math.radians(lon2 - lon1))
    deg = (math.degrees(math.atan2(y, x)) + 360) % 360
    return COMPASS[round(deg / 45) % 8]


def edge_text(theatre: Theatre, u: str, v: str) -> str:
    """What joins two neighbouring places: road (number and class), railway, river crossing."""
    d = theatre.graph.edges[u, v]
    parts = []
    if d.get("road_class"):
        cls = "highway" if d["road_class"] == "highway" else f"{d['road_class']} road"
        parts.append(f"{cls} {d['road']}" if d.get("road") else cls)
    if d.get("rail"):
        parts.append(f"railway {d['rail_line']}" if d.get("rail_line") else "railway")
    if not parts:
        parts.append("no road")
    cid = d.get("crossing")
    if cid:
        c = theatre.crossings[cid]
        kind = {
            "bridge": "bridge",
            "rail_bridge": "rail bridge",
            "ford": "ford",
            "none": "NO CROSSING (impassable; engineers can build a pontoon)",
        }[c.kind]
        label = c.name if c.kind != "none" else f"the {c.river}"
        parts.append(
            f"crosses the {c.river}: {kind}" + (f" '{label}' [{cid}]" if c.kind != "none" else "")
        )
    return ", ".join(parts)


def landmark(theatre: Theatre, node: str) -> str:
    """Where a place lies, from the nearest town of LANDMARK_POPULATION+ people:
    '12 km N of Sloviansk' ('' for such a town itself)."""
    g = theatre.graph
    d = g.nodes[node]
    if d["population"] >= LANDMARK_POPULATION:
        return ""
    towns = [
        (haversine_km(d["lat"], d["lon"], g.nodes[t]["lat"], g.nodes[t]["lon"]), t)
        for t in theatre.node_ids
        if g.nodes[t]["population"] >= LANDMARK_POPULATION
    ]
    if not towns:
        return ""
    km, town = min(towns)
    t = g.nodes[town]
    return (
        f"{km:.0f} km {bearing(t['lat'], t['lon'], d['lat'], d['lon'])} of "
        f"{t['name'].split(' (')[0]}"
    )


def describe(theatre: Theatre, node: str) -> str:
    """A block of text about one place (see the module docstring)."""
    g = theatre.graph
    d = g.nodes[node]
    names = [d["name"], d["name_uk"]]
    also = [a for a in d.get("aliases", []) if a not in names]
    lines = [f"{node}  {d['name']} · {d['name_uk']}"]
    if also:
        lines.append(f"  also: {', '.join(also)}")
    held = "Russia (RU by default)" if d["country"] == "RU" else "Ukraine (UA by default)"
    where = landmark(theatre, node)
    lines.append(
        f"  {d['lat']:.4f} N {d['lon']:.4f} E"
        + (f" ({where})" if where else "")
        + f" · {d['terrain']} · population {d['population']:,} · in {held}"
    )
    if d.get("added"):
        lines.append(f"  added by the scenario ({d['joined']}) · source: {d['source']}")
    lines.append("  neighbours:")
    nbs = sorted(g.neighbors(node), key=lambda n: g.edges[node, n]["length_km"])
    width = max((len(n) for n in nbs), default=0)
    for nb in nbs:
        e = g.edges[node, nb]
        nd = g.nodes[nb]
        way = bearing(d["lat"], d["lon"], nd["lat"], nd["lon"])
        lines.append(
            f"    {nb:<{width}}  {e['length_km']:5.1f} km {way:<2}  {edge_text(theatre, node, nb)}"
        )
    return "\n".join(lines)


def outside_box(lat: float, lon: float) -> bool:
    """Whether a position lies outside the theatre's box."""
    return not (BOX[0] <= lon <= BOX[2] and BOX[1] <= lat <= BOX[3])
