"""The plots of `python run.py compare` (matplotlib, Agg backend: files, never a window): when
key towns changed hands, area taken by day, and the sensitivity indices."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from sim.safe_io import write_atomic
from sim.sweep.compare import Grouping, area_days, attacker, key_towns, short


def _save(fig: Any, path: Path) -> Path:
    """The figure as a PNG at `path`, written atomically (never through a link planted
    there: sim.safe_io.write_atomic); the figure is closed."""
    import io

    plt = _plt()
    buf = io.BytesIO()
    try:
        fig.savefig(buf, dpi=DPI, format="png")
    finally:
        plt.close(fig)
    return write_atomic(path, buf.getvalue())


#: Figure resolution (dots per inch): sharp on a screen, a few hundred kB per PNG.
DPI = 110
#: Fewer sampled runs than this give rough sensitivity indices (the plot says so).
ROUGH_BELOW = 64


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _colours(n: int) -> list:
    plt = _plt()
    cmap = plt.get_cmap("tab10")
    return [cmap(i % 10) for i in range(n)]


def plot_key_dates(
    rows: list[dict[str, Any]], meta: dict[str, Any], g: Grouping, path: Path
) -> Path | None:
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
    fig, axs = plt.subplots(
        nrows,
        ncols,
        figsize=(3.8 * ncols + label_in, height * nrows + 0.9),
        squeeze=False,
        sharey=True,
        layout="constrained",
    )
    colours = _colours(len(g.labels))
    end_h = (datetime.fromisoformat(meta["end"]) - start).total_seconds() / 3600
    rng = np.random.default_rng(0)  # jitter only
    for k, t in enumerate(towns):
        ax = axs[k // ncols][k % ncols]
        for i, label in enumerate(g.labels):
            hs = [r.get(t["column"]) for r in ok if g.of(r) == label]
            got = np.array([h for h in hs if h is not None], dtype=float) / 24
            if len(got):
                ax.boxplot(
                    got,
                    positions=[i],
                    orientation="horizontal",
                    widths=0.6,
                    showfliers=False,
                    medianprops={"color": "black"},
                    boxprops={"color": colours[i]},
                    whiskerprops={"color": colours[i]},
                    capprops={"color": colours[i]},
                )
                ax.scatter(
                    got,
                    i + rng.uniform(-0.18, 0.18, len(got)),
                    s=10,
                    color=colours[i],
                    alpha=0.7,
                    zorder=3,
                )
            never = len(hs) - len(got)
            if never:
                ax.text(
                    end_h / 24,
                    i,
                    f" {never} never",
                    va="center",
                    ha="left",
                    fontsize=7,
                    color="0.35",
                )
        end_d = end_h / 24
        hd = days_since(start, t["history_date"]) if t.get("history_date") else math.inf
        label, text_at = "history (by that day)", hd
        if t.get("history_until") and hd <= end_d:  # a window: shade its days
            lo = days_since(start, t["history_date"][:10])  # from the first day's midnight
            hd = days_since(start, t["history_until"])
            ax.axvspan(lo, min(hd, end_d), color="0.85", zorder=0)
            label = "history (window)"
            text_at = hd if hd <= end_d else lo  # past the sweep's end: label its start
        if hd <= end_d:
            ax.axvline(hd, color="black", ls="--", lw=1)
        if text_at <= end_d:
            right = text_at > 0.6 * end_d
            ax.text(
                text_at,
                1.01,
                f"{label} " if right else f" {label}",
                transform=ax.get_xaxis_transform(),
                fontsize=7,
                ha="right" if right else "left",
                va="bottom",
            )
        ax.set_title(f"{t['name']} (held by {t['start_holder']} at the start)", fontsize=9, pad=12)
        ax.set_xlim(0, end_h / 24 * 1.18)
        _day_axis(ax, start, end_h)
        ax.set_yticks(range(len(g.labels)), g.labels, fontsize=8)
        ax.set_ylim(-0.6, len(g.labels) - 0.4)
        ax.invert_yaxis()
        ax.grid(axis="x", color="0.9")
    for k in range(len(towns), nrows * ncols):
        axs[k // ncols][k % ncols].set_visible(False)
    fig.suptitle(f"When key towns first changed hands ({len(ok)} runs)", fontsize=11)
    return _save(fig, path)


def _day_axis(ax: Any, start: datetime, end_h: float) -> None:
    """x in days from the start, labelled with calendar dates at midnight."""
    first = (start.replace(hour=0, minute=0) + timedelta(days=1) - start).total_seconds() / 86400
    days = end_h / 24
    step = max(1, math.ceil(days / 8))
    ticks = [d for d in np.arange(first, days + 1e-9, step)]
    if not ticks:
        ticks = [0.0, days]
    ax.set_xticks(ticks, [f"{start + timedelta(days=float(d)):%d %b}" for d in ticks], fontsize=7)


def plot_area_curves(
    rows: list[dict[str, Any]], meta: dict[str, Any], g: Grouping, path: Path
) -> Path | None:
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
        y = np.array(
            [
                [
                    np.nan
                    if r.get(f"area_taken_km2_{side}@{d}") is None
                    else r[f"area_taken_km2_{side}@{d}"]
                    for d in days
                ]
                for r in mine
            ],
            dtype=float,
        )
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
    hist = [
        h
        for h in meta.get("history_area", [])  # the figures within the runs
        if h["side"] == side and h["date"] <= meta.get("end", h["date"])
    ]
    for rel, marker, name in (
        ("=", "o", "history"),
        (">=", "^", "history (at least)"),
        ("<=", "v", "history (at most)"),
    ):
        pts = [h for h in hist if h["relation"] == rel]
        if pts:
            ax.scatter(
                [datetime.fromisoformat(h["date"]) for h in pts],
                [h["area_km2"] for h in pts],
                marker=marker,
                s=45,
                color="black",
                zorder=5,
                label=name,
            )
    ax.set_ylabel(f"area taken by {side} since the start (km²)")
    ax.set_title(f"Area taken by {side} by the end of each day: median and 10-90 % of runs")
    ax.grid(color="0.9")
    ax.legend(fontsize=8, loc="upper left")
    import matplotlib.dates as mdates

    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    fig.autofmt_xdate()
    fig.tight_layout()
    return _save(fig, path)


def plot_sensitivity(
    method: str,
    results: list[dict[str, Any]],
    path: Path,
    n_runs: int = 0,
) -> Path | None:
    """One panel per outcome: the index of each range parameter with its confidence."""
    if not results:
        return None
    plt = _plt()
    outcomes = list(dict.fromkeys(r["outcome"] for r in results))
    params = list(dict.fromkeys(r["parameter"] for r in results))
    fig, axs = plt.subplots(
        1,
        len(outcomes),
        figsize=(3.6 * len(outcomes) + 1.6, 0.45 * len(params) + 1.6),
        squeeze=False,
        sharey=True,
    )
    for k, outcome in enumerate(outcomes):
        ax = axs[0][k]
        vals = {r["parameter"]: r for r in results if r["outcome"] == outcome}
        idx = [vals[p]["index"] if p in vals else 0 for p in params]
        conf = [vals[p]["conf"] if p in vals else 0 for p in params]
        conf = [0 if not math.isfinite(c) else min(c, 1.0) for c in conf]
        ax.barh(
            range(len(params)),
            idx,
            xerr=conf,
            color="tab:blue",
            alpha=0.8,
            error_kw={"lw": 1, "ecolor": "0.3"},
        )
        ax.set_yticks(range(len(params)), [short(p) for p in params], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(outcome, fontsize=9)
        ax.set_xlim(0, 1.05)
        ax.grid(axis="x", color="0.9")
    name = (
        "total-order Sobol index (ST)" if method == "sobol" else "first-order index S1 (RBD-FAST)"
    )
    rough = f" - only {n_runs} runs: rough" if 0 < n_runs < ROUGH_BELOW else ""
    fig.suptitle(f"Which parameters move the outcome: {name}{rough}", fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def days_since(start: datetime, iso: str) -> float:
    """Days from `start` to an ISO date or time (a bare date is its midnight)."""
    return (datetime.fromisoformat(iso) - start).total_seconds() / 86400
