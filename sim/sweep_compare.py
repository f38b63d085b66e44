"""`python run.py compare RESULTS`: a sweep's outcomes by parameter value, with plots.

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
import math
import sys
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from sim.safe_io import FileProblem
from sim.sweep import Axis, SweepSpec, _usage, parse_path, plan
from sim.sweep_store import JOURNAL, META, read_journal, read_meta, read_table, table_rows

#: Most variants drawn in one plot; beyond it, variants are the values of the first axis only.
MAX_VARIANTS = 8
#: Key towns in the printed table and the date plot.
MAX_TOWNS = 6
#: Fewer sampled runs than this give rough sensitivity indices (the plot says so).
ROUGH_BELOW = 64
#: Equal-count bins a range parameter is cut into for the table and the plots.
RANGE_BINS = 3


# ============================================================================ loading
def axes_of(meta: dict[str, Any]) -> list[Axis]:
    """The design's axes as sweep.json records them (checked by read_meta)."""
    return [Axis(path=a["path"], kind=a["kind"], values=tuple(a.get("values", ())),
                 low=a.get("low"), high=a.get("high")) for a in meta.get("axes", [])]


def _kinds(meta: dict[str, Any]) -> dict[str, str]:
    from sim.sweep import _kind_of

    kinds = {p: _kind_of(v) for p, v in meta.get("fixed", {}).items()}
    kinds.update({a["path"]: a["kind"] for a in meta.get("axes", [])})
    return kinds


def _journal_rows(path: Path, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """An interrupted sweep's rows, from its journal and its design (as the table has them)."""
    spec = SweepSpec(meta["scenario"], axes_of(meta), dict(meta.get("fixed", {})),
                     meta["sample"], meta["samples"], meta["seeds"], meta["first_seed"],
                     meta["design_seed"])
    try:
        tasks = plan(spec, meta["scenario_sha256"])
    except Exception as e:  # a design sweep.json cannot describe: damaged
        raise FileProblem(path.parent / META, f"its design cannot be rebuilt ({str(e)[:80]})") \
            from None
    return table_rows(read_journal(path, expected={t.key for t in tasks}), tasks)


def load_results(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any], Path]:
    """(rows, sweep.json, folder) from a sweep folder or its table file. Every file is read
    through sim.sweep_store's checked readers: damage is one FileProblem line."""
    folder = path if path.is_dir() else path.parent
    if not path.exists():
        raise _usage(f"compare {path}: no such file or folder")
    if not (folder / META).exists():
        raise _usage(f"compare {path}: no {META} there; expected a folder written by "
                     "`python run.py sweep`")
    meta = read_meta(folder)
    table = path if path.is_file() else next(
        (folder / n for n in ("runs.parquet", "runs.csv", JOURNAL) if (folder / n).exists()),
        None)
    if table is None:
        raise _usage(f"compare {path}: no runs.parquet, runs.csv or {JOURNAL} in it")
    if table.suffix in (".parquet", ".csv"):
        rows = read_table(table, _kinds(meta))
    elif table.name == JOURNAL:  # an interrupted sweep: compare what is there
        rows = _journal_rows(table, meta)
    else:
        raise _usage(f"compare {path}: expected a sweep folder, runs.parquet or runs.csv")
    if not rows:
        raise _usage(f"compare {table}: no runs in it yet")
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
            raise _usage(f"compare: {what} need {module}, part of the sweep extra: "
                         "pip install -e \".[sweep]\"")


