"""The permission matrix on SQLite and PostgreSQL: role × jurisdiction × reads, writes, exports, sign-in.

One small demo county per backend; every demo role signs in (``auth.get_account``)
and its scope is what every query gets. Expectations are written out from the
issue's role list, not read back from ``data.permissions``, so a loosened
matrix fails here.
"""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from types import SimpleNamespace

import openpyxl
import pytest
from sqlalchemy import select, text

from data import audit, auth, db, permissions, queries, settings
from data.demo import build_demo
from data.exporters import to_xlsx_bytes
from data.queries import cases as cq
from data.queries import complaint_stats as cs
from data.queries import fees as fq
from data.queries import inspection as iq
from data.queries import parking as pq
from data.queries.duties import set_duty
from data.queries.evaluation import save_evaluation
from data.queries.reveal import RevealRefused, reveal_complainant
from data.schema import Complaint
from data.scope import COUNTY, Period, Scope, ScopeError

USERS = ("leader", "housing", "admin", "inspector1", "jinxiang_jd", "jinxiang_sq1")
PERIOD = Period.months("2024-09", "2026-10")  # the whole demo window


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgis)])
def world(request, tmp_path_factory):
    dbs = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('access') / 'access.sqlite'}"
    else:
        dbs = request.getfixturevalue("_postgis_databases")
        url = dbs.create()
    engine = db.make_engine(url)
    db.migrate(engine)
    build_demo(engine, seed=5, compounds=80, complaints=1500)
    accounts = {u: auth.get_account(engine, u) for u in USERS}
    with engine.connect() as conn:
        towns = dict(conn.execute(text("SELECT id, name FROM township")).all())
    yield SimpleNamespace(url=url, engine=engine, accounts=accounts, towns=towns, backend=request.param)
    engine.dispose()
    if dbs is not None:
        dbs.drop(url)


# --------------------------------------------------------------------------- jurisdiction of every read
def _readers(engine, scope: Scope):
    """(what, frame, township-id column or township-name column) for each read a page makes."""
    yield "小区", queries.compounds(engine, scope), "township_id"
    yield "镇街", queries.townships(engine, scope), "id"
    yield "社区", queries.communities(engine, scope), "township_id"
    yield "网格", queries.grids(engine, scope), "township_id"
    yield "诉求", queries.complaints(engine, scope, PERIOD), "township_id"
    yield "诉求工单", cs.complaint_records(engine, scope, PERIOD), "township"
    yield "诉求统计", queries.complaint_counts(engine, scope, PERIOD, by="township"), "township"
    yield "执法案件", cq.cases(engine, scope), "township_id"
    yield "停车需求", pq.demand(engine, scope), "township_id"
    yield "停车资源", pq.resources(engine, scope), "township_id"
    yield "物业费", fq.fee_overview(engine, scope), "township_id"
    yield "未匹配诉求", cs.unmatched(engine, scope), "township"


@pytest.mark.parametrize("username", USERS)
def test_every_read_stays_inside_the_users_jurisdiction(world, username):
    account = world.accounts[username]
    scope = account.scope
    for what, frame, column in _readers(world.engine, scope):
        values = set(frame[column].dropna())
        if scope.township_id is None:
            continue
        allowed = {scope.township_id, world.towns[scope.township_id]}
        assert values <= allowed, f"{username} sees {what} of {values - allowed}"
        if scope.community_id is not None and "community_id" in frame.columns:
            assert set(frame["community_id"].dropna()) <= {scope.community_id}, what
    if scope.township_id is not None:  # and the narrow scope is not simply empty
        mine = queries.compounds(world.engine, scope)
        assert len(mine) > 0 and len(mine) < len(queries.compounds(world.engine, COUNTY))


@pytest.mark.parametrize("username", ["jinxiang_jd", "jinxiang_sq1"])
def test_a_narrow_scope_cannot_be_widened(world, username):
    own = world.accounts[username].scope
    other = next(t for t in world.towns if t != own.township_id)
    with pytest.raises(ScopeError):
        own.narrow(township_id=other)
    with pytest.raises(ScopeError):  # a record of another township, asked for by id
        from data.queries.record import compound_record

        foreign = int(queries.compounds(world.engine, Scope(other))["id"].iloc[0])
        compound_record(world.engine, own, foreign, PERIOD)


