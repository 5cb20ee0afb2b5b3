"""access: OpenID Connect email and inspector link on users, append-only audit log, row-level security

Revision ID: 0007
Revises: 0002

- ``app_user.email`` (unique): the identity provider's email, looked up at
  OpenID Connect login; ``app_user.inspector_id``: the inspector this login is.
- ``audit_log`` is append-only in the database: UPDATE and DELETE raise
  (a trigger on both SQLite and PostgreSQL).
- PostgreSQL only: row-level security as a second wall behind the scoped
  queries. Every row of the township-keyed tables is visible when the session
  setting ``app.township_id`` is unset (migrations, imports, county users) and
  only its own township's rows when it is set (``db.make_engine(url,
  township_id=...)`` sets it at connection start). ``FORCE`` makes the policy
  bind the table owner too; superusers always bypass row-level security, so
  run the app as an ordinary role.
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0002"
branch_labels = None
depends_on = None

SETTING = "NULLIF(current_setting('app.township_id', true), '')"
UNSCOPED = f"{SETTING} IS NULL"
OWN = f"{SETTING}::integer"

# table → the condition that ties a row to the township in the setting
RLS_TABLES = {
    "township": f"id = {OWN}",
    "community": f"township_id = {OWN}",
    "grid": f"township_id = {OWN}",
    "compound": f"township_id = {OWN}",
    "complaint": f"township_id = {OWN}",
    "parking_resource": f"township_id = {OWN}",
    "enforcement_case": f"township_id = {OWN}",
    "evaluation": f"EXISTS (SELECT 1 FROM compound c WHERE c.id = compound_id AND c.township_id = {OWN})",
    "fee_record": f"EXISTS (SELECT 1 FROM compound c WHERE c.id = compound_id AND c.township_id = {OWN})",
    "fee_adjustment": f"EXISTS (SELECT 1 FROM compound c WHERE c.id = compound_id AND c.township_id = {OWN})",
    "spot_check_result": f"EXISTS (SELECT 1 FROM compound c WHERE c.id = compound_id AND c.township_id = {OWN})",
    "case_step": f"EXISTS (SELECT 1 FROM enforcement_case e WHERE e.id = case_id AND e.township_id = {OWN})",
}


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("email", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("inspector_id", sa.Integer(), nullable=True))
        batch.create_unique_constraint(batch.f("uq_app_user_email"), ["email"])
        batch.create_foreign_key(batch.f("fk_app_user_inspector_id_inspector"), "inspector",
                                 ["inspector_id"], ["id"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '审计日志只能追加，不能修改或删除'; END $$""")
        op.execute("""CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
                      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""")
        for table, own in RLS_TABLES.items():
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY township_scope ON {table} USING ({UNSCOPED} OR {own}) "
                       f"WITH CHECK ({UNSCOPED} OR {own})")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log
                           BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能修改或删除'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in RLS_TABLES:
            op.execute(f"DROP POLICY IF EXISTS township_scope ON {table}")
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_constraint(batch.f("fk_app_user_inspector_id_inspector"), type_="foreignkey")
        batch.drop_constraint(batch.f("uq_app_user_email"), type_="unique")
        batch.drop_column("inspector_id")
        batch.drop_column("email")
