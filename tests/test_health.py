import datetime as dt

from terminvergabe.notify.scheduler import beat


def test_healthz_fails_without_a_recent_scheduler_heartbeat(client, now):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": True, "scheduler": False}


def test_healthz_ok_with_database_and_recent_heartbeat(client, now):
    beat("send_outbox", now - dt.timedelta(seconds=30))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_old_heartbeat_is_failing(client, now):
    beat("send_outbox", now - dt.timedelta(minutes=10))
    assert client.get("/healthz").status_code == 503


def test_metrics_count_bookings(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"terminvergabe_appointments_total" in response.data
