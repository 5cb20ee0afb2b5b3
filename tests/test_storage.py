"""Storage on both backends: migrations, geometry round trip, constraints, scoped reads."""
from __future__ import annotations

from datetime import datetime

import pytest
import shapely
from shapely.geometry import box
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data import db, queries, settings
from data.schema import Base, Community, Complaint, Compound, Township
from data.scope import COUNTY, Period, Scope


def _places(s: Session) -> dict:
    """Two townships, one community each, two compounds each, complaints in two months."""
    ids = {}
    for i, (tname, x) in enumerate((("金乡街道", 116.30), ("鱼山街道", 116.32)), start=1):
        t = Township(code=f"T{i}", name=tname, kind="街道", geometry=box(x, 35.0, x + 0.02, 35.02))
        s.add(t)
        s.flush()
        c = Community(code=f"C{i}", township_id=t.id, name=f"第{i}社区",
                      geometry=box(x, 35.0, x + 0.02, 35.02))
        s.add(c)
        s.flush()
        ids[tname] = (t.id, c.id)
        for j in range(2):
            cp = Compound(code=f"X{i}{j}", name=f"{tname}小区{j}", township_id=t.id, community_id=c.id,
                          geometry=box(x + j * 0.01, 35.0, x + j * 0.01 + 0.005, 35.005),
                          households=100, compound_class="商品房", management_mode="专业化物业")
            s.add(cp)
            s.flush()
            for k, when in enumerate((datetime(2026, 9, 3), datetime(2026, 10, 5), datetime(2026, 10, 20))):
                s.add(Complaint(order_no=f"JX{i}{j}{k}", received_at=when, category="物业服务",
                                compound_id=cp.id, township_id=t.id, community_id=c.id,
                                complainant_name="张三丰", complainant_phone="13812341234"))
    s.commit()
    return ids


def test_migration_creates_every_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_migrate_twice_is_a_no_op(engine):
    from alembic.script import ScriptDirectory

    db.migrate(engine)
    heads = set(ScriptDirectory.from_config(db.alembic_config(engine)).get_heads())
    with engine.connect() as c:
        assert {r[0] for r in c.execute(text("select version_num from alembic_version"))} == heads


