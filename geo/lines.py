"""Line networks: split lines where they cross, with a spatial index rather than all pairs.

Survey and OSM extracts often cross without a shared vertex. A walking graph
can turn only at a shared vertex, so every line is cut where it meets another.
``shapely.node`` does that on one MultiLineString, comparing all pairs: 800
lines took 7.5 s and 500 MB (issue 13; ``tests/bench/bench_road_network.py``).
:func:`split_at_crossings` asks an STRtree which lines can meet and cuts only those.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import shapely
from shapely.geometry import LineString

__all__ = ["split_at_crossings", "segment_count"]

_TINY = 1e-12  # a piece shorter than this (in the lines' units) is a rounding crumb


def _parts(lines: Iterable) -> np.ndarray:
    parts = [p for g in lines if g is not None and not g.is_empty for p in shapely.get_parts(g)
             if p.geom_type == "LineString" and not p.is_empty]
    return np.array(parts, dtype=object)


def segment_count(lines: Iterable) -> int:
    """Straight segments in ``lines`` (vertices minus one per line part)."""
    parts = _parts(lines)
    if not len(parts):
        return 0
    return int(shapely.get_num_coordinates(parts).sum() - len(parts))


def split_at_crossings(lines: Iterable, *, max_segments: int | None = None) -> list[LineString]:
    """Every line part cut at each point where it meets another line (crossings, T-junctions, overlaps).

    Parameters
    ----------
    lines : iterable of LineString / MultiLineString
        In any one CRS (degrees or metres); the result is in the same CRS.
    max_segments : int, optional, keyword-only
        Raise ``ValueError`` (Chinese) when the cut network would have more
        straight segments than this: the work is bounded before it is done.

    Returns
    -------
    list of LineString
        The pieces; a line that meets nothing is returned as it is.
    """
    parts = _parts(lines)
    if not len(parts):
        return []
    tree = shapely.STRtree(parts)
    left, right = tree.query(parts, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if max_segments is not None:
        estimate = segment_count(parts) + 2 * len(left)
        if estimate > max_segments:
            raise ValueError(f"路网线段过多（约 {estimate} 段，上限 {max_segments} 段）：请裁剪到本镇街范围后再上传")
    if not len(left):
        return list(parts)
    meets = shapely.intersection(parts[left], parts[right])
    counts = shapely.get_num_coordinates(meets)
    xy = shapely.get_coordinates(meets)
    owner_l, owner_r = np.repeat(left, counts), np.repeat(right, counts)
    owner = np.concatenate([owner_l, owner_r])
    cut_xy = np.vstack([xy, xy])
    cut_at = shapely.line_locate_point(parts[owner], shapely.points(cut_xy))
    by_line = np.argsort(owner, kind="stable")
    owner, cut_xy, cut_at = owner[by_line], cut_xy[by_line], cut_at[by_line]
    starts = np.searchsorted(owner, np.arange(len(parts) + 1))
    pieces: list[np.ndarray] = []
    for k, line in enumerate(parts):
        lo, hi = starts[k], starts[k + 1]
        if lo == hi:
            pieces.append(shapely.get_coordinates(line))
            continue
        pieces.extend(_cut(shapely.get_coordinates(line), cut_xy[lo:hi], cut_at[lo:hi]))
    lengths = np.array([len(p) for p in pieces])
    return list(shapely.linestrings(np.vstack(pieces), indices=np.repeat(np.arange(len(pieces)), lengths)))


def _cut(xy: np.ndarray, cut_xy: np.ndarray, cut_at: np.ndarray) -> list[np.ndarray]:
    """The vertex array ``xy`` cut at points ``cut_xy`` lying ``cut_at`` along it (numpy, no geometry objects)."""
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    d = np.concatenate([along, cut_at])
    pts = np.vstack([xy, cut_xy])
    is_cut = np.concatenate([np.zeros(len(xy), bool), np.ones(len(cut_xy), bool)])
    order = np.argsort(d, kind="stable")  # a vertex sorts before a cut at the same place
    d, pts, is_cut = d[order], pts[order], is_cut[order]
    new = np.concatenate([[True], np.diff(d) > _TINY])  # a point within _TINY of the one before joins it
    group = np.cumsum(new) - 1
    cut_group = np.zeros(group[-1] + 1, bool)
    np.logical_or.at(cut_group, group, is_cut)
    pts = pts[new]
    inner = np.flatnonzero(cut_group[1:-1]) + 1
    bounds = np.concatenate([[0], inner, [len(pts) - 1]])
    return [pts[s:e + 1] for s, e in zip(bounds[:-1], bounds[1:]) if e > s]