# ============================================================================ variants
def short(path: str) -> str:
    """A short label for a path: `units[ua_25_abn].equipment.personnel` -> ua_25_abn personnel."""
    if len(path) <= 24:
        return path
    steps = parse_path(path)
    ids = [str(next(iter(s.values()))) if len(s) == 1 else str(list(s.values())[-1])
           for s in steps if isinstance(s, dict)]
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
        names = {str(v): f"{label}={_fmt_value(v)}" for v in axis.values}
        return Grouping(label, list(names.values()),
                        lambda r: names.get(str(r.get(axis.path))))
    x = np.array([axis.numeric(r[axis.path]) for r in rows if r.get(axis.path) is not None])
    edges = np.quantile(x, np.linspace(0, 1, RANGE_BINS + 1)) if len(x) else np.zeros(2)
    names = ["low", "mid", "high"] if RANGE_BINS == 3 else [f"q{i + 1}" for i in range(RANGE_BINS)]

    def show(v: float) -> str:
        if axis.kind == "datetime":
            t = datetime.fromisoformat(axis.low) + timedelta(hours=float(v))
            return f"{t:%d %b %H:%M}"
        return f"{v:.4g}"

    labels = [f"{label} {names[i]} ({show(edges[i])}-{show(edges[i + 1])})"
              for i in range(RANGE_BINS)]

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
        labels = [", ".join(f"{short(a.path)}={_fmt_value(v)}" for a, v in zip(grid, combo,
                                                                              strict=True))
                  for combo in _product([a.values for a in grid])]

        def of(r: dict[str, Any]) -> str | None:
            return ", ".join(f"{short(a.path)}={_fmt_value(_typed(a, r.get(a.path)))}"
                             for a in grid)

        return Grouping("variant", labels, of)
    ranges = [a for a in axes if a.is_range]
    if ranges:
        return axis_grouping(ranges[0], rows)
    return Grouping("all", ["all runs"], lambda r: "all runs")


def _typed(axis: Axis, v: Any) -> Any:
    """A value read back from CSV as the axis's values are (so labels match)."""
    for a in axis.values:
        if str(a) == str(v) or (isinstance(a, float) and isinstance(v, int | float)
                                and float(v) == a):
            return a
    return v


def _product(lists: list[tuple]) -> list[tuple]:
    import itertools

    return list(itertools.product(*lists))


# ============================================================================ outcomes
def attacker(rows: list[dict[str, Any]]) -> str:
    """The side that took more ground (UA in September, RU in March)."""
    def final(side: str) -> float:
        vals = [final_area(r, side) for r in rows]
        vals = [v for v in vals if v is not None]
        return float(np.median(vals)) if vals else 0.0

    return "UA" if final("UA") >= final("RU") else "RU"


