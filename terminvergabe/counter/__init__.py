"""Front desk, counters, waiting-room display, kiosk and the citizen's phone status page."""


def init_app(app) -> None:
    from terminvergabe.counter import models, pages, tasks  # noqa: F401  (tables)
    from terminvergabe.notify import scheduler

    app.register_blueprint(pages.bp)
    app.config.setdefault("CLOSE_DAY_INTERVAL_SECONDS", 600)
    # A live page whose stream failed waits this long before its first reconnect, then
    # twice as long each time (counter.js).
    app.config.setdefault("LIVE_RECONNECT_MS", 2000)
    # The office day is closed under the scheduler (one process; the job is idempotent).
    scheduler.register_job(
        app, "close_day", tasks.close_day, app.config["CLOSE_DAY_INTERVAL_SECONDS"]
    )
