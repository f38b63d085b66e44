"""What the branching tests share (tests/test_branch.py, tests/test_branch_file.py): the two
scenarios they branch, a run as the bytes it is compared by, and a model run to an hour."""

from __future__ import annotations

import json

from sim.model import CampaignModel
from sim.scenario.theatre import theatre_for
from sim.whatif.branch import run_to

SEPTEMBER = "scenarios/izium_2022_09.yaml"
MARCH = "scenarios/izium_2022_03.yaml"
APRIL_MAY = "scenarios/kharkiv_2022_05.yaml"


def blob(record) -> str:
    """Everything a run leaves behind: frames, events, control changes, battles, the time
    series and the parameters, as one canonical JSON text."""
    return json.dumps(
        {
            "frames": record.frames,
            "events": record.events,
            "control_changes": record.control_changes,
            "battles": record.battles,
            "series": record.series(),
            "parameters": record.parameters,
            "hours": record.hours,
        },
        sort_keys=True,
        default=str,
    )


def model_at(theatre, scenario, hour: int, seed: int = 0) -> CampaignModel:
    """The model of `scenario` run to `hour`, on its own map (the places it adds)."""
    return run_to(CampaignModel(scenario, theatre_for(scenario, theatre), seed=seed), hour)
