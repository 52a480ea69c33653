"""The front desk through its forms (terminvergabe/counter/pages/desk.py)."""

from terminvergabe.counter.models import Ticket
from terminvergabe.db import db
from tests.auth.staff import log_in
from tests.counter.helpers import at, book


def test_front_desk_checks_in_by_code_and_prints(client, office, staff, now, clock):
    appointment = book(office, at(10), now)
    db.session.commit()
    log_in(client, staff["front_desk"])
    clock(9, 50)
    page = client.get(f"/desk/{office.id}/").get_data(as_text=True)
    assert "Erika Mustermann" in page and 'id="checkin-code"' in page
    response = client.post(
        f"/desk/{office.id}/check-in", data={"code": appointment.booking_code.lower()}
    )
    assert response.status_code == 302
    ticket = db.session.query(Ticket).one()
    assert ticket.appointment_id == appointment.id
    printed = client.get(f"/desk/{office.id}/tickets/{ticket.id}/print").get_data(as_text=True)
    assert ticket.display_number in printed and "<svg" in printed
    assert ticket.status_token in printed  # the QR and link lead to the phone page


def test_front_desk_refusal_is_shown_and_changes_nothing(client, office, staff, clock):
    log_in(client, staff["front_desk"])
    clock(9)
    response = client.post(
        f"/desk/{office.id}/check-in", data={"code": "NOPE-CODE"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.get_data(as_text=True)
    assert db.session.query(Ticket).count() == 0
