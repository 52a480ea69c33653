"""The Nu Html Checker that every page test relies on: it passes a valid document and names
the errors of a broken one (a checker that found nothing at all would pass every page)."""

import pytest

from tests.browser.conftest import check_html, check_html_documents

pytestmark = pytest.mark.browser

VALID = '<!doctype html><html lang="de"><meta charset="utf-8"><title>Termin</title><p>Grüß Gott'
BROKEN = '<!doctype html><html lang="de"><title>Termin</title><p>Text<div></span>'


def test_a_valid_document_passes():
    check_html(VALID, "valid")


def test_the_errors_of_a_broken_document_are_named():
    with pytest.raises(AssertionError) as failure:
        check_html_documents({"valid": VALID, "broken": BROKEN})
    assert "broken line 1: Stray end tag “span”." in str(failure.value)
    assert "valid line" not in str(failure.value)