def test_migrations_match_the_models(engine):
    """Every model change comes with its migration (tables, columns, indexes)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from data.schema import include_in_autogenerate

    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={
            "compare_type": False, "include_object": include_in_autogenerate(engine.dialect.name)}),
            Base.metadata)
    assert not diff, diff


def test_geometry_round_trip_in_wgs84(engine):
    poly = shapely.Polygon([(116.31, 35.06), (116.32, 35.06), (116.32, 35.07), (116.31, 35.06)])
    with Session(engine) as s:
        s.add(Township(code="T9", name="金乡街道", geometry=poly))
        s.commit()
    with Session(engine) as s:
        got = s.query(Township).one().geometry
    assert got.equals_exact(poly, 1e-12)


@pytest.mark.postgis
def test_postgis_column_is_native_geometry(pg_url):
    engine = db.make_engine(pg_url)
    db.migrate(engine)
    with Session(engine) as s:
        s.add(Township(code="T9", name="金乡街道", geometry=box(116.3, 35.0, 116.4, 35.1)))
        s.commit()
        srid, area = s.execute(text("select ST_SRID(geometry), ST_Area(geometry::geography) "
                                    "from township")).one()
    assert srid == 4326
    assert 8e7 < area < 1.2e8  # ~0.1° × 0.1° at 35°N ≈ 101 km²


def test_order_number_is_unique(engine):
    with Session(engine) as s:
        _places(s)
        s.add(Complaint(order_no="JX100", received_at=datetime(2026, 1, 1), category="物业服务"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_foreign_keys_enforced(engine):
    with Session(engine) as s:
        s.add(Community(code="C9", township_id=999, name="孤儿社区"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_scoped_reads_never_leave_the_scope(engine):
    with Session(engine) as s:
        ids = _places(s)
    jx, ys = ids["金乡街道"], ids["鱼山街道"]
    assert len(queries.compounds(engine, COUNTY)) == 4
    mine = queries.compounds(engine, Scope(jx[0]))
    assert set(mine["township"]) == {"金乡街道"} and len(mine) == 2
    # a community of another township seen from a township scope yields nothing
    assert queries.compounds(engine, Scope(jx[0], ys[1])).empty
    oct_ = Period.months("2026-10")
    counts = queries.complaint_counts(engine, Scope(ys[0]), oct_, by="compound")
    assert counts["count"].tolist() == [2, 2]
    assert set(queries.townships(engine, Scope(ys[0]))["name"]) == {"鱼山街道"}


def test_counts_by_month_and_period_bounds(engine):
    with Session(engine) as s:
        _places(s)
    both = Period.months("2026-09", "2026-10")
    by_month = queries.complaint_counts(engine, COUNTY, both, by="month")
    assert by_month.to_dict("list") == {"month": ["2026-09", "2026-10"], "count": [4, 8]}
    assert queries.complaint_counts(engine, COUNTY, Period.months("2026-11"), by="month").empty
    assert queries.complaint_months(engine) == ["2026-09", "2026-10"]


def test_complainant_fields_leave_the_query_layer_masked(engine):
    with Session(engine) as s:
        _places(s)
    df = queries.complaints(engine, COUNTY, Period.months("2026-09", "2026-10"))
    assert len(df) == 12
    assert set(df["complainant_phone"]) == {"138****1234"}
    assert set(df["complainant_name"]) == {"张**"}
    assert "13812341234" not in df.to_csv()


def test_settings_default_and_override(engine):
    assert settings.get(engine, "ranking_top_n") == 50
    settings.set_value(engine, "ranking_top_n", 30)
    assert settings.get(engine, "ranking_top_n") == 30
    assert settings.all_values(engine)["ranking_top_n"] == 30
    with pytest.raises(KeyError):
        settings.set_value(engine, "no_such_setting", 1)


def test_sqlite_pragmas(tmp_path):
    e = db.make_engine(f"sqlite:///{tmp_path}/x.sqlite")
    with e.connect() as c:
        assert c.exec_driver_sql("pragma journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("pragma foreign_keys").scalar() == 1
        assert c.exec_driver_sql("pragma busy_timeout").scalar() == 10000


def test_a_county_in_use_upgrades_with_its_data(db_url):
    """Migrations must work on a database full of records, not only on a fresh one: on SQLite a
    batch migration copies a table that others point at (it failed with FOREIGN KEY constraint
    failed, and the failed half stayed behind)."""
    from alembic import command

    from data.demo import build_demo

    engine = db.make_engine(db_url)
    db.migrate(engine)
    build_demo(engine, seed=5, compounds=50, complaints=300)
    cfg = db.alembic_config(engine)
    with engine.connect() as c:
        before = {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("inspector", "compound", "complaint", "property_company")}
    command.downgrade(cfg, "0008")  # back to the schema a county ran before the 0009–0012 branches …
    db.migrate(engine)  # … and up again, with every record in place
    with engine.connect() as c:
        after = {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in before}
        if engine.dialect.name == "sqlite":
            assert c.execute(text("PRAGMA foreign_key_check")).all() == []
            assert not c.execute(text("SELECT name FROM sqlite_master WHERE name LIKE '_alembic_tmp%'")).all()
            assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1  # on again for the app
    assert after == before


def test_a_half_copy_left_by_an_older_build_does_not_stop_the_upgrade(tmp_path):
    """Seen on a county database upgraded by a build from before the all-or-nothing migrations:
    a stale ``_alembic_tmp_inspector`` stopped 0009b with 'table … already exists' and the
    dashboard did not start."""
    from alembic import command

    engine = db.make_engine(f"sqlite:///{tmp_path}/old.sqlite")
    db.migrate(engine)
    command.downgrade(db.alembic_config(engine), "0008")  # before 0009b_registers (and the other 0008 branches)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE _alembic_tmp_inspector (id INTEGER PRIMARY KEY, name VARCHAR(30))"))
    db.migrate(engine)
    with engine.connect() as c:
        assert not c.execute(text("SELECT name FROM sqlite_master WHERE name LIKE '\\_alembic\\_tmp\\_%' "
                                  "ESCAPE '\\'")).all()
        assert "cert_no" in {col["name"] for col in inspect(engine).get_columns("inspector")}
