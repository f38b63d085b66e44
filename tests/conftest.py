"""Test session settings: no window, no display (pygame draws offscreen, matplotlib to files),
whatever the machine the tests run on; the built map is cached in a folder of this session, not
in the user's cache (sim/theatre.py, cache_dir)."""

import os
import tempfile

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ["MPLBACKEND"] = "Agg"
os.environ["IZIUM_SIM_CACHE"] = tempfile.mkdtemp(prefix="izium-sim-test-cache-")
