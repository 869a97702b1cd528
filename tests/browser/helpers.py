"""What a person does on a gate page, as Playwright steps the journeys share."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from tests.factories import pdf_bytes

if TYPE_CHECKING:
    from playwright.sync_api import Page


def expect(target):
    """Playwright's auto-waiting assertion, imported late so a machine without Playwright skips
    (conftest.py says why) instead of failing to collect."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def pdf_file(name: str, line: str = "") -> dict:
    """A small, real PDF (as tests/factories.pdf_bytes) that also carries a line of its own, so
    every upload has a distinct SHA-256."""
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes(line or name)}


def csv_file(name: str, rows: list[tuple]) -> dict:
    text = "\n".join(",".join(str(c) for c in row) for row in rows) + "\n"
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def flash(page: Page):
    """The page's success/info messages."""
    return page.locator("main .messages")


def fill(page: Page, values: dict[str, str]) -> None:
    """Type or choose each value; selects are chosen by value, everything else typed."""
    for selector, value in values.items():
        field = page.locator(selector)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def save_facts(page: Page, title: str) -> None:
    page.click("button:has-text('Save facts')")
    expect(flash(page)).to_contain_text(f"“{title}” saved.")


def add_evidence(page: Page, item: str, file: dict, *, effective: date | None = None,
                 expiry: date | None = None) -> None:
    """Upload a file for a checklist item through the "Add evidence" form."""
    form = page.locator("#evidence-form")
    form.locator("#id_item").select_option(item)
    form.locator("#id_file").set_input_files(files=[file])
    if effective:
        form.locator("#id_effective_date").fill(effective.isoformat())
    if expiry:
        form.locator("#id_expiry_date").fill(expiry.isoformat())
    form.locator("button:has-text('Add evidence')").click()
    expect(flash(page)).to_contain_text(f"Evidence “{file['name']}” (v")


def submit_gate(page: Page, title: str, note: str = "", response: str = "") -> None:
    """Submit a gate; after a rejection `response` answers the reviewer (the form then asks for it)."""
    if response:
        expect(page.locator("#rejection")).to_be_visible()
        page.fill("#id_response", response)
    else:
        expect(page.locator("text=ready to submit")).to_be_visible()
    if note:
        page.fill("#id_note", note)
    page.click("button:has-text('Submit to compliance')")
    expect(flash(page)).to_contain_text(f"“{title}” submitted. Compliance officers have been notified.")
    expect(page.locator("h1 .status-badge")).to_have_text("Submitted for review")


def decide(page: Page, title: str, decision: str, reason: str = "") -> None:
    """A compliance officer records a decision on a submitted gate."""
    page.check(f"input[name='decision'][value='{decision}']")
    if reason:
        page.fill("#id_reason", reason)
    page.click("button:has-text('Record decision')")
    expect(flash(page)).to_contain_text(f"“{title}” {decision}.")
