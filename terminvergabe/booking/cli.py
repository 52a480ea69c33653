"""Command line: `flask demo` loads the demo office."""


def init_app(app) -> None:
    pass
