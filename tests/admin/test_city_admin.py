"""A municipality's administration through the web admin: offices, the catalogue, offers and
staff in several offices; who may do what; bad input refused beside the field."""

import re

import pytest
import sqlalchemy as sa

from terminvergabe.audit import AuditEntry
from terminvergabe.auth import operations
from terminvergabe.booking.models import (
    Counter,
    Office,
    Role,
    Service,
    StaffMember,
)
from terminvergabe.db import db
from tests import factories
from tests.auth.staff import PASSWORD, log_in

NEW_OFFICE = {
    "name": "Bürgerbüro Nord",
    "slug": "buergerbuero-nord",
    "street": "Nordring 5",
    "postcode": "50733",
    "city": "Köln",
    "district": "Nippes",
    "email": "nord@example.org",
    "phone": "0221 221-0",
    "time_zone": "Europe/Berlin",
    "bundesland": "NW",
    "directions": "Straßenbahn 12, Haltestelle Nordring",
    "step_free": "y",
    "accessibility_note": "Aufzug am Seiteneingang",
    "public": "y",
}

NEW_SERVICE = {
    "name": "Führungszeugnis beantragen",
    "leika_id": "99089004000000",
    "description": "Für Beruf und Ehrenamt.",
    "what_to_bring": "Personalausweis",
    "fee_cents": "13,00",
    "fee_note": "",
    "synonyms": "Führungszeugnis\n  polizeiliches Führungszeugnis \n",
    "position": "5",
    "active": "y",
}

OFFER = {
    "duration_minutes": "15",
    "max_quantity": "1",
    "ticket_prefix": "F",
    "position": "4",
    "public": "y",
    "active": "y",
    "modes": ["in_person"],
    "video_url": "",
}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def error_of(page: str, field: str) -> str:
    """The message shown beside a field (its element with id <field>-error)."""
    found = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
    assert found, f"no error beside {field}"
    return found.group(1).strip()


def test_start_page_lists_the_municipality_and_its_offices(client, city, city_admin):
    municipality, office, nord = city
    page = client.get("/admin/?lang=en").get_data(as_text=True)
    assert f"/admin/m/{municipality.id}/offices" in page
    assert f"/admin/m/{municipality.id}/catalogue" in page
    assert f"/admin/{office.id}/" in page and f"/admin/{nord.id}/" in page


def test_create_an_office_and_book_there(client, city, city_admin, now):
    municipality = city[0]
    base = f"/admin/m/{municipality.id}"
    form = client.get(f"{base}/offices/new").get_data(as_text=True)
    assert 'value="Europe/Berlin"' in form  # a new office starts with sensible defaults

    response = client.post(f"{base}/offices/new", data={**NEW_OFFICE, "slug": "nord-2"})
    assert response.status_code == 302
    office = db.session.scalar(sa.select(Office).where(Office.slug == "nord-2"))
    assert office.municipality_id == municipality.id
    assert (office.district, office.step_free, office.slot_minutes) == ("Nippes", True, 10)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "office_create"))
    assert (entry.office_id, entry.municipality_id) == (office.id, municipality.id)
    assert entry.details["slug"] == [None, "nord-2"] and entry.details["directions"] == "changed"

    # Set it up on its own pages, as an administrator would.
    passport = next(s for s in municipality.services if s.name == "Reisepass beantragen")
    admin = f"/admin/{office.id}"
    assert (
        client.post(f"{admin}/services", data={**OFFER, "service_id": passport.id}).status_code
        == 302
    )
    for weekday in range(5):
        hours = {"weekday": weekday, "start_local": "08:00", "end_local": "12:00"}
        assert client.post(f"{admin}/hours", data=hours).status_code == 302
    counter = {"name": "Schalter 1", "position": "1", "active": "y", "skills": [passport.id]}
    assert client.post(f"{admin}/counters", data=counter).status_code == 302
    clerk = {"name": "Neue Kraft", "roles": ["clerk"], "active": "y"}
    assert client.post(f"{admin}/staff", data=clerk).status_code == 302
    member = db.session.scalar(sa.select(StaffMember).where(StaffMember.name == "Neue Kraft"))
    counter_id = db.session.scalar(sa.select(Counter.id).where(Counter.office_id == office.id))
    for weekday in range(5):
        shift = {
            "form": "pattern",
            "pattern-staff_member_id": member.id,
            "pattern-counter_id": counter_id,
            "pattern-weekday": weekday,
            "pattern-start_local": "08:00",
            "pattern-end_local": "12:00",
        }
        assert client.post(f"{admin}/shifts", data=shift).status_code == 302

    # A citizen books there.
    page = client.get(f"/o/{office.slug}").get_data(as_text=True)
    assert "Reisepass beantragen" in page
    times = client.get(
        f"/api/v1/offices/{office.slug}/times?services={passport.id}&date=2026-01-13"
    )
    first = times.get_json()["times"][0]
    start = first["start"] if isinstance(first, dict) else first
    body = {"services": [{"id": passport.id, "quantity": 1}], "start": start}
    held = client.post(f"/api/v1/offices/{office.slug}/holds", json=body)
    assert held.status_code == 201, held.get_json()
    token = held.get_json()["token"]
    confirmed = client.post(
        f"/api/v1/appointments/{token}/confirm",
        json={"name": "Erika Mustermann", "email": "erika@example.org"},
    )
    assert confirmed.get_json()["status"] == "confirmed"


