"""spot-check checklist, item results, draw fingerprint, case transfers and photo files

Revision ID: 0006
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_item")),
        sa.UniqueConstraint("code", name=op.f("uq_check_item_code")),
    )
    op.create_table(
        "spot_check_item_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["check_item.id"],
                                name=op.f("fk_spot_check_item_result_item_id_check_item")),
        sa.ForeignKeyConstraint(["result_id"], ["spot_check_result.id"],
                                name=op.f("fk_spot_check_item_result_result_id_spot_check_result")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check_item_result")),
        sa.UniqueConstraint("result_id", "item_id", name=op.f("uq_spot_check_item_result_result_id")),
    )
    with op.batch_alter_table("spot_check_item_result") as batch:
        batch.create_index(batch.f("ix_spot_check_item_result_result_id"), ["result_id"], unique=False)

    op.create_table(
        "spot_check_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["check_item.id"],
                                name=op.f("fk_spot_check_photo_item_id_check_item")),
        sa.ForeignKeyConstraint(["result_id"], ["spot_check_result.id"],
                                name=op.f("fk_spot_check_photo_result_id_spot_check_result")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check_photo")),
    )
    with op.batch_alter_table("spot_check_photo") as batch:
        batch.create_index(batch.f("ix_spot_check_photo_result_id"), ["result_id"], unique=False)

    with op.batch_alter_table("spot_check_draw") as batch:
        batch.add_column(sa.Column("input_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("inputs", sa.JSON(), nullable=True))
    with op.batch_alter_table("spot_check_result") as batch:
        batch.add_column(sa.Column("verdict", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("follow_up", sa.Text(), nullable=True))
    with op.batch_alter_table("case_step") as batch:
        batch.add_column(sa.Column("from_unit", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("to_unit", sa.String(length=50), nullable=True))
    with op.batch_alter_table("case_photo") as batch:
        batch.alter_column("content", existing_type=sa.LargeBinary(), nullable=True)
        batch.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("size_bytes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("lon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("taken_at", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_case_photo_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_photo") as batch:
        batch.drop_index(batch.f("ix_case_photo_sha256"))
        for column in ("taken_at", "lat", "lon", "size_bytes", "sha256"):
            batch.drop_column(column)
        batch.alter_column("content", existing_type=sa.LargeBinary(), nullable=False)
    with op.batch_alter_table("case_step") as batch:
        batch.drop_column("to_unit")
        batch.drop_column("from_unit")
    with op.batch_alter_table("spot_check_result") as batch:
        batch.drop_column("follow_up")
        batch.drop_column("verdict")
    with op.batch_alter_table("spot_check_draw") as batch:
        batch.drop_column("inputs")
        batch.drop_column("input_hash")
    op.drop_table("spot_check_photo")
    op.drop_table("spot_check_item_result")
    op.drop_table("check_item")
