"""Which municipality a request is for: the one whose host name it was sent to, the one its
path names (`/k/<slug>/…`), or the only one there is.

On a municipality's own host name nothing of another municipality is shown: its start page,
offices, appointments and operator data answer 404 there, so that a citizen who came to
A's address never sees B's pages under A's name. On any other host (the data centre's own
name) every municipality is reachable by its path."""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, request

from terminvergabe.booking.models import Municipality
from terminvergabe.db import db

_UNSET = object()


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


def _once_per_request(name: str, find):
    """`find()`, asked once per request (pages ask several times: header, footer links)."""
    if not has_request_context():
        return None
    attribute = f"_terminvergabe_{name}"
    found = getattr(request, attribute, _UNSET)
    if found is _UNSET:
        found = find()
        setattr(request, attribute, found)
    return found


def host_municipality() -> Municipality | None:
    """The municipality whose own host name this request was sent to, or None: another host,
    or no request."""
    return _once_per_request("host_municipality", lambda: for_host(request.host))


def request_municipality() -> Municipality | None:
    """The municipality the unprefixed pages (`/`, `/impressum`, …) are for: the host's, else
    the only one; None when the installation has several and the host names none (and
    outside a request, the only one)."""
    if not has_request_context():
        return only()
    return _once_per_request("request_municipality", lambda: host_municipality() or only())


def shown_here(municipality_id: int) -> bool:
    """Whether this request may show something of that municipality (see the module note)."""
    host = host_municipality()
    return host is None or host.id == municipality_id


def by_slug_here(slug: str) -> Municipality | None:
    """The municipality of a `/k/<slug>/` URL, unless this host belongs to another one."""
    found = by_slug(slug)
    return found if found is not None and shown_here(found.id) else None
