"""monthly complaint aggregates by place, without the category (诉求月度汇总（按地点）)

Revision ID: 0013_month_place
Revises: 0012_month_township

``complaint_month_place`` is ``complaint_month`` summed over the categories: complaints per
month × township × community × compound. The top lists, the township ladders and the
monthly totals need no category and read it: about a quarter of the rows (issue 17: the
full province demo's 3.6 M aggregate rows are 0.95 M here). Filled from ``complaint_month``;
``data.aggregates`` refreshes both together. On PostgreSQL it gets both row-level security
policies ``complaint_month`` has: ``township_scope`` (0010a) and ``place_scope`` (0011b).
"""
from alembic import op
import sqlalchemy as sa

revision = "0013_month_place"
down_revision = "0012_month_township"
branch_labels = None
depends_on = None

TOWNSHIP = "NULLIF(current_setting('app.township_id', true), '')"
FENCED = "(SELECT app_fenced_townships())"
PLACE = f"{FENCED} IS NULL OR township_id = ANY ({FENCED}::integer[])"


def upgrade() -> None:
    op.create_table(
        "complaint_month_place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["township_id"], ["township.id"],
                                name=op.f("fk_complaint_month_place_township_id_township")),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"],
                                name=op.f("fk_complaint_month_place_community_id_community")),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"],
                                name=op.f("fk_complaint_month_place_compound_id_compound")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_month_place")),
    )
    op.create_index("ix_complaint_month_place_month", "complaint_month_place",
                    ["month", "township_id", "community_id", "compound_id", "n"])
    op.create_index("ix_complaint_month_place_township", "complaint_month_place",
                    ["township_id", "month", "compound_id", "n"])
    op.execute("""
        INSERT INTO complaint_month_place (month, township_id, community_id, compound_id, n)
        SELECT month, township_id, community_id, compound_id, sum(n) FROM complaint_month
        GROUP BY month, township_id, community_id, compound_id
        ORDER BY month, township_id NULLS FIRST, community_id NULLS FIRST, compound_id NULLS FIRST""")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE complaint_month_place ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE complaint_month_place FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY township_scope ON complaint_month_place USING ({TOWNSHIP} IS NULL OR "
                   f"township_id = {TOWNSHIP}::integer) WITH CHECK ({TOWNSHIP} IS NULL OR "
                   f"township_id = {TOWNSHIP}::integer)")
        op.execute(f"CREATE POLICY place_scope ON complaint_month_place AS RESTRICTIVE USING ({PLACE}) "
                   f"WITH CHECK ({PLACE})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS place_scope ON complaint_month_place")
        op.execute("DROP POLICY IF EXISTS township_scope ON complaint_month_place")
    op.drop_index("ix_complaint_month_place_township", table_name="complaint_month_place")
    op.drop_index("ix_complaint_month_place_month", table_name="complaint_month_place")
    op.drop_table("complaint_month_place")
