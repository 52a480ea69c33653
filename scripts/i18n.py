"""Translation catalogs: extract, update, compile and check.

    python scripts/i18n.py extract   # code + templates -> translations/messages.pot
    python scripts/i18n.py update    # messages.pot -> translations/<lang>/LC_MESSAGES/messages.po
    python scripts/i18n.py compile   # .po -> .mo (the app reads these; .mo are not committed)
    python scripts/i18n.py all       # extract, update, compile (what `make i18n` runs)
    python scripts/i18n.py check     # exit 1 if the .pot is stale or a catalog is incomplete

Run it with the project's virtual environment (it needs Babel and Jinja2).
msgids are English; German is the default language of the site.
"""

import contextlib
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
MAPPING = ROOT / "babel.cfg"
LANGUAGES = ["de", "en", "tr", "ar", "uk"]
# Lazy strings (_l at import time) and their plural form, besides Babel's default keywords.
KEYWORDS = ["_l", "lazy_gettext", "lazy_ngettext:1,2", "_n:1,2"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", "--quiet", *args])


def _extract_to(output: Path) -> None:
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    with contextlib.chdir(ROOT):  # relative paths: locations read templates/base.html
        _extract(output, keywords)


def _extract(output: Path, keywords: list[str]) -> None:
    _pybabel(
        "extract",
        "-F",
        str(MAPPING),
        *keywords,
        "--add-comments=Translators:",
        "--add-location=file",
        "--sort-by-file",
        "--project=terminvergabe",
        "--version=0.1",
        "--copyright-holder=terminvergabe",
        "--ignore-dirs=.* ._ node_modules instance translations",
        "-o",
        str(output),
        ".",
    )


def extract() -> None:
    POT.parent.mkdir(parents=True, exist_ok=True)
    _extract_to(POT)


def catalog_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def update() -> None:
    """Bring every catalog in line with the .pot; a missing one is created. No fuzzy guesses:
    a new message stays untranslated until a person translates it (and `check` says so)."""
    for language in LANGUAGES:
        if not catalog_path(language).exists():
            _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", language)
        _pybabel(
            "update",
            "-i",
            str(POT),
            "-d",
            str(TRANSLATIONS),
            "-l",
            language,
            "--no-fuzzy-matching",
            "--ignore-obsolete",
            "--init-missing",
        )
    _mirror_english()


def _mirror_english() -> None:
    """msgids are English, so the English catalog says the same: fill it in, never by hand."""
    from babel.messages.pofile import write_po

    path = catalog_path("en")
    if not path.exists():
        return
    catalog = _read(path)
    for message in catalog:
        if not message.id or _is_translated(message, catalog):
            continue
        message.string = message.id if isinstance(message.id, tuple) else message.id
        message.flags.discard("fuzzy")
    with path.open("wb") as file:
        write_po(file, catalog, width=76)


def compile_catalogs() -> None:
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


def _key(message):
    return (message.id, message.context)


def _label(key) -> str:
    """The message as a person finds it in the code: its (singular) msgid."""
    msgid = key[0]
    return repr(msgid[0] if isinstance(msgid, tuple) else msgid)


def _read(path: Path):
    from babel.messages.pofile import read_po

    with path.open("rb") as file:
        return read_po(file)


def _messages(catalog) -> dict:
    return {_key(message): message for message in catalog if message.id}


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _placeholder_problems(message) -> list[str]:
    """Every %(name)s of the msgid must survive translation (plural forms may leave out the
    number, as Arabic's 'one' and 'two' forms do, but may not invent a name)."""
    if isinstance(message.id, tuple):
        allowed = _placeholders(message.id[0]) | _placeholders(message.id[1])
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        names = set().union(*(_placeholders(s) for s in strings))
        unknown = names - allowed
        return [f"unknown placeholders {sorted(unknown)}"] if unknown else []
    expected, found = _placeholders(message.id), _placeholders(message.string or "")
    if expected != found:
        return [f"placeholders {sorted(found)} instead of {sorted(expected)}"]
    return []


def _is_translated(message, catalog) -> bool:
    if isinstance(message.id, tuple):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        return len(strings) == catalog.num_plurals and all(strings)
    return bool(message.string)


def catalog_problems(language: str, expected: dict) -> list[str]:
    path = catalog_path(language)
    if not path.exists():
        return [f"{language}: catalog {path.relative_to(ROOT)} is missing"]
    catalog = _read(path)
    messages = _messages(catalog)
    problems = [
        f"{language}: not in catalog (run `make i18n`): {_label(key)}"
        for key in expected
        if key not in messages
    ]
    problems += [
        f"{language}: stale message no longer in the code (run `make i18n`): {_label(key)}"
        for key in messages
        if key not in expected
    ]
    for key, message in messages.items():
        if key not in expected:
            continue
        if message.fuzzy:
            problems.append(f"{language}: fuzzy: {_label(key)}")
        if not _is_translated(message, catalog):
            problems.append(f"{language}: untranslated: {_label(key)}")
            continue
        problems += [f"{language}: {p}: {_label(key)}" for p in _placeholder_problems(message)]
        problems += [f"{language}: {error}: {_label(key)}" for error in catalog_errors(message)]
    return problems


def catalog_errors(message) -> list[str]:
    from babel.messages.catalog import TranslationError
    from babel.messages.checkers import python_format

    try:
        python_format(None, message)
    except TranslationError as error:
        return [str(error)]
    return []


def check() -> list[str]:
    """Everything that is wrong with the catalogs, as readable lines (empty: all good)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh_path = Path(tmp) / "messages.pot"
        _extract_to(fresh_path)
        fresh = _messages(_read(fresh_path))
    if not POT.exists():
        return ["translations/messages.pot is missing (run `make i18n`)"]
    committed = _messages(_read(POT))
    problems = [
        f"messages.pot is out of date (run `make i18n`): new message {_label(key)}"
        for key in fresh
        if key not in committed
    ]
    problems += [
        f"messages.pot is out of date (run `make i18n`): removed message {_label(key)}"
        for key in committed
        if key not in fresh
    ]
    # Catalogs are checked against the committed template: a stale template is one problem
    # (above), not one per language.
    for language in LANGUAGES:
        problems += catalog_problems(language, committed)
    return problems


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "all"
    if command in ("extract", "all"):
        extract()
    if command in ("update", "all"):
        update()
    if command in ("compile", "all"):
        compile_catalogs()
    if command == "check":
        problems = check()
        for problem in problems:
            print(problem)
        print(f"translations: {len(problems)} problem(s)" if problems else "translations: ok")
        return 1 if problems else 0
    if command not in ("extract", "update", "compile", "all", "check"):
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
