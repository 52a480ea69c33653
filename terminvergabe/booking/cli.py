"""Command line: `flask demo` loads the demo office."""

import click
from flask.cli import with_appcontext

from terminvergabe.db import db
from terminvergabe.time import now


def init_app(app) -> None:
    app.cli.add_command(demo_command)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo office (once), and book appointments on coming days that have none."""
    from terminvergabe.booking.demo import load_demo

    office, booked = load_demo(now())
    db.session.commit()
    click.echo(
        f"Demo office {office.name!r} (/{office.slug}): {len(office.counters)} counters, "
        f"{len(office.services)} services; {booked} appointments booked now."
    )
