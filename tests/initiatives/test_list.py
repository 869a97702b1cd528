"""The initiative list: search, server-side sorting, gate status chips, and a fixed query count."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import InitiativeFactory, approved_gate, rejected_gate, submitted_gate

pytestmark = pytest.mark.django_db

LIST = reverse("initiatives:list")


def titles(response) -> list[str]:
    return [initiative.title for initiative, _chips, _summary in response.context["rows"]]


@pytest.fixture
def portfolio(pm, pm2):
    return [
        InitiativeFactory(owner=pm, title="Sepsis early warning", clinical_area="critical_care"),
        InitiativeFactory(owner=pm, title="Chest X-ray triage", clinical_area="radiology"),
        InitiativeFactory(owner=pm2, collaborators=[pm], title="Fall risk on wards", clinical_area="nursing"),
    ]


@pytest.mark.parametrize("query, expected", [
    ("sepsis", ["Sepsis early warning"]),
    ("Rossi", ["Fall risk on wards"]),              # the owner's last name
    ("marco rossi", ["Fall risk on wards"]),        # every word must match
    ("radiology", ["Chest X-ray triage"]),          # the clinical area's name, not its code
    ("nursing", ["Fall risk on wards"]),
    ("nothing-like-this", []),
])
def test_search_finds_by_title_owner_and_clinical_area(portfolio, client, pm, login, query, expected):
    login(pm)
    assert titles(client.get(LIST, {"scope": "all", "q": query})) == expected


def test_search_never_reaches_what_the_user_may_not_see(pm, pm2, client, login):
    InitiativeFactory(owner=pm, title="Confidential draft")
    login(pm2)
    response = client.get(LIST, {"scope": "all", "q": "confidential"})
    assert titles(response) == [] and "Confidential draft" not in response.content.decode()


def test_columns_sort_on_the_server_both_ways(portfolio, client, pm, login):
    login(pm)
    assert titles(client.get(LIST, {"scope": "all", "sort": "title"})) == [
        "Chest X-ray triage", "Fall risk on wards", "Sepsis early warning"]
    assert titles(client.get(LIST, {"scope": "all", "sort": "-title"})) == [
        "Sepsis early warning", "Fall risk on wards", "Chest X-ray triage"]
    # By owner's last name: Patel before Rossi.
    assert titles(client.get(LIST, {"scope": "all", "sort": "owner"}))[-1] == "Fall risk on wards"
    # By clinical area's name: Critical care, Nursing, Radiology.
    assert titles(client.get(LIST, {"scope": "all", "sort": "area"})) == [
        "Sepsis early warning", "Fall risk on wards", "Chest X-ray triage"]
    page = client.get(LIST, {"scope": "all", "sort": "-title"}).content.decode()
    assert 'aria-sort="descending"' in page and "sort=title" in page  # the active header sorts back up


@pytest.mark.parametrize("sort", ["owner__password", "-owner__password", "pk; DROP TABLE", "__class__"])
def test_an_unknown_sort_key_falls_back_to_title(portfolio, client, pm, login, sort):
    login(pm)
    response = client.get(LIST, {"scope": "all", "sort": sort})
    assert response.status_code == 200
    assert titles(response) == ["Chest X-ray triage", "Fall risk on wards", "Sepsis early warning"]


def test_gate_chips_tell_each_status_apart_in_words(pm, compliance, client, login):
    initiative = InitiativeFactory(owner=pm, title="Sepsis early warning")
    approved_gate(initiative, pm, compliance, "auditable-inputs")
    submitted_gate(initiative, pm, "false-positive-cost")
    rejected_gate(initiative, pm, compliance, "paper-fallback")
    login(pm)

    response = client.get(LIST)
    page = response.content.decode()

    chips = re.findall(r'<li class="gate-chip gate-(\w+)" title="([^"]+)">', page)
    by_status = {status: title for status, title in chips}
    assert by_status["approved"] == "1. Auditable inputs: approved"
    assert by_status["submitted"].endswith(": submitted, waiting for review")
    assert by_status["rejected"].endswith(": rejected")
    assert "not_started" in by_status
    assert len({symbol for symbol in re.findall(r'<span aria-hidden="true">(.)</span><span class="visually-hidden">',
                                                page)}) == 4  # a different symbol for each status shown
    assert f"1 of {len(chips)} approved" in page
    _initiative, _chips, summary = response.context["rows"][0]
    assert summary.startswith("1 rejected · 1 submitted")


def test_the_gate_tabs_show_each_gates_status(pm, compliance, client, login):
    initiative = InitiativeFactory(owner=pm)
    approved_gate(initiative, pm, compliance, "auditable-inputs")
    rejected_gate(initiative, pm, compliance, "paper-fallback")
    login(pm)

    page = client.get(reverse("gates:detail", args=[initiative.slug, "false-positive-cost"])).content.decode()
    nav = page.split('class="nav nav-tabs gate-nav', 1)[1].split("</ul>", 1)[0]

    assert "1. Auditable inputs<span class=\"visually-hidden\"> (approved)</span>" in nav
    assert "(rejected)" in nav and "(not started)" in nav
    assert 'aria-current="page"' in nav


def test_the_list_costs_the_same_queries_for_three_rows_or_twelve(pm, pm2, client, login):
    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, {"scope": "all", "q": "risk", "sort": "-progress"})
        assert response.status_code == 200
        return len(queries), len(response.context["rows"])

    for n in range(3):
        InitiativeFactory(owner=pm, collaborators=[pm2], title=f"Fall risk {n}")
    login(pm)
    client.get(LIST)  # the first request stamps the session (idle logout); the rest do not
    few, rows = count()
    assert rows == 3
    for n in range(3, 12):
        InitiativeFactory(owner=pm, collaborators=[pm2], title=f"Fall risk {n}")

    many, rows = count()

    assert rows == 12 and many == few


def test_a_user_without_a_role_sees_no_row_whatever_the_search(portfolio, outsider, client, login):
    login(outsider)
    response = client.get(LIST, {"scope": "all", "q": "sepsis", "sort": "-status"})
    assert response.status_code == 200 and titles(response) == []
