"""staggered-parking proposals (错时停车方案) and their state history

Revision ID: 0005
Revises: 0002

ParkingResource already carries weekday/weekend windows, contact and status
(0001). PostgreSQL: both new tables get the township row-level security policy
of 0007 (a township session sees only its own proposals).
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

SETTING = "NULLIF(current_setting('app.township_id', true), '')"
UNSCOPED = f"{SETTING} IS NULL"
OWN = f"{SETTING}::integer"
RLS_TABLES = {
    "parking_proposal": f"township_id = {OWN}",
    "parking_proposal_step": f"EXISTS (SELECT 1 FROM parking_proposal p WHERE p.id = proposal_id "
                             f"AND p.township_id = {OWN})",
}


def upgrade() -> None:
    op.create_table(
        "parking_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("shortage", sa.Integer(), nullable=False),
        sa.Column("placed", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["township_id"], ["township.id"],
                                name=op.f("fk_parking_proposal_township_id_township")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_proposal")),
    )
    with op.batch_alter_table("parking_proposal") as batch:
        batch.create_index(batch.f("ix_parking_proposal_township_id"), ["township_id"], unique=False)
    op.create_table(
        "parking_proposal_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=50), nullable=True),
        sa.Column("from_status", sa.String(length=10), nullable=True),
        sa.Column("to_status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["proposal_id"], ["parking_proposal.id"],
                                name=op.f("fk_parking_proposal_step_proposal_id_parking_proposal")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_proposal_step")),
    )
    with op.batch_alter_table("parking_proposal_step") as batch:
        batch.create_index(batch.f("ix_parking_proposal_step_proposal_id"), ["proposal_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table, own in RLS_TABLES.items():
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY township_scope ON {table} USING ({UNSCOPED} OR {own}) "
                       f"WITH CHECK ({UNSCOPED} OR {own})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in RLS_TABLES:
            op.execute(f"DROP POLICY IF EXISTS township_scope ON {table}")
    op.drop_table("parking_proposal_step")
    op.drop_table("parking_proposal")