def test_edit_an_office(client, city, city_admin):
    municipality, office, _nord = city
    path = f"/admin/m/{municipality.id}/offices/{office.id}"
    assert client.get(path).status_code == 200
    data = {**NEW_OFFICE, "name": "Bürgerbüro Mitte", "slug": office.slug, "step_free": ""}
    assert client.post(path, data=data).status_code == 302
    assert (office.name, office.step_free, office.district) == ("Bürgerbüro Mitte", False, "Nippes")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "office_change"))
    assert entry.details["name"] == ["Bürgerbüro Testamt", "Bürgerbüro Mitte"]
    assert entry.municipality_id == municipality.id


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slug", "nord", "Another office already uses this short name."),
        ("slug", "Bürgerbüro Nord", "Use lower-case letters a–z, digits and single dashes"),
        ("time_zone", "Europe/Köln", "Unknown time zone. Use a name like Europe/Berlin."),
        ("postcode", "5073", "A postcode has five digits."),
        ("email", "nord@", "Please enter a valid email address."),
    ],
)
def test_bad_office_input_is_refused_beside_the_field(
    client, city, city_admin, field, value, message
):
    municipality = city[0]
    before = count(Office)
    response = client.post(
        f"/admin/m/{municipality.id}/offices/new?lang=en", data={**NEW_OFFICE, field: value}
    )
    assert response.status_code == 422
    assert message in error_of(response.get_data(as_text=True), field)
    assert count(Office) == before


def test_catalogue_service_with_translations_and_fee(client, city, city_admin):
    municipality, office, _nord = city
    data = {
        **NEW_SERVICE,
        "en_name": "Certificate of good conduct",
        "en_what_to_bring": "Identity card",
        "ar_name": "شهادة حسن السيرة والسلوك",
    }
    response = client.post(f"/admin/m/{municipality.id}/catalogue/new", data=data)
    assert response.status_code == 302
    service = db.session.scalar(sa.select(Service).where(Service.leika_id == "99089004000000"))
    assert service.fee_cents == 1300
    assert service.synonyms == "Führungszeugnis\npolizeiliches Führungszeugnis"
    assert service.translations == {
        "en": {"name": "Certificate of good conduct", "what_to_bring": "Identity card"},
        "ar": {"name": "شهادة حسن السيرة والسلوك"},
    }
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "catalogue_create"))
    assert entry.municipality_id == municipality.id and entry.details["translations"] == "changed"

    # The office offers it; citizens see it in their language, German where none is given.
    offer = {**OFFER, "service_id": service.id}
    assert client.post(f"/admin/{office.id}/services", data=offer).status_code == 302
    english = client.get(f"/o/{office.slug}?lang=en").get_data(as_text=True)
    assert re.search(r'<h2 id="service-\d+">Certificate of good conduct</h2>', english)
    assert "Identity card" in english
    assert '<p lang="de">Für Beruf und Ehrenamt.</p>' in english  # not translated: German
    turkish = client.get(f"/o/{office.slug}?lang=tr").get_data(as_text=True)
    assert re.search(r'<h2 id="service-\d+" lang="de">Führungszeugnis beantragen</h2>', turkish)

    # The edit page shows what is stored, and the offices that offer it.
    page = client.get(f"/admin/m/{municipality.id}/catalogue/{service.id}?lang=en").get_data(
        as_text=True
    )
    assert 'value="13.00"' in page and 'value="Certificate of good conduct"' in page
    assert f"/admin/{office.id}/services/{service.id}" in page


