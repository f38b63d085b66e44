"""Replay: everything the viewer needs from a run, independent of a live model.

A `Replay` is built from a `RunRecord` (`Replay.from_run`) or from a saved run folder
(`Replay.load`, reading `frames.json.gz` as written by `sim.runs.report.write_run`). It holds the
frames and precomputed lookups (control per hour as arrays, battles per hour, when units left
the field, the ticker, the timeline marks). It never touches the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from sim.map.theatre import Theatre
from sim.runs.report import read_comparison, read_frames
from sim.safe_io import FileProblem

HOUR = timedelta(hours=1)
#: How a place's holder holds it, the letters of a frame's "hold" (sim/model/rules/front.py,
#: HOLD_LETTERS): no sector of its holder covers it (a gap), a screen, a defence. `Replay.hold`
#: keeps their index: GAP, SCREEN, DEFENCE; NO_HOLD where a frame has no "hold" (an older run).
HOLD_LETTERS = "0sd"
NO_HOLD, GAP, SCREEN, DEFENCE = -1, 0, 1, 2

# Model event kinds shown in the ticker (captions are the scenario's dated, sourced texts).
TICKER_KINDS = (
    "caption",
    "node_taken",
    "bridge_destroyed",
    "surrendered",
    "disbanded",
    "left",
    "rout",
    "withdraw",
    "pontoon_built",
    "depot_destroyed",
    "arrival",
    "surprise",
)


@dataclass(frozen=True)
class Mark:
    """One historical observation on the timeline, with when the run matched it (if known)."""

    date: datetime
    kind: str  # "control" | "area" | "settlements"
    place: str | None
    name: str
    holder: str | None
    sim_date: datetime | None = None
    error_days: float | None = None
    ok: bool | None = None
    until: datetime | None = None  # the end of a window of dates, if the record gives one


@dataclass(frozen=True)
class TickerItem:
    time: datetime
    hour: int
    kind: str
    side: str
    text: str
    node_id: str = ""
    history: bool = False  # a scenario caption (sourced), not a model event


@dataclass
class Replay:
    """A recorded run ready to be drawn. Build with `from_run` or `load`."""

    theatre: Theatre
    title: str
    scenario_id: str
    seed: int
    start: datetime
    times: list[datetime]
    node_ids: list[str]
    units: dict[str, dict[str, Any]]  # id -> static facts (+ "source" from the scenario)
    frames: list[dict[str, Any]]
    ticker: list[TickerItem]
    battles: list[dict[str, Any]]
    marks: list[Mark]
    side_names: dict[str, str] = field(default_factory=dict)
    has_comparison: bool = False
    # derived in __post_init__
    ua_held: np.ndarray = field(init=False, repr=False)  # (frames, theatre nodes) bool
    #: (frames, theatre nodes) int8: GAP, SCREEN or DEFENCE (HOLD_LETTERS), NO_HOLD in a frame
    #: without "hold" (a run recorded before the front was kept)
    hold: np.ndarray = field(init=False, repr=False)
    has_hold: bool = field(init=False, repr=False)
    battles_at: dict[int, list[dict]] = field(init=False, repr=False)
    gone_since: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index = {n: i for i, n in enumerate(self.node_ids)}
        order = np.array([index[n] for n in self.theatre.node_ids])
        codes = np.array(
            [np.frombuffer(f["control"].encode(), dtype=np.uint8) for f in self.frames]
        )
        self.ua_held = (codes == ord("U"))[:, order]
        lookup = np.full(256, NO_HOLD, dtype=np.int8)
        for level, letter in enumerate(HOLD_LETTERS):
            lookup[ord(letter)] = level
        none = np.full(len(self.node_ids), ord("?"), dtype=np.uint8)  # any byte not a letter
        self.hold = lookup[
            np.array(
                [
                    np.frombuffer(f["hold"].encode(), dtype=np.uint8) if "hold" in f else none
                    for f in self.frames
                ]
            ).reshape(len(self.frames), len(self.node_ids))
        ][:, order]
        self.has_hold = bool((self.hold != NO_HOLD).any())  # some frame records it
        self.battles_at = {}
        for b in self.battles:
            k = self.hour_of(datetime.fromisoformat(b["time"]))
            self.battles_at.setdefault(k, []).append(b)
        self.gone_since = {}
        for k, f in enumerate(self.frames):
            for u in f["units"]:
                if u["status"] != "active" and u["id"] not in self.gone_since:
                    self.gone_since[u["id"]] = k
        self._unit_maps: dict[int, dict[str, dict]] = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_run(cls, record, theatre: Theatre, scenario, comparison=None) -> Replay:
        """From a `RunRecord` (and optionally `sim.runs.history.compare(record, scenario)`)."""
        return cls._build(
            theatre,
            scenario,
            title=record.title,
            scenario_id=record.scenario_id,
            seed=record.seed,
            start=record.start,
            node_ids=list(record.node_ids),
            units=record.units,
            frames=record.frames,
            events=record.events,
            battles=record.battles,
            comparison=comparison,
        )

    @classmethod
    def load(cls, run_dir: Path | str, theatre: Theatre, scenario, comparison=None) -> Replay:
        """From a saved run folder (`runs/<id>_seed<N>/frames.json.gz`), without re-simulating.

        If `comparison` is None and the folder holds `history_comparison.csv` (written by
        `--compare`), its rows are read for the timeline. Raises FileProblem (one line) if a
        file is damaged, was recorded on another version of the map, or the comparison is not
        of this scenario's history block."""
        run_dir = Path(run_dir)
        return cls.from_saved(read_frames(run_dir), run_dir, theatre, scenario, comparison)

    @classmethod
    def from_saved(
        cls, d: dict, run_dir: Path, theatre: Theatre, scenario, comparison=None
    ) -> Replay:
        """From the record `sim.runs.report.read_frames(run_dir)` returned (see `load`)."""
        frames_path = run_dir / "frames.json.gz"
        if set(d["node_ids"]) != set(theatre.node_ids):
            raise FileProblem(
                frames_path,
                "recorded on another version of the map (its nodes "
                "differ from assets/map): replay the scenario again to view it",
            )
        if comparison is None and (run_dir / "history_comparison.csv").exists():
            path = run_dir / "history_comparison.csv"
            comparison = read_comparison(path)
            _check_comparison_matches(comparison, scenario, path)
        return cls._build(
            theatre,
            scenario,
            title=d["title"],
            scenario_id=d["scenario"],
            seed=d["seed"],
            start=datetime.fromisoformat(d["start"]),
            node_ids=d["node_ids"],
            units=d["units"],
            frames=d["frames"],
            events=d["events"],
            battles=d["battles"],
            comparison=comparison,
        )

    @classmethod
    def _build(
        cls,
        theatre,
        scenario,
        *,
        title,
        scenario_id,
        seed,
        start,
        node_ids,
        units,
        frames,
        events,
        battles,
        comparison,
    ) -> Replay:
        times = [datetime.fromisoformat(f["time"]) for f in frames]
        sources = {u.id: u.source for u in getattr(scenario, "units", [])}
        unit_facts = {u["id"]: {**u, "source": sources.get(u["id"], "")} for u in units}
        side_names = {s: spec.name for s, spec in getattr(scenario, "sides", {}).items()}

        def hour(t: datetime) -> int:
            return int((t - start) / HOUR)

        ticker = []
        seen_captions = set()
        for e in events:
            if e["kind"] not in TICKER_KINDS or not e.get("text"):
                continue
            t = datetime.fromisoformat(e["time"])
            if e["kind"] == "caption":
                seen_captions.add(e["text"])
            ticker.append(
                TickerItem(
                    t,
                    hour(t),
                    e["kind"],
                    e.get("side", ""),
                    e["text"],
                    e.get("node_id", ""),
                    history=e["kind"] == "caption",
                )
            )
        for ev in getattr(scenario, "events", []):
            if ev.kind == "caption" and ev.text not in seen_captions:
                ticker.append(
                    TickerItem(ev.at, hour(ev.at), "caption", ev.side or "", ev.text, history=True)
                )
        ticker.sort(key=lambda i: (i.time, not i.history))
        marks = (
            _marks_from_comparison(comparison, theatre)
            if comparison is not None
            else _marks_from_history(scenario, theatre)
        )
        return cls(
            theatre=theatre,
            title=title,
            scenario_id=scenario_id,
            seed=seed,
            start=start,
            times=times,
            node_ids=list(node_ids),
            units=unit_facts,
            frames=frames,
            ticker=ticker,
            battles=list(battles),
            marks=marks,
            side_names=side_names,
            has_comparison=comparison is not None,
        )

    # ------------------------------------------------------------------ lookups
    @property
    def hours(self) -> int:
        return len(self.frames) - 1

    @property
    def end(self) -> datetime:
        return self.times[-1]

    def hour_of(self, when: datetime) -> int:
        """Index of the recorded hour at or before `when`, clamped to the run."""
        return min(max(int((when - self.start) / HOUR), 0), self.hours)

    def time_at(self, t: float) -> datetime:
        return self.start + timedelta(hours=t)

    def units_at(self, k: int) -> dict[str, dict]:
        """Unit id -> snapshot at hour k (cached)."""
        m = self._unit_maps.get(k)
        if m is None:
            if len(self._unit_maps) > 64:
                self._unit_maps.clear()
            m = {u["id"]: u for u in self.frames[k]["units"]}
            self._unit_maps[k] = m
        return m

    def hold_at(self, k: int) -> np.ndarray | None:
        """How each place (theatre order) is held at hour k (GAP, SCREEN, DEFENCE), or None if
        the frame does not say (a run recorded before the front was kept)."""
        row = self.hold[k]
        return None if (row == NO_HOLD).any() else row

    def crossings_at(self, k: int) -> dict[str, str]:
        return self.frames[k].get("crossings", {})

    def node_name(self, node: str | None) -> str:
        if not node:
            return ""
        g = self.theatre.graph
        return g.nodes[node]["name"] if node in g else node


