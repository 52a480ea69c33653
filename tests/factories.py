"""Factories that fill in sensible defaults: create_office(**overrides) and friends."""

import datetime as dt

import sqlalchemy as sa

from terminvergabe.booking.models import (
    Counter,
    Municipality,
    Offer,
    Office,
    OfficeMembership,
    OpeningHours,
    Service,
    ShiftPattern,
    StaffMember,
)
from terminvergabe.db import db

WEEKDAYS = range(5)


def create_office(
    counters: int = 2,
    hours: tuple[dt.time, dt.time] = (dt.time(8), dt.time(12)),
    weekdays=WEEKDAYS,
    **overrides,
) -> Office:
    values = {
        "slug": "testamt",
        "name": "Bürgerbüro Testamt",
        "street": "Markt 1",
        "postcode": "50667",
        "city": "Köln",
        "email": "buergerbuero@example.org",
        "bundesland": "NW",
        "slot_minutes": 10,
        "horizon_days": 30,
        "lead_minutes": 60,
        "hold_minutes": 10,
        "cancel_deadline_minutes": 24 * 60,
    }
    values.update(overrides)
    if "municipality" not in values:
        # Each office in a municipality of its own unless told: its services are its own.
        values["municipality"] = create_municipality(f"stadt-{values['slug']}")
    office = Office(**values)
    db.session.add(office)
    services = [
        create_service(
            office, "Personalausweis beantragen", 20, leika_id="99102013000000", position=1
        ),
        create_service(office, "Reisepass beantragen", 20, max_quantity=4, position=2),
        create_service(office, "Anmeldung einer Wohnung", 10, max_quantity=5, position=3),
    ]
    for weekday in weekdays:
        db.session.add(
            OpeningHours(office=office, weekday=weekday, start_local=hours[0], end_local=hours[1])
        )
    for number in range(1, counters + 1):
        counter = create_counter(office, f"Schalter {number}", skills=services, position=number)
        staff = StaffMember(municipality=office.municipality, name=f"Sachbearbeitung {number}")
        staff.memberships.append(OfficeMembership(office=office, roles="clerk"))
        db.session.add(staff)
        for weekday in weekdays:
            db.session.add(
                ShiftPattern(
                    staff_member=staff,
                    counter=counter,
                    weekday=weekday,
                    start_local=hours[0],
                    end_local=hours[1],
                )
            )
    db.session.flush()
    return office


def create_municipality(slug: str = "koeln", **overrides) -> Municipality:
    """The municipality with this slug, created when missing."""
    found = db.session.scalar(sa.select(Municipality).where(Municipality.slug == slug))
    if found is not None:
        return found
    values = {"slug": slug, "name": "Stadt Köln", "operator_name": "Stadt Köln"}
    values.update(overrides)
    municipality = Municipality(**values)
    db.session.add(municipality)
    return municipality


OFFER_FIELDS = ("max_quantity", "public", "active", "ticket_prefix", "modes", "video_url")


def create_service(office, name, duration, **overrides) -> Service:
    """A catalogue service of the office's municipality (one per name), offered by the
    office for `duration` minutes; offer fields among `overrides` go to the offer."""
    own = {k: overrides.pop(k) for k in OFFER_FIELDS if k in overrides}
    service = next((s for s in office.municipality.services if s.name == name), None)
    if service is None:
        service = Service(municipality=office.municipality, name=name, **overrides)
    offer = Offer(
        office=office,
        service=service,
        duration_minutes=duration,
        position=overrides.get("position", 0),
        **own,
    )
    db.session.add(offer)
    return service


def create_counter(office, name, skills=(), **overrides) -> Counter:
    counter = Counter(office=office, name=name, skills=list(skills), **overrides)
    db.session.add(counter)
    return counter