@pytest.mark.parametrize(
    ("typed", "cents"), [("37,00", 3700), ("37.00", 3700), ("22,8", 2280), ("0", 0), ("", None)]
)
def test_fee_in_euros(client, city, city_admin, typed, cents):
    municipality = city[0]
    data = {**NEW_SERVICE, "fee_cents": typed}
    assert client.post(f"/admin/m/{municipality.id}/catalogue/new", data=data).status_code == 302
    service = db.session.scalar(sa.select(Service).where(Service.leika_id == "99089004000000"))
    assert service.fee_cents == cents


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("leika_id", "9908900400000", "A LeiKa key has exactly 14 digits."),
        ("leika_id", "99102013000000", "Another service of the catalogue has this key."),
        ("fee_cents", "37,000", "Enter the fee in euros, for example 37,00."),
        ("fee_cents", "-5", "Enter the fee in euros, for example 37,00."),
        ("fee_cents", "1.234,50", "Enter the fee in euros, for example 37,00."),
    ],
)
def test_bad_catalogue_input_is_refused_beside_the_field(
    client, city, city_admin, field, value, message
):
    municipality = city[0]
    before = count(Service)
    response = client.post(
        f"/admin/m/{municipality.id}/catalogue/new?lang=en", data={**NEW_SERVICE, field: value}
    )
    assert response.status_code == 422
    assert message in error_of(response.get_data(as_text=True), field)
    assert count(Service) == before


def test_catalogue_edit_refuses_a_key_of_another_service(client, city, city_admin):
    municipality, office, _nord = city
    passport = next(s for s in municipality.services if s.name == "Reisepass beantragen")
    data = {**NEW_SERVICE, "name": passport.name, "leika_id": "99102013000000"}
    response = client.post(f"/admin/m/{municipality.id}/catalogue/{passport.id}", data=data)
    assert response.status_code == 422
    db.session.refresh(passport)
    assert passport.leika_id is None and passport.fee_cents is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"modes": []}, "modes", "Choose at least one way to hold the appointment."),
        (
            {"modes": ["video"]},
            "video_url",
            "A video appointment needs the link to the video room.",
        ),
        (
            {"modes": ["video"], "video_url": "http://video.example.org/room"},
            "video_url",
            "Enter a web address that starts with https://.",
        ),
        (
            {"modes": ["phone"], "video_url": "javascript:alert(1)"},
            "video_url",
            "Enter a web address that starts with https://.",
        ),
    ],
)
def test_bad_offer_input_is_refused_beside_the_field(
    client, city, city_admin, changes, field, message
):
    _municipality, office, _nord = city
    passport = next(o for o in office.offers if o.service.name == "Reisepass beantragen")
    before = (passport.modes, passport.video_url, passport.duration_minutes)
    data = {**OFFER, "duration_minutes": "45", **changes}
    response = client.post(f"/admin/{office.id}/services/{passport.service_id}?lang=en", data=data)
    assert response.status_code == 422
    assert message in error_of(response.get_data(as_text=True), field)
    db.session.refresh(passport)
    assert (passport.modes, passport.video_url, passport.duration_minutes) == before


