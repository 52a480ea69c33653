"""/healthz (this worker and its database), /healthz/scheduler, /metrics."""

import datetime as dt

import pytest

from terminvergabe.notify.scheduler import beat


def test_healthz_answers_for_the_worker_and_its_database_only(client):
    # No scheduler has ever beaten: the web worker is still fit to serve.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": True}}


def test_scheduler_check_fails_without_a_recent_heartbeat(client, now):
    response = client.get("/healthz/scheduler")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": True, "scheduler": False}


def test_scheduler_check_ok_with_a_recent_heartbeat(client, now):
    beat("send_outbox", now - dt.timedelta(seconds=30))
    response = client.get("/healthz/scheduler")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_old_heartbeat_is_failing(client, now):
    beat("send_outbox", now - dt.timedelta(minutes=10))
    assert client.get("/healthz/scheduler").status_code == 503
    assert client.get("/healthz").status_code == 200


def test_metrics_count_bookings(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"terminvergabe_appointments_total" in response.data


def test_metrics_send_one_charset(client):
    content_type = client.get("/metrics").headers["Content-Type"]
    assert content_type.count("charset") == 1
    assert content_type.startswith("text/plain")


@pytest.fixture
def restricted_metrics(app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "METRICS_TOKEN", "s3cret-scrape-token")
    monkeypatch.setitem(app_ctx.config, "METRICS_ALLOWED_ADDRESSES", ["10.1.0.0/16"])


def test_metrics_limited_to_the_token(client, restricted_metrics):
    assert client.get("/metrics").status_code == 403
    wrong = {"Authorization": "Bearer guessed"}
    assert client.get("/metrics", headers=wrong).status_code == 403
    right = {"Authorization": "Bearer s3cret-scrape-token"}
    assert client.get("/metrics", headers=right).status_code == 200


def test_metrics_limited_to_the_allowed_addresses(client, restricted_metrics):
    inside = {"REMOTE_ADDR": "10.1.2.3"}
    outside = {"REMOTE_ADDR": "10.2.0.1"}
    assert client.get("/metrics", environ_base=inside).status_code == 200
    assert client.get("/metrics", environ_base=outside).status_code == 403
