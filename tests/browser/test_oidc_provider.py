"""The test OpenID Provider behaves like a hospital's: discovery, code flow with PKCE, signed ID
tokens with groups and auth_time, forced re-login, and the knobs the SSO tests turn (groups
changed between logins, a stale auth_time). Driven in headless Chromium, as the SSO journeys are."""

import base64
import hashlib
import http.server
import secrets
import threading
import time
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
import requests

from tests.oidc.fixtures import (  # noqa: F401
    OIDC_CLIENT_ID,
    OIDC_CLIENT_SECRET,
    oidc,
    oidc_post_logout_redirect_uris,
    oidc_provider,
)
from tests.oidc.harness import client, start_provider

pytestmark = pytest.mark.integration

TIMEOUT_MS = 10_000


class _Callback(http.server.BaseHTTPRequestHandler):
    """The relying party's redirect target: records each query string it is sent."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.queries.append(parse_qs(urlparse(self.path).query))
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"<!DOCTYPE html><title>callback</title><p>Back at the client.</p>")

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.server.logout_tokens.extend(parse_qs(body).get("logout_token", []))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def callback_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Callback)
    server.queries, server.logout_tokens = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def oidc_redirect_uris(callback_server):  # this module's client returns to the callback server
    return [f"http://127.0.0.1:{callback_server.server_port}/callback"]


@pytest.fixture(scope="session")
def oidc_backchannel_logout_uri(callback_server):
    return f"http://127.0.0.1:{callback_server.server_port}/backchannel"


@pytest.fixture
def page(browser):
    """A page of the suite's one Chromium (tests/browser/conftest.py): Playwright's sync API runs once per process."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def discovery(provider) -> dict:
    return requests.get(provider.discovery_url, timeout=5).json()


class Login:
    """One authorization request by the client: PKCE verifier, state and nonce, then the token exchange."""

    def __init__(self, provider, redirect_uri, **extra):
        self.provider, self.redirect_uri = provider, redirect_uri
        self.verifier = secrets.token_urlsafe(48)
        self.state, self.nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=").decode()
        self.params = {
            "client_id": OIDC_CLIENT_ID, "redirect_uri": redirect_uri, "response_type": "code",
            "scope": "openid profile email groups", "state": self.state, "nonce": self.nonce,
            "code_challenge": challenge, "code_challenge_method": "S256", **extra,
        }
        self.config = discovery(provider)

    @property
    def url(self) -> str:
        return f"{self.config['authorization_endpoint']}?{urlencode(self.params)}"

    def sign_in(self, page, username, password="op-password"):
        page.goto(self.url)
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button:has-text('Sign in')")
        page.wait_for_url(f"{self.redirect_uri}**")
        return parse_qs(urlparse(page.url).query)

    def exchange(self, query, *, verifier=None):
        assert query["state"] == [self.state]
        return requests.post(self.config["token_endpoint"], timeout=5, data={
            "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": self.redirect_uri,
            "code_verifier": verifier or self.verifier,
            "client_id": OIDC_CLIENT_ID, "client_secret": OIDC_CLIENT_SECRET,
        })

    def id_token(self, page, username, password="op-password") -> dict:
        response = self.exchange(self.sign_in(page, username, password))
        assert response.status_code == 200, response.text
        token = response.json()["id_token"]
        key = jwt.PyJWKClient(self.config["jwks_uri"]).get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=OIDC_CLIENT_ID,
                            issuer=self.provider.issuer, options={"require": ["exp", "iat", "auth_time", "nonce"]})
        assert claims["nonce"] == self.nonce
        return claims


def test_discovery_names_the_endpoints_and_s256(oidc):
    config = discovery(oidc)

    assert config["issuer"] == oidc.issuer
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint",
                     "end_session_endpoint"):
        assert config[endpoint].startswith(f"{oidc.issuer}/"), endpoint
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert {"openid", "profile", "email", "groups"} <= set(config["scopes_supported"])
    assert config["backchannel_logout_supported"] is True


def test_authorization_without_pkce_is_refused(oidc, oidc_redirect_uris):
    login = Login(oidc, oidc_redirect_uris[0])
    params = {k: v for k, v in login.params.items() if not k.startswith("code_challenge")}

    response = requests.get(login.config["authorization_endpoint"], params=params, allow_redirects=False, timeout=5)

    query = parse_qs(urlparse(response.headers["Location"]).query)
    assert query["error"] == ["invalid_request"]
    assert "PKCE" in query["error_description"][0]


@pytest.mark.browser
def test_code_flow_gives_a_signed_id_token_with_profile_groups_and_auth_time(oidc, oidc_redirect_uris, page):
    oidc.set_user("ada", given_name="Ada", family_name="Lovelace", groups=["healthpm-officers", "staff"])
    before = int(time.time())

    claims = Login(oidc, oidc_redirect_uris[0]).id_token(page, "ada")

    assert claims["sub"] == "sub-ada"
    assert claims["name"] == "Ada Lovelace"
    assert (claims["given_name"], claims["family_name"]) == ("Ada", "Lovelace")
    assert claims["email"] == "ada@hospital.example" and claims["email_verified"] is True
    assert claims["groups"] == ["healthpm-officers", "staff"]
    assert before - 2 <= claims["auth_time"] <= time.time() + 2


