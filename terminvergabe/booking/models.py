"""Municipalities, their offices and service catalogue, counters, staff and their schedules,
and appointments.

A municipality (the tenant) describes each service once in its catalogue (`Service`); an office
offers some of them (`Offer`), with its own duration, limits and ways of holding the
appointment (in person, by phone, by video). Everything that says which services are meant
(skills, appointment items, tickets) names the catalogue service, so that one selection means
the same thing at every office of the municipality.

Invariant 1 (capacity is never exceeded) lives in `SlotClaim`: every held or booked appointment
claims each 5-minute unit of its time on one counter, and a unique constraint on
(counter, unit start) lets the database refuse a second claim however many clients race.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from terminvergabe.booking import lifecycle
from terminvergabe.booking.lifecycle import (  # noqa: F401  (the statuses, named with the model)
    ACTIVE_STATUSES,
    HOLDING_STATUSES,
    OCCUPYING_STATUSES,
    AppointmentStatus,
)
from terminvergabe.db import UTCDateTime, db

# Claims are made in units of this many minutes, independent of an office's slot granularity,
# so that a change of granularity can never let two appointments overlap unnoticed.
CLAIM_UNIT_MINUTES = 5


counter_skill = sa.Table(
    "counter_skill",
    db.metadata,
    sa.Column("counter_id", sa.ForeignKey("counter.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("service_id", sa.ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
)

staff_skill = sa.Table(
    "staff_skill",
    db.metadata,
    sa.Column(
        "staff_member_id", sa.ForeignKey("staff_member.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("service_id", sa.ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
)


@dataclass(frozen=True)
class BookingRules:
    """An office's booking rules as plain data, for the slot engine and the operations."""

    slot_minutes: int = 10
    horizon_days: int = 60
    lead_minutes: int = 60
    release_time: dt.time = dt.time(0, 0)
    hold_minutes: int = 10
    max_active_per_email: int = 3
    cancel_deadline_minutes: int = 60 * 24
    cancel_cooldown_minutes: int = 0
    double_opt_in: bool = False
    opt_in_minutes: int = 60


class Mode(enum.StrEnum):
    """How an appointment is held."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


class Municipality(db.Model):
    """A city or district: its own start page, branding, operator data, catalogue, offices and
    staff. Nothing of one municipality is shown to the citizens or staff of another."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # The host name its start page answers on ("termine.rheinstadt.de"); None: only by path.
    host: Mapped[str | None] = mapped_column(sa.String(253), unique=True)
    # Brand colour of the header (#rrggbb, dark enough for white text) and an optional logo.
    colour: Mapped[str] = mapped_column(sa.String(7), default="#0b4f8a")
    # The image is read only when it is served; pages link to it by its version (a digest,
    # kept by `_logo_changed`), which is "" without a logo.
    logo: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    logo_type: Mapped[str] = mapped_column(sa.String(40), default="")
    logo_version: Mapped[str] = mapped_column(sa.String(16), default="")
    # Operator data of the imprint, the privacy notice and the accessibility statement.
    operator_name: Mapped[str] = mapped_column(sa.String(200), default="")
    operator_address: Mapped[str] = mapped_column(sa.Text, default="")
    operator_email: Mapped[str] = mapped_column(sa.String(254), default="")
    operator_phone: Mapped[str] = mapped_column(sa.String(50), default="")
    representative: Mapped[str] = mapped_column(sa.String(200), default="")
    privacy_officer: Mapped[str] = mapped_column(sa.Text, default="")
    supervisory_authority: Mapped[str] = mapped_column(sa.Text, default="")
    accessibility_contact: Mapped[str] = mapped_column(sa.Text, default="")
    # Origins of city portals that may show its pages in a frame (space-separated).
    frame_ancestors: Mapped[str] = mapped_column(sa.String(1000), default="")

    offices: Mapped[list[Office]] = relationship(
        back_populates="municipality", order_by="Office.name"
    )
    services: Mapped[list[Service]] = relationship(
        back_populates="municipality", order_by="Service.position"
    )

    __table_args__ = (sa.CheckConstraint("length(colour) = 7", name="colour"),)

    @validates("logo")
    def _logo_changed(self, _key, content: bytes | None) -> bytes | None:
        self.logo_version = hashlib.sha256(content).hexdigest()[:16] if content else ""
        return content


