"""The demo's staff logins: a municipality administrator for Rheinstadt and an office manager
for Rheinstadt-Nord (booking/demo_data.LOGINS). A step of the demo loader: each login is made
once, with a random password that is printed that once; later runs say it exists."""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa

from terminvergabe import audit
from terminvergabe.auth import operations
from terminvergabe.booking import demo
from terminvergabe.booking.demo_data import LOGINS, SLUG
from terminvergabe.booking.models import Office, Role, StaffMember
from terminvergabe.db import db


def logins_step(office: Office, now: dt.datetime) -> list[str]:
    lines = []
    for login, name, office_slug, roles in LOGINS:
        if (office_slug or SLUG) != office.slug:
            continue
        if db.session.scalar(sa.select(StaffMember.id).where(StaffMember.login == login)):
            lines.append(f"Login {login} ({', '.join(roles)}) exists; password unchanged.")
            continue
        password = secrets.token_urlsafe(12)
        operations.create_staff(
            login,
            password,
            name,
            [Role(r) for r in roles],
            office if office_slug else None,
            audit.CLI,
            municipality=office.municipality,
        )
        lines.append(f"Login {login} ({', '.join(roles)}), password {password} (shown once).")
    return lines


def init_app(app) -> None:
    if logins_step not in demo.STEPS:
        demo.STEPS.append(logins_step)
