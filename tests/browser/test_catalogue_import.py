"""The catalogue import page in the browser: the check with its report, an error report and
the import, each passing axe-core and the Nu Html Checker, in German and Arabic at 390 px."""

import json

import pytest

from terminvergabe.auth import operations
from terminvergabe.booking.models import Role
from terminvergabe.db import db
from tests.auth.staff import PASSWORD, forget_setup_entries
from tests.browser.conftest import check_page, screenshot

GOOD = [
    {"name": "Wunschkennzeichen reservieren", "fee": "12,80 €", "synonyms": ["Kennzeichen"]},
    {"name": "Personalausweis beantragen", "fee": "37,00 €", "fee_note": "unter 24 Jahren 22,80 €"},
]
BAD = [{"name": "", "leika_id": "123"}, {"name": "Teuer", "fee_cents": -1}]


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["de", "ar"])
def test_check_and_import_a_catalogue(live_server, page, office, tmp_path, lang):
    town = office.municipality
    url = f"/admin/m/{town.id}/catalogue/import"
    operations.create_staff("stadt", PASSWORD, "Stadt Admin", [Role.ADMIN], municipality=town)
    forget_setup_entries()
    db.session.commit()  # and no more queries here: the server needs SQLite's write lock
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url(f"/staff/login?lang={lang}&next={url}"))
    page.fill("input[name=login]", "stadt")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{url}")
    check_page(page, f"catalogue-import-{lang}")

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(BAD))
    page.set_input_files("#catalogue-file", str(bad))
    page.click("button[value=check]")
    check_page(page, f"catalogue-import-errors-{lang}")
    screenshot(page, f"catalogue-import-errors-{lang}")
    assert page.locator("button[value=import]").count() == 0

    good = tmp_path / "katalog.json"
    good.write_text(json.dumps(GOOD, ensure_ascii=False))
    page.set_input_files("#catalogue-file", str(good))
    page.click("button[value=check]")
    check_page(page, f"catalogue-import-check-{lang}")
    screenshot(page, f"catalogue-import-check-{lang}")
    page.click("button[value=import]")
    page.wait_for_selector(".notice")
    check_page(page, f"catalogue-import-done-{lang}")