@pytest.mark.postgis
def test_row_level_security_is_a_second_wall_on_postgresql(pg_url):
    """With a township engine even raw SQL without a WHERE sees one township.

    Superusers bypass row-level security, so, as a deployment must, the app
    connects as an ordinary role here (README: 服务器部署).
    """
    from tests.pg_roles import app_role

    engine = db.make_engine(pg_url)
    db.migrate(engine)
    build_demo(engine, seed=6, compounds=50, complaints=300)
    own = auth.get_account(engine, "jinxiang_jd").scope.township_id
    engine.dispose()
    with app_role(pg_url, sequences=False) as app_url:
        fenced, open_ = db.make_engine(app_url, township_id=own), db.make_engine(app_url)
        try:
            with fenced.connect() as conn:  # the policy alone keeps other townships out
                seen = {r[0] for r in conn.execute(text("SELECT DISTINCT township_id FROM compound"))}
                complaints = {r[0] for r in conn.execute(text("SELECT DISTINCT township_id FROM complaint"))}
                towns = {r[0] for r in conn.execute(text("SELECT id FROM township"))}
                steps = conn.execute(text("SELECT count(*) FROM case_step")).scalar()
            assert seen == {own} and complaints <= {own, None} and towns == {own}
            with open_.connect() as conn:  # a county engine (no township set) sees the whole county
                everything = {r[0] for r in conn.execute(text("SELECT DISTINCT township_id FROM compound"))}
                all_steps = conn.execute(text("SELECT count(*) FROM case_step")).scalar()
            assert everything > seen and all_steps > steps
        finally:
            fenced.dispose()
            open_.dispose()


# --------------------------------------------------------------------------- who may write what
# From the role list: leader reads; housing edits registers, fees, evaluations and runs draws;
# township edits its cases and parking proposals and records checks; community reads; inspector
# records the checks assigned to them; admin manages users and settings.
WRITES = {
    permissions.EDIT_FEES: {"housing"},
    permissions.EDIT_EVALUATIONS: {"housing"},
    permissions.RUN_DRAWS: {"housing"},
    permissions.EDIT_CASES: {"jinxiang_jd"},
    permissions.EDIT_PARKING: {"jinxiang_jd"},
    permissions.APPROVE_PARKING: {"housing"},
    permissions.RECORD_CHECKS: {"jinxiang_jd", "inspector1"},
    permissions.EDIT_SETTINGS: {"admin"},
    permissions.MANAGE_USERS: {"admin"},
    permissions.READ_AUDIT: {"admin"},
    permissions.IMPORT: {"housing", "admin"},
    permissions.REVEAL_PERSONAL: {"housing", "jinxiang_jd"},
    permissions.COMPLAINT_POINTS: {"leader", "housing", "jinxiang_jd"},
}


@pytest.mark.parametrize("capability", sorted(WRITES))
@pytest.mark.parametrize("username", USERS)
def test_the_capability_matrix(world, username, capability):
    account = world.accounts[username]
    allowed = username in WRITES[capability]
    assert account.can(capability) is allowed
    if allowed:
        assert permissions.authorize(account, capability, account.scope).username == username
    else:
        with pytest.raises(PermissionError):
            permissions.authorize(account, capability, account.scope)


def _a_legal_change(world, scope: Scope) -> tuple[int, str]:
    """A compound in ``scope`` and a fee status the state machine allows next for it."""
    from policy import fees as machine

    row = fq.fee_overview(world.engine, scope).iloc[0]
    return int(row["id"]), machine.allowed_next(row["fee_status"])[0]


@pytest.mark.parametrize("username", USERS)
def test_fee_status_changes_are_refused_in_the_data_layer(world, username):
    account = world.accounts[username]
    cid, status = _a_legal_change(world, account.scope)
    call = lambda: fq.record_fee_status(world.engine, account.scope, cid, status, actor=account,  # noqa: E731
                                        reason="依据季度考评结果")
    if username == "housing":
        row = call()
        assert row.actor == account.display_name
        assert audit.entries(world.engine, username="housing", actions=["status"]).shape[0] >= 1
    else:
        with pytest.raises(PermissionError):
            call()


