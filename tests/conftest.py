"""Test session settings: no window, no display (pygame draws offscreen, matplotlib to files),
whatever the machine the tests run on; the built map is cached in a folder of this session, not
in the user's cache (sim/disk_cache.py)."""

import atexit
import os
import shutil
import tempfile

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ["MPLBACKEND"] = "Agg"
os.environ["IZIUM_SIM_CACHE"] = tempfile.mkdtemp(prefix="izium-sim-test-cache-")
atexit.register(shutil.rmtree, os.environ["IZIUM_SIM_CACHE"], ignore_errors=True)


# ----------------------------------------------------------- shared by the hostile-input tests
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hostile_helpers import SEPT, SHORT_TEXT  # noqa: E402

from sim.cli import main as cli  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402


@pytest.fixture(scope="module")
def short_scenario(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("short") / "izium_2022_09.yaml"
    path.write_text(SHORT_TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def short_run(short_scenario, tmp_path_factory) -> Path:
    """A saved run folder (12 hours of September, with --compare)."""
    out = tmp_path_factory.mktemp("run") / "run"
    assert cli.main([str(short_scenario), "--headless", "--compare", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def september():
    """The September scenario on the real map."""
    from sim.map.theatre import build_theatre

    return load_scenario(SEPT, build_theatre())


# ------------------------------------------------------------------- the order files run in
#: The longest test files (seconds on a 2-core machine), started first: pytest-xdist hands out
#: a file at a time (--dist loadfile, pyproject.toml), so a long file handed out last keeps one
#: worker busy after the other has finished.
LONG_FILES = (
    "test_web_browser.py",  # ~20 s: a September run, a lesson and a browser
    "test_api.py",  # ~20 s: the notebook, run top to bottom
    "test_branch_file.py",  # ~20 s
    "test_whatif.py",  # ~10 s: twenty runs of the standard what-ifs
    "test_hostile_fuzz.py",
    "test_sweep.py",
    "test_branch.py",
    "test_view_labels.py",  # ~6 s: two runs and six what-if branches
)


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FILES)))