@pytest.mark.browser
def test_the_code_is_bound_to_the_pkce_verifier(oidc, oidc_redirect_uris, page):
    oidc.set_user("ada")
    login = Login(oidc, oidc_redirect_uris[0])

    response = login.exchange(login.sign_in(page, "ada"), verifier=secrets.token_urlsafe(48))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.browser
def test_a_wrong_password_shows_the_form_again(oidc, oidc_redirect_uris, page):
    oidc.set_user("ada")
    page.goto(Login(oidc, oidc_redirect_uris[0]).url)
    page.fill("#username", "ada")
    page.fill("#password", "not-the-password")
    page.click("button:has-text('Sign in')")

    assert page.inner_text("#error") == "Invalid username or password"
    assert page.locator("#password").is_visible()
    assert page.url.startswith(oidc.issuer)


@pytest.mark.browser
def test_prompt_login_asks_again_although_the_provider_session_exists(oidc, oidc_redirect_uris, page):
    oidc.set_user("ada")
    redirect = oidc_redirect_uris[0]
    first = Login(oidc, redirect).id_token(page, "ada")

    # Without prompt=login the provider's session answers at once: no form.
    page.goto(Login(oidc, redirect).url)
    page.wait_for_url(f"{redirect}**")

    time.sleep(1.1)  # auth_time has one-second resolution
    again = Login(oidc, redirect, prompt="login", max_age="0")
    page.goto(again.url)
    assert page.locator("#password").is_visible()
    claims = again.id_token(page, "ada")
    assert claims["auth_time"] > first["auth_time"]


@pytest.mark.browser
def test_a_stale_auth_time_is_reported_when_asked(oidc, oidc_redirect_uris, page):
    oidc.set_user("ada")
    oidc.set_stale_auth(300)

    claims = Login(oidc, oidc_redirect_uris[0], prompt="login", max_age="0").id_token(page, "ada")

    assert abs(time.time() - 300 - claims["auth_time"]) < 5


@pytest.mark.browser
def test_a_changed_group_shows_at_the_next_login(oidc, oidc_redirect_uris, page):
    oidc.set_user("ada", groups=["healthpm-officers", "staff"])
    redirect = oidc_redirect_uris[0]
    assert Login(oidc, redirect).id_token(page, "ada")["groups"] == ["healthpm-officers", "staff"]

    oidc.remove_group("ada", "healthpm-officers")

    assert Login(oidc, redirect, prompt="login").id_token(page, "ada")["groups"] == ["staff"]


@pytest.mark.browser
def test_rp_initiated_logout_ends_the_provider_session(oidc, oidc_redirect_uris, page):
    oidc.set_user("ada")
    redirect = oidc_redirect_uris[0]
    Login(oidc, redirect).id_token(page, "ada")
    end_session = discovery(oidc)["end_session_endpoint"]
    back = oidc_redirect_uris[0].rsplit("/", 1)[0] + "/"

    page.goto(f"{end_session}?{urlencode({'client_id': OIDC_CLIENT_ID, 'post_logout_redirect_uri': back})}")
    page.click("button:has-text('Yes, sign me out')")
    page.wait_for_url(f"{back}**")

    page.goto(Login(oidc, redirect).url)  # no prompt=login, yet the form: the session is gone
    assert page.locator("#password").is_visible()


@pytest.mark.browser
def test_signing_out_at_the_provider_sends_a_backchannel_logout_token(oidc, oidc_redirect_uris, page,
                                                                       callback_server):
    oidc.set_user("ada")
    callback_server.logout_tokens.clear()
    config = discovery(oidc)
    id_token = Login(oidc, oidc_redirect_uris[0]).id_token(page, "ada")

    page.goto(f"{config['end_session_endpoint']}?client_id={OIDC_CLIENT_ID}")
    page.click("button:has-text('Yes, sign me out')")
    page.wait_for_load_state()

    [token] = callback_server.logout_tokens
    key = jwt.PyJWKClient(config["jwks_uri"]).get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=OIDC_CLIENT_ID, issuer=oidc.issuer)
    assert claims["sub"] == "sub-ada" and claims["sid"] == id_token["sid"]
    assert "http://schemas.openid.net/event/backchannel-logout" in claims["events"]


def test_the_provider_exits_when_its_parent_closes_the_pipe(tmp_path):
    provider = start_provider([client("c", "s", ["http://127.0.0.1:9/cb"])], {}, tmp_path)
    assert requests.get(provider.discovery_url, timeout=5).status_code == 200

    provider.process.stdin.close()

    assert provider.process.wait(timeout=5) == 0
    provider.stop()
