"""Importing a municipality's catalogue from a file (JSON or CSV; the format is in
docs/catalogue.md).

An entry matches a catalogue service by its LeiKa key, else by its exact name; it creates the
service when nothing matches. Fields an entry leaves out stay as they are, so that importing
the same file twice changes nothing the second time. Every entry is checked first: a file with
any error changes nothing, and the report names each error with its line (CSV) or entry (JSON).
Services of the catalogue that the file does not name are reported, never deleted; with
`deactivate_missing` they are switched off.

`import_catalogue` flushes, never commits; a dry run only reports.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from terminvergabe import audit
from terminvergabe.booking.models import Municipality, Service, StaffMember
from terminvergabe.db import db

MAX_BYTES = 1024 * 1024
MAX_ENTRIES = 2000
TEXTS = ("name", "description", "what_to_bring")
# Longest values a field may have, in characters.
LIMITS = {
    "name": 200,
    "description": 10_000,
    "what_to_bring": 10_000,
    "fee_note": 500,
    "synonym": 100,
}
FIELDS = (
    *TEXTS,
    *("leika_id", "fee_cents", "fee_note", "synonyms", "translations", "position", "active"),
)
# Keys an entry may have: the fields, and `fee` as text ("37,00 €") instead of `fee_cents`.
KEYS = frozenset((*FIELDS, "fee"))
TRUE = {"1", "true", "yes", "ja", "x"}
FALSE = {"0", "false", "no", "nein", ""}
_FEE = re.compile(r"^(?:eur|€)?\s*(\d{1,3}(?:\.\d{3})+|\d+)(?:[,.](\d{1,2}))?\s*(?:eur|€)?$", re.I)


@dataclass(frozen=True)
class RowError:
    """One error: where (a line of a CSV file, an entry of a JSON list, or 0 for the whole
    file), which field, and what is wrong (translated)."""

    where: str
    field: str
    message: str


@dataclass
class Update:
    name: str
    fields: list[str]


@dataclass
class Report:
    created: list[str] = field(default_factory=list)
    updated: list[Update] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # in the catalogue, not in the file
    deactivated: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def applied(self) -> bool:
        return not self.dry_run and not self.errors

    @property
    def changes(self) -> int:
        return len(self.created) + len(self.updated) + len(self.deactivated)


@dataclass
class _Entry:
    where: str
    values: dict


def languages() -> list[str]:
    """The languages a translation may be in: the site's languages besides German."""
    return [code for code in current_app.config["LANGUAGES"] if code != "de"]


# -- reading ---------------------------------------------------------------------------------


def read(data: bytes, filename: str = "") -> tuple[list[_Entry], list[RowError]]:
    """The entries of a JSON or CSV file (by its name, else by its first character)."""
    if len(data) > MAX_BYTES:
        limit = MAX_BYTES // 1024
        return [], [_file_error(_("The file is larger than %(kb)d KB.", kb=limit))]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [_file_error(_("The file is not UTF-8 text."))]
    name = filename.lower()
    is_json = name.endswith(".json") or (not name.endswith(".csv") and text.lstrip()[:1] in "[{")
    entries, errors = _read_json(text) if is_json else _read_csv(text)
    if len(entries) > MAX_ENTRIES:
        errors.append(_file_error(_("More than %(n)d services in one file.", n=MAX_ENTRIES)))
    if not entries and not errors:
        errors.append(_file_error(_("The file contains no services.")))
    return entries, errors


def _file_error(message: str) -> RowError:
    return RowError(_("file"), "", message)


