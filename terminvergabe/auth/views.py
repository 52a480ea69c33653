"""Staff login and logout. Login attempts are throttled per address and per login name."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from terminvergabe.auth import access, operations
from terminvergabe.auth.forms import LoginForm, LogoutForm
from terminvergabe.booking.models import Role
from terminvergabe.limiter import limiter
from terminvergabe.security import local_url

bp = Blueprint("auth", __name__, url_prefix="/staff")


def _login_key() -> str:
    return "login:" + operations.normalize_login(request.form.get("login", ""))[:100]


def home_for(staff) -> str:
    """The front desk of a member who works only there, else the staff start page."""
    if len(staff.memberships) == 1 and Role.FRONT_DESK in staff.memberships[0].role_set:
        return url_for("counter.desk", office_id=staff.memberships[0].office_id)
    return url_for("counter.staff_home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: _login_rate(), methods=["POST"])
@limiter.limit(lambda: _login_rate(), methods=["POST"], key_func=_login_key)
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        staff = operations.authenticate(form.login.data, form.password.data)
        if staff is not None:
            access.login_session(staff)
            return redirect(local_url(request.args.get("next")) or home_for(staff))
        error = _("Login name or password is wrong.")
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


def _login_rate() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", "10 per minute")


@bp.route("/logout", methods=["POST"])
def logout():
    """A POST (CSRF-checked by the app-wide CSRFProtect), so that no link can log anyone out."""
    access.logout_session()
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


def logout_form() -> LogoutForm:
    return LogoutForm()
