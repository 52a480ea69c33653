"""Languages: Flask-Babel, the chosen language remembered in a cookie, Accept-Language fallback."""

from flask import current_app, has_request_context, request
from flask_babel import (
    Babel,
    format_date,
    format_datetime,
    format_time,
    get_locale,
    lazy_ngettext,  # noqa: F401
)
from flask_babel import gettext as _  # noqa: F401  (re-exported for modules)
from flask_babel import lazy_gettext as _l  # noqa: F401
from markupsafe import Markup, escape

from terminvergabe.config import ROOT

babel = Babel()

LANGUAGE_COOKIE = "lang"

# Names of the languages in themselves, for the language switcher.
LANGUAGE_NAMES = {
    "de": "Deutsch",
    "en": "English",
    "tr": "Türkçe",
    "ar": "العربية",
    "uk": "Українська",
}
RTL_LANGUAGES = {"ar"}
# The language offices type their names, services, addresses and notes in.
OFFICE_LANGUAGE = "de"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def office_text(value) -> Markup:
    """Text the office typed (in German), marked `lang="de"` on a page in another language, so
    that screen readers pronounce it as German (WCAG 3.1.2, language of parts). For elements
    that cannot hold a <span> (<option>, attributes), put `office_lang()` on the element."""
    if value is None or value == "":
        return Markup("")
    if str(get_locale()) == OFFICE_LANGUAGE:
        return escape(value)
    return Markup('<span lang="{}">{}</span>').format(OFFICE_LANGUAGE, value)


def office_lang() -> Markup:
    """` lang="de"` for an element whose whole text the office typed; "" on German pages."""
    if str(get_locale()) == OFFICE_LANGUAGE:
        return Markup("")
    return Markup(' lang="{}"').format(OFFICE_LANGUAGE)


def init_app(app) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )

    @app.after_request
    def remember_language(response):
        chosen = request.args.get("lang")
        if chosen in app.config["LANGUAGES"] and request.cookies.get(LANGUAGE_COOKIE) != chosen:
            response.set_cookie(
                LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
            )
        return response

    @app.context_processor
    def language_context():
        locale = str(get_locale())
        return {
            "current_locale": locale,
            "text_direction": "rtl" if locale in RTL_LANGUAGES else "ltr",
            "languages": [(code, LANGUAGE_NAMES[code]) for code in app.config["LANGUAGES"]],
            "format_date": format_date,
            "format_time": format_time,
            "format_datetime": format_datetime,
        }

    app.jinja_env.filters["office_text"] = office_text
    app.jinja_env.globals["office_lang"] = office_lang