def area_days(rows: list[dict[str, Any]], side: str) -> list[str]:
    prefix = f"area_taken_km2_{side}@"
    return sorted({k[len(prefix):] for r in rows for k in r if k.startswith(prefix)})


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
        entry = {**p, "column": col,
                 "median_h": float(np.median(changed)) if changed else math.inf}
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
def outcome_table(rows: list[dict[str, Any]], meta: dict[str, Any], axes: list[Axis],
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
            entry: dict[str, Any] = {"parameter": g.name, "variant": label, "runs": len(mine),
                                     "failed": len(mine) - len(ok)}
            fid = [r["fidelity"] for r in ok if r.get("fidelity") is not None]
            entry["fidelity_mean"] = float(np.mean(fid)) if fid else None
            entry["fidelity_sd"] = float(np.std(fid)) if fid else None
            area = [final_area(r, side) for r in ok]
            area = [a for a in area if a is not None]
            entry[f"area_taken_{side}_median"] = float(np.median(area)) if area else None
            for t in towns:
                hs = [r.get(t["column"]) for r in ok]
                got = [h for h in hs if h is not None]
                entry[f"{t['id']}_median_h"] = float(np.median(got)) if got else None
                entry[f"{t['id']}_changed"] = f"{len(got)}/{len(ok)}"
            for s in ("UA", "RU"):
                lost = [r.get(f"lost_personnel_{s}") for r in ok]
                lost = [x for x in lost if x is not None]
                entry[f"lost_personnel_{s}_median"] = float(np.median(lost)) if lost else None
            cap = [sum(r.get(f"captured_{i}_by_{side}") or 0
                       for i in ("tanks", "ifv_apc", "artillery", "mlrs")) for r in ok]
            entry[f"captured_by_{side}_median"] = float(np.median(cap)) if cap else None
            table.append(entry)

    def num(v: Any, fmt: str = ".0f") -> str:
        return "-" if v is None else format(v, fmt)

    width = max([len(e["variant"]) for e in table] + [7])
    town_heads = [t["name"][:14] for t in towns]
    head = (f"{'variant':<{width}} {'runs':>5} {'fail':>4} {'fidelity':>11} "
            f"{side + ' km2':>8} {'lost UA':>8} {'lost RU':>8} {'capt':>6}"
            + "".join(f" {h:>15}" for h in town_heads))
    lines = [f"{meta.get('title', '')}: {len(rows)} runs", head, "-" * len(head)]
    last_param = None
    for e in table:
        if last_param is not None and e["parameter"] != last_param:
            lines.append("")
        last_param = e["parameter"]
        fid = "-" if e["fidelity_mean"] is None else \
            f"{e['fidelity_mean']:5.1f} ±{e['fidelity_sd']:4.1f}"
        cells = ""
        for t in towns:
            h, n = e[t["id"] + "_median_h"], e[t["id"] + "_changed"]
            cells += f" {(_when(meta, h) if h is not None else 'never') + ' ' + n:>15}"
        lines.append(f"{e['variant']:<{width}} {e['runs']:>5} {e['failed']:>4} {fid:>11} "
                     f"{num(e[f'area_taken_{side}_median']):>8} "
                     f"{num(e['lost_personnel_UA_median']):>8} "
                     f"{num(e['lost_personnel_RU_median']):>8} "
                     f"{num(e[f'captured_by_{side}_median']):>6}{cells}")
    history = "; ".join(f"{t['name']} {_hist(t)}" for t in towns if t.get("history_date"))
    lines.append("")
    lines.append(f"Medians over runs. Towns: median date of the first change of hands, and in "
                 f"how many runs it changed. History: {history or 'none'}.")
    return "\n".join(lines), table


def _days_since(start: datetime, iso: str) -> float:
    """Days from `start` to an ISO date or time (a bare date is its midnight)."""
    return (datetime.fromisoformat(iso) - start).total_seconds() / 86400


def _hist(t: dict[str, Any]) -> str:
    first = f"{datetime.fromisoformat(t['history_date']):%d %b}"
    if t.get("history_until"):
        return f"{first} to {datetime.fromisoformat(t['history_until']):%d %b}"
    return first


# ============================================================================ sensitivity
def sensitivity(rows: list[dict[str, Any]], meta: dict[str, Any], axes: list[Axis],
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
        raise _usage("compare: sensitivity indices need SALib: pip install -e '.[sweep]'") \
            from None
    problem = {"num_vars": len(ranges), "names": [a.path for a in ranges],
               "bounds": [list(a.bounds()) for a in ranges]}
    side = attacker(rows)
    outcomes: dict[str, Callable[[dict], float | None]] = {
        "fidelity": lambda r: r.get("fidelity"),
        f"area taken by {side} (final)": lambda r: final_area(r, side),
    }
    for t in key_towns(meta, rows)[:2]:
        outcomes[f"{t['name']} changed hands (h)"] = (lambda col: lambda r: r.get(col))(
            t["column"])
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
            for i, p in enumerate(problem["names"]):
                results.append({"outcome": name, "parameter": p, "index": float(si["ST"][i]),
                                "conf": float(si["ST_conf"][i]), "S1": float(si["S1"][i])})
        return method, results
    for name, fn in outcomes.items():
        pts = [([a.numeric(r[a.path]) for a in ranges], fn(r)) for r in ok
               if all(r.get(a.path) is not None for a in ranges)]
        pts = [(x, float(v)) for x, v in pts if v is not None]
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
        for i, p in enumerate(problem["names"]):
            s1 = float(np.clip(si["S1"][i], 0.0, 1.0))
            results.append({"outcome": name, "parameter": p, "index": s1,
                            "conf": float(si["S1_conf"][i]), "S1": s1})
    return method, results


def sensitivity_text(method: str, results: list[dict[str, Any]]) -> str:
    if not results:
        return ("Sensitivity: no indices: no outcome varied across the sampled runs, or fewer "
                "than 8 of them succeeded.")
    index = "total-order Sobol index ST" if method == "sobol" else \
        "first-order index S1 by RBD-FAST"
    lines = [f"Sensitivity ({index}; higher moves the outcome more):"]
    for outcome in dict.fromkeys(r["outcome"] for r in results):
        mine = sorted((r for r in results if r["outcome"] == outcome), key=lambda r: -r["index"])
        lines.append(f"  {outcome}: " + ", ".join(
            f"{short(r['parameter'])} {r['index']:.2f}"
            + (f"±{r['conf']:.2f}" if math.isfinite(r["conf"]) else "") for r in mine))
    return "\n".join(lines)


# ============================================================================ plots
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _colours(n: int) -> list:
    plt = _plt()
    cmap = plt.get_cmap("tab10")
    return [cmap(i % 10) for i in range(n)]


def plot_key_dates(rows: list[dict[str, Any]], meta: dict[str, Any], g: Grouping,
                   path: Path) -> Path | None:
    """One panel per key town: the time it first changed hands in each run (a dot per run, a
    box over them), one row per variant, the historical date as a dashed line."""
    towns = key_towns(meta, rows)
    if not towns:
        return None
    plt = _plt()
    start = datetime.fromisoformat(meta["start"])
    ok = [r for r in rows if r.get("status") == "ok"]
    ncols = min(3, len(towns))
    nrows = math.ceil(len(towns) / ncols)
    height = max(1.0, 0.45 * len(g.labels) + 0.9)
    label_in = 0.075 * max(len(lb) for lb in g.labels)  # width of the variant labels
    fig, axs = plt.subplots(nrows, ncols, figsize=(3.8 * ncols + label_in,
                                                   height * nrows + 0.9),
                            squeeze=False, sharey=True, layout="constrained")
    colours = _colours(len(g.labels))
    end_h = (datetime.fromisoformat(meta["end"]) - start).total_seconds() / 3600
    rng = np.random.default_rng(0)  # jitter only
    for k, t in enumerate(towns):
        ax = axs[k // ncols][k % ncols]
        for i, label in enumerate(g.labels):
            hs = [r.get(t["column"]) for r in ok if g.of(r) == label]
            got = np.array([h for h in hs if h is not None], dtype=float) / 24
            if len(got):
                ax.boxplot(got, positions=[i], orientation="horizontal", widths=0.6,
                           showfliers=False, medianprops={"color": "black"},
                           boxprops={"color": colours[i]}, whiskerprops={"color": colours[i]},
                           capprops={"color": colours[i]})
                ax.scatter(got, i + rng.uniform(-0.18, 0.18, len(got)), s=10,
                           color=colours[i], alpha=0.7, zorder=3)
            never = len(hs) - len(got)
            if never:
                ax.text(end_h / 24, i, f" {never} never", va="center", ha="left", fontsize=7,
                        color="0.35")
        end_d = end_h / 24
        hd = _days_since(start, t["history_date"]) if t.get("history_date") else math.inf
        label, text_at = "history (by that day)", hd
        if t.get("history_until") and hd <= end_d:  # a window: shade its days
            lo = _days_since(start, t["history_date"][:10])  # from the first day's midnight
            hd = _days_since(start, t["history_until"])
            ax.axvspan(lo, min(hd, end_d), color="0.85", zorder=0)
            label = "history (window)"
            text_at = hd if hd <= end_d else lo  # past the sweep's end: label its start
        if hd <= end_d:
            ax.axvline(hd, color="black", ls="--", lw=1)
        if text_at <= end_d:
            right = text_at > 0.6 * end_d
            ax.text(text_at, 1.01, f"{label} " if right else f" {label}",
                    transform=ax.get_xaxis_transform(), fontsize=7,
                    ha="right" if right else "left", va="bottom")
        ax.set_title(f"{t['name']} (held by {t['start_holder']} at the start)", fontsize=9,
                     pad=12)
        ax.set_xlim(0, end_h / 24 * 1.18)
        _day_axis(ax, start, end_h)
        ax.set_yticks(range(len(g.labels)), g.labels, fontsize=8)
        ax.set_ylim(-0.6, len(g.labels) - 0.4)
        ax.invert_yaxis()
        ax.grid(axis="x", color="0.9")
    for k in range(len(towns), nrows * ncols):
        axs[k // ncols][k % ncols].set_visible(False)
    fig.suptitle(f"When key towns first changed hands ({len(ok)} runs)", fontsize=11)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _day_axis(ax: Any, start: datetime, end_h: float) -> None:
    """x in days from the start, labelled with calendar dates at midnight."""
    first = (start.replace(hour=0, minute=0) + timedelta(days=1) - start).total_seconds() / 86400
    days = end_h / 24
    step = max(1, math.ceil(days / 8))
    ticks = [d for d in np.arange(first, days + 1e-9, step)]
    if not ticks:
        ticks = [0.0, days]
    ax.set_xticks(ticks, [f"{start + timedelta(days=float(d)):%d %b}" for d in ticks],
                  fontsize=7)


def plot_area_curves(rows: list[dict[str, Any]], meta: dict[str, Any], g: Grouping,
                     path: Path) -> Path | None:
    """Area taken by the attacking side at the end of each day: median and 10-90 % band per
    variant, and the historical figures (filled: '=', triangles: '>=' lower bounds)."""
    side = attacker(rows)
    days = area_days(rows, side)
    if not days:
        return None
    plt = _plt()
    ok = [r for r in rows if r.get("status") == "ok"]
    x = [datetime.fromisoformat(d) + timedelta(hours=23) for d in days]  # end-of-day values
    fig, ax = plt.subplots(figsize=(9, 5))
    for label, colour in zip(g.labels, _colours(len(g.labels)), strict=True):
        mine = [r for r in ok if g.of(r) == label]
        if not mine:
            continue
        y = np.array([[np.nan if r.get(f"area_taken_km2_{side}@{d}") is None
                       else r[f"area_taken_km2_{side}@{d}"] for d in days] for r in mine],
                     dtype=float)
        keep = ~np.all(np.isnan(y), axis=0)
        xs = [xi for xi, k in zip(x, keep, strict=True) if k]
        if not xs:
            continue
        y = y[:, keep]
        med = np.nanmedian(y, axis=0)
        ax.plot(xs, med, color=colour, lw=2, label=f"{label} (n={len(mine)})")
        if len(mine) > 1:
            lo, hi = np.nanpercentile(y, [10, 90], axis=0)
            ax.fill_between(xs, lo, hi, color=colour, alpha=0.18, lw=0)
    hist = [h for h in meta.get("history_area", [])  # the figures within the runs
            if h["side"] == side and h["date"] <= meta.get("end", h["date"])]
    for rel, marker, name in (("=", "o", "history"), (">=", "^", "history (at least)"),
                              ("<=", "v", "history (at most)")):
        pts = [h for h in hist if h["relation"] == rel]
        if pts:
            ax.scatter([datetime.fromisoformat(h["date"]) for h in pts],
                       [h["area_km2"] for h in pts], marker=marker, s=45, color="black",
                       zorder=5, label=name)
    ax.set_ylabel(f"area taken by {side} since the start (km²)")
    ax.set_title(f"Area taken by {side} by the end of each day: median and 10-90 % of runs")
    ax.grid(color="0.9")
    ax.legend(fontsize=8, loc="upper left")
    import matplotlib.dates as mdates

    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_sensitivity(method: str, results: list[dict[str, Any]], path: Path, n_runs: int = 0,
                     ) -> Path | None:
    """One panel per outcome: the index of each range parameter with its confidence."""
    if not results:
        return None
    plt = _plt()
    outcomes = list(dict.fromkeys(r["outcome"] for r in results))
    params = list(dict.fromkeys(r["parameter"] for r in results))
    fig, axs = plt.subplots(1, len(outcomes), figsize=(3.6 * len(outcomes) + 1.6,
                                                       0.45 * len(params) + 1.6),
                            squeeze=False, sharey=True)
    for k, outcome in enumerate(outcomes):
        ax = axs[0][k]
        vals = {r["parameter"]: r for r in results if r["outcome"] == outcome}
        idx = [vals[p]["index"] if p in vals else 0 for p in params]
        conf = [vals[p]["conf"] if p in vals else 0 for p in params]
        conf = [0 if not math.isfinite(c) else min(c, 1.0) for c in conf]
        ax.barh(range(len(params)), idx, xerr=conf, color="tab:blue", alpha=0.8,
                error_kw={"lw": 1, "ecolor": "0.3"})
        ax.set_yticks(range(len(params)), [short(p) for p in params], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(outcome, fontsize=9)
        ax.set_xlim(0, 1.05)
        ax.grid(axis="x", color="0.9")
    name = "total-order Sobol index (ST)" if method == "sobol" else \
        "first-order index S1 (RBD-FAST)"
    rough = f" - only {n_runs} runs: rough" if 0 < n_runs < ROUGH_BELOW else ""
    fig.suptitle(f"Which parameters move the outcome: {name}{rough}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ============================================================================ command line
def main(argv: list[str]) -> int:
    from sim.cli import Parser
    from sim.cli import _folder as _folder_arg

    ap = Parser(prog="run.py compare", description="Compare a sweep's outcomes, with plots.")
    ap.add_argument("results", type=Path, help="a sweep folder (or its runs.parquet/runs.csv)")
    ap.add_argument("--out", type=_folder_arg, help="where plots go (default RESULTS/compare)")
    ap.add_argument("--no-plots", action="store_true", help="print the table only")
    ap.add_argument("--towns", metavar="ID,ID,...",
                    help=f"the places to show (ids from the scenario's history block, at most "
                         f"{MAX_TOWNS}; the table shows the first 4); default: the first to "
                         f"change hands")
    args = ap.parse_args(argv)
    check_extras(None, plots=not args.no_plots)
    rows, meta, folder = load_results(args.results)
    check_extras(meta, plots=False)
    if args.towns:
        towns = list(dict.fromkeys(t.strip() for t in args.towns.split(",") if t.strip()))
        known = [p["id"] for p in meta.get("places", [])]
        unknown = [t for t in towns if t not in known]
        if unknown or not towns:
            ap.error(f"--towns: {', '.join(unknown) or repr(args.towns)} is not a place of "
                     f"this sweep's history block (known: {', '.join(known)})")
        if len(towns) > MAX_TOWNS:
            ap.error(f"--towns: {len(towns)} places given, at most {MAX_TOWNS}")
        meta = {**meta, "towns": towns}
    axes = axes_of(meta)
    text, table = outcome_table(rows, meta, axes)
    print(text)
    out = args.out or folder / "compare"
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "outcomes_by_parameter.csv", table)
    written = [out / "outcomes_by_parameter.csv"]
    sens = sensitivity(rows, meta, axes)
    if sens is not None:
        method, results = sens
        print()
        print(sensitivity_text(method, results))
        if results:
            _write_csv(out / "sensitivity.csv", [{"method": method, **r} for r in results])
            written.append(out / "sensitivity.csv")
    if not args.no_plots:
        g = variant_grouping(axes, rows)
        grid = [a for a in axes if not a.is_range and len(a.values) > 1]
        if not grid and sens and sens[1]:  # bins of the parameter that moves fidelity most
            top = max(sens[1], key=lambda r: r["index"])["parameter"]
            g = axis_grouping(next(a for a in axes if a.path == top), rows)
        written += [p for p in (plot_key_dates(rows, meta, g, out / "key_dates.png"),
                                plot_area_curves(rows, meta, g, out / "area_curves.png"),
                                plot_sensitivity(*sens, out / "sensitivity.png", len(rows))
                                if sens
                                else None) if p]
    failed = [r for r in rows if r.get("status") == "failed"]
    if failed:
        print(f"\n{len(failed)} failed run(s); first: {failed[0]['run_key']}: "
              f"{failed[0].get('error')}")
    print(f"\nwrote {', '.join(p.name for p in written)} to {out}", file=sys.stderr)
    return 0


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    cols = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else
                            (f"{r[k]:.6g}" if isinstance(r[k], float) else r[k])) for k in cols})
