"""document numbers: 发文字号 per office, kind and year, kept per numbered subject

Revision ID: 0009f_documents
Revises: 0008

Documents filed by an office carry a serial number (金住建〔2026〕3号) that
runs per issuing office, kind and year. ``document_number`` keeps each number
given and the subject it was given to, so the same document made again keeps
its number.
"""
from alembic import op
import sqlalchemy as sa

revision = "0009f_documents"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_number",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("text", sa.String(length=100), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_number")),
        sa.UniqueConstraint("office", "kind", "year", "serial", name=op.f("uq_document_number_office")),
        sa.UniqueConstraint("kind", "subject", name=op.f("uq_document_number_kind")),
    )


def downgrade() -> None:
    op.drop_table("document_number")
