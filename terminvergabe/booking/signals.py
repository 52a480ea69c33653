"""Domain events of the booking. Other packages (notify, waitlist, live screens) connect here;
receivers run inside the transaction of the change, so what they write commits with it."""

from blinker import Namespace

from terminvergabe import metrics

_signals = Namespace()

appointment_held = _signals.signal("appointment-held")
appointment_pending = _signals.signal("appointment-pending")  # awaits the citizen's opt-in
appointment_confirmed = _signals.signal("appointment-confirmed")
appointment_rebooked = _signals.signal("appointment-rebooked")  # kwargs: previous_start_at, by
# kwargs: by ("citizen"/"office"), reason (the office's words to the citizen, may be "")
appointment_cancelled = _signals.signal("appointment-cancelled")
appointment_expired = _signals.signal("appointment-expired")
time_released = _signals.signal("time-released")  # kwargs: office, counter_id, start_at, end_at
# Every change of an appointment's status (lifecycle.move): kwargs verb, previous (status), now.
# For what follows the visit itself (check-in, call, finish, no-show); the booking verbs above
# say more (who cancelled, the time before a rebooking).
appointment_moved = _signals.signal("appointment-moved")
# A waitlist offer holds a time for a waiting citizen: kwargs expires_at.
waitlist_offer_made = _signals.signal("waitlist-offer-made")

_CHANGING_AN_APPOINTMENT = (
    appointment_held,
    appointment_pending,
    appointment_confirmed,
    appointment_rebooked,
    appointment_cancelled,
    appointment_expired,
)


def on_times_changed(receiver) -> None:
    """Call `receiver(office_id)` whenever a time of that office is taken or given back in this
    process: for what a process keeps about free times."""
    for signal in _CHANGING_AN_APPOINTMENT:
        signal.connect(lambda appointment, **_kw: receiver(appointment.office_id), weak=False)
    time_released.connect(lambda office, **_kw: receiver(office.id), weak=False)


def _counted(event: str):
    def receiver(appointment, **_kwargs):
        metrics.count_after_commit(metrics.BOOKINGS, event=event)

    return receiver


for _event, _signal in {
    "held": appointment_held,
    "pending": appointment_pending,
    "confirmed": appointment_confirmed,
    "rebooked": appointment_rebooked,
    "cancelled": appointment_cancelled,
    "expired": appointment_expired,
}.items():
    _signal.connect(_counted(_event), weak=False)
