"""Personas and test-wide settings (STYLE.md: personas live here, factories in factories.py).

Every persona has a full name, an e-mail address and the same known password, so tests
can sign in through the login form and re-enter the password to sign.
"""

import pytest
from django.contrib.auth.models import Group

from healthpm.accounts import roles
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, test on a file rather than shared-cache memory.

    Threads in a transactional test (two officers deciding at once) then wait for the
    writer lock like two PostgreSQL sessions wait for a row lock, instead of failing with
    "database table is locked". PostgreSQL (CI) is left as configured.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test_healthpm.sqlite3")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, request):
    """Mail to locmem, files under tmp_path, fast hashing, two-factor optional and Celery in process.

    With CELERY_BROKER_URL set (CI), settings say "not eager"; unit tests still call tasks
    in process. Only tests marked `integration` talk to the real broker.
    """
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.HEALTHPM_AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate-limit counters and verification tallies live in the cache, keyed by user ids a rolled-back
    # test may hand out again: each test starts with an empty cache.
    from django.core.cache import cache

    cache.clear()
    # Nobody must enrol a second factor unless a test says so (tests/accounts/test_mfa.py does).
    settings.HEALTHPM_MFA_REQUIRED_ROLES = []
    if request.node.get_closest_marker("integration"):
        yield
        return
    from healthpm.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def reference_data(db):
    """The rows data migrations seed (role groups, approved source systems, proxies, subgroup dimensions).

    A transactional test starts after earlier ones flushed the database, so it asks for
    them again; get_or_create leaves an intact database untouched.
    """
    import importlib

    from django.apps import apps

    importlib.import_module("healthpm.accounts.migrations.0001_role_groups").create_groups(apps, None)
    importlib.import_module("healthpm.gates.migrations.0002_reference_data").seed_reference_data(apps, None)
    importlib.import_module("healthpm.gates.migrations.0004_subgroup_dimension").seed_dimensions(apps, None)


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Every transactional test (live server, worker, threads) gets the migrations' rows back.

    Earlier transactional tests flush the database, so without this a test's outcome would
    depend on the order tests run in.
    """
    marker = request.node.get_closest_marker("django_db")
    if (marker and marker.kwargs.get("transaction")) or "live_server" in request.fixturenames:
        request.getfixturevalue("reference_data")


def _persona(username: str, first: str, last: str, *role_names: str):
    user = UserFactory(username=username, first_name=first, last_name=last, email=f"{username}@hospital.example")
    for name in role_names:
        # get_or_create: a transactional test flushes the groups the migration created.
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def pm(db):
    """The product manager who owns the initiatives the factories create."""
    return _persona("priya", "Priya", "Patel", roles.PRODUCT_MANAGER)


@pytest.fixture
def pm2(db):
    """Another product manager, on no team unless a test adds them."""
    return _persona("marco", "Marco", "Rossi", roles.PRODUCT_MANAGER)


@pytest.fixture
def compliance(db):
    return _persona("grace", "Grace", "Okafor", roles.COMPLIANCE)


@pytest.fixture
def compliance2(db):
    return _persona("henrik", "Henrik", "Larsen", roles.COMPLIANCE)


@pytest.fixture
def leader(db):
    return _persona("lena", "Lena", "Park", roles.LEADERSHIP)


@pytest.fixture
def outsider(db):
    """Signed in, but with no role at all."""
    return _persona("oscar", "Oscar", "Nobody")


@pytest.fixture
def login(client):
    """login(user) signs the test client in as user and returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


# A port nothing listens on: "the broker is down" for the outage and fault tests.
DEAD_BROKER = "redis://127.0.0.1:6399/0"


def _reset_celery_connections() -> None:
    from healthpm.celery import app

    # Celery caches its connection and producer pools per broker URL.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down(settings, caplog, monkeypatch):
    """Celery publishes to a dead broker (not in process); yields caplog at WARNING to read what was logged."""
    import logging

    from healthpm.celery import app

    previous = (app.conf.broker_url, app.conf.task_always_eager)
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration: with
    # CI's variable set, changing only the settings left the real Redis up and in use.
    monkeypatch.setenv("CELERY_BROKER_URL", DEAD_BROKER)
    settings.CELERY_BROKER_URL = DEAD_BROKER
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.broker_url, app.conf.task_always_eager = DEAD_BROKER, False
    _reset_celery_connections()
    caplog.set_level(logging.WARNING)
    yield caplog
    app.conf.broker_url, app.conf.task_always_eager = previous
    _reset_celery_connections()


@pytest.fixture(autouse=True)
def _no_event_loop_left_running(request):
    """Playwright's sync API marks its event loop as running on the main thread after every call
    (playwright/_impl/_sync_base.py), and leaves it so between tests. asyncio.run — which pyHanko
    uses to sign and validate — then refuses to start in any later test on that thread. A test
    that does not drive the browser starts with no running loop; Playwright's is put back after it.
    """
    import asyncio

    left = asyncio.events._get_running_loop()
    if left is None or "browser" in request.fixturenames:
        yield
        return
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(left)
