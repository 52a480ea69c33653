"""The demo's data: the (invented) city of Rheinstadt in North Rhine-Westphalia with two
Bürgerbüros and a vehicle registration office, and the small municipality of Auenwald — their
offices, what each offers from the municipality's catalogue (the catalogue itself is a JSON file
beside this module, in the import format of docs/catalogue.md), counters, opening hours, staff
and shifts, and the names of invented citizens. booking/demo.py loads it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SLUG = "rheinstadt-mitte"

MUNICIPALITY = {
    "slug": "rheinstadt",
    "name": "Stadt Rheinstadt",
    "colour": "#0b4f8a",
    "operator_name": "Stadt Rheinstadt, Der Bürgermeister",
    "operator_address": "Rathausplatz 1\n50999 Rheinstadt",
    "operator_email": "buergerbuero@rheinstadt.example",
    "operator_phone": "+49 221 12345-0",
    "representative": "Bürgermeisterin Dr. Anna Beispiel",
}

OFFICE = {
    "slug": SLUG,
    "name": "Bürgerbüro Rheinstadt-Mitte",
    "street": "Rathausplatz 1",
    "postcode": "50999",
    "city": "Rheinstadt",
    "email": "buergerbuero@rheinstadt.example",
    "phone": "+49 221 12345-0",
    "time_zone": "Europe/Berlin",
    "bundesland": "NW",
    "slot_minutes": 10,
    "horizon_days": 60,
    "lead_minutes": 120,
    "release_time": dt.time(7, 0),
    "hold_minutes": 10,
    "max_active_per_email": 3,
    "cancel_deadline_minutes": 24 * 60,
    "cancel_cooldown_minutes": 10,
    "double_opt_in": False,
    "district": "Innenstadt",
    "directions": "Stadtbahn 1 und 7 bis Haltestelle Rathausplatz; Parkhaus Rathaus, Zufahrt "
    "über die Marktstraße.",
    "step_free": True,
    "accessibility_note": "Stufenloser Eingang an der Marktstraße, Aufzug in alle Etagen, "
    "barrierefreies WC im Erdgeschoss; Induktionsschleife an Schalter 1.",
}


@dataclass(frozen=True)
class OfferSpec:
    """How an office offers a catalogue service (by its name in the catalogue file)."""

    name: str
    minutes: int
    group: str  # which counters do it: "pass", "melde", "misc", "beratung", "kfz"
    max_quantity: int = 1
    public: bool = True
    prefix: str = "A"
    modes: str = "in_person"
    video_url: str = ""


# The catalogue of each municipality is a file in this package, loaded through the importer.
CATALOGUES = {"rheinstadt": "catalogue_rheinstadt.json", "auenwald": "catalogue_auenwald.json"}

SERVICES = (
    OfferSpec("Personalausweis beantragen", 20, "pass", max_quantity=4),
    OfferSpec("Reisepass beantragen", 20, "pass", max_quantity=4),
    OfferSpec("Vorläufigen Personalausweis beantragen", 15, "pass", max_quantity=2),
    OfferSpec("Verlust des Personalausweises melden", 10, "pass", max_quantity=2),
    OfferSpec("Anmeldung einer Wohnung", 15, "melde", max_quantity=6, prefix="B"),
    OfferSpec("Ummeldung innerhalb der Stadt", 10, "melde", max_quantity=6, prefix="B"),
    OfferSpec("Abmeldung einer Wohnung", 10, "melde", max_quantity=6, prefix="B"),
    OfferSpec("Meldebescheinigung", 5, "melde", max_quantity=3, prefix="B"),
    OfferSpec("Führungszeugnis beantragen", 10, "misc", max_quantity=2, prefix="C"),
    OfferSpec("Beglaubigung von Kopien und Unterschriften", 10, "misc", max_quantity=5, prefix="C"),
    OfferSpec("Fundsachen abgeben oder abholen", 10, "misc", prefix="C"),
    OfferSpec("Bewohnerparkausweis beantragen", 10, "misc", prefix="C"),
    OfferSpec("Gewerbe anmelden", 20, "misc", prefix="C"),
    OfferSpec("Beratung Wohngeld (telefonisch)", 20, "beratung", prefix="E", modes="phone"),
    OfferSpec(
        "Beratung Einbürgerung per Video",
        30,
        "beratung",
        prefix="E",
        modes="video",
        video_url="https://video.rheinstadt.example/buergerbuero-mitte",
    ),
    # Internal: booked by staff for a citizen, never offered online.
    OfferSpec("Ausweisdokument abholen", 5, "pass", public=False, prefix="D"),
    OfferSpec("Klärung Meldeangelegenheit (intern)", 20, "melde", public=False, prefix="D"),
)

# Counter name -> service groups it does. Schalter 6 does residents' registration only.
COUNTERS = (
    ("Schalter 1", ("pass", "melde", "misc")),
    ("Schalter 2", ("pass", "melde", "misc")),
    ("Schalter 3", ("pass", "melde", "misc")),
    ("Schalter 4", ("pass", "melde", "misc")),
    ("Schalter 5", ("pass", "misc", "beratung")),
    ("Schalter 6 (Meldewesen)", ("melde",)),
)

MON, TUE, WED, THU, FRI, SAT = range(6)


# Opening hours: mornings Mon–Fri, afternoons Mon and Tue, a long Thursday, Saturday morning.
OPENING_HOURS = (
    *((day, "08:00", "12:30") for day in (MON, TUE, WED, FRI)),
    (MON, "14:00", "16:00"),
    (TUE, "14:00", "16:00"),
    (THU, "08:00", "18:00"),
    (SAT, "09:00", "12:00"),
)

MORNING = ((MON, "08:00", "12:30"), (TUE, "08:00", "12:30"), (WED, "08:00", "12:30"))
LATE_WEEK = ((THU, "08:00", "13:00"), (FRI, "08:00", "12:30"))
AFTERNOON = ((MON, "14:00", "16:00"), (TUE, "14:00", "16:00"))
THURSDAY_LATE = ((THU, "12:30", "18:00"),)
SATURDAY = ((SAT, "09:00", "12:00"),)

# Staff member, counter, weekly shifts, skills (None: all the counter can do).
STAFF = (
    ("Anna Becker", "Schalter 1", MORNING + LATE_WEEK + AFTERNOON, None),
    ("Mehmet Yılmaz", "Schalter 2", MORNING + LATE_WEEK, None),
    ("Julia Hoffmann", "Schalter 3", MORNING + LATE_WEEK + SATURDAY, None),
    ("Thomas Schulz", "Schalter 4", MORNING + ((FRI, "08:00", "12:30"),), None),
    ("Olena Kovalenko", "Schalter 4", THURSDAY_LATE + ((THU, "08:00", "12:30"),), None),
    ("Katharina Wagner", "Schalter 5", MORNING + THURSDAY_LATE + AFTERNOON, None),
    ("Lukas Neumann", "Schalter 6 (Meldewesen)", MORNING + LATE_WEEK + SATURDAY, ("melde",)),
    # A trainee at Schalter 2 in the afternoons: registration only, for now.
    ("Sophie Klein", "Schalter 2", AFTERNOON + THURSDAY_LATE, ("melde",)),
)


@dataclass(frozen=True)
class OfficeSpec:
    """Another demo office: its fields, its offers (names from SERVICES or OTHER_OFFERS), its
    counters with their groups, opening hours and staff (name, counter, shifts)."""

    fields: dict
    offers: tuple[OfferSpec, ...]
    counters: tuple[tuple[str, tuple[str, ...]], ...]
    opening_hours: tuple[tuple[int, str, str], ...]
    staff: tuple[tuple[str, str, tuple[tuple[int, str, str], ...]], ...]


def _offers(*names: str) -> tuple[OfferSpec, ...]:
    return tuple(o for o in SERVICES if o.name in names)


RHEINSTADT_BASE = {
    "city": "Rheinstadt",
    "time_zone": "Europe/Berlin",
    "bundesland": "NW",
    "slot_minutes": 10,
    "horizon_days": 60,
    "lead_minutes": 120,
    "release_time": dt.time(7, 0),
    "cancel_cooldown_minutes": 10,
}

# Open later on Thursdays, closed on Fridays; a smaller office in the northern districts.
NORD_MORNINGS = tuple((day, "08:00", "12:30") for day in (MON, TUE, WED))
NORD = OfficeSpec(
    fields={
        **RHEINSTADT_BASE,
        "slug": "rheinstadt-nord",
        "name": "Bürgerbüro Rheinstadt-Nord",
        "street": "Nordring 42",
        "postcode": "50997",
        "email": "buergerbuero-nord@rheinstadt.example",
        "phone": "+49 221 12345-300",
        "district": "Nord",
        "directions": "Bus 140 und 141 bis Haltestelle Nordring; Parkplätze im Hof.",
        "step_free": False,
        "accessibility_note": "Eingang mit drei Stufen; eine mobile Rampe ist da, bitte an der "
        "Tür klingeln. Kein barrierefreies WC.",
    },
    offers=_offers(
        "Personalausweis beantragen",
        "Reisepass beantragen",
        "Vorläufigen Personalausweis beantragen",
        "Anmeldung einer Wohnung",
        "Ummeldung innerhalb der Stadt",
        "Abmeldung einer Wohnung",
        "Meldebescheinigung",
        "Führungszeugnis beantragen",
        "Ausweisdokument abholen",
    ),
    counters=(
        ("Platz 1", ("pass", "melde", "misc")),
        ("Platz 2", ("pass", "melde", "misc")),
        ("Platz 3 (Meldewesen)", ("melde",)),
    ),
    opening_hours=(*NORD_MORNINGS, (TUE, "14:00", "16:00"), (THU, "11:00", "19:00")),
    staff=(
        ("Can Öztürk", "Platz 1", NORD_MORNINGS + ((THU, "11:00", "19:00"),)),
        ("Birgit Lange", "Platz 2", NORD_MORNINGS + ((TUE, "14:00", "16:00"),)),
        ("Daniel Brandt", "Platz 3 (Meldewesen)", ((THU, "13:00", "19:00"),) + NORD_MORNINGS),
    ),
)

KFZ_OFFERS = (
    OfferSpec("Fahrzeug zulassen", 20, "kfz", max_quantity=3, prefix="K"),
    OfferSpec("Fahrzeug umschreiben (Halterwechsel)", 20, "kfz", max_quantity=3, prefix="K"),
    OfferSpec("Fahrzeug außer Betrieb setzen", 10, "kfz", max_quantity=3, prefix="K"),
    OfferSpec("Wunschkennzeichen reservieren", 5, "kfz", max_quantity=3, prefix="K"),
    OfferSpec("Führerschein umtauschen", 15, "kfz", prefix="F"),
    OfferSpec("Internationalen Führerschein beantragen", 10, "kfz", prefix="F"),
)
KFZ_DAYS = tuple((day, "07:30", "12:30") for day in (MON, TUE, WED, THU, FRI))
KFZ = OfficeSpec(
    fields={
        **RHEINSTADT_BASE,
        "slug": "rheinstadt-kfz",
        "name": "Kfz-Zulassungsstelle Rheinstadt",
        "street": "Hafenstraße 7",
        "postcode": "50996",
        "email": "zulassung@rheinstadt.example",
        "phone": "+49 221 12345-500",
        "district": "Hafen",
        "directions": "Stadtbahn 7 bis Haltestelle Hafenstraße; Kundenparkplatz vor dem Haus.",
        "step_free": True,
        "accessibility_note": "Alle Schalter im Erdgeschoss, stufenlos erreichbar.",
    },
    offers=KFZ_OFFERS,
    counters=(("Zulassung 1", ("kfz",)), ("Zulassung 2", ("kfz",)), ("Zulassung 3", ("kfz",))),
    opening_hours=(*KFZ_DAYS, (THU, "14:00", "17:30")),
    staff=(
        ("Frank Meier", "Zulassung 1", KFZ_DAYS),
        ("Svetlana Petrova", "Zulassung 2", KFZ_DAYS + ((THU, "14:00", "17:30"),)),
        ("Jonas Vogel", "Zulassung 3", KFZ_DAYS[:3]),
    ),
)

AUENWALD_MUNICIPALITY = {
    "slug": "auenwald",
    "name": "Gemeinde Auenwald",
    "colour": "#2e6b30",
    "operator_name": "Gemeinde Auenwald, Der Bürgermeister",
    "operator_address": "Am Markt 3\n51999 Auenwald",
    "operator_email": "rathaus@auenwald.example",
    "operator_phone": "+49 2201 9876-0",
    "representative": "Bürgermeister Karl Beispiel",
}
AUENWALD_DAYS = tuple((day, "08:30", "12:00") for day in (MON, TUE, WED, THU, FRI))
AUENWALD = OfficeSpec(
    fields={
        **RHEINSTADT_BASE,
        "slug": "auenwald-rathaus",
        "name": "Bürgerbüro Auenwald",
        "street": "Am Markt 3",
        "postcode": "51999",
        "city": "Auenwald",
        "email": "buergerbuero@auenwald.example",
        "phone": "+49 2201 9876-10",
        "district": "Ortsmitte",
        "directions": "Bus 420 bis Haltestelle Markt; Parkplätze am Rathaus.",
        "step_free": True,
        "accessibility_note": "Eingang mit Rampe an der Seite des Rathauses.",
    },
    offers=(
        OfferSpec("Personalausweis beantragen", 20, "pass", max_quantity=4),
        OfferSpec("Reisepass beantragen", 20, "pass", max_quantity=4),
        OfferSpec("Wohnsitz anmelden oder ummelden", 15, "melde", max_quantity=6, prefix="B"),
        OfferSpec("Meldebescheinigung", 5, "melde", max_quantity=3, prefix="B"),
        OfferSpec("Hund anmelden (Hundesteuer)", 10, "misc", prefix="C"),
    ),
    counters=(("Zimmer 1", ("pass", "melde", "misc")), ("Zimmer 2", ("pass", "melde", "misc"))),
    opening_hours=(*AUENWALD_DAYS, (THU, "14:00", "18:00")),
    staff=(
        ("Monika Schneider", "Zimmer 1", AUENWALD_DAYS + ((THU, "14:00", "18:00"),)),
        ("Ali Yıldız", "Zimmer 2", AUENWALD_DAYS[:3]),
    ),
)

# (municipality, other offices) besides Rheinstadt-Mitte, which is MUNICIPALITY / OFFICE.
OTHER_OFFICES = ((MUNICIPALITY, (NORD, KFZ)), (AUENWALD_MUNICIPALITY, (AUENWALD,)))

# Staff logins the auth demo step creates: (login, name, office slug, roles there); a login
# with the office None and roles ("admin",) administers the municipality of MUNICIPALITY.
LOGINS = (
    ("admin.rheinstadt", "Dr. Claudia Roth-Berger", None, ("admin",)),
    ("leitung.nord", "Peter Albers", "rheinstadt-nord", ("office_manager",)),
)

CITIZENS = (
    "Erika Mustermann",
    "Max Müller",
    "Fatma Demir",
    "Jan Schmitz",
    "Leonie Weber",
    "Ahmad Haddad",
    "Petra Krause",
    "Nikolai Iwanow",
    "Marie Fischer",
    "Paul Koch",
    "Aylin Kaya",
    "Hans Richter",
    "Sara Rossi",
    "Tim Wolf",
    "Emma Schäfer",
    "Yusuf Arslan",
)

# Share of free start times booked on each of the coming days (the nearest days are busiest).
BOOKED_SHARE = (0.6, 0.5, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.1)
DEMO_EMAIL_DOMAIN = "demo.rheinstadt.example"
