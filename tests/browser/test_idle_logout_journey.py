"""The idle-logout warning and "Restore what you typed?" (static/js/idle.js), in Chromium.

The limit is shortened to 16 seconds with a 10-second warning (the same settings production
reads, 900 and 120), so the page warns 6 seconds after it loaded. The waits below are
Playwright's auto-waiting assertions, not timed assertions.
"""

import json
import re

import pytest

from healthpm.audit.models import AuditEvent
from healthpm.initiatives.models import Initiative

from .helpers import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAFT_KEY = "healthpm:draft:/initiatives/new/"


@pytest.fixture(autouse=True)
def _short_idle_limit(settings):
    settings.HEALTHPM_IDLE_LOGOUT_SECONDS = 16
    settings.HEALTHPM_IDLE_WARNING_SECONDS = 10


def test_the_warning_keeps_the_session_and_an_expiry_keeps_what_was_typed(browse, shoot, pm):
    page = browse.sign_in(pm)
    page.goto(browse.url("/initiatives/new/"))
    page.fill("#id_title", "Pressure injury risk")
    page.fill("#id_summary", "Flags inpatients at risk of pressure injuries at each shift change.")

    # --- the warning: a modal dialog, focus on "Stay signed in", Esc means stay -------------------
    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("signs you out after 16 seconds")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    shoot(page, "idle-01-warning")
    with page.expect_response(lambda r: r.url.endswith("/accounts/keep-alive/")) as kept:
        page.keyboard.press("Escape")
    assert kept.value.status == 200 and kept.value.json()["remaining_seconds"] == 16
    expect(dialog).to_be_hidden()
    assert page.url == browse.url("/initiatives/new/")
    assert not AuditEvent.objects.filter(action="session_timeout").exists()

    # --- the session expires anyway: the draft stays in this tab, the server signs out -----------
    expect(dialog).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Finitiatives%2Fnew%2F$"), timeout=30_000)
    expect(page.locator("main")).to_contain_text("You were signed out after 1 minute without activity")
    assert AuditEvent.objects.filter(action="session_timeout", actor=pm).exists()
    draft = json.loads(page.evaluate(f"() => sessionStorage.getItem('{DRAFT_KEY}')"))
    kept_names = {field["name"] for form in draft["forms"] for field in form["fields"]}
    assert kept_names == {"title", "summary"}  # what was typed, never the CSRF token or a password
    assert "csrfmiddlewaretoken" not in json.dumps(draft)
    shoot(page, "idle-02-signed-out")

    # --- signing in again on the same page offers it back -------------------------------------------
    page.fill("#id_username", pm.username)
    page.fill("#id_password", browse.password)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(browse.url("/initiatives/new/"))
    offer = page.get_by_role("region", name="Restore what you typed")
    expect(offer).to_contain_text("Restore what you typed?")
    expect(page.locator("#id_title")).to_have_value("")
    shoot(page, "idle-03-restore-offer")
    offer.get_by_role("button", name="Restore what I typed").click()

    expect(page.locator("#id_title")).to_have_value("Pressure injury risk")
    expect(page.locator("#id_summary")).to_have_value(
        "Flags inpatients at risk of pressure injuries at each shift change.")
    expect(offer).to_contain_text("Restored 2 fields")
    assert page.evaluate(f"() => sessionStorage.getItem('{DRAFT_KEY}')") is None
    assert not Initiative.objects.exists()  # nothing was sent to the server while signed out
    shoot(page, "idle-04-restored")
    browse.assert_clean()
