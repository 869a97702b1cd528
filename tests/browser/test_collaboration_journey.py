"""Journey: the owner assigns a gate to a collaborator and asks for a reviewer; the compliance
officer comments with an @mention of the collaborator; the collaborator sees the unread count,
opens the inbox, follows the entry to the comment on the gate and replies, mentioning the officer.

Three people in three browser contexts; desktop (1280 px) and phone (390 × 844) screenshots,
no horizontal overflow on the phone, axe-core clean on the gate page and the inbox.
"""

import re

import pytest

from healthpm.collaboration.models import Comment
from healthpm.gates.models import Gate
from healthpm.notifications.models import Notification
from tests.factories import InitiativeFactory, gate_of

from .helpers import expect, flash
from .test_accessibility import describe, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "@marco The drill report says the paper checklist was reviewed. Was it worked live on a clinic day?"
ANSWER = "@grace Yes: the Eastside clinic worked 37 calls from the paper list on Monday; the tally is attached."
PHONE = {"width": 390, "height": 844}


def no_overflow(page) -> int:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide at {PHONE['width']} px"
    return width


def axe_clean(page, browse, shoot, name):
    failing = run_axe(page, browse, shoot, name, page.url)
    assert not failing, describe(name, page.url, failing)


def test_assign_comment_with_mention_inbox_and_reply(browse, shoot, axe_source, pm, pm2, compliance):
    initiative = InitiativeFactory(owner=pm, collaborators=[pm2], title="Outpatient no-show outreach")
    gate = gate_of(initiative, "paper-fallback")
    gate_path = gate.get_absolute_url()

    # --- the owner assigns the gate to Marco and asks Grace to review it ----------------------------
    owner = browse.sign_in(pm)
    owner.set_viewport_size({"width": 1280, "height": 900})
    owner.goto(browse.url(gate_path))
    expect(owner.get_by_test_id("assignee")).to_have_text("nobody yet")
    owner.click("summary:has-text('Change who fills and who reviews this gate')")
    owner.select_option("#id_assignee", "marco")
    owner.select_option("#id_reviewer", "grace")
    owner.click("button:has-text('Save team')")
    expect(flash(owner)).to_contain_text("team saved")
    expect(owner.get_by_test_id("assignee")).to_have_text("Marco Rossi")
    expect(owner.get_by_test_id("requested-reviewer")).to_have_text("Grace Okafor")
    stored = Gate.objects.get(pk=gate.pk)
    assert (stored.assignee, stored.requested_reviewer) == (pm2, compliance)
    shoot(owner, "collab-01-owner-assigns-1280")
    owner.set_viewport_size(PHONE)
    owner.click("summary:has-text('Change who fills and who reviews this gate')")
    expect(owner.locator("#id_reviewer")).to_be_visible()
    team_box = owner.locator("#gate-team").bounding_box()
    assert team_box["x"] >= 0 and team_box["x"] + team_box["width"] <= PHONE["width"]
    shoot(owner, "collab-01b-owner-team-form-390")
    owner.set_viewport_size({"width": 1280, "height": 900})
    owner.goto(browse.url(initiative.get_absolute_url()))
    expect(owner.locator("tr:has(a:text-is('Paper fallback'))")).to_contain_text("Assigned to Marco Rossi")

    # --- the compliance officer asks Marco a question on the gate ---------------------------------
    officer = browse.sign_in(compliance)
    officer.set_viewport_size({"width": 1280, "height": 900})
    officer.goto(browse.url(gate_path))
    officer.fill("#id_body", QUESTION)
    officer.click("button:has-text('Post comment')")
    expect(flash(officer)).to_contain_text("Comment posted.")
    question = Comment.objects.get(author=compliance)
    expect(officer.locator(f"#comment-{question.pk}")).to_contain_text(QUESTION)
    shoot(officer, "collab-02-officer-comments-1280")

    # --- Marco sees two unread (the assignment, the mention), opens the mention from the inbox ------
    marco = browse.sign_in(pm2)
    marco.set_viewport_size({"width": 1280, "height": 900})
    expect(marco.get_by_test_id("inbox-unread")).to_contain_text("2")
    marco.click("#nav-inbox")
    expect(marco.locator("h1")).to_have_text("Inbox")
    expect(marco.locator("main")).to_contain_text("Assigned to you: Paper fallback — Outpatient no-show outreach")
    shoot(marco, "collab-03-inbox-1280")
    axe_clean(marco, browse, shoot, "inbox")
    marco.set_viewport_size(PHONE)
    marco.reload()
    no_overflow(marco)
    # On a phone the navigation is folded away: the unread count stays in sight next to the menu button.
    expect(marco.get_by_test_id("inbox-unread-phone")).to_have_text("Inbox 2 unread")
    shoot(marco, "collab-04-inbox-390")
    marco.set_viewport_size({"width": 1280, "height": 900})

    marco.click("button:has-text('Grace Okafor mentioned you on Paper fallback')")
    expect(marco).to_have_url(re.compile(re.escape(browse.url(gate_path)) + f"#comment-{question.pk}$"))
    expect(marco.locator(f"#comment-{question.pk}")).to_be_in_viewport()
    expect(marco.get_by_test_id("inbox-unread")).to_contain_text("1")
    assert Notification.objects.get(recipient=pm2, link__endswith=f"#comment-{question.pk}").read_at is not None

    # --- and replies, mentioning Grace ----------------------------------------------------------------
    marco.fill("#id_body", ANSWER)
    marco.click("button:has-text('Post comment')")
    expect(flash(marco)).to_contain_text("Comment posted.")
    answer = Comment.objects.get(author=pm2)
    expect(marco.locator(f"#comment-{answer.pk}")).to_contain_text(ANSWER)
    shoot(marco, "collab-05-reply-1280")
    axe_clean(marco, browse, shoot, "gate with comments")
    marco.set_viewport_size(PHONE)
    marco.reload()
    expect(marco.locator("#comments")).to_be_visible()
    comments_box = marco.locator(f"#comment-{answer.pk}").bounding_box()
    assert comments_box["x"] >= 0 and comments_box["x"] + comments_box["width"] <= PHONE["width"]
    shoot(marco, "collab-06-gate-comments-390")

    mention = Notification.objects.get(recipient=compliance, subject__contains="mentioned you")
    assert mention.link == f"{gate_path}#comment-{answer.pk}"
    officer.reload()
    expect(officer.get_by_test_id("inbox-unread")).to_contain_text("2")  # the review request and the reply
    browse.assert_clean()
