"""accountability register, assessment scores, monthly checks, fee rectification deadline

Revision ID: 0009e_register
Revises: 0008

问责台账 (issue 14): every consequence a ladder or list triggers becomes an
``accountability_item`` (unique ``trigger_key``, so re-running a month never
duplicates it) with its history in ``accountability_event``. Township and
department quarterly assessment scores (考核成绩) rank the quarterly last
place; ``monthly_check`` records the townships' monthly checks (明查/暗访,
回头看); ``fee_adjustment.deadline`` is the 限期整改 deadline (000 §5(2)).
"""
from alembic import op
import sqlalchemy as sa

revision = "0009e_register"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_kind", sa.String(length=10), nullable=False),
        sa.Column("unit_name", sa.String(length=50), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("score", sa.Numeric(6, 2), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("recorded_by", sa.String(length=50), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["township_id"], ["township.id"],
                                name=op.f("fk_assessment_score_township_id_township")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_score")),
        sa.UniqueConstraint("unit_kind", "unit_name", "quarter", name=op.f("uq_assessment_score_unit_kind")),
    )
    op.create_index(op.f("ix_assessment_score_township_id"), "assessment_score", ["township_id"])
    op.create_table(
        "accountability_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trigger_key", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=30), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("subject_name", sa.String(length=100), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=True),
        sa.Column("responsible_unit", sa.String(length=100), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("evidence_note", sa.Text(), nullable=True),
        sa.Column("evidence_file", sa.String(length=200), nullable=True),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(["township_id"], ["township.id"],
                                name=op.f("fk_accountability_item_township_id_township")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_item")),
        sa.UniqueConstraint("trigger_key", name=op.f("uq_accountability_item_trigger_key")),
    )
    op.create_index(op.f("ix_accountability_item_township_id"), "accountability_item", ["township_id"])
    op.create_index(op.f("ix_accountability_item_period"), "accountability_item", ["period"])
    op.create_table(
        "accountability_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=True),
        sa.Column("from_state", sa.String(length=10), nullable=True),
        sa.Column("to_state", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["accountability_item.id"],
                                name=op.f("fk_accountability_event_item_id_accountability_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_event")),
    )
    op.create_index(op.f("ix_accountability_event_item_id"), "accountability_event", ["item_id"])
    op.create_table(
        "monthly_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("revisit", sa.Boolean(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=50), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"],
                                name=op.f("fk_monthly_check_compound_id_compound")),
        sa.ForeignKeyConstraint(["township_id"], ["township.id"],
                                name=op.f("fk_monthly_check_township_id_township")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_check")),
    )
    op.create_index(op.f("ix_monthly_check_compound_id"), "monthly_check", ["compound_id"])
    op.create_index(op.f("ix_monthly_check_township_id"), "monthly_check", ["township_id"])
    op.create_index(op.f("ix_monthly_check_month"), "monthly_check", ["month"])
    with op.batch_alter_table("fee_adjustment") as batch:
        batch.add_column(sa.Column("deadline", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fee_adjustment") as batch:
        batch.drop_column("deadline")
    for index, table in (("ix_monthly_check_month", "monthly_check"),
                         ("ix_monthly_check_township_id", "monthly_check"),
                         ("ix_monthly_check_compound_id", "monthly_check"),
                         ("ix_accountability_event_item_id", "accountability_event"),
                         ("ix_accountability_item_period", "accountability_item"),
                         ("ix_accountability_item_township_id", "accountability_item"),
                         ("ix_assessment_score_township_id", "assessment_score")):
        op.drop_index(op.f(index), table_name=table)
    for table in ("monthly_check", "accountability_event", "accountability_item", "assessment_score"):
        op.drop_table(table)
