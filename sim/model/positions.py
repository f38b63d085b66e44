"""Where each side's units hold ground this hour: `Positions`, the model's cached answer to
"which nodes does a side occupy, and where are its units advancing" (as node sets, boolean
masks over the theatre's nodes and positions in km). Control (sim/control.py), the
commanders' and units' decisions and the combat phase ask it through
`CampaignModel.positions`, `occupied_by` and `enemy_xy`; the model drops it whenever a unit
moves, changes posture or leaves (`positions_changed`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from sim.scenario import SIDES, Posture, Status

if TYPE_CHECKING:
    from sim.model import CampaignModel


class Positions:
    """Where each side's units hold ground (active, not routed, not a column on the road out),
    and which of them are advancing (attacking or moving). Per side: the nodes, a boolean per
    node (theatre order) and the units' positions in km (one row per unit, in unit order).
    Rebuilt after anything moves (a few times an hour), so the parts are worked out when first
    asked for."""

    def __init__(self, m: CampaignModel):
        self._m = m
        index = m.node_index
        idx: dict[str, list[int]] = {s: [] for s in SIDES}
        adv: dict[str, list[int]] = {s: [] for s in SIDES}
        for u in m.active_units():  # Unit.holds_ground and Unit.advancing, inlined
            posture = u.posture
            if (
                u.status != Status.ACTIVE
                or posture == Posture.ROUT
                or (posture == Posture.WITHDRAW and (u.next_node is not None or u.route))
            ):
                continue
            i = index[u.node]
            idx[u.side].append(i)
            if posture == Posture.ATTACK or posture == Posture.MOVE:
                adv[u.side].append(i)
        self.index, self.advancing_index = idx, adv

    @functools.cached_property
    def nodes(self) -> dict[str, set[str]]:
        ids = self._m.node_ids
        return {s: {ids[i] for i in self.index[s]} for s in SIDES}

    @functools.cached_property
    def mask(self) -> dict[str, np.ndarray]:
        return {s: self._mask(self.index[s]) for s in SIDES}

    @functools.cached_property
    def advancing_mask(self) -> dict[str, np.ndarray]:
        return {s: self._mask(self.advancing_index[s]) for s in SIDES}

    @functools.cached_property
    def xy(self) -> dict[str, np.ndarray]:
        return {s: self._m.node_xy[self.index[s]].reshape(-1, 2) for s in SIDES}

    @functools.cached_property
    def advancing_xy(self) -> dict[str, np.ndarray]:
        return {s: self._m.node_xy[self.advancing_index[s]].reshape(-1, 2) for s in SIDES}

    def _mask(self, index: list[int]) -> np.ndarray:
        out = np.zeros(len(self._m.node_ids), dtype=bool)
        out[index] = True
        return out