def test_township_staff_write_only_inside_their_township(world):
    account = world.accounts["jinxiang_jd"]
    other = next(t for t in world.towns if t != account.scope.township_id)
    foreign = queries.compounds(world.engine, Scope(other))
    with pytest.raises(ScopeError):  # a wider scope handed in by a page is refused
        cq.open_case(world.engine, Scope(other), category="占用消防通道", details="楼道堆物",
                     actor=account, compound_id=int(foreign["id"].iloc[0]))
    with pytest.raises(ScopeError):  # their own scope with another township's compound: refused too
        cq.open_case(world.engine, account.scope, category="占用消防通道", details="楼道堆物",
                     actor=account, compound_id=int(foreign["id"].iloc[0]))
    mine = queries.compounds(world.engine, account.scope)
    case_id = cq.open_case(world.engine, account.scope, category="占用消防通道", details="楼道堆物",
                           actor=account, compound_id=int(mine["id"].iloc[0]))
    detail = cq.case_detail(world.engine, account.scope, case_id)
    assert detail.steps["actor"].tolist() == [account.display_name]


def test_other_writes_check_the_role_too(world):
    a = world.accounts
    mine = int(queries.compounds(world.engine, a["housing"].scope)["id"].iloc[0])
    with pytest.raises(PermissionError):
        save_evaluation(world.engine, COUNTY, mine, "2026-Q3", "75", actor=a["leader"])
    assert save_evaluation(world.engine, COUNTY, mine, "2026-Q3", "75.5", actor=a["housing"]) in (
        "created", "updated", "unchanged")
    with pytest.raises(PermissionError):
        iq.run_draw(world.engine, COUNTY, n=3, actor=a["leader"])
    with pytest.raises(PermissionError):
        set_duty(world.engine, "电梯故障", "市场监管局", actor=a["housing"])
    set_duty(world.engine, "电梯故障", "县市场监督管理局", actor=a["admin"])
    with pytest.raises(PermissionError):
        settings.set_value(world.engine, "ranking_top_n", 40, actor=a["leader"])
    settings.set_value(world.engine, "ranking_top_n", "40", actor=a["admin"])
    assert settings.get(world.engine, "ranking_top_n") == 40
    with pytest.raises(ValueError, match="格式不对"):
        settings.set_value(world.engine, "ranking_top_n", "四十", actor=a["admin"])
    settings.set_value(world.engine, "ranking_top_n", 50, actor=a["admin"])
    with pytest.raises(PermissionError):
        auth.create_user(world.engine, "intruder", "x", "admin", password="Jinxiang-2026", actor=a["housing"])
    with pytest.raises(PermissionError):
        pq.update_compound_parking(world.engine, a["leader"].scope, mine, parking_spaces=10, actor=a["leader"])
    town = a["jinxiang_jd"].scope
    own = int(queries.compounds(world.engine, town)["id"].iloc[0])
    pq.update_compound_parking(world.engine, town, own, parking_spaces=12, actor=a["jinxiang_jd"])
    everyone = queries.compounds(world.engine, COUNTY)
    foreign = int(everyone[everyone["township_id"] != town.township_id]["id"].iloc[0])
    with pytest.raises(ScopeError):
        pq.update_compound_parking(world.engine, town, foreign, parking_spaces=12, actor=a["jinxiang_jd"])