class Office(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # Part of town ("Innenstadt"), for narrowing a search across offices.
    district: Mapped[str] = mapped_column(sa.String(100), default="")
    directions: Mapped[str] = mapped_column(sa.Text, default="")  # how to get there
    step_free: Mapped[bool] = mapped_column(default=False)
    accessibility_note: Mapped[str] = mapped_column(sa.Text, default="")
    public: Mapped[bool] = mapped_column(default=True)  # listed on the start page
    street: Mapped[str] = mapped_column(sa.String(200), default="")
    postcode: Mapped[str] = mapped_column(sa.String(10), default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="")
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Berlin")
    bundesland: Mapped[str] = mapped_column(sa.String(2), default="NW")
    # Booking rules (see BookingRules)
    slot_minutes: Mapped[int] = mapped_column(default=10)
    horizon_days: Mapped[int] = mapped_column(default=60)
    lead_minutes: Mapped[int] = mapped_column(default=60)
    release_time: Mapped[dt.time] = mapped_column(sa.Time, default=dt.time(0, 0))
    hold_minutes: Mapped[int] = mapped_column(default=10)
    max_active_per_email: Mapped[int] = mapped_column(default=3)
    cancel_deadline_minutes: Mapped[int] = mapped_column(default=60 * 24)
    cancel_cooldown_minutes: Mapped[int] = mapped_column(default=0)
    double_opt_in: Mapped[bool] = mapped_column(default=False)
    opt_in_minutes: Mapped[int] = mapped_column(default=60)
    # Drawn anew whenever anything the staffing depends on changes (see schedule_cache.py):
    # every process sees a new stamp and stops using its cached staffing.
    schedule_stamp: Mapped[str] = mapped_column(sa.String(32), default=lambda: secrets.token_hex(8))

    municipality: Mapped[Municipality] = relationship(back_populates="offices")
    counters: Mapped[list[Counter]] = relationship(
        back_populates="office", order_by="Counter.position"
    )
    offers: Mapped[list[Offer]] = relationship(
        back_populates="office", order_by="Offer.position, Offer.id"
    )

    __table_args__ = (
        sa.CheckConstraint(
            f"slot_minutes > 0 AND slot_minutes % {CLAIM_UNIT_MINUTES} = 0", name="slot_minutes"
        ),
        sa.CheckConstraint("horizon_days > 0", name="horizon_days"),
        sa.CheckConstraint("hold_minutes > 0", name="hold_minutes"),
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def rules(self) -> BookingRules:
        return BookingRules(
            slot_minutes=self.slot_minutes,
            horizon_days=self.horizon_days,
            lead_minutes=self.lead_minutes,
            release_time=self.release_time,
            hold_minutes=self.hold_minutes,
            max_active_per_email=self.max_active_per_email,
            cancel_deadline_minutes=self.cancel_deadline_minutes,
            cancel_cooldown_minutes=self.cancel_cooldown_minutes,
            double_opt_in=self.double_opt_in,
            opt_in_minutes=self.opt_in_minutes,
        )

    @property
    def address(self) -> str:
        return ", ".join(p for p in (self.street, f"{self.postcode} {self.city}".strip()) if p)

    @property
    def active_offers(self) -> list[Offer]:
        return [o for o in self.offers if o.active and o.service.active]

    @property
    def public_offers(self) -> list[Offer]:
        return [o for o in self.active_offers if o.public]

    @property
    def services(self) -> list[Service]:
        """The catalogue services this office offers (active or not), in its order."""
        return [o.service for o in self.offers]

    def offer_of(self, service_id: int) -> Offer | None:
        return next((o for o in self.offers if o.service_id == service_id), None)


class Counter(db.Model):
    """A desk in an office where one clerk serves one citizen at a time (Schalter)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("office.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    office: Mapped[Office] = relationship(back_populates="counters")
    skills: Mapped[list[Service]] = relationship(secondary=counter_skill)


class Service(db.Model):
    """A catalogue service of a municipality, described once for all its offices."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    what_to_bring: Mapped[str] = mapped_column(sa.Text, default="")
    leika_id: Mapped[str | None] = mapped_column(sa.String(20))
    # Fee in cent where it is fixed; the note says what varies ("unter 24 Jahren 22,80 €").
    fee_cents: Mapped[int | None]
    fee_note: Mapped[str] = mapped_column(sa.String(500), default="")
    # Other words citizens search for, one per line ("Perso", "Ausweis").
    synonyms: Mapped[str] = mapped_column(sa.Text, default="")
    # {"en": {"name": …, "description": …, "what_to_bring": …}, …}: shown instead of the German
    # text where present.
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    municipality: Mapped[Municipality] = relationship(back_populates="services")
    offers: Mapped[list[Offer]] = relationship(back_populates="service", order_by="Offer.id")

    __table_args__ = (
        sa.UniqueConstraint("municipality_id", "leika_id"),
        sa.CheckConstraint("fee_cents IS NULL OR fee_cents >= 0", name="fee"),
    )

    def text(self, field: str, locale: str) -> str:
        """`name`, `description` or `what_to_bring` in `locale` where translated, else German."""
        translated = (self.translations or {}).get(locale[:2], {}).get(field)
        return translated or getattr(self, field)

    @property
    def synonym_list(self) -> list[str]:
        return [line.strip() for line in self.synonyms.splitlines() if line.strip()]


class Offer(db.Model):
    """An office offering a catalogue service: its own duration and limits, and how the
    appointment can be held."""

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("office.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("service.id", ondelete="CASCADE"))
    duration_minutes: Mapped[int]
    max_quantity: Mapped[int] = mapped_column(default=1)
    public: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    # Letter that starts walk-in ticket numbers of this service's group ("A-042").
    ticket_prefix: Mapped[str] = mapped_column(sa.String(3), default="A")
    # Comma-separated Mode values, in the order offered.
    modes: Mapped[str] = mapped_column(sa.String(40), default=Mode.IN_PERSON.value)
    # The video room citizens join (the office's video service), for Mode.VIDEO.
    video_url: Mapped[str] = mapped_column(sa.String(500), default="")

    office: Mapped[Office] = relationship(back_populates="offers")
    service: Mapped[Service] = relationship(back_populates="offers", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("office_id", "service_id"),
        sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),
        sa.CheckConstraint("max_quantity >= 1", name="max_quantity_positive"),
        sa.CheckConstraint("modes <> ''", name="modes"),
    )

    @property
    def mode_list(self) -> list[Mode]:
        return [Mode(m) for m in self.modes.split(",") if m]

    @property
    def name(self) -> str:
        return self.service.name


class Role(enum.StrEnum):
    ADMIN = "admin"
    OFFICE_MANAGER = "office_manager"
    FRONT_DESK = "front_desk"
    CLERK = "clerk"


class StaffMember(db.Model):
    """A person with a login. `roles` holds what they may do in the whole municipality (admin);
    what they may do in an office is in their memberships. An administrator without a
    municipality looks after the whole installation (a data centre's operator)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    login: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    roles: Mapped[str] = mapped_column(sa.String(200), default="")  # comma-separated Role values
    active: Mapped[bool] = mapped_column(default=True)
    # Where the member signs in: "local" (password here), "oidc" or "ldap" (the city's accounts,
    # which also decide their roles at each sign-in). external_id names them there, stably:
    # "<issuer> <subject>" for OIDC, "<directory URL> <entry UUID>" for LDAP.
    identity_source: Mapped[str] = mapped_column(sa.String(10), default="local")
    external_id: Mapped[str | None] = mapped_column(sa.String(500), unique=True)
    # Second factor of a local account (RFC 6238, base32); None: not enrolled. The last time
    # step a code was accepted for, so that no code works twice.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    municipality: Mapped[Municipality | None] = relationship()
    memberships: Mapped[list[OfficeMembership]] = relationship(
        back_populates="staff_member", cascade="all, delete-orphan"
    )
    skills: Mapped[list[Service]] = relationship(secondary=staff_skill)

    __table_args__ = (
        sa.CheckConstraint("identity_source IN ('local', 'oidc', 'ldap')", name="identity_source"),
    )

    @property
    def municipality_roles(self) -> frozenset[Role]:
        """What the member may do in the whole municipality (or installation)."""
        return frozenset(Role(r) for r in self.roles.split(",") if r)

    @property
    def role_set(self) -> frozenset[Role]:
        """Every role the member has, in the municipality or in any office."""
        found = set(self.municipality_roles)
        for membership in self.memberships:
            found |= membership.role_set
        return frozenset(found)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.role_set & set(roles))

    @property
    def office_ids(self) -> list[int]:
        return [m.office_id for m in self.memberships]

    def roles_in(self, office_id: int) -> frozenset[Role]:
        return next((m.role_set for m in self.memberships if m.office_id == office_id), frozenset())


class OfficeMembership(db.Model):
    """A staff member working in an office, with their roles there."""

    staff_member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("staff_member.id", ondelete="CASCADE"), primary_key=True
    )
    office_id: Mapped[int] = mapped_column(
        sa.ForeignKey("office.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    roles: Mapped[str] = mapped_column(sa.String(200), default="")  # comma-separated Role values

    staff_member: Mapped[StaffMember] = relationship(back_populates="memberships")
    office: Mapped[Office] = relationship()

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles.split(",") if r)


class ShiftPattern(db.Model):
    """A weekly recurring shift: this staff member at this counter, every given weekday."""

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("staff_member.id", ondelete="CASCADE")
    )
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counter.id", ondelete="CASCADE"))
    weekday: Mapped[int]  # 0 = Monday
    start_local: Mapped[dt.time] = mapped_column(sa.Time)
    end_local: Mapped[dt.time] = mapped_column(sa.Time)
    valid_from: Mapped[dt.date | None] = mapped_column(sa.Date)
    valid_until: Mapped[dt.date | None] = mapped_column(sa.Date)

    staff_member: Mapped[StaffMember] = relationship()
    counter: Mapped[Counter] = relationship()

    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        sa.CheckConstraint("start_local < end_local", name="order"),
    )


class ShiftExceptionKind(enum.StrEnum):
    ABSENCE = "absence"  # the staff member does not work (whole day, or the given window)
    EXTRA = "extra"  # an additional shift at a counter


class ShiftException(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("staff_member.id", ondelete="CASCADE")
    )
    date: Mapped[dt.date] = mapped_column(sa.Date)
    kind: Mapped[str] = mapped_column(sa.String(10))
    counter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counter.id", ondelete="CASCADE"))
    start_local: Mapped[dt.time | None] = mapped_column(sa.Time)
    end_local: Mapped[dt.time | None] = mapped_column(sa.Time)
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    staff_member: Mapped[StaffMember] = relationship()

    __table_args__ = (
        sa.CheckConstraint("kind IN ('absence', 'extra')", name="kind"),
        sa.CheckConstraint(
            "kind = 'absence' OR (counter_id IS NOT NULL AND start_local IS NOT NULL"
            " AND end_local IS NOT NULL)",
            name="extra_complete",
        ),
    )


class OpeningHours(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("office.id", ondelete="CASCADE"))
    weekday: Mapped[int]
    start_local: Mapped[dt.time] = mapped_column(sa.Time)
    end_local: Mapped[dt.time] = mapped_column(sa.Time)

    office: Mapped[Office] = relationship()

    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        sa.CheckConstraint("start_local < end_local", name="order"),
    )


class Closure(db.Model):
    """Days on which the office takes no appointments (besides public holidays)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("office.id", ondelete="CASCADE"))
    first_day: Mapped[dt.date] = mapped_column(sa.Date)
    last_day: Mapped[dt.date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")

    office: Mapped[Office] = relationship()

    __table_args__ = (sa.CheckConstraint("first_day <= last_day", name="order"),)


class Appointment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("office.id", ondelete="CASCADE"))
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counter.id"))
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(20))  # written by booking/lifecycle.py only
    booking_code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    manage_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # What the front desk scans (QR code). Not the manage token: it cannot cancel or show data.
    checkin_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    locale: Mapped[str] = mapped_column(sa.String(10), default="de")
    citizen_name: Mapped[str] = mapped_column(sa.String(200), default="")
    citizen_email: Mapped[str] = mapped_column(sa.String(254), default="", index=True)
    citizen_phone: Mapped[str] = mapped_column(sa.String(50), default="")
    mode: Mapped[str] = mapped_column(sa.String(10), default=Mode.IN_PERSON.value)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    hold_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # iCalendar SEQUENCE: raised on every change the citizen's calendar must follow.
    sequence: Mapped[int] = mapped_column(default=0)

    office: Mapped[Office] = relationship()
    counter: Mapped[Counter] = relationship()
    items: Mapped[list[AppointmentItem]] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", order_by="AppointmentItem.id"
    )

    __table_args__ = (
        sa.CheckConstraint("start_at < end_at", name="order"),
        sa.CheckConstraint(
            "status IN ('held', 'pending', 'confirmed', 'checked_in', 'called', 'in_service',"
            " 'done', 'cancelled', 'expired', 'no_show')",
            name="status",
        ),
        sa.CheckConstraint("mode IN ('in_person', 'phone', 'video')", name="mode"),
        sa.Index("ix_appointment_office_status_start", "office_id", "status", "start_at"),
        # Busy times of a range of days (booking/schedules.py) from the index alone.
        sa.Index(
            "ix_appointment_office_start_busy",
            "office_id",
            "start_at",
            "status",
            "counter_id",
            "end_at",
            "hold_expires_at",
        ),
    )

    # The questions pages ask of an appointment; the answers are booking/lifecycle.py's.

    def is_hold_expired(self, now: dt.datetime) -> bool:
        return lifecycle.is_hold_expired(self, now)

    def cancel_deadline(self) -> dt.datetime:
        return lifecycle.cancel_deadline(self)

    def can_cancel(self, now: dt.datetime) -> bool:
        return lifecycle.can_cancel(self, now)

    def can_rebook(self, now: dt.datetime) -> bool:
        return lifecycle.can_rebook(self, now)

    def can_office_rebook(self, now: dt.datetime) -> bool:
        return lifecycle.can_office_rebook(self, now)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def selection(self) -> dict[int, int]:
        return {item.service_id: item.quantity for item in self.items}


