"""staff identity source, external id and TOTP second factor

Existing staff members are local accounts (a password here) without a second factor.

Revision ID: e3a9f1c27b64
Revises: b7e41c0d9a25
Create Date: 2026-12-06 22:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e3a9f1c27b64"
down_revision = "b7e41c0d9a25"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "identity_source", sa.String(length=10), nullable=False, server_default="local"
            )
        )
        batch_op.add_column(sa.Column("external_id", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_staff_member_external_id"), ["external_id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_staff_member_identity_source"),
            "identity_source IN ('local', 'oidc', 'ldap')",
        )
    with op.batch_alter_table("staff_member", schema=None) as batch_op:
        batch_op.alter_column("identity_source", server_default=None)


def downgrade():
    with op.batch_alter_table("staff_member", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_staff_member_identity_source"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_staff_member_external_id"), type_="unique")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("external_id")
        batch_op.drop_column("identity_source")
