"""municipality, catalogue services and offers, staff memberships, appointment mode

Each office's services become catalogue entries of its municipality (one per LeiKa key: the
same key at two offices is one catalogue service with an offer at each), with an offer that
keeps the office's duration, limits and ticket prefix. Every reference to a service keeps
pointing at the same service, so bookings keep their services and times.

Revision ID: b7e41c0d9a25
Revises: 966abe1b572a
Create Date: 2026-12-06 21:30:00

"""

import re

import sqlalchemy as sa
from alembic import op

revision = "b7e41c0d9a25"
down_revision = "966abe1b572a"
branch_labels = None
depends_on = None


def _slug(text: str) -> str:
    text = text.lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:64] or "kommune"


def upgrade():
    bind = op.get_bind()
    op.create_table(
        "municipality",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=True),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=40), nullable=False),
        sa.Column("operator_name", sa.String(length=200), nullable=False),
        sa.Column("operator_address", sa.Text(), nullable=False),
        sa.Column("operator_email", sa.String(length=254), nullable=False),
        sa.Column("operator_phone", sa.String(length=50), nullable=False),
        sa.Column("representative", sa.String(length=200), nullable=False),
        sa.Column("privacy_officer", sa.Text(), nullable=False),
        sa.Column("supervisory_authority", sa.Text(), nullable=False),
        sa.Column("accessibility_contact", sa.Text(), nullable=False),
        sa.Column("frame_ancestors", sa.String(length=1000), nullable=False),
        sa.CheckConstraint("length(colour) = 7", name=op.f("ck_municipality_colour")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_municipality")),
        sa.UniqueConstraint("host", name=op.f("uq_municipality_host")),
        sa.UniqueConstraint("slug", name=op.f("uq_municipality_slug")),
    )

    # The one municipality of an installation that has offices: named after the first office's
    # city, with the first office's contact as operator data until an administrator edits it.
    first = bind.execute(
        sa.text("SELECT city, name, street, postcode, email, phone FROM office ORDER BY id LIMIT 1")
    ).first()
    municipality_id = None
    if first is not None:
        city = first.city or first.name
        address = ", ".join(
            p for p in (first.street, f"{first.postcode} {first.city}".strip()) if p
        )
        bind.execute(
            sa.text(
                "INSERT INTO municipality (slug, name, colour, logo_type, operator_name,"
                " operator_address, operator_email, operator_phone, representative,"
                " privacy_officer, supervisory_authority, accessibility_contact, frame_ancestors)"
                " VALUES (:slug, :name, '#0b4f8a', '', :name, :address, :email, :phone, '', '',"
                " '', '', '')"
            ),
            {
                "slug": _slug(city),
                "name": city,
                "address": address,
                "email": first.email,
                "phone": first.phone,
            },
        )
        municipality_id = bind.execute(sa.text("SELECT id FROM municipality")).scalar()

    with op.batch_alter_table("office", schema=None) as batch_op:
        batch_op.add_column(sa.Column("municipality_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("district", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("directions", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("step_free", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("accessibility_note", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    bind.execute(sa.text("UPDATE office SET municipality_id = :m"), {"m": municipality_id})
    with op.batch_alter_table("office", schema=None) as batch_op:
        batch_op.alter_column("municipality_id", existing_type=sa.Integer(), nullable=False)
        for column in ("district", "directions", "step_free", "accessibility_note", "public"):
            batch_op.alter_column(column, server_default=None)
        batch_op.create_index(batch_op.f("ix_office_municipality_id"), ["municipality_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_office_municipality_id_municipality"),
            "municipality",
            ["municipality_id"],
            ["id"],
            ondelete="CASCADE",
        )

    op.create_table(
        "offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("max_quantity", sa.Integer(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ticket_prefix", sa.String(length=3), nullable=False),
        sa.Column("modes", sa.String(length=40), nullable=False),
        sa.Column("video_url", sa.String(length=500), nullable=False),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_offer_duration_positive")),
        sa.CheckConstraint("max_quantity >= 1", name=op.f("ck_offer_max_quantity_positive")),
        sa.CheckConstraint("modes <> ''", name=op.f("ck_offer_modes")),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_offer_office_id_office"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_offer_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer")),
        sa.UniqueConstraint("office_id", "service_id", name=op.f("uq_offer_office_id_service_id")),
    )
    bind.execute(
        sa.text(
            "INSERT INTO offer (office_id, service_id, duration_minutes, max_quantity, public,"
            " active, position, ticket_prefix, modes, video_url)"
            " SELECT office_id, id, duration_minutes, max_quantity, public, active, position,"
            " ticket_prefix, 'in_person', '' FROM service"
        )
    )
    _merge_same_leika_keys(bind)

    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.add_column(sa.Column("municipality_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fee_cents", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("fee_note", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("synonyms", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=True))
    bind.execute(sa.text("UPDATE service SET municipality_id = :m"), {"m": municipality_id})
    bind.execute(sa.text("UPDATE service SET translations = '{}'"))
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.alter_column("municipality_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("translations", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("fee_note", server_default=None)
        batch_op.alter_column("synonyms", server_default=None)
        batch_op.drop_constraint(batch_op.f("fk_service_office_id_office"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("ck_service_duration_positive"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_service_max_quantity_positive"), type_="check")
        for column in ("office_id", "duration_minutes", "max_quantity", "public", "ticket_prefix"):
            batch_op.drop_column(column)
        batch_op.create_check_constraint(
            batch_op.f("ck_service_fee"), "fee_cents IS NULL OR fee_cents >= 0"
        )
        batch_op.create_index(batch_op.f("ix_service_municipality_id"), ["municipality_id"])
        batch_op.create_unique_constraint(
            batch_op.f("uq_service_municipality_id_leika_id"), ["municipality_id", "leika_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_service_municipality_id_municipality"),
            "municipality",
            ["municipality_id"],
            ["id"],
            ondelete="CASCADE",
        )

    op.create_table(
        "office_membership",
        sa.Column("staff_member_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["office.id"],
            name=op.f("fk_office_membership_office_id_office"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_member.id"],
            name=op.f("fk_office_membership_staff_member_id_staff_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_member_id", "office_id", name=op.f("pk_office_membership")),
    )
    with op.batch_alter_table("office_membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_office_membership_office_id"), ["office_id"])
    with op.batch_alter_table("staff_member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("municipality_id", sa.Integer(), nullable=True))
    # Staff of an office keep their roles there (an office's "admin" managed only that office:
    # it becomes its office manager); administrators without an office keep looking after
    # everything.
    for staff_id, office_id, roles in bind.execute(
        sa.text("SELECT id, office_id, roles FROM staff_member WHERE office_id IS NOT NULL")
    ).all():
        kept = [r for r in roles.split(",") if r and r != "admin"]
        if "admin" in roles.split(",") and "office_manager" not in kept:
            kept.append("office_manager")
        bind.execute(
            sa.text(
                "INSERT INTO office_membership (staff_member_id, office_id, roles)"
                " VALUES (:s, :o, :r)"
            ),
            {"s": staff_id, "o": office_id, "r": ",".join(kept)},
        )
        bind.execute(
            sa.text("UPDATE staff_member SET roles = '', municipality_id = :m WHERE id = :s"),
            {"m": municipality_id, "s": staff_id},
        )
    with op.batch_alter_table("staff_member", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_staff_member_office_id_office"), type_="foreignkey")
        batch_op.drop_column("office_id")
        batch_op.create_index(batch_op.f("ix_staff_member_municipality_id"), ["municipality_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_staff_member_municipality_id_municipality"),
            "municipality",
            ["municipality_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mode", sa.String(length=10), nullable=False, server_default="in_person")
        )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.alter_column("mode", server_default=None)
        batch_op.create_check_constraint(
            batch_op.f("ck_appointment_mode"), "mode IN ('in_person', 'phone', 'video')"
        )

    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("municipality_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_entry_municipality_id"), ["municipality_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_entry_municipality_id_municipality"),
            "municipality",
            ["municipality_id"],
            ["id"],
            ondelete="CASCADE",
        )


def _merge_same_leika_keys(bind) -> None:
    """One catalogue service per LeiKa key: the services of other offices with the key of an
    earlier one are folded into it (their offers, skills, bookings and tickets follow). A
    second service with the same key in the same office keeps its own entry, without the key."""
    rows = bind.execute(
        sa.text(
            "SELECT id, office_id, leika_id FROM service WHERE leika_id IS NOT NULL ORDER BY id"
        )
    ).all()
    kept: dict[str, tuple[int, set[int]]] = {}
    moved: dict[int, int] = {}
    for service_id, office_id, leika_id in rows:
        if leika_id not in kept:
            kept[leika_id] = (service_id, {office_id})
            continue
        target, offices = kept[leika_id]
        if office_id in offices:
            bind.execute(
                sa.text("UPDATE service SET leika_id = NULL WHERE id = :id"), {"id": service_id}
            )
            continue
        offices.add(office_id)
        moved[service_id] = target
    for old, new in moved.items():
        for table in ("offer", "appointment_item", "ticket", "ticket_service", "counter_skill"):
            bind.execute(
                sa.text(f"UPDATE {table} SET service_id = :new WHERE service_id = :old"),
                {"new": new, "old": old},
            )
        bind.execute(
            sa.text(
                "DELETE FROM staff_skill WHERE service_id = :old AND staff_member_id IN"
                " (SELECT staff_member_id FROM staff_skill WHERE service_id = :new)"
            ),
            {"new": new, "old": old},
        )
        bind.execute(
            sa.text("UPDATE staff_skill SET service_id = :new WHERE service_id = :old"),
            {"new": new, "old": old},
        )
    if moved:
        for entry_id, selection in bind.execute(
            sa.text("SELECT id, selection FROM waitlist_entry")
        ).all():
            parts = []
            for part in selection.split(","):
                service_id, _, quantity = part.partition(":")
                parts.append(f"{moved.get(int(service_id), int(service_id))}:{quantity}")
            bind.execute(
                sa.text("UPDATE waitlist_entry SET selection = :s WHERE id = :id"),
                {"s": ",".join(parts), "id": entry_id},
            )
        bind.execute(
            sa.text("DELETE FROM service WHERE id IN (%s)" % ",".join(str(i) for i in moved))
        )


def downgrade():
    raise NotImplementedError("the catalogue cannot be split back into per-office services")
