"""Staff sign-in and logout: a password here or in the city's directory (LDAP), the city's
OpenID Connect provider, and a TOTP second factor for local accounts. Attempts are throttled
per address and per login name (codes: per address and per account)."""

import logging
import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from terminvergabe.auth import access, ldap, oidc, operations, totp
from terminvergabe.auth import identity as identity_ops
from terminvergabe.auth.forms import CodeForm, LoginForm, LogoutForm
from terminvergabe.booking.models import Role, StaffMember
from terminvergabe.db import db
from terminvergabe.limiter import limiter
from terminvergabe.security import local_url
from terminvergabe.time import now

bp = Blueprint("auth", __name__, url_prefix="/staff")
log = logging.getLogger(__name__)

# Between the password and the second factor: who, since when, and where to go then.
PENDING_KEY = "staff_pending"
PENDING_SECONDS = 300
NEXT_KEY = "staff_next"
NEW_SECRET_KEY = "staff_totp_new"  # noqa: S105  (a session key, not a secret)


def _login_key() -> str:
    return "login:" + operations.normalize_login(request.form.get("login", ""))[:100]


def _code_key() -> str:
    pending = session.get(PENDING_KEY) or {}
    return f"code:{pending.get('id', session.get(access.SESSION_KEY))}"


def _login_rate() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", "10 per minute")


def home_for(staff) -> str:
    """The front desk of a member who works only there, else the staff start page."""
    if len(staff.memberships) == 1 and Role.FRONT_DESK in staff.memberships[0].role_set:
        return url_for("counter.desk", office_id=staff.memberships[0].office_id)
    return url_for("counter.staff_home")


def _no_access():
    return render_template(
        "auth/refused.html",
        heading=_("No access"),
        message=_("Your account has no access to this system; ask your administrator."),
    ), 403


def _password_sign_in(login: str, password: str):
    """The member for this login and password, "no access" (the directory knows them, but no
    group of theirs is mapped), or None. Local accounts first: the installation's operator and
    small offices keep a password here."""
    if operations.local_account(login) is not None or not ldap.configured():
        return operations.authenticate(login, password)
    identity = ldap.authenticate(login, password)
    if identity is None:
        return None
    staff = identity_ops.sign_in(
        identity, current_app.config["STAFF_LDAP_GROUPS"], "STAFF_LDAP_GROUPS"
    )
    db.session.commit()  # the roles as the directory has them now, also when refused
    if staff is None:
        log.warning("ldap: sign-in refused: no mapped group")
        return "no access"
    return staff


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: _login_rate(), methods=["POST"])
@limiter.limit(lambda: _login_rate(), methods=["POST"], key_func=_login_key)
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            staff = _password_sign_in(form.login.data, form.password.data)
        except ldap.Unavailable as reason:
            log.warning("ldap: directory unavailable (%s)", reason)
            staff = None
            error = _("The directory cannot be reached just now. Please try again shortly.")
        if staff == "no access":
            return _no_access()
        if staff is not None:
            return _after_password(staff, local_url(request.args.get("next")))
        error = error or _("Login name or password is wrong.")
    status = 401 if error else 200
    return render_template(
        "auth/login.html",
        form=form,
        error=error,
        oidc_name=oidc.provider_name() if oidc.configured() else None,
    ), status


def _after_password(staff: StaffMember, target: str | None):
    """Signed in, or on to the second factor (to enrol in it, where it is required)."""
    if not staff.totp_secret and not totp.required(staff):
        access.login_session(staff)
        return redirect(target or home_for(staff))
    session.clear()
    session[PENDING_KEY] = {"id": staff.id, "at": int(time.time()), "next": target}
    return redirect(url_for("auth.code" if staff.totp_secret else "auth.enrol"))


def _field_error(form: CodeForm) -> str | None:
    """The code field's own message (missing, malformed), for a form that was sent."""
    return form.code.errors[0] if form.is_submitted() and form.code.errors else None


