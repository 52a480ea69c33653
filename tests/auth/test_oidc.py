"""Staff sign-in with an OpenID Connect provider over HTTP: the code flow with PKCE, state and
nonce, and every ID token check — each refusal test fails when its check is switched off."""

import logging
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa
from joserfc.jwk import RSAKey

from terminvergabe.auth import access
from terminvergabe.booking.models import Role, StaffMember
from terminvergabe.db import db

SECRETS = ("client secret value",)


def start(client, next_url=None):
    """Our redirect to the provider: the authorization URL and its query."""
    response = client.get("/staff/oidc/login", query_string={"next": next_url} if next_url else {})
    assert response.status_code == 302
    location = response.headers["Location"]
    return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def consent(location: str, sub: str) -> str:
    """The person signs in at the provider; the provider sends the browser back with a code."""
    answer = requests.post(location, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def callback(client, redirect_url: str):
    parts = urlsplit(redirect_url)
    assert parts.path == "/staff/oidc/callback"
    return client.get(parts.path, query_string=parts.query)


def sign_in(client, sub: str):
    location, _ = start(client)
    return callback(client, consent(location, sub))


def staff_count() -> int:
    """Members made by sign-ins (the office factory makes local ones)."""
    return len(oidc_members())


def oidc_members() -> list[StaffMember]:
    return db.session.scalars(
        sa.select(StaffMember).where(StaffMember.identity_source == "oidc")
    ).all()


def test_sign_in_creates_the_member_with_the_groups_roles(oidc_app, client, offices, provider):
    response = sign_in(client, "u-clara")
    assert response.status_code == 302
    (staff,) = oidc_members()
    assert staff.name == "Clara Clerk"
    assert staff.identity_source == "oidc"
    assert staff.external_id == f"{provider.issuer} u-clara"
    assert staff.login is None and staff.password_hash is None
    assert staff.roles_in(offices["mitte"].id) == {Role.CLERK}
    assert staff.roles_in(offices["nord"].id) == frozenset()
    assert client.get("/staff/").status_code == 200
    # Again: the same member, not a second one.
    client.post("/staff/logout")
    assert sign_in(client, "u-clara").status_code == 302
    assert staff_count() == 1


def test_admin_group_makes_a_municipality_admin(oidc_app, client, offices):
    sign_in(client, "u-anna")
    (staff,) = oidc_members()
    assert access.is_admin(staff) and not access.is_operator(staff)
    assert staff.municipality_id == offices["mitte"].municipality_id


def test_the_flow_uses_pkce_state_and_nonce(oidc_app, client, offices, provider):
    location, query = start(client)
    assert query["code_challenge_method"] == "S256"
    assert query["state"] and query["nonce"] and query["code_challenge"]
    assert query["client_id"] == "terminvergabe"
    callback(client, consent(location, "u-clara"))
    token_request = next(params for path, params in provider.requests if path == "/oauth2/token")
    assert len(token_request["code_verifier"]) >= 43
    assert provider_s256(token_request["code_verifier"]) == query["code_challenge"]


def provider_s256(verifier):
    from tests.auth.servers import s256

    return s256(verifier)


def test_no_mapped_group_is_refused_with_a_clear_page(oidc_app, client, offices):
    response = sign_in(client, "u-nobody")
    assert response.status_code == 403
    assert "Ihr Konto hat keinen Zugang" in response.get_data(as_text=True)
    assert staff_count() == 0
    assert client.get("/staff/").status_code == 302


def test_removed_from_the_group_loses_the_roles_at_the_next_sign_in(
    oidc_app, client, offices, provider
):
    sign_in(client, "u-clara")
    client.post("/staff/logout")
    requests.put(
        f"{provider.issuer}/users/u-clara", json={"name": "Clara Clerk", "groups": []}, timeout=10
    )
    try:
        assert sign_in(client, "u-clara").status_code == 403
        (staff,) = oidc_members()
        db.session.refresh(staff)
        assert staff.memberships == [] and staff.roles == ""
    finally:
        requests.put(
            f"{provider.issuer}/users/u-clara",
            json={"name": "Clara Clerk", "groups": ["bb-mitte-clerks"]},
            timeout=10,
        )


def _expired(claims):
    now = int(time.time())
    return claims | {"iat": now - 7200, "exp": now - 3600}


@pytest.mark.parametrize(
    ("case", "tamper"),
    [
        ("expired", _expired),
        ("wrong audience", lambda claims: claims | {"aud": "another-client"}),
        ("wrong issuer", lambda claims: claims | {"iss": "http://evil.example"}),
        ("nonce mismatch", lambda claims: claims | {"nonce": "not-the-one-we-sent"}),
        ("no nonce", lambda claims: {k: v for k, v in claims.items() if k != "nonce"}),
        ("no expiry", lambda claims: {k: v for k, v in claims.items() if k != "exp"}),
    ],
)
def test_a_bad_id_token_is_refused(oidc_app, client, offices, provider, caplog, case, tamper):
    provider.tamper = tamper
    with caplog.at_level(logging.INFO):
        response = sign_in(client, "u-clara")
    assert response.status_code == 400, case
    assert staff_count() == 0
    assert client.get("/staff/").status_code == 302
    assert_one_clean_log_line(caplog)


def test_a_token_signed_with_another_key_is_refused(oidc_app, client, offices, provider, caplog):
    provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
    with caplog.at_level(logging.INFO):
        response = sign_in(client, "u-clara")
    assert response.status_code == 400
    assert staff_count() == 0
    assert "BadSignatureError" in caplog.text
    assert_one_clean_log_line(caplog)


def test_a_tampered_state_is_refused(oidc_app, client, offices, caplog):
    location, _ = start(client)
    redirect_url = consent(location, "u-clara")
    query = parse_qs(urlsplit(redirect_url).query)
    with caplog.at_level(logging.INFO):
        response = client.get(
            "/staff/oidc/callback",
            query_string={"code": query["code"][0], "state": query["state"][0] + "x"},
        )
    assert response.status_code == 400
    assert staff_count() == 0
    assert_one_clean_log_line(caplog)


def test_a_callback_from_another_browser_is_refused(oidc_app, client, app, offices):
    """Login CSRF: a code and state made for someone else's session do not sign in here."""
    location, _ = start(client)
    redirect_url = consent(location, "u-anna")
    other = app.test_client()
    assert callback(other, redirect_url).status_code == 400
    assert staff_count() == 0


def test_a_replayed_code_is_refused(oidc_app, client, offices, caplog):
    location, _ = start(client)
    redirect_url = consent(location, "u-clara")
    assert callback(client, redirect_url).status_code == 302
    client.post("/staff/logout")
    # The same callback again: its state is used up in this session ...
    assert callback(client, redirect_url).status_code == 400
    # ... and with a fresh state the provider refuses the used code.
    _, query = start(client)
    code = parse_qs(urlsplit(redirect_url).query)["code"][0]
    with caplog.at_level(logging.INFO):
        response = client.get(
            "/staff/oidc/callback", query_string={"code": code, "state": query["state"]}
        )
    assert response.status_code == 400
    assert "invalid_grant" in caplog.text
    assert client.get("/staff/").status_code == 302


def test_a_provider_error_answer_is_refused(oidc_app, client, offices):
    _, query = start(client)
    response = client.get(
        "/staff/oidc/callback", query_string={"error": "access_denied", "state": query["state"]}
    )
    assert response.status_code == 400
    assert staff_count() == 0


def assert_one_clean_log_line(caplog):
    lines = [r for r in caplog.records if r.getMessage().startswith("oidc: sign-in refused")]
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    text = caplog.text
    for secret in SECRETS:
        assert secret not in text
    assert "eyJ" not in text  # no token


def test_logout_ends_the_provider_session(oidc_app, client, offices, provider):
    sign_in(client, "u-clara")
    response = client.post("/staff/logout")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == provider.issuer
    assert location.path == "/oauth2/end_session"
    query = parse_qs(location.query)
    assert query["post_logout_redirect_uri"] == ["http://localhost/staff/login"]
    assert query["id_token_hint"][0].count(".") == 2
    assert client.get("/staff/").status_code == 302
    # The provider's logout page takes the hint.
    assert requests.get(response.headers["Location"], timeout=10).status_code == 200


def test_the_session_ends_at_the_configured_lifetime(oidc_app, client, offices, monkeypatch):
    sign_in(client, "u-clara")
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        session[access.CHECKED_KEY] -= 16 * 60
    assert client.get("/staff/").status_code == 302
    with client.session_transaction() as session:
        assert access.SESSION_KEY not in session


def test_login_page_offers_the_provider(oidc_app, client):
    page = client.get("/staff/login?lang=en").get_data(as_text=True)
    assert "Sign in with Stadtkonto" in page
    assert 'href="/staff/oidc/login"' in page


def test_without_oidc_settings_there_is_no_button_and_no_flow(client):
    assert "/staff/oidc/login" not in client.get("/staff/login").get_data(as_text=True)
    assert client.get("/staff/oidc/login").status_code == 404
    assert client.get("/staff/oidc/callback?code=x&state=y").status_code == 404


def test_an_unreachable_provider_is_a_clear_page(app, client, monkeypatch, caplog):
    from terminvergabe.auth import oidc

    monkeypatch.setitem(app.config, "STAFF_OIDC_DISCOVERY_URL", "http://127.0.0.1:1/.well-known/x")
    monkeypatch.setitem(app.config, "STAFF_OIDC_CLIENT_ID", "terminvergabe")
    oidc.init_app(app)
    try:
        with caplog.at_level(logging.INFO):
            response = client.get("/staff/oidc/login?lang=en")
        assert response.status_code == 503
        assert "could not be completed" in response.get_data(as_text=True)
        assert "oidc: sign-in not started" in caplog.text
    finally:
        app.extensions.pop("staff_oidc", None)
        app.extensions.pop("authlib.integrations.flask_client", None)


def test_sign_ins_that_create_or_change_a_member_are_audited(oidc_app, client, offices):
    from terminvergabe.audit import AuditEntry

    sign_in(client, "u-clara")
    (created,) = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "staff_create", AuditEntry.actor_name == "oidc"
        )
    ).all()
    assert created.details["subject"] == "Clara Clerk"
    assert created.municipality_id == offices["mitte"].municipality_id
    client.post("/staff/logout")
    sign_in(client, "u-clara")  # nothing changed: no entry
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "staff_change")
        )
        == 0
    )
