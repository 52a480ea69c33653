import pytest

from terminvergabe import create_app
from terminvergabe.auth import operations
from terminvergabe.booking.models import Role
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.limiter import limiter
from tests.auth.staff import PASSWORD, create_staff_set, log_in


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def staff(office):
    return create_staff_set(office)


def post_login(client, login, password, **kwargs):
    return client.post("/staff/login", data={"login": login, "password": password}, **kwargs)


def test_password_is_hashed(staff):
    clerk = staff["clerk"]
    assert PASSWORD not in clerk.password_hash
    assert clerk.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_login_page_renders(client):
    response = client.get("/staff/login")
    assert response.status_code == 200
    assert b'name="password"' in response.data


def test_login_and_logout(client, staff):
    response = post_login(client, "Front_Desk ", PASSWORD)
    assert response.status_code == 302
    office_id = staff["front_desk"].office_ids[0]
    assert response.headers["Location"].endswith(f"/desk/{office_id}/")
    assert client.get(f"/desk/{office_id}/").status_code == 200
    assert client.post("/staff/logout").status_code == 302
    assert client.get(f"/desk/{office_id}/").status_code == 302


@pytest.mark.parametrize(
    ("login", "password"), [("clerk", "wrong password"), ("nobody", PASSWORD), ("", "")]
)
def test_wrong_credentials_are_refused(client, staff, login, password):
    response = post_login(client, login, password)
    assert response.status_code in (200, 401)
    assert client.get("/staff/").status_code == 302


def test_wrong_password_says_so(client, staff):
    response = post_login(client, "clerk", "wrong password", query_string={"lang": "en"})
    assert response.status_code == 401
    assert "Login name or password is wrong" in response.get_data(as_text=True)


def test_inactive_staff_cannot_log_in_and_is_logged_out(client, staff):
    clerk = staff["clerk"]
    log_in(client, clerk)
    assert client.get("/staff/").status_code == 200
    clerk.active = False
    db.session.commit()
    assert client.get("/staff/").status_code == 302
    assert post_login(client, "clerk", PASSWORD).status_code == 401


def test_password_change_ends_old_sessions(client, staff):
    clerk = staff["clerk"]
    log_in(client, clerk)
    operations.set_password(clerk, "another long password")
    db.session.commit()
    assert client.get("/staff/").status_code == 302


def test_weak_password_refused(office):
    with pytest.raises(DomainError) as error:
        operations.create_staff("x", "short", "X", [Role.CLERK], office)
    assert error.value.code == "weak_password"


def test_login_name_unique(staff, office):
    with pytest.raises(DomainError) as error:
        operations.create_staff("CLERK", PASSWORD, "Again", [Role.CLERK], office)
    assert error.value.code == "login_taken"


def test_next_is_followed_only_on_this_site(client, staff):
    ok = post_login(client, "clerk", PASSWORD, query_string={"next": "/staff/"})
    assert ok.headers["Location"].endswith("/staff/")
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = post_login(client, "clerk", PASSWORD, query_string={"next": evil})
        assert "evil" not in response.headers["Location"]


def test_login_is_throttled_per_login_name(client, staff, app):
    limit = int(app.config.get("LOGIN_RATE_LIMIT", "10 per minute").split()[0])
    for _ in range(limit):
        assert post_login(client, "clerk", "wrong password").status_code == 401
    response = post_login(client, "clerk", PASSWORD)
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_session_cookie_flags(client, staff):
    response = post_login(client, "clerk", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # BASE_URL is http in tests


def test_session_cookie_secure_on_https(tmp_path):
    app = create_app(
        {
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3",
            "BASE_URL": "https://termine.example.org",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_login_form_needs_csrf_token(tmp_path):
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"}
    )
    with app.app_context():
        db.create_all()
        response = app.test_client().post("/staff/login", data={"login": "a", "password": "b"})
        assert response.status_code == 400
        db.engine.dispose()
