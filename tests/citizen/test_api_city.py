"""The municipality part of the JSON API: municipalities, the catalogue, the offices and the
availability across offices (terminvergabe/citizen/api.py, municipality_api.py). Every JSON
response is validated against the OpenAPI document (the `Api` helper of test_api.py); the
availability is compared with asking each office in turn through the office endpoints."""

import datetime as dt

import flask_babel
import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from terminvergabe.booking import availability, operations
from terminvergabe.booking.models import Office
from terminvergabe.citizen import openapi
from terminvergabe.config import DEFAULTS
from terminvergabe.db import db
from terminvergabe.limiter import limiter
from tests import factories
from tests.citizen.test_api import Api

PERSO, PASS, MELDUNG = (
    "Personalausweis beantragen",
    "Reisepass beantragen",
    "Anmeldung einer Wohnung",
)


@pytest.fixture
def api(app_ctx, client):
    enabled, limiter.enabled = limiter.enabled, False  # limits: test_the_search_limit_applies
    yield Api(app_ctx, client)
    limiter.enabled = enabled


@pytest.fixture
def city(app_ctx):
    """Stadt Rheinstadt: Mitte (mornings), Nord (afternoons, no Anmeldung for citizens, one
    counter for passports only) and a non-public office; and Stadt Anders with one office."""
    rheinstadt = factories.create_municipality(
        "rheinstadt", name="Stadt Rheinstadt", operator_name="Stadt Rheinstadt, Bürgeramt"
    )
    factories.create_office(
        slug="mitte",
        name="Bürgerbüro Mitte",
        municipality=rheinstadt,
        district="Innenstadt",
        directions="Straßenbahn 1 bis Markt",
        step_free=True,
    )
    nord = factories.create_office(
        slug="nord",
        name="Bürgerbüro Nord",
        municipality=rheinstadt,
        district="Nordstadt",
        hours=(dt.time(13), dt.time(17)),
        weekdays=(1, 3),
        slot_minutes=15,
        counters=3,
    )
    factories.create_office(
        slug="intern", name="Ausländerbehörde intern", municipality=rheinstadt, public=False
    )
    factories.create_office(slug="anders-amt", name="Amt Anders")  # its own municipality
    db.session.flush()
    services = {s.name: s for s in rheinstadt.services}
    services[PERSO].translations = {
        "en": {"name": "Apply for an identity card", "what_to_bring": "A biometric photo"}
    }
    services[PERSO].fee_cents = 3700
    services[PERSO].fee_note = "unter 24 Jahren 22,80 €"
    services[PERSO].synonyms = "Perso\nAusweis\n"
    nord.offer_of(services[MELDUNG].id).public = False
    nord.offer_of(services[PASS].id).duration_minutes = 30
    nord.offer_of(services[PASS].id).modes = "in_person,video"
    nord.counters[0].skills = [services[PASS]]
    db.session.commit()
    return rheinstadt, services


def _office(slug):
    return db.session.scalar(sa.select(Office).where(Office.slug == slug))


def _selection(*pairs):
    return ",".join(f"{service.id}:{quantity}" for service, quantity in pairs)


# -- municipalities ----------------------------------------------------------------------------


def test_municipalities_are_listed_with_their_links(api, city):
    found = api.get("/api/v1/municipalities").get_json()["municipalities"]
    assert [m["slug"] for m in found] == ["stadt-anders-amt", "rheinstadt"]  # by name
    rheinstadt = found[1]
    assert rheinstadt["name"] == "Stadt Rheinstadt"
    assert rheinstadt["links"]["availability"] == "/api/v1/municipalities/rheinstadt/availability"
    detail = api.get(rheinstadt["links"]["self"]).get_json()
    assert detail["operator"]["name"] == "Stadt Rheinstadt, Bürgeramt"


@pytest.mark.parametrize("slug", ["nowhere", "x" * 65, "mitte"])
def test_an_unknown_municipality_is_not_found_in_the_request_language(api, city, slug):
    for path in ("?", "/services?", "/offices?", "/availability?services=1&"):
        english = api.get(f"/api/v1/municipalities/{slug}{path}lang=en")
        assert english.status_code == 404
        assert english.get_json()["error"] == {
            "code": "not_found",
            "message": "There is no municipality with this name.",
        }
    api.client.delete_cookie("lang")  # set by ?lang=en
    german = api.get(f"/api/v1/municipalities/{slug}", headers={"Accept-Language": "de"})
    assert german.get_json()["error"]["message"] == "Es gibt keine Gemeinde mit diesem Namen."


# -- the catalogue ---------------------------------------------------------------------------