def _get(row, name, default=None):
    if isinstance(row, dict):
        return row.get(name, default)
    return getattr(row, name, default)


def _as_datetime(v) -> datetime | None:
    if v in (None, ""):
        return None
    if isinstance(v, datetime):
        return v
    try:
        return datetime.fromisoformat(str(v))
    except ValueError:
        return None


def _as_float(v) -> float | None:
    try:
        return None if v in (None, "") else float(v)
    except (TypeError, ValueError):
        return None


def _as_bool(v) -> bool | None:
    if v in (None, ""):
        return None
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes", "ok")
    return bool(v)


def _marks_from_comparison(comparison, theatre) -> list[Mark]:
    rows = _get(comparison, "rows", comparison) or []
    out = []
    for r in rows:
        date = _as_datetime(_get(r, "date"))
        if date is None:
            continue
        place = _get(r, "place") or None
        name = _get(r, "name") or (
            theatre.graph.nodes[place]["name"] if place in theatre.graph else ""
        )
        out.append(
            Mark(
                date,
                str(_get(r, "kind", "control")),
                place,
                str(name),
                _get(r, "holder") or None,
                _as_datetime(_get(r, "sim_date")),
                _as_float(_get(r, "error_days")),
                _as_bool(_get(r, "ok")),
                _as_datetime(_get(r, "until")),
            )
        )
    return sorted(out, key=lambda m: m.date)


