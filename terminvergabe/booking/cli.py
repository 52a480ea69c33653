"""Command line: `flask demo` loads the demo city; `flask catalogue import` imports a
municipality's catalogue from a JSON or CSV file (docs/catalogue.md)."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup, with_appcontext

from terminvergabe import audit
from terminvergabe.booking import catalogue_import
from terminvergabe.booking.models import Municipality
from terminvergabe.db import db
from terminvergabe.time import now

catalogue_cli = AppGroup("catalogue", help="A municipality's service catalogue.")


def init_app(app) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(catalogue_cli)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo city (once), and book appointments on coming days that have none."""
    from terminvergabe.booking.demo import demo_offices, load_demo

    notes: list[str] = []
    _office, booked = load_demo(now(), notes=notes)
    db.session.commit()
    for office in demo_offices():
        click.echo(
            f"{office.municipality.name}: {office.name!r} (/o/{office.slug}): "
            f"{len(office.counters)} counters, {len(office.services)} services."
        )
    click.echo(f"{booked} appointments booked now.")
    for line in notes:
        click.echo(line)


@catalogue_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--municipality", "slug", required=True, help="Slug of the municipality.")
@click.option("--dry-run", is_flag=True, help="Only report what would change.")
@click.option(
    "--deactivate-missing", is_flag=True, help="Switch off services the file does not name."
)
def import_command(file: Path, slug: str, dry_run: bool, deactivate_missing: bool) -> None:
    """Import a catalogue file (JSON or CSV) and print the report."""
    municipality = db.session.scalar(sa.select(Municipality).where(Municipality.slug == slug))
    if municipality is None:
        raise click.ClickException(f"No municipality with slug {slug!r}.")
    if file.stat().st_size > catalogue_import.MAX_BYTES:
        raise click.ClickException(f"{file} is larger than {catalogue_import.MAX_BYTES} bytes.")
    report = catalogue_import.import_catalogue(
        municipality,
        file.read_bytes(),
        file.name,
        actor=audit.CLI,
        dry_run=dry_run,
        deactivate_missing=deactivate_missing,
    )
    for line in report_lines(report):
        click.echo(line)
    if report.errors:
        db.session.rollback()
        raise click.ClickException("Nothing was imported.")
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()


def report_lines(report: catalogue_import.Report) -> list[str]:
    lines = [f"{len(report.errors)} errors:"] if report.errors else []
    lines += [f"  {e.where}: {e.field + ': ' if e.field else ''}{e.message}" for e in report.errors]
    if report.errors:
        return lines
    lines.append("Dry run: nothing was changed." if report.dry_run else "Imported.")
    lines.append(f"Created ({len(report.created)}): " + ", ".join(report.created))
    lines.append(f"Updated ({len(report.updated)}):")
    lines += [f"  {u.name}: {', '.join(u.fields)}" for u in report.updated]
    lines.append(f"Unchanged: {len(report.unchanged)}")
    lines.append(
        f"In the catalogue, not in the file ({len(report.missing)}): " + ", ".join(report.missing)
    )
    if report.deactivated:
        lines.append(f"Deactivated ({len(report.deactivated)}): " + ", ".join(report.deactivated))
    return lines
