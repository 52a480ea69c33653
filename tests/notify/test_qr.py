"""The check-in QR code decodes (zxing-cpp) to a credential the front desk accepts, and it is
not the manage token."""

import io

import cairosvg
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from terminvergabe.booking import codes, operations
from terminvergabe.db import db
from terminvergabe.notify import mails
from terminvergabe.notify.models import OutboxMessage
from terminvergabe.notify.qr import checkin_credential, checkin_token_from_scan

from .conftest import book


def decode_png(data: bytes) -> str:
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    return barcode.text


def decode_svg(svg: bytes) -> str:
    return decode_png(cairosvg.svg2png(bytestring=svg, output_width=400))


def accepted_by_checkin(text: str):
    token = checkin_token_from_scan(text)
    return codes.find_by_checkin_token(token) if token else None


def test_qr_in_the_mail_checks_in_the_appointment(app_ctx, mail_office, now):
    appointment = book(mail_office, now)
    row = db.session.scalars(sa.select(OutboxMessage)).one()
    message = mails.compose(row.kind, row.payload, row.message_id, "x@localhost")
    [image] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    assert f'src="cid:{image["Content-ID"][1:-1]}"' in html
    assert image["Content-Disposition"].startswith("inline")
    text = decode_png(image.get_payload(decode=True))
    assert text == checkin_credential(appointment.checkin_token)
    assert appointment.manage_token not in text
    assert accepted_by_checkin(text) == appointment


def test_qr_on_the_manage_page_svg_and_png(client, mail_office, now):
    appointment = book(mail_office, now)
    svg = client.get(f"/a/{appointment.manage_token}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert accepted_by_checkin(decode_svg(svg.data)) == appointment
    png = client.get(f"/a/{appointment.manage_token}/qr.png")
    assert png.mimetype == "image/png"
    assert accepted_by_checkin(decode_png(png.data)) == appointment


def test_qr_route_needs_the_manage_token_and_a_live_booking(client, mail_office, now):
    appointment = book(mail_office, now)
    assert client.get(f"/a/{appointment.checkin_token}/qr.svg").status_code == 404
    assert client.get("/a/x/qr.svg").status_code == 404
    operations.cancel(appointment, now)
    db.session.commit()
    assert client.get(f"/a/{appointment.manage_token}/qr.svg").status_code == 404


def test_scan_parsing():
    token = "abcdefghijklmnop_-QRSTUV"
    assert checkin_token_from_scan(f"TV1:{token}") == token
    assert checkin_token_from_scan(f"  tv1:{token}\n") == token  # scanners add a newline
    assert checkin_token_from_scan(token) is None
    assert checkin_token_from_scan("TV1:short") is None
    assert checkin_token_from_scan("TV1:" + "a" * 65) is None
    assert checkin_token_from_scan("TV1:abc def ghi jkl mno") is None
    assert checkin_token_from_scan("") is None
