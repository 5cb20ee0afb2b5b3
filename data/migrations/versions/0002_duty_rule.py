"""duty matrix (职责分工) table

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "duty_rule",
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("department", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("category", name=op.f("pk_duty_rule")),
    )


def downgrade() -> None:
    op.drop_table("duty_rule")
