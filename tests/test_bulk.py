"""Many rows at once (``data.bulk``): the same rows on both backends, and under row-level security.

The complaint import writes its new orders with :func:`data.bulk.insert_rows`: on PostgreSQL a COPY
into a staging table and one INSERT from it, because ``COPY FROM`` into a table under row-level
security is refused for an ordinary role, and the policies must still check every row.
"""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from data import db
from data.bulk import insert_rows, load_rows
from data.schema import Complaint, Township
from tests.pg_roles import app_role

COLUMNS = ["order_no", "received_at", "category", "content", "lon", "lat", "township_id", "match_method",
           "status", "complainant_phone"]


def _rows(township_id, n=3, prefix="B"):
    return [(f"{prefix}{i}", datetime(2026, 10, 1 + i, 9, 30), "物业服务", "楼道\t漏水\n第二行 \\ 反斜杠", 116.25 + i / 7,
             None, township_id, "未匹配", "办理中", None) for i in range(n)]


def _township(engine, name="金乡街道", code="370828001") -> int:
    with Session(engine) as s, s.begin():
        t = Township(code=code, name=name, kind="街道")
        s.add(t)
        s.flush()
        return t.id


def test_insert_rows_writes_exactly_the_rows_on_both_backends(db_url):
    engine = db.make_engine(db_url)
    db.migrate(engine)
    town = _township(engine)
    with engine.begin() as conn:
        assert insert_rows(conn, Complaint, COLUMNS, iter(_rows(town))) == 3
        assert insert_rows(conn, Complaint, COLUMNS, iter(_rows(town, 2, prefix="C"))) == 2  # twice in one transaction
    with Session(engine) as s:
        got = s.execute(select(*(getattr(Complaint, c) for c in COLUMNS)).order_by(Complaint.order_no)).all()
    assert [tuple(r) for r in got] == _rows(town) + _rows(town, 2, prefix="C")  # tabs, newlines, backslashes, NULLs
    engine.dispose()


@pytest.mark.postgis
def test_an_app_role_under_row_level_security_inserts_its_own_rows_only(pg_url):
    owner = db.make_engine(pg_url)
    db.migrate(owner)
    own, other = _township(owner), _township(owner, "鸡黍镇", "370828002")
    with app_role(pg_url) as app_url:
        app = db.make_engine(app_url, township_id=own)
        try:
            with pytest.raises(Exception, match="row-level security"):  # why the rows go through a staging table
                with app.begin() as conn:
                    load_rows(conn, Complaint, COLUMNS, _rows(own))
            with app.begin() as conn:
                assert insert_rows(conn, Complaint, COLUMNS, _rows(own)) == 3
            with pytest.raises(Exception, match="row-level security"):  # another township's rows: all refused
                with app.begin() as conn:
                    insert_rows(conn, Complaint, COLUMNS, _rows(own, 1, prefix="X") + _rows(other, 1, prefix="Y"))
            with owner.connect() as conn:
                assert conn.execute(text("SELECT order_no FROM complaint ORDER BY 1")).scalars().all() == \
                    ["B0", "B1", "B2"]
        finally:
            app.dispose()
    owner.dispose()
