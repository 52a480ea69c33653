"""The webhook admin pages and the staff calendar page in the browser: axe-core and the Nu
Html Checker clean, in German and Arabic (RTL), at phone width, with a new secret shown."""

import pytest

from terminvergabe.auth import operations
from terminvergabe.booking.models import Role
from terminvergabe.db import db
from terminvergabe.integrations import operations as hooks
from terminvergabe.integrations.models import Event
from tests.auth.staff import PASSWORD
from tests.browser.conftest import check_page, office_text_without_lang, screenshot

PHONE = {"width": 390, "height": 844}


def log_in(page, live_server, login):
    page.goto(live_server.url("/staff/login"))
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["de", "ar"])
def test_webhook_pages(browser, live_server, office, now, lang):
    operations.create_staff(
        "stadtadmin", PASSWORD, "Stadt Admin", [Role.ADMIN], municipality=office.municipality
    )
    endpoint, _ = hooks.create_endpoint(
        office.municipality_id,
        "https://hooks.example.org/termine",
        [e.value for e in Event],
        "ids",
        None,
        now,
        name="Stadt-App",
    )
    base = f"/admin/m/{office.municipality_id}/webhooks"
    edit = f"{base}/{endpoint.id}"
    db.session.commit()  # SQLite: no transaction of the test may hold the write lock
    context = browser.new_context(viewport=PHONE)
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url()}])
    page = context.new_page()
    try:
        log_in(page, live_server, "stadtadmin")
        page.goto(live_server.url(base))
        check_page(page, f"webhooks-{lang}")
        assert office_text_without_lang(page) == []
        page.fill("#url", "https://crm.example.org/hook")
        page.check("input[name=events][value='appointment.booked']")
        page.click("form.admin-form[aria-labelledby=new-endpoint] button[type=submit]")
        assert page.input_value("#new-secret").startswith("whsec_")
        check_page(page, f"webhooks-secret-{lang}")
        screenshot(page, f"webhooks-secret-{lang}")
        page.goto(live_server.url(edit))
        check_page(page, f"webhook-edit-{lang}")
        page.goto(live_server.url("/staff/calendar"))
        check_page(page, f"staff-calendar-{lang}")
        page.click(
            "button:has-text('{}')".format(
                "Abonnement-Adresse erstellen" if lang == "de" else "إنشاء عنوان اشتراك"
            )
        )
        assert "/feeds/" in page.input_value("#new-feed-url")
        check_page(page, f"staff-calendar-new-{lang}")
        screenshot(page, f"staff-calendar-{lang}")
    finally:
        context.close()
