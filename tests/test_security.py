"""HTTP hardening (terminvergabe/security.py): headers on every response, no caching of
personal data on any route but the public ones, trusted proxies, redirects that stay here."""

import pytest
from werkzeug.routing import Rule

from terminvergabe.limiter import limiter
from terminvergabe.security import PUBLIC_ENDPOINTS, content_security_policy, local_url
from tests.auth.staff import create_staff_set, log_in
from tests.counter.helpers import at, book

FAKE = {"int": "1", "default": "x" * 32, "path": "app.css"}


def _fill(rule: Rule) -> str:
    path = rule.rule
    for part in path.split("/"):
        if part.startswith("<") or "<" in part:
            inner = part[part.index("<") + 1 : part.index(">")]
            converter = inner.split(":")[0] if ":" in inner else "default"
            name = inner.split(":")[-1]
            value = (rule.defaults or {}).get(name) or FAKE.get(converter, FAKE["default"])
            path = path.replace(f"<{inner}>", str(value), 1)
    return path


def every_route(app):
    for rule in app.url_map.iter_rules():
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        yield rule, method, _fill(rule)


def test_public_endpoints_exist(app):
    assert {rule.endpoint for rule in app.url_map.iter_rules()} >= PUBLIC_ENDPOINTS


def test_security_headers_on_every_response(client, app):
    for _rule, method, url in every_route(app):
        response = client.open(url, method=method)
        headers = response.headers
        assert "script-src 'self'" in headers["Content-Security-Policy"], url
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], url
        assert headers["X-Content-Type-Options"] == "nosniff", url
        assert headers["Referrer-Policy"] in ("same-origin", "no-referrer"), url
        assert "Strict-Transport-Security" not in headers  # BASE_URL is http in the tests
        response.close()


def test_no_store_on_every_route_but_the_public_ones(client, app, office, now):
    """Logged in as admin, so that staff pages answer with their content; a route added later
    is covered without being named here."""
    log_in(client, create_staff_set(office)["admin"])
    for rule, method, url in every_route(app):
        response = client.open(url, method=method)
        cache_control = response.headers.get("Cache-Control", "")
        if rule.endpoint in PUBLIC_ENDPOINTS:
            assert "no-store" not in cache_control, url
        else:
            assert "no-store" in cache_control, (url, response.status_code)
        response.close()


def test_no_store_on_the_appointment_page_and_api_answer(client, office, now):
    appointment = book(office, at(11), now)
    token = appointment.manage_token
    from terminvergabe.db import db

    db.session.commit()
    for url in (f"/a/{token}", f"/api/v1/appointments/{token}", f"/a/{token}/calendar.ics"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers["Cache-Control"], url


def test_frame_ancestors_setting(client, monkeypatch):
    monkeypatch.setitem(client.application.config, "FRAME_ANCESTORS", ["https://portal.example"])
    response = client.get("/healthz")
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors https://portal.example" in policy
    assert "X-Frame-Options" not in response.headers


def test_hsts_when_the_base_url_is_https(client, monkeypatch):
    monkeypatch.setitem(client.application.config, "BASE_URL", "https://termine.example.de")
    hsts = client.get("/healthz").headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=") and int(hsts.split("=")[1]) >= 15552000


def test_policy_allows_the_apps_own_workers_and_nothing_inline():
    policy = content_security_policy([])
    assert "worker-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_retry_after_only_on_429_and_503(client):
    limiter.reset()
    allowed = client.get("/altcha/challenge")  # a rate-limited route
    assert allowed.status_code == 200
    assert "X-RateLimit-Limit" in allowed.headers
    assert "Retry-After" not in allowed.headers
    for _ in range(40):
        refused = client.get("/altcha/challenge")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    limiter.reset()


# -- behind a reverse proxy ----------------------------------------------------------------


def _challenges_until_refused(client, address, limit=40):
    headers = {"X-Forwarded-For": address}
    for count in range(limit):
        if client.get("/altcha/challenge", headers=headers).status_code == 429:
            return count
    return limit


def test_forwarded_for_is_ignored_without_trusted_proxies(client):
    limiter.reset()
    first = _challenges_until_refused(client, "203.0.113.1")
    assert first < 40
    # Another X-Forwarded-For does not buy a fresh count: it is the same connection peer.
    assert _challenges_until_refused(client, "203.0.113.2") == 0
    limiter.reset()


def test_trusted_proxy_gives_each_citizen_their_own_limit(client, monkeypatch):
    monkeypatch.setitem(client.application.config, "TRUSTED_PROXY_HOPS", 1)
    limiter.reset()
    first = _challenges_until_refused(client, "203.0.113.1")
    assert first < 40
    assert _challenges_until_refused(client, "203.0.113.2") == first
    # the proxy's own address is behind the client's: only the last hop is trusted
    forged = "198.51.100.7, 203.0.113.2"
    assert client.get("/altcha/challenge", headers={"X-Forwarded-For": forged}).status_code == 429
    limiter.reset()


# -- redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/desk",
        "//evil.example/desk",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "http://localhost.evil.example/desk",
        "https://localhost/desk",  # another scheme is another site
        "desk",
        "",
        None,
    ],
)
def test_local_url_refuses_other_sites(app, target):
    with app.test_request_context("/", base_url="http://localhost"):
        assert local_url(target) is None


def test_local_url_keeps_paths_of_this_site(app):
    with app.test_request_context("/", base_url="http://localhost"):
        assert local_url("/desk/1/?x=1#y") == "/desk/1/?x=1#y"
        assert local_url("http://localhost/desk/1/") == "/desk/1/"


def test_refused_desk_action_never_redirects_to_an_outside_referer(client, office, now):
    from terminvergabe.counter import checkin
    from terminvergabe.db import db
    from tests.counter.helpers import service

    staff = create_staff_set(office)
    ticket = checkin.walk_in(office, service(office, "Personal").id, now)  # waiting: no requeue
    db.session.commit()
    log_in(client, staff["front_desk"])
    url = f"/desk/{office.id}/tickets/{ticket.id}/requeue"
    for referer in ("https://evil.example/phish", "//evil.example/", "/\t/evil.example"):
        response = client.post(url, headers={"Referer": referer})
        assert response.status_code == 302
        assert response.headers["Location"] == f"/desk/{office.id}/"
    inside = client.post(url, headers={"Referer": f"http://localhost/desk/{office.id}/?x=1"})
    assert inside.headers["Location"] == f"/desk/{office.id}/?x=1"


def test_login_never_redirects_to_another_site(client, office):
    from tests.auth.staff import PASSWORD

    create_staff_set(office)
    for target in ("//evil.example/", "https://evil.example/", "/\t/evil.example"):
        response = client.post(
            f"/staff/login?next={target}", data={"login": "admin", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert "evil.example" not in response.headers["Location"]
        client.post("/staff/logout")