def test_the_catalogue_names_each_service_once_with_the_offices_offering_it(api, city):
    _place, services = city
    body = api.get("/api/v1/municipalities/rheinstadt/services").get_json()
    assert body["municipality"] == "rheinstadt"
    by_name = {s["name"]: s for s in body["services"]}
    assert list(by_name) == [PERSO, PASS, MELDUNG]  # catalogue order
    perso = by_name[PERSO]
    assert perso["id"] == services[PERSO].id
    assert perso["leika_id"] == "99102013000000"
    assert (perso["fee_cents"], perso["fee_note"]) == (3700, "unter 24 Jahren 22,80 €")
    assert perso["synonyms"] == ["Perso", "Ausweis"]
    assert [o["office"] for o in perso["offices"]] == ["mitte", "nord"]  # not the internal one
    passport_at_nord = by_name[PASS]["offices"][1]
    assert passport_at_nord == {
        "office": "nord",
        "duration_minutes": 30,
        "max_quantity": 4,
        "modes": ["in_person", "video"],
    }
    assert [o["office"] for o in by_name[MELDUNG]["offices"]] == ["mitte"]  # internal at Nord


def test_the_catalogue_in_english_says_which_texts_are_translated(api, city):
    for kwargs in ({"query_string": {"lang": "en"}}, {"headers": {"Accept-Language": "en"}}):
        flask_babel.refresh()
        body = api.get("/api/v1/municipalities/rheinstadt/services", **kwargs).get_json()
        assert body["language"] == "en"
        perso = body["services"][0]
        assert perso["name"] == "Apply for an identity card"
        assert perso["what_to_bring"] == "A biometric photo"
        assert perso["language"] == {"name": "en", "description": "de", "what_to_bring": "en"}
        assert body["services"][1]["name"] == PASS  # not translated: German
        assert body["services"][1]["language"]["name"] == "de"
    german = api.get("/api/v1/municipalities/rheinstadt/services?lang=de").get_json()
    assert german["services"][0]["name"] == PERSO
    assert german["services"][0]["language"]["name"] == "de"


def test_a_service_offered_only_internally_is_not_in_the_catalogue(api, city):
    mitte = _office("mitte")
    factories.create_service(mitte, "Intern", 10, public=False)
    db.session.commit()
    body = api.get("/api/v1/municipalities/rheinstadt/services").get_json()
    assert "Intern" not in {s["name"] for s in body["services"]}


# -- offices ---------------------------------------------------------------------------------


def test_offices_are_the_public_ones_of_this_municipality(api, city):
    _place, services = city
    offices = api.get("/api/v1/municipalities/rheinstadt/offices").get_json()["offices"]
    assert [o["slug"] for o in offices] == ["mitte", "nord"]
    mitte, nord = offices
    assert mitte["district"] == "Innenstadt"
    assert mitte["directions"] == "Straßenbahn 1 bis Markt"
    assert (mitte["step_free"], nord["step_free"]) == (True, False)
    assert mitte["address"] == {"street": "Markt 1", "postcode": "50667", "city": "Köln"}
    assert mitte["time_zone"] == "Europe/Berlin"
    assert set(nord["services"]) == {services[PERSO].id, services[PASS].id}
    assert mitte["links"]["days"] == "/api/v1/offices/mitte/days"
    other = api.get("/api/v1/municipalities/stadt-anders-amt/offices").get_json()["offices"]
    assert [o["slug"] for o in other] == ["anders-amt"]


# -- availability across offices -------------------------------------------------------------


def test_availability_equals_asking_each_office_in_turn(api, city):
    _place, services = city
    for pairs in (((services[PERSO], 1),), ((services[PASS], 2), (services[PERSO], 1))):
        query = _selection(*pairs)
        body = api.get(f"/api/v1/municipalities/rheinstadt/availability?services={query}")
        found = body.get_json()
        assert found["services"] == [{"id": s.id, "quantity": q} for s, q in pairs]
        assert [o["slug"] for o in found["offices"]] != []
        for answer in found["offices"]:
            days = api.get(f"/api/v1/offices/{answer['slug']}/days?services={query}").get_json()
            assert answer["days"] == days["days"]
            first = api.get(
                f"/api/v1/offices/{answer['slug']}/times?services={query}&date={days['days'][0]}"
            ).get_json()["times"][0]
            assert (answer["earliest"], answer["earliest_utc"]) == (
                first["start"],
                first["start_utc"],
            )
            assert api.get(answer["links"]["days"]).get_json()["days"] == days["days"]
        starts = [dt.datetime.fromisoformat(o["earliest"]) for o in found["offices"]]
        assert starts == sorted(starts)


def test_availability_is_earliest_first_with_a_utc_offset(api, city, now):
    _place, services = city
    found = api.get(
        f"/api/v1/municipalities/rheinstadt/availability?services={services[PASS].id}"
    ).get_json()["offices"]
    # Mitte opens on the next morning; Nord (Tuesday afternoon) later.
    assert [o["slug"] for o in found] == ["mitte", "nord"]
    assert found[0]["earliest"] == "2026-01-12T10:00:00+01:00"  # lead time of an hour
    assert found[0]["earliest_utc"] == "2026-01-12T09:00:00Z"
    assert found[1]["earliest"] == "2026-01-13T13:00:00+01:00"


