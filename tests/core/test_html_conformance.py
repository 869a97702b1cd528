"""The Nu HTML Checker (vnu, the W3C validator) reports no error on any main page.

Every page is rendered with the Django test client as the persona who uses it, written to a
file, and vnu runs once over all of them (a JVM start takes seconds). Each error is printed
with its page, line and message.

vnu comes from the `vnu-jar` npm package (tests/browser/package.json, installed by `make
install`) and runs on Java 17. Without java or the jar the test skips with the install hint; with
CI set it fails instead, like the browser journeys, so CI never goes green without validating.
"""

import json
from datetime import date, timedelta
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from healthpm.gates import registry
from tests.required import unavailable_for
from tests.browser.test_accessibility import (LATEST, People, latest_workbench, ready, under_review, with_dossiers,
                                              workbench)
from healthpm.collaboration.services import comment_edit, comment_post, gate_assign
from tests.browser.test_monitoring_page import _paused_with_history
from tests.factories import InitiativeFactory, UserFactory, gate_of

pytestmark = pytest.mark.django_db

JAVA = os.environ.get("HEALTHPM_JAVA", "java")
VNU = Path(os.environ.get("HEALTHPM_VNU", Path(__file__).parents[1] / "browser" / "node_modules" / "vnu-jar" /
                          "build" / "dist" / "vnu.jar"))
V1 = registry.checklist(1).keys


def vnu_or_skip() -> list[str]:
    unavailable = unavailable_for("The Nu HTML Checker")
    if not shutil.which(JAVA):
        unavailable(f"Java is not installed ({JAVA!r} not found; .ci/system-deps installs Java 17).")
    if not VNU.exists():
        unavailable(f"vnu.jar is missing at {VNU} (`make install` runs npm ci --prefix tests/browser).")
    return [JAVA, "-jar", str(VNU), "--format", "json", "--stdout"]


def pages(people: People) -> list[tuple[str, str, str | None, dict | None]]:
    """(name, persona, path, POST data or None) for every main page, in the states that show most."""
    bench = workbench(people)
    v2 = latest_workbench(people)
    review = under_review(people)
    ready_one = ready(people)
    dossiers = with_dossiers(people)
    InitiativeFactory(owner=people.pm, title="Wound photo triage", clinical_area="nursing")
    # A thread with a mention and an edited comment, and an assigned gate: the comment block,
    # the inbox entries and the "Assigned to me" tab have something to show.
    discussed = gate_of(review, V1[0])
    question = comment_post(gate=discussed, by=people.compliance,
                            body=f"@{people.pm.username} which silent-mode run gave the volume?")
    comment_edit(comment=question, by=people.compliance,
                 body=f"@{people.pm.username} which silent-mode run gave the 40 alerts a day?")
    comment_post(gate=discussed, by=people.pm, body="The March run on 4 wards; the report is attached.")
    gate_assign(gate=gate_of(bench, V1[1]), by=people.pm, assignee=people.pm)
    found = [
        ("login", None, "/accounts/login/", None),
        ("initiative list", "pm", "/initiatives/", None),
        ("initiative list, all", "compliance", "/initiatives/?scope=all", None),
        ("new initiative", "pm", "/initiatives/new/", None),
        ("edit initiative", "pm", f"/initiatives/{bench.slug}/edit/", None),
        ("overview (PM)", "pm", f"/initiatives/{bench.slug}/", None),
        ("overview (compliance)", "compliance", f"/initiatives/{review.slug}/", None),
        ("approval (compliance)", "compliance", f"/initiatives/{ready_one.slug}/approval/", None),
        ("dossier page", "pm", f"/initiatives/{dossiers.slug}/dossier/", None),
        ("dashboard", "leader", "/dashboard/", None),
        ("verify", "leader", "/dossiers/verify/", None),
        ("verify with a result", "leader", "/dossiers/verify/", {"file": ("scan.pdf", b"%PDF-1.4\n%%EOF\n")}),
        ("password change", "pm", "/accounts/password/", None),
        ("two-factor enrolment", "pm", "/accounts/mfa/", None),
        ("lockout page", None, "/accounts/login/", {"username": "lena", "password": "wrong-password"}),
        ("initiative list, assigned to me", "pm", "/initiatives/?scope=assigned", None),
        ("review queue", "compliance", "/reviews/", None),
        ("inbox (PM)", "pm", "/inbox/", None),
        ("inbox (compliance)", "compliance", "/inbox/", None),
        ("403 page", "pm", "/dashboard/", None),
        ("no role yet", "norole", "/", None),
        ("404 page", "pm", "/initiatives/no-such-initiative/", None),
        ("API tokens", "pm", "/api/tokens/", None),
        ("API tokens, a new one shown once", "pm", "/api/tokens/",
         {"name": "nightly export", "scopes": "read", "expires_on": str(date.today() + timedelta(days=30))}),
        ("API docs", "pm", "/api/v1/docs/", None),
    ]
    # A launched initiative paused by a breach: the monitoring page, its upload refusing a bad row,
    # and the dashboard's post-launch panel listing it.
    monitored = f"/initiatives/{_paused_with_history(people.pm, people.compliance).slug}/monitoring/"
    found += [("monitoring (PM)", "pm", monitored, None),
              ("monitoring upload with a bad row", "pm", monitored,
               {"file": ("samples.csv", b"metric,period_start,period_end,value\nheart_rate,2026-01-01,2026-01-01,1\n")}),
              ("monitoring (leader)", "leader", monitored, None)]
    found += [(f"v1 gate {key} (PM)", "pm", f"/initiatives/{bench.slug}/gates/{key}/", None) for key in V1]
    found.append(("table import preview (problems, changes)", "pm", _pending_import(bench, people.pm), None))
    found += [(f"v1 gate {key} (compliance, decide form)", "compliance",
               f"/initiatives/{review.slug}/gates/{key}/", None) for key in V1]
    for who in ("pm", "compliance"):
        found += [(f"v{LATEST.version} gate {key} ({who})", who, f"/initiatives/{v2.slug}/gates/{key}/", None)
                  for key in LATEST.keys]
    return found


