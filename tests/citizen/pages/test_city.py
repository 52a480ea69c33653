"""A municipality's pages: the start page and its search, the service pages (deep links), the
earliest free times across offices, narrowing, and refusals
(terminvergabe/citizen/pages/city.py)."""

import datetime as dt
import re

import pytest

from terminvergabe.booking.models import AppointmentStatus
from terminvergabe.db import db
from tests import factories
from tests.citizen.pages.helpers import appointment_by_token, text

# Nord opens on Tuesdays and Thursdays only, Mitte Monday to Friday: on Monday 12 January
# (the frozen clock, 09:00), Mitte's earliest time is Monday 10:00 (lead 60 minutes), Nord's is
# Tuesday 08:00.
MONDAY = "2026-01-12"
TUESDAY = "2026-01-13"


@pytest.fixture
def city(app_ctx):
    rheinstadt = factories.create_municipality("rheinstadt", name="Stadt Rheinstadt")
    mitte = factories.create_office(
        slug="rs-mitte",
        name="Bürgerbüro Mitte",
        municipality=rheinstadt,
        district="Innenstadt",
        directions="Straßenbahn 1 bis Rathaus",
        step_free=True,
    )
    nord = factories.create_office(
        slug="rs-nord",
        name="Bürgerbüro Nord",
        street="Nordring 5",
        municipality=rheinstadt,
        district="Nord",
        weekdays=(1, 3),
    )
    kfz = factories.create_office(
        slug="rs-kfz", name="Kfz-Zulassungsstelle", municipality=rheinstadt, district="Nord"
    )
    for offer in list(kfz.offers):  # the factory's services: not at the vehicle registry
        db.session.delete(offer)
    car = factories.create_service(kfz, "Fahrzeug zulassen", 30, position=4)
    car.synonyms = "Auto anmelden\nKfz-Zulassung"
    services = {s.name: s for s in rheinstadt.services}
    id_card = services["Personalausweis beantragen"]
    id_card.synonyms = "Perso\nAusweis"
    id_card.fee_cents = 4600
    id_card.fee_note = "unter 24 Jahren 22,80 €"
    id_card.what_to_bring = "Altes Ausweisdokument.\nEin biometrisches Passfoto."
    id_card.translations = {"en": {"name": "Apply for an identity card"}}
    services["Anmeldung einer Wohnung"].synonyms = "Ummeldung\nUmzug"
    services["Reisepass beantragen"].fee_cents = 7000
    other = factories.create_office(
        slug="bd-amt", name="Rathaus Bergdorf", municipality=factories.create_municipality("bd")
    )
    db.session.commit()
    return {
        "mitte": mitte,
        "nord": nord,
        "kfz": kfz,
        "other": other,
        **{name: s.id for name, s in services.items()},
        "foreign": other.services[0].id,
    }


def test_start_page_asks_what_is_needed_with_a_search_and_the_catalogue(client, city):
    page = text(client.get("/k/rheinstadt/"))
    assert "What do you need?" in page
    assert '<form class="catalogue-search" method="get" action="/k/rheinstadt/"' in page
    assert 'type="search" id="q" name="q"' in page
    for name in ("Reisepass beantragen", "Anmeldung einer Wohnung", "Fahrzeug zulassen"):
        assert name in page
    assert f'href="/k/rheinstadt/services/{city["Reisepass beantragen"]}"' in page
    assert "Rathaus Bergdorf" not in page  # another municipality's office
    assert "Apply for an identity card" in page  # the translated name on the English page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Ausweis", "Personalausweis beantragen"),
        ("perso", "Personalausweis beantragen"),
        ("Reisepas", "Reisepass beantragen"),
        ("ummelden", "Anmeldung einer Wohnung"),
        ("auto", "Fahrzeug zulassen"),
        ("99102013000000", "Personalausweis beantragen"),
        ("identity card", "Personalausweis beantragen"),
    ],
)
def test_search_finds_by_name_synonym_typo_key_and_translation(client, city, query, expected):
    page = text(client.get("/k/rheinstadt/", query_string={"q": query}))
    results = page.split('id="results-title"')[1].split('id="catalogue"')[0]
    assert "1 service found." in results
    assert re.findall(r'href="/k/rheinstadt/services/(\d+)"', results) == [str(city[expected])]


def test_search_without_result_says_so_and_shows_the_whole_catalogue(client, city):
    page = text(client.get("/k/rheinstadt/?q=Hundesteuer"))
    assert "We found no service for “Hundesteuer”." in page
    assert "All services" in page
    assert "Fahrzeug zulassen" in page and "Reisepass beantragen" in page


