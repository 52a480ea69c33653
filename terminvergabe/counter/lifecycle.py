"""What can happen to a ticket: every transition of its status and from where.

    waiting -> called (again on a recall) -> in_service -> done; from called a no-show; at the
    counter (called or in service) parked, or transferred back to waiting; parked -> waiting.
    An open ticket left when the office day ends: called -> no_show, in_service -> done,
    waiting or parked -> closed.

A ticket is issued `waiting` (`begin`). `can(ticket, verb)` answers, `move(ticket, verb)`
changes the status, and `take(...)` is the call as a compare-and-set: this module is the only
code that writes a ticket's status. The verbs in checkin.py, tickets.py and day_end.py do the
rest (times, calls, the audit log) and move the ticket's appointment through
booking/lifecycle.py.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from terminvergabe.counter.models import ACTIVE_AT_COUNTER, OPEN_STATUSES, Ticket, TicketStatus
from terminvergabe.db import db
from terminvergabe.errors import DomainError

S = TicketStatus


class Verb(enum.StrEnum):
    CALL = "call"
    RECALL = "recall"
    NO_SHOW = "no_show"
    START = "start"
    FINISH = "finish"
    PARK = "park"  # e.g. to fetch a document; keeps its place in line
    TRANSFER = "transfer"  # back into the queue for another service or counter
    REQUEUE = "requeue"  # a parked ticket returns
    CLOSE = "close"  # waiting or parked when the day ended: came, but was not served


@dataclass(frozen=True)
class Transition:
    sources: frozenset[TicketStatus]
    target: TicketStatus


def _t(sources, target) -> Transition:
    return Transition(frozenset(sources), target)


INITIAL = S.WAITING

TRANSITIONS: dict[Verb, Transition] = {
    Verb.CALL: _t({S.WAITING}, S.CALLED),
    Verb.RECALL: _t({S.CALLED}, S.CALLED),
    Verb.NO_SHOW: _t({S.CALLED}, S.NO_SHOW),
    Verb.START: _t({S.CALLED}, S.IN_SERVICE),
    Verb.FINISH: _t({S.IN_SERVICE}, S.DONE),
    Verb.PARK: _t(ACTIVE_AT_COUNTER, S.PARKED),
    Verb.TRANSFER: _t(ACTIVE_AT_COUNTER, S.WAITING),
    Verb.REQUEUE: _t({S.PARKED}, S.WAITING),
    Verb.CLOSE: _t({S.WAITING, S.PARKED}, S.CLOSED),
}


def can(ticket: Ticket, verb: Verb) -> bool:
    return ticket.status in TRANSITIONS[verb].sources


def can_close_day(ticket: Ticket) -> bool:
    return ticket.status in OPEN_STATUSES


def refused() -> DomainError:
    return DomainError("ticket_state", _("This is not possible for this ticket now."), 409)


def begin(ticket: Ticket) -> None:
    """A new ticket joins the queue."""
    ticket.status = INITIAL.value


def move(ticket: Ticket, verb: Verb) -> None:
    if not can(ticket, verb):
        raise refused()
    ticket.status = TRANSITIONS[verb].target.value


def take(ticket_id: int, **values) -> bool:
    """Call a ticket if it is still waiting (compare-and-set), setting `values` with it.

    Two clerks racing for one ticket both run this UPDATE; the database lets exactly one of them
    change the row (the other's WHERE no longer matches after the first commits, or on SQLite
    never runs concurrently), so the loser sees rowcount 0 and tries the next ticket."""
    call = TRANSITIONS[Verb.CALL]
    result = db.session.execute(
        sa.update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status.in_([s.value for s in call.sources]))
        .values(status=call.target.value, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
