"""The database fixtures themselves: real servers, real PostGIS, nothing mocked."""
from __future__ import annotations

import pytest
import sqlalchemy as sa


@pytest.mark.postgis
def test_pg_url_has_postgis(pg_url):
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
            version = conn.execute(sa.text("SELECT PostGIS_Version()")).scalar_one()
            # 1° of longitude at the equator, on the WGS-84 spheroid: about 111.3 km
            metres = conn.execute(sa.text(
                "SELECT ST_Distance('SRID=4326;POINT(0 0)'::geography, 'SRID=4326;POINT(1 0)'::geography)"
            )).scalar_one()
    finally:
        engine.dispose()
    assert version.split()[0][0].isdigit()
    assert 111_000 < metres < 111_500


@pytest.mark.postgis
def test_pg_url_is_fresh_and_writable(pg_url):
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            tables = conn.execute(sa.text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys'")).scalar_one()
            conn.execute(sa.text("CREATE TABLE compound (id int PRIMARY KEY, name text, geom geometry(Polygon, 4326))"))
            conn.execute(sa.text(
                "INSERT INTO compound VALUES (1, '幸福小区', ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4326))"))
            name = conn.execute(sa.text("SELECT name FROM compound WHERE ST_Intersects(geom, "
                                        "ST_SetSRID(ST_Point(0.6, 0.2), 4326))")).scalar_one()
    finally:
        engine.dispose()
    assert tables == 0
    assert name == "幸福小区"


@pytest.mark.postgis
def test_pg_server_url_is_admin(pg_server_url):
    assert pg_server_url.startswith("postgresql+psycopg://")
    engine = sa.create_engine(pg_server_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_database()")).scalar_one() == "postgres"
    finally:
        engine.dispose()


def test_db_url_is_fresh_database(db_url, request):
    kind = request.node.callspec.params["db_url"]
    assert db_url.startswith({"sqlite": "sqlite:///", "postgresql": "postgresql+psycopg://"}[kind])
    engine = sa.create_engine(db_url)
    try:
        assert sa.inspect(engine).get_table_names() in ([], ["spatial_ref_sys"])
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x text)"))
            conn.execute(sa.text("INSERT INTO t VALUES (:x)"), {"x": "镇街"})
            assert conn.execute(sa.text("SELECT x FROM t")).scalar_one() == "镇街"
            if kind == "postgresql":
                assert conn.execute(sa.text(
                    "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'")).scalar_one() == 1
    finally:
        engine.dispose()


def test_left_open_connections_do_not_block_drop(db_url):
    # a test that forgets engine.dispose() must not break the fixture's DROP DATABASE
    engine = sa.create_engine(db_url)
    conn = engine.connect()
    conn.execute(sa.text("SELECT 1"))
