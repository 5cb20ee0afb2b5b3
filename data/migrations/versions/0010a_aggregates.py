"""monthly complaint aggregates (诉求月度汇总) for the overview

Revision ID: 0010a_aggregates
Revises: 0008

``complaint_month`` holds complaints per month × township × community × compound ×
category (``data.aggregates``). The overview sums it instead of counting the raw
complaints. The migration fills it from the complaints already stored, so a county
in use upgrades with its figures unchanged. On PostgreSQL it gets the same
row-level security as ``complaint`` (migration 0007): a township-scoped engine sees
and refreshes only its township's rows.
"""
from alembic import op
import sqlalchemy as sa

revision = "0010a_aggregates"
down_revision = "0008"
branch_labels = None
depends_on = None

SETTING = "NULLIF(current_setting('app.township_id', true), '')"


def upgrade() -> None:
    op.create_table(
        "complaint_month",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["township_id"], ["township.id"],
                                name=op.f("fk_complaint_month_township_id_township")),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"],
                                name=op.f("fk_complaint_month_community_id_community")),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"],
                                name=op.f("fk_complaint_month_compound_id_compound")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_month")),
    )
    op.create_index("ix_complaint_month_month", "complaint_month",
                    ["month", "township_id", "community_id", "compound_id", "category", "n"])
    postgres = op.get_bind().dialect.name == "postgresql"
    month = "to_char(received_at, 'YYYY-MM')" if postgres else "strftime('%Y-%m', received_at)"
    op.execute(f"""
        INSERT INTO complaint_month (month, township_id, community_id, compound_id, category, n)
        SELECT {month}, township_id, community_id, compound_id, category, count(*)
        FROM complaint
        GROUP BY {month}, township_id, community_id, compound_id, category""")
    if postgres:
        op.execute("ALTER TABLE complaint_month ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE complaint_month FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY township_scope ON complaint_month USING ({SETTING} IS NULL OR "
                   f"township_id = {SETTING}::integer) WITH CHECK ({SETTING} IS NULL OR "
                   f"township_id = {SETTING}::integer)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS township_scope ON complaint_month")
    op.drop_index("ix_complaint_month_month", table_name="complaint_month")
    op.drop_table("complaint_month")