def test_only_offices_offering_the_whole_selection_answer(api, city):
    _place, services = city
    query = _selection((services[MELDUNG], 1), (services[PERSO], 1))
    found = api.get(f"/api/v1/municipalities/rheinstadt/availability?services={query}")
    assert [o["slug"] for o in found.get_json()["offices"]] == ["mitte"]


def test_availability_narrowed_to_offices_or_a_district(api, city):
    _place, services = city
    base = f"/api/v1/municipalities/rheinstadt/availability?services={services[PERSO].id}"
    assert _slugs(api.get(base + "&offices=nord")) == ["nord"]
    assert _slugs(api.get(base + "&offices=nord,mitte,nord")) == ["mitte", "nord"]
    assert _slugs(api.get(base + "&district=nordstadt")) == ["nord"]
    assert _slugs(api.get(base + "&offices=mitte&district=Innenstadt")) == ["mitte"]


def _slugs(response):
    assert response.status_code == 200, response.get_json()
    return [o["slug"] for o in response.get_json()["offices"]]


def test_an_office_booked_out_answers_without_an_earliest_time(api, city, now):
    _place, services = city
    nord = _office("nord")
    nord.horizon_days = 1  # Monday and Tuesday, Nord opens on Tuesday only
    selection = {services[PERSO].id: 1}
    for day in availability.available_days(nord, selection, now):
        while starts := availability.available_starts(nord, selection, day, now):
            operations.hold(nord, selection, min(starts), now)
    db.session.commit()
    found = api.get(
        f"/api/v1/municipalities/rheinstadt/availability?services={services[PERSO].id}"
    ).get_json()["offices"]
    assert found[-1] == found[-1] | {"slug": "nord", "earliest": None, "days": []}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("services=abc", "bad_selection"),
        ("services=", "no_service"),
        ("", "no_service"),
        ("services=99999999999", "unknown_service"),
        ("services={perso}:2", "quantity"),
        ("services={perso}&offices=anders-amt", "unknown_office"),  # another municipality's
        ("services={perso}&offices=intern", "unknown_office"),  # not public
        ("services={perso}&offices=mitte,nowhere", "unknown_office"),
        ("services={perso}&offices=,", "unknown_office"),
        ("services={perso}&offices=" + "a," * 200, "unknown_office"),
        ("services={perso}&district=Mond", "unknown_district"),
        ("services={foreign}", "unknown_service"),  # another municipality's catalogue
        ("services={meldung}&offices=nord", "unknown_service"),  # internal there
    ],
)
def test_bad_availability_questions_are_refused(api, city, query, code):
    _place, services = city
    foreign = _office("anders-amt")
    query = query.format(
        perso=services[PERSO].id, meldung=services[MELDUNG].id, foreign=foreign.services[0].id
    )
    response = api.get(f"/api/v1/municipalities/rheinstadt/availability?{query}&lang=en")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]


def test_refusals_are_translated(api, city):
    english = api.get(
        "/api/v1/municipalities/rheinstadt/availability?services=1&offices=zoo&lang=en"
    ).get_json()["error"]["message"]
    german = api.get(
        "/api/v1/municipalities/rheinstadt/availability?services=1&offices=zoo&lang=de"
    ).get_json()["error"]["message"]
    assert english == "This municipality has no office named “zoo”."
    assert german == "Diese Gemeinde hat kein Amt namens „zoo“."


def test_the_search_limit_applies(app_ctx, client, city):
    _place, services = city
    saved = app_ctx.config["FAIRNESS_LIMIT_SEARCH"]
    app_ctx.config["FAIRNESS_LIMIT_SEARCH"] = "2/minute"
    try:
        path = f"/api/v1/municipalities/rheinstadt/availability?services={services[PERSO].id}"
        assert client.get(path).status_code == 200
        # one budget with the office days and times
        assert (
            client.get(f"/api/v1/offices/mitte/days?services={services[PERSO].id}").status_code
            == 200
        )
        refused = client.get(path)
        assert refused.status_code == 429
        assert refused.get_json()["error"]["code"] == "http_429"
        assert client.get("/api/v1/municipalities/rheinstadt/services").status_code == 200
    finally:
        app_ctx.config["FAIRNESS_LIMIT_SEARCH"] = saved
        limiter.reset()


# -- the OpenAPI document: generated requests against the municipality operations ----------

FUZZ_SCHEMA = schemathesis.openapi.from_dict(openapi.document(DEFAULTS["LANGUAGES"])).include(
    path_regex="^/municipalities"
)
FUZZ_SCHEMA.config.generation.update(allow_extra_parameters=False, deterministic=True)


@FUZZ_SCHEMA.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_get_documented_answers(case, app_ctx, city):
    """No 500, every answer as documented; the generated slug is replaced by a real one half
    the time, so that requests get past the lookup."""
    parameters = case.path_parameters or {}
    if "slug" in parameters and len(parameters["slug"]) % 2 == 0:
        parameters["slug"] = "rheinstadt"
    enabled, limiter.enabled = limiter.enabled, False
    try:
        case.call_and_validate(app=app_ctx, excluded_checks=[positive_data_acceptance])
    finally:
        limiter.enabled = enabled
