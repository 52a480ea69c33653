"""Setting up municipalities: a new one with its first administrator (by the installation's
operator), and a municipality's own settings (name, host, branding, operator data, portals).

Operations flush and never commit; the view commits once. Every change is in the audit log
under the municipality."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import gettext as _

from terminvergabe import audit
from terminvergabe.auth import operations as auth_operations
from terminvergabe.booking.models import Municipality, Office, Role, StaffMember
from terminvergabe.db import db
from terminvergabe.errors import DomainError

# The settings a municipality administrator edits (the slug stays: links depend on it).
SETTINGS = (
    "name",
    "host",
    "colour",
    "operator_name",
    "operator_address",
    "operator_email",
    "operator_phone",
    "representative",
    "privacy_officer",
    "supervisory_authority",
    "accessibility_contact",
    "frame_ancestors",
)


def all_municipalities() -> list[Municipality]:
    return db.session.scalars(sa.select(Municipality).order_by(Municipality.name)).all()


def office_counts() -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Office.municipality_id, sa.func.count(Office.id)).group_by(Office.municipality_id)
    )
    return dict(rows.all())


def _ensure_host_free(host: str | None, municipality_id: int | None) -> None:
    if host is None:
        return
    taken = db.session.scalar(
        sa.select(Municipality.id).where(
            Municipality.host == host, Municipality.id != municipality_id
        )
    )
    if taken is not None:
        raise DomainError(
            "host_taken", _("Another municipality already answers on this host name."), 422
        )


def save_settings(
    municipality: Municipality,
    values: Mapping,
    actor: StaffMember,
    now: dt.datetime,
    logo: tuple[bytes, str] | None = None,
    remove_logo: bool = False,
) -> Municipality:
    """Set the settings (already validated by the form) and, when given, a new logo."""
    _ensure_host_free(values.get("host"), municipality.id)
    before = audit.snapshot(municipality, SETTINGS)
    for name in SETTINGS:
        if name in values:
            setattr(municipality, name, values[name])
    logo_changed = {}
    if logo is not None:
        municipality.logo, municipality.logo_type = logo
        logo_changed = {"logo": audit.CHANGED}
    elif remove_logo and municipality.logo_version:
        municipality.logo, municipality.logo_type = None, ""
        logo_changed = {"logo": audit.CHANGED}
    db.session.flush()
    changed = audit.changes(before, audit.snapshot(municipality, SETTINGS))
    audit.record(
        actor,
        "municipality_settings",
        at=now,
        municipality_id=municipality.id,
        **changed,
        **logo_changed,
    )
    return municipality


def create_municipality(
    name: str,
    slug: str,
    host: str | None,
    admin: tuple[str, str, str],
    actor: StaffMember,
    now: dt.datetime,
) -> Municipality:
    """A new municipality (named as its own operator until its administrator says more) and
    its first administrator, `admin` = (name, login, password)."""
    if db.session.scalar(sa.select(Municipality.id).where(Municipality.slug == slug)):
        raise DomainError("slug_taken", _("This short name is already taken."), 422)
    _ensure_host_free(host, None)
    municipality = Municipality(slug=slug, name=name, host=host, operator_name=name)
    db.session.add(municipality)
    db.session.flush()
    admin_name, login, password = admin
    auth_operations.create_staff(
        login, password, admin_name, [Role.ADMIN], actor=actor, municipality=municipality
    )
    audit.record(
        actor,
        "municipality_create",
        at=now,
        municipality_id=municipality.id,
        subject=name,
        slug=[None, slug],
        host=[None, host],
    )
    return municipality
