"""Helpers for tests that need staff members: one per role, logged in without a password round
trip (hashing is slow on purpose)."""

import sqlalchemy as sa

from terminvergabe.audit import AuditEntry
from terminvergabe.auth import access, operations
from terminvergabe.booking.models import Role
from terminvergabe.db import db

PASSWORD = "correct horse battery"

ROLE_NAMES = ("admin", "office_manager", "front_desk", "clerk")


def create_staff_set(office, other_office=None) -> dict:
    """{"admin": ..., "office_manager": ..., "front_desk": ..., "clerk": ..., "other_*": ...}"""
    staff = {"admin": operations.create_staff("admin", PASSWORD, "Admin", [Role.ADMIN])}
    for role in ROLE_NAMES[1:]:
        staff[role] = operations.create_staff(role, PASSWORD, role.title(), [Role(role)], office)
    if other_office is not None:
        for role in ROLE_NAMES[1:]:
            staff[f"other_{role}"] = operations.create_staff(
                f"other-{role}", PASSWORD, f"Other {role}", [Role(role)], other_office
            )
    forget_setup_entries()
    db.session.commit()
    return staff


def forget_setup_entries() -> None:
    """Accounts made for a test are its setting, not a change under test: their audit entries
    go, so that each test sees only the entries of what it does."""
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.action == "staff_create"))


def log_in(client, staff) -> None:
    with client.session_transaction() as session:
        session.clear()
        session[access.SESSION_KEY] = staff.id
        session[access.FINGERPRINT_KEY] = operations.session_fingerprint(staff)
