"""Queue mails in the booking's transaction; send them from a job, retried with backoff.

One appointment's mails go out in the order of its changes: a message is not claimed while an
earlier message of the same appointment is still queued (being retried, or on the wire), and a
message that a later change made pointless is withdrawn when that change is queued
(SUPERSEDES). Mails not tied to an appointment (enqueue_text) have no order among themselves.

Delivery is at least once with one narrow window: a sender that dies after the SMTP server
accepted a message and before it recorded that fact sends it again once its lease lapses.
Two live senders never send the same row: the claim is made under FOR UPDATE SKIP LOCKED
(PostgreSQL) or the single write lock (SQLite), and the result is recorded only while the
claim token still matches.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from terminvergabe.booking.models import Appointment
from terminvergabe.db import db, insert_or_ignore, lease_due
from terminvergabe.notify import failures
from terminvergabe.notify import payload as payloads
from terminvergabe.notify.models import MailKind, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

BATCH_SIZE = 20

# What a newly queued mail about an appointment makes obsolete among its mails not yet sent:
# - a confirmation: the "please confirm" mail (the citizen has confirmed);
# - a rebooking: the confirmation, an earlier rebooking, the reminder and the "please confirm"
#   mail, all of the old time; the rebooking mail carries every detail of the new one;
# - a cancellation: every other mail of the appointment; only the cancellation goes out.
# A message already claimed by a sender is not withdrawn (it may be on the wire); the new one
# waits until it is sent or given up.
SUPERSEDES = {
    MailKind.CONFIRMED: (MailKind.PENDING,),
    MailKind.REBOOKED: (MailKind.PENDING, MailKind.CONFIRMED, MailKind.REBOOKED, MailKind.REMINDER),
    MailKind.CANCELLED: (
        MailKind.PENDING,
        MailKind.CONFIRMED,
        MailKind.REBOOKED,
        MailKind.REMINDER,
    ),
}


# -- queueing (inside the caller's transaction) ----------------------------------------------


def enqueue(
    kind: str,
    appointment: Appointment,
    now: dt.datetime,
    dedupe_key: str | None = None,
    **extra,
) -> int | None:
    """Write a mail to the outbox in the current transaction: the new message's id, or None
    when the appointment has no address or a message with the same dedupe key exists already.
    Queued mails it makes obsolete are withdrawn first (SUPERSEDES)."""
    if not appointment.citizen_email:
        return None
    withdrawn = withdraw_queued(appointment, *SUPERSEDES.get(kind, ()))
    kind, extra = _told_so_far(kind, extra, withdrawn)
    return _queue(
        kind=kind,
        appointment_id=appointment.id,
        recipient=appointment.citizen_email,
        locale=appointment.locale,
        payload=payloads.snapshot(appointment, now, **extra),
        dedupe_key=dedupe_key,
        now=now,
    )


def _told_so_far(kind: str, extra: dict, withdrawn: list[tuple[str, dict]]) -> tuple[str, dict]:
    """A rebooking speaks of what the citizen was told: if the confirmation never went out,
    the mail is the confirmation of the new time; if an earlier rebooking never went out, the
    time before it is the one the citizen knows."""
    if kind != MailKind.REBOOKED or not withdrawn:
        return kind, extra
    kinds = [k for k, _ in withdrawn]
    if MailKind.CONFIRMED in kinds:
        return MailKind.CONFIRMED, {k: v for k, v in extra.items() if k != "previous_start_at"}
    earlier = [p.get("previous_start_at") for k, p in withdrawn if k == MailKind.REBOOKED]
    if earlier and earlier[0]:
        extra = {**extra, "previous_start_at": earlier[0]}
    return kind, extra


def withdraw_queued(appointment: Appointment, *kinds: str) -> list[tuple[str, dict]]:
    """Delete the appointment's mails of these kinds not yet handed to a sender (see
    SUPERSEDES): their (kind, payload), oldest first. One already claimed goes out, as it may
    be on the wire already."""
    if not kinds:
        return []
    rows = db.session.execute(
        sa.delete(OutboxMessage)
        .where(
            OutboxMessage.appointment_id == appointment.id,
            OutboxMessage.kind.in_(kinds),
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.claim_token.is_(None),
        )
        .returning(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.payload)
        .execution_options(synchronize_session=False)
    ).all()
    return [(kind, payload) for _, kind, payload in sorted(rows, key=lambda row: row[0])]


def enqueue_text(
    to: str,
    subject: str,
    text: str,
    locale: str,
    kind: str,
    now: dt.datetime,
    html: str | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue a mail that another package rendered itself (waitlist offers and the like), with
    the same delivery guarantees; the caller renders it in the citizen's locale."""
    return _queue(
        kind=kind,
        appointment_id=None,
        recipient=to,
        locale=locale,
        payload={
            "prerendered": True,
            "to": to,
            "subject": subject,
            "text": text,
            "html": html,
            "locale": locale,
            "created_at": now.isoformat(),
        },
        dedupe_key=dedupe_key,
        now=now,
    )


