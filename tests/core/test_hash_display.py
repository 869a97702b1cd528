"""SHA-256 on screen: 12 hex digits and the full value on demand; the PDF dossier keeps it whole."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from healthpm.dossier.models import Dossier
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

DIGEST = "0123456789ab" + "cdef" * 13


def render(value) -> str:
    return Template("{% load healthpm %}{% hash_short value %}").render(Context({"value": value}))


def test_a_digest_shows_its_first_twelve_digits_and_the_rest_on_demand():
    html = render(DIGEST)
    assert ">0123456789ab…<" in html
    assert "<details" in html and f'<span class="mono hash-full">{DIGEST}</span>' in html
    assert f'title="SHA-256 {DIGEST}"' in html


def test_no_digest_shows_a_dash():
    assert render("").strip() == "—"


def test_the_dossier_page_shortens_the_pdf_hash(client, pm):
    initiative = InitiativeFactory(owner=pm)
    Dossier.objects.create(initiative=initiative, requested_by=pm, kind=Dossier.Kind.DRAFT, version=1,
                           state=Dossier.State.DONE, sha256=DIGEST, size=1000, pages=3)
    client.force_login(pm)

    page = client.get(reverse("dossier:page", args=[initiative.slug])).content.decode()

    assert "0123456789ab…" in page and DIGEST in page.split("<details", 1)[1]
