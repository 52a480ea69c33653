"""The checkers every page test relies on, axe-core and the Nu Html Checker: each passes a good
document and names what is wrong with a bad one (a checker that found nothing at all would pass
every page)."""

import pytest

from tests.browser.conftest import check_axe, check_html, check_html_documents

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


def test_axe_passes_a_good_page_and_names_the_violations_of_a_bad_one(page):
    page.set_content(VALID)
    check_axe(page)
    page.set_content('<!doctype html><html lang="de"><title>Termin</title><img src="x.png">')
    with pytest.raises(AssertionError) as failure:
        check_axe(page)
    assert "image-alt" in str(failure.value)
