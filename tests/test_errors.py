"""A database outage (terminvergabe/errors.py): pages and the API answer 503 with Retry-After and
a translated message, change nothing, and recover by themselves. The outage is real: the app's
engine is swapped for one whose database cannot be reached, or the connection of a request is
cut before its commit."""

import logging
import re

import flask_babel
import psycopg
import pytest
import sqlalchemy as sa

from terminvergabe.booking.models import Appointment, SlotClaim
from terminvergabe.db import db
from terminvergabe.errors import RETRY_AFTER_SECONDS, database_unavailable
from tests.auth.staff import create_staff_set, log_in

UNAVAILABLE = (
    "The service is briefly unavailable. Nothing was changed. Please try again in a moment."
)
START = "2026-01-13T10:00:00+01:00"  # a free time on the day after the test clock


def in_language(language: str, msgid: str) -> str:
    """What the catalog of `language` says for an English msgid."""
    with flask_babel.force_locale(language):
        return flask_babel.gettext(msgid)


@pytest.fixture
def connection_lost_at_commit(app_ctx):
    """The next commit finds its connection gone, as when PostgreSQL restarts in the middle of
    a request: the server ends the session (PostgreSQL) or the file is closed under it (SQLite)."""
    done = []

    def cut(session):
        if done:
            return
        done.append(True)
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            other = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
            with other.connect() as admin:
                admin.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            other.dispose()
        else:
            connection.connection.dbapi_connection.close()

    sa.event.listen(db.session, "before_commit", cut)
    yield done
    sa.event.remove(db.session, "before_commit", cut)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def hold_body(office) -> dict:
    service = next(s for s in office.services if s.name == "Reisepass beantragen")
    return {"services": [{"id": service.id, "quantity": 1}], "start": START}


def assert_unavailable(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)


@pytest.mark.parametrize(("language", "error_code"), [("de", "Fehlercode"), ("en", "Error code")])
def test_page_says_briefly_unavailable_while_the_database_is_down(
    client, office, take_database_down, language, error_code, caplog
):
    take_database_down()
    with caplog.at_level(logging.WARNING):
        response = client.get(f"/o/testamt?lang={language}")
    page = response.get_data(as_text=True)
    assert_unavailable(response)
    assert response.mimetype == "text/html"
    assert f'<html lang="{language}"' in page
    assert in_language(language, UNAVAILABLE) in page
    assert f"{error_code}: 503" in page
    # one warning line for the operator, no traceback; the driver's words only there
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelno for r in records] == [logging.WARNING]
    assert records[0].exc_info is None
    logged = records[0].getMessage()
    assert logged.startswith("database unavailable: GET booking.office: ")
    reason = logged.removeprefix("database unavailable: GET booking.office: ")
    assert reason and reason not in page
    assert "Traceback" not in page and "sqlalchemy" not in page.lower()


def test_form_post_is_refused_the_same_way(client, office, take_database_down):
    form = {"s": f"{hold_body(office)['services'][0]['id']}:1", "start": START}
    take_database_down()
    response = client.post("/o/testamt/hold?lang=en", data=form)
    assert_unavailable(response)
    assert UNAVAILABLE in response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["de", "en"])
def test_api_answers_unavailable_while_the_database_is_down(
    client, office, take_database_down, language
):
    body = hold_body(office)
    take_database_down()
    responses = [
        client.get(f"/api/v1/offices?lang={language}"),
        client.post(f"/api/v1/offices/testamt/holds?lang={language}", json=body),
    ]
    for response in responses:
        assert_unavailable(response)
        assert response.get_json() == {
            "error": {"code": "unavailable", "message": in_language(language, UNAVAILABLE)}
        }


def test_a_logged_in_clerk_gets_the_same_page(client, office, take_database_down):
    clerk = create_staff_set(office)["clerk"]
    counter_id = office.counters[0].id
    log_in(client, clerk)
    take_database_down()
    for response in (
        client.get(f"/counter/{counter_id}/?lang=en"),
        client.post(f"/counter/{counter_id}/call-next?lang=en"),
    ):
        assert_unavailable(response)
        assert UNAVAILABLE in response.get_data(as_text=True)


RETRY_SCRIPT = '<script src="/static/retry.js" defer></script>'
TRIES_AGAIN = "This page tries again by itself."


def test_the_page_of_a_get_tries_again_by_itself(client, office, take_database_down):
    take_database_down()
    response = client.get("/o/testamt?lang=en")
    page = response.get_data(as_text=True)
    assert_unavailable(response)
    assert RETRY_SCRIPT in page  # a script, no <meta http-equiv="refresh">
    assert "http-equiv" not in page
    notice = re.search(r'<p id="retry-status" role="status"([^>]*)>(.*?)</p>', page, re.S)
    assert f'data-retry-after="{RETRY_AFTER_SECONDS}"' in notice[1]
    assert f'data-text="{TRIES_AGAIN}"' in notice[1]
    # Without JavaScript the notice stays empty: the message still asks to try again.
    assert notice[2].strip() == ""


