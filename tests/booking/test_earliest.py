"""The earliest free time across offices (terminvergabe/booking/earliest.py): for random
selections over offices with different hours, slot grids, lead times, durations and counter
skills, and random bookings, `across` must equal asking each office in turn."""

import contextlib
import datetime as dt
import random

import pytest

from terminvergabe.booking import availability, earliest, operations, schedule_cache
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from tests import factories
from tests.conftest import NOW

PERSO, PASS, MELDUNG, KFZ = (
    "Personalausweis beantragen",
    "Reisepass beantragen",
    "Anmeldung einer Wohnung",
    "Fahrzeug zulassen",
)


def _city(rng: random.Random):
    """Four offices of one municipality, each different, with random bookings."""
    city = factories.create_municipality("rheinstadt", name="Stadt Rheinstadt")
    mitte = factories.create_office(slug="mitte", name="Bürgerbüro Mitte", municipality=city)
    nord = factories.create_office(
        slug="nord",
        name="Bürgerbüro Nord",
        municipality=city,
        counters=3,
        hours=(dt.time(13), dt.time(18)),
        weekdays=(1, 3),
        slot_minutes=15,
        lead_minutes=24 * 60,
    )
    sued = factories.create_office(
        slug="sued",
        name="Bürgerbüro Süd",
        municipality=city,
        counters=1,
        hours=(dt.time(7), dt.time(9, 30)),
        weekdays=range(6),
        horizon_days=10,
    )
    kfz = factories.create_office(
        slug="kfz", name="Kfz-Zulassungsstelle", municipality=city, counters=2
    )
    factories.create_service(kfz, KFZ, 30)
    db.session.flush()
    services = {s.name: s for s in city.services}
    # Nord: the first counter passports only, its Reisepass takes longer, Anmeldung internal.
    nord.counters[0].skills = [services[PASS]]
    nord.offer_of(services[PASS].id).duration_minutes = 35
    nord.offer_of(services[MELDUNG].id).public = False
    # Süd: no passports at all, Anmeldung at most twice.
    sued.offer_of(services[PASS].id).active = False
    sued.offer_of(services[MELDUNG].id).max_quantity = 2
    # Kfz: the vehicle service on one counter only.
    kfz.counters[1].skills = [*kfz.counters[1].skills, services[KFZ]]
    db.session.commit()
    offices = [mitte, nord, sued, kfz]
    _book_randomly(rng, offices, NOW)
    return offices, services


