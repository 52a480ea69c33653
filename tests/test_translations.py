"""The translation catalogs are complete and current (scripts/i18n.py check), and the check
itself notices a stale template, a missing, fuzzy or untranslated message and a lost
placeholder — shown on a small project of its own, so that it does not depend on the state
of the real catalogs."""

import importlib.util
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from terminvergabe.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent


def _load_i18n_script():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


i18n = _load_i18n_script()


def test_catalogs_are_complete_and_current():
    problems = i18n.check()
    if problems:
        pytest.fail("\n".join(["run `make i18n` and translate:", *problems]), pytrace=False)


def test_every_configured_language_has_a_catalog():
    assert DEFAULTS["LANGUAGES"][0] == DEFAULTS["BABEL_DEFAULT_LOCALE"] == "de"
    assert set(DEFAULTS["LANGUAGES"]) == set(i18n.LANGUAGES)
    for language in DEFAULTS["LANGUAGES"]:
        assert i18n.catalog_path(language).exists()


# The check on a small project: one Python module, one template.

CODE = """
from flask_babel import gettext as _, lazy_gettext as _l, ngettext

TITLE = _l("Opening hours")


def greet(name, count):
    return _("Hello %(name)s", name=name), ngettext("%(num)d day", "%(num)d days", count)
"""
TEMPLATE = '<h1>{{ _("Book an appointment") }}</h1>\n'
# A translation per language; plural forms as many as the language has.
TRANSLATIONS = {
    "Opening hours": {"de": "Öffnungszeiten", "tr": "Çalışma saatleri"},
    "Hello %(name)s": {"de": "Hallo %(name)s", "tr": "Merhaba %(name)s"},
    "Book an appointment": {"de": "Termin buchen", "tr": "Randevu alın"},
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "terminvergabe").mkdir()
    (tmp_path / "terminvergabe" / "greeting.py").write_text(CODE)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(TEMPLATE)
    shutil.copy(ROOT / "babel.cfg", tmp_path / "babel.cfg")
    monkeypatch.setattr(i18n, "ROOT", tmp_path)
    monkeypatch.setattr(i18n, "MAPPING", tmp_path / "babel.cfg")
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path / "translations")
    monkeypatch.setattr(i18n, "POT", tmp_path / "translations" / "messages.pot")
    monkeypatch.setattr(i18n, "LANGUAGES", ["de", "en", "tr"])
    i18n.extract()
    i18n.update()
    return tmp_path


def _rewrite(language, change):
    path = i18n.catalog_path(language)
    with path.open("rb") as file:
        catalog = read_po(file)
    for message in [message for message in catalog if message.id]:
        change(catalog, message)
    with path.open("wb") as file:
        write_po(file, catalog)


def _translate(language):
    def translate(catalog, message):
        if isinstance(message.id, tuple):
            message.string = tuple(f"{language} %(num)d" for _ in range(catalog.num_plurals))
        else:
            message.string = TRANSLATIONS[message.id][language]

    _rewrite(language, translate)


@pytest.fixture
def translated(project):
    _translate("de")
    _translate("tr")
    return project


def test_extraction_finds_code_templates_and_plurals(project):
    with i18n.POT.open("rb") as file:
        ids = {message.id for message in read_po(file) if message.id}
    assert ids == {*TRANSLATIONS, ("%(num)d day", "%(num)d days")}


def test_new_catalogs_are_untranslated_except_english(project):
    problems = i18n.check()
    assert "de: untranslated: 'Hello %(name)s'" in problems
    assert "tr: untranslated: 'Opening hours'" in problems
    assert not [problem for problem in problems if problem.startswith("en:")]


def test_complete_catalogs_pass(translated):
    assert i18n.check() == []


def test_check_finds_a_fuzzy_message(translated):
    _rewrite("tr", lambda _, m: m.flags.add("fuzzy") if m.id == "Opening hours" else None)
    assert i18n.check() == ["tr: fuzzy: 'Opening hours'"]


def test_check_finds_a_missing_plural_form(translated):
    def drop_form(_, message):
        if isinstance(message.id, tuple):
            message.string = (message.string[0], "")

    _rewrite("de", drop_form)
    assert i18n.check() == ["de: untranslated: '%(num)d day'"]


def test_check_finds_a_message_missing_from_a_catalog(translated):
    _rewrite("de", lambda catalog, m: catalog.delete(m.id) if m.id == "Opening hours" else None)
    assert i18n.check() == ["de: not in catalog (run `make i18n`): 'Opening hours'"]


def test_check_finds_a_lost_placeholder(translated):
    def lose(_, message):
        if message.id == "Hello %(name)s":
            message.string = "Hallo"

    _rewrite("de", lose)
    assert i18n.check() == ["de: placeholders [] instead of ['name']: 'Hello %(name)s'"]


def test_check_finds_new_and_removed_code_messages(translated):
    template = translated / "templates" / "page.html"
    template.write_text('<h1>{{ _("Choose a day") }}</h1>\n')
    assert i18n.check() == [
        "messages.pot is out of date (run `make i18n`): new message 'Choose a day'",
        "messages.pot is out of date (run `make i18n`): removed message 'Book an appointment'",
    ]
    i18n.extract()
    i18n.update()
    problems = i18n.check()
    assert "de: untranslated: 'Choose a day'" in problems
    assert not [p for p in problems if "Book an appointment" in p]  # dropped, not kept obsolete
