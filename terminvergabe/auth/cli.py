"""`flask staff create|password|reset-totp` and `flask device create|rename|token|revoke|list`.

Every change is in the audit log with "command line" as its actor.
"""

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from terminvergabe import audit
from terminvergabe.auth import operations, totp
from terminvergabe.auth.models import Device, DeviceKind
from terminvergabe.booking.models import Office, Role, StaffMember
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.time import now

staff_cli = AppGroup("staff", help="Staff accounts.")
device_cli = AppGroup("device", help="Waiting-room screens and kiosks.")

ROLE_CHOICE = click.Choice([r.value for r in Role])


def _office(slug: str | None) -> Office | None:
    if slug is None:
        return None
    office = db.session.scalar(sa.select(Office).where(Office.slug == slug))
    if office is None:
        raise click.ClickException(f"No office with slug {slug!r}.")
    return office


@staff_cli.command("create")
@click.option("--login", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=ROLE_CHOICE)
@click.option("--office", "office_slug", help="Office slug (not needed for admins).")
@click.password_option()
def create_staff(login, name, roles, office_slug, password):
    """Create a staff member with a login."""
    try:
        staff = operations.create_staff(
            login, password, name, [Role(r) for r in roles], _office(office_slug), audit.CLI
        )
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created staff member {staff.login} ({', '.join(roles)}).")


@staff_cli.command("password")
@click.option("--login", required=True)
@click.password_option()
def change_password(login, password):
    """Set a new password (logs out the member's open sessions)."""
    staff = db.session.scalar(
        sa.select(StaffMember).where(StaffMember.login == operations.normalize_login(login))
    )
    if staff is None:
        raise click.ClickException("No such login.")
    try:
        operations.change_password(staff, password, audit.CLI)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo("Password changed.")


@staff_cli.command("reset-totp")
@click.option("--login", required=True)
def reset_totp(login):
    """Remove a member's second factor (a lost phone); they set it up again after the password
    (where it is required, at once)."""
    staff = operations.local_account(login)
    if staff is None:
        raise click.ClickException("No such login.")
    totp.reset(staff, audit.CLI)
    db.session.commit()
    click.echo("Two-step sign-in removed.")


@device_cli.command("create")
@click.option("--office", "office_slug", required=True)
@click.option("--kind", type=click.Choice([k.value for k in DeviceKind]), required=True)
@click.option("--name", required=True)
def create_device(office_slug, kind, name):
    """Create a device and print its start URL (shown once)."""
    office = _office(office_slug)
    device, token = operations.create_device(office, DeviceKind(kind), name, now(), audit.CLI)
    db.session.commit()
    _echo_start_url(device, token)


def _echo_start_url(device: Device, token: str) -> None:
    base = current_app.config["BASE_URL"].rstrip("/")
    path = "display" if device.kind == DeviceKind.DISPLAY else "kiosk"
    click.echo(f"Device {device.id} ({device.kind}): {base}/{path}/{token}")


def _device(device_id: int) -> Device:
    device = db.session.get(Device, device_id)
    if device is None:
        raise click.ClickException("No such device.")
    return device


@device_cli.command("rename")
@click.argument("device_id", type=int)
@click.argument("name")
def rename_device(device_id, name):
    """Give a device another name."""
    name = name.strip()[:100]
    if not name:
        raise click.ClickException("Please give a name.")
    operations.rename_device(_device(device_id), name, now(), audit.CLI)
    db.session.commit()
    click.echo(f"Device {device_id} renamed.")


@device_cli.command("token")
@click.argument("device_id", type=int)
def renew_token(device_id):
    """A new start URL for a device (shown once); the old one stops working."""
    device = _device(device_id)
    try:
        token = operations.renew_device_token(device, now(), audit.CLI)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    _echo_start_url(device, token)


@device_cli.command("revoke")
@click.argument("device_id", type=int)
def revoke_device(device_id):
    """Revoke a device: its screen stops at the next request or event."""
    device = _device(device_id)
    try:
        operations.revoke_device(device, now(), audit.CLI)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Device {device_id} revoked.")


@device_cli.command("list")
def list_devices():
    for device in db.session.scalars(sa.select(Device).order_by(Device.id)):
        state = "revoked" if device.is_revoked else "active"
        click.echo(f"{device.id}\t{device.office.slug}\t{device.kind}\t{device.name}\t{state}")


def init_app(app) -> None:
    app.cli.add_command(staff_cli)
    app.cli.add_command(device_cli)
