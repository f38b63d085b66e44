"""The model: an operation replayed hour by hour (`CampaignModel`, sim/model/campaign.py).

`from sim.model import CampaignModel` is the way in. The class is imported when first asked
for, so that a command that only needs the parameters (`run.py params`) does not load Mesa,
numpy and scipy with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model.campaign import CampaignModel

__all__ = ["CampaignModel"]


def __getattr__(name: str) -> Any:
    if name == "CampaignModel":
        from sim.model.campaign import CampaignModel

        return CampaignModel
    raise AttributeError(f"module 'sim.model' has no attribute {name!r}")
