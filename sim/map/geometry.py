"""Plane geometry on the map's km grid (sim/map/theatre.py projects lon/lat onto it): whether a
road segment crosses a river, and whether points lie in a polygon (water bodies, the border,
a scenario's areas). Pure numpy, no map data."""

from __future__ import annotations

import numpy as np


def segments_cross(p1, p2, lines_xy: list[np.ndarray]) -> bool:
    """True if segment p1-p2 (km) properly intersects any polyline in `lines_xy` (km)."""
    p1 = np.asarray(p1, float)
    p2 = np.asarray(p2, float)
    d = p2 - p1
    for line in lines_xy:
        a, b = line[:-1], line[1:]
        e = b - a
        denom = d[0] * e[:, 1] - d[1] * e[:, 0]
        ok = np.abs(denom) > 1e-12
        ap = a - p1
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (ap[:, 0] * e[:, 1] - ap[:, 1] * e[:, 0]) / denom
            s = (ap[:, 0] * d[1] - ap[:, 1] * d[0]) / denom
        if np.any(ok & (t >= 0) & (t <= 1) & (s >= 0) & (s <= 1)):
            return True
    return False


def point_in_polygon(x, y, poly: np.ndarray) -> bool:
    """Even-odd rule; `poly` is (n,2), closed or not."""
    return bool(points_in_polygon(np.array([x]), np.array([y]), poly)[0])


def points_in_polygon(x: np.ndarray, y: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """`point_in_polygon` for many points at once: a boolean per point."""
    px, py = poly[:, 0], poly[:, 1]
    qx, qy = np.roll(px, -1), np.roll(py, -1)
    x, y = np.asarray(x, dtype=float)[:, None], np.asarray(y, dtype=float)[:, None]
    cond = (py > y) != (qy > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xin = px + (y - py) * (qx - px) / (qy - py)
    return np.count_nonzero(cond & (x < xin), axis=1) % 2 == 1


__all__ = ["point_in_polygon", "points_in_polygon", "segments_cross"]