def _pending() -> StaffMember | None:
    """The member who gave their password in the last minutes and owes a code."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    staff = db.session.get(StaffMember, pending.get("id"))
    return staff if staff is not None and staff.active else None


def _finish_pending(staff: StaffMember):
    target = session[PENDING_KEY].get("next")
    access.login_session(staff)
    return redirect(target or home_for(staff))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: _login_rate(), methods=["POST"])
@limiter.limit(lambda: _login_rate(), methods=["POST"], key_func=_code_key)
def code():
    staff = _pending()
    if staff is None or not staff.totp_secret:
        flash(_("Please sign in again."))
        return redirect(url_for("auth.login"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        if totp.verify(staff, form.code.data, now()):
            db.session.commit()
            return _finish_pending(staff)
        error = _("This code is not right. Please enter the current code from your app.")
    error = error or _field_error(form)
    return render_template("auth/code.html", form=form, error=error), 401 if error else 200


@bp.route("/totp", methods=["GET", "POST"])
@limiter.limit(lambda: _login_rate(), methods=["POST"], key_func=_code_key)
def enrol():
    """Set up the second factor: a member who must before signing in, or any signed-in local
    member who wants one. The new secret waits in the session until a code confirms it."""
    staff = access.current_staff()
    if staff is None:
        staff = _pending()
        if staff is not None and staff.totp_secret:
            # Owes the code of the factor they have: a new one would pass it by.
            return redirect(url_for("auth.code"))
    if staff is None:
        return redirect(url_for("auth.login", next=url_for("auth.enrol")))
    if staff.identity_source != "local":
        abort(404)
    secret = session.get(NEW_SECRET_KEY)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session[NEW_SECRET_KEY] = totp.new_secret()
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        if totp.enrol(staff, secret, form.code.data, now()):
            db.session.commit()
            session.pop(NEW_SECRET_KEY, None)
            flash(_("Two-step sign-in is on. From now on we ask for a code after the password."))
            if access.current_staff() is None:
                return _finish_pending(staff)
            access.login_session(staff)  # the old fingerprint no longer matches
            return redirect(home_for(staff))
        error = _("This code is not right. Please enter the current code from your app.")
    error = error or _field_error(form)
    uri = totp.provisioning_uri(secret, staff)
    return render_template(
        "auth/enrol.html",
        form=form,
        error=error,
        qr=totp.qr_svg(uri),
        secret=totp.grouped(secret),
        required=totp.required(staff),
        enrolled=bool(staff.totp_secret),
    ), 401 if error else 200


@bp.route("/oidc/login")
def oidc_login():
    if not oidc.configured():
        abort(404)
    target = local_url(request.args.get("next"))
    try:
        response = oidc.authorize_redirect(url_for("auth.oidc_callback", _external=True))
    except oidc.Refused as refused:
        log.warning("oidc: sign-in not started: %s", refused.reason)
        return _sign_in_failed(503)
    session[NEXT_KEY] = target
    return response


def _sign_in_failed(status: int):
    return render_template(
        "auth/refused.html",
        heading=_("Sign-in failed"),
        message=_("The sign-in could not be completed. Please try again."),
        retry=True,
    ), status


@bp.route("/oidc/callback")
def oidc_callback():
    if not oidc.configured():
        abort(404)
    target = session.pop(NEXT_KEY, None)
    try:
        identity, id_token = oidc.finish()
    except oidc.Refused as refused:
        log.warning("oidc: sign-in refused: %s", refused.reason)
        return _sign_in_failed(400)
    staff = identity_ops.sign_in(
        identity, current_app.config["STAFF_OIDC_GROUPS"], "STAFF_OIDC_GROUPS"
    )
    db.session.commit()
    if staff is None:
        log.warning("oidc: sign-in refused: no mapped group")
        return _no_access()
    access.login_session(staff, id_token)
    return redirect(local_url(target) or home_for(staff))


@bp.route("/logout", methods=["POST"])
def logout():
    """A POST (CSRF-checked by the app-wide CSRFProtect), so that no link can log anyone out.
    An OIDC member is sent on to the provider's logout, which ends the provider's session too
    and sends them back to the login page."""
    staff = access.current_staff()
    id_token = session.get(access.ID_TOKEN_KEY)
    access.logout_session()
    flash(_("You are logged out."))
    if staff is not None and staff.identity_source == "oidc" and oidc.configured():
        url = oidc.logout_url(id_token, url_for("auth.login", _external=True))
        if url:
            return redirect(url)
    return redirect(url_for("auth.login"))


def logout_form() -> LogoutForm:
    return LogoutForm()
