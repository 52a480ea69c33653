"""Fair access when appointments are scarce: rate limits, proof-of-work (ALTCHA) before a hold,
a cap on open holds per client, and the waitlist with exclusive offers.

For the booking pages and the API:
- `limits.search_limit`, `limits.hold_limit`, `limits.confirm_limit`: route decorators;
- `holds.hold_for_client(office, selection, start_at, now, locale)`: a citizen's hold, in
  place of `operations.hold(...)`;
- `holds.altcha_required(office)`: whether to render the ALTCHA widget
  (`{% include "waitlist/altcha_widget.html" %}` inside the hold form).
"""

from terminvergabe.booking import signals


def init_app(app) -> None:
    from terminvergabe.fairness import altcha, holds, limits, models, offers, tasks, views, waitlist

    del models  # imported for its tables
    for defaults in (limits.DEFAULTS, altcha.DEFAULTS, holds.DEFAULTS, waitlist.DEFAULTS):
        for key, value in defaults.items():
            app.config.setdefault(key, value)
    app.register_blueprint(views.bp)
    app.cli.add_command(tasks.cli)
    _schedule(app, tasks)
    app.jinja_env.globals["altcha_required"] = holds.altcha_required
    _connect(offers)


def _schedule(app, tasks) -> None:
    from terminvergabe.notify.scheduler import register_job

    register_job(app, "fairness", tasks.run_and_commit_at, tasks.INTERVAL_SECONDS)


_connected = False


def _connect(offers) -> None:
    """Receivers are module-level and connected once, however many apps the tests create."""
    global _connected
    if _connected:
        return
    signals.time_released.connect(offers.on_time_released, weak=False)
    signals.appointment_expired.connect(offers.on_appointment_ended, weak=False)
    signals.appointment_cancelled.connect(offers.on_appointment_ended, weak=False)
    signals.appointment_confirmed.connect(offers.on_appointment_confirmed, weak=False)
    _connected = True
