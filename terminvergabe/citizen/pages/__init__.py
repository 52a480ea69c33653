"""Citizen pages: choose office, services, day, time; enter details; manage the appointment.

Every view parses its input, calls a booking operation and renders; a view that changes
something commits once. Refusals are DomainErrors (translated page, nothing changed). Public
URLs name an appointment only by its manage token, never by its id. The modules share one
blueprint, "booking": city.py (a municipality's start page and catalogue search, service pages,
the earliest times across its offices), choosing.py (services, days, times, the hold),
confirmation.py (details and email opt-in), manage.py (the appointment page, cancel, rebook),
legal.py (imprint, privacy, accessibility), branding.py (a municipality's colour and logo),
helpers.py (what every template may call).
"""

from terminvergabe.citizen.pages import (
    branding,
    choosing,
    city,
    confirmation,
    helpers,
    legal,
    manage,
)
from terminvergabe.citizen.pages.blueprint import bp

__all__ = ["bp", "branding", "city", "choosing", "confirmation", "helpers", "legal", "manage"]
