"""`flask privacy anonymise [--days N]`: the retention job by hand or from cron."""

import click
from flask.cli import AppGroup

from terminvergabe import audit
from terminvergabe.admin import privacy
from terminvergabe.db import db
from terminvergabe.time import now

privacy_cli = AppGroup("privacy", help="Data protection.")


@privacy_cli.command("anonymise")
@click.option("--days", type=int, default=None, help="Retention in days (default: setting).")
def anonymise(days):
    """Blank name, email and phone of appointments that ended more than N days ago."""
    changed = privacy.anonymise(now(), days)
    audit.record(audit.CLI, "anonymise", days=days, rows=changed)
    db.session.commit()
    click.echo(f"Anonymised {changed} rows.")


def init_app(app) -> None:
    app.cli.add_command(privacy_cli)
