"""Test session settings: no window, no display (pygame draws offscreen, matplotlib to files),
whatever the machine the tests run on."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ["MPLBACKEND"] = "Agg"