def test_an_inspector_records_only_the_checks_drawn_for_their_team(world):
    engine, a = world.engine, world.accounts
    rec = iq.run_draw(engine, COUNTY, n=6, actor=a["housing"], seed=11)
    results = iq.draw_results(engine, COUNTY, rec.draw_id)
    me = a["inspector1"]
    mine = iq.draw_results(engine, COUNTY, rec.draw_id, inspector_id=me.inspector_id)
    assert set(mine["result_id"]) < set(results["result_id"]) or len(results) == len(mine)
    items = {int(i): (True, None) for i in iq.check_items(engine)["id"]}
    others = [r for r in results["result_id"] if r not in set(mine["result_id"])]
    if others:
        with pytest.raises(PermissionError, match="未分配给您"):
            iq.record_result(engine, COUNTY, int(others[0]), items=items, checked_at=datetime.now().date(),
                             actor=me)
    if len(mine):
        assert iq.record_result(engine, COUNTY, int(mine["result_id"].iloc[0]), items=items,
                                checked_at=datetime.now().date(), actor=me) == "合格"


# --------------------------------------------------------------------------- personal data
def _phones(frame) -> set[str]:
    return {p for p in frame["complainant_phone"].dropna()}


@pytest.mark.parametrize("username", USERS)
def test_complainants_are_masked_for_every_role(world, username):
    scope = world.accounts[username].scope
    with world.engine.connect() as conn:
        raw = {r[0] for r in conn.execute(select(Complaint.complainant_phone)
                                          .where(Complaint.complainant_phone.is_not(None)))}
    for frame in (queries.complaints(world.engine, scope, PERIOD), cs.complaint_records(world.engine, scope, PERIOD)):
        shown = _phones(frame)
        assert not shown & raw and all("****" in p for p in shown)
        book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame.head(50), exported_by=username)))
        cells = {str(c.value) for row in book.active.iter_rows() for c in row}
        assert not cells & raw
        assert any(username in c for c in cells)  # the export names who made it


def test_reveal_needs_the_handler_and_a_reason_and_is_logged(world):
    engine, a = world.engine, world.accounts
    own = a["jinxiang_jd"].scope
    with engine.connect() as conn:
        mine = conn.execute(select(Complaint.order_no, Complaint.complainant_phone).where(
            Complaint.township_id == own.township_id, Complaint.complainant_phone.is_not(None)).limit(1)).first()
        theirs = conn.execute(select(Complaint.order_no).where(
            Complaint.township_id != own.township_id, Complaint.complainant_phone.is_not(None)).limit(1)).scalar()
    for username in ("leader", "admin", "jinxiang_sq1", "inspector1"):
        with pytest.raises(RevealRefused):
            reveal_complainant(engine, a[username], mine.order_no, "核实诉求办理情况")
    with pytest.raises(RevealRefused, match="原因"):
        reveal_complainant(engine, a["jinxiang_jd"], mine.order_no, "")
    with pytest.raises(RevealRefused):
        reveal_complainant(engine, a["jinxiang_jd"], theirs, "核实诉求办理情况")
    shown = reveal_complainant(engine, a["jinxiang_jd"], mine.order_no, "回访核实办理结果")
    assert shown["complainant_phone"] == mine.complainant_phone
    log = audit.entries(engine, username="jinxiang_jd", actions=["reveal"])
    assert "回访核实办理结果" in log["detail"].iloc[0] and "refused" not in log["detail"].iloc[0]
    assert log["detail"].str.contains("refused=True").sum() == 1  # the other township's order
    for username in ("leader", "admin", "jinxiang_sq1", "inspector1"):  # attempts without the right are logged
        tried = audit.entries(engine, username=username, actions=["reveal"])
        assert tried["detail"].str.contains("refused=True").any()


# --------------------------------------------------------------------------- sign-in
def test_failures_slow_one_client_down_and_never_lock_the_account(world):
    """Issue 13 replaced the lockout (anybody could lock anybody out for 15 minutes) by a backoff
    per username and client; tests/test_security_auth.py has the thresholds."""
    engine = world.engine
    auth.create_user(engine, f"lock_{world.backend}", "锁定测试", "leader", password="Jinxiang-2026")
    name = f"lock_{world.backend}"
    free = int(settings.get(engine, "login_backoff_free_failures"))
    now = datetime(2026, 11, 2, 9, 0)
    for _ in range(free):
        with pytest.raises(auth.LoginError, match="用户名或密码错误"):
            auth.authenticate(engine, name, "wrong", now=now, client="10.0.0.66")
    with pytest.raises(auth.LoginError, match="过于频繁"):  # even the right password, from that client
        auth.authenticate(engine, name, "Jinxiang-2026", now=now, client="10.0.0.66")
    # the real user at another machine is never locked out
    assert auth.authenticate(engine, name, "Jinxiang-2026", now=now, client="10.0.0.7").username == name
    later = now + timedelta(seconds=int(settings.get(engine, "login_backoff_max_seconds")) + 1)
    assert auth.authenticate(engine, name, "Jinxiang-2026", now=later, client="10.0.0.66").username == name
    actions = audit.entries(engine, username=name)["action"].tolist()
    assert {"login", "login_failed", "login_throttled"} <= set(actions)
    assert "login_locked" not in actions


