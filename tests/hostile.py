"""Hostile inputs for the fuzz tests (tests/test_hostile.py) and the long fuzz
(benchmarks/fuzz_hostile.py): every generator takes a `random.Random`, so hypothesis
(`st.randoms()`) and a plain seeded loop drive the same cases.

- `mutate_yaml`: a scenario or sweep file with a value replaced by a hostile YAML token, a line
  dropped, duplicated or cut, or a hostile block appended;
- `mutate_json`: a JSON document (a run record, a sweep.json, a journal row) with a key
  dropped, a value replaced by a hostile one, a list emptied or grown;
- `mutate_bytes`: a file cut short, with bytes flipped or junk inserted;
- `cli_argv`: a command line built from the real commands and flags with mangled values;
- `plant_cache`, `plant_links`, `branch_file_text`, `folder_argv`: a cache folder with damaged,
  foreign, planted or blocking entries, an output folder with symbolic links where files go,
  a hostile branch file, and a command that meets them.
"""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path
from typing import Any

#: The design of the small sweep the hostile-input tests damage: 2 parameter sets x 2 seeds.
TINY_SWEEP = ["--vary", "capture_ratio=1.2,2", "--seeds", "2", "--workers", "1"]

#: YAML tokens that once broke the loader, or could: non-finite and huge numbers, bools where
#: numbers go, dates with offsets or out of range, tags, aliases, unbalanced brackets, deep
#: nesting, long text, path-like ids.
YAML_TOKENS = [
    ".inf",
    "-.inf",
    ".nan",
    "1e400",
    "-1e400",
    "1e308",
    "1e-308",
    "99999999999999999999",
    "18446744073709551616",
    "-1",
    "0",
    "-0.0",
    "true",
    "false",
    "null",
    "~",
    "''",
    '""',
    "2022-09-05T18:00:00+03:00",
    '"2022-09-05T18:00:00+03:00"',
    "2022-09-05T15:00:00Z",
    '"2022-09-05T18:00Z"',
    "0",
    "0000-01-01",
    "2022-02-30",
    "2022-09-05 25:00:00",
    "9999-12-31T23:00:00",
    "1899-12-31T00:00:00",
    '"2101-01-01T00:00"',
    "!!int izium",
    "!!float x",
    "!!bool maybe",
    "!!timestamp nope",
    "!!map 3",
    "!!python/object:os.system ls",
    "!!binary AAAA",
    "*nowhere",
    "&a x",
    "[",
    "{",
    "]",
    "'unterminated",
    '"unterminated',
    "[" * 50 + "]" * 50,
    "{a: {b: {c: 1}}}",
    "[1, 2, 3]",
    "{}",
    "[]",
    "x" * 5000,
    "../../escape",
    "/tmp/escape",
    "a/b",
    "NO",
    "yes",
    "0x1F",
    "0o17",
    "1_000",
    "+.inf",
    "- a",
    "? x",
    "|",
    ">",
    "%TAG",
    "@x",
    "`x",
    "\t",
    "9" * 5000,
    '"\\ud800"',
    '"a\\x00b"',
    '"\\uffff"',
    # valid but extreme or odd values: accepted, they drive the model somewhere unusual
    "0",
    "1",
    "2",
    "0.5",
    "0.0001",
    "10000",
    "200000",
    "1.0",
    "true",
    "false",
    "UA",
    "RU",
    "attack",
    "hold",
    "withdraw",
    "move",
    "reserve",
    "rout",
    "izium",
    "kupiansk",
    "balakliia",
    "2022-09-06T00:00:00",
    "2022-09-05T17:00:00",
    "2022-09-06T05:00:00",
    "armour",
    "artillery",
    "division",
    "company",
    "depot",
    "base",
    "surprise",
    "destroy_bridge",
]
#: JSON values for read-back files.
JSON_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**63,
    2**64,
    10**30,
    1.5,
    -1e308,
    1e308,
    float("nan"),
    float("inf"),
    "",
    "x",
    "x" * 1000,
    "../../../etc/passwd",
    "/abs",
    "2022-09-05T18:00",
    "2022-09-05T18:00+03:00",
    "9999-12-31T23:00",
    "UA",
    "RU",
    "XX",
    "active",
    "rout",
    [],
    [1, 2],
    [None],
    {},
    {"a": 1},
    [[[[[]]]]],
    "\x00",
    "é",
    "\ud800",
]


