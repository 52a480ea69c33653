"""The demo office's data: a realistic Bürgerbüro in an (invented) town in North
Rhine-Westphalia — its services, counters, opening hours, staff and shifts, and the names of
its citizens. booking/demo.py loads it."""

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
}

# What to bring: one sentence a line, so that it reads well as a paragraph and as a list.
ID_DOCS = (
    "Bisheriger Personalausweis oder Reisepass (auch wenn abgelaufen).\n"
    "Ein aktuelles biometrisches Passfoto (oder vor Ort erstellen lassen).\n"
)
MINORS = "Bei Minderjährigen: Einverständnis beider Sorgeberechtigten und Geburtsurkunde.\n"
MOVING = (
    "Personalausweis oder Reisepass aller Personen, die umziehen.\n"
    "Wohnungsgeberbestätigung, vom Vermieter ausgefüllt und unterschrieben.\n"
)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    minutes: int
    what_to_bring: str
    group: str  # "pass" (ID documents) or "melde" (residents' registration) or "misc"
    max_quantity: int = 1
    public: bool = True
    prefix: str = "A"
    description: str = ""


SERVICES = (
    ServiceSpec(
        "Personalausweis beantragen",
        20,
        ID_DOCS + MINORS + "Gebühr: 46,00 € (unter 24 Jahren 22,80 €), Karte oder bar.",
        "pass",
        max_quantity=4,
        description="Neuer Personalausweis mit Online-Ausweisfunktion; Abholung nach 3–4 Wochen.",
    ),
    ServiceSpec(
        "Reisepass beantragen",
        20,
        ID_DOCS + MINORS + "Gebühr: 70,00 € (unter 24 Jahren 37,50 €).",
        "pass",
        max_quantity=4,
    ),
    ServiceSpec(
        "Vorläufigen Personalausweis beantragen",
        15,
        ID_DOCS + "Gebühr: 10,00 €.",
        "pass",
        max_quantity=2,
    ),
    ServiceSpec(
        "Kinderreisepass beantragen",
        15,
        "Geburtsurkunde des Kindes.\nEin aktuelles biometrisches Passfoto des Kindes.\n"
        "Ausweise und Einverständnis beider Sorgeberechtigten.\nGebühr: 13,00 €.",
        "pass",
        max_quantity=4,
    ),
    ServiceSpec(
        "Anmeldung einer Wohnung",
        15,
        MOVING + "Bei Zuzug aus dem Ausland: Pass und Aufenthaltstitel.",
        "melde",
        max_quantity=6,
        prefix="B",
    ),
    ServiceSpec(
        "Ummeldung innerhalb der Stadt",
        10,
        MOVING,
        "melde",
        max_quantity=6,
        prefix="B",
    ),
    ServiceSpec(
        "Abmeldung einer Wohnung",
        10,
        "Personalausweis oder Reisepass.\nDie neue Anschrift (bei Wegzug ins Ausland).",
        "melde",
        max_quantity=6,
        prefix="B",
    ),
    ServiceSpec(
        "Meldebescheinigung",
        5,
        "Personalausweis oder Reisepass.\nGebühr: 10,00 €.",
        "melde",
        max_quantity=3,
        prefix="B",
    ),
    ServiceSpec(
        "Führungszeugnis beantragen",
        10,
        "Personalausweis oder Reisepass.\nFür ein erweitertes Führungszeugnis: "
        "schriftliche Aufforderung des Arbeitgebers oder Vereins.\nGebühr: 13,00 €.",
        "misc",
        max_quantity=2,
        prefix="C",
    ),
    ServiceSpec(
        "Beglaubigung von Kopien und Unterschriften",
        10,
        "Original und Kopien des Dokuments.\nPersonalausweis oder Reisepass.\n"
        "Gebühr: ab 5,00 € je Beglaubigung.",
        "misc",
        max_quantity=5,
        prefix="C",
    ),
    ServiceSpec(
        "Fundsachen abgeben oder abholen",
        10,
        "Beim Abholen: Personalausweis oder Reisepass und eine Beschreibung des Gegenstands.",
        "misc",
        prefix="C",
    ),
    ServiceSpec(
        "Bewohnerparkausweis beantragen",
        10,
        "Fahrzeugschein (Zulassungsbescheinigung Teil I).\nPersonalausweis oder Reisepass.\n"
        "Bei Firmen- oder Leasingwagen: Nutzungsbestätigung.\nGebühr: 30,00 € pro Jahr.",
        "misc",
        prefix="C",
    ),
    # Internal: booked by staff for a citizen, never offered online.
    ServiceSpec(
        "Ausweisdokument abholen",
        5,
        "Bisheriges Ausweisdokument.\nPIN-Brief der Bundesdruckerei.",
        "pass",
        public=False,
        prefix="D",
    ),
    ServiceSpec(
        "Klärung Meldeangelegenheit (intern)",
        20,
        "",
        "melde",
        public=False,
        prefix="D",
    ),
)

# Counter name -> service groups it does. Schalter 6 does residents' registration only.
COUNTERS = (
    ("Schalter 1", ("pass", "melde", "misc")),
    ("Schalter 2", ("pass", "melde", "misc")),
    ("Schalter 3", ("pass", "melde", "misc")),
    ("Schalter 4", ("pass", "melde", "misc")),
    ("Schalter 5", ("pass", "misc")),
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
