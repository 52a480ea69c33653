"""Rate limits reached and reset, on the real routes: 429 with Retry-After and a translated
message, as a page and as JSON."""

from terminvergabe.limiter import limiter
from tests.fairness.conftest import anmeldung


def test_limit_reached_then_reset(client):
    for _ in range(30):  # the challenge endpoint allows 30 a minute
        assert client.get("/altcha/challenge").status_code == 200
    refused = client.get("/altcha/challenge?lang=en")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Too many requests" in refused.get_data(as_text=True)
    limiter.reset()
    assert client.get("/altcha/challenge").status_code == 200


def test_waitlist_registration_is_limited_per_email_across_addresses(client, scarce_office):
    office, _booked = scarce_office
    services = ",".join(f"{k}:{v}" for k, v in anmeldung(office).items())
    form = {
        "services": services,
        "first_day": "2026-01-13",
        "last_day": "2026-01-14",
        "name": "Ada",
        "email": "ada@example.org",
    }
    url = f"/waitlist/{office.slug}?lang=de"
    for i in range(3):
        response = client.post(url, data=form, environ_base={"REMOTE_ADDR": f"192.0.2.{i}"})
        assert response.status_code == 200, response.get_data(as_text=True)
    refused = client.post(url, data=form, environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Zu viele Anfragen" in refused.get_data(as_text=True)
    # another address from the same client is still welcome
    other = dict(form, email="ben@example.org")
    assert (
        client.post(url, data=other, environ_base={"REMOTE_ADDR": "192.0.2.99"}).status_code == 200
    )
