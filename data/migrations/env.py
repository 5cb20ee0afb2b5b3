"""Alembic environment: the engine is handed over by ``data.db.migrate``.

SQLite: batch migrations copy a table into a new one and drop the old, which
foreign keys (on for every connection, ``data.db``) forbid while other tables
point at it — an existing database with inspectors, say, could not be upgraded
though a fresh one could. So foreign keys are off while migrating (SQLite's own
advice for schema changes), and ``foreign_key_check`` must come back empty before
the migration's transaction commits. The driver leaves DDL outside any
transaction unless told, so a failed migration left half-copied tables behind:
the migration runs inside an explicit ``BEGIN IMMEDIATE`` and is all-or-nothing.
A database upgraded by an older build may still hold such a half copy
(``_alembic_tmp_<table>``): a batch migration would then stop on it, and the
dashboard would not start. Such a table is never live outside a batch step, so it
is dropped first, in the same transaction.
"""
from alembic import context
from sqlalchemy import text

from data.db import make_engine, default_url
from data.schema import Base, include_in_autogenerate

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(default_url())
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction, or ignored
            connection.commit()
        try:
            with connection.begin():
                if sqlite:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")  # DDL too, in one transaction
                    stale = connection.execute(text(
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '\\_alembic\\_tmp\\_%' "
                        "ESCAPE '\\'")).scalars().all()
                    for name in stale:
                        connection.exec_driver_sql(f'DROP TABLE "{name}"')
                context.configure(connection=connection, target_metadata=target_metadata,
                                  render_as_batch=sqlite,
                                  include_object=include_in_autogenerate(connection.dialect.name))
                context.run_migrations()
                if sqlite:
                    broken = connection.execute(text("PRAGMA foreign_key_check")).all()
                    if broken:
                        raise RuntimeError(f"迁移后外键不一致：{broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


run_migrations_online()
