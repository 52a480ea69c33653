"""Send queued webhook deliveries: claimed with a lease (PostgreSQL: FOR UPDATE SKIP LOCKED,
so two schedulers never claim the same row), posted with no transaction open, recorded only
while the claim still holds.

A 2xx answer is delivered; anything else (another status, a refused connection, a timeout)
is retried with exponential backoff and jitter, up to WEBHOOK_MAX_ATTEMPTS, then failed. One
endpoint gets one appointment's events in order: a delivery is not claimed while an earlier
one of the same appointment and endpoint is still queued. Redirects are not followed (the
registered URL is the only place the data goes).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import urllib.error
import urllib.request
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from terminvergabe.db import db, lease_due
from terminvergabe.integrations import signing
from terminvergabe.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

BATCH_SIZE = 20
DEFAULTS = {
    "WEBHOOK_TIMEOUT": 10,  # seconds per request
    "WEBHOOK_RETRY_BASE_SECONDS": 30,  # first retry after about this, then doubling ...
    "WEBHOOK_RETRY_MAX_SECONDS": 6 * 3600,  # ... up to this
    "WEBHOOK_MAX_ATTEMPTS": 12,  # about two days with the defaults, then given up
    "WEBHOOK_INTERVAL_SECONDS": 5,
    "WEBHOOK_KEEP_DAYS": 30,  # delivered and failed deliveries (may hold contact data)
}


@dataclass
class Claimed:
    id: int
    token: str
    endpoint_id: int
    url: str
    secret: str
    event_id: str
    payload: dict
    attempts: int


@dataclass
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def backoff(attempts: int) -> dt.timedelta:
    """After the n-th failure: base x 2^(n-1), at most the maximum, and up to a quarter more
    at random so that many deliveries failed together do not retry together."""
    base = current_app.config["WEBHOOK_RETRY_BASE_SECONDS"]
    ceiling = current_app.config["WEBHOOK_RETRY_MAX_SECONDS"]
    wait = min(base * 2 ** max(attempts - 1, 0), ceiling)
    return dt.timedelta(seconds=wait * (1 + random.random() / 4))  # noqa: S311  (jitter)


def lease_duration() -> dt.timedelta:
    return dt.timedelta(seconds=BATCH_SIZE * current_app.config["WEBHOOK_TIMEOUT"] + 60)


def claim_due(now: dt.datetime, limit: int = BATCH_SIZE) -> list[Claimed]:
    """Take due deliveries and commit: at most the earliest queued one per appointment and
    endpoint."""
    D = WebhookDelivery
    leased = lease_due(
        D, DeliveryStatus.QUEUED, now, lease_duration(), limit, ("endpoint_id", "appointment_id")
    )
    if leased is None:
        db.session.commit()
        return []
    token, ids = leased
    rows = db.session.execute(
        sa.select(D, WebhookEndpoint.url, WebhookEndpoint.secret)
        .join(WebhookEndpoint, WebhookEndpoint.id == D.endpoint_id)
        .where(D.id.in_(ids))
        .order_by(D.id)
        .execution_options(populate_existing=True)
    ).all()
    claimed = [
        Claimed(d.id, token, d.endpoint_id, url, secret, d.event_id, d.payload, d.attempts)
        for d, url, secret in rows
    ]
    db.session.commit()
    return claimed


def post(claim: Claimed, now: dt.datetime) -> Outcome:
    """One attempt. The body is signed as sent; the error kept names no data of the payload."""
    body = json.dumps(claim.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = signing.headers(claim.secret, claim.event_id, int(now.timestamp()), body)
    headers.update({"Content-Type": "application/json", "User-Agent": "terminvergabe-webhooks"})
    request = urllib.request.Request(claim.url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=current_app.config["WEBHOOK_TIMEOUT"]) as response:
            code = response.status
    except urllib.error.HTTPError as error:
        code = error.code
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return Outcome(False, None, type(reason).__name__ + ": " + str(reason)[:200])
    if 200 <= code < 300:
        return Outcome(True, code)
    return Outcome(False, code, f"HTTP {code}")


def _mine(claim: Claimed):
    return sa.update(WebhookDelivery).where(
        WebhookDelivery.id == claim.id,
        WebhookDelivery.claim_token == claim.token,
        WebhookDelivery.status == DeliveryStatus.QUEUED,
    )


def record(claim: Claimed, outcome: Outcome, now: dt.datetime) -> str:
    """Write the attempt's result (delivered, retried later, or failed for good) and commit."""
    attempts = claim.attempts + 1
    values = {
        "attempts": attempts,
        "lease_until": None,
        "claim_token": None,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:500],
    }
    if outcome.ok:
        status = DeliveryStatus.DELIVERED
        values.update(status=status.value, delivered_at=now)
    elif attempts >= current_app.config["WEBHOOK_MAX_ATTEMPTS"]:
        status = DeliveryStatus.FAILED
        values.update(status=status.value)
    else:
        status = DeliveryStatus.QUEUED
        values.update(next_attempt_at=now + backoff(attempts))
    result = db.session.execute(_mine(claim).values(**values))
    db.session.commit()
    if result.rowcount != 1:
        log.warning("webhook delivery %s was attempted after its claim lapsed", claim.id)
    elif not outcome.ok:
        log.info(
            "webhook delivery %s to endpoint %s: %s (attempt %s)",
            claim.id,
            claim.endpoint_id,
            outcome.error,
            attempts,
        )
    return status


def deliver_due(now: dt.datetime, clock=None) -> dict[str, int]:
    """Claim and send batch after batch until nothing is due; counts by result. `clock` gives
    the time of each attempt (the job's start by default)."""
    clock = clock or (lambda: now)
    counts = {"delivered": 0, "queued": 0, "failed": 0}
    while True:
        claims = claim_due(now)
        if not claims:
            return counts
        for claim in claims:
            status = record(claim, post(claim, clock()), clock())
            counts[str(status)] += 1