def _pick(rng: random.Random, seq: list) -> Any:
    return seq[rng.randrange(len(seq))]


# ------------------------------------------------------------------------------------- YAML
_VALUE_LINE = re.compile(r"^(\s*(?:- )?[A-Za-z_][A-Za-z0-9_]*: )(\S.*)$")
_FLOW_VALUE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*: )([^,{}\[\]]+)")


def mutate_yaml(text: str, rng: random.Random, edits: int | None = None) -> str:
    """`text` with 1-3 hostile edits (see the module docstring)."""
    lines = text.splitlines(keepends=True)
    for _ in range(edits if edits is not None else rng.randint(1, 3)):
        if not lines:
            lines = [""]
        op = rng.random()
        i = rng.randrange(len(lines))
        token = _pick(rng, YAML_TOKENS)
        if op < 0.55:  # replace a value (block or flow style) on a line that has one
            candidates = [k for k, ln in enumerate(lines) if ": " in ln]
            if candidates:
                i = _pick(rng, candidates)
            m = _VALUE_LINE.match(lines[i].rstrip("\n"))
            if m:
                lines[i] = f"{m.group(1)}{token}\n"
            else:
                flows = list(_FLOW_VALUE.finditer(lines[i]))
                if flows:
                    f = _pick(rng, flows)
                    lines[i] = lines[i][: f.start(2)] + token + lines[i][f.end(2) :]
        elif op < 0.65:  # drop a line
            del lines[i]
        elif op < 0.75:  # duplicate a line (duplicate keys, repeated ids)
            lines.insert(i, lines[i])
        elif op < 0.82:  # cut the file here
            lines = lines[:i]
        elif op < 0.9:  # a hostile top-level key or block
            lines.append(f"{_pick(rng, ['extra', 'id', 'end', 'units', 'parameters'])}: {token}\n")
        elif op < 0.95:  # an alias bomb
            lines.append(_alias_bomb(rng.randint(3, 9)))
        else:  # break the indentation of a line
            lines[i] = " " * rng.randint(0, 7) + lines[i].lstrip()
    return "".join(lines)


def _alias_bomb(levels: int) -> str:
    out = "bomb0: &b0 [x, x, x, x, x, x, x, x, x]\n"
    for k in range(1, levels):
        out += f"bomb{k}: &b{k} [" + ", ".join([f"*b{k - 1}"] * 9) + "]\n"
    return out


