"""unknown stays unknown: compound facts and parking capacity may be NULL; opening hours as written

Revision ID: 0009a_files
Revises: 0008

County registers leave cells blank: a blank 户数, 车位数, 业主组织 or 党支部 is not 0 or
"none", it is not reported. The compound's counts, class, owners' body and yes/no facts
become nullable (shares leave them out of their denominators), as does a parking
resource's capacity (a proposal cannot be submitted until it is filled).
``parking_resource.hours_text`` keeps the opening hours as the file wrote them
("工作日18:00-次日7:30，节假日全天") beside the parsed weekday and weekend windows.

SQLite rebuilds the two tables (batch mode) with foreign keys off (or deferred to the
commit), so rows that reference them stay valid across the rebuild.
"""
from alembic import op
import sqlalchemy as sa

revision = "0009a_files"
down_revision = "0008"
branch_labels = None
depends_on = None

COMPOUND_NULLABLE = (
    ("households", sa.Integer()), ("buildings", sa.Integer()), ("compound_class", sa.String(length=20)),
    ("owners_body", sa.String(length=20)), ("owners_committee_party_members", sa.Integer()),
    ("party_branch", sa.Boolean()), ("party_secretary_full_time", sa.Boolean()),
    ("notice_board", sa.Boolean()), ("smart_property", sa.Boolean()), ("elevators", sa.Integer()),
    ("parking_spaces", sa.Integer()),
)


def _foreign_keys(on: bool) -> None:
    """SQLite: off while the tables are rebuilt (a PRAGMA that only works outside a transaction),
    and deferred to the commit when a transaction is already open (a fresh database's chain)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    if on:
        op.execute("PRAGMA foreign_keys = ON")
    else:
        op.execute("PRAGMA foreign_keys = OFF")
        op.execute("PRAGMA defer_foreign_keys = ON")


def upgrade() -> None:
    _foreign_keys(False)
    with op.batch_alter_table("compound", schema=None) as batch_op:
        for name, type_ in COMPOUND_NULLABLE:
            batch_op.alter_column(name, existing_type=type_, nullable=True)
    with op.batch_alter_table("parking_resource", schema=None) as batch_op:
        batch_op.alter_column("capacity", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("hours_text", sa.String(length=100), nullable=True))
    _foreign_keys(True)


def downgrade() -> None:
    _foreign_keys(False)
    with op.batch_alter_table("parking_resource", schema=None) as batch_op:
        batch_op.drop_column("hours_text")
        batch_op.alter_column("capacity", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("compound", schema=None) as batch_op:
        for name, type_ in COMPOUND_NULLABLE:
            batch_op.alter_column(name, existing_type=type_, nullable=False)
    _foreign_keys(True)
