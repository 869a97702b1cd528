"""pytest fixtures for the test OpenID Provider, importable by any test module:

    from tests.oidc.fixtures import (  # noqa: F401
        oidc, oidc_backchannel_logout_uri, oidc_post_logout_redirect_uris, oidc_provider, oidc_redirect_uris)

    @pytest.fixture(scope="session")
    def oidc_redirect_uris(live_server):          # override: where this suite's client returns
        return [f"{live_server.url}/accounts/sso/callback/"]

`oidc_provider` is one provider per test session with one client (OIDC_CLIENT_ID /
OIDC_CLIENT_SECRET) and no users; `oidc` is the same provider emptied of users and with a
fresh auth_time before each test, so tests do not see each other's users or groups.
"""

import pytest

from tests.oidc.harness import Provider, client, start_provider

OIDC_CLIENT_ID = "healthpm-tests"
OIDC_CLIENT_SECRET = "healthpm-tests-client-secret"  # a throwaway value for a loopback-only provider


@pytest.fixture(scope="session")
def oidc_redirect_uris() -> list[str]:
    """The client's redirect URIs; a suite overrides this fixture (it may use live_server)."""
    return ["http://127.0.0.1:8000/accounts/sso/callback/"]


@pytest.fixture(scope="session")
def oidc_post_logout_redirect_uris(oidc_redirect_uris) -> list[str]:
    """Where RP-initiated logout may return: by default the origins of the redirect URIs."""
    return sorted({"/".join(uri.split("/")[:3]) + "/" for uri in oidc_redirect_uris})


@pytest.fixture(scope="session")
def oidc_backchannel_logout_uri() -> str | None:
    """Where the provider POSTs a logout token when the user signs out there (None: it does not)."""
    return None


@pytest.fixture(scope="session")
def oidc_provider(oidc_redirect_uris, oidc_post_logout_redirect_uris, oidc_backchannel_logout_uri, tmp_path_factory):
    backchannel = {"backchannel_logout_uri": oidc_backchannel_logout_uri} if oidc_backchannel_logout_uri else {}
    provider = start_provider(
        [client(OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, oidc_redirect_uris, oidc_post_logout_redirect_uris,
                **backchannel)],
        users={},
        tmp_dir=tmp_path_factory.mktemp("oidc-provider"),
    )
    yield provider
    provider.stop()


@pytest.fixture
def oidc(oidc_provider) -> Provider:
    oidc_provider.reset()
    return oidc_provider
