"""Issue 13 §1: an unpublished spot-check draw is visible to the drawing unit only.

The attack: as ``inspector1``, 双随机抽查 → 验证 on an unpublished draw listed
every compound, company and team of the draw (in the websocket data on page
load). Now the data layer returns only the inspector's own checks of an
unpublished draw, the published list once it is published, and nothing of an
unpublished draw to anybody else outside the drawing unit.
"""
from __future__ import annotations

from datetime import datetime

import pytest

from data import auth, db
from data.queries import inspection as iq
from data.scope import COUNTY
from tests.apptest import open_page


@pytest.fixture
def world(page_demo):
    url = page_demo("draws")
    engine = db.make_engine(url)
    rec = iq.run_draw(engine, COUNTY, n=12, actor=auth.get_account(engine, "housing"), seed=4242,
                      now=datetime(2026, 11, 20, 9, 0))
    yield url, engine, rec.draw_id
    engine.dispose()


def _account(engine, name):
    return auth.get_account(engine, name)


def test_data_layer_keeps_an_unpublished_draw_to_the_drawing_unit(world):
    _, engine, draw_id = world
    everything = iq.draw_results(engine, COUNTY, draw_id)
    housing = iq.Viewer.of(_account(engine, "housing"))
    me = _account(engine, "inspector1")
    inspector = iq.Viewer.of(me)
    assert len(iq.draw_results(engine, COUNTY, draw_id, viewer=housing)) == len(everything)

    mine = iq.draw_results(engine, COUNTY, draw_id, viewer=inspector)
    own = [r for r in everything.itertuples() if me.inspector_id in _team_ids(engine, r.result_id)]
    assert set(mine["result_id"]) == {r.result_id for r in own}
    assert len(mine) < len(everything)
    for name in ("leader", "jinxiang_jd", "admin"):
        viewer = iq.Viewer.of(_account(engine, name))
        assert iq.draw_results(engine, COUNTY, draw_id, viewer=viewer).empty, name
        assert draw_id not in set(iq.draws(engine, COUNTY, viewer=viewer)["draw_id"]), name
    assert iq.draw_results(engine, COUNTY, draw_id, viewer=iq.Viewer.of(None)).empty  # login off
    listed = iq.draws(engine, COUNTY, viewer=inspector).set_index("draw_id")
    if len(mine):
        assert listed.loc[draw_id, "drawn"] == len(mine)  # counts only their own checks
    others = set(everything["result_id"]) - set(mine["result_id"])
    with pytest.raises(PermissionError):
        iq.result_items(engine, COUNTY, int(next(iter(others))), actor=_account(engine, "jinxiang_jd"))

    # once published: the whole draw, for everybody in scope
    iq.set_published(engine, draw_id, True, actor=_account(engine, "housing"))
    assert len(iq.draw_results(engine, COUNTY, draw_id, viewer=inspector)) == len(everything)
    assert len(iq.draw_results(engine, COUNTY, draw_id, viewer=iq.Viewer.of(None))) == len(everything)


def _team_ids(engine, result_id):
    from sqlalchemy.orm import Session

    from data.schema import SpotCheckResult

    with Session(engine) as s:
        return list(s.get(SpotCheckResult, int(result_id)).inspector_ids or [])


def _draw_rows(at, secret: set[str]) -> list[str]:
    """Names of ``secret`` compounds that the page sends as rows of the draw (results, public list, picks)."""
    leaked = []
    for frame in at.dataframe:
        df = frame.value
        cols = set(df.columns)
        if "seed" in cols and "compound" in cols:  # the public list: rows of this draw
            df = df[df["seed"].astype(str) == "4242"]
        elif not ({"team", "team_units"} & cols) or "compound" not in cols:
            continue
        leaked += [n for n in df["compound"] if n in secret]
    for box in at.selectbox:
        leaked += [o for o in box.options if o in secret]
    return leaked


def test_inspector_page_sends_no_name_of_somebody_elses_unpublished_check(world, monkeypatch):
    url, engine, draw_id = world
    monkeypatch.setenv("DATABASE_URL", url)
    everything = iq.draw_results(engine, COUNTY, draw_id)
    me = _account(engine, "inspector1")
    mine = set(iq.draw_results(engine, COUNTY, draw_id, viewer=iq.Viewer.of(me))["compound"])
    secret = set(everything["compound"]) - mine
    assert secret
    at = open_page("pages/inspection.py", user="inspector1", insp_draw_id=draw_id)
    assert not _draw_rows(at, secret)
    assert not any(n in str(el.proto) for el in at.main for n in secret if el.type in ("markdown", "alert"))
    # the drawing unit sees the whole draw on the same page: the check can fail
    at = open_page("pages/inspection.py", user="housing", insp_draw_id=draw_id)
    assert set(_draw_rows(at, secret)) == secret


def test_compound_record_keeps_an_unpublished_draw_to_the_drawing_unit(world):
    """The same secret through the back door: 小区档案 listed every spot check of the compound,
    including an unpublished draw's, to any reader (an inspector not drawn could read the plan)."""
    from data.queries.record import compound_record
    from data.scope import Period

    _, engine, draw_id = world
    everything = iq.draw_results(engine, COUNTY, draw_id)
    me = _account(engine, "inspector1")
    mine = set(iq.draw_results(engine, COUNTY, draw_id, viewer=iq.Viewer.of(me))["compound_id"])
    period = Period.months("2026-10")
    secret = next(int(c) for c in everything["compound_id"] if int(c) not in mine)
    drawn = datetime(2026, 11, 20, 9, 0)

    def rows(compound_id, viewer):
        checks = compound_record(engine, COUNTY, compound_id, period, viewer=viewer).spot_checks
        return checks[checks["drawn_at"] == drawn]

    assert len(rows(secret, iq.TRUSTED)) == 1  # the drawing unit sees it: the check can fail
    for name in ("inspector1", "leader", "jinxiang_jd"):
        assert rows(secret, iq.Viewer.of(_account(engine, name))).empty, name
    assert rows(secret, iq.Viewer()).empty
    if mine:  # an inspector sees the checks their own team was drawn for
        assert len(rows(int(next(iter(mine))), iq.Viewer.of(me))) == 1
    iq.set_published(engine, draw_id, True, actor=_account(engine, "housing"))
    assert len(rows(secret, iq.Viewer.of(me))) == 1  # once published: everybody in scope
