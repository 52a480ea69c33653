"""Who is asking: the logged-in staff member, their roles in each office, or an authorised
device.

`role_required(*roles)` guards staff views: the member must have one of `roles` somewhere.
`ensure_office(office_id)` then refuses unless they have one of those roles in that office;
the administrators of the office's municipality (and of the whole installation) may see every
office of it. `device_required(kind)` guards screens and kiosks that carry a device token in
their URL.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import logging
import time

import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _

from terminvergabe.auth import identity as identity_ops
from terminvergabe.auth import ldap, operations
from terminvergabe.auth.models import Device, DeviceKind
from terminvergabe.booking.models import Office, Role, StaffMember
from terminvergabe.db import db

log = logging.getLogger(__name__)

SESSION_KEY = "staff_id"
FINGERPRINT_KEY = "staff_fp"
# When the identity source (OIDC, LDAP) last vouched for the member, in epoch seconds.
CHECKED_KEY = "staff_checked"
# The OIDC ID token, for the logout hint (only when small enough for the session cookie).
ID_TOKEN_KEY = "staff_id_token"  # noqa: S105  (a session key)
MAX_ID_TOKEN = 1500

# Roles that may use the staff screens, in addition to the role named for the screen.
MANAGERS = (Role.ADMIN, Role.OFFICE_MANAGER)


def login_session(staff: StaffMember, id_token: str | None = None) -> None:
    """Start a fresh session (no fixation: old contents are dropped)."""
    session.clear()
    session.permanent = True
    session[SESSION_KEY] = staff.id
    session[FINGERPRINT_KEY] = operations.session_fingerprint(staff)
    session[CHECKED_KEY] = int(time.time())
    if id_token and len(id_token) <= MAX_ID_TOKEN:
        session[ID_TOKEN_KEY] = id_token


def logout_session() -> None:
    session.clear()


def current_staff() -> StaffMember | None:
    """The logged-in, active staff member of this request, or None."""
    if "staff" not in g:
        g.staff = _load_staff()
    return g.staff


def _load_staff() -> StaffMember | None:
    staff_id = session.get(SESSION_KEY)
    if not isinstance(staff_id, int):
        return None
    staff = db.session.get(StaffMember, staff_id)
    if staff is None or not staff.active:
        return None
    expected = operations.session_fingerprint(staff)
    if not hmac.compare_digest(expected, str(session.get(FINGERPRINT_KEY, ""))):
        return None
    if staff.identity_source != "local" and recheck_due():
        return None  # recheck_identity (before the view) renews the session or ends it
    return staff


def recheck_due() -> bool:
    """Whether the identity source must vouch for the session's member again."""
    checked = session.get(CHECKED_KEY)
    minutes = current_app.config["STAFF_IDENTITY_RECHECK_MINUTES"]
    return not isinstance(checked, int) or time.time() - checked > minutes * 60


def recheck_identity() -> None:
    """An OIDC or LDAP member's session older than STAFF_IDENTITY_RECHECK_MINUTES: LDAP asks
    the directory again (gone, disabled or without a mapped group: the session ends; else the
    roles are those of the groups now); OIDC ends the session, so that the member signs in
    again at the provider. Runs before the view and commits its own change, as a view would."""
    staff_id = session.get(SESSION_KEY)
    if not isinstance(staff_id, int) or not recheck_due():
        return
    staff = db.session.get(StaffMember, staff_id)
    if staff is None or staff.identity_source == "local":
        return
    kept = None
    if staff.identity_source == "ldap" and ldap.configured():
        try:
            identity = ldap.lookup(staff.external_id or "")
        except ldap.Unavailable as error:
            log.warning("ldap: re-check of staff %s failed (%s); session ended", staff.id, error)
            identity = None
        if identity is None:
            log.info("ldap: staff %s no longer in the directory; session ended", staff.id)
            identity_ops.apply_access(staff, identity_ops.Access())
        else:
            kept = identity_ops.sign_in(
                identity, current_app.config["STAFF_LDAP_GROUPS"], "STAFF_LDAP_GROUPS"
            )
        db.session.commit()
    if kept is None:
        session.clear()
        flash(_("Your session has ended. Please sign in again."))
    else:
        session[CHECKED_KEY] = int(time.time())
        g.pop("staff", None)


def is_operator(staff: StaffMember) -> bool:
    """An administrator of the whole installation (every municipality)."""
    return Role.ADMIN in staff.municipality_roles and staff.municipality_id is None


def is_admin(staff: StaffMember) -> bool:
    """An administrator of their municipality (or of the installation)."""
    return Role.ADMIN in staff.municipality_roles


def administers(staff: StaffMember, municipality_id: int) -> bool:
    return is_operator(staff) or (is_admin(staff) and staff.municipality_id == municipality_id)


def may_access_office(
    staff: StaffMember, office: Office, roles: frozenset[Role] | None = None
) -> bool:
    """Whether `staff` may act in `office`: as an administrator of its municipality, or with one
    of `roles` (any role, for None) there."""
    if administers(staff, office.municipality_id):
        return True
    held = staff.roles_in(office.id)
    return bool(held & roles) if roles is not None else bool(held)


def ensure_office(office_id: int) -> None:
    """Refuse (403) unless the staff member may act in this office with the view's roles."""
    staff = current_staff()
    office = db.session.get(Office, office_id)
    roles = g.get("required_roles")
    if staff is None or office is None or not may_access_office(staff, office, roles):
        abort(403)


def offices_of(staff: StaffMember) -> list[Office]:
    """The offices the staff member may open, by name."""
    query = sa.select(Office).order_by(Office.name)
    if not is_operator(staff):
        if is_admin(staff):
            query = query.where(Office.municipality_id == staff.municipality_id)
        else:
            query = query.where(Office.id.in_(staff.office_ids))
    return db.session.scalars(query).all()


def _refuse_anonymous():
    if request.method == "GET" and request.accept_mimetypes.best != "text/event-stream":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(401)


def role_required(*roles: Role):
    """Allow logged-in staff members with at least one of `roles`; others are refused (anonymous:
    to the login page, or 401; wrong role: 403). The roles are kept on the view for tests."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                return _refuse_anonymous()
            if not staff.has_role(*roles):
                abort(403)
            g.required_roles = frozenset(roles) | {Role.ADMIN}
            return view(*args, **kwargs)

        wrapped.required_roles = frozenset(roles)
        return wrapped

    return decorator


def device_required(kind: DeviceKind):
    """Views with a `token` URL argument: the token must belong to an active device of `kind`.
    The device is passed on as g.device; the token never reaches the view."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, token: str, **kwargs):
            device = operations.find_device(token, kind)
            if device is None:
                abort(403)
            g.device = device
            return view(*args, **kwargs)

        wrapped.device_kind = kind
        return wrapped

    return decorator


def current_device() -> Device | None:
    return g.get("device")


def init_app(app) -> None:
    @app.before_request
    def forget_previous_identity():
        # g lives as long as the app context, which may span requests (tests, CLI).
        g.pop("staff", None)
        g.pop("device", None)
        g.pop("required_roles", None)
        recheck_identity()

    @app.context_processor
    def staff_context():
        return {"current_staff": current_staff}

    # Flask's own defaults exist for these keys, so they are set here rather than by setdefault.
    if (app.config.get("BASE_URL") or "").startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if app.config.get("PERMANENT_SESSION_LIFETIME") == dt.timedelta(days=31):
        app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=12)
