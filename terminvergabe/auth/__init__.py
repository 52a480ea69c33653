"""Staff accounts (login, roles; local, the city's OIDC provider or LDAP directory; TOTP) and
devices (screens, kiosks) with revocable tokens."""


def init_app(app) -> None:
    from terminvergabe.auth import access, cli, demo, models, oidc, views  # noqa: F401  (tables)

    access.init_app(app)
    demo.init_app(app)
    oidc.init_app(app)
    cli.init_app(app)
    app.register_blueprint(views.bp)