class AppointmentItem(db.Model):
    """One service of an appointment, with how many times it is needed ("2 x Reisepass")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(sa.ForeignKey("appointment.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("service.id"))
    quantity: Mapped[int] = mapped_column(default=1)

    appointment: Mapped[Appointment] = relationship(back_populates="items")
    service: Mapped[Service] = relationship()

    __table_args__ = (sa.CheckConstraint("quantity >= 1", name="quantity_positive"),)


class SlotClaim(db.Model):
    """One 5-minute unit of one counter's time, taken by an appointment.

    A claim with `expires_at` set lapses at that time (a hold, a pending opt-in, or the cooldown
    after a cancellation) and is deleted by whoever next claims the unit: no job has to run
    before an expired hold frees its time.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counter.id", ondelete="CASCADE"))
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    appointment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appointment.id", ondelete="SET NULL"), index=True
    )
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.UniqueConstraint("counter_id", "start_at"),)


class AvailabilityChange(db.Model):
    """A note that an office's bookings changed around `start_at`, written by every flush that
    adds, moves, cancels or expires an appointment (booking/schedule_cache.py), in the same
    transaction. Processes that keep free days in memory ask for the notes they have not seen
    yet instead of reading every appointment of the horizon again.

    What "not seen yet" means must hold for transactions that commit late: on PostgreSQL
    `txid` is the writing transaction's id, and a reader remembers the oldest transaction still
    running when it read (its snapshot's xmin): every transaction it could not see has an id at
    least that large. SQLite has one writer at a time, so there the ids grow in commit order.
    Notes older than a day are deleted by the retention job."""

    __table_args__ = (
        sa.Index("ix_availability_change_office_txid", "office_id", "txid"),
        sa.Index("ix_availability_change_office_id", "office_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("office.id", ondelete="CASCADE"))
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    txid: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
