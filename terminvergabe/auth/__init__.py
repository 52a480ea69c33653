"""Staff accounts (login, roles) and devices (screens, kiosks) with revocable tokens."""


def init_app(app) -> None:
    from terminvergabe.auth import access, cli, demo, models, views  # noqa: F401  (tables)

    access.init_app(app)
    demo.init_app(app)
    cli.init_app(app)
    app.register_blueprint(views.bp)
