"""registers: inspector register fields, company details and aliases, fee-record change kind

Revision ID: 0009b_registers
Revises: 0008

- ``inspector.cert_no`` (执法证号, unique: the natural key of the inspector
  import), ``inspector.phone`` (personal data, masked when shown) and
  ``inspector.active`` (a deactivated inspector stays for past draws but is
  never drawn again).
- ``property_company.legal_rep`` (法定代表人), ``qualification`` (资质) and
  ``aliases`` (、-separated other names: short names and the names of
  companies merged into this one, so later files still find it).
- ``fee_record.change_kind`` (调整类型: 首次核定 / 上调 / 下调 / 降费).
"""
from alembic import op
import sqlalchemy as sa

revision = "0009b_registers"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inspector") as batch:
        batch.add_column(sa.Column("cert_no", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.create_unique_constraint(batch.f("uq_inspector_cert_no"), ["cert_no"])
    with op.batch_alter_table("property_company") as batch:
        batch.add_column(sa.Column("legal_rep", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("qualification", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("aliases", sa.String(length=300), nullable=True))
    with op.batch_alter_table("fee_record") as batch:
        batch.add_column(sa.Column("change_kind", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fee_record") as batch:
        batch.drop_column("change_kind")
    with op.batch_alter_table("property_company") as batch:
        batch.drop_column("aliases")
        batch.drop_column("qualification")
        batch.drop_column("legal_rep")
    with op.batch_alter_table("inspector") as batch:
        batch.drop_constraint(batch.f("uq_inspector_cert_no"), type_="unique")
        batch.drop_column("active")
        batch.drop_column("phone")
        batch.drop_column("cert_no")
