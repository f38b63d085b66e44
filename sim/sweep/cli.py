"""The sweep's command lines: `python run.py sweep` (a design from options or a sweep file, then
run) and `python run.py compare` (a sweep's outcomes: table and plots).

    python run.py sweep SCENARIO.yaml --vary capture_ratio=1.2,1.5,2.0 --seeds 4
    python run.py sweep SCENARIO.yaml --vary withdraw_decision_hours=2:24 --samples 32
    python run.py sweep --file examples/sweeps/bridges.yaml --workers 2
    python run.py compare runs/sweeps/<name>

Every option is checked, and every value of the design against the scenario, before a run
starts; bad input is one UsageError line (exit code 2). A sweep's size is capped (MAX_RUNS,
--max-runs).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sim.cli.common import (
    MAX_SEED,
    Parser,
    UsageError,
    days_value,
    folder_value,
    seed_value,
    units_value,
)
from sim.safe_io import (
    MAX_YAML_BYTES,
    FileProblem,
    TooManyValues,
    count_values,
    read_text,
    yaml_loader,
    yaml_problem,
)
from sim.safe_write import links_in
from sim.sweep.base import Base, validation_message
from sim.sweep.spec import (
    SAMPLERS,
    SweepSpec,
    design,
    design_size,
    make_axis,
    parse_vary,
    plan,
)

#: Most runs in a sweep without lifting the cap (--max-runs): at about 1 s a run on 2 cores,
#: 100,000 runs are a day of computing; a design of 100^4 grid points would only exhaust memory.
MAX_RUNS = 100_000
#: Most worker processes (a typo such as --workers 10000 would start that many processes).
MAX_WORKERS = 256
SWEEP_FILE_KEYS = {
    "scenario",
    "vary",
    "set",
    "sample",
    "samples",
    "seeds",
    "first_seed",
    "design_seed",
    "out",
}


def _parser() -> argparse.ArgumentParser:
    ap = Parser(
        prog="run.py sweep", description="Run many variants of a scenario (docs/sweeps.md)."
    )
    ap.add_argument("scenario", nargs="?", help="scenario YAML (or give scenario: in --file)")
    ap.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="PATH=VALUES",
        help="vary a parameter or scenario value: PATH=v1,v2,... (grid) or "
        "PATH=low:high / low..high (range, sampled); repeatable",
    )
    ap.add_argument(
        "--set",
        dest="fixed",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="fix a value for every run (same paths as --vary); repeatable",
    )
    ap.add_argument(
        "--file",
        type=Path,
        help="sweep file (YAML): scenario, vary, set, sample, "
        "samples, seeds...; command-line options win",
    )
    ap.add_argument(
        "--sample",
        choices=SAMPLERS,
        default=None,
        help="how ranges are sampled (default lhs; sobol for Sobol indices)",
    )
    ap.add_argument(
        "--samples",
        type=int,
        default=None,
        help="number of sampled points (default 16; for sobol, a power of 2 and "
        "the sweep has N*(D+2) sets for D ranges)",
    )
    ap.add_argument("--seeds", type=int, default=None, help="seeds per parameter set (default 1)")
    ap.add_argument("--first-seed", type=seed_value, default=None, help="first seed (default 0)")
    ap.add_argument(
        "--design-seed",
        type=seed_value,
        default=None,
        help="seed of the random/LHS/Sobol design (default 0)",
    )
    ap.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: the number of cores)"
    )
    ap.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (instead of a pool)",
    )
    ap.add_argument(
        "--out",
        type=folder_value,
        help="output folder, used as given (default: the sweep file's out:, else "
        "runs/sweeps/<scenario>-<hash of the sweep> under the current folder); rerun with "
        "the same folder to resume",
    )
    ap.add_argument("--csv", action="store_true", help="also write runs.csv")
    ap.add_argument(
        "--retry-failed", action="store_true", help="run again the runs recorded as failed"
    )
    ap.add_argument(
        "--dry-run", action="store_true", help="print the parameter sets and run count, run nothing"
    )
    ap.add_argument(
        "--max-runs",
        type=int,
        default=MAX_RUNS,
        metavar="N",
        help=f"most runs accepted (default {MAX_RUNS:,}); raise it knowingly",
    )
    ap.add_argument(
        "--max-days",
        type=days_value,
        default=None,
        metavar="DAYS",
        help="longest scenario a run may last (default 120 days: a run keeps "
        "every hour in memory); raise it knowingly",
    )
    ap.add_argument(
        "--max-units",
        type=units_value,
        default=None,
        metavar="N",
        help="most units a run may have (default 200: a run keeps every unit's every hour "
        "in memory, in each worker); raise it knowingly",
    )
    return ap


#: Where a value was given: a text, or (a sweep file's line) a call worked out for errors only
Origin = str | Callable[[], str]


def _where(file: Path, *keys: Any) -> str:
    """``FILE:LINE: key.sub`` for a field of a sweep file, to begin an error with (``FILE:
    key.sub`` if the line cannot be found). The file is read again, keeping lines, only for
    this: the sweep itself reads plain values."""
    from sim.scenario.problems import field_path, line_of

    try:
        root = yaml_loader("rt").load(read_text(file, MAX_YAML_BYTES, "sweep file (YAML)"))
        line = line_of(root, keys) if isinstance(root, dict) else None
    except Exception:  # it read once already; whatever happens now, the error has no line
        line = None
    return f"{file}:{line}: {field_path(keys)}" if line else f"{file}: {field_path(keys)}"


def _read_sweep_file(path: Path) -> dict[str, Any]:
    try:
        text = read_text(path, MAX_YAML_BYTES, "sweep file (YAML)")
    except FileProblem as e:
        raise UsageError(f"--file {e}") from None
    try:
        data = yaml_loader("safe").load(text)
        count_values(data)
    except TooManyValues as e:
        raise UsageError(f"{path}: YAML: {e}") from None
    except Exception as e:  # ruamel's errors, and values Python cannot hold
        raise UsageError(str(yaml_problem(path, e))) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UsageError(
            f"{path}: expected a mapping with keys {', '.join(sorted(SWEEP_FILE_KEYS))}"
        )
    unknown = sorted(set(map(str, data)) - SWEEP_FILE_KEYS)
    if unknown:
        raise UsageError(
            f"{path}: unknown key {unknown[0][:40]!r} (expected one of "
            f"{', '.join(sorted(SWEEP_FILE_KEYS))})"
        )
    for key in ("vary", "set"):
        if key in data and not isinstance(data[key] or {}, dict):
            raise UsageError(f"{_where(path, key)}: expected a mapping of path: values")
    for key in ("scenario", "out"):
        if key in data and not (
            isinstance(data[key], str) and data[key].strip() and "\0" not in data[key]
        ):
            raise UsageError(f"{_where(path, key)}: expected a file path")
    if "sample" in data and not isinstance(data["sample"], str):
        raise UsageError(f"{_where(path, 'sample')}: expected one of {', '.join(SAMPLERS)}")
    return data


def _yaml_axis(path: str, spec: Any, file: Path) -> list[Any] | tuple[Any, Any]:
    def plain(v: Any) -> Any:
        return v.isoformat(timespec="minutes") if isinstance(v, datetime) else v

    if isinstance(spec, list):
        if not spec:
            raise UsageError(f"{_where(file, 'vary', path)}: an empty list")
        return [plain(v) for v in spec]
    if isinstance(spec, dict):
        if set(spec) != {"low", "high"}:
            raise UsageError(f"{_where(file, 'vary', path)}: a range is {{low: ..., high: ...}}")
        return plain(spec["low"]), plain(spec["high"])
    if isinstance(spec, str):
        try:
            return parse_vary(f"x={spec}")[1]
        except ValueError:
            raise UsageError(
                f"{_where(file, 'vary', path)}: expected a list, low:high or "
                "{low: ..., high: ...}"
            ) from None
    return [plain(spec)]


def design_out(file: Path, value: str, cwd: Path | None = None) -> Path:
    """The output folder a sweep file's `out: VALUE` names: VALUE relative to the file's
    folder. Design files are shared between people, so it must lead (symbolic links followed)
    into that folder or into the current folder `cwd` (default: this process's): an absolute
    path, a `~` one, one leading elsewhere, or a folder that holds symbolic links raises
    UsageError naming the file and the field. `--out` on the command line is not checked: the
    user chose it."""
    expected = (
        "expected a folder relative to the sweep file, inside its folder or the current "
        "folder (or choose the output with --out)"
    )
    raw = Path(value)
    if raw.is_absolute() or raw.anchor or value.startswith("~"):
        raise UsageError(f"{_where(file, 'out')}: {value!r} is not a relative path; {expected}")
    out = Path(os.path.normpath(file.parent / raw))
    real = out.resolve()
    if not any(real.is_relative_to(d.resolve()) for d in (file.parent, cwd or Path.cwd())):
        raise UsageError(f"{_where(file, 'out')}: {value!r} leads to {real}; {expected}")
    # the sweep writes its files in the folder itself and appends to two of them (its journal,
    # its lock): a link among them, shipped with the design file, would send writes elsewhere
    links = sorted(p.name for p in out.iterdir() if p.is_symlink()) if out.is_dir() else []
    if links:
        raise UsageError(
            f"{_where(file, 'out')}: {value!r} holds symbolic links ({', '.join(links[:3])}); "
            "expected a folder without links (or choose the output with --out)"
        )
    return out


def spec_from_args(args: argparse.Namespace) -> tuple[SweepSpec, Base, Path | None]:
    """Read the command line and the sweep file into a checked SweepSpec, and the output
    folder the command line or the file names (None: neither does)."""
    from sim.scenario import read_scenario_text

    file = _read_sweep_file(args.file) if args.file else {}
    out = args.out or (design_out(args.file, str(file["out"])) if file.get("out") else None)
    scenario = args.scenario
    if scenario is None and "scenario" in file:
        scenario = os.path.normpath(args.file.parent / str(file["scenario"]))
    if scenario is None:
        raise UsageError(
            "sweep: give a scenario file (python run.py sweep SCENARIO.yaml ...) or "
            "scenario: in the --file"
        )
    path = Path(scenario)
    base = Base.load(
        str(path), read_scenario_text(path), max_days=args.max_days, max_units=args.max_units
    )

    specs: dict[str, tuple[Origin, list[Any] | tuple[Any, Any]]] = {}
    for p, v in (file.get("vary") or {}).items():
        specs[str(p)] = (
            functools.partial(_where, args.file, "vary", p),
            _yaml_axis(str(p), v, args.file),
        )
    for item in args.vary:
        try:
            p, v = parse_vary(item)
        except ValueError as e:
            raise UsageError(str(e)) from None
        specs[p] = (f"--vary {item}", v)
    axes = [make_axis(base, p, v, origin) for p, (origin, v) in specs.items()]

    fixed_in: dict[str, tuple[Origin, Any]] = {}
    for p, v in (file.get("set") or {}).items():
        v = v.isoformat(timespec="minutes") if isinstance(v, datetime) else v
        fixed_in[str(p)] = (functools.partial(_where, args.file, "set", p), v)
    for item in args.fixed:
        p, eq, v = item.partition("=")
        if not eq or not p.strip():
            raise UsageError(f"--set {item!r}: expected PATH=VALUE")
        fixed_in[p.strip()] = (f"--set {item}", v.strip())
    fixed: dict[str, Any] = {}
    for p, (origin, v) in fixed_in.items():
        if p in specs:
            raise UsageError(
                f"{origin if isinstance(origin, str) else origin()}: {p} is also varied"
            )
        fixed[p] = make_axis(base, p, [v], origin).values[0]
    if fixed:
        try:
            base.materialise(fixed)
        except Exception as e:
            raise UsageError(f"--set: {validation_message(e)}") from None

    def opt(name: str, default: Any) -> Any:
        v = getattr(args, name)
        return v if v is not None else file.get(name, default)

    ranges = [a for a in axes if a.is_range]
    sample = opt("sample", "lhs" if ranges else "grid")
    if sample not in SAMPLERS:
        raise UsageError(f"{_where(args.file, 'sample')}: expected one of {', '.join(SAMPLERS)}")
    if ranges and sample == "grid":
        raise UsageError(
            f"{ranges[0].path} is a range: sample it with --sample random, lhs or "
            "sobol, or list values for a grid"
        )
    if sample != "grid" and not ranges:
        raise UsageError(
            f"--sample {sample}: no range to sample; give one with --vary PATH=low:high"
        )
    samples = opt("samples", (8 if sample == "sobol" else 16) if ranges else 0)
    seeds, first_seed, design_seed = opt("seeds", 1), opt("first_seed", 0), opt("design_seed", 0)
    for name, v, least in (
        ("--samples", samples, 1 if ranges else 0),
        ("--seeds", seeds, 1),
        ("--first-seed", first_seed, 0),
        ("--design-seed", design_seed, 0),
    ):
        if not isinstance(v, int) or isinstance(v, bool) or v < least:
            raise UsageError(f"{name}: expected a whole number >= {least}, got {v!r}")
    if sample == "sobol" and samples & (samples - 1):
        raise UsageError(f"--samples {samples}: Sobol sampling needs a power of 2 (8, 16, 32...)")
    if first_seed + seeds - 1 > MAX_SEED:
        raise UsageError(f"--first-seed {first_seed} --seeds {seeds}: seeds go up to {MAX_SEED}")
    if design_seed > MAX_SEED:
        raise UsageError(
            f"--design-seed {design_seed}: expected a whole number from 0 to {MAX_SEED}"
        )
    spec = SweepSpec(
        str(path), axes, fixed, sample, samples if ranges else 0, seeds, first_seed, design_seed
    )
    runs = design_size(spec) * seeds
    if runs > args.max_runs:
        raise UsageError(
            f"the sweep has {runs:,} runs ({design_size(spec):,} parameter set(s) x "
            f"{seeds:,} seed(s)); the limit is {args.max_runs:,}: shrink the design, or "
            "lift the limit knowingly with --max-runs"
        )
    return spec, base, out


def sweep_main(argv: list[str]) -> int:
    """`python run.py sweep ...` (see the module docstring and docs/sweeps.md)."""
    args = _parser().parse_args(argv)
    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        raise UsageError(f"--workers {args.workers}: expected 1 to {MAX_WORKERS}")
    if args.max_runs < 1:
        raise UsageError(f"--max-runs {args.max_runs}: expected 1 or more")
    if args.workers is not None and args.scheduler:
        raise UsageError("--workers and --scheduler exclude each other (the cluster has its own)")
    spec, base, out = spec_from_args(args)
    out = out or Path("runs") / "sweeps" / f"{base.scenario.id}-{spec.fingerprint(base.sha256)}"
    tasks = plan(spec, base.sha256)
    sets = len({t.set_index for t in tasks})

    def announce() -> None:
        print(f"sweep: {base.scenario.title}", file=sys.stderr)
        print(
            f"sweep: {sets} parameter set{'s' if sets > 1 else ''} x {spec.seeds} "
            f"seed{'s' if spec.seeds > 1 else ''} = {len(tasks)} runs -> {out}",
            file=sys.stderr,
        )

    if args.dry_run:
        announce()
        for i, (_, overrides) in enumerate(design(spec)):
            print(f"{i:4d}  " + "  ".join(f"{k}={v}" for k, v in overrides.items()))
        return 0
    from sim.sweep.runner import run_sweep

    workers = args.workers or (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    result = run_sweep(
        spec,
        base,
        out,
        workers=workers,
        scheduler=args.scheduler,
        csv=args.csv,
        retry_failed=args.retry_failed,
        on_start=announce,
    )
    print(
        f"sweep: {result.ran} run{'s' if result.ran != 1 else ''} done now, {result.total} in "
        f"the table, {result.failed} failed; wrote "
        f"{', '.join(str(p) for p in result.table)}",
        file=sys.stderr,
    )
    print(f"compare: python run.py compare {out}", file=sys.stderr)
    return 0


def compare_main(argv: list[str]) -> int:
    """`python run.py compare RESULTS` (sim/sweep/compare.py)."""
    from sim.sweep.compare import (
        MAX_TOWNS,
        axes_of,
        axis_grouping,
        check_extras,
        load_results,
        outcome_table,
        sensitivity,
        sensitivity_text,
        variant_grouping,
        write_csv,
    )

    ap = Parser(prog="run.py compare", description="Compare a sweep's outcomes, with plots.")
    ap.add_argument("results", type=Path, help="a sweep folder (or its runs.parquet/runs.csv)")
    ap.add_argument("--out", type=folder_value, help="where plots go (default RESULTS/compare)")
    ap.add_argument("--no-plots", action="store_true", help="print the tables only, write no file")
    ap.add_argument(
        "--towns",
        metavar="ID,ID,...",
        help=f"the places to show (ids from the scenario's history block, at most "
        f"{MAX_TOWNS}; the table shows the first 4); default: the first to "
        f"change hands",
    )
    args = ap.parse_args(argv)
    check_extras(None, plots=not args.no_plots)
    rows, meta, folder = load_results(args.results)
    check_extras(meta, plots=False)
    if args.towns:
        towns = list(dict.fromkeys(t.strip() for t in args.towns.split(",") if t.strip()))
        known = [p["id"] for p in meta.get("places", [])]
        unknown = [t for t in towns if t not in known]
        if unknown or not towns:
            ap.error(
                f"--towns: {', '.join(unknown) or repr(args.towns)} is not a place of "
                f"this sweep's history block (known: {', '.join(known)})"
            )
        if len(towns) > MAX_TOWNS:
            ap.error(f"--towns: {len(towns)} places given, at most {MAX_TOWNS}")
        meta = {**meta, "towns": towns}
    axes = axes_of(meta)
    text, table = outcome_table(rows, meta, axes)
    print(text)
    sens = sensitivity(rows, meta, axes)
    if sens is not None:
        print()
        print(sensitivity_text(*sens))
    written: list[Path] = []
    if not args.no_plots:  # --no-plots: the table printed, nothing written
        out = args.out or folder / "compare"
        names = [
            "outcomes_by_parameter.csv",
            "sensitivity.csv",
            "key_dates.png",
            "area_curves.png",
            "sensitivity.png",
        ]
        # the default folder (RESULTS/compare) may not be a link either; --out is the user's
        planted = args.out is None and out.is_symlink()
        links = [out.name] if planted else links_in(out, names)
        if links:
            raise UsageError(
                f"{out}: holds symbolic links where compare's files go ({', '.join(links[:3])})"
                "; nothing is written through a link: remove them, or choose another --out"
            )
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(f"--out {out}: cannot create it ({e.strerror or e})") from None
        write_csv(out / "outcomes_by_parameter.csv", table)
        written.append(out / "outcomes_by_parameter.csv")
        if sens is not None and sens[1]:
            method, results = sens
            write_csv(out / "sensitivity.csv", [{"method": method, **r} for r in results])
            written.append(out / "sensitivity.csv")
        from sim.sweep.plots import plot_area_curves, plot_key_dates, plot_sensitivity

        g = variant_grouping(axes, rows)
        grid = [a for a in axes if not a.is_range and len(a.values) > 1]
        if not grid and sens and sens[1]:  # bins of the parameter that moves fidelity most
            top = max(sens[1], key=lambda r: r["index"])["parameter"]
            g = axis_grouping(next(a for a in axes if a.path == top), rows)
        written += [
            p
            for p in (
                plot_key_dates(rows, meta, g, out / "key_dates.png"),
                plot_area_curves(rows, meta, g, out / "area_curves.png"),
                plot_sensitivity(*sens, out / "sensitivity.png", len(rows)) if sens else None,
            )
            if p
        ]
    failed = [r for r in rows if r.get("status") == "failed"]
    if failed:
        print(
            f"\n{len(failed)} failed run(s); first: {failed[0]['run_key']}: "
            f"{failed[0].get('error')}"
        )
    if written:
        print(f"\nwrote {', '.join(p.name for p in written)} to {out}", file=sys.stderr)
    return 0
