"""A sweep's outcomes compared: by parameter value, and which parameters move them most
(`python run.py compare RESULTS`; its command line is in sim/sweep/cli.py, its plots in
sim/sweep/plots.py).

RESULTS is a folder written by `python run.py sweep` (or its runs.parquet / runs.csv). Prints a
table of outcomes by the value of each varied parameter (range parameters in three equal-count
bins) and writes, into RESULTS/compare/ (or --out):
- outcomes_by_parameter.csv: the printed table, unrounded;
- key_dates.png: when each key town changed hands, by variant, against the historical date;
- area_curves.png: area taken by day, median and 10-90 % band per variant, with the historical
  figures;
- sensitivity.png and sensitivity.csv (sampled sweeps): which parameters move the outcomes most:
  Sobol indices (SALib) when the sweep used --sample sobol, else first-order indices by RBD-FAST
  (SALib), which takes any sample (random or Latin hypercube).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import itertools
import math
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from sim.runs.history import skill
from sim.safe_io import FileProblem, csv_text, write_atomic
from sim.sweep.paths import parse_path
from sim.sweep.spec import Axis, SweepError, SweepSpec, kind_of, plan
from sim.sweep.store import JOURNAL, META, read_journal, read_meta, read_table, table_rows

#: Most variants drawn in one plot; beyond it, variants are the values of the first axis only.
MAX_VARIANTS = 8
#: Key towns in the printed table and the date plot.
MAX_TOWNS = 6
#: Equal-count bins a range parameter is cut into for the table and the plots.
RANGE_BINS = 3


# ============================================================================ loading
def axes_of(meta: dict[str, Any]) -> list[Axis]:
    """The design's axes as sweep.json records them (checked by read_meta)."""
    return [
        Axis(
            path=a["path"],
            kind=a["kind"],
            values=tuple(a.get("values", ())),
            low=a.get("low"),
            high=a.get("high"),
        )
        for a in meta.get("axes", [])
    ]


def _kinds(meta: dict[str, Any]) -> dict[str, str]:
    kinds = {p: kind_of(v) for p, v in meta.get("fixed", {}).items()}
    kinds.update({a["path"]: a["kind"] for a in meta.get("axes", [])})
    return kinds


def _journal_rows(path: Path, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """An interrupted sweep's rows, from its journal and its design (as the table has them)."""
    spec = SweepSpec(
        meta["scenario"],
        axes_of(meta),
        dict(meta.get("fixed", {})),
        meta["sample"],
        meta["samples"],
        meta["seeds"],
        meta["first_seed"],
        meta["design_seed"],
    )
    try:
        tasks = plan(spec, meta["scenario_sha256"])
    except Exception as e:  # a design sweep.json cannot describe: damaged
        raise FileProblem(
            path.parent / META, f"its design cannot be rebuilt ({str(e)[:80]})"
        ) from None
    return table_rows(read_journal(path, expected={t.key for t in tasks}), tasks)


def load_results(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any], Path]:
    """(rows, sweep.json, folder) from a sweep folder or its table file. Every file is read
    through sim.sweep.store's checked readers: damage is one FileProblem line."""
    folder = path if path.is_dir() else path.parent
    if not path.exists():
        raise SweepError(f"compare {path}: no such file or folder")
    if not (folder / META).exists():
        raise SweepError(
            f"compare {path}: no {META} there; expected a folder written by `python run.py sweep`"
        )
    meta = read_meta(folder)
    table = (
        path
        if path.is_file()
        else next(
            (folder / n for n in ("runs.parquet", "runs.csv", JOURNAL) if (folder / n).exists()),
            None,
        )
    )
    if table is None:
        raise SweepError(f"compare {path}: no runs.parquet, runs.csv or {JOURNAL} in it")
    if table.suffix in (".parquet", ".csv"):
        rows = read_table(table, _kinds(meta))
    elif table.name == JOURNAL:  # an interrupted sweep: compare what is there
        rows = _journal_rows(table, meta)
    else:
        raise SweepError(f"compare {path}: expected a sweep folder, runs.parquet or runs.csv")
    if not rows:
        raise SweepError(f"compare {table}: no runs in it yet")
    return rows, meta, folder


