"""Comments are printed in the dossier under each gate's decisions, edits with their earlier versions."""

import re

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from healthpm.collaboration.services import comment_edit, comment_post
from healthpm.dossier.render import dossier_context
from tests.factories import InitiativeFactory, gate_of

pytestmark = pytest.mark.django_db


def test_the_dossier_prints_each_gates_comments_after_its_decisions_with_earlier_versions(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    first = comment_post(gate=gate_of(initiative, "paper-fallback"), by=compliance, body="Was the <drill> live?")
    comment_edit(comment=first, by=compliance, body="Was the drill worked live with patients?")
    comment_post(gate=gate_of(initiative, "paper-fallback"), by=pm, body="@grace Yes, on one clinic day.")
    html = render_to_string("pdf/dossier.html", dossier_context(initiative, version=1, final=False,
                                                                  generated_at=timezone.now()))
    section = html[re.search(r"<h2>2\.\d+ Paper fallback", html).start():]
    section = section[:section.index("</section>")]
    assert section.index("Decisions on this gate") < section.index("Comments on this gate")
    assert re.search(r"Grace Okafor</td>.*Was the drill worked live with patients\?.*Edited .*\(version 2\)"
                     r".*v1, .*“Was the &lt;drill&gt; live\?”", section, re.S)
    assert "@grace Yes, on one clinic day." in section
    # A gate nobody commented on prints no empty heading.
    first_gate = html[html.index('<h2>2.1 '):]
    assert "Comments on this gate" not in first_gate[:first_gate.index("</section>")]
