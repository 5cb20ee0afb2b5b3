"""Spatial work in PostGIS (``data.spatial``) gives what the Python path gives, on real files.

* Import matching: a real Excel file of work orders — inside a polygon, on its edge, on the edge two
  polygons share, on a corner, 100 m and 200 m from a compound stored as a point, between two
  point compounds, outside everything, and one with a name and no point — imported on SQLite
  (Python path) and on PostgreSQL both in SQL (``match_points``) and in Python: every order gets
  the compound, method, confidence, community and township of the table below on every path.
* Heat: ``ST_HexagonGrid`` cells and counts equal ``geo.binning.hex_bins`` on the same complaints.
* The geometry columns are GeoAlchemy2/PostGIS columns with GiST indexes the matching uses.
"""
from __future__ import annotations

import random
from datetime import datetime

import openpyxl
import pytest
from shapely.geometry import Point, box
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from data import spatial
from data.importers.complaints import import_complaints
from data.schema import Community, Complaint, Compound, GEOMETRY_TABLES, Township
from data.scope import COUNTY, Period

# about 91 m per 0.001° of longitude and 111 m per 0.001° of latitude at 35°N
LAT_M = 1 / 110_950.0


def build_county(engine) -> dict[str, int]:
    """One township (and its community), polygons A and B sharing an edge, points P and Q ~73 m
    apart, and 文昌府 without any geometry; → name → id."""
    ids = {}
    with Session(engine) as s, s.begin():
        t = Township(code="370828101", name="金乡街道", kind="街道", geometry=box(116.28, 35.00, 116.32, 35.04))
        s.add(t)
        s.flush()
        c = Community(code="C1", township_id=t.id, name="金城社区", geometry=box(116.28, 35.00, 116.32, 35.04))
        s.add(c)
        s.flush()
        ids["town"], ids["community"] = t.id, c.id
        for name, geom in (("阳光水岸", box(116.300, 35.010, 116.302, 35.012)),
                           ("翡翠华庭", box(116.302, 35.010, 116.304, 35.012)),
                           ("盛世名门", Point(116.310, 35.020)),
                           ("锦绣江南", Point(116.3108, 35.020)),
                           ("文昌府", None)):
            cp = Compound(code=f"X{len(ids)}", name=name, township_id=t.id, community_id=c.id, geometry=geom,
                          compound_class="商品房", management_mode="专业化物业")
            s.add(cp)
            s.flush()
            ids[name] = cp.id
    return ids


# order, (lon, lat) or None, 小区名称, expected compound, method, confidence, in the township
ORDERS = [
    ("IN", (116.301, 35.011), None, "阳光水岸", "坐标", 1.0, True),
    ("EDGE", (116.300, 35.0115), None, "阳光水岸", "坐标", 1.0, True),       # on A's outer edge
    ("SHARED", (116.302, 35.011), None, "阳光水岸", "坐标", 1.0, True),      # on A|B: smaller id
    ("CORNER", (116.304, 35.012), None, "翡翠华庭", "坐标", 1.0, True),      # B's own corner
    ("NEAR100", (116.310, 35.020 + 100 * LAT_M), None, "盛世名门", "邻近", 0.667, True),
    ("BETWEEN", (116.3105, 35.020), None, "锦绣江南", "邻近", 0.91, True),   # 27 m from Q, 46 m from P
    ("FAR200", (116.310, 35.020 - 200 * LAT_M), None, None, "未匹配", None, True),
    ("OUTSIDE", (116.50, 35.20), None, None, "未匹配", None, False),
    ("NAMED", None, "文昌府", "文昌府", "地址", 1.0, False),
]


def write_orders(path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["工单编号", "受理时间", "诉求类型", "诉求内容", "小区名称", "经度", "纬度"])
    for no, point, name, *_ in ORDERS:
        lon, lat = point if point else (None, None)
        ws.append([f"W-{no}", "2026-03-05 09:30", "物业管理", "楼道灯不亮", name, lon, lat])
    wb.save(path)


def outcome(engine) -> dict[str, tuple]:
    with Session(engine) as s:
        return {c.order_no[2:]: (c.compound_id, c.match_method, c.match_confidence, c.community_id, c.township_id)
                for c in s.scalars(select(Complaint))}


def check_table(got: dict[str, tuple], ids: dict[str, int]) -> None:
    assert set(got) == {o[0] for o in ORDERS}
    for no, _, _, compound, method, confidence, inside in ORDERS:
        cid, got_method, got_conf, community, town = got[no]
        assert (cid, got_method) == (ids.get(compound), method), no
        if confidence is None:
            assert got_conf is None, no
        else:
            assert got_conf == pytest.approx(confidence, abs=0.006), no
        if compound is None:  # unmatched: placed by the polygons covering the point, or nowhere
            assert (community, town) == ((ids["community"], ids["town"]) if inside else (None, None)), no


