"""An ordinary PostgreSQL role for row-level security tests: superusers bypass the policies, so a test
that means to see them work connects as the app would (README: ``CREATE ROLE dashboard …``)."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def app_role(pg_url: str, grants: str = "SELECT, INSERT, UPDATE", *, sequences: bool = True) -> Iterator[str]:
    """A fresh LOGIN role (no superuser, no BYPASSRLS) with ``grants`` on every table; yields its URL.

    The role and what it owns are dropped afterwards; the caller disposes of its own engines first."""
    role = f"dash_app_{uuid.uuid4().hex[:8]}"
    owner = create_engine(pg_url)
    with owner.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT {grants} ON ALL TABLES IN SCHEMA public TO "{role}"'))
        if sequences:
            conn.execute(text(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
    try:
        yield make_url(pg_url).set(username=role).render_as_string(hide_password=False)
    finally:
        with owner.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        owner.dispose()
