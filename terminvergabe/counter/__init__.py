"""Front desk, counters, waiting-room display, kiosk and the citizen's phone status page."""


def init_app(app) -> None:
    from terminvergabe.counter import events, models, views  # noqa: F401  (tables)

    events.init_app(app)
    app.register_blueprint(views.bp)
