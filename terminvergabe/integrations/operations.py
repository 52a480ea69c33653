"""The verbs of the integrations: register, change, deactivate and rotate webhook endpoints,
replay a delivery; create and revoke calendar feeds. Each takes the clock and the actor,
writes the audit log, flushes and never commits. Secrets and tokens are returned once and
never written to the log."""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from terminvergabe import audit
from terminvergabe.auth.operations import hash_token
from terminvergabe.booking.models import Counter, StaffMember
from terminvergabe.db import db, find_by_secret
from terminvergabe.errors import DomainError
from terminvergabe.integrations import signing
from terminvergabe.integrations.models import (
    CalendarFeed,
    DataLevel,
    DeliveryStatus,
    Event,
    FeedPolicy,
    WebhookDelivery,
    WebhookEndpoint,
)

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


# -- webhook endpoints -----------------------------------------------------------------------


def http_allowed() -> bool:
    """Plain http only to this machine, and only in tests or where a setting allows it."""
    config = current_app.config
    return bool(config.get("TESTING") or config.get("WEBHOOK_ALLOW_HTTP_LOCALHOST"))


def check_url(url: str) -> str:
    """An https URL with a host (http to localhost where allowed); else a translated error."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        parts, host = None, ""
    local = host in LOCAL_HOSTS
    if parts is None or not host or len(url) > 2000 or parts.username or parts.password:
        raise DomainError("webhook_url", _("Please enter a complete https:// address."), 422)
    if parts.scheme == "http" and local and http_allowed():
        return url
    if parts.scheme != "https":
        raise DomainError("webhook_url", _("Webhooks are only sent to https:// addresses."), 422)
    if _private_address(host) and not local:
        raise DomainError(
            "webhook_url", _("Webhooks are not sent to private network addresses."), 422
        )
    return url


def _private_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def _check_events(events: list[str]) -> str:
    known = [e.value for e in Event]
    chosen = [e for e in known if e in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise DomainError("webhook_events", _("Please choose at least one event."), 422)
    return ",".join(chosen)


def _audit(actor, action: str, endpoint: WebhookEndpoint, now: dt.datetime, **details) -> None:
    audit.record(
        actor,
        action,
        None,
        at=now,
        municipality_id=endpoint.municipality_id,
        endpoint=endpoint.id,
        **details,
    )


def create_endpoint(
    municipality_id: int,
    url: str,
    events: list[str],
    data_level: str,
    actor: StaffMember,
    now: dt.datetime,
    office_id: int | None = None,
    name: str = "",
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (shown once to the administrator)."""
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        municipality_id=municipality_id,
        office_id=office_id,
        name=name.strip()[:100],
        url=check_url(url),
        secret=secret,
        events=_check_events(events),
        data_level=DataLevel(data_level).value,
        active=True,
        created_at=now,
        secret_rotated_at=now,
    )
    db.session.add(endpoint)
    db.session.flush()
    _audit(actor, "webhook_created", endpoint, now, url=endpoint.url, data_level=data_level)
    return endpoint, secret


def update_endpoint(
    endpoint: WebhookEndpoint,
    url: str,
    events: list[str],
    data_level: str,
    active: bool,
    actor: StaffMember,
    now: dt.datetime,
    office_id: int | None = None,
    name: str = "",
) -> None:
    endpoint.url = check_url(url)
    endpoint.events = _check_events(events)
    endpoint.data_level = DataLevel(data_level).value
    endpoint.active = active
    endpoint.office_id = office_id
    endpoint.name = name.strip()[:100]
    db.session.flush()
    _audit(actor, "webhook_changed", endpoint, now, url=endpoint.url, active=active)


def deactivate_endpoint(endpoint: WebhookEndpoint, actor: StaffMember, now: dt.datetime) -> None:
    """No new deliveries; those queued are given up (the receiver no longer wants them)."""
    endpoint.active = False
    db.session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == DeliveryStatus.QUEUED,
            WebhookDelivery.claim_token.is_(None),
        )
        .values(status=DeliveryStatus.FAILED.value, last_error="endpoint deactivated")
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    _audit(actor, "webhook_deactivated", endpoint, now)


