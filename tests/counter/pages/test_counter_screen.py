"""A walk-in through the desk and a counter's forms
(terminvergabe/counter/pages/counter_screen.py)."""

from terminvergabe.counter.models import Ticket, TicketStatus
from terminvergabe.db import db
from tests.auth.staff import log_in
from tests.counter.helpers import service


def test_walk_in_and_counter_cycle_by_forms(client, office, staff, clock):
    log_in(client, staff["front_desk"])
    clock(9)
    client.post(
        f"/desk/{office.id}/walk-in",
        data={"service": service(office, "Personal").id, "priority": "1"},
    )
    ticket = db.session.query(Ticket).one()
    assert ticket.priority and ticket.display_number == "A-001"
    counter = office.counters[0]
    log_in(client, staff["clerk"])
    base = f"/counter/{counter.id}"
    assert client.post(f"{base}/call-next").status_code == 302
    page = client.get(f"{base}/").get_data(as_text=True)
    assert "A-001" in page and 'id="action-start"' in page
    client.post(f"{base}/start")
    passport = service(office, "Reisepass")
    client.post(f"{base}/finish", data={f"qty-{passport.id}": "2"})
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status == TicketStatus.DONE
    assert [(s.service_id, s.quantity) for s in ticket.services_done] == [(passport.id, 2)]
