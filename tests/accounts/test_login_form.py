"""The sign-in form refuses what cannot be a username before anything is looked up or stored
(issue 6: a 100,000-character username was a server error on PostgreSQL)."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")


def test_an_over_long_username_is_refused_by_the_form_and_nothing_is_stored(client, pm):
    response = client.post(LOGIN, {"username": "a" * 100_000, "password": "wrong"})

    assert response.status_code == 200
    assert "Ensure this value has at most 150 characters" in response.content.decode()
    assert not AccessAttempt.objects.exists()


def test_a_username_with_a_control_character_says_what_to_do(client, pm, password):
    response = client.post(LOGIN, {"username": "priya\x00", "password": password})

    assert response.status_code == 200
    assert "Remove the invisible control character U+0000 at character 6" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_persona_still_signs_in(client, pm, password):
    response = client.post(LOGIN, {"username": "priya", "password": password})

    assert response.status_code == 302 and "_auth_user_id" in client.session