def check_extras(meta: dict[str, Any] | None, plots: bool) -> None:
    """Fail before any work if a package compare needs is missing: matplotlib for the plots,
    SALib for the sensitivity of a sampled sweep (`meta`: its sweep.json, None if not read
    yet); both are in the sweep extra."""
    needs = []
    if plots:
        needs.append(("matplotlib", "the plots (or --no-plots for the table only)"))
    if meta is not None and any(a.get("low") is not None for a in meta.get("axes", [])):
        needs.append(("SALib", "the sensitivity indices of a sampled sweep"))
    for module, what in needs:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise SweepError(
                f'compare: {what} need {module}, part of the sweep extra: pip install -e ".[sweep]"'
            )


# ============================================================================ variants
def short(path: str) -> str:
    """A short label for a path: `units[ua_25_abn].equipment.personnel` -> ua_25_abn personnel."""
    if len(path) <= 24:
        return path
    steps = parse_path(path)
    ids = [
        str(next(iter(s.values()))) if len(s) == 1 else str(list(s.values())[-1])
        for s in steps
        if isinstance(s, dict)
    ]
    return " ".join([*ids, str(steps[-1])])


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


class Grouping:
    """Which variant each run belongs to, with labels in a stable order."""

    def __init__(self, name: str, labels: list[str], of: Callable[[dict], str | None]):
        self.name, self.labels, self.of = name, labels, of


def axis_grouping(axis: Axis, rows: list[dict[str, Any]]) -> Grouping:
    """Runs grouped by one axis: by value (grid) or by equal-count bins (range)."""
    label = short(axis.path)
    if not axis.is_range:
        by_value = {str(v): f"{label}={_fmt_value(v)}" for v in axis.values}
        return Grouping(
            label, list(by_value.values()), lambda r: by_value.get(str(r.get(axis.path)))
        )
    x = np.array([axis.numeric(r[axis.path]) for r in rows if r.get(axis.path) is not None])
    edges = np.quantile(x, np.linspace(0, 1, RANGE_BINS + 1)) if len(x) else np.zeros(2)
    names = ["low", "mid", "high"] if RANGE_BINS == 3 else [f"q{i + 1}" for i in range(RANGE_BINS)]

    def show(v: float) -> str:
        if axis.kind == "datetime":
            t = datetime.fromisoformat(axis.low) + timedelta(hours=float(v))
            return f"{t:%d %b %H:%M}"
        return f"{v:.4g}"

    labels = [
        f"{label} {names[i]} ({show(edges[i])}-{show(edges[i + 1])})" for i in range(RANGE_BINS)
    ]

    def of(r: dict[str, Any]) -> str | None:
        if r.get(axis.path) is None:
            return None
        i = int(np.searchsorted(edges[1:-1], axis.numeric(r[axis.path]), side="right"))
        return labels[min(i, RANGE_BINS - 1)]

    return Grouping(label, labels, of)


def variant_grouping(axes: list[Axis], rows: list[dict[str, Any]]) -> Grouping:
    """The variants the plots compare: every combination of the grid axes (if there are few),
    else the first grid axis, else the first range axis in bins, else all runs as one."""
    grid = [a for a in axes if not a.is_range and len(a.values) > 1]
    if grid:
        combos = math.prod(len(a.values) for a in grid)
        if len(grid) == 1 or combos > MAX_VARIANTS:
            return axis_grouping(grid[0], rows)
        labels = [
            ", ".join(f"{short(a.path)}={_fmt_value(v)}" for a, v in zip(grid, combo, strict=True))
            for combo in _product([a.values for a in grid])
        ]

        def of(r: dict[str, Any]) -> str | None:
            return ", ".join(
                f"{short(a.path)}={_fmt_value(_typed(a, r.get(a.path)))}" for a in grid
            )

        return Grouping("variant", labels, of)
    ranges = [a for a in axes if a.is_range]
    if ranges:
        return axis_grouping(ranges[0], rows)
    return Grouping("all", ["all runs"], lambda r: "all runs")


def _typed(axis: Axis, v: Any) -> Any:
    """A value read back from CSV as the axis's values are (so labels match)."""
    for a in axis.values:
        if str(a) == str(v) or (
            isinstance(a, float) and isinstance(v, int | float) and float(v) == a
        ):
            return a
    return v


