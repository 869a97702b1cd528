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
