"""What the viewer's what-if panel asks (sim/view/whatif_panel.py): the menu of the changes a
branch can make and, for each, its questions in turn (a list of options to choose from, or a
value to type) until the answers make a `Change` (sim/whatif/branch.py); and a change in words.

Nothing here holds state or draws: `next_question` reads the answers given so far and the
replay at the branch hour, and returns the next `Step` or the finished `Change`. The panel
keeps the answers, turns keys and clicks into them, and draws the steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.model.params import DOCTRINE_PARAMETERS, Parameters
from sim.scenario import SIDES
from sim.whatif.branch import BRIDGE_KINDS, Change

if TYPE_CHECKING:
    from sim.scenario import Scenario
    from sim.view.replay import Replay

#: The kinds of change, in the menu's order (keys 1-6), with their menu lines.
MENU = [
    ("bridge", "Bridge: save it, or destroy it now"),
    ("strength", "Unit: reinforce or weaken"),
    ("hold", "Unit: hold where it stands, or release it as a reserve"),
    ("objective", "Unit: a new objective (attack or move)"),
    ("withdrawal", "A side's withdrawal doctrine on or off"),
    ("parameter", "A model parameter"),
]
#: The strength factors offered for a unit (men and equipment times the factor).
FACTORS = (0.25, 0.5, 0.75, 1.5, 2.0, 3.0)


@dataclass(frozen=True)
class Option:
    """One line of a list: what it says, what choosing it gives, and a note on the right."""

    label: str
    value: Any
    note: str = ""


@dataclass
class Step:
    """What the panel asks for now: a choice from a list (`options`, filtered by typing) or a
    typed value (`options` empty). `pick` says what a click on the map may choose instead."""

    prompt: str
    options: list[Option]
    pick: str | None = None  # "unit" | "place" | "bridge"
    typed: str = ""  # a typed value's text (options empty)
    fresh: bool = True  # the typed text is the current value: the first key replaces it


class Refused(Exception):
    """An answer that cannot be taken (its message says why): the question is asked again."""


@dataclass(frozen=True)
class Asking:
    """What the questions are about: the base run's replay and the branch hour, the unit
    clicked before the panel opened (offered first), and the base run's scenario and
    parameters (each side's doctrine values over them: `params_of`)."""

    replay: Replay
    hour: int
    scenario: Scenario
    params: Parameters
    selected: str | None = None

    def params_of(self, side: str = SIDES[0]) -> Parameters:
        """The parameters `side` runs with in the base run."""
        return self.scenario.side_parameters(self.params)[side]

    def name(self, value: str) -> str:
        return name_of(self.replay, value)


def name_of(replay: Replay, value: str) -> str:
    """The display name of a unit, bridge or place id."""
    if value in replay.units:
        return replay.units[value]["name"]
    if value in replay.theatre.crossings:
        return replay.theatre.crossings[value].name
    return replay.node_name(value)


# ---------------------------------------------------------------------------------- the lists
def unit_options(replay: Replay, hour: int, selected: str | None = None) -> list[Option]:
    """The units on the map at `hour`, by side then name (`selected` first if it is one)."""
    snaps = replay.units_at(hour)
    out = []
    for uid, snap in snaps.items():
        if snap["status"] != "active":
            continue
        facts = replay.units[uid]
        where = replay.node_name(snap["node"])
        out.append(Option(facts["name"], uid, f"{facts['side']} · {where}"))
    out.sort(key=lambda o: (o.note[:2], o.label))
    if selected in {o.value for o in out}:  # the unit clicked before pressing w
        first = next(o for o in out if o.value == selected)
        out = [first, *[o for o in out if o is not first]]
    return out


def bridge_options(replay: Replay, hour: int) -> list[Option]:
    """Every bridge of the map, by name, with its state at `hour`."""
    th = replay.theatre
    states = replay.crossings_at(hour)
    return sorted(
        (
            Option(c.name, cid, states.get(cid, "intact"))
            for cid, c in th.crossings.items()
            if c.kind in BRIDGE_KINDS
        ),
        key=lambda o: o.label,
    )


def place_options(replay: Replay) -> list[Option]:
    """Every place of the map, the most populous first, with its population."""
    g = replay.theatre.graph
    nodes = sorted(g.nodes, key=lambda n: (-g.nodes[n]["population"], g.nodes[n]["name"]))
    return [Option(g.nodes[n]["name"], n, f"{g.nodes[n]['population']:,}") for n in nodes]


def _which_unit(at: Asking) -> Step:
    return Step(
        "Which unit? Type to filter, or click it on the map",
        unit_options(at.replay, at.hour, at.selected),
        pick="unit",
    )


# ---------------------------------------------------------------------------------- the flows
def next_question(kind: str | None, answers: list[Any], at: Asking) -> Step | Change | None:
    """The next question of the flow `kind` (a MENU kind) after `answers`, or the `Change`
    they make (None for no flow). Raises Refused for an answer that cannot be taken (the
    last answer is to be dropped and the question asked again)."""
    a = answers
    if kind == "bridge":
        if not a:
            return Step(
                "Which bridge? Type to filter, or click it on the map",
                bridge_options(at.replay, at.hour),
                pick="bridge",
            )
        if len(a) == 1:
            state = at.replay.crossings_at(at.hour).get(a[0], "intact")
            opts = [Option("Cannot be destroyed (it holds)", "save")] if state == "intact" else []
            if state in ("intact", "pontoon"):
                opts.append(Option("Destroyed now", "destroy"))
            if not opts:
                raise Refused("That bridge is already down at this hour.")
            return Step(f"{at.name(a[0])} ({state}):", opts)
        return Change(**{f"{a[1]}_bridge": a[0]})
    if kind == "strength":
        if not a:
            return _which_unit(at)
        if len(a) == 1:
            return Step(
                f"{at.name(a[0])}: its men and equipment times",
                [Option(f"×{f:g}", f, "reinforce" if f > 1 else "weaken") for f in FACTORS],
            )
        return Change(strength=a[0], factor=a[1])
    if kind == "hold":
        if not a:
            return _which_unit(at)
        if len(a) == 1:
            return Step(
                f"{at.name(a[0])}:",
                [
                    Option("Hold where it stands", "hold"),
                    Option("Release it to its commander as a reserve", "release"),
                ],
            )
        return Change(**{a[1]: a[0]})
    if kind == "objective":
        if not a:
            return _which_unit(at)
        if len(a) == 1:
            return Step(
                f"{at.name(a[0])}:",
                [
                    Option("Attack (fights its way)", "attack"),
                    Option("Move (avoids the enemy)", "move"),
                ],
            )
        if len(a) == 2:
            return Step(
                f"{a[1].title()} where? Click the place on the map, or type its name",
                place_options(at.replay),
                pick="place",
            )
        return Change(**{a[1]: a[0], "to": [a[2]]})
    if kind == "withdrawal":
        if not a:
            opts = []
            for side in SIDES:
                on = at.params_of(side).withdrawal_doctrine
                what = "never withdraws" if on else "withdraws when threatened"
                opts.append(
                    Option(f"{side} {what}", (side, not on), f"now: {'on' if on else 'off'}")
                )
            return Step("A side's withdrawal doctrine:", opts)
        return Change(withdrawal=a[0][0], on=a[0][1])
    if kind == "parameter":
        if not a:
            p = at.params_of()
            return Step(
                "Which parameter? Type to filter (python run.py params explains them)",
                [Option(n, n, f"{getattr(p, n)}") for n in Parameters.model_fields],
            )
        if len(a) == 1:
            return Step(
                f"{a[0]} (now {getattr(at.params_of(), a[0])}): type the new value, then Enter",
                [],
                typed=str(getattr(at.params_of(), a[0])),
            )
        if len(a) == 2 and a[0] in DOCTRINE_PARAMETERS:
            return Step(
                f"{a[0]} = {a[1]} for:",
                [Option("Both sides", None), Option("UA only", "UA"), Option("RU only", "RU")],
            )
        return Change(parameter=a[0], value=a[1], side=a[2] if len(a) > 2 else None)
    return None


def describe(ch: Change, name: Callable[[str], str]) -> str:
    """A change in words before it is made (`name`: id -> display name)."""
    k, s = ch.kind, ch.subject
    if k == "parameter":
        return f"{(ch.side + ' ') if ch.side else ''}{s} = {ch.value}"
    if k == "strength":
        assert ch.factor is not None  # `Change` requires factor: with strength:
        return f"{name(s)} {'reinforced' if ch.factor > 1 else 'weakened'} to ×{ch.factor:g}"
    if k == "hold":
        return f"{name(s)} holds where it stands"
    if k == "release":
        return f"{name(s)} is released as a reserve"
    if k in ("attack", "move"):
        assert ch.to is not None  # `Change` requires to: with attack: and move:
        return f"{name(s)} ordered to {k} {' then '.join(name(n) for n in ch.to)}"
    if k == "destroy_bridge":
        return f"{name(s)} destroyed"
    if k == "save_bridge":
        return f"{name(s)} cannot be destroyed"
    return f"{s} {'withdraws when threatened' if ch.on else 'never withdraws'}"
