"""Links on printed tickets, kiosk tickets and new device addresses use the configured public
address (PUBLIC_BASE_URL, else a configured BASE_URL), never the host the front-desk PC used;
only in development, with nothing configured, the request's own host."""

import io

import cairosvg
import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from terminvergabe.auth import operations as auth_ops
from terminvergabe.auth.models import DeviceKind
from terminvergabe.config import DEFAULTS
from terminvergabe.counter.models import Ticket
from terminvergabe.db import db
from tests.auth.staff import log_in
from tests.counter.helpers import at, service


@pytest.fixture
def printed(client, office, staff, app):
    """Issue a walk-in at the desk and return (ticket, printed page)."""

    def issue():
        app.config["FROZEN_NOW"] = at(9)
        log_in(client, staff["front_desk"])
        client.post(f"/desk/{office.id}/walk-in", data={"service": service(office, "Anm").id})
        ticket = db.session.scalars(sa.select(Ticket).order_by(Ticket.id.desc())).first()
        page = client.get(f"/desk/{office.id}/tickets/{ticket.id}/print").get_data(as_text=True)
        return ticket, page

    return issue


def decode_qr(page: str) -> str:
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    png = cairosvg.svg2png(bytestring=svg.encode(), output_width=600)
    image = Image.open(io.BytesIO(png)).convert("L")
    return zxingcpp.read_barcodes(image)[0].text


def test_public_base_url_is_in_the_printed_link_and_the_qr(monkeypatch, app, printed):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://termine.example.de/")
    ticket, page = printed()
    expected = f"https://termine.example.de/t/{ticket.status_token}"
    assert expected in page
    assert "http://localhost/t/" not in page
    assert decode_qr(page) == expected


def test_configured_base_url_is_the_fallback(monkeypatch, app, printed):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "")
    monkeypatch.setitem(app.config, "BASE_URL", "https://buergerbuero.example.org")
    ticket, page = printed()
    assert f"https://buergerbuero.example.org/t/{ticket.status_token}" in page


def test_nothing_configured_uses_the_request_host(monkeypatch, app, printed):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "")
    monkeypatch.setitem(app.config, "BASE_URL", DEFAULTS["BASE_URL"])
    ticket, page = printed()
    assert f"http://localhost/t/{ticket.status_token}" in page


def test_kiosk_ticket_and_new_device_links_use_it_too(monkeypatch, app, client, office, staff):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://termine.example.de")
    _, token = auth_ops.create_device(office, DeviceKind.KIOSK, "Eingang", at(8))
    db.session.commit()
    app.config["FROZEN_NOW"] = at(9)
    response = client.post(
        f"/kiosk/{token}/walk-in",
        data={"service": service(office, "Personal").id},
        follow_redirects=True,
    )
    ticket = db.session.scalar(sa.select(Ticket))
    assert f"https://termine.example.de/t/{ticket.status_token}" in response.get_data(as_text=True)
    log_in(client, staff["office_manager"])
    created = client.post(
        f"/desk/{office.id}/devices", data={"kind": "display", "name": "Warteraum"}
    ).get_data(as_text=True)
    assert "https://termine.example.de/display/" in created
