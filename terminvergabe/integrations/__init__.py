"""Integrations with other systems: signed webhooks and private calendar feeds.

- Webhooks: booking and counter signals write deliveries in the transaction of the change
  (events.py); the `deliver_webhooks` job sends them, signed (signing.py), retried with
  backoff and in order per appointment (delivery.py). Endpoints are managed in the admin.
- Calendar feeds: `/feeds/<token>.ics` for a staff member or a counter (feeds.py, views.py).
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from terminvergabe.integrations import delivery, events, feeds, models, tasks, views
    from terminvergabe.notify.scheduler import register_job

    del models  # imported for its tables
    for defaults in (delivery.DEFAULTS, feeds.DEFAULTS):
        for key, value in defaults.items():
            app.config.setdefault(key, value)
    app.config.setdefault("WEBHOOK_ALLOW_HTTP_LOCALHOST", False)
    app.register_blueprint(views.bp)
    events.connect()
    config = app.config
    register_job(
        app, "deliver_webhooks", tasks.deliver_webhooks, config["WEBHOOK_INTERVAL_SECONDS"]
    )
    register_job(app, "purge_webhook_deliveries", tasks.purge_deliveries, 3600)
