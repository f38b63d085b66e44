#!/usr/bin/env python3
"""Re-render the README's animations and the frames in docs/, only for scenarios whose run changed.

    python docs/make_media.py            # render what is out of date
    python docs/make_media.py --force    # render everything again
    python docs/make_media.py --check    # list what is out of date, render nothing (exit 1 if any)

Each scenario's seed-0 run has a digest (RunRecord.digest: every frame, event and series value).
docs/media.json keeps the digest each animation was rendered from, so an animation is rendered
again only when the run it shows has changed, not at every change of the code: every render
adds a new version of a binary file to the repository for good. The GIFs are kept under
MAX_GIF_BYTES (the README loads them): 960x600, one shared palette, and as many simulated
hours per frame as it takes. Needs the video extra (pip install -e ".[video]").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
sys.path.insert(0, str(REPO))

MEDIA = DOCS / "media.json"
MAX_GIF_BYTES = 2_000_000
GIF_SIZE = (960, 600)
FRAME_SIZE = (1280, 800)

#: scenario file -> (animation, still frame, the moment the still shows)
SCENES = {
    "izium_2022_09.yaml": (
        "izium_2022_09.gif",
        "izium_2022_09_frame.png",
        datetime(2022, 9, 10, 12, 0),
    ),
    "izium_2022_03.yaml": (
        "izium_2022_03.gif",
        "izium_2022_03_frame.png",
        datetime(2022, 3, 28, 12, 0),
    ),
    "kharkiv_2022_05.yaml": (
        "kharkiv_2022_05.gif",
        "kharkiv_2022_05_frame.png",
        datetime(2022, 5, 10, 12, 0),
    ),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="render every scenario again")
    ap.add_argument("--check", action="store_true", help="only list what is out of date")
    args = ap.parse_args()

    from sim.map.theatre import build_theatre
    from sim.model import CampaignModel
    from sim.runs.history import compare
    from sim.scenario import load_scenario
    from sim.scenario.theatre import theatre_for

    base = build_theatre()
    done = json.loads(MEDIA.read_text()) if MEDIA.exists() else {}
    stale = []
    for file, (gif, still, at) in SCENES.items():
        scenario = load_scenario(REPO / "scenarios" / file, base)
        theatre = theatre_for(scenario, base)  # its own map: the places it adds
        record = CampaignModel(scenario, theatre, seed=0).run()
        digest = record.digest()
        entry = done.get(file, {})
        current = (
            entry.get("digest") == digest and (DOCS / gif).exists() and (DOCS / still).exists()
        )
        if current and not args.force:
            print(f"{file}: up to date ({gif}, {entry.get('bytes', 0) / 1e6:.1f} MB)")
            continue
        stale.append(file)
        if args.check:
            print(f"{file}: out of date")
            continue
        from sim.view.app import Replay, record_video, screenshot

        replay = Replay.from_run(record, theatre, scenario, compare(record, scenario, theatre))
        step = max(3, -(-replay.hours // 90))  # at most ~90 frames to start with
        while True:
            record_video(replay, DOCS / gif, size=GIF_SIZE, step_h=step)
            size = (DOCS / gif).stat().st_size
            if size <= MAX_GIF_BYTES:
                break
            step = int(step * 1.3) + 1  # fewer frames until it fits
        screenshot(replay, DOCS / still, at, size=FRAME_SIZE)
        done[file] = {
            "digest": digest,
            "gif": gif,
            "still": still,
            "hours_per_frame": step,
            "frames": -(-replay.hours // step) + 1,
            "bytes": size,
        }
        MEDIA.write_text(json.dumps(done, indent=1, sort_keys=True) + "\n")
        print(f"{file}: rendered {gif} ({size / 1e6:.2f} MB, one frame per {step} h) and {still}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