def _book_randomly(rng, offices, now):
    for office in offices:
        for offer in office.public_offers:
            selection = {offer.service_id: 1}
            days = availability.available_days(office, selection, now)
            for day in rng.sample(days, min(len(days), 3)):
                starts = sorted(availability.available_starts(office, selection, day, now))
                for start in rng.sample(starts, len(starts) // 2):
                    with contextlib.suppress(DomainError):  # taken by a longer booking
                        operations.hold(office, selection, start, now)
    db.session.commit()


def one_by_one(offices, selection, now):
    """The oracle: each office in turn, the way pages asked before."""
    answers = {}
    for office in offices:
        if not earliest.offers_all(office, selection):
            continue
        days = availability.available_days(office, selection, now)
        starts = availability.available_starts(office, selection, days[0], now) if days else {}
        answers[office.slug] = (days, min(starts) if starts else None)
    return answers


def _random_selection(rng, services):
    names = rng.sample(sorted(services), rng.randint(1, 3))
    return {services[name].id: rng.choice((1, 1, 1, 2, 3)) for name in names}


@pytest.mark.parametrize("seed", range(4))
def test_across_equals_asking_each_office_in_turn(app_ctx, now, seed):
    rng = random.Random(seed)
    offices, services = _city(rng)
    for _ in range(12):
        selection = _random_selection(rng, services)
        expected = one_by_one(offices, selection, now)
        for kept in (False, True):  # answered afresh, then from the days kept in memory
            if not kept:
                schedule_cache.clear()
            found = earliest.across(offices, selection, now)
            assert {a.office.slug: (a.days, a.earliest) for a in found} == expected, selection
            quick = earliest.across(offices, selection, now, with_days=False)
            assert [(a.office.slug, a.earliest) for a in quick] == [
                (a.office.slug, a.earliest) for a in found
            ]
            assert all(a.days is None for a in quick)


def test_answers_are_earliest_first_and_offices_without_a_time_last(app_ctx, now):
    offices, services = _city(random.Random(7))
    selection = {services[PERSO].id: 1}
    found = earliest.across(offices, selection, now)
    times = [a.earliest for a in found if a.earliest is not None]
    assert times == sorted(times)
    assert [a.earliest is None for a in found] == sorted(a.earliest is None for a in found)


def test_only_offices_offering_the_whole_selection_answer(app_ctx, now):
    offices, services = _city(random.Random(3))
    slugs = lambda selection: {a.office.slug for a in earliest.across(offices, selection, now)}  # noqa: E731
    assert slugs({services[PASS].id: 1}) == {"mitte", "nord", "kfz"}  # Süd's offer inactive
    assert slugs({services[MELDUNG].id: 1}) == {"mitte", "sued", "kfz"}  # internal at Nord
    assert slugs({services[MELDUNG].id: 3}) == {"mitte", "kfz"}  # Süd: at most twice
    assert slugs({services[KFZ].id: 1, services[PERSO].id: 1}) == {"kfz"}
    assert slugs({}) == set()


def test_an_office_whose_offers_share_no_way_of_holding_them_does_not_answer(app_ctx, now):
    offices, services = _city(random.Random(3))
    mitte = next(o for o in offices if o.slug == "mitte")
    mitte.offer_of(services[PASS].id).modes = "phone"
    both = {services[PASS].id: 1, services[PERSO].id: 1}
    assert "mitte" not in {a.office.slug for a in earliest.across(offices, both, now)}
    assert not earliest.offers_all(mitte, both)
    assert earliest.offers_all(mitte, {services[PASS].id: 1})
    mitte.offer_of(services[PERSO].id).modes = "in_person,phone"
    assert "mitte" in {a.office.slug for a in earliest.across(offices, both, now)}


def test_a_booking_moves_the_earliest_time_on(app_ctx, now):
    offices, services = _city(random.Random(5))
    mitte = offices[0]
    selection = {services[PERSO].id: 1}
    before = {a.office.slug: a for a in earliest.across(offices, selection, now)}["mitte"]
    # Take every free time of its earliest day, on every counter.
    day = before.days[0]
    while starts := availability.available_starts(mitte, selection, day, now):
        operations.hold(mitte, selection, min(starts), now)
    db.session.commit()
    for with_days in (True, False):
        after = {a.office.slug: a for a in earliest.across(offices, selection, now, with_days)}
        assert after["mitte"].earliest > before.earliest
        assert after["mitte"].earliest == one_by_one([mitte], selection, now)["mitte"][1]


def test_an_office_booked_out_past_the_scanned_days_is_answered_from_its_days(app_ctx, now):
    """With only the earliest asked, an office with nothing free in its first days still gets
    its later earliest time (from the whole horizon)."""
    offices, services = _city(random.Random(1))
    mitte = offices[0]
    selection = {services[MELDUNG].id: 1}
    days = availability.available_days(mitte, selection, now)
    for day in days[: earliest.SCAN_DAYS + 1]:
        while starts := availability.available_starts(mitte, selection, day, now):
            operations.hold(mitte, selection, min(starts), now)
    db.session.commit()
    quick = {a.office.slug: a for a in earliest.across([mitte], selection, now, with_days=False)}
    expected = one_by_one([mitte], selection, now)["mitte"]
    assert expected[0][0] > days[earliest.SCAN_DAYS]
    assert quick["mitte"].earliest == expected[1]


def test_an_office_without_any_free_time_has_no_earliest(app_ctx, now):
    offices, services = _city(random.Random(2))
    sued = offices[2]
    selection = {services[PERSO].id: 1}
    for day in availability.available_days(sued, selection, now):
        while starts := availability.available_starts(sued, selection, day, now):
            operations.hold(sued, selection, min(starts), now)
    db.session.commit()
    for with_days in (True, False):
        answer = {a.office.slug: a for a in earliest.across(offices, selection, now, with_days)}
        assert answer["sued"].earliest is None
        assert answer["sued"].days == ([] if with_days else None)
        assert list(answer)[-1] == "sued"
