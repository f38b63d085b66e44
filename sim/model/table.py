"""The units' numbers as rows of one table (`UnitTable`, the world's `table`), so that a rule
reads or changes them for many units in one array operation instead of gathering each unit's
arrays, and a unit's own view of its row (`OnTable`, a part of sim/model/units.py's `Unit`).

A unit's row is its place in the scenario's unit list (`Unit.index`), kept after it has left the
map. Per item (ITEMS columns): `equipment` held, `lost` destroyed in combat, `loss_carry` the
fractional expected losses not yet whole items (combat_math.apply_losses), `initial` what it
entered with (its strength is counted against it; a what-if may scale it). The unit's
attributes of the same names are views of its rows, changed in place; setting one writes into
the row. A copy of a run (a what-if's snapshot, sim/whatif/branch.py) copies the table and its
units take views of the copy's; a grown table has every unit take its views again.
"""

from __future__ import annotations

from typing import Any, Protocol, overload

import numpy as np

from sim.model.rules.combat_math import ITEMS

#: The table's arrays, a row per unit and a column per item (the module's docstring).
NUMBERS = ("equipment", "lost", "loss_carry", "initial")


class Rowed(Protocol):
    """What owns a row of a `UnitTable` (sim/model/units.py's `Unit`): told to take its row's
    views again when the table has grown."""

    def bind(self) -> None: ...


class UnitTable:
    """The units' numbers, a row per unit (the module's docstring)."""

    def __init__(self, rows: int = 0):
        self.equipment = np.zeros((rows, len(ITEMS)))
        self.lost = np.zeros((rows, len(ITEMS)))
        self.loss_carry = np.zeros((rows, len(ITEMS)))
        self.initial = np.zeros((rows, len(ITEMS)))
        self._owners: dict[int, Rowed] = {}

    def take(self, row: int, owner: Rowed, equipment: np.ndarray) -> None:
        """Row `row` is `owner`'s, holding `equipment` (also its `initial`; nothing lost, no
        carry), the table grown to hold it if need be (every owner then binds its views
        again)."""
        if row in self._owners:
            raise ValueError(f"row {row} of the units' table is taken")
        if row >= len(self.equipment):
            more = row + 1 - len(self.equipment)
            for name in NUMBERS:
                grown = np.concatenate([getattr(self, name), np.zeros((more, len(ITEMS)))])
                setattr(self, name, grown)
            for other in self._owners.values():
                other.bind()
        self._owners[row] = owner
        self.equipment[row] = equipment
        self.lost[row] = 0.0
        self.loss_carry[row] = 0.0
        self.initial[row] = equipment

    def owned_by(self, row: int, owner: Rowed) -> None:
        """Row `row` is `owner`'s again (in a copy: its owners are not copied with it, so that
        the table is whole when a copied unit takes its views)."""
        self._owners[row] = owner

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_owners"] = {}
        return state


class _Row:
    """A unit's numbers of one kind (its `equipment`, `lost`, `loss_carry` or `initial`): the
    view of its row that `OnTable.bind` took; setting it writes the new numbers into the
    row."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.view = f"_{name}"

    @overload
    def __get__(self, unit: None, owner: type) -> _Row: ...
    @overload
    def __get__(self, unit: object, owner: type) -> np.ndarray: ...
    def __get__(self, unit: object, owner: type) -> _Row | np.ndarray:
        return self if unit is None else unit.__dict__[self.view]

    def __set__(self, unit: object, items: np.ndarray) -> None:
        unit.__dict__[self.view][:] = items


class OnTable:
    """A unit's part that keeps its numbers in a row of the units' table (the module's
    docstring)."""

    index: int  # its row
    _table: UnitTable
    equipment = _Row()  # items held (ITEMS order)
    lost = _Row()  # items destroyed in combat
    loss_carry = _Row()  # fractional expected losses not yet whole items
    initial = _Row()  # items it entered the map with

    def take_row(self, table: UnitTable, equipment: np.ndarray) -> None:
        """Take its row (`index`) of `table`, holding `equipment`."""
        self._table = table
        table.take(self.index, self, equipment)
        self.bind()

    def bind(self) -> None:
        """Take the views of its row of the units' table (again: a grown table, a copy)."""
        table, row = self._table, self.index
        self._equipment = table.equipment[row]
        self._lost = table.lost[row]
        self._loss_carry = table.loss_carry[row]
        self._initial = table.initial[row]

    def __getstate__(self) -> dict[str, Any]:
        # a copy copies the table; the views are taken of the copy's (`__setstate__`)
        state = dict(self.__dict__)
        for name in NUMBERS:
            state.pop(f"_{name}", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._table.owned_by(self.index, self)
        self.bind()
