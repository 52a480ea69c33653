"""Scheduled jobs of the integrations: each takes the clock, commits its own work and is safe
to run twice or in two schedulers at once (deliveries are claimed)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from terminvergabe import time
from terminvergabe.db import db
from terminvergabe.integrations import delivery
from terminvergabe.integrations.models import DeliveryStatus, WebhookDelivery


def deliver_webhooks(now: dt.datetime) -> dict[str, int]:
    """Every due delivery; each attempt recorded at the moment it was made."""
    return delivery.deliver_due(now, clock=time.now)


def purge_deliveries(now: dt.datetime) -> int:
    """Finished deliveries may hold contact data: kept only as long as configured."""
    days = current_app.config["WEBHOOK_KEEP_DAYS"]
    result = db.session.execute(
        sa.delete(WebhookDelivery).where(
            WebhookDelivery.status != DeliveryStatus.QUEUED,
            WebhookDelivery.created_at < now - dt.timedelta(days=days),
        )
    )
    db.session.commit()
    return result.rowcount or 0
