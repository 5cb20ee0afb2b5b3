"""security: one-time passwords changed at first sign-in, sign-in throttling per username and client

Revision ID: 0009d_security
Revises: 0008

Issue 13. ``app_user.must_change_password`` marks a one-time password (the
first administrator of ``python -m data init --no-demo``, a reset): the sign-in
page asks for a new one before anything else. ``login_throttle`` replaces the
account lockout, which let anybody lock anybody out: failures are counted per
username *and* client (IP or browser session, stored only as a SHA-256), and
each one past the free ones doubles the wait of that pair alone.
"""
from alembic import op
import sqlalchemy as sa

revision = "0009d_security"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("must_change_password")