# ------------------------------------------------------------------------------------- JSON
def _paths(obj: Any, prefix: tuple = (), limit: int = 4000) -> list[tuple]:
    """Paths to every value of `obj` (at most `limit`, breadth first)."""
    out, queue = [], [(prefix, obj)]
    while queue and len(out) < limit:
        path, node = queue.pop(0)
        out.append(path)
        if isinstance(node, dict):
            queue += [(path + (k,), v) for k, v in node.items()]
        elif isinstance(node, list):
            step = max(1, len(node) // 20)  # long lists: a sample of items
            queue += [(path + (k,), node[k]) for k in range(0, len(node), step)]
    return out


def mutate_json(obj: Any, rng: random.Random, edits: int | None = None) -> Any:
    """A deep copy of `obj` with 1-3 hostile edits."""
    obj = copy.deepcopy(obj)
    for _ in range(edits if edits is not None else rng.randint(1, 3)):
        paths = [p for p in _paths(obj) if p]
        if not paths:
            return _pick(rng, JSON_VALUES)
        path = _pick(rng, paths)
        parent = obj
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        op = rng.random()
        if op < 0.25 and isinstance(parent, dict):
            del parent[key]
        elif op < 0.35 and isinstance(parent[key], list):
            parent[key] = parent[key][: rng.randrange(len(parent[key]) + 1)]
        elif op < 0.4 and isinstance(parent[key], list) and parent[key]:
            parent[key].append(copy.deepcopy(_pick(rng, parent[key])))
        elif op < 0.45 and isinstance(parent, dict):
            parent[_pick(rng, ["", "x", "units", "frames", "run_key"])] = _pick(rng, JSON_VALUES)
        else:
            parent[key] = copy.deepcopy(_pick(rng, JSON_VALUES))
    return obj


def json_bytes(obj: Any) -> bytes:
    """JSON text as Python writes it (NaN and Infinity included: files in the wild may)."""
    return json.dumps(obj).encode("utf-8", "surrogatepass")


# ------------------------------------------------------------------------------------- bytes
def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """`data` cut short, with bytes flipped, or with junk inserted."""
    op = rng.random()
    if op < 0.4 or not data:
        return data[: rng.randrange(len(data) + 1)]
    b = bytearray(data)
    if op < 0.8:
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    i = rng.randrange(len(b) + 1)
    junk = _pick(rng, [b"\xff\xfe", b"\x00" * 10, b"\n", b'{"', b"\x1f\x8b", bytes(range(256))])
    return bytes(b[:i]) + junk + bytes(b[i:])


# ------------------------------------------------------------------------------------- commands
_SEEDS = [
    "0",
    "1",
    "-1",
    "4294967295",
    "4294967296",
    "99999999999999999999",
    "x",
    "1.5",
    "",
    "0x10",
    "١",
    "9" * 5000,
]
_SIZES = [
    "320x240",
    "1280x800",
    "100000x100000",
    "20000x20000",
    "0x0",
    "x",
    "1e3x800",
    "-5x-5",
    "640X480",
    "²x3",
    "3840x2160",
    "3841x2160",
    "640x",
]
_TIMES = [
    "2022-09-06T06:00",
    "2022-09-06T06:00+03:00",
    "2022-09-06T03:00Z",
    "yesterday",
    "0001-01-01T00:00",
    "9999-12-31T23:00",
    "2022-02-30T00:00",
    "2022-09-06",
]
_SET_VALUES = [
    "inf",
    "-inf",
    "nan",
    "1e-308",
    "1e308",
    "0",
    "-1",
    "true",
    "x",
    "",
    "2",
    "0.5",
    "1e400",
    "9" * 5000,
]
_PARAMS = [
    "speed_highway_kmh",
    "weight_tank",
    "morale_loss_per_casualty",
    "capture_ratio",
    "combat_noise",
    "rout_combat_factor",
    "weight_personnel",
    "march_hours_per_day",
    "capture_ration",
    "",
    "=",
    "speed_main_kmh",
]


def cli_argv(rng: random.Random, scenario: str, folder: str) -> list[str]:
    """A command line: a replay of `scenario` (writing under `folder`) or a subcommand, with
    hostile flag values. Never a window (--headless), never a full GIF/MP4 export."""
    head = rng.random()
    if head < 0.08:
        return [
            _pick(
                rng,
                [
                    "sweeps",
                    "parms",
                    "veiw",
                    "compar",
                    "izium_2022_09",
                    "help",
                    "--help",
                    "-h",
                    "",
                    "x.yaml",
                    "--seed",
                ],
            )
        ]
    if head < 0.14:
        return ["params", *rng.sample(["--markdown", "--help", "--bogus", "x"], rng.randint(0, 2))]
    if head < 0.2:
        return [
            "view",
            _pick(rng, [folder, f"{folder}/nope", "", "/proc", f"{folder}/other"]),
            *_pick(
                rng,
                [
                    [],
                    ["--size", _pick(rng, _SIZES)],
                    ["--at", _pick(rng, _TIMES)],
                    ["--screenshot", f"{folder}/v.jpg"],
                    ["--max-days", "0"],
                    ["--screenshot", f"{folder}/v.png", "--at", _pick(rng, _TIMES)],
                    ["--scenario", scenario, "--screenshot", f"{folder}/v.png"],
                ],
            ),
        ]
    if head < 0.26:
        return [
            "compare",
            _pick(rng, [folder, f"{folder}/runs.parquet", "/proc/self"]),
            *_pick(rng, [[], ["--towns", "x,,y"], ["--no-plots"]]),
        ]
    if head < 0.3:
        return [
            "sweep",
            scenario,
            *_pick(
                rng,
                [
                    ["--seeds", _pick(rng, ["100000000", "0", "-1", "x"]), "--dry-run"],
                    [
                        "--vary",
                        f"capture_ratio={_pick(rng, ['inf,2', '1:inf', 'a,b', '1,1', ''])}",
                        "--dry-run",
                    ],
                    [
                        "--vary",
                        f"capture_ratio={','.join(map(str, range(1, 101)))}",
                        "--vary",
                        f"presence_km={','.join(map(str, range(1, 101)))}",
                        "--vary",
                        f"withdraw_decision_hours={','.join(map(str, range(1, 101)))}",
                        "--dry-run",
                    ],
                    ["--workers", _pick(rng, ["0", "100000", "x"])],
                    ["--first-seed", "4294967295", "--seeds", "2", "--dry-run"],
                    ["--samples", "1000000000000", "--vary", "capture_ratio=1:2", "--dry-run"],
                    ["--max-runs", "-1", "--dry-run"],
                ],
            ),
        ]
    argv = [
        scenario if rng.random() < 0.85 else _pick(rng, [f"{folder}/none.yaml", folder]),
        "--headless",
    ]
    for _ in range(rng.randint(0, 4)):
        flag = rng.random()
        if flag < 0.2:
            argv += ["--seed", _pick(rng, _SEEDS)]
        elif flag < 0.35:
            argv += ["--set", f"{_pick(rng, _PARAMS)}={_pick(rng, _SET_VALUES)}"]
        elif flag < 0.45:
            argv += ["--size", _pick(rng, _SIZES)]
        elif flag < 0.55:
            argv += [
                "--out",
                _pick(
                    rng,
                    [
                        f"{folder}/out",
                        "",
                        f"{folder}/out/summary.json",
                        "/proc/no/such",
                        f"{folder}/other",
                        f"{folder}/\udcff\udcfe",
                    ],
                ),
            ]
        elif flag < 0.62:
            argv += ["--at", _pick(rng, _TIMES)]
        elif flag < 0.7:
            argv += ["--screenshot", f"{folder}/{_pick(rng, ['s.png', 's.jpg', ''])}"]
        elif flag < 0.76:
            argv += ["--record", f"{folder}/{_pick(rng, ['r.avi', 'r.txt', 'r'])}"]
        elif flag < 0.79:
            argv += ["--max-days", _pick(rng, ["0", "-1", "inf", "nan", "x", "0.1", "120"])]
        elif flag < 0.82:
            argv += ["--max-units", _pick(rng, ["0", "-1", "x", "1", "40", "1e3", "\u0662"])]
        elif flag < 0.88:
            argv.append(_pick(rng, ["--compare", "--replace", "--bogus", "-x"]))
        else:
            argv += [_pick(rng, ["--seed", "--set", "--out", "--size"])]  # no value
    return argv


# ------------------------------------------------------------------------------------- values
def mutate_scenario_values(
    data: dict, nodes: list[str], rng: random.Random, edits: int | None = None
) -> dict:
    """A scenario's model_dump() with 1-8 values moved to extremes the schema accepts: a
    unit's holdings at 0 or their bound, morale and supply at 0, units and depots moved
    anywhere on the map, orders and events at any time, surprise windows of up to a year, a
    run of 1 to 48 hours. Every such scenario must run."""
    from datetime import timedelta

    from sim.scenario import MAX_EVENT_HOURS, MAX_ITEMS, MAX_PERSONNEL

    d = copy.deepcopy(data)
    start = d["start"]
    d["end"] = start + timedelta(hours=rng.randint(1, 48))

    def when():
        return start + timedelta(hours=rng.randint(-24, 72))

    for _ in range(edits if edits is not None else rng.randint(1, 8)):
        op = rng.random()
        if op < 0.35 and d["units"]:
            u = _pick(rng, d["units"])
            field = _pick(
                rng,
                [
                    "equipment",
                    "quality",
                    "morale",
                    "supply",
                    "at",
                    "posture",
                    "arrives",
                    "engineers",
                ],
            )
            if field == "equipment":
                item = _pick(rng, ["personnel", "tanks", "ifv_apc", "artillery", "mlrs"])
                top = MAX_PERSONNEL if item == "personnel" else MAX_ITEMS
                u["equipment"][item] = _pick(rng, [0, 1, top, rng.randint(0, top)])
            elif field == "quality":
                u["quality"] = _pick(rng, [1e-9, 0.01, 2.0])
            elif field in ("morale", "supply"):
                u[field] = _pick(rng, [0.0, 1e-9, 1.0])
            elif field == "at":
                u["at"] = _pick(rng, nodes)
            elif field == "posture":
                u["posture"] = _pick(
                    rng, ["attack", "defend", "move", "withdraw", "rout", "reserve"]
                )
            elif field == "arrives":
                u["arrives"] = _pick(rng, [None, when()])
            else:
                u["engineers"] = not u["engineers"]
        elif op < 0.55 and d["orders"]:
            o = _pick(rng, d["orders"])
            o["task"] = _pick(rng, ["move", "attack", "hold", "withdraw", "reserve"])
            o["objective"] = _pick(rng, nodes)
            o["via"] = [_pick(rng, nodes) for _ in range(rng.randint(0, 3))]
            o["start"] = when()
        elif op < 0.7 and d["events"]:
            e = _pick(rng, d["events"])
            e["at"] = when()
            e["probability"] = _pick(rng, [0.0, 1.0, rng.random()])
            if e["kind"] == "surprise":
                e["hours"] = _pick(rng, [1e-6, 1.0, float(MAX_EVENT_HOURS)])
        elif op < 0.8 and d["depots"]:
            dep = _pick(rng, d["depots"])
            dep["at"] = _pick(rng, nodes)
            dep["kind"] = _pick(rng, ["base", "depot", "railhead"])
        elif op < 0.9:
            side = _pick(rng, ["UA", "RU"])
            d["control"]["nodes"][side] = rng.sample(nodes, rng.randint(0, 30))
        else:
            side = _pick(rng, ["UA", "RU"])
            d["fallback"][side] = rng.sample(nodes, rng.randint(0, 3))
    return d


def extreme_parameter(rnd: random.Random, name: str) -> float | bool:
    """A value of model parameter `name` at or just inside one of its bounds, or anywhere in
    its range (a switch: yes or no), as a sweep may pick it."""
    from sim.model.params import Parameters

    if Parameters.model_fields[name].annotation is bool:
        return rnd.choice([True, False])
    low, _, high = Parameters.bounds(name).partition(" to ")
    lo, hi = float(low.lstrip("> ")), float(high.lstrip("< "))
    eps = 1e-9 * max(1.0, abs(hi))
    lo = lo + eps if low.startswith(">") else lo
    hi = hi - eps if high.startswith("<") else hi
    return rnd.choice([lo, hi, rnd.uniform(lo, hi)])


# ------------------------------------------------------------------------------------- folders
#: Names an output folder's writers use (a replay's, a branch's, a sweep's, compare's, their
#: lock and the temporary names of before): a link planted at one must never be written through.
OUTPUT_NAMES = [
    ".lock",
    "summary.json",
    "frames.json.gz",
    "events.csv",
    "history_comparison.csv",
    "whatif.json",
    "base",
    "branch",
    "base/summary.json",
    "journal.jsonl",
    "sweep.json",
    "runs.parquet",
    "runs.parquet.tmp",
    ".summary.json.{pid}.tmp",
    ".frames.json.gz.{pid}.tmp",
    "compare",
]
#: What can be found at a cache entry's name, or instead of the cache folder.
CACHE_DAMAGE = ["bytes", "fifo", "pickle", "writable", "link", "folder", "not_a_folder", "empty"]


class Payload:
    """A pickle that runs code when loaded: it creates the file `marker`."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def plant_cache(rng: random.Random, folder: Path, good: Path, marker: Path) -> tuple[Path, str]:
    """A hostile cache folder in `folder`/cache, from the entries of a good one (`good`): some
    entries damaged, swapped for a FIFO, a pickle that runs code (creating `marker`), one others
    may write or a link; or the folder itself writable by all, or a file. Returns (the folder
    for IZIUM_SIM_CACHE, what was done)."""
    import os
    import pickle
    import shutil

    cache = folder / "cache"
    damage = _pick(rng, CACHE_DAMAGE)
    if damage == "not_a_folder":
        cache.write_bytes(b"x")
        return cache, damage
    cache.mkdir(mode=0o700)
    if damage == "empty":
        return cache, damage
    entries = sorted(p for p in good.iterdir() if p.is_file() and p.suffix == ".izc")
    for p in entries:
        shutil.copy(p, cache / p.name)
    if damage == "folder":
        cache.chmod(0o777)
        return cache, damage
    theatre = [p for p in entries if p.name.startswith("theatre-")]
    hit = rng.sample(entries, min(len(entries), rng.randint(1, 4))) + theatre[:1]
    for p in hit:
        target = cache / p.name
        if damage == "bytes":
            target.write_bytes(mutate_bytes(target.read_bytes(), rng))
        elif damage == "fifo":
            target.unlink()
            os.mkfifo(target)
        elif damage == "pickle":
            target.write_bytes(pickle.dumps(Payload(str(marker))))
            target.with_suffix(".pickle").write_bytes(pickle.dumps(Payload(str(marker))))
        elif damage == "writable":
            target.chmod(0o666)
        else:  # a link to a file elsewhere
            target.unlink()
            target.symlink_to(folder / "victim.txt")
    return cache, damage


def plant_links(rng: random.Random, out: Path, victim: Path, victim_dir: Path) -> list[str]:
    """Symbolic links at 0-3 of an output folder's names (OUTPUT_NAMES), to a file or a folder
    elsewhere. Returns their names."""
    import os

    names = rng.sample(OUTPUT_NAMES, rng.randint(0, 3))
    planted = []
    for name in names:
        path = out / name.format(pid=os.getpid())
        if path.parent.is_symlink() or path.exists() or path.is_symlink():
            continue  # (inside a link planted already)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(victim_dir if rng.random() < 0.4 else victim)
        planted.append(name)
    return planted


def branch_file_text(rng: random.Random, scenario: str) -> str:
    """A branch file on `scenario` (a path), good or with hostile edits: mangled YAML
    (mutate_yaml), repeated reinforcements, a title with terminal escapes, a scenario that is
    a device, lax values."""
    text = (
        "title: What if the bridge held?\n"
        f"scenario: {json.dumps(scenario)}\n"
        "hour: 3\n"
        "seed: 0\n"
        "changes:\n"
        "  - save_bridge: kupiansk_road_bridge\n"
        "  - strength: ua_25_abn\n"
        "    factor: 2\n"
    )
    op = rng.random()
    if op < 0.4:
        return mutate_yaml(text, rng)
    if op < 0.5:
        return text + "  - strength: ua_25_abn\n    factor: 10\n" * rng.randint(2, 40)
    if op < 0.6:
        return text.replace("title: What if the bridge held?", 'title: "\\e[31mRed\\e]0;x\\a"')
    if op < 0.7:
        return text.replace(json.dumps(scenario), _pick(rng, ["/dev/zero", "/dev/null", "/"]))
    if op < 0.8:
        return text.replace("hour: 3", _pick(rng, ["hour: true", "hour: '3'", "hour: 3.0"]))
    return text


def folder_argv(
    rng: random.Random, scenario: str, branch: str, out: str, links: list[str]
) -> list[str]:
    """A command that reads the cache and writes (or would write) into `out`: a replay, a
    branch, a branch's view, a validation, or (into a folder with links, refused before any
    run) a sweep or compare."""
    head = rng.random()
    extra = ["--replace"] if rng.random() < 0.3 else []
    if head < 0.35:
        return [scenario, "--headless", "--out", out, *extra]
    if head < 0.65:
        return ["branch", branch, "--headless", "--out", out, *extra]
    if head < 0.72:
        return ["view", branch, "--screenshot", f"{out}.png", "--size", "640x480"]
    if head < 0.82:
        return ["validate", scenario]
    if head < 0.92 and set(links) & {".lock", "journal.jsonl", "sweep.json", "runs.parquet"}:
        # (refused before any run: a sweep's pool is too slow to start in a fuzz case)
        return ["sweep", scenario, "--vary", "capture_ratio=1.2,2", "--workers", "1", "--out", out]
    return ["compare", out, *(["--no-plots"] if rng.random() < 0.5 else [])]


def folder_case(rng: random.Random, folder: Path, scenario: Path, good_cache: Path) -> int:
    """One case of the folder fuzz, in the empty `folder`: a hostile cache (`plant_cache`,
    the map and scenario read through it), an output folder with links planted
    (`plant_links`), a hostile branch file; then a command that meets them (`folder_argv`),
    in this process. Checks: exit code 0 or 2, no traceback, every stderr line an error,
    warning or progress line, no code from the cache ran, nothing outside the folder was
    written through a link. Returns the exit code."""
    import os

    from clirun import run

    from sim.disk_cache import CACHE_ENV
    from sim.map import theatre

    victim, victim_dir, marker = folder / "victim.txt", folder / "victim_dir", folder / "pwned"
    victim.write_text("precious", encoding="utf-8")
    victim_dir.mkdir()
    (victim_dir / "inside.txt").write_text("precious", encoding="utf-8")
    cache, _ = plant_cache(rng, folder, good_cache, marker)
    out = folder / "out"
    out.mkdir()
    links = plant_links(rng, out, victim, victim_dir)
    branch = folder / "b.yaml"
    branch.write_text(branch_file_text(rng, str(scenario)), encoding="utf-8")
    argv = folder_argv(rng, str(scenario), str(branch), str(out), links)
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(cache)
    theatre._build_default.cache_clear()  # the map too is read through the hostile cache
    try:
        result = run(*argv)
    finally:
        if before is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = before
        theatre._build_default.cache_clear()
    code, err = result.returncode, result.stderr
    assert code in (0, 2), (argv, code, err)
    assert "Traceback" not in err, (argv, err)
    odd = [
        ln
        for ln in err.splitlines()
        if ln and not ln.startswith(("error: ", "warning: ", "sweep: ", "compare: "))
    ]
    assert not odd, (argv, err)
    assert not marker.exists(), "a cache entry ran code"
    assert victim.read_text(encoding="utf-8") == "precious", (argv, links)
    assert sorted(p.name for p in victim_dir.iterdir()) == ["inside.txt"], (argv, links)
    assert (victim_dir / "inside.txt").read_text(encoding="utf-8") == "precious"
    return code
