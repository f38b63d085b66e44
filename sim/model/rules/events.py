"""The scenario's events at their hour (`events:`): bridges and depots struck, a side's surprise
window, captions for the viewer. An event with a probability below 1 may fail (the run's
random draw decides, in event order)."""

from __future__ import annotations

from datetime import timedelta

from sim.model.world import World
from sim.scenario import Event


def apply_events(world: World, pending: list[Event]) -> None:
    """Take effect: the events of `pending` (sorted by time) that are due by now, removed from
    it."""
    while pending and pending[0].at <= world.now:
        apply_event(world, pending.pop(0))


def apply_event(world: World, ev: Event) -> None:
    if ev.probability < 1.0 and world.random.random() >= ev.probability:
        world.log("event_failed", text=f"{ev.kind} {ev.target} did not take effect")
        return
    if ev.kind == "caption":
        world.log("caption", text=ev.text, side=ev.side)
    elif ev.kind == "destroy_bridge":
        assert ev.target is not None  # the schema requires a target for this kind
        world.destroy_crossing(ev.target, cause=ev.text or "strike")
    elif ev.kind == "strike_depot":
        assert ev.target is not None  # the schema requires a target for this kind
        world.depot_out(ev.target)
        depot = world.depots[ev.target]
        world.log(
            "depot_destroyed", node=depot.node, side=depot.side, text=ev.text or "depot struck"
        )
    elif ev.kind == "surprise":
        assert ev.side is not None  # the schema requires a side for this kind
        world.surprise_until[ev.side] = ev.at + timedelta(hours=ev.hours)
        world.log("surprise", side=ev.side, text=ev.text or f"{ev.side} surprise")
