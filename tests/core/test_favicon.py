"""Every page names a favicon (an SVG and an ICO fallback) that the static files hold."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["login", "signed in"])
def test_pages_link_an_svg_favicon_and_an_ico_fallback(client, pm, name):
    if name == "signed in":
        client.force_login(pm)
    page = client.get(reverse("login") if name == "login" else reverse("initiatives:list")).content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in page
    assert 'href="/static/img/favicon.ico"' in page


def test_the_favicon_files_are_real():
    svg = finders.find("img/favicon.svg")
    ico = finders.find("img/favicon.ico")
    assert svg and open(svg, encoding="utf-8").read().startswith("<svg")
    assert ico and open(ico, "rb").read(4) == b"\x00\x00\x01\x00"  # the ICO header
