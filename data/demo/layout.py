"""Compound footprints: non-overlapping quadrilaterals of about 1–15 ha.

Old compounds cluster in the old town, commercial housing spreads around the
seat, resettlement compounds ring the urban edge, and town compounds sit near
their town seat. Work is in EPSG:4548 metres; a spatial hash keeps the
overlap test local, so thousands of compounds place in a few seconds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point, Polygon

from data.demo.places import STREETS, Places
from data.demo.util import cross2

CLASSES = ("商品房", "老旧小区", "回迁安置小区", "三无小区")
URBAN_SHARE = 0.75
# Class shares in the city and in the towns; overall ≈ 55 / 25 / 12 / 8 %.
URBAN_CLASS_P = (0.60, 0.25, 0.11, 0.04)
TOWN_CLASS_P = (0.40, 0.25, 0.15, 0.20)
# Footprint in hectares: lognormal median, sigma, clip range.
AREA_HA = {0: (5.0, 0.55, 1.5, 15.0), 1: (2.2, 0.45, 1.0, 6.0),
           2: (6.0, 0.45, 2.0, 15.0), 3: (1.3, 0.30, 1.0, 2.5)}
GAP_M = 15.0  # roads between compounds
CELL_M = 400.0


@dataclass
class Layout:
    township: np.ndarray  # township index
    community: np.ndarray  # community index
    klass: np.ndarray  # index into CLASSES
    quads: np.ndarray  # (n, 4, 2) metric corners, counter-clockwise
    urban: np.ndarray  # bool
    dist_seat_m: np.ndarray


def _quad(cx, cy, area_m2, r, rng) -> np.ndarray:
    aspect = rng.uniform(1.0, 2.2)
    w = np.sqrt(area_m2 * aspect)
    h = area_m2 / w
    theta = np.deg2rad(rng.normal(0, 5) if r < 0.7 else rng.uniform(-45, 45))
    base = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
    base += rng.uniform(-0.05, 0.05, (4, 2)) * min(w, h)  # slightly irregular, still convex
    base -= base.mean(axis=0)
    actual = abs(cross2(base[2] - base[0], base[3] - base[1])) / 2
    base *= np.sqrt(area_m2 / actual)
    c, s = np.cos(theta), np.sin(theta)
    return base @ np.array([[c, s], [-s, c]]) + [cx, cy]


def place_compounds(pl: Places, n: int, rng: np.random.Generator) -> Layout:
    """Choose class, place and footprint of ``n`` compounds (metric, sorted by place)."""
    n_street = len(STREETS)
    n_town = len(pl.township_geoms) - n_street
    urban = np.zeros(n, bool)
    urban[: int(round(URBAN_SHARE * n))] = True
    rng.shuffle(urban)
    klass = np.where(urban, rng.choice(4, n, p=URBAN_CLASS_P), rng.choice(4, n, p=TOWN_CLASS_P))
    town_w = rng.uniform(0.6, 1.4, n_town)
    town_of = n_street + rng.choice(n_town, n, p=town_w / town_w.sum())

    # Crowding: at large sizes footprints shrink and the city spreads out.
    area_scale = min(1.0, (900.0 / n) ** 0.6)
    spread = max(1.0, (n / 900.0) ** 0.4)
    med, sig, lo, hi = (np.array([AREA_HA[k][i] for k in klass]) for i in range(4))
    area = np.clip(np.exp(np.log(med) + sig * rng.standard_normal(n)), lo, hi)
    area = np.where(urban, area, np.maximum(area * 0.7, 1.0)) * 10_000 * area_scale

    min_area = 10_000 * area_scale  # 1 ha at the default size
    seat = np.array(pl.seat_xy)
    old_town = np.array(pl.township_seats[0])
    tree = shapely.STRtree(pl.community_geoms)
    for g in pl.community_geoms:
        shapely.prepare(g)
    comm_town = np.asarray(pl.community_township)

    streets = shapely.union_all(pl.township_geoms[:n_street])
    regions = [streets] + list(pl.township_geoms[n_street:])
    for g in regions:
        shapely.prepare(g)

    def centre(i, attempt):
        if attempt >= 150:  # crowded: anywhere in the target area
            g = regions[0 if urban[i] else town_of[i] - n_street + 1]
            x0, y0, x1, y1 = g.bounds
            while True:
                p = rng.uniform((x0, y0), (x1, y1))
                if shapely.contains_xy(g, p[0], p[1]):
                    return p
        grow = 1 + 0.04 * attempt
        if not urban[i]:
            sd = (800 if klass[i] == 0 else 550) * grow * spread
            return np.array(pl.township_seats[town_of[i]]) + rng.normal(0, sd, 2)
        if klass[i] in (1, 3):
            return old_town + rng.normal(0, 1400 * grow * spread, 2)
        if klass[i] == 2:
            rad, ang = rng.uniform(2500, 5500) * min(grow, 1.2), rng.uniform(0, 2 * np.pi)
            return seat + rad * np.array([np.cos(ang), np.sin(ang)])
        return seat + rng.normal(0, 2600 * grow * spread, 2)

    placed: list[Polygon] = []
    quads, comms = np.zeros((n, 4, 2)), np.zeros(n, int)
    cells: dict[tuple[int, int], list[int]] = {}
    order = np.argsort(-area, kind="stable")  # large first packs better
    for i in order:
        a = area[i]
        for attempt in range(600):
            if attempt and attempt % 12 == 0:
                a = max(a * 0.85, min_area)
            cx, cy = centre(i, attempt)
            if not shapely.contains_xy(regions[0 if urban[i] else town_of[i] - n_street + 1], cx, cy):
                continue
            hit = tree.query(Point(cx, cy), predicate="within")
            if len(hit) == 0:
                continue
            c = int(hit.min())
            t = comm_town[c]
            if (urban[i] and t >= n_street) or (not urban[i] and t != town_of[i]):
                continue
            q = _quad(cx, cy, a, rng.random(), rng)
            poly = Polygon(q)
            if not pl.community_geoms[c].contains(poly):
                continue
            x0, y0, x1, y1 = poly.bounds
            keys = [(gx, gy) for gx in range(int((x0 - GAP_M) // CELL_M), int((x1 + GAP_M) // CELL_M) + 1)
                    for gy in range(int((y0 - GAP_M) // CELL_M), int((y1 + GAP_M) // CELL_M) + 1)]
            near = sorted({j for k in keys for j in cells.get(k, ())})
            if near and shapely.dwithin(poly, [placed[j] for j in near], GAP_M).any():
                continue
            break
        else:
            raise RuntimeError("小区布局失败：空间不足，请减少小区数量")
        quads[i], comms[i] = q, c
        for k in keys:
            cells.setdefault(k, []).append(len(placed))
        placed.append(poly)

    township = comm_town[comms]
    cxy = quads.mean(axis=1)
    key = np.lexsort((cxy[:, 0], -cxy[:, 1], comms, township))
    dist = np.hypot(cxy[:, 0] - seat[0], cxy[:, 1] - seat[1])
    return Layout(township=township[key], community=comms[key], klass=klass[key],
                  quads=quads[key], urban=urban[key], dist_seat_m=dist[key])


def assign_grids(pl: Places, quads: np.ndarray, community: np.ndarray) -> np.ndarray:
    """Index of the grid containing each footprint's centroid (−1 if none), spatially."""
    cent = shapely.centroid(shapely.polygons(quads))
    tree = shapely.STRtree(pl.grid_geoms)
    src, dst = tree.query(cent, predicate="intersects")
    out = np.full(len(quads), -1)
    grid_comm = np.asarray(pl.grid_community)
    # Prefer a grid of the compound's own community (a centroid on a border touches two).
    pref = np.lexsort((dst, grid_comm[dst] != community[src], src))
    src, dst = src[pref], dst[pref]
    first = np.r_[True, src[1:] != src[:-1]]
    out[src[first]] = dst[first]
    return out