def _marks_from_history(scenario, theatre) -> list[Mark]:
    out = []
    for o in getattr(scenario, "history", []):
        if o.place is not None:
            try:
                node = o.place if o.place in theatre.graph else theatre.resolve(o.place)
            except KeyError:
                node = None
            name = theatre.graph.nodes[node]["name"] if node else o.place
            out.append(Mark(o.date, "control", node, name, o.holder, until=o.until))
        elif o.area_km2 is not None:
            out.append(
                Mark(o.date, "area", None, f"{o.side} {o.relation} {o.area_km2:,.0f} km²", o.side)
            )
        else:
            out.append(
                Mark(
                    o.date,
                    "settlements",
                    None,
                    f"{o.side} {o.relation} {o.settlements} settlements",
                    o.side,
                )
            )
    return sorted(out, key=lambda m: m.date)


def _check_comparison_matches(rows: list[dict], scenario, path: Path) -> None:
    """A history_comparison.csv must be of this scenario's history block (a folder reused for
    another scenario once kept a stale one, and the timeline showed another operation)."""
    known = {o.date.isoformat(timespec="minutes") for o in getattr(scenario, "history", [])}
    stray = [r["date"] for r in rows if r["date"] not in known]
    if stray:
        raise FileProblem(
            path,
            f"an observation dated {stray[0]} is not in the history block "
            f"of {getattr(scenario, 'id', 'the scenario')}: the comparison is of "
            "another run (delete it, or replay with --compare)",
        )
