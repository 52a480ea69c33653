"""The translation catalogs are complete and current (scripts/i18n.py check), and the check
itself notices a stale template, a missing, fuzzy or untranslated message and a lost
placeholder."""

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
    assert problems == [], "\n".join(["run `make i18n` and translate:", *problems])


def test_every_configured_language_has_a_catalog():
    assert DEFAULTS["LANGUAGES"][0] == DEFAULTS["BABEL_DEFAULT_LOCALE"] == "de"
    assert set(DEFAULTS["LANGUAGES"]) == set(i18n.LANGUAGES)
    for language in DEFAULTS["LANGUAGES"]:
        assert i18n.catalog_path(language).exists()


# The check on a copy of the catalogs, with one thing broken at a time.


@pytest.fixture
def copy(tmp_path, monkeypatch):
    translations = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", translations, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(i18n, "TRANSLATIONS", translations)
    monkeypatch.setattr(i18n, "POT", translations / "messages.pot")
    return translations


def _edit(path: Path, change) -> str:
    """Apply `change` to the first real message of a catalog; return its msgid."""
    with path.open("rb") as file:
        catalog = read_po(file)
    message = next(m for m in catalog if m.id and not isinstance(m.id, tuple))
    change(catalog, message)
    with path.open("wb") as file:
        write_po(file, catalog)
    return message.id


def _problems_of(copy) -> list[str]:
    return i18n.check()


def test_check_finds_a_fuzzy_message(copy):
    msgid = _edit(i18n.catalog_path("tr"), lambda _, m: m.flags.add("fuzzy"))
    assert f"tr: fuzzy: {msgid!r}" in _problems_of(copy)


def test_check_finds_an_untranslated_message(copy):
    msgid = _edit(i18n.catalog_path("uk"), lambda _, m: setattr(m, "string", ""))
    assert f"uk: untranslated: {msgid!r}" in _problems_of(copy)


def test_check_finds_a_message_missing_from_a_catalog(copy):
    msgid = _edit(i18n.catalog_path("ar"), lambda catalog, m: catalog.delete(m.id))
    assert any(p.startswith("ar: not in catalog") and repr(msgid) in p for p in _problems_of(copy))


def test_check_finds_a_stale_template(copy):
    msgid = _edit(copy / "messages.pot", lambda catalog, m: catalog.delete(m.id))
    assert f"messages.pot is out of date (run `make i18n`): new message {msgid!r}" in (
        _problems_of(copy)
    )


def test_check_finds_a_lost_placeholder(copy):
    path = i18n.catalog_path("de")
    with path.open("rb") as file:
        catalog = read_po(file)
    message = next(m for m in catalog if isinstance(m.id, str) and "%(" in m.id)
    message.string = "Kein Platzhalter mehr"
    with path.open("wb") as file:
        write_po(file, catalog)
    assert any(
        p.startswith("de: placeholders [] instead of") and repr(message.id) in p
        for p in _problems_of(copy)
    )