def rotate_secret(endpoint: WebhookEndpoint, actor: StaffMember, now: dt.datetime) -> str:
    """A new secret at once; queued deliveries are signed with it when they go out."""
    endpoint.secret = signing.new_secret()
    endpoint.secret_rotated_at = now
    db.session.flush()
    _audit(actor, "webhook_secret", endpoint, now, secret=audit.CHANGED)
    return endpoint.secret


def replay(delivery: WebhookDelivery, actor: StaffMember, now: dt.datetime) -> WebhookDelivery:
    """Send a delivery again as it was (same webhook-id, so a receiver that has it already
    can tell), after whatever of its appointment is still queued for the endpoint."""
    if not delivery.endpoint.active:
        raise DomainError(
            "webhook_inactive", _("This endpoint is deactivated; activate it first."), 409
        )
    again = WebhookDelivery(
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
        appointment_id=delivery.appointment_id,
        sequence=delivery.sequence,
        status=DeliveryStatus.QUEUED.value,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    db.session.add(again)
    db.session.flush()
    _audit(actor, "webhook_replayed", delivery.endpoint, now, delivery=delivery.id)
    return again


# -- calendar feeds --------------------------------------------------------------------------


def _owner_filter(staff: StaffMember | None, counter: Counter | None):
    if staff is not None:
        return CalendarFeed.staff_member_id == staff.id
    return CalendarFeed.counter_id == counter.id


def active_feed(staff: StaffMember | None = None, counter: Counter | None = None):
    return db.session.scalar(
        sa.select(CalendarFeed).where(
            _owner_filter(staff, counter), CalendarFeed.revoked_at.is_(None)
        )
    )


def revoke_feed(
    actor: StaffMember,
    now: dt.datetime,
    staff: StaffMember | None = None,
    counter: Counter | None = None,
) -> int:
    result = db.session.execute(
        sa.update(CalendarFeed)
        .where(_owner_filter(staff, counter), CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    if result.rowcount:
        audit.record(
            actor,
            "calendar_feed_revoked",
            None,
            at=now,
            staff_member=staff.id if staff else None,
            counter=counter.id if counter else None,
        )
    return result.rowcount or 0


def create_feed(
    actor: StaffMember,
    now: dt.datetime,
    staff: StaffMember | None = None,
    counter: Counter | None = None,
) -> str:
    """A new subscription token for the staff member or counter; the old one stops working."""
    revoke_feed(actor, now, staff=staff, counter=counter)
    token = secrets.token_urlsafe(32)
    db.session.add(
        CalendarFeed(
            staff_member_id=staff.id if staff else None,
            counter_id=counter.id if counter else None,
            token_hash=hash_token(token),
            created_at=now,
        )
    )
    db.session.flush()
    audit.record(
        actor,
        "calendar_feed_created",
        None,
        at=now,
        staff_member=staff.id if staff else None,
        counter=counter.id if counter else None,
        token=audit.CHANGED,
    )
    return token


def find_feed(token: str) -> CalendarFeed | None:
    """The feed of this token if not revoked (digests compared in constant time)."""
    if not token or len(token) > 100:
        return None
    feed = find_by_secret(CalendarFeed.token_hash, hash_token(token))
    if feed is None or feed.revoked_at is not None:
        return None
    return feed


def contact_data_allowed(office_id: int) -> bool:
    policy = db.session.get(FeedPolicy, office_id)
    return bool(policy and policy.contact_data)


def set_contact_data(office_id: int, allowed: bool, actor, now: dt.datetime, municipality_id):
    policy = db.session.get(FeedPolicy, office_id) or FeedPolicy(office_id=office_id)
    policy.contact_data = allowed
    db.session.add(policy)
    db.session.flush()
    audit.record(
        actor,
        "calendar_feed_policy",
        None,
        at=now,
        municipality_id=municipality_id,
        office=office_id,
        contact_data=allowed,
    )