def test_unknown_disabled_and_unmapped_identities_are_denied(world):
    engine, admin = world.engine, world.accounts["admin"]
    with pytest.raises(auth.LoginError, match="用户名或密码错误"):
        auth.authenticate(engine, "nobody", "whatever")
    name = f"gone_{world.backend}"
    auth.create_user(engine, name, "离岗人员", "leader", password="Jinxiang-2026", email=f"{name}@example.cn",
                     actor=admin)
    assert auth.account_for_email(engine, f"{name.upper()}@EXAMPLE.CN").username == name
    auth.set_active(engine, name, False, actor=admin)
    with pytest.raises(auth.LoginError, match="停用"):
        auth.authenticate(engine, name, "Jinxiang-2026")
    with pytest.raises(auth.LoginError):
        auth.account_for_email(engine, f"{name}@example.cn")
    with pytest.raises(auth.LoginError):  # an identity the county never registered: deny by default
        auth.account_for_email(engine, "stranger@example.cn")
    with pytest.raises(auth.LoginError, match="镇街"):  # a township role without its township
        auth.create_user(engine, f"town_{world.backend}", "镇街", "township", password="Jinxiang-2026")
    with pytest.raises(ValueError, match="密码"):
        auth.create_user(engine, f"weak_{world.backend}", "弱密码", "leader", password="12345678901")


# --------------------------------------------------------------------------- staying signed in
SIGNED_IN = datetime(2026, 11, 2, 8, 30)


@pytest.mark.parametrize("hours_later, alive", [
    (0, True), (9.99, True), (10, False), (10.01, False), (24, False)])  # session_hours 10 (default)
def test_a_login_session_lasts_session_hours_and_not_a_moment_longer(world, hours_later, alive):
    account = world.accounts["jinxiang_jd"]
    token, expires_at = auth.open_session(world.engine, account, now=SIGNED_IN)
    assert expires_at == SIGNED_IN + timedelta(hours=10)
    at = SIGNED_IN + timedelta(hours=hours_later)
    if alive:
        resumed = auth.resume_session(world.engine, token, now=at)
        assert (resumed.username, resumed.township_id) == (account.username, account.township_id)
    else:
        with pytest.raises(auth.LoginError, match="重新登录"):
            auth.resume_session(world.engine, token, now=at)


def test_only_the_tokens_hash_is_stored_and_a_wrong_token_is_refused(world):
    token, _ = auth.open_session(world.engine, world.accounts["leader"], now=SIGNED_IN)
    with world.engine.connect() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT token_hash FROM login_session"))]
    assert token not in stored and len(token) >= 40
    for wrong in ("", None, token[:-1], token + "x", stored[0]):  # the hash itself is no key
        with pytest.raises(auth.LoginError):
            auth.resume_session(world.engine, wrong, now=SIGNED_IN)


@pytest.mark.parametrize("ending", ["sign_out", "new_password", "disabled"])
def test_signing_out_a_new_password_or_disabling_ends_the_session(world, ending):
    engine, admin = world.engine, world.accounts["admin"]
    name = f"s_{ending}_{world.backend}"
    auth.create_user(engine, name, "会话测试", "leader", password="Jinxiang-2026", actor=admin)
    account = auth.authenticate(engine, name, "Jinxiang-2026")
    token, _ = auth.open_session(engine, account)
    other, _ = auth.open_session(engine, world.accounts["leader"])  # somebody else's stays
    assert auth.resume_session(engine, token).username == name
    if ending == "sign_out":
        auth.close_session(engine, token)
    elif ending == "new_password":
        auth.set_password(engine, name, "Jinxiang-2027-new", actor=admin)
    else:
        auth.set_active(engine, name, False, actor=admin)
    with pytest.raises(auth.LoginError, match="重新登录"):
        auth.resume_session(engine, token)
    assert auth.resume_session(engine, other).username == "leader"


