"""work orders to compounds: match confidence, learned aliases, 12345 category table

Revision ID: 0009c_matching
Revises: 0008

Every work order records how it reached its compound (坐标 / 邻近 / 地址 / 未匹配)
and how sure the match is (``match_confidence``, 0–1), and keeps the 小区名称 the order
wrote (``compound_name``) and the free-text 办理说明 (Open311 ``status_notes``). A name confirmed by hand in
the unmatched queue is learned as an alias (``compound_alias``) so the next import
matches it. ``category_map`` maps the category names of a 12345 system to the
product's categories (editable beside the duty matrix).
"""
from alembic import op
import sqlalchemy as sa

revision = "0009c_matching"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("match_confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("compound_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("status_notes", sa.Text(), nullable=True))
    op.create_table(
        "compound_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"],
                                name=op.f("fk_compound_alias_compound_id_compound")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compound_alias")),
        sa.UniqueConstraint("alias", "compound_id", name=op.f("uq_compound_alias_alias")),
    )
    op.create_index(op.f("ix_compound_alias_compound_id"), "compound_alias", ["compound_id"])
    op.create_table(
        "category_map",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_category_map")),
    )


def downgrade() -> None:
    op.drop_table("category_map")
    op.drop_index(op.f("ix_compound_alias_compound_id"), table_name="compound_alias")
    op.drop_table("compound_alias")
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("status_notes")
        batch.drop_column("compound_name")
        batch.drop_column("match_confidence")
