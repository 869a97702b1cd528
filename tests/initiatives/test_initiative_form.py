"""The initiative form refuses ids no user can have, instead of crashing (issue 6, found by the fuzzer)."""

import pytest
from django.urls import reverse

from healthpm.initiatives.models import Initiative

pytestmark = pytest.mark.django_db


def post(pm, **changes) -> dict:
    return {"title": "Sepsis early warning", "summary": "Scores inpatients.", "clinical_area": "critical_care",
            "intended_use": "Prompts an assessment.", "intended_users": "Rapid-response nurses",
            "care_setting": "inpatient", "owner": pm.pk, **changes}


@pytest.mark.parametrize("collaborators", [["9" * 30], [None, "-" + "9" * 20]])
def test_a_collaborator_id_beyond_any_database_is_an_invalid_choice(pm, pm2, login, collaborators):
    """SQLite raised OverflowError on `pk__in` with such an id: a 500 instead of a message."""
    collaborators = [str(pm2.pk) if c is None else c for c in collaborators]

    response = login(pm).post(reverse("initiatives:new"), post(pm, collaborators=collaborators))

    assert response.status_code == 200
    assert "is not a valid value." in response.content.decode()
    assert not Initiative.objects.exists()


def test_collaborators_are_still_saved(pm, pm2, login):
    response = login(pm).post(reverse("initiatives:new"), post(pm, collaborators=[str(pm2.pk)]))

    assert response.status_code == 302
    assert list(Initiative.objects.get().collaborators.all()) == [pm2]


# --- issue 13: the double-create guard and the owner not offered as their own collaborator -------------
def test_back_and_create_again_does_not_make_a_duplicate(pm, login):
    client = login(pm)
    token = client.get(reverse("initiatives:new")).context["form"]["create_token"].value()
    assert token and len(token) == 32
    first = client.post(reverse("initiatives:new"), post(pm, create_token=token))
    initiative = Initiative.objects.get()
    assert first["Location"] == initiative.get_absolute_url()

    again = client.post(reverse("initiatives:new"), post(pm, create_token=token), follow=True)

    assert Initiative.objects.count() == 1
    assert again.redirect_chain == [(initiative.get_absolute_url(), 302)]
    assert "was already created from this form, so no second copy was made" in again.content.decode()


def test_a_new_form_makes_a_new_initiative(pm, login):
    client = login(pm)
    for title in ("Sepsis early warning", "Fall risk"):
        token = client.get(reverse("initiatives:new")).context["form"]["create_token"].value()
        assert client.post(reverse("initiatives:new"), post(pm, title=title, create_token=token)).status_code == 302
    assert Initiative.objects.count() == 2


def test_a_token_from_another_session_is_not_a_way_in(pm, pm2, login, client):
    """The tokens live in the session that used them: another user's token only makes their own initiative."""
    from django.test import Client

    other = Client()
    other.force_login(pm2)
    token = other.get(reverse("initiatives:new")).context["form"]["create_token"].value()
    other.post(reverse("initiatives:new"), post(pm2, title="Marco's draft", create_token=token))

    response = login(pm).post(reverse("initiatives:new"), post(pm, title="Priya's", create_token=token))

    assert response.status_code == 302 and Initiative.objects.count() == 2
    assert Initiative.objects.get(title="Priya's").owner == pm


def test_the_owner_is_not_offered_as_their_own_collaborator(pm, pm2, login):
    client = login(pm)
    page = client.get(reverse("initiatives:new")).content.decode()
    collaborators = page.split('id="div_id_collaborators"', 1)[1].split("</fieldset>", 1)[0]
    assert "Marco Rossi" in collaborators and "Priya Patel" not in collaborators

    response = client.post(reverse("initiatives:new"), post(pm2, create_token=""))
    created = Initiative.objects.get()
    edit = login(pm2).get(reverse("initiatives:edit", args=[created.slug])).content.decode()
    edit_collaborators = edit.split('id="div_id_collaborators"', 1)[1].split("</fieldset>", 1)[0]
    assert response.status_code == 302
    assert "Marco Rossi" not in edit_collaborators and "Priya Patel" in edit_collaborators


def test_naming_the_owner_as_collaborator_is_still_refused_with_a_message(pm, pm2, login):
    response = login(pm).post(reverse("initiatives:new"), post(pm, collaborators=[str(pm.pk)]))
    assert response.status_code == 200 and "Priya Patel is already the owner." in response.content.decode()
    assert not Initiative.objects.exists()