def test_a_resumed_session_reads_the_account_afresh_and_is_audited(world):
    engine, admin = world.engine, world.accounts["admin"]
    name = f"fresh_{world.backend}"
    auth.create_user(engine, name, "调岗人员", "leader", password="Jinxiang-2026", actor=admin)
    token, _ = auth.open_session(engine, auth.get_account(engine, name))
    with db.write_session(engine) as s:  # moved to a township's staff between two reloads
        town = next(iter(world.towns))
        s.execute(text("UPDATE app_user SET role = 'township', township_id = :t WHERE username = :u"),
                  {"t": town, "u": name})
    resumed = auth.resume_session(engine, token)
    assert (resumed.role, resumed.township_id) == ("township", town)
    logins = audit.entries(engine, username=name)
    assert list(logins[logins["action"] == "login"]["target"]) == ["session"]


def test_session_hours_zero_keeps_nobody_signed_in(world):
    settings.set_value(world.engine, "session_hours", "0", actor=world.accounts["admin"])
    try:
        assert auth.open_session(world.engine, world.accounts["leader"]) is None
    finally:
        settings.set_value(world.engine, "session_hours", "10", actor=world.accounts["admin"])


def test_passwords_are_stored_as_argon2_hashes(world):
    with world.engine.connect() as conn:
        hashes = [r[0] for r in conn.execute(text("SELECT password_hash FROM app_user")) if r[0]]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any("jinxiang2024" in h for h in hashes)


# --------------------------------------------------------------------------- pages per role
EXPECTED_PAGES = {  # register: 问责台账 (issue 14), read by all but inspectors, written by task force/住建局/镇街
    "leader": {"home", "compounds", "complaints", "evaluation", "fees", "parking", "inspection", "enforcement",
               "register"},
    "housing": {"home", "compounds", "complaints", "evaluation", "fees", "parking", "inspection", "enforcement",
                "data", "register"},
    "township": {"home", "compounds", "complaints", "evaluation", "fees", "parking", "inspection", "enforcement",
                 "register"},
    "community": {"home", "compounds", "complaints", "evaluation", "fees", "parking", "enforcement", "register"},
    "inspector": {"home", "compounds", "inspection", "enforcement"},
    "admin": {"home", "compounds", "complaints", "evaluation", "fees", "parking", "inspection", "enforcement",
              "data", "audit", "admin", "register"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED_PAGES))
def test_each_role_sees_only_its_pages(role):
    from pathlib import Path

    from ui.nav import PAGES, available

    pages = {Path(p.path).stem for p in available(role)}
    built = {Path(p.path).stem for p in PAGES if Path(p.path).exists()}
    assert pages == EXPECTED_PAGES[role] & built
    assert available("no_such_role") == []


def test_imports_check_the_role_and_are_audited_with_their_write(world, tmp_path):
    from data.importers.complaints import import_complaints

    a = world.accounts
    header = "工单编号,受理时间,诉求类型,诉求内容,诉求详细地址\n"
    path = tmp_path / f"工单_{world.backend}.csv"
    path.write_text(header + f"ACC{world.backend}01,2026-10-08 09:00,物业服务,楼道堆物,县城某处\n", encoding="utf-8")
    for username in ("leader", "jinxiang_jd", "jinxiang_sq1", "inspector1"):
        with pytest.raises(PermissionError):
            import_complaints(world.engine, path, actor=a[username])
    report = import_complaints(world.engine, path, actor=a["housing"])
    assert report.ok and report.written, report.error_lines()
    log = audit.entries(world.engine, username="housing", actions=["import"])
    assert path.name in set(log["target"])
