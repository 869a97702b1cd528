"""Browser-facing hardening: security headers and a Content-Security-Policy without inline
code on every page, downloads that cannot be rendered or cached, no public media URL, and
Django's deployment checklist clean under production settings (OWASP ASVS 14.4, HIPAA
§164.312(e))."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from healthpm.gates import registry
from healthpm.gates.models import Evidence
from healthpm.gates.services import Upload, evidence_add
from tests.factories import InitiativeFactory, gate_of, pdf_bytes, submitted_gate

ROOT = Path(__file__).resolve().parents[2]

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)


@pytest.fixture
def initiative(db, pm, compliance):
    initiative = InitiativeFactory(owner=pm, title="Sepsis early warning")
    submitted_gate(initiative, pm)
    return initiative


def pages(initiative) -> dict[str, str]:
    slug = initiative.slug
    urls = {
        "initiative list": reverse("initiatives:list"),
        "new initiative": reverse("initiatives:new"),
        "overview": reverse("initiatives:overview", args=[slug]),
        "edit": reverse("initiatives:edit", args=[slug]),
        "approval": reverse("approvals:approval", args=[slug]),
        "dossier": reverse("dossier:page", args=[slug]),
        "verify": reverse("dossier:verify"),
        "dashboard": reverse("dashboard:portfolio"),
        "password change": reverse("password_change"),
        "not found": "/initiatives/no-such-initiative/",
    }
    for gate in registry.current().gates:
        urls[f"gate {gate.key}"] = reverse("gates:detail", args=[slug, gate.key])
    return urls


def test_every_page_is_served_under_a_strict_policy_with_no_inline_code(initiative, pm, leader, client, login):
    client.force_login(pm)
    checked = 0
    for name, url in {"login": reverse("login"), **pages(initiative)}.items():
        if name == "login":
            client.logout()
        else:
            client.force_login(leader if name == "dashboard" else pm)
        response = client.get(url)
        assert response.status_code in (200, 404), name
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, name
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, name
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, name
        assert response["X-Frame-Options"] == "DENY", name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["Referrer-Policy"] == "same-origin", name
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", name
        html = response.content.decode()
        for pattern, what in ((INLINE_SCRIPT, "an inline <script>"), (INLINE_HANDLER, "an on…= handler"),
                              (STYLE_ATTRIBUTE, "a style attribute"), (STYLE_ELEMENT, "a <style> element")):
            match = pattern.search(html)
            assert match is None, f"{name} ({url}) has {what}, which the CSP blocks: {match.group(0)[:120]}"
        checked += 1
    assert checked == 11 + len(registry.current().gates)


def test_session_and_csrf_cookies_stay_out_of_scripts_and_cross_site_requests(client, pm, password):
    response = client.post(reverse("login"), {"username": pm.username, "password": password})
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_evidence_leaves_only_as_a_checked_attachment(db, pm, client, login):
    initiative = InitiativeFactory(owner=pm)
    gate = gate_of(initiative)
    evidence_add(gate=gate, by=pm, item_key="data-dictionary", effective_date=initiative.created_at.date(),
                 upload=Upload("lineage.pdf", pdf_bytes()))
    evidence = Evidence.objects.get(gate=gate, kind="file")
    login(pm)

    response = client.get(reverse("gates:evidence_download", args=[initiative.slug, gate.key, evidence.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == pdf_bytes()
    # The stored file has no public address: neither MEDIA_URL nor the storage path answers.
    assert client.get(django_settings.MEDIA_URL + evidence.file.name).status_code == 404
    assert client.get("/" + evidence.file.name).status_code == 404
    assert not evidence.file.name.startswith(("/", "..")) and "lineage" not in evidence.file.name


def production_env(**overrides) -> dict[str, str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE is the browser tests' (tests/browser/conftest.py), not production's.
    dropped = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="healthpm.hospital.example",
               HEALTHPM_SIGNING_PASSPHRASE="not-used-by-the-check")
    env.update(overrides)
    return env


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_deployment_checklist_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deployment_check_fails_on_a_warning():
    """The check above can fail: DEBUG on in production is a deployment warning."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(DEBUG="true"))

    assert result.returncode != 0 and "security.W018" in result.stdout + result.stderr


def test_production_settings_turn_on_transport_security():
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'DEBUG', "
        "'HEALTHPM_IDLE_LOGOUT_SECONDS', 'AXES_FAILURE_LIMIT']}))"
    )
    env = production_env(DJANGO_SETTINGS_MODULE="healthpm.settings")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "DEBUG": False,
        "HEALTHPM_IDLE_LOGOUT_SECONDS": 900, "AXES_FAILURE_LIMIT": 5,
    }


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]
    result = manage("check", env=env)

    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
