"""Which municipality a request is for: the one whose host name it was sent to, the one its
path names (`/k/<slug>/…`), or the only one there is."""

from __future__ import annotations

import sqlalchemy as sa

from terminvergabe.booking.models import Municipality
from terminvergabe.db import db


def by_slug(slug: str) -> Municipality | None:
    return db.session.scalar(sa.select(Municipality).where(Municipality.slug == slug[:64]))


def for_host(host: str) -> Municipality | None:
    """The municipality that answers on `host` (without port), if one does."""
    name = host.rsplit(":", 1)[0].lower() if host.count(":") <= 1 else host.lower()
    return db.session.scalar(sa.select(Municipality).where(Municipality.host == name[:253]))


def only() -> Municipality | None:
    """The installation's municipality when it has exactly one."""
    found = db.session.scalars(sa.select(Municipality).limit(2)).all()
    return found[0] if len(found) == 1 else None