def test_the_same_file_matches_the_same_in_sql_and_in_python(engine, tmp_path):
    ids = build_county(engine)
    path = tmp_path / "12345工单.xlsx"
    write_orders(path)
    report = import_complaints(engine, path, crs="wgs84")
    assert report.ok, report.error_lines()
    first = outcome(engine)
    check_table(first, ids)
    if engine.dialect.name != "postgresql":
        return  # SQLite has only the Python path
    # PostgreSQL imported in SQL by default; the same file through the Python path gives the same rows
    with Session(engine) as s, s.begin():
        s.execute(delete(Complaint))
    report = import_complaints(engine, path, crs="wgs84", spatial_sql=False)
    assert report.ok, report.error_lines()
    second = outcome(engine)
    check_table(second, ids)
    for no in first:
        a, b = first[no], second[no]
        assert (a[0], a[1], a[3], a[4]) == (b[0], b[1], b[3], b[4]), no
        assert a[2] == pytest.approx(b[2], abs=1e-3) if a[2] is not None else b[2] is None, no


@pytest.mark.postgis
def test_match_points_in_sql_equals_the_python_matcher_on_many_points(pg_url):
    """Thousands of random points around polygons and point compounds: identical stage 1–2 answers."""
    from data import db
    from data.importers.matching import CompoundMatcher

    engine = db.make_engine(pg_url)
    db.migrate(engine)
    rng = random.Random(3)
    with Session(engine) as s, s.begin():
        t = Township(code="T1", name="金乡街道", geometry=box(116.2, 35.0, 116.3, 35.05))
        s.add(t)
        s.flush()
        c = Community(code="C1", township_id=t.id, name="一社区", geometry=box(116.2, 35.0, 116.25, 35.05))
        s.add(c)
        s.flush()
        for k in range(120):
            x, y = rng.uniform(116.2, 116.3), rng.uniform(35.0, 35.05)
            geom = Point(x, y) if k % 3 == 0 else box(x, y, x + rng.uniform(0.0005, 0.002), y + 0.001)
            s.add(Compound(code=f"K{k}", name=f"小区{k}", township_id=t.id, community_id=c.id, geometry=geom,
                           management_mode="专业化物业"))
    with Session(engine) as s:
        rows = s.execute(select(Compound.id, Compound.name, Compound.township_id, Compound.address,
                                Compound.geometry)).all()
        lon = [rng.uniform(116.19, 116.31) for _ in range(3000)]
        lat = [rng.uniform(34.99, 35.06) for _ in range(3000)]
        in_sql = spatial.match_points(s, lon, lat, nearest_m=150)
    in_python = CompoundMatcher(rows, nearest_m=150).by_points(lon, lat)
    methods = {}
    for a, b in zip(in_sql, in_python):
        assert a.compound_id == b.compound_id
        if b.compound_id is not None:
            assert a.method == b.method and a.note == b.note
            assert a.confidence == pytest.approx(b.confidence, abs=1e-3)
            methods[b.method] = methods.get(b.method, 0) + 1
    assert methods.get("坐标", 0) > 20 and methods.get("邻近", 0) > 20  # both stages were exercised
    engine.dispose()


def _complaints_for_heat(engine, rng: random.Random, n: int = 3000) -> None:
    with Session(engine) as s, s.begin():
        t = Township(code="T1", name="金乡街道", geometry=box(116.2, 35.0, 116.35, 35.1))
        s.add(t)
        s.flush()
        c = Community(code="C1", township_id=t.id, name="一社区", geometry=box(116.2, 35.0, 116.35, 35.1))
        s.add(c)
        s.flush()
        compounds = []
        for k in range(40):
            x, y = rng.uniform(116.2, 116.35), rng.uniform(35.0, 35.1)
            cp = Compound(code=f"K{k}", name=f"小区{k}", township_id=t.id, community_id=c.id,
                          geometry=Point(x, y) if k % 4 == 0 else box(x, y, x + 0.0015, y + 0.001),
                          management_mode="专业化物业")
            s.add(cp)
            s.flush()
            compounds.append((cp.id, x, y))
        rows = []
        for i in range(n):
            cid, x, y = rng.choice(compounds)
            method = rng.choice(["坐标", "坐标", "邻近", "地址", "未匹配"])
            point = method in ("坐标", "邻近", "未匹配") or rng.random() < 0.3
            rows.append(dict(order_no=f"H{i}", received_at=datetime(2026, rng.randint(1, 12), 10),
                             category=rng.choice(["物业服务", "电梯安全"]),
                             lon=x + rng.gauss(0, 0.002) if point else None,
                             lat=y + rng.gauss(0, 0.002) if point else None,
                             compound_id=None if method == "未匹配" else cid, township_id=t.id,
                             community_id=c.id, match_method=method, status="办理中"))
        s.execute(Complaint.__table__.insert(), rows)


