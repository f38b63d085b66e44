"""What the hostile-input tests share (tests/test_hostile*.py): the September scenario and its
12-hour cut, hypothesis settings of the fuzz tests, the command line run in this process, and the
check that a failure is one clean error line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from toy import toy_theatre

from sim.cli import main as cli
from sim.scenario import ScenarioError, parse_scenario

REPO = Path(__file__).resolve().parent.parent
SEPT = REPO / "scenarios" / "izium_2022_09.yaml"
SEPT_TEXT = SEPT.read_text(encoding="utf-8")
#: The September scenario cut to its first 12 hours: a run takes a few hundredths of a second.
SHORT_TEXT = SEPT_TEXT.replace("end: 2022-09-17T00:00:00", "end: 2022-09-06T06:00:00")


def fuzz(examples: int) -> settings:
    """Hypothesis settings of the fuzz tests: derandomized (the same cases on every run, so CI
    is stable), no deadline (a case may run the model), no shrinking (a failure prints its
    case as generated)."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )  # shrinking random() is slow


def toy():
    return toy_theatre(
        {"a": (0, 0), "b": (10, 0), "c": (20, 0)},
        [("a", "b", 10, "local", "br"), ("b", "c", 10, "local")],
    )


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """sim.cli.main in this process: (exit code, stdout, stderr). --help's SystemExit is an
    exit code like any other."""
    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 0
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_failure(code: int, err: str, words: str = "") -> None:
    """Exit 2, every stderr line an `error:` line, no traceback, the expected words."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines and all(ln.startswith("error: ") for ln in lines), err
    assert words in err, err


def scenario_error(text: str, theatre=None, max_days=120) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        scenario, root = parse_scenario(text, "s.yaml", max_days=max_days)
        if theatre is not None:
            from sim.scenario import resolve_places

            resolve_places(scenario, theatre, "s.yaml", root)
    return info.value