def _product(lists: list[tuple]) -> list[tuple]:
    return list(itertools.product(*lists))


# ============================================================================ outcomes
def attacker(rows: list[dict[str, Any]]) -> str:
    """The side that took more ground (UA in September, RU in March)."""

    def final(side: str) -> float:
        vals = [v for v in (final_area(r, side) for r in rows) if v is not None]
        return float(np.median(vals)) if vals else 0.0

    return "UA" if final("UA") >= final("RU") else "RU"


def area_days(rows: list[dict[str, Any]], side: str) -> list[str]:
    prefix = f"area_taken_km2_{side}@"
    return sorted({k[len(prefix) :] for r in rows for k in r if k.startswith(prefix)})


def final_area(r: dict[str, Any], side: str) -> float | None:
    prefix = f"area_taken_km2_{side}@"
    days = sorted(k for k, v in r.items() if k.startswith(prefix) and v is not None)
    return float(r[days[-1]]) if days else None


def key_towns(meta: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Places that changed hands in some run or, in history, within the runs' time span; by
    historical date then median simulated time; at most MAX_TOWNS. If there are none (short
    runs), the places history says changed hands later. `meta["towns"]` (compare --towns)
    names the places to show instead, in its order."""
    out, later = [], []
    chosen = meta.get("towns")
    for p in meta.get("places", []):
        col = f"changed_h.{p['id']}"
        times = [r.get(col) for r in rows if r.get("status") == "ok"]
        changed = [t for t in times if t is not None]
        entry = {**p, "column": col, "median_h": float(np.median(changed)) if changed else math.inf}
        if chosen:
            out.append(entry)
            continue
        in_run = bool(p.get("history_date")) and p["history_date"] <= meta.get("end", "")
        if in_run or changed:
            out.append(entry)
        elif p.get("history_date"):
            later.append(entry)
    if not out:  # nothing happened within the runs: show that the first ones did not fall
        out = later
    if chosen:
        by_id = {p["id"]: p for p in out}
        return [by_id[t] for t in chosen if t in by_id][:MAX_TOWNS]
    out.sort(key=lambda p: (p["history_date"] is None, p["history_date"] or "", p["median_h"]))
    return out[:MAX_TOWNS]


def _when(meta: dict[str, Any], hours: float | None) -> str:
    if hours is None or not math.isfinite(hours):
        return "-"
    t = datetime.fromisoformat(meta["start"]) + timedelta(hours=hours)
    return f"{t:%d %b %H:%M}"


# ============================================================================ the table
def outcome_table(
    rows: list[dict[str, Any]],
    meta: dict[str, Any],
    axes: list[Axis],
) -> tuple[str, list[dict[str, Any]]]:
    """The printed table and its rows (one per value of each varied parameter)."""
    towns = key_towns(meta, rows)[:4]
    side = attacker(rows)
    groupings = [axis_grouping(a, rows) for a in axes if a.is_range or len(a.values) > 1]
    if not groupings:
        groupings = [Grouping("all", ["all runs"], lambda r: "all runs")]
    table: list[dict[str, Any]] = []
    for g in groupings:
        for label in g.labels:
            mine = [r for r in rows if g.of(r) == label]
            ok = [r for r in mine if r.get("status") == "ok"]
            entry: dict[str, Any] = {
                "parameter": g.name,
                "variant": label,
                "runs": len(mine),
                "failed": len(mine) - len(ok),
            }
            fid = [r["fidelity"] for r in ok if r.get("fidelity") is not None]
            entry["fidelity_mean"] = float(np.mean(fid)) if fid else None
            entry["fidelity_sd"] = float(np.std(fid)) if fid else None
            null = [r["null_fidelity"] for r in ok if r.get("null_fidelity") is not None]
            entry["null_fidelity_mean"] = float(np.mean(null)) if null else None
            entry["skill"] = (
                skill(entry["fidelity_mean"], entry["null_fidelity_mean"]) if fid else None
            )
            area = [a for a in (final_area(r, side) for r in ok) if a is not None]
            entry[f"area_taken_{side}_median"] = float(np.median(area)) if area else None
            for t in towns:
                hs = [r.get(t["column"]) for r in ok]
                got = [h for h in hs if h is not None]
                entry[f"{t['id']}_median_h"] = float(np.median(got)) if got else None
                entry[f"{t['id']}_changed"] = f"{len(got)}/{len(ok)}"
            for s in ("UA", "RU"):
                lost = [x for x in (r.get(f"lost_personnel_{s}") for r in ok) if x is not None]
                entry[f"lost_personnel_{s}_median"] = float(np.median(lost)) if lost else None
            cap = [
                sum(
                    r.get(f"captured_{i}_by_{side}") or 0
                    for i in ("tanks", "ifv_apc", "artillery", "mlrs")
                )
                for r in ok
            ]
            entry[f"captured_by_{side}_median"] = float(np.median(cap)) if cap else None
            table.append(entry)

    def num(v: Any, fmt: str = ".0f") -> str:
        return "-" if v is None else format(v, fmt)

    width = max([len(e["variant"]) for e in table] + [7])
    town_heads = [t["name"][:14] for t in towns]
    head = (
        f"{'variant':<{width}} {'runs':>5} {'fail':>4} {'fidelity':>11} {'null':>5} "
        f"{'skill':>5} {side + ' km2':>8} {'lost UA':>8} {'lost RU':>8} {'capt':>6}"
        + "".join(f" {h:>15}" for h in town_heads)
    )
    lines = [f"{meta.get('title', '')}: {len(rows)} runs", head, "-" * len(head)]
    last_param = None
    for e in table:
        if last_param is not None and e["parameter"] != last_param:
            lines.append("")
        last_param = e["parameter"]
        fid_text = (
            "-"
            if e["fidelity_mean"] is None
            else f"{e['fidelity_mean']:5.1f} ±{e['fidelity_sd']:4.1f}"
        )
        cells = ""
        for t in towns:
            h, n = e[t["id"] + "_median_h"], e[t["id"] + "_changed"]
            cells += f" {(_when(meta, h) if h is not None else 'never') + ' ' + n:>15}"
        lines.append(
            f"{e['variant']:<{width}} {e['runs']:>5} {e['failed']:>4} {fid_text:>11} "
            f"{num(e['null_fidelity_mean'], '.1f'):>5} {num(e['skill'], '.2f'):>5} "
            f"{num(e[f'area_taken_{side}_median']):>8} "
            f"{num(e['lost_personnel_UA_median']):>8} "
            f"{num(e['lost_personnel_RU_median']):>8} "
            f"{num(e[f'captured_by_{side}_median']):>6}{cells}"
        )
    history = "; ".join(f"{t['name']} {_hist(t)}" for t in towns if t.get("history_date"))
    lines.append("")
    lines.append(
        f"Fidelity: mean ± sd; null: the mean score of the null runs (the attacking side "
        f"issues no orders); skill: (fidelity - null) / (100 - null) (docs/history.md). "
        f"Medians over runs. Towns: median date of the first change of hands, and in "
        f"how many runs it changed. History: {history or 'none'}."
    )
    return "\n".join(lines), table


def _hist(t: dict[str, Any]) -> str:
    first = f"{datetime.fromisoformat(t['history_date']):%d %b}"
    if t.get("history_until"):
        return f"{first} to {datetime.fromisoformat(t['history_until']):%d %b}"
    return first


# ============================================================================ sensitivity
def sensitivity(
    rows: list[dict[str, Any]],
    meta: dict[str, Any],
    axes: list[Axis],
) -> tuple[str, list[dict[str, Any]]] | None:
    """Sensitivity indices of the outcomes to the range parameters, or None (no ranges).
    Returns (method, [{outcome, parameter, index, conf, S1}])."""
    ranges = [a for a in axes if a.is_range]
    if not ranges:
        return None
    try:
        from SALib.analyze import rbd_fast
        from SALib.analyze import sobol as sobol_analyze
    except ImportError:
        raise SweepError(
            "compare: sensitivity indices need SALib: pip install -e '.[sweep]'"
        ) from None
    names = [a.path for a in ranges]
    problem = {
        "num_vars": len(ranges),
        "names": names,
        "bounds": [list(a.bounds()) for a in ranges],
    }
    side = attacker(rows)
    outcomes: dict[str, Callable[[dict], float | None]] = {
        "fidelity": lambda r: r.get("fidelity"),
        f"area taken by {side} (final)": lambda r: final_area(r, side),
    }
    for t in key_towns(meta, rows)[:2]:
        outcomes[f"{t['name']} changed hands (h)"] = (lambda col: lambda r: r.get(col))(t["column"])
    ok = [r for r in rows if r.get("status") == "ok"]
    results: list[dict[str, Any]] = []
    method = "rbd_fast"
    if meta.get("sample") == "sobol":
        method = "sobol"
        n_points = meta["samples"] * (len(ranges) + 2)
        for name, fn in outcomes.items():
            y = np.full(n_points, np.nan)
            by_point: dict[int, list[float]] = {}
            for r in ok:
                v = fn(r)
                if v is not None and r.get("sample_index") is not None:
                    by_point.setdefault(int(r["sample_index"]), []).append(float(v))
            for j, vs in by_point.items():
                if 0 <= j < n_points:
                    y[j] = np.mean(vs)
            if np.isnan(y).any() or np.ptp(y) == 0:
                continue  # a missing point or a constant outcome: no indices
            si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=0)
            for i, p in enumerate(names):
                results.append(
                    {
                        "outcome": name,
                        "parameter": p,
                        "index": float(si["ST"][i]),
                        "conf": float(si["ST_conf"][i]),
                        "S1": float(si["S1"][i]),
                    }
                )
        return method, results
    for name, fn in outcomes.items():
        given = [
            ([a.numeric(r[a.path]) for a in ranges], fn(r))
            for r in ok
            if all(r.get(a.path) is not None for a in ranges)
        ]
        pts = [(x, float(v)) for x, v in given if v is not None]
        if len(pts) < 8:
            continue
        x = np.array([p[0] for p in pts])
        y = np.array([p[1] for p in pts])
        if np.ptp(y) == 0:
            continue
        # RBD-FAST takes any sample; its harmonic count M must stay well below N / 2
        m = int(min(10, max(1, (len(y) - 1) // 4)))
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                si = rbd_fast.analyze(problem, x, y, M=m, num_resamples=100, seed=0)
        except Exception:  # too few or degenerate points for the estimator
            continue
        for i, p in enumerate(names):
            s1 = float(np.clip(si["S1"][i], 0.0, 1.0))
            results.append(
                {
                    "outcome": name,
                    "parameter": p,
                    "index": s1,
                    "conf": float(si["S1_conf"][i]),
                    "S1": s1,
                }
            )
    return method, results


def sensitivity_text(method: str, results: list[dict[str, Any]]) -> str:
    if not results:
        return (
            "Sensitivity: no indices: no outcome varied across the sampled runs, or fewer "
            "than 8 of them succeeded."
        )
    index = (
        "total-order Sobol index ST" if method == "sobol" else "first-order index S1 by RBD-FAST"
    )
    lines = [f"Sensitivity ({index}; higher moves the outcome more):"]
    for outcome in dict.fromkeys(r["outcome"] for r in results):
        mine = sorted((r for r in results if r["outcome"] == outcome), key=lambda r: -r["index"])
        lines.append(
            f"  {outcome}: "
            + ", ".join(
                f"{short(r['parameter'])} {r['index']:.2f}"
                + (f"±{r['conf']:.2f}" if math.isfinite(r["conf"]) else "")
                for r in mine
            )
        )
    return "\n".join(lines)


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """A table of dicts as CSV (columns in order of first appearance; floats to 6 significant
    digits; None as an empty cell), written atomically. Nothing is written for no rows."""
    if not rows:
        return
    cols = list(dict.fromkeys(k for r in rows for k in r))
    f = io.StringIO(newline="")
    w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(r.get(k)) for k in cols})
    write_atomic(path, f.getvalue().encode("utf-8"))


def _cell(v: Any) -> Any:
    """A cell of compare's CSVs: empty for None, a float to 6 significant digits, text never
    read as a formula by a spreadsheet (a label is a scenario's or a sweep's value)."""
    if v is None:
        return ""
    return f"{v:.6g}" if isinstance(v, float) else csv_text(v)
