"""Small hand-built theatres and scenarios for testing the rules in isolation, and a shipped
scenario with a situation set up by hand (a bridge struck at a given hour): for the tests of
what the viewer and the what-ifs do with a situation, not of when a run happens to reach it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import networkx as nx
import numpy as np

from sim.map.theatre import Crossing, Territory, Theatre, _norm
from sim.scenario import Event, Scenario

KM_PER_DEG_LAT = 111.2
START = datetime(2022, 9, 6, 0, 0)
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
#: The scenarios the project ships (every file in scenarios/ but the template), by id: tests
#: that check "every shipped scenario" take them from here, so a new file is covered at once.
SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.yaml") if p.name != "TEMPLATE.yaml")


def march_with_two_warnings(folder: Path) -> Path:
    """A copy of the March scenario, in `folder`, as it was before its data fix: a Russian
    railhead, and a Russian arrival, at Kupiansk-Vuzlovyi, which is Ukrainian at the start (two
    warnings, for the tests of how warnings are reported: the shipped files have none)."""
    text = (SCENARIOS / "izium_2022_03.yaml").read_text(encoding="utf-8")
    depot = (
        "  - id: ru_kupiansk_railhead\n    side: RU\n    at: kupiansk_vuzlovyi\n"
        '    kind: railhead\n    source: "KIKV"\n'
    )
    text = text.replace("  - id: ua_kharkiv\n", depot + "  - id: ua_kharkiv\n", 1)
    arrival = "    at: urazovo\n    arrives: 2022-03-10T00:00:00\n"
    assert text.count(arrival) == 1
    text = text.replace(arrival, arrival.replace("urazovo", "kupiansk_vuzlovyi"))
    path = folder / "march_warned.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def toy_theatre(
    nodes: dict[str, tuple[float, float]],
    edges: list[tuple],
    terrain: dict[str, str] | None = None,
    crossings: dict[str, str] | None = None,
) -> Theatre:
    """A theatre from node positions in km and edges (u, v, length_km, road_class[, crossing]).

    `crossings` maps a crossing id to its kind ("bridge", "ford", "none"); an edge names the
    crossing id as its fifth element.
    """
    g = nx.Graph()
    for n, (x, y) in nodes.items():
        g.add_node(
            n,
            name=n.title(),
            name_uk=n,
            x_km=x,
            y_km=y,
            lat=49.0 + y / KM_PER_DEG_LAT,
            lon=37.0 + x / 73.0,
            population=1000,
            terrain=(terrain or {}).get(n, "open"),
            country="UA",
            area_km2=100.0,
            source="test",
        )
    cross: dict[str, Crossing] = {}
    for e in edges:
        u, v, length, road_class = e[:4]
        cid = e[4] if len(e) > 4 else None
        g.add_edge(
            u,
            v,
            length_km=float(length),
            road_class=road_class,
            road=None,
            rail=False,
            crossing=cid,
            river="Test river" if cid else None,
        )
        if cid:
            cross[cid] = Crossing(
                cid,
                cid.replace("_", " "),
                "Test river",
                (crossings or {}).get(cid, "bridge"),
                u,
                v,
                "test",
            )
    ids = list(nodes)
    territory = Territory(
        np.zeros(1), np.zeros(1), np.zeros((1, 1), dtype=np.int32), np.ones((1, 1))
    )
    theatre = Theatre(
        graph=g, node_ids=ids, crossings=cross, rivers={}, water={}, border=[], territory=territory
    )
    for n in ids:  # the name index build_theatre() makes for resolve()
        for key in {n, g.nodes[n]["name"]}:
            theatre._names.setdefault(_norm(key), []).append(n)
    return theatre


def toy_scenario(
    units: list[dict],
    *,
    hours: int = 72,
    orders: list[dict] | None = None,
    depots: list[dict] | None = None,
    events: list[dict] | None = None,
    control: dict | None = None,
    fallback: dict | None = None,
    parameters: dict | None = None,
    history: list[dict] | None = None,
    **extra: object,
) -> Scenario:
    """A scenario dict with sensible defaults around the given units (`extra`: other top-level
    fields as written, e.g. phases=[...])."""
    base_unit = {
        "type": "mechanised",
        "echelon": "battalion",
        "source": "test",
        "morale": 1.0,
        "posture": "defend",
    }
    return Scenario.model_validate(
        {
            "id": "toy",
            "title": "Toy",
            "start": START,
            "end": START.replace(day=START.day + hours // 24, hour=hours % 24),
            "sources": [{"key": "T", "cite": "test"}],
            "sides": {"UA": {"name": "UA"}, "RU": {"name": "RU"}},
            "units": [{**base_unit, **u} for u in units],
            "orders": [{"source": "test", "start": START, **o} for o in (orders or [])],
            "depots": [{"source": "test", "kind": "depot", **d} for d in (depots or [])],
            "events": [{"source": "test", **e} for e in (events or [])],
            "control": control or {},
            "fallback": fallback or {},
            "parameters": parameters or {},
            "history": [{"source": "test", **h} for h in (history or [])],
            **extra,
        }
    )


def with_strike(scenario: Scenario, crossing: str, hour: int) -> Scenario:
    """A copy of `scenario` in which `crossing` is struck `hour` hours after the start, for
    certain: probability 1, so the run draws nothing more and is the scenario's own until
    then. A test about a destroyed bridge sets it up so, rather than relying on a demolition
    that happens to come in some seed."""
    strike = Event(
        at=scenario.start + timedelta(hours=hour),
        kind="destroy_bridge",
        target=crossing,
        text="a test's strike",
        source="test",
    )
    return scenario.model_copy(update={"events": [*scenario.events, strike]})
