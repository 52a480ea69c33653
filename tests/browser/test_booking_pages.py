"""The citizen pages in Chromium: axe-core and the Nu checker on every page in every language,
the whole booking by mouse, by keyboard alone and with JavaScript switched off."""

import pytest

from terminvergabe.db import db
from tests import factories
from tests.browser.conftest import check_page, screenshot


@pytest.fixture
def office_slug(live_server):
    office = factories.create_office()
    db.session.commit()
    slug = office.slug
    db.session.rollback()  # end the read transaction: on SQLite it would hold the write lock
    return slug


@pytest.mark.browser
def test_index_is_accessible(live_server, page, office_slug):
    page.goto(live_server.url("/"))
    check_page(page, "index")
    screenshot(page, "index-de")