def _cells(frame) -> dict[tuple[float, float], int]:
    return {(round(g.centroid.x, 6), round(g.centroid.y, 6)): int(n) for g, n in zip(frame.geometry, frame["count"])}


@pytest.mark.postgis
@pytest.mark.parametrize(("radius_m", "categories", "months"), [
    (250, None, ("2026-01", "2026-12")),
    (400, None, ("2026-03", "2026-05")),
    (150, ("电梯安全",), ("2026-01", "2026-12")),
])
def test_heat_cells_in_postgis_equal_the_python_binning(pg_url, radius_m, categories, months):
    from data import db, queries
    from layers.heat import heat_frame

    engine = db.make_engine(pg_url)
    db.migrate(engine)
    _complaints_for_heat(engine, random.Random(11))
    period = Period.months(*months)
    in_sql = spatial.heat_hexes(engine, COUNTY, period, radius_m=radius_m, categories=categories)
    in_python = spatial.heat_hexes(engine, COUNTY, period, radius_m=radius_m, categories=categories, sql=False)
    layer = heat_frame(queries.complaint_point_counts(engine, COUNTY, period, categories=categories),
                       radius_m=radius_m)
    assert len(in_sql) > 20
    assert _cells(in_sql) == _cells(in_python) == _cells(layer)
    # the same hexagons, not only the same centres: every corner within a millimetre
    a = in_sql.sort_values("count", kind="stable").geometry.iloc[-1]
    b = min(in_python.geometry, key=lambda g: g.centroid.distance(a.centroid))
    assert a.normalize().equals_exact(b.normalize(), 1e-8)
    engine.dispose()


def test_heat_on_sqlite_is_the_python_binning(tmp_path):
    from data import db, queries
    from layers.heat import heat_frame

    engine = db.make_engine(f"sqlite:///{tmp_path}/h.sqlite")
    db.migrate(engine)
    _complaints_for_heat(engine, random.Random(5), n=800)
    period = Period.months("2026-01", "2026-12")
    got = spatial.heat_hexes(engine, COUNTY, period, radius_m=250)
    assert _cells(got) == _cells(heat_frame(queries.complaint_point_counts(engine, COUNTY, period), radius_m=250))
    with pytest.raises(ValueError):
        spatial.heat_hexes(engine, COUNTY, period, sql=True)
    engine.dispose()


@pytest.mark.postgis
def test_every_geometry_column_is_postgis_with_a_gist_index_the_matching_uses(pg_url):
    from data import db

    engine = db.make_engine(pg_url)
    db.migrate(engine)
    with engine.connect() as c:
        columns = c.execute(text("SELECT f_table_name, f_geometry_column, type, srid FROM geometry_columns "
                                 "WHERE f_table_schema = current_schema()")).all()
        gist = {(r[0], r[1]) for r in c.execute(text(
            "SELECT t.relname, a.attname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_am am ON am.oid = i.relam "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey) WHERE am.amname = 'gist'"))}
        assert {r[0] for r in columns} == set(GEOMETRY_TABLES)
        assert all(r[2] == "GEOMETRY" and r[3] == 4326 for r in columns)
        assert {(r[0], r[1]) for r in columns} <= gist
    with engine.connect() as c, c.begin():
        # tiny tables would be scanned whole: ask for the plan the joins get at scale
        c.execute(text("SET LOCAL enable_seqscan = off"))
        spatial.load_points(c, [116.3, 116.31], [35.0, 35.01])
        plan = [r[0] for r in c.execute(text("EXPLAIN " + spatial._MATCH_SQL), {"nearest_m": 150.0,
                                                                               "reach_m": 166.0})]
    # every join of points with polygons (compound, nearest point, community, township) is found
    # through a GiST index (the polygons' own, or the points' when polygons are the outer side)
    lookups = [line for line in plan if "Index Cond" in line and "&&" in line]
    assert len(lookups) >= 4, "\n".join(plan)
    assert not any("Seq Scan" in line for line in plan), "\n".join(plan)
    engine.dispose()
