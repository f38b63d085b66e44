"""Build assets/reference/cdb90_modern.csv, the project's copy of the CDB90 battles it uses.

NOT run by the simulator. It reads the tidy CDB90 (CAA Database of Battles, 1990; tidy version
by Jeffrey B. Arnold, jrnold/CDB90, odc-by; see ../shared/reference/cdb90/SOURCES.md) and
writes one row per battle fought 1939-1973 (the year of its date, `datetime` in
battle_durations.csv: 275 battles) with what benchmarks/cdb90.py compares the combat model
with. Values are copied as the source writes them (blank where it has none); only `terrain`,
`rugged` and `marsh` are derived (below). Re-running reproduces the file exactly
(tests/test_cdb90.py checks it when the shared folder is present).

Usage (from the repo root): python assets/reference/build_cdb90.py [SOURCE_DIR]
(default: ../shared/reference/cdb90 beside the repository).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "reference" / "cdb90"
OUT = HERE / "cdb90_modern.csv"
#: The first and last year of the modern battles (the Second World War to the October War).
FIRST_YEAR, LAST_YEAR = 1939, 1973

#: The columns written, in order, with their meaning (also in assets/README.md).
COLUMNS = {
    "isqno": "CDB90 battle number",
    "name": "battle name",
    "war": "war (CDB90's label)",
    "year": "year of the battle's date (battle_durations.csv `datetime`, its mid-point)",
    "post1": "defender's posture: HD hasty, PD prepared, FD fortified defence, DL delay, "
    "WD withdrawal",
    "terra1": "terrain relief: R rolling, G rugged, F flat (terrain.csv, terrano 1)",
    "terra2": "terrain cover: B bare, M mixed, D desert, W heavily wooded",
    "terra3": "terrain special: M marsh or swamp, U urban, D dunes (blank: none)",
    "terrain": "the model's terrain: urban (terra3 U), forest (terra2 W), else open",
    "rugged": "1 where terra1 is G (rugged): the model has no such terrain",
    "marsh": "1 where terra3 is M (marsh or swamp): the model has no such terrain",
    "wofd_km": "defender's front width at the start, km (front_widths.csv, front_number 1)",
    "wofa_km": "attacker's front width at the start, km (front_number 1)",
    "duration_days": "duration in days (battle_durations.csv `duration1`)",
    "kmda_km": "attacker's advance, km",
    "wina": "winner: 1 attacker, 0 draw, -1 defender (blank: unknown)",
    "str_a": "attacker's personnel",
    "str_d": "defender's personnel",
    "tank_a": "attacker's tanks",
    "tank_d": "defender's tanks",
    "arty_a": "attacker's artillery pieces",
    "arty_d": "defender's artillery pieces",
    "fly_a": "attacker's aircraft sorties",
    "fly_d": "defender's aircraft sorties",
    "cas_a": "attacker's casualties (killed, wounded, missing, captured)",
    "cas_d": "defender's casualties",
}
#: What the model's terrain is for a battle's terrain codes (see `model_terrain`).
URBAN_CODE, FOREST_CODE, RUGGED_CODE, MARSH_CODE = "U", "W", "G", "M"


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def model_terrain(terra2: str, terra3: str) -> str:
    """The model's terrain (open / forest / urban) for a battle: urban where CDB90 says urban,
    forest where it says heavily wooded, open for the rest (rolling, flat, rugged, bare, mixed,
    desert, marsh: the model knows no other terrain; rugged and marsh are kept as flags)."""
    if terra3 == URBAN_CODE:
        return "urban"
    if terra2 == FOREST_CODE:
        return "forest"
    return "open"


def build(source: Path) -> list[dict[str, str]]:
    """The rows of cdb90_modern.csv, in battle order, from the tidy CDB90 in `source`."""
    battles = {r["isqno"]: r for r in read(source / "battles.csv")}
    durations = {r["isqno"]: r for r in read(source / "battle_durations.csv")}
    sides = {(r["isqno"], r["attacker"]): r for r in read(source / "belligerents.csv")}
    fronts = {r["isqno"]: r for r in read(source / "front_widths.csv") if r["front_number"] == "1"}
    terrain = {r["isqno"]: r for r in read(source / "terrain.csv") if r["terrano"] == "1"}
    rows = []
    for isqno, b in sorted(battles.items(), key=lambda kv: int(kv[0])):
        date = durations.get(isqno, {}).get("datetime", "")
        if not date or not FIRST_YEAR <= int(date[:4]) <= LAST_YEAR:
            continue
        att, dfd = sides[(isqno, "1")], sides[(isqno, "0")]
        t = terrain.get(isqno, {})
        f = fronts.get(isqno, {})
        t2, t3 = t.get("terra2", ""), t.get("terra3", "")
        row = {
            "isqno": isqno,
            "name": b["name"],
            "war": b["war"],
            "year": date[:4],
            "post1": b["post1"],
            "terra1": t.get("terra1", ""),
            "terra2": t2,
            "terra3": t3,
            "terrain": model_terrain(t2, t3),
            "rugged": str(int(t.get("terra1") == RUGGED_CODE)),
            "marsh": str(int(t3 == MARSH_CODE)),
            "wofd_km": f.get("wofd", ""),
            "wofa_km": f.get("wofa", ""),
            "duration_days": durations[isqno]["duration1"],
            "kmda_km": b["kmda"],
            "wina": b["wina"],
        }
        for key in ("str", "tank", "arty", "fly", "cas"):
            row[f"{key}_a"], row[f"{key}_d"] = att[key], dfd[key]
        rows.append({c: row[c] for c in COLUMNS})
    return rows


def write(rows: list[dict[str, str]], out: Path = OUT) -> None:
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(COLUMNS), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    if not (source / "battles.csv").is_file():
        print(f"error: {source}: no battles.csv (the tidy CDB90 folder expected)", file=sys.stderr)
        return 2
    rows = build(source)
    write(rows)
    print(f"{OUT.relative_to(REPO)}: {len(rows)} battles")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