def test_root_is_the_host_municipality_the_only_one_or_a_list(client, city):
    page = text(client.get("/"))  # two municipalities, no host: choose
    assert 'href="/k/rheinstadt/"' in page and 'href="/k/bd/"' in page
    city["mitte"].municipality.host = "termine.rheinstadt.example"
    db.session.commit()
    page = text(client.get("/?lang=en", base_url="http://termine.rheinstadt.example"))
    assert "What do you need?" in page and "Bürgerbüro Mitte" in page


def test_service_page_is_a_deep_link_with_fee_documents_and_offices(client, city):
    response = client.get(f"/k/rheinstadt/services/{city['Personalausweis beantragen']}?lang=de")
    assert response.status_code == 200
    page = text(response)
    assert "46,00\xa0€" in page
    assert "unter 24 Jahren 22,80 €" in page
    assert "<li>Ein biometrisches Passfoto.</li>" in page
    assert "Bürgerbüro Mitte" in page and "Bürgerbüro Nord" in page
    assert "Kfz-Zulassungsstelle" not in page  # does not offer it
    assert "Straßenbahn 1 bis Rathaus" in page
    assert '<select id="quantity" name="quantity"' in page
    assert 'name="then" value="more"' in page


def test_fee_in_english_notation_and_translated_name(client, city):
    page = text(client.get(f"/k/rheinstadt/services/{city['Personalausweis beantragen']}"))
    assert "€46.00" in page
    assert "<h1>Apply for an identity card</h1>" in page


def test_unknown_and_foreign_services_are_not_found(client, city):
    assert client.get("/k/rheinstadt/services/99999").status_code == 404
    assert client.get(f"/k/rheinstadt/services/{city['foreign']}").status_code == 404
    assert client.get(f"/k/bd/services/{city['Reisepass beantragen']}").status_code == 404
    assert client.get("/k/nowhere/").status_code == 404
    assert client.get(f"/k/rheinstadt/earliest?s={city['foreign']}:1").status_code == 404


def test_bad_selection_is_refused_with_a_message(client, city):
    response = client.get("/k/rheinstadt/earliest?s=abc")
    assert response.status_code == 422
    assert "The choice of services could not be read." in text(response)
    response = client.get(f"/k/rheinstadt/earliest?s={city['Reisepass beantragen']}:9")
    assert response.status_code == 422
    assert "at most 4 times per appointment" in text(response)
    response = client.get("/k/rheinstadt/earliest")
    assert response.status_code == 422
    assert "Please choose at least one service." in text(response)


