"""The shape of the code: no import cycles between the modules of sim/ (not even for types), the
model wired in one place, no private name imported from another module, no module too long to
read, and no command that imports what it does not use at start-up.

The import graph is read from the source with ast: every `import sim...` and `from sim... import`
statement, at the top of a module or inside a function (a lazy import that closes a cycle is a
cycle all the same); `import_graph()` leaves out those under `if TYPE_CHECKING:` (they never
run), `import_graph(types=True)` keeps them (a cycle through type hints is a cycle in the
design: two modules that cannot be read one without the other).
"""

from __future__ import annotations

import ast
import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SIM = REPO / "sim"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Line numbers inside `if TYPE_CHECKING:` blocks."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


@functools.cache  # each module is parsed once per session
def imports_of(name: str, types: bool = False) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every sim import of a module (with
    `types`, those under `if TYPE_CHECKING:` too)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set() if types else _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("sim")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1]
                    + ([base] if base else [])
                )
            if not base.startswith("sim"):
                continue
            names = [a.name for a in node.names]
            subs = [n for n in names if f"{base}.{n}" in MODULES]
            out += [(f"{base}.{n}", [], node.lineno) for n in subs]
            rest = [n for n in names if n not in subs]
            if rest:
                out.append((base, rest, node.lineno))
    return out


def import_graph(types: bool = False) -> dict[str, set[str]]:
    return {m: {t for t, _, _ in imports_of(m, types) if t in MODULES and t != m} for m in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_lazy_imports_and_skips_type_checking_ones():
    graph = import_graph()
    assert "sim.sweep.cli" in graph["sim.cli.main"]  # imported inside a function
    assert "sim.model.world" not in graph["sim.runs.record"]  # only under TYPE_CHECKING
    assert "sim.model.world" in import_graph(types=True)["sim.runs.record"]
    assert "sim.sweep.runner" in graph["sim.sweep.cli"]


def test_no_import_cycles_between_sim_modules():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_no_import_cycles_even_through_type_hints():
    found = cycles(import_graph(types=True))
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_campaign_model_is_wired_in_one_place():
    """The campaign module is imported by the model package only (everyone else asks
    `sim.model` for CampaignModel), and nothing inside the model imports the package or the
    campaign: the world, the network, the units and the rules never see the model. Nor do
    they import what a run leaves behind or how it is shown: only the campaign writes the
    record."""
    graph = import_graph(types=True)
    importers = sorted(m for m, targets in graph.items() if "sim.model.campaign" in targets)
    assert importers == ["sim.model"]
    inside = [m for m in MODULES if m.startswith("sim.model.")]
    assert inside, "the model's modules moved?"
    for m in inside:
        assert not graph[m] & {"sim.model", "sim.model.campaign"}, m
        if m != "sim.model.campaign":
            outside = {t for t in graph[m] if t.split(".")[1] in ("runs", "whatif", "cli", "view")}
            assert not outside, (m, outside)


def test_the_model_touches_no_other_objects_private_state():
    """Inside sim/model/, a name starting with one underscore is read or written only on
    self (or cls): no module reaches into another object's caches."""
    bad = []
    for name, path in MODULES.items():
        if not name.startswith("sim.model"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                bad.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    assert not bad, bad


#: Longest module, in lines (a newcomer reads a module at one sitting), and longest model class.
MAX_MODULE_LINES = 600
MAX_CAMPAIGN_LINES = 250


def test_no_module_is_too_long_to_read():
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, long


def test_the_campaign_model_only_wires():
    """CampaignModel builds the world and wires the phases; its rules live elsewhere."""
    tree = ast.parse(MODULES["sim.model.campaign"].read_text(encoding="utf-8"))
    (model,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "CampaignModel"]
    assert model.end_lineno is not None
    assert model.end_lineno - model.lineno + 1 <= MAX_CAMPAIGN_LINES


def test_no_private_name_is_imported_from_another_module():
    bad = [
        f"{m}:{line}: {', '.join(n for n in names if n.startswith('_'))} from {target}"
        for m in MODULES
        for target, names, line in imports_of(m)
        if any(n.startswith("_") for n in names)
    ]
    assert not bad, bad


def _imported_by(*argv: str) -> set[str]:
    """The top-level packages a `run.py` command imports (python -X importtime)."""
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(REPO / "run.py"), *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )
    return {
        line.split("|")[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv, not_imported",
    [
        (["--help"], {"mesa", "pandas", "scipy", "numpy", "networkx", "pygame", "matplotlib"}),
        (["params"], {"mesa", "pandas", "scipy", "numpy", "networkx", "pygame"}),
        (["sweep", "--help"], {"mesa", "pandas", "scipy", "numpy", "networkx", "pyarrow"}),
        (["scenarios/izium_2022_09.yaml", "--seed", "x"], {"mesa", "pandas", "numpy"}),
        (["scenarios/nowhere.yaml", "--headless"], {"mesa", "pandas"}),
        (["schema"], {"mesa", "pandas", "scipy", "numpy", "networkx"}),
    ],
)
def test_a_command_imports_only_what_it_uses(argv, not_imported):
    assert _imported_by(*argv) & not_imported == set()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports_on_its_own(name):
    """Each module imports first in a fresh interpreter (an import cycle that Python cannot
    resolve fails here even if the graph test were wrong)."""
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, cwd=REPO, env=env
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
