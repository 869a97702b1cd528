"""Real browser journeys: Debian's Chromium driven by Playwright against the live server."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("HEALTHPM_CHROMIUM", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in this thread; the ORM calls in the test body
# are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not installed at {CHROMIUM} (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def sign_in(browser, live_server, password):
    """sign_in(user) opens a fresh browser context and signs in through the login form."""
    contexts = []

    def _sign_in(user):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button:has-text('Sign in')")
        page.wait_for_load_state()
        return page

    yield _sign_in
    for context in contexts:
        context.close()


@pytest.fixture
def shoot():
    """Saves a full-page screenshot when HEALTHPM_SCREENSHOTS names a folder."""
    folder = os.environ.get("HEALTHPM_SCREENSHOTS")

    def _shoot(page, name):
        if folder:
            os.makedirs(folder, exist_ok=True)
            page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)

    return _shoot
