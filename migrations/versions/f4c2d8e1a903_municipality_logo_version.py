"""municipality logo version

Pages link to the logo by a digest of it; keeping the digest beside the image lets every page
name the logo without reading or hashing the image.

Revision ID: f4c2d8e1a903
Revises: e3a91f5b7c20
Create Date: 2026-12-06 22:55:00

"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "f4c2d8e1a903"
down_revision = "e3a91f5b7c20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("logo_version", sa.String(length=16), nullable=False, server_default="")
        )
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.alter_column("logo_version", server_default=None)
    bind = op.get_bind()
    for municipality_id, logo in bind.execute(
        sa.text("SELECT id, logo FROM municipality WHERE logo IS NOT NULL")
    ).all():
        bind.execute(
            sa.text("UPDATE municipality SET logo_version = :v WHERE id = :id"),
            {"v": hashlib.sha256(logo).hexdigest()[:16], "id": municipality_id},
        )


def downgrade():
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.drop_column("logo_version")
