"""Catalogue import: JSON and CSV, matching by LeiKa key or name, idempotence, errors that
import nothing, and the report."""

import json

import sqlalchemy as sa
from flask_babel import gettext

from terminvergabe.audit import AuditEntry
from terminvergabe.booking import catalogue_import
from terminvergabe.booking.catalogue_import import import_catalogue, parse_fee
from terminvergabe.booking.models import Service
from terminvergabe.db import db
from tests import factories

PERSO = {
    "leika_id": "99008001014000",
    "name": "Verlust des Personalausweises melden",
    "fee": "0,00 €",
    "what_to_bring": "Ein anderes Ausweisdokument.",
    "synonyms": ["Ausweis verloren", "Perso weg"],
    "translations": {"en": {"name": "Report a lost identity card"}},
}
PASS = {"name": "Reisepass beantragen", "fee_cents": 7000, "fee_note": "unter 24 Jahren 37,50 €"}


def _json(*entries) -> bytes:
    return json.dumps(list(entries), ensure_ascii=False).encode()


def _catalogue(municipality) -> dict[str, Service]:
    rows = db.session.scalars(sa.select(Service).where(Service.municipality_id == municipality.id))
    return {s.name: s for s in rows}


def entry(n: int) -> str:
    """The report's name of the n-th JSON entry, in the app's language."""
    return gettext("entry %(n)d", n=n)


def line(n: int) -> str:
    return gettext("line %(n)d", n=n)


