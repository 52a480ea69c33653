"""Finding catalogue services by what citizens type (terminvergabe/booking/catalogue_search.py)."""

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminvergabe.booking.catalogue_search import (
    normalise,
    search,
    stem,
    substring_distance,
    word_fit,
    words,
)


def service(id, name, synonyms="", leika_id=None, translations=None):
    return SimpleNamespace(
        id=id, name=name, synonyms=synonyms, leika_id=leika_id, translations=translations or {}
    )


CATALOGUE = [
    service(
        1,
        "Personalausweis beantragen",
        "Perso\nAusweis\nID-Karte",
        "99102013000000",
        {"en": {"name": "Apply for an identity card"}, "tr": {"name": "Kimlik kartı başvurusu"}},
    ),
    service(2, "Reisepass beantragen", "Pass\nKinderreisepass", "99102015000000"),
    service(3, "Anmeldung einer Wohnung", "Ummeldung\nUmzug\nWohnsitz anmelden"),
    service(4, "Führerschein umschreiben", "Fahrerlaubnis\nFührerschein umtauschen"),
    service(5, "Fahrzeug zulassen", "Auto anmelden\nKfz-Zulassung"),
    service(6, "Meldebescheinigung"),
]


def names(query):
    return [found.service.name for found in search(query, CATALOGUE)]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("Ausweis", "Personalausweis beantragen"),  # a synonym, and a part of the name
        ("ausweis", "Personalausweis beantragen"),
        ("perso", "Personalausweis beantragen"),  # a short form
        ("Reisepas", "Reisepass beantragen"),  # a typo, and the beginning of a word
        ("Reisepass beantragen", "Reisepass beantragen"),
        ("ummelden", "Anmeldung einer Wohnung"),  # an inflected synonym
        ("Umzug", "Anmeldung einer Wohnung"),
        ("Führerschein", "Führerschein umschreiben"),
        ("Fuehrerschein", "Führerschein umschreiben"),  # umlaut spelled out
        ("Fürerschein", "Führerschein umschreiben"),  # a letter missing
        ("Persnalausweis", "Personalausweis beantragen"),
        ("ausweiss", "Personalausweis beantragen"),  # a typo in a part of a compound
        ("passport", None),  # no English translation of the passport in this catalogue
        ("identity card", "Personalausweis beantragen"),  # the English name
        ("kimlik", "Personalausweis beantragen"),  # the Turkish name
        ("99102013000000", "Personalausweis beantragen"),  # the LeiKa key
        ("9910 2013 000000", "Personalausweis beantragen"),
        ("ich brauche einen neuen Perso", "Personalausweis beantragen"),  # filler left out
        ("Wohnung anmelden", "Anmeldung einer Wohnung"),
        ("Meldebescheinigung", "Meldebescheinigung"),
    ],
)
def test_finds_the_service_citizens_mean(query, first):
    found = names(query)
    if first is None:
        assert found == []
    else:
        assert found[0] == first, found


def test_a_service_must_fit_every_telling_word():
    assert names("Reisepass beantragen") == ["Reisepass beantragen"]  # not every "beantragen"
    assert names("beantragen") == ["Personalausweis beantragen", "Reisepass beantragen"]


def test_exact_name_ranks_before_a_part_of_a_word():
    assert names("melde")[0] == "Meldebescheinigung"
    assert set(names("melde")) >= {"Meldebescheinigung", "Anmeldung einer Wohnung"}


def test_nonsense_short_and_empty_queries_find_nothing():
    for query in ("xyzzy", "", "   ", "ab", "!!", "Hundesteuer"):
        assert names(query) == [], query


def test_typos_are_allowed_by_length():
    assert word_fit("pas", "pos") == 0.0  # three letters: no typo allowed
    assert word_fit("umzog", "umzug") > 0  # five letters: one typo
    assert word_fit("umzxx", "umzug") == 0.0  # but not two
    assert word_fit("personalasweiss", "personalausweis") > 0  # fifteen: two


def test_leika_key_prefix_needs_five_digits():
    assert names("9910201") == ["Personalausweis beantragen", "Reisepass beantragen"]
    assert names("99") == []


def test_normalise_spells_out_umlauts_and_drops_accents():
    assert normalise("Führerschein Straße") == "fuehrerschein strasse"
    assert normalise("Başvurusu") == "basvurusu"
    assert words("Anmeldung einer Wohnung") == ["anmeldung", "wohnung"]


def test_stem_cuts_german_endings_but_keeps_four_letters():
    assert stem("anmeldung") == stem("anmelden") == "anmeld"
    assert stem("pass") == "pass"


def test_substring_distance():
    assert substring_distance("ausweis", "personalausweis") == 0
    assert substring_distance("ausweiss", "personalausweis") == 1
    assert substring_distance("reisepsas", "reisepass") == 1  # two letters swapped
    assert substring_distance("", "x") == 0


@given(st.text(max_size=60))
def test_any_query_is_answered_without_error(query):
    for found in search(query, CATALOGUE):
        assert found.score > 0


def test_overlong_queries_are_cut():
    assert names("Reisepass " + "x" * 5000) == ["Reisepass beantragen"]
