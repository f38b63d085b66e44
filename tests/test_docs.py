"""The docs name what the code has: every `sim/` path in README.md and docs/*.md exists, the
README's map of the code names every module, every name docs/model.md writes in code type (a
parameter in a formula, a class, a function) is one the code defines, and every fixed constant
it lists has the stated value where it says."""

from __future__ import annotations

import ast
import functools
import importlib
import re
from pathlib import Path

import pytest

from sim.model.params import Parameters

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
MODULES = sorted(
    p.relative_to(REPO).as_posix() for p in (REPO / "sim").rglob("*.py") if p.name != "__init__.py"
)


@functools.cache
def defined_names() -> frozenset[str]:
    """Every name the code of sim/ defines or uses as an identifier (modules, classes,
    functions, arguments, attributes, variables, keywords) or as a value a scenario writes (a
    string constant such as an event kind), from its syntax trees: not its comments."""
    names: set[str] = set()
    for path in (REPO / "sim").rglob("*.py"):
        names.add(path.stem)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value.isidentifier():
                    names.add(node.value)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.keyword) and node.arg:
                names.add(node.arg)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[-1])
    return frozenset(names)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_sim_path_in_the_docs_exists(doc):
    text = doc.read_text(encoding="utf-8")
    named = set(re.findall(r"(?<![\w/.])sim/[\w/]*[\w]+(?:\.py)?/?", text))
    missing = sorted(p for p in named if not (REPO / p.rstrip("/")).exists())
    assert not missing, f"{doc.name} names {missing}"


def test_the_readme_map_names_every_module():
    """Each module of sim/ is in README.md's map: by its path, or by its file name in a row
    that names its package."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("|")]
    left_out = [
        m
        for m in MODULES
        if m not in text
        and not any(
            f"{m.rsplit('/', 1)[0]}/" in row and f"`{m.rsplit('/', 1)[1]}`" in row for row in rows
        )
    ]
    assert not left_out, f"README.md's map leaves out {left_out}"


def test_every_name_in_code_type_in_the_model_doc_is_in_the_code():
    """docs/model.md writes parameters (`capture_hours`), classes, functions and attributes
    (`World.positions`, `Unit.take_task`) in code type: each is a parameter or a name the code
    of sim/ defines. A formula whose constant was renamed or dropped fails here. (A formula's
    own symbols, a letter and a subscript such as `f_S` or `v_class`, are not code.)"""
    text = (REPO / "docs" / "model.md").read_text(encoding="utf-8")
    spans = re.findall(r"`([^`]+)`", text)  # code type, and the formulas' code blocks:
    spans += [line for line in text.splitlines() if line.startswith("    ")]
    names = defined_names()
    params = set(Parameters.model_fields)
    unknown = []
    for token in (t for span in spans for t in re.findall(r"[A-Za-z_][\w.]*\w", span)):
        if token in params or token.endswith(".py") or re.fullmatch(r"[A-Z]+|_\w", token):
            continue  # a file, a placeholder (PLACE, UNIT) or a subscript (Σ_i)
        if "_" not in token and "." not in token and not token[0].isupper():
            continue  # a plain word in code type (a value, a YAML field)
        if re.fullmatch(r"[A-Za-z]_[A-Za-z]+", token):
            continue  # a symbol of a formula
        parts = token.split(".")
        if parts[0] in ("sim", "mesa", "networkx", "scipy", "numpy", "docs", "tests"):
            continue  # a module path (checked as a path above)
        if not all(p in names for p in parts):
            unknown.append(token)
    assert not unknown, f"docs/model.md names what the code does not have: {sorted(set(unknown))}"


def test_the_fixed_constants_are_where_the_doc_says_with_their_values():
    text = (REPO / "docs" / "model.md").read_text(encoding="utf-8")
    section = text.split("## Fixed constants")[1].split("\n## ")[0]
    rows = re.findall(r"^\| `(\w+)` \| (sim/[\w/]+\.py) \| ([\d.]+) \|", section, flags=re.M)
    assert len(rows) >= 2, "the table of fixed constants moved?"
    for name, path, value in rows:
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert getattr(module, name) == float(value), (name, path)
