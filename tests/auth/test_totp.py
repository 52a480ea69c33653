"""TOTP as the second factor of local accounts: enrolment, the code after the password, the
±1 step window, no reuse, the rate limit, and the administrator's requirement."""

import datetime as dt
import re

import pyotp
import pytest
import zxingcpp

from terminvergabe.auth import access, totp
from terminvergabe.db import db
from tests.auth.staff import PASSWORD, create_staff_set, log_in
from tests.conftest import NOW

STEP = 30


@pytest.fixture
def staff(office):
    return create_staff_set(office)


def enrol(client, staff_member) -> str:
    """Enrol through the pages; the secret as the page shows it."""
    page = client.get("/staff/totp").get_data(as_text=True)
    secret = re.search(r'<code class="totp-secret"[^>]*>([A-Z2-7 ]+)</code>', page)[1]
    secret = secret.replace(" ", "")
    code = pyotp.TOTP(secret).at(NOW)
    assert client.post("/staff/totp", data={"code": code}).status_code == 302
    db.session.refresh(staff_member)
    return secret


def password(client, login="clerk"):
    return client.post("/staff/login", data={"login": login, "password": PASSWORD})


def test_enrolment_shows_a_qr_code_with_the_provisioning_uri(client, staff):
    log_in(client, staff["clerk"])
    page = client.get("/staff/totp").get_data(as_text=True)
    secret = re.search(r'<code class="totp-secret"[^>]*>([A-Z2-7 ]+)</code>', page)[1]
    svg = re.search(r"<svg.*?</svg>", page, re.S)[0]
    import io

    import cairosvg
    from PIL import Image

    png = cairosvg.svg2png(bytestring=svg.encode(), output_width=400)
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    uri = pyotp.parse_uri(decoded.text)
    assert uri.secret == secret.replace(" ", "")
    assert decoded.text.startswith("otpauth://totp/")
    assert "clerk" in decoded.text


def test_after_enrolment_the_code_is_asked_after_the_password(client, staff):
    clerk = staff["clerk"]
    log_in(client, clerk)
    secret = enrol(client, clerk)
    assert clerk.totp_secret == secret
    client.post("/staff/logout")
    response = password(client)
    assert response.headers["Location"].endswith("/staff/login/code")
    assert client.get("/staff/").status_code == 302  # the password alone is not enough
    code = pyotp.TOTP(secret).at(NOW + dt.timedelta(seconds=STEP))
    assert client.post("/staff/login/code", data={"code": code}).status_code == 302
    assert client.get("/staff/").status_code == 200


def test_a_wrong_confirmation_code_enrols_nothing(client, staff):
    log_in(client, staff["clerk"])
    client.get("/staff/totp")
    response = client.post("/staff/totp", data={"code": "000000"}, query_string={"lang": "en"})
    assert response.status_code == 401
    assert "This code is not right" in response.get_data(as_text=True)
    db.session.refresh(staff["clerk"])
    assert staff["clerk"].totp_secret is None


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)]
)
def test_a_window_of_one_step_either_side(app_ctx, staff, offset, accepted):
    clerk = staff["clerk"]
    clerk.totp_secret = pyotp.random_base32()
    code = pyotp.TOTP(clerk.totp_secret).at(NOW + dt.timedelta(seconds=offset * STEP))
    assert totp.verify(clerk, code, NOW) is accepted


def test_a_code_works_only_once(app_ctx, staff):
    clerk = staff["clerk"]
    clerk.totp_secret = pyotp.random_base32()
    code = pyotp.TOTP(clerk.totp_secret).at(NOW)
    assert totp.verify(clerk, code, NOW)
    assert not totp.verify(clerk, code, NOW)
    # Nor an earlier one of the window, once a later one was used.
    earlier = pyotp.TOTP(clerk.totp_secret).at(NOW - dt.timedelta(seconds=STEP))
    assert not totp.verify(clerk, earlier, NOW)
    later = pyotp.TOTP(clerk.totp_secret).at(NOW + dt.timedelta(seconds=STEP))
    assert totp.verify(clerk, later, NOW)