def _audit(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def test_json_creates_services_with_every_field(app_ctx):
    town = factories.create_municipality("x")
    report = import_catalogue(town, _json(PERSO, PASS), "c.json", actor="cli")
    db.session.commit()
    assert report.created == [PERSO["name"], PASS["name"]] and not report.errors
    lost = _catalogue(town)[PERSO["name"]]
    assert lost.leika_id == "99008001014000" and lost.fee_cents == 0
    assert lost.synonym_list == ["Ausweis verloren", "Perso weg"]
    assert lost.text("name", "en") == "Report a lost identity card"
    assert _catalogue(town)[PASS["name"]].fee_note == "unter 24 Jahren 37,50 €"
    assert len(_audit("service_create")) == 2
    (entry,) = _audit("catalogue_import")
    assert entry.municipality_id == town.id and entry.details["created"] == 2


def test_importing_the_same_file_twice_changes_nothing(app_ctx):
    town = factories.create_municipality("x")
    data = _json(PERSO, PASS)
    import_catalogue(town, data, "c.json")
    db.session.commit()
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    again = import_catalogue(town, data, "c.json")
    db.session.commit()
    assert again.unchanged == [PERSO["name"], PASS["name"]]
    assert not again.created and not again.updated and again.changes == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == entries


def test_matching_by_leika_key_then_by_name_reports_changed_fields(app_ctx):
    town = factories.create_municipality("x")
    import_catalogue(town, _json(PERSO, PASS), "c.json")
    renamed = {**PERSO, "name": "Personalausweis verloren", "fee": "5,00 €"}
    passport = {**PASS, "leika_id": "99999999999901"}  # gains a key, matched by name
    report = import_catalogue(town, _json(renamed, passport), "c.json")
    fields = {u.name: u.fields for u in report.updated}
    assert fields == {"Personalausweis verloren": ["fee_cents", "name"], PASS["name"]: ["leika_id"]}
    catalogue = _catalogue(town)
    assert set(catalogue) == {"Personalausweis verloren", PASS["name"]}
    assert catalogue[PASS["name"]].leika_id == "99999999999901"


def test_csv_with_bom_and_semicolons_and_translation_columns(app_ctx):
    town = factories.create_municipality("x")
    csv = (
        "\ufeffleika_id;name;fee;fee_note;synonyms;name_en;what_to_bring_tr;active\n"
        '99008001014000;Verlust melden;"0,00 €";;Ausweis verloren|Perso weg;Report a loss;'
        "Kimlik;ja\n"
        ";Reisepass beantragen;70,00 €;unter 24 Jahren 37,50 €;Pass;;;nein\n"
    ).encode()
    report = import_catalogue(town, csv, "katalog.csv")
    assert report.created == ["Verlust melden", "Reisepass beantragen"], report.errors
    catalogue = _catalogue(town)
    lost = catalogue["Verlust melden"]
    assert lost.synonym_list == ["Ausweis verloren", "Perso weg"] and lost.fee_cents == 0
    assert lost.translations == {"en": {"name": "Report a loss"}, "tr": {"what_to_bring": "Kimlik"}}
    assert catalogue["Reisepass beantragen"].fee_cents == 7000
    assert catalogue["Reisepass beantragen"].active is False
    assert import_catalogue(town, csv, "katalog.csv").changes == 0


def test_comma_separated_csv_without_bom(app_ctx):
    town = factories.create_municipality("x")
    report = import_catalogue(town, b'name,fee\nMeldebescheinigung,"10,00"\n', "k.csv")
    assert report.created == ["Meldebescheinigung"]
    assert _catalogue(town)["Meldebescheinigung"].fee_cents == 1000


def test_a_file_with_errors_imports_nothing_and_names_each_error(app_ctx):
    town = factories.create_municipality("x")
    bad = [
        PASS,
        {"name": "", "leika_id": "9910"},
        {"name": "Teuer", "fee_cents": -1, "translations": {"fr": {"name": "Cher"}}},
        {"name": "Reisepass beantragen"},
        {"name": "X" * 201, "colour": "red"},
    ]
    report = import_catalogue(town, _json(*bad), "c.json")
    found = {(e.where, e.field) for e in report.errors}
    assert {
        (entry(2), "name"),
        (entry(2), "leika_id"),
        (entry(3), "fee_cents"),
        (entry(3), "translations"),
        (entry(4), ""),  # the same service as entry 1
        (entry(5), "name"),
        (entry(5), "colour"),
    } <= found
    assert not report.created and not report.applied
    assert _catalogue(town) == {} and not _audit("catalogue_import")


def test_csv_errors_name_the_line(app_ctx):
    town = factories.create_municipality("x")
    data = b"name;fee;farbe\nA;1,00\nB;zwei Euro\n"
    report = import_catalogue(town, data, "k.csv")
    assert {(e.where, e.field) for e in report.errors} == {(line(1), "farbe"), (line(3), "fee")}
    assert _catalogue(town) == {}


def test_unreadable_files_are_refused(app_ctx):
    town = factories.create_municipality("x")
    for data, name in (
        (b"\xff\xfe n", "k.csv"),
        (b"[{", "k.json"),
        (b"{}", "k.json"),
        (b"", "k.csv"),
        (b"x" * (catalogue_import.MAX_BYTES + 1), "k.csv"),
    ):
        report = import_catalogue(town, data, name)
        assert report.errors and not report.created, name


def test_missing_services_are_reported_and_deactivated_only_on_request(app_ctx):
    town = factories.create_municipality("x")
    import_catalogue(town, _json(PERSO, PASS), "c.json")
    report = import_catalogue(town, _json(PASS), "c.json")
    assert report.missing == [PERSO["name"]] and not report.deactivated
    assert _catalogue(town)[PERSO["name"]].active
    dry = import_catalogue(town, _json(PASS), "c.json", dry_run=True, deactivate_missing=True)
    assert dry.deactivated == [PERSO["name"]] and _catalogue(town)[PERSO["name"]].active
    done = import_catalogue(town, _json(PASS), "c.json", deactivate_missing=True)
    assert done.deactivated == [PERSO["name"]]
    assert not _catalogue(town)[PERSO["name"]].active


def test_a_dry_run_changes_nothing(app_ctx):
    town = factories.create_municipality("x")
    report = import_catalogue(town, _json(PERSO), "c.json", dry_run=True)
    assert report.created == [PERSO["name"]] and report.dry_run and not report.applied
    assert _catalogue(town) == {} and not _audit("catalogue_import")


def test_catalogues_of_other_municipalities_are_untouched(app_ctx):
    town, other = factories.create_municipality("x"), factories.create_municipality("y")
    import_catalogue(other, _json(PERSO), "c.json")
    report = import_catalogue(town, _json(PERSO), "c.json")
    assert report.created == [PERSO["name"]] and not report.missing
    assert len(_catalogue(other)) == 1 and len(_catalogue(town)) == 1


def test_fees_are_read_as_german_or_plain_amounts():
    assert parse_fee("37,00 €") == 3700
    assert parse_fee("22,8") == 2280
    assert parse_fee("EUR 1.234,56") == 123456
    assert parse_fee("70") == 7000
    assert parse_fee("zwei") is None and parse_fee("-5") is None