def _pending_import(initiative, pm) -> str:
    """An import into the input inventory previewed by the PM: one changed row, one added, a
    problem (issue 14 item 1); the preview's path."""
    from django.urls import reverse

    from healthpm.gates.context import evaluation_context
    from healthpm.gates.imports import prepare_import
    from healthpm.gates.models import PendingImport
    from healthpm.gates.services import gate_data_digest
    from healthpm.gates.tables import declared_tables

    gate = gate_of(initiative, "auditable-inputs")
    table = declared_tables(gate.definition)[0]
    rows = [[r.get("name"), r.get("source_system"), r.get("source_field"), "Yes", "Yes", "No", "", "edited"]
            for r in gate.data.get("inputs") or []]
    rows += [["spo2_min_1h", "EHR", "VITALS.SPO2", "Yes", "Yes", "No", "", ""],
             ["legacy_flag", "EHR-legacy", "OLD.FLAG", "Yes", "Yes", "No", "", ""]]
    data = ("Input,Source system,Source table / field,Timestamped at source,Available at prediction time,"
            "Contains PHI,Proxy justification,Notes\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)).encode()
    prepared = prepare_import(gate, table, data, "inputs.csv", evaluation_context())
    pending = PendingImport.objects.create(gate=gate, table_key=table.key, created_by=pm, original_name="inputs.csv",
                                           sha256="0" * 64, content=data, rows=prepared.rows,
                                           problems=prepared.problems, base_digest=gate_data_digest(gate.data))
    return reverse("gates:table_import_preview", args=[initiative.slug, gate.key, table.key, pending.pk])


def render_all(people: People, folder: Path) -> dict[str, str]:
    """Writes each page to a file; returns {file path: page name}."""
    clients = {None: Client()}
    for who in ("pm", "compliance", "leader"):
        clients[who] = Client()
        clients[who].force_login(getattr(people, who))
    clients["norole"] = Client()
    clients["norole"].force_login(UserFactory(username="newcomer"))  # a first sign-in, no role yet
    names = {}
    for n, (name, who, path, post) in enumerate(pages(people)):
        client = clients[who]
        if post and name == "lockout page":
            for _ in range(settings.AXES_FAILURE_LIMIT):
                response = client.post(path, post)
        elif post:
            files = {k: SimpleUploadedFile(v[0], v[1]) if isinstance(v, tuple) else v for k, v in post.items()}
            response = client.post(path, files)
        else:
            response = client.get(path)
        assert response.status_code in (200, 400, 403, 404, 429), f"{name} ({path}) answered {response.status_code}"
        assert response["Content-Type"].startswith("text/html"), f"{name} ({path}) is not HTML"
        file = folder / f"page-{n:03d}.html"
        file.write_bytes(response.content)
        names[str(file)] = f"{name} ({path})"
    return names


def test_every_main_page_is_valid_html(tmp_path, pm, compliance, leader):
    command = vnu_or_skip()
    names = render_all(People(pm=pm, compliance=compliance, leader=leader), tmp_path)

    result = subprocess.run([*command, *sorted(names)], capture_output=True, text=True, timeout=600)

    report = json.loads(result.stdout or result.stderr)
    errors = [m for m in report["messages"] if m["type"] in ("error", "non-document-error")
              or m.get("subType") == "fatal"]
    by_file = {Path(path).name: name for path, name in names.items()}
    lines = [f"{by_file.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))}, line {m.get('lastLine', '?')}: {m['message']}\n"
             f"    {m.get('extract', '').strip()}" for m in errors]
    assert not errors, f"The Nu HTML Checker found {len(errors)} error(s):\n" + "\n".join(lines)
