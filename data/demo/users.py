"""Demo sign-in: one shared password for the demo accounts, inspectors linked to their logins.

The demo users themselves (one or more per role) are created by
``oversight._users``; this step only makes them usable. The password is
public (README, login page in demo mode) because the demo data are synthetic;
a real deployment creates its own accounts with ``python -m data user add``.
"""
from __future__ import annotations

from sqlalchemy import Engine, select, update

from data.auth import DEMO_PASSWORD, hash_password  # noqa: F401 - DEMO_PASSWORD re-exported (login page)
from data.schema import Inspector, User


def build_demo_users(engine: Engine) -> dict:
    """Give every demo user the demo password.

    One hash with a fixed salt: the same seed must give the same database, and
    a salt per user buys nothing for a published password.
    """
    digest = hash_password(DEMO_PASSWORD, salt=b"jinxiang-demo-salt")
    with engine.begin() as conn:
        n = conn.execute(update(User).values(password_hash=digest)).rowcount
        county_inspectors = conn.scalars(select(Inspector.id).where(Inspector.township_id.is_(None))
                                         .order_by(Inspector.id)).all()
        logins = conn.scalars(select(User.id).where(User.role == "inspector").order_by(User.id)).all()
        for user_id, inspector_id in zip(logins, county_inspectors):
            conn.execute(update(User).where(User.id == user_id).values(inspector_id=inspector_id))
    return {"可登录账号": n}