def test_a_used_code_is_refused_at_the_next_sign_in(client, staff):
    clerk = staff["clerk"]
    log_in(client, clerk)
    secret = enrol(client, clerk)
    client.post("/staff/logout")
    password(client)
    used = pyotp.TOTP(secret).at(NOW)  # the enrolment used it
    response = client.post("/staff/login/code", data={"code": used})
    assert response.status_code == 401
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 56 78", "١٢٣٤٥٦"])
def test_malformed_codes_are_refused_clearly(client, staff, code):
    clerk = staff["clerk"]
    clerk.totp_secret = pyotp.random_base32()
    db.session.commit()
    password(client)
    response = client.post("/staff/login/code", data={"code": code})
    assert response.status_code in (200, 401)
    assert 'class="error' in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_codes_are_rate_limited(client, staff, app):
    clerk = staff["clerk"]
    clerk.totp_secret = pyotp.random_base32()
    db.session.commit()
    password(client)
    statuses = [
        client.post("/staff/login/code", data={"code": "000000"}).status_code for _ in range(12)
    ]
    assert 429 in statuses
    right = pyotp.TOTP(clerk.totp_secret).at(NOW)
    assert client.post("/staff/login/code", data={"code": right}).status_code == 429


def test_the_code_page_needs_the_password_first(client, staff):
    response = client.get("/staff/login/code")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/login")


def test_a_pending_member_cannot_replace_the_factor_they_have(client, staff):
    """Between password and code, enrolling a new secret would pass the second factor by."""
    clerk = staff["clerk"]
    clerk.totp_secret = pyotp.random_base32()
    db.session.commit()
    password(client)
    response = client.get("/staff/totp")
    assert response.headers["Location"].endswith("/staff/login/code")
    response = client.post("/staff/totp", data={"code": "123456"})
    assert response.status_code == 302
    db.session.refresh(clerk)
    assert client.get("/staff/").status_code == 302


def test_required_totp_leads_to_enrolment_right_after_the_password(client, staff, monkeypatch, app):
    monkeypatch.setitem(app.config, "STAFF_REQUIRE_TOTP", True)
    response = password(client)
    assert response.headers["Location"].endswith("/staff/totp")
    assert client.get("/staff/").status_code == 302
    page = client.get("/staff/totp?lang=en").get_data(as_text=True)
    assert "Your administrator requires a second step" in page
    enrol(client, staff["clerk"])
    assert client.get("/staff/").status_code == 200


def test_required_per_municipality(client, staff, monkeypatch, app, office):
    slug = office.municipality.slug
    monkeypatch.setitem(app.config, "STAFF_REQUIRE_TOTP_MUNICIPALITIES", [slug])
    assert password(client).headers["Location"].endswith("/staff/totp")
    monkeypatch.setitem(app.config, "STAFF_REQUIRE_TOTP_MUNICIPALITIES", ["elsewhere"])
    assert not password(client).headers["Location"].endswith("/staff/totp")


def test_enrolling_ends_other_sessions(client, staff, app):
    clerk = staff["clerk"]
    other = app.test_client()
    log_in(other, clerk)
    log_in(client, clerk)
    enrol(client, clerk)
    assert client.get("/staff/").status_code == 200
    assert other.get("/staff/").status_code == 302
    with client.session_transaction() as session:
        assert session[access.SESSION_KEY] == clerk.id


def test_the_pending_step_expires(client, staff):
    clerk = staff["clerk"]
    clerk.totp_secret = pyotp.random_base32()
    db.session.commit()
    password(client)
    with client.session_transaction() as session:
        session["staff_pending"]["at"] -= 301
        session.modified = True
    code = pyotp.TOTP(clerk.totp_secret).at(NOW)
    assert client.post("/staff/login/code", data={"code": code}).status_code == 302
    assert client.get("/staff/").status_code == 302


def test_reset_totp_from_the_command_line(app, staff):
    clerk = staff["clerk"]
    clerk.totp_secret = pyotp.random_base32()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["staff", "reset-totp", "--login", "clerk"])
    assert result.exit_code == 0, result.output
    db.session.refresh(clerk)
    assert clerk.totp_secret is None and clerk.totp_last_step is None
    result = app.test_cli_runner().invoke(args=["staff", "reset-totp", "--login", "nobody"])
    assert result.exit_code != 0