def test_other_error_pages_do_not_try_again(client, office, take_database_down):
    clerk = create_staff_set(office)["clerk"]
    counter_id = office.counters[0].id
    log_in(client, clerk)
    pages = {
        "not found": client.get("/o/nowhere?lang=en"),
        "refused": client.get("/display/not-a-device-token?lang=en"),
    }
    take_database_down()
    # An outage's page of a form: sent again, it could act twice.
    pages["form"] = client.post(f"/counter/{counter_id}/call-next?lang=en")
    assert [r.status_code for r in pages.values()] == [404, 403, 503]
    for response in pages.values():
        page = response.get_data(as_text=True)
        assert "retry.js" not in page and "retry-status" not in page


def test_healthz_still_reports_the_database(client, take_database_down):
    take_database_down()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "failing", "checks": {"database": False}}


def test_connection_lost_before_the_commit_changes_nothing(
    client, office, connection_lost_at_commit
):
    body = hold_body(office)
    response = client.post("/api/v1/offices/testamt/holds?lang=en", json=body)
    assert connection_lost_at_commit, "the connection was not cut"
    assert_unavailable(response)
    assert response.get_json()["error"]["code"] == "unavailable"
    assert count(Appointment) == 0 and count(SlotClaim) == 0
    # the next request gets a fresh connection and books
    response = client.post("/api/v1/offices/testamt/holds?lang=en", json=body)
    assert response.status_code == 201, response.get_json()
    assert count(Appointment) == 1


def test_a_refusal_stands_when_the_database_goes_away_before_its_rollback(
    client, office, monkeypatch
):
    """A time just taken while PostgreSQL shuts down: the rollback after the refusal fails on
    the dead connection; the citizen still gets the refusal, not an error of ours."""
    body = hold_body(office)
    assert client.post("/api/v1/offices/testamt/holds?lang=en", json=body).status_code == 201
    real_rollback = db.session.rollback

    def rollback_on_a_dead_connection():
        real_rollback()
        raise _operational(psycopg.errors.AdminShutdown("terminating connection"))

    monkeypatch.setattr(db.session, "rollback", rollback_on_a_dead_connection)
    for _ in office.counters:  # every counter's time taken: the last hold is refused
        response = client.post("/api/v1/offices/testamt/holds?lang=en", json=body)
    monkeypatch.undo()
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "slot_taken"


def _operational(orig: Exception) -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT 1", {}, orig)


@pytest.mark.parametrize(
    "error",
    [
        sa.exc.TimeoutError("QueuePool limit reached"),
        sa.exc.DisconnectionError("connection invalidated by pre-ping"),
        _operational(psycopg.OperationalError("connection failed: Connection refused")),
        _operational(psycopg.errors.AdminShutdown("terminating connection")),
        _operational(psycopg.errors.CannotConnectNow("the database system is starting up")),
        _operational(psycopg.errors.TooManyConnections("too many clients already")),
        _operational(psycopg.errors.ConnectionFailure("connection failure")),
        sa.exc.InterfaceError(
            "COMMIT",
            {},
            psycopg.InterfaceError("the connection is lost"),
            connection_invalidated=True,
        ),
    ],
    ids=lambda error: type(getattr(error, "orig", None) or error).__name__,
)
def test_outages_are_recognised(error):
    assert database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        # The server is there: contention or a mistake in the code, a 500 with its traceback.
        _operational(psycopg.errors.SerializationFailure("could not serialize access")),
        _operational(psycopg.errors.DeadlockDetected("deadlock detected")),
        _operational(psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")),
        _operational(psycopg.errors.QueryCanceled("canceling statement due to statement timeout")),
        sa.exc.IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate key")),
        sa.exc.ProgrammingError("SELECT", {}, psycopg.errors.UndefinedTable("no such table")),
        ValueError("not a database error"),
    ],
    ids=lambda error: type(getattr(error, "orig", None) or error).__name__,
)
def test_other_database_errors_are_not_outages(error):
    assert not database_unavailable(error)


def test_sqlite_errors_by_their_code(tmp_path):
    missing = sa.create_engine(f"sqlite:///{tmp_path}/gone/x.sqlite3")
    with pytest.raises(sa.exc.OperationalError) as cannot_open:
        missing.connect()
    assert database_unavailable(cannot_open.value)
    present = sa.create_engine(f"sqlite:///{tmp_path}/x.sqlite3")
    with present.connect() as connection, pytest.raises(sa.exc.OperationalError) as no_table:
        connection.exec_driver_sql("SELECT * FROM nothing")
    assert not database_unavailable(no_table.value)  # a programming error, not an outage
    present.dispose()
