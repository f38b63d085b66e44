"""The viewer's what-if panel: `w` at any hour opens a menu of the changes a branch can make;
choose one, pick what it applies to (from a list you can type into, or by clicking the map),
and Enter runs the branch in the background (sim/view/whatif_job.py).

    1  Bridge: save it (cannot be destroyed) or destroy it now
    2  Unit: reinforce or weaken
    3  Unit: hold where it stands, or release it to its commander as a reserve
    4  Unit: a new objective (attack or move), picked on the map
    5  A side's withdrawal doctrine on or off
    6  A model parameter (python run.py params lists them)

Several changes may go into one branch (`a` adds another). With a what-if on screen the menu
also offers `s` (save it as a branch file in the current folder: python run.py view FILE opens
it again) and `c` (clear it). The panel turns keys and clicks into `Change`s
(sim/whatif/branch.py) and draws itself; it never changes the replay. The questions it asks, in
turn, and their lists are in sim/view/whatif_options.py; the bar that shows a what-if being
simulated in sim/view/whatif_draw.py.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pygame

from sim.model.params import Parameters
from sim.view.panels import INK, MUTED, PANEL, RULE, WHATIF, WHATIF_INK, text, wrap
from sim.view.whatif_options import (
    MENU,
    Asking,
    Option,
    Refused,
    Step,
    describe,
    name_of,
    next_question,
)
from sim.whatif.branch import Change

if TYPE_CHECKING:
    from sim.view.render import Layout, Renderer, ViewState
    from sim.view.whatif_job import Brancher

PICK_PX = 24  # a map click picks the nearest place or bridge within this many pixels (x ui)
ROWS = 12  # list rows shown at once


class WhatIfPanel:
    """The what-if menu and forms (see the module docstring)."""

    def __init__(self, brancher: Brancher, renderer: Renderer):
        self.brancher = brancher
        self.renderer = renderer
        self.open = False
        self.hour = 0
        self.kind: str | None = None
        self.answers: list[Any] = []
        self.step: Step | None = None
        self.query = ""
        self.index = 0
        self.changes: list[Change] = []
        self.message = ""
        self.hit_rows: list[tuple[pygame.Rect, int]] = []
        self.box: pygame.Rect | None = None
        self.selected: str | None = None

    # ------------------------------------------------------------------ state
    @property
    def replay(self):
        return self.renderer.replay

    def open_at(self, hour: int, selected: str | None = None) -> None:
        """Open the menu at `hour` (`selected`: a unit already clicked, offered first)."""
        self.open, self.hour = True, hour
        self.changes, self.message = [], ""
        self.selected = selected
        self._menu()

    def close(self) -> None:
        self.open, self.step, self.kind = False, None, None

    def _menu(self) -> None:
        self.kind, self.answers, self.query, self.index = None, [], "", 0
        opts = [Option(f"{i + 1}  {label}", kind) for i, (kind, label) in enumerate(MENU)]
        self.step = Step(f"What if, at {self._when()}?", opts)

    def _when(self) -> str:
        t = self.replay.time_at(self.hour)
        return f"{t.day} {t:%b %H:%M}"

    @property
    def options(self) -> list[Option]:
        """The current step's options that match what has been typed."""
        if self.step is None:
            return []
        q = self.query.strip().lower()
        if not q or self.step.typed or self.kind is None:
            return self.step.options
        return [o for o in self.step.options if q in o.label.lower() or q in str(o.value).lower()]

    @property
    def map_pick(self) -> str | None:
        return self.step.pick if self.open and self.step else None

    # ------------------------------------------------------------------ the flows
    def _asking(self) -> Asking:
        """What the questions are about now (sim/view/whatif_options.py)."""
        b = self.brancher
        return Asking(self.replay, self.hour, b.scenario, b.params, self.selected)

    def _next(self) -> None:
        """Ask the next question of the current flow, or finish its change."""
        self.query, self.index, self.message = "", 0, ""
        try:
            asked = next_question(self.kind, self.answers, self._asking())
        except Refused as why:  # ask again (asking clears the message: set it after)
            self.answers.pop()
            self._next()
            self.message = str(why)
            return
        if isinstance(asked, Change):
            self.changes.append(asked)
            self.kind, self.answers, self.step = "ready", [], Step("Ready", [])
        else:
            self.step = asked

    def name(self, value: str) -> str:
        """The display name of a unit, bridge or place id."""
        return name_of(self.replay, value)

    def choose(self, option: Option) -> None:
        if self.kind is None:
            self.kind = option.value
        else:
            self.answers.append(option.value)
        self._next()

    def _typed_value(self, step: Step) -> None:
        """The value typed into `step` (a parameter's), checked; it answers the step."""
        name = self.answers[0]
        raw = step.typed.strip()
        try:
            now = self._asking().params_of().model_dump()
            value = getattr(Parameters(**{**now, name: raw}), name)
        except Exception as e:  # noqa: BLE001 - pydantic's message shown in the panel
            errs = getattr(e, "errors", None)
            self.message = errs()[0]["msg"] if errs else str(e)
            return
        self.answers.append(value)
        self._next()

    # ------------------------------------------------------------------ input
    def handle(self, ev, state: ViewState) -> str | None:
        """One event while the panel is open. Returns "run" when the branch should start,
        "save" / "clear" for those menu entries, else None."""
        if ev.type == pygame.TEXTINPUT:
            return self._text(ev.text, state)
        if ev.type == pygame.MOUSEWHEEL:
            self.index = max(0, min(len(self.options) - 1, self.index - ev.y))
            return None
        if ev.type == pygame.MOUSEBUTTONDOWN and ev.button == 1 and self.box is not None:
            for rect, i in self.hit_rows:
                if rect.collidepoint(ev.pos):
                    self.index = i
                    self.choose(self.options[i])
                    return None
            return None
        if ev.type != pygame.KEYDOWN:
            return None
        key = ev.key
        if key == pygame.K_ESCAPE:
            if self.kind not in (None, "ready"):
                self._menu() if not self.changes else self._ready()
            else:
                self.close()
            return None
        if key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            if self.kind == "ready" or (self.kind is None and self.changes):
                return "run"
            if self.step and not self.step.options:
                self._typed_value(self.step)
            elif self.options:
                self.choose(self.options[min(self.index, len(self.options) - 1)])
            return None
        if key == pygame.K_BACKSPACE:
            if self.step and not self.step.options and self.kind == "parameter":
                self.step.typed = "" if self.step.fresh else self.step.typed[:-1]
                self.step.fresh = False
            elif self.query:
                self.query = self.query[:-1]
            elif self.kind in (None, "ready") and self.changes:
                self.changes.pop()
                if not self.changes:
                    self._menu()
            elif self.answers:
                self.answers.pop()
                self._next()
            elif self.kind is not None:
                self._menu() if not self.changes else self._ready()
            return None
        if key in (pygame.K_DOWN, pygame.K_UP, pygame.K_PAGEDOWN, pygame.K_PAGEUP):
            move = {
                pygame.K_DOWN: 1,
                pygame.K_UP: -1,
                pygame.K_PAGEDOWN: ROWS,
                pygame.K_PAGEUP: -ROWS,
            }[key]
            self.index = max(0, min(len(self.options) - 1, self.index + move))
        return None

    def _ready(self) -> None:
        self.kind, self.answers, self.step, self.query = "ready", [], Step("Ready", []), ""

    def texts(self) -> list[str]:
        """The changes composed so far, in words."""
        return [describe(ch, self.name) for ch in self.changes]

    def failed(self, hour: int, changes: list[Change], message: str) -> None:
        """Open again with the changes of a what-if that could not be made, and why."""
        self.open_at(hour)
        self.changes = list(changes)
        self._ready()
        self.message = message

    def _text(self, s: str, state: ViewState) -> str | None:
        if self.kind is None:  # the menu: digits choose, s and c act on the what-if shown
            if s.isdigit() and 1 <= int(s) <= len(MENU):
                self.kind = MENU[int(s) - 1][0]
                self._next()
            elif s == "s" and self.renderer.branch is not None:
                return "save"
            elif s == "c" and self.renderer.branch is not None:
                return "clear"
            return None
        if self.kind == "ready":
            if s == "a":
                self._menu()
            return None
        if self.step and not self.step.options and self.kind == "parameter":
            if self.step.fresh:
                self.step.typed, self.step.fresh = "", False
            if len(self.step.typed) < 24:
                self.step.typed += s
            return None
        if len(self.query) < 30:
            self.query += s
            self.index = 0
        return None

    def pick_from_map(self, pos, layout: Layout, state: ViewState) -> bool:
        """A click on the map while the panel asks for a unit, place or bridge; True if it
        chose one."""
        kind, step = self.map_pick, self.step
        if kind is None or step is None:  # not asking for anything on the map
            return False
        vp = self.renderer.viewport(layout, state)
        if kind == "unit":
            from sim.view.placement import unit_placements

            hit = None
            for uid, _snap, rect, _spot in unit_placements(self.replay, state.t, vp, layout.ui):
                if rect.inflate(6, 14).collidepoint(pos):
                    hit = uid
            if hit is not None and any(o.value == hit for o in step.options):
                self.answers.append(hit)
                self._next()
                return True
            return False
        best, dist = None, PICK_PX * layout.ui
        g = self.replay.theatre.graph
        if kind == "place":
            for n, d in g.nodes(data=True):
                x, y = vp.to_px(d["x_km"], d["y_km"])
                if math.dist((x, y), pos) < dist:
                    best, dist = n, math.dist((x, y), pos)
        elif kind == "bridge":
            for o in step.options:
                x, y = self.renderer.crossing_px(vp, o.value)
                if math.dist((x, y), pos) < dist:
                    best, dist = o.value, math.dist((x, y), pos)
        if best is None:
            self.message = f"No {kind} there: click nearer, or choose from the list."
            return False
        self.answers.append(best)
        self._next()
        return True

    # ------------------------------------------------------------------ drawing
    def draw(self, surface, layout: Layout) -> None:
        """The panel, over the top left of the map."""
        if not self.open or self.step is None:
            return
        ui = layout.ui
        mr = layout.map_rect
        size = round(14 * ui)
        lh = round(size * 1.45)
        w = min(round(520 * ui), mr.w - round(24 * ui))
        pad = round(12 * ui)
        inner = w - 2 * pad
        rows: list[tuple[str, Any]] = []  # (kind, payload) drawn top to bottom
        rows.append(("title", "What if …"))
        for line in wrap(
            self.step.prompt if self.kind != "ready" else f"Branch at {self._when()} with:",
            size,
            inner,
            True,
        ):
            rows.append(("prompt", line))
        if self.kind == "ready" or (self.kind is None and self.changes):
            for ch in self.changes:
                for line in wrap(f"• {describe(ch, self.name)}", size, inner):
                    rows.append(("change", line))
        if self.step.options or self.kind is None:
            if self.kind is not None:
                rows.append(
                    (
                        "query",
                        f"Filter: {self.query}_"
                        if self.query
                        else "Type to filter · ↑ ↓ and Enter, or click",
                    )
                )
            opts = self.options
            top = max(0, min(self.index - ROWS // 2, len(opts) - ROWS))
            for i in range(top, min(len(opts), top + ROWS)):
                rows.append(("option", (i, opts[i])))
            if not opts:
                rows.append(("hint", "Nothing matches: Backspace to change the filter."))
        elif self.kind != "ready":
            rows.append(("typed", f"{self.step.typed}_"))
        if self.message:
            for line in wrap(self.message, round(13 * ui), inner):
                rows.append(("error", line))
        rows += [("hint", line) for line in wrap(self._hint(), round(12 * ui), inner)]
        h = pad * 2 + len(rows) * lh
        box = pygame.Rect(
            mr.left + round(12 * ui), mr.top + round(12 * ui), w, min(h, mr.h - round(24 * ui))
        )
        self.box = box
        shade = pygame.Surface(box.size, pygame.SRCALPHA)
        shade.fill((*PANEL, 245))
        surface.blit(shade, box.topleft)
        pygame.draw.rect(surface, WHATIF, box, max(2, round(3 * ui)), border_radius=6)
        y = box.top + pad
        self.hit_rows = []
        for kind, payload in rows:
            if y + lh > box.bottom:
                break
            if kind == "title":
                surface.blit(text(payload, round(17 * ui), True, WHATIF_INK), (box.left + pad, y))
            elif kind == "option":
                i, o = payload
                rect = pygame.Rect(box.left + pad - 4, y - 2, inner + 8, lh)
                if i == self.index:
                    pygame.draw.rect(surface, (245, 225, 238), rect, border_radius=3)
                    pygame.draw.rect(surface, WHATIF, rect, 1, border_radius=3)
                label = text(o.label, size, i == self.index, INK)
                surface.blit(label, (box.left + pad, y))
                if o.note:
                    note = text(o.note, round(12 * ui), False, MUTED)
                    surface.blit(note, (box.right - pad - note.get_width(), y + 2))
                self.hit_rows.append((rect, i))
            else:
                colour = {
                    "prompt": INK,
                    "change": WHATIF_INK,
                    "error": (190, 30, 30),
                    "hint": MUTED,
                    "query": MUTED,
                    "typed": INK,
                }[kind]
                bold = kind in ("prompt", "typed")
                sz = round(12 * ui) if kind in ("hint", "query") else size
                surface.blit(text(payload, sz, bold, colour), (box.left + pad, y))
                if kind == "typed":
                    pygame.draw.rect(surface, RULE, (box.left + pad - 4, y - 2, inner + 8, lh), 1)
            y += lh

    def _hint(self) -> str:
        if self.kind is None:
            extra = (
                "  ·  s: save the what-if shown  ·  c: clear it"
                if self.renderer.branch is not None
                else ""
            )
            run = "  ·  Enter: run" if self.changes else ""
            return f"1-6 or click: choose{run}{extra}  ·  Esc: close"
        if self.kind == "ready":
            return (
                "Enter: run the what-if (in the background)  ·  a: add another change  ·  "
                "Backspace: remove the last  ·  Esc: close"
            )
        return "Enter: choose  ·  Backspace: back  ·  Esc: to the menu"


def save_file(brancher: Brancher, view, folder: Path = Path(".")) -> Path:
    """Write the what-if on screen as a branch file in `folder`; returns its path."""
    from sim.whatif.branch_file import save_branch

    b = brancher
    scenario = b.scenario_path or (
        Path(__file__).resolve().parents[2] / "scenarios" / f"{b.scenario.id}.yaml"
    )
    base = b.scenario.parameters_with().model_dump()
    overrides = {k: v for k, v in b.params.model_dump().items() if base.get(k) != v}
    out = folder / f"whatif_{b.scenario.id}_{view.when:%Y%m%dT%H%M}.yaml"
    return save_branch(
        out,
        title=view.title,
        scenario=scenario,
        seed=b.seed,
        when=view.when,
        changes=view.changes,
        question=view.question,
        parameters=overrides,
    )