def _read_json(text: str) -> tuple[list[_Entry], list[RowError]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        where = _("line %(n)d", n=error.lineno)
        return [], [RowError(where, "", _("This is not valid JSON."))]
    if isinstance(document, dict):
        document = document.get("services")
    if not isinstance(document, list):
        return [], [_file_error(_('Expected a list of services (or {"services": [...]}).'))]
    entries, errors = [], []
    for number, item in enumerate(document, start=1):
        where = _("entry %(n)d", n=number)
        if not isinstance(item, dict):
            errors.append(RowError(where, "", _("An entry must be an object.")))
            continue
        for key in sorted(set(item) - KEYS):
            errors.append(RowError(where, str(key), _("Unknown field.")))
        entries.append(_Entry(where, {k: v for k, v in item.items() if k in KEYS}))
    return entries, errors


def _read_csv(text: str) -> tuple[list[_Entry], list[RowError]]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        return [], []
    columns, errors = _csv_columns(header)
    entries = []
    line = reader.line_num
    try:
        for row in reader:
            where, line = _("line %(n)d", n=line + 1), reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                errors.append(RowError(where, "", _("More cells than columns.")))
                continue
            entries.append(_Entry(where, _csv_values(columns, row)))
    except csv.Error:
        errors.append(RowError(_("line %(n)d", n=line + 1), "", _("This is not valid CSV.")))
    return entries, errors


def _csv_columns(header: list[str]) -> tuple[list[tuple[str, str | None]], list[RowError]]:
    """Each column as (field, language): `name` -> ("name", None), `name_en` -> ("name", "en")."""
    columns, errors = [], []
    for column in header:
        base, _sep, language = column.rpartition("_")
        if base in TEXTS and language:
            columns.append((base, language))
        elif column in KEYS - {"translations"}:
            columns.append((column, None))
        else:
            errors.append(RowError(_("line %(n)d", n=1), column, _("Unknown column.")))
            columns.append(("", None))
    return columns, errors


def _csv_values(columns, row: list[str]) -> dict:
    values: dict = {}
    for (name, language), cell in zip(columns, row, strict=False):
        cell = cell.strip()
        if not name:
            continue
        if language:
            values.setdefault("translations", {}).setdefault(language, {})[name] = cell
        elif name == "synonyms":
            values[name] = [s for s in (part.strip() for part in cell.split("|")) if s]
        else:
            values[name] = cell
    return values


# -- checking --------------------------------------------------------------------------------


def _clean(entry: _Entry) -> tuple[dict, list[RowError]]:
    """The entry's values as the model stores them, and what is wrong with them."""
    errors: list[RowError] = []
    clean: dict = {}

    def error(name: str, message: str) -> None:
        errors.append(RowError(entry.where, name, message))

    values = entry.values
    for name in TEXTS + ("fee_note",):
        if name in values:
            _clean_text(values[name], name, clean, error)
    if not clean.get("name"):
        error("name", _("A name is required."))
    if "leika_id" in values:
        _clean_leika(values["leika_id"], clean, error)
    _clean_fee(values, clean, error)
    if "synonyms" in values:
        _clean_synonyms(values["synonyms"], clean, error)
    if "translations" in values:
        _clean_translations(values["translations"], clean, error)
    if "position" in values:
        _clean_position(values["position"], clean, error)
    if "active" in values:
        _clean_active(values["active"], clean, error)
    return clean, errors


def _clean_text(value, name, clean, error) -> None:
    if not isinstance(value, str):
        error(name, _("Expected text."))
    elif len(value.strip()) > LIMITS[name]:
        error(name, _("At most %(n)d characters.", n=LIMITS[name]))
    else:
        clean[name] = value.strip()


def _clean_leika(value, clean, error) -> None:
    key = re.sub(r"\s", "", value) if isinstance(value, str) else value
    if key in ("", None):
        clean["leika_id"] = None
    elif isinstance(key, str) and re.fullmatch(r"\d{14}", key):
        clean["leika_id"] = key
    else:
        error("leika_id", _("A LeiKa key has 14 digits."))


def parse_fee(text: str) -> int | None:
    """Cents of "37,00 €", "37.5", "1.234,56 EUR" or "0"; None where the text is no amount."""
    found = _FEE.match(text.strip())
    if not found:
        return None
    euros = int(found.group(1).replace(".", ""))
    cents = (found.group(2) or "0").ljust(2, "0")
    return euros * 100 + int(cents)


def _clean_fee(values, clean, error) -> None:
    if "fee_cents" in values:
        cents = values["fee_cents"]
        if isinstance(cents, str) and cents.strip().isdigit():
            cents = int(cents)
        if cents in ("", None):
            clean["fee_cents"] = None
        elif isinstance(cents, int) and not isinstance(cents, bool) and cents >= 0:
            clean["fee_cents"] = cents
        else:
            error("fee_cents", _("The fee must be a whole number of cents, 0 or more."))
    if "fee" in values:
        fee = values["fee"]
        cents = parse_fee(fee) if isinstance(fee, str) else None
        if fee in ("", None):
            cents = None
        elif cents is None:
            error("fee", _('The fee must be an amount in euros, like "37,00 €".'))
            return
        if "fee_cents" in clean and clean["fee_cents"] != cents:
            error("fee", _("fee and fee_cents differ."))
        clean["fee_cents"] = cents


def _clean_synonyms(value, clean, error) -> None:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        error("synonyms", _("Expected a list of words."))
        return
    words = [s.strip() for s in value if s.strip()]
    if any(len(s) > LIMITS["synonym"] or "\n" in s for s in words):
        error("synonyms", _("A synonym has at most %(n)d characters.", n=LIMITS["synonym"]))
        return
    clean["synonyms"] = "\n".join(words)


def _clean_translations(value, clean, error) -> None:
    if not isinstance(value, dict):
        error("translations", _("Expected an object of languages."))
        return
    known, translations = languages(), {}
    for language, texts in value.items():
        if language not in known:
            error("translations", _("Unknown language: %(code)s.", code=str(language)))
            continue
        if not isinstance(texts, dict):
            error("translations", _("Expected an object of texts."))
            continue
        for name, text in texts.items():
            label = f"{name}_{language}"
            if name not in TEXTS:
                error(label, _("Unknown field."))
            elif not isinstance(text, str):
                error(label, _("Expected text."))
            elif len(text.strip()) > LIMITS[name]:
                error(label, _("At most %(n)d characters.", n=LIMITS[name]))
            elif text.strip():
                translations.setdefault(language, {})[name] = text.strip()
    clean["translations"] = translations


def _clean_position(value, clean, error) -> None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if value == "":
        return
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100_000:
        clean["position"] = value
    else:
        error("position", _("The position must be a whole number, 0 or more."))


def _clean_active(value, clean, error) -> None:
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        value = value.strip().lower() in TRUE
    if isinstance(value, bool):
        clean["active"] = value
    else:
        error("active", _("Expected yes or no."))


# -- matching and applying -------------------------------------------------------------------


@dataclass
class _Plan:
    where: str
    service: Service | None  # None: a new service
    values: dict


def _plan(municipality: Municipality, entries: list[_Entry]):
    catalogue = list(
        db.session.scalars(sa.select(Service).where(Service.municipality_id == municipality.id))
    )
    by_leika = {s.leika_id: s for s in catalogue if s.leika_id}
    by_name = {s.name: s for s in catalogue}
    plans, errors, seen = [], [], {}
    for entry in entries:
        values, entry_errors = _clean(entry)
        errors += entry_errors
        if entry_errors:
            continue
        leika = values.get("leika_id")
        service = by_leika.get(leika) or by_name.get(values["name"])
        keys = {("name", values["name"])}
        keys |= {("leika", leika)} if leika else set()
        keys |= {("service", service.id)} if service is not None else set()
        earlier = next((seen[k] for k in keys if k in seen), None)
        if earlier is not None:
            message = _("This is the same service as %(where)s.", where=earlier)
            errors.append(RowError(entry.where, "", message))
            continue
        seen.update(dict.fromkeys(keys, entry.where))
        plans.append(_Plan(entry.where, service, values))
    return catalogue, plans, errors


def _differences(service: Service, values: dict) -> dict:
    changed = {}
    for name, value in values.items():
        current = getattr(service, name)
        if name == "translations":
            current = current or {}
        if current != value:
            changed[name] = value
    return changed


def import_catalogue(
    municipality: Municipality,
    data: bytes,
    filename: str = "",
    *,
    actor: StaffMember | str | None = None,
    dry_run: bool = False,
    deactivate_missing: bool = False,
) -> Report:
    """Import a catalogue file into `municipality`'s catalogue (see the module docstring)."""
    report = Report(dry_run=dry_run)
    entries, report.errors = read(data, filename)
    catalogue, plans, errors = _plan(municipality, entries)
    report.errors += errors
    if report.errors:
        return report
    next_position = max((s.position for s in catalogue), default=0) + 1
    for plan in plans:
        if plan.service is None:
            report.created.append(plan.values["name"])
            if not dry_run:
                plan.values.setdefault("position", next_position)
                _create(municipality, plan.values, actor)
            next_position += 1
            continue
        changed = _differences(plan.service, plan.values)
        if not changed:
            report.unchanged.append(plan.service.name)
            continue
        report.updated.append(Update(plan.values.get("name", plan.service.name), sorted(changed)))
        if not dry_run:
            _update(municipality, plan.service, changed, actor)
    matched = {p.service.id for p in plans if p.service is not None}
    for service in catalogue:
        if service.id in matched:
            continue
        report.missing.append(service.name)
        if deactivate_missing and service.active:
            report.deactivated.append(service.name)
            if not dry_run:
                _update(municipality, service, {"active": False}, actor)
    if not dry_run and report.changes:  # a second import of the same file writes nothing
        _record_import(municipality, report, filename, actor)
    return report


def _create(municipality: Municipality, values: dict, actor) -> None:
    service = Service(municipality=municipality, **values)
    db.session.add(service)
    db.session.flush()
    after = audit.snapshot(service, FIELDS)
    changes = audit.changes({}, after, hidden=("description", "what_to_bring", "translations"))
    audit.record(
        actor, "service_create", municipality_id=municipality.id, subject=service.name, **changes
    )


def _update(municipality: Municipality, service: Service, changed: dict, actor) -> None:
    before = audit.snapshot(service, changed)
    for name, value in changed.items():
        setattr(service, name, value)
    db.session.flush()
    changes = audit.changes(
        before,
        audit.snapshot(service, changed),
        hidden=("description", "what_to_bring", "translations"),
    )
    audit.record(
        actor, "service_change", municipality_id=municipality.id, subject=service.name, **changes
    )


def _record_import(municipality: Municipality, report: Report, filename: str, actor) -> None:
    audit.record(
        actor,
        "catalogue_import",
        municipality_id=municipality.id,
        file=filename[:200],
        created=len(report.created),
        updated=len(report.updated),
        unchanged=len(report.unchanged),
        missing=len(report.missing),
        deactivated=len(report.deactivated),
    )