def _queue(now: dt.datetime, **values) -> int | None:
    """Insert one queued message unless its dedupe key is taken (then None): one statement,
    where a savepoint to catch the duplicate would cost two more round trips."""
    statement = (
        insert_or_ignore(OutboxMessage)
        .values(
            **values,
            message_id=_new_message_id(),
            status=OutboxStatus.QUEUED,
            created_at=now,
            next_attempt_at=now,
        )
        .returning(OutboxMessage.id)
    )
    return db.session.scalar(statement)


def _new_message_id() -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"<{uuid.uuid4().hex}@{host}>"


def forget(condition, reason: str) -> int:
    """Blank the recipient and payload of the messages matching `condition` (an expression on
    OutboxMessage), for data protection. A queued one is not sent any more: without its
    address it could not be, so it is marked failed with `reason` and leaves the queue; sent
    and failed messages keep their status. The error of an unsent one becomes `reason` too: an
    error written before errors were worded without addresses may hold one. Idempotent;
    returns how many rows changed."""
    queued = OutboxMessage.status == OutboxStatus.QUEUED
    sent = OutboxMessage.status == OutboxStatus.SENT
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(condition, sa.or_(OutboxMessage.recipient != "", queued))
        .values(
            recipient="",
            payload={},
            status=sa.case((queued, OutboxStatus.FAILED.value), else_=OutboxMessage.status),
            last_error=sa.case((sent, ""), else_=reason),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# -- retry policy ----------------------------------------------------------------------------


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the n-th failed attempt: base, 2 x base, 4 x base ... up to the maximum."""
    base = current_app.config.get("MAIL_RETRY_BASE_SECONDS", 30)
    ceiling = current_app.config.get("MAIL_RETRY_MAX_SECONDS", 3600)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), ceiling))


# -- claiming and recording (short transactions of their own) --------------------------------


@dataclass
class Claimed:
    id: int
    token: str
    kind: str
    recipient: str
    message_id: str
    payload: dict
    attempts: int


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def lease_duration() -> dt.timedelta:
    """Long enough for a whole batch to time out message by message."""
    timeout = current_app.config.get("MAIL_TIMEOUT", 30)
    return dt.timedelta(seconds=BATCH_SIZE * timeout + 60)


def claim_due(now: dt.datetime, limit: int = BATCH_SIZE) -> list[Claimed]:
    """Take due messages for this sender and commit, so that no transaction stays open while
    talking to the mail server. At most one message per appointment: its earliest queued."""
    leased = lease_due(
        OutboxMessage, OutboxStatus.QUEUED, now, lease_duration(), limit, ("appointment_id",)
    )
    if leased is None:
        db.session.commit()
        return []
    token, ids = leased
    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    ).all()
    claimed = [
        Claimed(m.id, token, m.kind, m.recipient, m.message_id, m.payload, m.attempts) for m in rows
    ]
    db.session.commit()
    return claimed


def _mine(claim: Claimed):
    return sa.update(OutboxMessage).where(
        OutboxMessage.id == claim.id,
        OutboxMessage.claim_token == claim.token,
        OutboxMessage.status == OutboxStatus.QUEUED,
    )


def mark_sent(claim: Claimed, now: dt.datetime) -> bool:
    result = db.session.execute(
        _mine(claim).values(
            status=OutboxStatus.SENT,
            sent_at=now,
            attempts=claim.attempts + 1,
            lease_until=None,
            claim_token=None,
            last_error="",
        )
    )
    db.session.commit()
    if result.rowcount != 1:
        log.warning("outbox message %s was sent after its claim lapsed", claim.id)
    return result.rowcount == 1


def mark_failed(claim: Claimed, error: Exception, now: dt.datetime, permanent: bool) -> None:
    """Record a failed attempt: retried later with backoff, or failed for good. The error is
    kept as failures.describe() words it: no address, no name."""
    attempts = claim.attempts + 1
    values = {
        "attempts": attempts,
        "lease_until": None,
        "claim_token": None,
        "last_error": failures.describe(error)[:2000],
        "next_attempt_at": now + backoff(attempts),
    }
    if permanent:
        values["status"] = OutboxStatus.FAILED
    db.session.execute(_mine(claim).values(**values))
    db.session.commit()


def release(claims: list[Claimed]) -> None:
    """Give back claims that were not tried (the connection broke before their turn)."""
    for claim in claims:
        db.session.execute(_mine(claim).values(lease_until=None, claim_token=None))
    db.session.commit()
