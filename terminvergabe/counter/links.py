"""Links that leave the building: the QR on a printed walk-in ticket or kiosk ticket (read by
the citizen's phone) and the address of a new display or kiosk.

They must point at the public address, not at whatever host the front-desk PC used to reach the
server (an internal name, a reverse proxy's upstream, or a forged Host header). Order:
PUBLIC_BASE_URL; else BASE_URL when it was configured (the address the mails use); else, in
development with neither set, the request's own host, so a phone on the same network can follow
the QR from a laptop.
"""

from __future__ import annotations

from flask import current_app, url_for

from terminvergabe.config import DEFAULTS


def public_base() -> str | None:
    """The configured public address without a trailing slash, or None."""
    config = current_app.config
    base = config.get("PUBLIC_BASE_URL") or ""
    if not base and config.get("BASE_URL") not in (None, "", DEFAULTS["BASE_URL"]):
        base = config["BASE_URL"]
    return base.rstrip("/") or None


def public_url(endpoint: str, **values) -> str:
    base = public_base()
    if base is None:
        return url_for(endpoint, _external=True, **values)
    return base + url_for(endpoint, **values)
