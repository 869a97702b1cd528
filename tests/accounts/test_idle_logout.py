"""Automatic logoff after inactivity (HIPAA §164.312(a)(2)(iii)): healthpm/accounts/middleware.py."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from healthpm.audit.models import AuditEvent
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fifteen_minutes(settings):
    settings.HEALTHPM_IDLE_LOGOUT_SECONDS = 15 * 60


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_a_user_idle_past_the_limit_is_signed_out_with_the_reason(clock, client, pm, login):
    login(pm)
    url = reverse("initiatives:list")
    assert client.get(url).status_code == 200
    clock.shift(dt.timedelta(minutes=15, seconds=1))

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=%2Finitiatives%2F"
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out after 15 minutes without activity" in page
    event = AuditEvent.objects.get(action="session_timeout")
    assert event.actor == pm and event.after == {"idle_limit_seconds": 900}
    assert AuditEvent.objects.filter(action="logout", actor=pm).exists()


def test_activity_keeps_the_session_alive(clock, client, pm, login):
    login(pm)
    url = reverse("initiatives:list")
    for _ in range(4):  # an hour of work, never 15 minutes apart
        assert client.get(url).status_code == 200
        clock.shift(dt.timedelta(minutes=14))
    assert client.get(url).status_code == 200
    assert not AuditEvent.objects.filter(action="session_timeout").exists()


def test_a_post_after_the_limit_saves_nothing(clock, client, pm, login):
    initiative = InitiativeFactory(owner=pm, title="Sepsis early warning")
    login(pm)
    edit = reverse("initiatives:edit", args=[initiative.slug])
    form = client.get(edit).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    clock.shift(dt.timedelta(minutes=20))

    response = client.post(edit, {**data, "title": "Renamed while away"})

    assert response.status_code == 302 and response["Location"] == reverse("login")
    initiative.refresh_from_db()
    assert initiative.title == "Sepsis early warning"


def test_an_htmx_request_after_the_limit_sends_the_whole_page_to_login(clock, client, pm, login):
    login(pm)
    client.get(reverse("initiatives:list"))
    clock.shift(dt.timedelta(hours=1))

    response = client.get(reverse("initiatives:list"), HTTP_HX_REQUEST="true")

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("login"))


def test_the_limit_is_a_setting(clock, client, pm, login, settings):
    settings.HEALTHPM_IDLE_LOGOUT_SECONDS = 120
    login(pm)
    url = reverse("initiatives:list")
    client.get(url)
    clock.shift(dt.timedelta(seconds=100))
    assert client.get(url).status_code == 200
    clock.shift(dt.timedelta(seconds=121))
    assert client.get(url).status_code == 302


# --- the warning two minutes before, and "Stay signed in" (static/js/idle.js) ---------------------
KEEP_ALIVE = reverse("keep_alive")


def test_a_signed_in_page_tells_the_script_how_long_is_left(clock, client, pm, login):
    login(pm)
    client.get(reverse("initiatives:list"))
    clock.shift(dt.timedelta(minutes=5))

    page = client.get(reverse("initiatives:list")).content.decode()

    assert 'data-idle-warning="120"' in page and f'data-idle-user="{pm.pk}"' in page
    assert 'data-idle-remaining="900"' in page  # this request stamped the session
    assert 'id="idle-warning"' in page and "Stay signed in" in page and "15 minutes" in page
    assert "js/idle.js" in page and "<script>" not in page


def test_the_time_left_counts_from_the_last_stamp(clock, client, pm, login):
    login(pm)
    client.get(reverse("initiatives:list"))
    clock.shift(dt.timedelta(seconds=20))  # under the 30-second granularity: not re-stamped

    response = client.get(reverse("initiatives:list"), HTTP_HX_REQUEST="true")

    assert response["X-Idle-Remaining"] == "880"
    assert 'data-idle-remaining="880"' in response.content.decode()


def test_the_login_page_has_no_countdown(client):
    page = client.get(reverse("login")).content.decode()
    assert "data-idle-remaining" not in page and 'id="idle-warning"' not in page


def test_stay_signed_in_restarts_the_idle_clock(clock, client, pm, login):
    login(pm)
    url = reverse("initiatives:list")
    client.get(url)
    clock.shift(dt.timedelta(minutes=14))

    response = client.post(KEEP_ALIVE, HTTP_ACCEPT="application/json")

    assert response.status_code == 200 and response.json() == {"remaining_seconds": 900}
    clock.shift(dt.timedelta(minutes=14))
    assert client.get(url).status_code == 200
    assert not AuditEvent.objects.filter(action="session_timeout").exists()


def test_stay_signed_in_without_script_returns_to_the_page(clock, client, pm, login):
    login(pm)
    response = client.post(KEEP_ALIVE, {"next": "/initiatives/?scope=all"})
    assert response.status_code == 302 and response["Location"] == "/initiatives/?scope=all"

    response = client.post(KEEP_ALIVE, {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_stay_signed_in_is_too_late_once_the_session_expired(clock, client, pm, login):
    login(pm)
    client.get(reverse("initiatives:list"))
    clock.shift(dt.timedelta(minutes=16))

    response = client.post(KEEP_ALIVE, HTTP_ACCEPT="application/json")

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="session_timeout", actor=pm).exists()


def test_keep_alive_refuses_the_anonymous_a_get_and_a_post_without_the_csrf_token(clock, client, pm):
    from django.test import Client

    assert client.post(KEEP_ALIVE, HTTP_ACCEPT="application/json")["Location"].startswith(reverse("login"))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(pm)
    assert strict.get(KEEP_ALIVE).status_code == 405
    assert strict.post(KEEP_ALIVE, HTTP_ACCEPT="application/json").status_code == 403