def test_offer_by_video_and_phone(client, city, city_admin):
    _municipality, office, _nord = city
    offer = next(o for o in office.offers if o.service.name == "Anmeldung einer Wohnung")
    data = {
        **OFFER,
        "modes": ["video", "phone"],
        "video_url": "https://video.example.org/buergerbuero",
    }
    assert (
        client.post(f"/admin/{office.id}/services/{offer.service_id}", data=data).status_code == 302
    )
    db.session.refresh(offer)
    assert offer.modes == "phone,video"
    assert offer.video_url == "https://video.example.org/buergerbuero"


# -- who may do what ---------------------------------------------------------------------------


def test_office_manager_sees_only_their_office_and_not_the_catalogue(
    client, city, manager_of_testamt
):
    municipality, office, nord = city
    sid = next(s.id for s in municipality.services if s.name == "Reisepass beantragen")
    refused = [
        f"/admin/{nord.id}/",
        f"/admin/{nord.id}/services",
        f"/admin/{nord.id}/services/{sid}",
        f"/admin/{nord.id}/staff",
        f"/admin/m/{municipality.id}/offices",
        f"/admin/m/{municipality.id}/offices/new",
        f"/admin/m/{municipality.id}/offices/{office.id}",
        f"/admin/m/{municipality.id}/catalogue",
        f"/admin/m/{municipality.id}/catalogue/{sid}",
        f"/admin/m/{municipality.id}/staff",
    ]
    assert {path: client.get(path).status_code for path in refused} == dict.fromkeys(refused, 403)
    posted = client.post(
        f"/admin/m/{municipality.id}/catalogue/{sid}", data={**NEW_SERVICE, "name": "Weg"}
    )
    assert posted.status_code == 403
    nord_offer = nord.offer_of(sid)
    posted = client.post(
        f"/admin/{nord.id}/services/{sid}", data={**OFFER, "duration_minutes": "90"}
    )
    assert posted.status_code == 403
    db.session.refresh(nord_offer)
    assert nord_offer.duration_minutes == 20

    # Their own office: they choose what it offers, the description is not theirs.
    page = client.get(f"/admin/{office.id}/services/{sid}").get_data(as_text=True)
    assert 'name="name"' not in page and "/catalogue/" not in page
    assert client.get("/admin/").headers["Location"].endswith(f"/admin/{office.id}/")


def test_administrator_of_another_municipality_is_refused(client, city):
    municipality = city[0]
    other = factories.create_municipality("andere-stadt", name="Andere Stadt")
    member = operations.create_staff("fremd", PASSWORD, "Fremd", [Role.ADMIN], municipality=other)
    db.session.commit()
    log_in(client, member)
    for page in ("offices", "catalogue", "staff", "offices/new"):
        assert client.get(f"/admin/m/{municipality.id}/{page}").status_code == 403
    assert client.get(f"/admin/m/{other.id}/offices").status_code == 200
    assert client.get(f"/admin/m/{other.id}/offices/{city[1].id}").status_code == 404


def test_the_municipality_log_shows_catalogue_and_role_changes(client, city, city_admin):
    municipality, office, _nord = city
    passport = next(s for s in municipality.services if s.name == "Reisepass beantragen")
    data = {**NEW_SERVICE, "name": passport.name, "leika_id": "", "fee_cents": "70,00"}
    assert (
        client.post(f"/admin/m/{municipality.id}/catalogue/{passport.id}", data=data).status_code
        == 302
    )
    page = client.get(f"/admin/m/{municipality.id}/audit?lang=en").get_data(as_text=True)
    assert "Catalogue service changed" in page and "fee in cent: — → 7000" in page
    # not in an office's log: the catalogue is the municipality's
    office_log = client.get(f"/admin/{office.id}/audit?lang=en").get_data(as_text=True)
    assert "fee in cent" not in office_log
