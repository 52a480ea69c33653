"""webhook endpoints and deliveries, calendar feeds and the offices' feed policy

New tables only: nothing existing changes.

Revision ID: e3a91f5b7c20
Revises: e3a9f1c27b64
Create Date: 2026-12-06 22:00:00

"""

import sqlalchemy as sa
from alembic import op

import terminvergabe.db

revision = "e3a91f5b7c20"
down_revision = "e3a9f1c27b64"
branch_labels = None
depends_on = None


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, terminvergabe.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", sa.String(length=500), nullable=False),
        sa.Column("data_level", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _time("created_at"),
        _time("secret_rotated_at"),
        sa.CheckConstraint(
            "data_level IN ('ids', 'contact')", name=op.f("ck_webhook_endpoint_data_level")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_webhook_endpoint_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["office.id"],
            name=op.f("fk_webhook_endpoint_office_id_office"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoint")),
    )
    with op.batch_alter_table("webhook_endpoint") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_endpoint_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _time("created_at"),
        _time("next_attempt_at"),
        _time("lease_until", nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        _time("delivered_at", nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'delivered', 'failed')", name=op.f("ck_webhook_delivery_status")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_webhook_delivery_appointment_id_appointment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoint.id"],
            name=op.f("fk_webhook_delivery_endpoint_id_webhook_endpoint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    with op.batch_alter_table("webhook_delivery") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_endpoint_id"), ["endpoint_id"], unique=False
        )
        batch_op.create_index(
            "ix_webhook_delivery_due", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_member_id", sa.Integer(), nullable=True),
        sa.Column("counter_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _time("created_at"),
        _time("revoked_at", nullable=True),
        _time("last_used_at", nullable=True),
        sa.CheckConstraint(
            "(staff_member_id IS NULL) <> (counter_id IS NULL)",
            name=op.f("ck_calendar_feed_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["counter.id"],
            name=op.f("fk_calendar_feed_counter_id_counter"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_member.id"],
            name=op.f("fk_calendar_feed_staff_member_id_staff_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_hash")),
    )
    with op.batch_alter_table("calendar_feed") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_feed_counter_id"), ["counter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_calendar_feed_staff_member_id"), ["staff_member_id"], unique=False
        )

    op.create_table(
        "calendar_feed_policy",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("contact_data", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["office.id"],
            name=op.f("fk_calendar_feed_policy_office_id_office"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("office_id", name=op.f("pk_calendar_feed_policy")),
    )


def downgrade():
    op.drop_table("calendar_feed_policy")
    op.drop_table("calendar_feed")
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_endpoint")