def test_choosing_adds_to_the_selection_and_goes_on_without_javascript(client, city):
    passport, id_card = city["Reisepass beantragen"], city["Personalausweis beantragen"]
    response = client.get(
        "/k/rheinstadt/choose", query_string={"service": passport, "quantity": 2, "then": "more"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/k/rheinstadt/?s={passport}:2#catalogue"
    page = text(client.get(f"/k/rheinstadt/?s={passport}:2"))
    assert "Your choice so far" in page and "2 × Reisepass beantragen" in page
    assert "Fahrzeug zulassen" not in page  # no office offers it with a passport
    response = client.get(
        "/k/rheinstadt/choose",
        query_string={"service": id_card, "quantity": 1, "s": f"{passport}:2"},
    )
    selection = ",".join(sorted([f"{passport}:2", f"{id_card}:1"]))
    assert response.headers["Location"] == f"/k/rheinstadt/earliest?s={selection}"


def test_start_page_says_when_a_carried_selection_cannot_be_booked(client, city):
    page = text(client.get(f"/k/rheinstadt/?s={city['Personalausweis beantragen']}:3"))
    assert "can be booked at most 1 time per appointment." in page
    assert "Show the earliest free times" not in page
    assert "Fahrzeug zulassen" in page  # the whole catalogue stays listed


def test_choosing_what_no_office_offers_together_is_refused(client, city):
    car, passport = city["Fahrzeug zulassen"], city["Reisepass beantragen"]
    response = client.get(
        "/k/rheinstadt/choose", query_string={"service": car, "quantity": 1, "s": f"{passport}:1"}
    )
    assert response.status_code == 422
    assert "No office offers all these services in one appointment." in text(response)
    response = client.get("/k/rheinstadt/choose", query_string={"service": car, "quantity": "x"})
    assert response.status_code == 422
    assert client.get("/k/rheinstadt/choose?service=x&quantity=1").status_code == 404


def test_earliest_lists_offices_by_date_with_directions_and_links(client, city):
    passport = city["Reisepass beantragen"]
    page = text(client.get(f"/k/rheinstadt/earliest?s={passport}:1"))
    mitte = page.index("Bürgerbüro Mitte</h3>")
    nord = page.index("Bürgerbüro Nord</h3>")
    assert mitte < nord  # Mitte is free on Monday, Nord on Tuesday
    assert "Monday, January 12, 2026" in page and "Tuesday, January 13, 2026" in page
    assert "Straßenbahn 1 bis Rathaus" in page and "Innenstadt" in page
    assert "Step-free access" in page and "Not step-free" in page
    assert "Kfz-Zulassungsstelle</h3>" not in page
    assert f'href="/o/rs-mitte/days/{MONDAY}?s={passport}:1"' in page
    assert f'href="/o/rs-nord/days/{TUESDAY}?s={passport}:1"' in page
    assert 'action="/o/rs-mitte/hold"' in page
    assert "Earliest time: 10:00\u202fAM" in page  # Berlin wall time
    assert f'href="/o/rs-nord/days?s={passport}:1"' in page  # all free days


def test_earliest_narrows_to_an_office_or_a_part_of_town(client, city):
    passport = city["Reisepass beantragen"]
    page = text(client.get(f"/k/rheinstadt/earliest?s={passport}:1&district=Nord"))
    assert "Bürgerbüro Nord</h3>" in page and "Bürgerbüro Mitte</h3>" not in page
    assert '<option value="Nord" selected' in page
    page = text(client.get(f"/k/rheinstadt/earliest?s={passport}:1&office=rs-mitte"))
    assert "Bürgerbüro Mitte</h3>" in page and "Bürgerbüro Nord</h3>" not in page
    page = text(client.get(f"/k/rheinstadt/earliest?s={passport}:1&office=rs-kfz"))
    assert "No office matches your choice" in page
    assert client.get(f"/k/rheinstadt/earliest?s={passport}:1&office=bd-amt").status_code == 404


def test_earliest_form_is_a_get_form_with_the_selection(client, city):
    passport = city["Reisepass beantragen"]
    page = text(client.get(f"/k/rheinstadt/earliest?s={passport}:1"))
    form = page.split('<form class="narrow"')[1].split("</form>")[0]
    assert 'method="get" action="/k/rheinstadt/earliest"' in form
    assert f'<input type="hidden" name="s" value="{passport}:1">' in form


def _follow(client, response):
    assert response.status_code == 303, text(response)
    return client.get(response.headers["Location"])


def test_from_the_start_page_to_a_confirmed_appointment_in_six_pages(client, city):
    pages = []

    def shown(response):
        assert response.status_code == 200, text(response)
        pages.append(response.request.path)
        return text(response)

    page = shown(client.get("/k/rheinstadt/?q=Reisepass"))
    service_url = re.search(r'href="(/k/rheinstadt/services/\d+)"', page).group(1)
    page = shown(client.get(service_url))
    page = shown(
        _follow(
            client,
            client.get(
                "/k/rheinstadt/choose",
                query_string={"service": service_url.rsplit("/", 1)[1], "quantity": 2},
            ),
        )
    )
    day_url = re.search(r'href="(/o/rs-mitte/days/[^"]+)"', page).group(1)
    page = shown(client.get(day_url.replace("&amp;", "&")))
    start = re.search(r'name="start" value="([^"]+)"', page).group(1)
    selection = re.search(r'name="s" value="([^"]+)"', page).group(1)
    hold = client.post("/o/rs-mitte/hold", data={"s": selection, "start": start})
    page = shown(_follow(client, hold))
    token = hold.headers["Location"].split("/a/")[1].split("/")[0]
    details = client.post(
        f"/a/{token}/details",
        data={"name": "Erika Mustermann", "email": "erika@example.org", "phone": ""},
    )
    shown(_follow(client, details))
    assert len(pages) == 6, pages
    appointment = appointment_by_token(token)
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.office.slug == "rs-mitte"
    assert appointment.start_at == dt.datetime.fromisoformat(start)


def test_booking_straight_from_the_earliest_list(client, city):
    passport = city["Reisepass beantragen"]
    page = text(client.get(f"/k/rheinstadt/earliest?s={passport}:1&office=rs-nord"))
    start = re.search(r'name="start" value="([^"]+)"', page).group(1)
    response = client.post("/o/rs-nord/hold", data={"s": f"{passport}:1", "start": start})
    assert response.status_code == 303
    token = response.headers["Location"].split("/a/")[1].split("/")[0]
    assert appointment_by_token(token).start_at == dt.datetime(2026, 1, 13, 7, 0, tzinfo=dt.UTC)
