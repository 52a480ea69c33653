"""Unknown and bad input on the citizen pages: a translated page, never a 500, nothing changed,
and no appointment reachable by its id."""

import pytest
import sqlalchemy as sa

from terminvergabe.booking.models import Appointment
from terminvergabe.db import db
from tests.citizen.pages.helpers import (
    TUESDAY_10,
    appointment_by_token,
    book_via_pages,
    hold_via_pages,
    passports,
    text,
)


@pytest.mark.parametrize(
    "path",
    [
        "/a/unknown-token",
        "/a/unknown-token/details",
        "/a/x/cancel",
        "/a/x/rebook",
        "/a/x/rebook/2026-01-13",
        "/a/x/confirm-email",
        "/a/" + "x" * 500,
        "/o/nowhere",
        "/o/nowhere/days?s=1:1",
    ],
)
def test_unknown_things_are_a_translated_404(client, office, path):
    response = client.get(path + ("&" if "?" in path else "?") + "lang=de")
    assert response.status_code == 404
    assert 'lang="de"' in text(response)
    assert "Traceback" not in text(response)


@pytest.mark.parametrize(
    "query",
    [
        "s=",
        "s=abc",
        "s=1:x",
        "s=-1:2",
        "s=999:1",
        "s=2:99",
        "s=" + ",".join(["1:1"] * 30),
        "q-abc=1",
        "q-2=zwei",
        "q-2=99",
        "q-999=1",
    ],
)
def test_bad_selection_never_500(client, office, query):
    response = client.get(f"/o/{office.slug}/days?{query}")
    assert response.status_code in (303, 404, 422), text(response)
    if response.status_code == 303:  # a redirect to the canonical URL, which then refuses
        response = client.get(response.headers["Location"])
        assert response.status_code == 422


@pytest.mark.parametrize("date", ["2026-13-01", "yesterday", "2026-02-30", "9" * 40, "0001-01-01"])
def test_bad_date_never_500(client, office, date):
    response = client.get(f"/o/{office.slug}/days/{date}?s={passports(office)}")
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert "no free times on this day" in text(response)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"s": "1:1"},
        {"s": "1:1", "start": "tomorrow"},
        {"s": "1:1", "start": "2026-01-13T10:00:00"},  # no offset
        {"s": "nonsense", "start": "2026-01-13T09:00:00+00:00"},
        {"s": "2:9", "start": "2026-01-13T09:00:00+00:00"},
        {"s": "2:1", "start": "2026-01-13T09:03:00+00:00"},  # not a slot
        {"s": "2:1", "start": "2030-01-13T09:00:00+00:00"},  # beyond the horizon
    ],
)
def test_bad_hold_never_500_and_changes_nothing(client, office, data):
    response = client.post(f"/o/{office.slug}/hold", data=data)
    assert response.status_code in (409, 422), text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 0


def test_bad_rebook_never_500(client, office):
    token = book_via_pages(client, office)
    for start in ("", "garbage", "2026-01-13T10:00:00", "2026-01-13T09:03:00+00:00"):
        response = client.post(f"/a/{token}/rebook", data={"start": start})
        assert response.status_code in (409, 422)
    assert appointment_by_token(token).start_at == TUESDAY_10


def test_held_appointment_is_not_reachable_by_id(client, office):
    token, _ = hold_via_pages(client, office)
    appointment = appointment_by_token(token)
    assert client.get(f"/a/{appointment.id}").status_code == 404
