"""Text fields refuse control characters with a message that says what to do (issue 6: the
form fuzzer's NUL bytes and line breaks)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from healthpm.core.forms import PlainTextValidator
from healthpm.gates.definitions.regulatory_classification import RegulatoryForm
from healthpm.initiatives.models import Initiative
from tests.factories import valid_data
from tests.gates.rules.helpers import ctx, post_body

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text, named", [
    ("Sepsis\nalert", "line break at character 7"), ("Sepsis\talert", "tab at character 7"),
    ("Sepsis\x00", "invisible control character U+0000 at character 7"),
    ("\x85Sepsis", "invisible control character U+0085 at character 1"),
])
def test_a_one_line_field_names_the_control_character_and_where_it_is(text, named):
    with pytest.raises(ValidationError) as refused:
        PlainTextValidator()(text)

    assert refused.value.messages == [f"Remove the {named}: this field takes one line of plain text."]


def test_a_multi_line_field_keeps_tabs_and_line_breaks_but_not_nul():
    PlainTextValidator(multiline=True)("First line\r\n\tsecond line")

    with pytest.raises(ValidationError) as refused:
        PlainTextValidator(multiline=True)("Memo\x00")

    assert "Remove the invisible control character U+0000 at character 5" in refused.value.messages[0]
    assert "then save again" in refused.value.messages[0]


def test_unicode_that_is_not_a_control_character_is_kept():
    PlainTextValidator()("Ünïcödé 😀 ١٢٣ \u200b \u202e")


def initiative_post(pm, **changes) -> dict:
    return {"title": "Sepsis early warning", "summary": "Scores inpatients.", "clinical_area": "critical_care",
            "intended_use": "Prompts an assessment.", "intended_users": "Rapid-response nurses",
            "care_setting": "inpatient", "owner": pm.pk, **changes}


def test_a_title_with_a_line_break_is_refused_so_it_never_reaches_an_email_subject(pm, login):
    """The title goes into notification subjects; a line break there makes every e-mail about the
    initiative fail (BadHeaderError) long after the save looked fine."""
    response = login(pm).post(reverse("initiatives:new"), initiative_post(pm, title="Sepsis\r\nBcc: all@example.org"))

    assert response.status_code == 200
    assert "Remove the line break at character 7: this field takes one line of plain text." in response.content.decode()
    assert not Initiative.objects.exists()


def test_a_nul_in_a_summary_is_refused_with_what_to_do(pm, login):
    response = login(pm).post(reverse("initiatives:new"), initiative_post(pm, summary="Scores\x00 inpatients."))

    assert "Remove the invisible control character U+0000 at character 7" in response.content.decode()
    assert not Initiative.objects.exists()


def test_gate_fields_added_in_the_form_init_are_covered_too():
    """The four rationale fields of the regulatory form are built in __init__, after the mixin."""
    answers = valid_data("regulatory-classification")
    refused = RegulatoryForm(post_body("regulatory-classification", {**answers, "no_image_or_signal_rationale": "A\x00"}), context=ctx())
    kept = RegulatoryForm(post_body("regulatory-classification",
                                    {**answers, "no_image_or_signal_rationale": "Counsel's memo,\r\nsection 2."}), context=ctx())

    assert not refused.is_valid()
    assert "U+0000 at character 2" in refused.main.errors["no_image_or_signal_rationale"][0]
    assert kept.is_valid(), kept.error_messages()
