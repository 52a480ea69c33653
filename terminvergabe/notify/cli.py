"""`flask outbox`: what is queued, sent and failed, which mails are being retried and why;
requeue failed mails after a fix."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import aliased

from terminvergabe import time
from terminvergabe.db import db
from terminvergabe.notify.models import OutboxMessage, OutboxStatus


def status_counts() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    )
    return {status: count for status, count in rows}


def requeue_failed(now) -> int:
    """Queue failed mails again, except those a later mail of the same appointment has
    overtaken: sent now, they would arrive after it and tell an old state."""
    later = aliased(OutboxMessage)
    overtaken = sa.exists().where(
        later.appointment_id == OutboxMessage.appointment_id, later.id > OutboxMessage.id
    )
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.FAILED,
            OutboxMessage.recipient != "",
            ~overtaken,
        )
        .values(status=OutboxStatus.QUEUED, next_attempt_at=now, lease_until=None)
    )
    db.session.commit()
    return result.rowcount


def retrying(limit: int = 20) -> list[OutboxMessage]:
    """Queued messages that failed at least once: the server is down, or refuses for now."""
    return db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.attempts > 0)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()


def init_app(app: Flask) -> None:
    @app.cli.command("outbox")
    @click.option("--retry-failed", is_flag=True, help="Queue mails the server refused again.")
    def outbox_command(retry_failed: bool) -> None:
        """Show the mail outbox: queued, sent and failed messages."""
        if retry_failed:
            click.echo(f"requeued: {requeue_failed(time.now())}")
        counts = status_counts()
        for status in OutboxStatus:
            click.echo(f"{status.value}: {counts.get(status.value, 0)}")
        failed = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.FAILED)
            .order_by(OutboxMessage.id.desc())
            .limit(20)
        )
        for message in failed:
            click.echo(f"  #{message.id} {message.kind} {message.recipient}: {message.last_error}")
        for message in retrying():
            click.echo(
                f"  #{message.id} {message.kind} attempts={message.attempts} "
                f"next={message.next_attempt_at:%Y-%m-%d %H:%M:%S}Z: {message.last_error}"
            )
