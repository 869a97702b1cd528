"""Real browser journeys: Debian's Chromium driven by Playwright against the live server.

Every page is watched while a test drives it: a Content-Security-Policy violation or an
uncaught JavaScript error reported by the browser fails the test (`browse.assert_clean()`),
so a template that slips an inline script or style attribute past the policy is caught here.

Without Chromium or axe-core the tests skip with the install hint; with CI set they fail
instead, so a CI run can never go green without having driven a browser. HEALTHPM_CHROMIUM and
HEALTHPM_AXE name another Chromium binary or axe.min.js.
"""

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.required import unavailable_for

CHROMIUM = os.environ.get("HEALTHPM_CHROMIUM", "/usr/bin/chromium")
AXE = Path(os.environ.get("HEALTHPM_AXE", Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"))
# The URL the pages load axe-core from. Playwright answers it from the file above, so the
# script is same-origin and the CSP's script-src 'self' lets it run without bypass_csp.
AXE_PATH = "/__browser-tests__/axe.min.js"
# Two shared cores render a signed dossier in a few seconds; no single step should take longer.
TIMEOUT_MS = 20_000
# Playwright's sync API runs an event loop in this thread; the ORM calls in the test body
# are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(config, items):
    """Everything in this folder drives Chromium, so `-m "not browser"` (make test-fast) leaves it
    out even when a new module forgets its pytestmark. The hook sees the whole session's items."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


# Without Chromium or axe-core: skip here, fail in CI.
unavailable = unavailable_for("Browser tests")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        unavailable(f"Chromium is not installed at {CHROMIUM} (`make install` or .ci/system-deps installs "
                    "Debian's chromium; HEALTHPM_CHROMIUM names another binary).")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (`make install`).")
    expect.set_options(timeout=TIMEOUT_MS)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE.exists():
        unavailable(f"axe-core is missing at {AXE} (`make install` runs npm ci --prefix tests/browser).")
    return AXE


@dataclass
class Watch:
    """What the browser reported while a context was open."""

    csp_violations: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    policies: set[str] = field(default_factory=set)

    def on_console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_violations.append(f"{message.text} (at {message.location.get('url', '?')})")

    def on_page_error(self, error) -> None:
        self.page_errors.append(str(error))

    def on_response(self, response) -> None:
        if response.request.resource_type == "document":
            self.policies.add(response.headers.get("content-security-policy", ""))


class Browse:
    """Opens browser contexts for a test (anonymous or signed in) and watches every page they load."""

    def __init__(self, browser, live_server, password: str):
        self.browser, self.live_server, self.password = browser, live_server, password
        self.contexts, self.watch = [], Watch()

    def url(self, path: str) -> str:
        return f"{self.live_server.url}{path}"

    def new_page(self):
        context = self.browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        context.on("console", self.watch.on_console)
        context.on("weberror", lambda web_error: self.watch.on_page_error(web_error.error))
        # Only healthpm's own pages answer for its policy (a test identity provider's do not).
        context.on("response", lambda response: self.watch.on_response(response)
                   if response.url.startswith(self.live_server.url) else None)
        if AXE.exists():
            context.route(self.url(AXE_PATH), lambda route: route.fulfill(
                path=str(AXE), content_type="application/javascript"))
        return context.new_page()

    def sign_in(self, user, *, password: str | None = None):
        """A fresh context, signed in through the login form (django-axes sees a real login)."""
        page = self.new_page()
        page.goto(self.url("/accounts/login/"))
        page.fill("#id_username", user.username)
        page.fill("#id_password", password or self.password)
        page.click("button:has-text('Sign in')")
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url, f"{user.username} could not sign in: {page.inner_text('main')}"
        return page

    def assert_clean(self) -> None:
        """No CSP violation and no uncaught script error on any page, under a policy that forbids inline code."""
        watch = self.watch
        assert not watch.csp_violations, "Content-Security-Policy violations:\n" + "\n".join(watch.csp_violations)
        assert not watch.page_errors, "Uncaught JavaScript errors:\n" + "\n".join(watch.page_errors)
        # Without a policy the check above proves nothing: every page must carry one.
        assert watch.policies and all("script-src 'self'" in p for p in watch.policies), (
            f"A page was served without the script-src 'self' policy: {watch.policies}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browse(browser, live_server, password):
    session = Browse(browser, live_server, password)
    yield session
    session.close()


@pytest.fixture
def sign_in(browse):
    """sign_in(user) opens a fresh browser context and signs in through the login form."""
    return browse.sign_in


@pytest.fixture
def signing_cert(settings, tmp_path_factory):
    """This deployment's dossier signing certificate (made once per run), with the settings pointing at it."""
    from healthpm.dossier import signing

    folder = tmp_path_factory.getbasetemp() / "browser-signing"
    path = folder / "healthpm-signing.p12"
    if not path.exists():
        folder.mkdir(exist_ok=True)
        signing.make_certificate(path, secret=b"browser-test-passphrase")
    settings.HEALTHPM_SIGNING_P12 = path
    settings.HEALTHPM_SIGNING_PASSPHRASE = "browser-test-passphrase"
    return path


@pytest.fixture
def shoot():
    """Saves a full-page screenshot when HEALTHPM_SCREENSHOTS names a folder."""
    folder = os.environ.get("HEALTHPM_SCREENSHOTS")

    def _shoot(page, name):
        if folder:
            os.makedirs(folder, exist_ok=True)
            page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)

    return _shoot
