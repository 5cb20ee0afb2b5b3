"""Issue 13 §6: credentials.

Attacks that got through: in a copy of the demo database marked non-synthetic,
``admin`` / ``jinxiang2024`` still signed in; only real accounts got "已锁定至…"
(usernames could be enumerated) and five wrong passwords locked any account for
15 minutes. Now: the demo password works only on the synthetic demo; ``init
--no-demo`` makes a first administrator with a one-time password that must be
changed; a failure says the same thing for any username, and failures slow
down one username from one client only (exponential backoff), audited.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from data import audit, auth, db, settings
from data.schema import Township, User
from tests import apptest

ROOT = Path(__file__).resolve().parents[1]
USERS = ("admin", "leader", "housing", "jinxiang_jd", "jinxiang_sq1", "inspector1")


@pytest.fixture(scope="module")
def real_copy(page_demo):
    """The demo database, copied and marked non-synthetic (what a careless deployment would do)."""
    url = page_demo("not_demo")
    engine = db.make_engine(url)
    with Session(engine) as s, s.begin():
        s.execute(update(Township).values(synthetic=False))
    yield url, engine
    engine.dispose()


def test_demo_password_works_on_the_demo(page_demo):
    engine = db.make_engine(page_demo("still_demo"))
    assert auth.is_demo_database(engine)
    assert auth.authenticate(engine, "admin", auth.DEMO_PASSWORD).username == "admin"


@pytest.mark.parametrize("username", [*USERS, "nobody_at_all"])
def test_a_real_database_refuses_the_demo_password_for_every_account(real_copy, username):
    _, engine = real_copy
    assert not auth.is_demo_database(engine)
    with pytest.raises(auth.LoginError) as caught:
        auth.authenticate(engine, username, auth.DEMO_PASSWORD, client=f"test-{username}")
    assert str(caught.value) == auth.DEMO_REFUSED  # the same for a user that does not exist
    assert "设置新密码" in auth.DEMO_REFUSED


def test_the_login_page_of_a_real_database_says_the_password_must_be_set(real_copy, monkeypatch):
    url, _ = real_copy
    monkeypatch.setenv("DATABASE_URL", url)
    at = apptest.open_page(None, user=None)
    assert not [e for e in at.expander if "演示" in e.label]  # no demo panel
    at.text_input(key="login_username").input("admin")
    at.text_input(key="login_password").input(auth.DEMO_PASSWORD)
    at.button[0].click().run()
    assert "user" not in at.session_state or not at.session_state["user"]
    assert any("设置新密码" in e.value for e in at.error), [e.value for e in at.error]


# --------------------------------------------------------------------------- one message, backoff per client
@pytest.fixture
def fresh(engine):
    auth.create_user(engine, "wangwu", "王五", "leader", password="Jinxiang-2026")
    return engine


def test_unknown_and_known_usernames_get_one_message(fresh):
    messages = set()
    for name in ("wangwu", "no_such_user"):
        for k in range(6):
            with pytest.raises(auth.LoginError) as caught:
                auth.authenticate(fresh, name, f"wrong{k}", client="10.1.1.1",
                                  now=datetime(2026, 11, 2, 9, 0) + timedelta(hours=k))
            messages.add(str(caught.value))
    assert messages == {auth.BAD_CREDENTIALS}
    throttled = set()
    for name in ("wangwu", "no_such_user"):
        for _ in range(int(settings.get(fresh, "login_backoff_free_failures")) + 1):
            try:
                auth.authenticate(fresh, name, "wrong", client="10.9.9.9", now=datetime(2026, 11, 3, 9, 0))
            except auth.LoginError as exc:
                throttled.add(re.sub(r"\d+", "N", str(exc)))
    assert throttled == {auth.BAD_CREDENTIALS, re.sub(r"\{seconds\}", "N", auth.THROTTLED)}


@pytest.mark.parametrize("failures, wait", [(0, 0), (1, 0), (2, 0), (3, 2), (4, 4), (5, 8), (10, 256), (11, 300),
                                            (40, 300)])
def test_backoff_doubles_past_the_free_failures_up_to_the_cap(engine, failures, wait):
    assert auth.backoff_seconds(engine, failures) == wait


def test_an_attacker_slows_only_their_own_client(fresh):
    now = datetime(2026, 11, 2, 9, 0)
    for _ in range(8):
        try:
            auth.authenticate(fresh, "wangwu", "guess", client="ip:203.0.113.9", now=now)
        except auth.LoginError:
            pass
    wait = auth.throttle_wait(fresh, "wangwu", "ip:203.0.113.9", now=now)
    assert wait > 0
    with pytest.raises(auth.LoginError, match="过于频繁"):
        auth.authenticate(fresh, "wangwu", "Jinxiang-2026", client="ip:203.0.113.9", now=now)
    # the real user, elsewhere, at the same moment: no lockout at all
    assert auth.authenticate(fresh, "wangwu", "Jinxiang-2026", client="ip:10.0.0.8", now=now).username == "wangwu"
    # and the attacker's wait runs out by itself
    assert auth.authenticate(fresh, "wangwu", "Jinxiang-2026", client="ip:203.0.113.9",
                             now=now + timedelta(seconds=wait)).username == "wangwu"
    log = audit.entries(fresh, username="wangwu")
    assert {"login_failed", "login_throttled", "login"} <= set(log["action"])
    assert log["detail"].astype(str).str.contains("203.0.113.9").any()


# --------------------------------------------------------------------------- init --no-demo
def test_init_no_demo_makes_a_first_admin_whose_one_time_password_must_be_changed(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    run = subprocess.run([sys.executable, "-m", "data", "init", "--no-demo", "--db", url], cwd=ROOT,
                         env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    password = lines[lines.index(next(x for x in lines if "一次性密码" in x)) + 1].strip()
    assert len(password) >= 12
    engine = db.make_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM app_user WHERE username='admin'")).scalar()
    assert password not in stored
    again = subprocess.run([sys.executable, "-m", "data", "init", "--no-demo", "--db", url], cwd=ROOT,
                           env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, timeout=300)
    assert "一次性密码" not in again.stdout  # printed once
    assert auth.authenticate(engine, "admin", password).must_change_password

    # the sign-in page asks for a new password before anything else
    monkeypatch.setenv("DATABASE_URL", url)
    at = apptest.open_page(None, user=None)
    at.text_input(key="login_username").input("admin")
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    assert not isinstance(at.session_state["user"] if "user" in at.session_state else None, auth.Account)
    assert at.text_input(key="chg_new") is not None
    at.text_input(key="chg_old").input(password)
    at.text_input(key="chg_new").input("Jinxiang-2026")
    at.text_input(key="chg_again").input("Jinxiang-2026")
    at.button[0].click().run()
    assert isinstance(at.session_state["user"], auth.Account), [e.value for e in at.error]
    assert not auth.authenticate(engine, "admin", "Jinxiang-2026").must_change_password
    with pytest.raises(auth.LoginError):
        auth.authenticate(engine, "admin", password, client="other")
    engine.dispose()


@pytest.mark.parametrize("new, words", [("short1", "至少"), (auth.DEMO_PASSWORD, "演示密码"), ("1234567890123", "数字")])
def test_the_new_password_is_checked(engine, new, words):
    password = auth.create_first_admin(engine)
    with pytest.raises(ValueError, match=words):
        auth.change_own_password(engine, "admin", password, new)
