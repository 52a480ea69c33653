"""Request and response models of the JSON API (citizen/api.py), with pydantic.

Requests are strict (a number is never a text, true is never 1) and closed (an unknown field is
refused); their text fields apply the rules of terminvergabe/fields.py, which the HTML forms
apply too. Responses are closed as well: a field that is not declared here cannot ship. The
OpenAPI document (citizen/openapi.py) is generated from these classes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, WithJsonSchema

from terminvergabe import fields
from terminvergabe.booking.models import AppointmentStatus, Mode
from terminvergabe.params import MAX_SELECTION_ITEMS

# Largest id or quantity accepted in a body: keeps absurd numbers away from the database.
MAX_INTEGER = 2**31 - 1


def _ruled(rule: fields.TextRule, **schema) -> type:
    """A text field that applies `rule` (its FieldError becomes the field's message); `schema`
    changes its JSON Schema (None drops a keyword)."""
    found = {k: v for k, v in (rule.json_schema() | schema).items() if v is not None}
    return Annotated[str, AfterValidator(rule.clean), WithJsonSchema(found)]


# Any other text in a body: no control characters (they reach the database otherwise). Its
# length is left to the operation that reads it (an ALTCHA payload, a start time).
_ANY_TEXT = fields.TextRule(8192, strip=False)
Text = _ruled(_ANY_TEXT, maxLength=None)
Start = _ruled(
    _ANY_TEXT,
    maxLength=None,
    pattern=None,
    format="date-time",
    description="ISO 8601 time with a UTC offset, e.g. 2026-03-02T09:30:00+01:00.",
)
Number = Annotated[StrictInt, Field(ge=1, le=MAX_INTEGER)]

# How an appointment is held (booking.models.Mode).
ModeName = Literal["in_person", "phone", "video"]

# Times in responses are formatted by the API itself (office time with its offset, and UTC).
DateTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Date = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ServiceChoice(Request):
    id: Number
    quantity: Number = 1


class HoldRequest(Request):
    services: Annotated[list[ServiceChoice], Field(max_length=MAX_SELECTION_ITEMS)]
    start: Start
    locale: Text = Field(
        None, description="Language of later messages; default: the request's language."
    )
    altcha: Text = Field(
        None,
        description="A solved ALTCHA proof-of-work, where the office asks for one. Without it "
        "a stricter rate limit applies.",
    )


class ConfirmRequest(Request):
    name: _ruled(fields.NAME)
    email: _ruled(fields.EMAIL)
    phone: _ruled(fields.PHONE) = ""
    mode: ModeName = Field(
        None,
        description="How the appointment takes place, one of the hold's `modes`; default: the "
        "first of them. By phone, `phone` is required.",
    )


class RebookRequest(Request):
    start: Start


class EmptyRequest(Request):
    pass


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class StartTime(Response):
    """A start, in the office's time zone (with its UTC offset) and in UTC."""

    start: DateTime = Field(examples=["2026-03-02T09:30:00+01:00"])
    start_utc: DateTime = Field(examples=["2026-03-02T08:30:00Z"])


class Time(StartTime):
    """A time, in the office's time zone (with its UTC offset) and in UTC."""

    end: DateTime
    end_utc: DateTime


class Address(Response):
    street: str
    postcode: str
    city: str


class BookingRules(Response):
    slot_minutes: int = Field(description="Granularity of start times.")
    horizon_days: int = Field(description="How many days ahead can be booked.")
    lead_minutes: int = Field(description="Minimum time before a start.")
    release_time: str = Field(
        pattern="^[0-2][0-9]:[0-5][0-9]$",
        description="Local time of day at which the newest day becomes bookable.",
    )
    hold_minutes: int = Field(description="How long a hold keeps its time.")
    max_active_per_email: int
    cancel_deadline_minutes: int = Field(
        description="Cancelling or rebooking online ends this long before the start."
    )
    double_opt_in: bool = Field(
        description="Confirmed bookings stay pending until the emailed link is opened."
    )
    opt_in_minutes: int


class OfficeLinks(Response):
    services: str
    days: str
    times: str
    holds: str


class Office(Response):
    slug: str
    name: str
    address: Address
    email: str
    phone: str
    time_zone: str = Field(examples=["Europe/Berlin"])
    bundesland: str = Field(examples=["NW"])
    booking_rules: BookingRules
    links: OfficeLinks


class OfficeList(Response):
    offices: list[Office]


class Service(Response):
    id: int
    name: str
    description: str
    duration_minutes: int = Field(ge=1)
    max_quantity: int = Field(ge=1)
    leika_id: str | None = Field(description="LeiKa/FIM service key.")
    what_to_bring: str


class ServiceList(Response):
    office: str
    services: list[Service]


class ChosenService(Response):
    id: int
    quantity: int


class Selection(Response):
    office: str
    time_zone: str
    services: list[ChosenService]
    duration_minutes: int


class Days(Selection):
    days: list[Date]


class Times(Selection):
    date: Date
    times: list[Time]


class AppointmentService(Response):
    id: int
    name: str
    quantity: int


class Contact(Response):
    name: str
    email: str
    phone: str


class AppointmentLinks(Response):
    model_config = ConfigDict(populate_by_name=True)

    self_: str = Field(alias="self")


class Appointment(Time):
    token: str = Field(
        description="The secret manage token: keep it; it is the only way to the appointment."
    )
    booking_code: str = Field(examples=["ACDE-FGH3"])
    status: AppointmentStatus
    office: str
    time_zone: str
    services: list[AppointmentService]
    mode: ModeName = Field(description="How the appointment takes place.")
    modes: list[ModeName] = Field(
        description="The ways the office offers for these services, the default first."
    )
    video_url: str | None = Field(
        description="By video, once booked: the link to the video call (empty while the "
        "office has not set one); null otherwise."
    )
    hold_expires_at: DateTime | None = Field(
        description="When a hold (or a pending opt-in) lapses; null once booked."
    )
    cancel_deadline: DateTime = Field(
        description="Until then the appointment can be cancelled or rebooked online."
    )
    can_cancel: bool
    can_rebook: bool
    locale: str
    contact: Contact
    checkin_token: str | None = Field(
        description="What the QR code shown at the front desk encodes (confirmed appointments "
        "only). It cannot cancel or read the appointment."
    )
    links: AppointmentLinks


# -- municipalities: the catalogue, the offices and the availability across offices ----------


class MunicipalityLinks(Response):
    model_config = ConfigDict(populate_by_name=True)

    self_: str = Field(alias="self")
    services: str
    offices: str
    availability: str


class Municipality(Response):
    slug: str = Field(examples=["rheinstadt"])
    name: str = Field(examples=["Stadt Rheinstadt"])
    links: MunicipalityLinks


class MunicipalityList(Response):
    municipalities: list[Municipality]


class Operator(Response):
    """Who runs the appointment service (imprint)."""

    name: str
    address: str
    email: str
    phone: str


class MunicipalityDetail(Municipality):
    operator: Operator


class TextLanguages(Response):
    """The language each text is in: the requested one where translated, else de."""

    name: str = Field(examples=["en"])
    description: str = Field(examples=["de"])
    what_to_bring: str = Field(examples=["en"])


class OfferingOffice(Response):
    """An office offering the service, with its own duration and limits."""

    office: str = Field(description="The office's slug, from GET /municipalities/{slug}/offices.")
    duration_minutes: int = Field(ge=1)
    max_quantity: int = Field(ge=1)
    modes: list[Mode] = Field(description="How the appointment can be held.")


class CatalogueService(Response):
    id: int = Field(description="The same id at every office of the municipality.")
    name: str
    description: str
    what_to_bring: str
    language: TextLanguages
    leika_id: str | None = Field(description="LeiKa/FIM service key.")
    fee_cents: int | None = Field(description="Fee in cent where it is fixed.")
    fee_note: str = Field(description="What the fee depends on.")
    synonyms: list[str] = Field(description="Other words citizens search for.")
    offices: list[OfferingOffice]


class Catalogue(Response):
    municipality: str
    language: str = Field(description="The language asked for (?lang= or Accept-Language).")
    services: list[CatalogueService]


class MunicipalityOffice(Response):
    slug: str
    name: str
    district: str = Field(description="Part of town, for ?district= of the availability.")
    address: Address
    directions: str = Field(description="How to get there (German).")
    step_free: bool = Field(description="Reachable without steps.")
    accessibility_note: str
    email: str
    phone: str
    time_zone: str = Field(examples=["Europe/Berlin"])
    services: list[int] = Field(description="Ids of the catalogue services offered here.")
    links: OfficeLinks


class MunicipalityOffices(Response):
    municipality: str
    offices: list[MunicipalityOffice]


class OfficeAvailability(Response):
    """One office's earliest free time and its days with free times, for the selection."""

    slug: str
    name: str
    district: str
    time_zone: str
    earliest: DateTime | None = Field(
        examples=["2026-03-02T09:30:00+01:00"],
        description="The earliest free start in the office's time zone; null: none free.",
    )
    earliest_utc: DateTime | None = Field(examples=["2026-03-02T08:30:00Z"])
    days: list[Date] = Field(description="Dates (office time zone) with free times.")
    links: OfficeLinks = Field(description="The office's days and times for this selection.")


class Availability(Response):
    municipality: str
    services: list[ChosenService]
    offices: list[OfficeAvailability] = Field(
        description="The offices offering the whole selection, earliest first; those without "
        "a free time last."
    )


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Stable machine-readable code.")
    message: str = Field(
        description="Readable message in the request's language (?lang= or Accept-Language)."
    )
    fields: dict[str, str] = Field(
        None,
        description="For invalid_body: a message per field that is missing, unknown or wrong "
        "(e.g. services[0].quantity).",
    )
    alternatives: list[StartTime] = Field(
        None, description="For slot_taken: the nearest free times."
    )


class Error(BaseModel):
    model_config = ConfigDict(extra="forbid")

    error: ErrorBody


def dump(model: BaseModel) -> dict:
    return model.model_dump(mode="json", by_alias=True)
