"""An office whose offers are held in different ways, shared by the tests of appointment
modes (booking, pages, API, mails and .ics, browser)."""

from terminvergabe.db import db
from tests import factories

VIDEO_URL = "https://video.example.org/buergerbuero/raum-7"
PASSPORT = "Reisepass beantragen"  # in person, by phone or by video
ID_CARD = "Personalausweis beantragen"  # in person only
REGISTRATION = "Anmeldung einer Wohnung"  # by video or by phone, not in person


def modes_office(**overrides):
    """The test office with three offers: each held in its own ways (see the names above)."""
    office = factories.create_office(phone="0221 123456", **overrides)
    offers = {offer.service.name: offer for offer in office.offers}
    offers[PASSPORT].modes = "in_person,phone,video"
    offers[PASSPORT].video_url = VIDEO_URL
    offers[REGISTRATION].modes = "video,phone"
    offers[REGISTRATION].video_url = VIDEO_URL
    db.session.commit()
    return office


def chosen(office, *names, quantity=1) -> dict[int, int]:
    ids = {s.name: s.id for s in office.services}
    return {ids[name]: quantity for name in names}
