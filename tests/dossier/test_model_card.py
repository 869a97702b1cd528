"""The model facts card and the CHAI Applied Model Card v0.2 XML (SPEC §4 gate 11, issue 12).

The builder is tested with the passing examples of checklist v2's gates, and with hand-written
answers in the shapes the clinical validation and transparency gates save where a test needs
numbers worked by hand. The dossier tests read the PDF the way an outside reviewer would:
poppler's pdfdetach lists and extracts the attached XML, pdfsig checks the signature.
"""

import copy
import json
from datetime import date, datetime, timezone as dt_timezone
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.urls import reverse
from lxml import etree

from healthpm.audit.models import AuditEvent
from healthpm.dossier import model_card
from healthpm.gates import registry
from healthpm.gates.context import thresholds
from healthpm.gates.definitions.base import EvaluationContext
from tests.factories import InitiativeFactory, signed_initiative

from .helpers import associated_files, export, pdfdetach, pdfsig, pdftotext, reader, squeezed

NS = {"mc": model_card.NS}
TODAY = date(2026, 12, 1)


def ctx() -> EvaluationContext:
    return EvaluationContext(today=TODAY, thresholds=thresholds())


# Hand-written answers in the gates' shapes. Overall 17 of 24 positives caught: sensitivity
# 0.7083, Wilson 95% 0.5083–0.8509 (worked in healthpm/lib/validation.py's docstring).
HAND_WRITTEN = {
    "clinical-validation": {
        "design": "retrospective", "design_detail": "", "sites": "Main campus",
        "period_start": "2026-01-05", "period_end": "2026-06-30", "reference_standard": "Two-physician chart review",
        "min_sensitivity": 0.6, "bar_metric": "ppv", "min_bar_metric": 0.3, "margin": 0.05,
        "bar_date": "2025-12-15", "results_date": "2026-07-20", "tp": 17, "fp": 10, "fn": 7, "tn": 966,
        "calibration_slope": None, "calibration_intercept": None, "calibration": [],
        "uncertainty_display": "needs_review", "uncertainty_description": "Scores 0.4–0.6 show “Needs review”.",
        "subgroups": [
            {"dimension": "Age band", "value": "75+", "tp": 5, "fp": 3, "fn": 4, "tn": 200,
             "justification": "Few older patients in the study", "mitigation": "Quarterly chart review of 75+"},
            {"dimension": "Sex", "value": "Female", "tp": 9, "fp": 5, "fn": 3, "tn": 480,
             "justification": "", "mitigation": ""},
        ],
    },
    "transparency": {
        "treated_as_checklist": True,
        "funding_source": "Developed with Acme's own funds; no external grant.",
        "funding_source_status": "answered",
        "cautioned_uses": "Not for the ICU or patients under 18.", "cautioned_uses_status": "answered",
        "developer_contact": "Acme Predictive, clinical-ai@acme.example", "developer_contact_status": "answered",
        "correction_frequency": "The model is locked: a correction is a new version.",
        "correction_frequency_status": "not_applicable",
    },
}


def complete_answers() -> dict:
    """Every gate of checklist v2 answered with its own passing example."""
    return {d.key: copy.deepcopy(d.examples(ctx()).passing) for d in registry.checklist(2).gates}


def initiative(**overrides):
    """The initiative facts the builder reads (the builder takes no database)."""
    fields = dict(title="Sepsis early warning", slug="sepsis-early-warning", checklist_version=2,
                  summary="Scores inpatients every hour.", intended_use="Prompts a bedside assessment.",
                  intended_users="Rapid-response nurses", get_status_display=lambda: "Draft",
                  get_clinical_area_display=lambda: "Critical care", get_care_setting_display=lambda: "Inpatient wards")
    return SimpleNamespace(**{**fields, **overrides})


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def text(root, path: str) -> str:
    return root.findtext(path, namespaces=NS)


def chai_schema() -> etree.XMLSchema:
    """CHAI's schema loaded here, apart from the builder, with the XML-DSig import served locally."""
    class Local(etree.Resolver):
        def resolve(self, url, pubid, context):
            if url.startswith("http://www.w3.org/TR/xmldsig-core/"):
                return self.resolve_filename(str(model_card._DSIG_STUB), context)
            return None

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(Local())
    return etree.XMLSchema(etree.parse(str(model_card.schema_path()), parser))


# --- the XML ---------------------------------------------------------------------------------
def test_the_card_of_a_complete_v2_initiative_validates_against_chais_schema():
    card = model_card.build_model_card(initiative(), complete_answers(), ctx())

    chai_schema().assertValid(parse(card.xml))
    assert card.xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert parse(card.xml).tag == f"{{{model_card.NS}}}AppliedModelCard"
    assert card.filename == "sepsis-early-warning-chai-model-card-v0.2.xml"


def test_the_overall_metrics_carry_the_counts_with_wilson_intervals():
    answers = complete_answers()
    answers["clinical-validation"] = copy.deepcopy(HAND_WRITTEN["clinical-validation"])

    card = model_card.build_model_card(initiative(), answers, ctx())

    root = parse(card.xml)
    results = {r.findtext("mc:Label", namespaces=NS): json.loads(r.findtext("mc:ValueJson", namespaces=NS))
               for r in root.iterfind("mc:KeyMetrics/mc:UsefulnessUsabilityEfficacy/mc:Results/mc:MetricResult", NS)}
    # 17 ÷ 24 = 0.7083, Wilson 0.5083–0.8509; specificity 966 ÷ 976; PPV 17 ÷ 27; NPV 966 ÷ 973.
    assert results["Sensitivity"] == {"kind": "estimate_ci", "estimate": 70.83, "lower": 50.83, "upper": 85.09,
                                      "level": 95, "unit": "%"}
    assert results["Specificity"]["estimate"] == 98.98
    assert results["PPV (positive predictive value)"]["estimate"] == 62.96
    assert results["NPV (negative predictive value)"]["estimate"] == 99.28
    interpretation = text(root, "mc:KeyMetrics/mc:UsefulnessUsabilityEfficacy/mc:Interpretation")
    assert "TP 17 · FP 10 · FN 7 · TN 966 (n = 1000)" in interpretation and "Wilson" in interpretation
    sensitivity = card.facts.overall[0]
    assert (sensitivity.text, sensitivity.ci_text, sensitivity.counts_text) == ("70.8%", "95% CI 50.8%–85.1%",
                                                                                 "17 of 24")


def test_subgroups_carry_their_sensitivity_gap_and_justification():
    answers = complete_answers()
    answers["clinical-validation"] = copy.deepcopy(HAND_WRITTEN["clinical-validation"])

    card = model_card.build_model_card(initiative(), answers, ctx())

    root = parse(card.xml)
    fairness = "mc:KeyMetrics/mc:FairnessEquity/"
    labels = [r.findtext("mc:Label", namespaces=NS) for r in root.iterfind(fairness + "mc:Results/mc:MetricResult", NS)]
    assert labels == ["Sensitivity — Age band: 75+", "Sensitivity — Sex: Female"]
    older = card.facts.subgroups[0]
    # 5 of 9 = 0.5556 against 17 of 24 = 0.7083: trails by 15.3 points.
    assert (older.sensitivity.text, older.positives, older.n, older.gap_text) == ("55.6%", 9, 212,
                                                                                  "trails by 15.3 points")
    interpretation = text(root, fairness + "mc:Interpretation")
    assert "Age band: 75+, 55.6% against 70.8% overall (trails by 15.3 points)" in interpretation
    assert "Few older patients in the study" in interpretation and "Quarterly chart review of 75+" in interpretation
    assert "0.05" in text(root, fairness + "mc:MetricGoal")


def test_the_transparency_answers_fill_the_card():
    answers = complete_answers()
    answers["transparency"] = {**answers["transparency"], **HAND_WRITTEN["transparency"]}

    root = parse(model_card.build_model_card(initiative(), answers, ctx()).xml)

    assert text(root, "mc:TrustIngredients/mc:TransparencyInformation/mc:FundingSource") == \
        "Developed with Acme's own funds; no external grant."
    assert text(root, "mc:UsesAndDirections/mc:CautionedOutOfScopeSettings") == "Not for the ICU or patients under 18."
    assert text(root, "mc:BasicInfo/mc:DeveloperContact") == "Acme Predictive, clinical-ai@acme.example"
    # Not applicable is said so, with the reason given.
    assert "Not applicable: The model is locked: a correction is a new version." in \
        text(root, "mc:TrustIngredients/mc:AISystemFacts/mc:OngoingMaintenance")


def test_the_registered_gates_hooks_fill_risks_monitoring_and_regulatory_status():
    answers = complete_answers()

    card = model_card.build_model_card(initiative(), answers, ctx())

    root = parse(card.xml)
    # Regulatory classification is a v1 gate: its example is non-device CDS.
    assert text(root, "mc:ReleaseInfo/mc:RegulatoryApproval").startswith("Not a medical device")
    assert card.facts.inputs == ("lactate_last_6h — LIS (LAB_RESULTS.LACTATE)",)
    risks = text(root, "mc:Warnings/mc:KnownRisksAndLimitations")
    assert "Failure-mode register" in risks and answers["failure-modes"]["modes"][0]["name"] in risks
    assert card.facts.failure_modes.headers[0] == "Failure mode"
    assert "highest severity in the failure-mode register" in text(root, "mc:Warnings/mc:ClinicalRiskLevel")
    assert any("Pause" in h for h in card.facts.monitoring.headers)
    assert "Monitoring plan:" in text(root, "mc:TrustIngredients/mc:AISystemFacts/mc:OngoingMaintenance")


def test_the_facts_page_names_the_first_inputs_and_the_xml_lists_them_all():
    answers = complete_answers()
    row = answers["auditable-inputs"]["inputs"][0]
    answers["auditable-inputs"]["inputs"] = [{**row, "name": f"feature_{i:03d}"}
                                             for i in range(model_card.FACTS_PAGE_INPUTS + 5)]

    card = model_card.build_model_card(initiative(), answers, ctx())

    assert [line.split(" — ")[0] for line in card.facts.inputs_listed] == [
        f"feature_{i:03d}" for i in range(model_card.FACTS_PAGE_INPUTS)]
    assert card.facts.inputs_unlisted == 5
    source = text(parse(card.xml), "mc:TrustIngredients/mc:AISystemFacts/mc:InputDataSource")
    assert f"feature_{model_card.FACTS_PAGE_INPUTS + 4:03d}" in source


def test_an_initiative_with_no_answers_still_validates_and_invents_nothing():
    card = model_card.build_model_card(initiative(), {}, ctx())

    chai_schema().assertValid(parse(card.xml))
    root = parse(card.xml)
    assert text(root, "mc:BasicInfo/mc:ModelDeveloper") == model_card.NOT_STATED
    assert text(root, "mc:ReleaseInfo/mc:ReleaseDate") == model_card.NOT_STATED
    assert text(root, "mc:UsesAndDirections/mc:IntendedUseAndWorkflow") == "Prompts a bedside assessment."
    values = [v.text for v in root.iterfind(".//mc:ValueJson", NS)]
    assert values == ["null", "null", "null"]  # one "No result recorded" per key metric, no number
    assert root.find("mc:TrustIngredients/mc:TransparencyInformation/mc:ThirdPartyInformation", NS) is None
    assert card.facts.overall == () and card.facts.subgroups == ()


def test_the_card_is_the_same_bytes_for_the_same_answers():
    first = model_card.build_model_card(initiative(), complete_answers(), ctx())
    again = model_card.build_model_card(initiative(), complete_answers(), ctx())

    assert first.xml == again.xml and first.sha256 == again.sha256


def test_an_approving_signature_gives_the_release_stage_and_date():
    signature = SimpleNamespace(meaning="approved", signed_at=datetime(2026, 11, 30, 15, 4, tzinfo=dt_timezone.utc),
                                manifestation="Grace Okafor — 2026-11-30T15:04:00Z — Approved for launch")

    root = parse(model_card.build_model_card(initiative(), {}, ctx(), signature=signature).xml)

    assert text(root, "mc:ReleaseInfo/mc:ReleaseDate") == "2026-11-30"
    assert "Grace Okafor — 2026-11-30T15:04:00Z — Approved for launch" in text(root, "mc:ReleaseInfo/mc:ReleaseStage")


def test_characters_xml_cannot_carry_are_dropped_not_fatal():
    card = model_card.build_model_card(initiative(summary="Scores\x00 inpatients\x0b hourly."), {}, ctx())

    assert text(parse(card.xml), "mc:ModelSummary/mc:Summary") == "Scores inpatients hourly."


def test_a_card_the_schema_refuses_names_the_element():
    root = parse(model_card.build_model_card(initiative(), {}, ctx()).xml)
    release = root.find("mc:ReleaseInfo", NS)
    release.remove(release.find("mc:ReleaseDate", NS))

    with pytest.raises(model_card.ModelCardInvalid, match="ReleaseInfo/ReleaseVersion.*ReleaseDate"):
        model_card.validate(etree.tostring(root))


def test_the_vendored_schema_is_chais_file_unchanged(settings):
    """chai/README.md names the commit and the SHA-256; a copy edited by hand would validate our
    cards against a schema CHAI never published."""
    settings.HEALTHPM_CHAI_SCHEMA = ""
    body = model_card.schema_path().read_bytes()

    assert model_card.hashlib.sha256(body).hexdigest() == (
        "68c189141e157c221945cae2a2abc63602c34b6de3623060339c67d41850ff3d"
    )


def test_a_missing_schema_file_says_where_it_should_be(settings, tmp_path):
    settings.HEALTHPM_CHAI_SCHEMA = tmp_path / "nowhere.xsd"

    with pytest.raises(model_card.SchemaUnavailable, match="nowhere.xsd"):
        model_card.build_model_card(initiative(), {}, ctx())


# --- the dossier -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_signed_v2_dossier_embeds_the_card_as_data_and_the_signature_covers_it(
        pm, compliance, signing_cert, login, leader, tmp_path, capsys):
    approved = signed_initiative(pm, compliance, checklist_version=2)

    dossier, data = export(approved)

    name = model_card.filename_for(approved)
    listing, files = pdfdetach(data)
    assert "1 embedded files" in listing and f"1: {name}" in listing
    assert associated_files(data) == [(name, "/Data")]
    downloaded = login(leader).get(reverse("dossier:model_card", args=[approved.slug]))
    assert files[name] == b"".join(downloaded.streaming_content)
    chai_schema().assertValid(parse(files[name]))
    # CHAI's DOCUMENTATION.md asks PDF producers for these two document-information entries.
    info = reader(data).trailer_view["/Info"]
    assert (str(info["/chaiMcXml"]).encode(), str(info["/chaiMcSoftwareId"])) == (files[name], "healthpm")
    report = pdfsig(data)
    assert "Signature Validation: Signature is Valid." in report and "Total document signed" in report
    (tmp_path / "dossier.pdf").write_bytes(data)
    call_command("verify_dossier", str(tmp_path / "dossier.pdf"))  # exits 1 unless genuine
    assert "Genuine" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_facts_card_page_is_in_the_contents_and_names_the_xml_and_its_hash(
        pm, compliance, signing_cert):
    approved = signed_initiative(pm, compliance, checklist_version=2)

    _, data = export(approved)

    _, files = pdfdetach(data)
    name = model_card.filename_for(approved)
    pages = pdftotext(data).split("\f")
    contents = next(p for p in pages if "Contents" in p)
    card_page = next(p for p in pages if "Model facts card" in p and "Contents" not in p)
    assert "Model facts card" in contents
    assert name in squeezed(card_page)
    assert model_card.hashlib.sha256(files[name]).hexdigest() in squeezed(card_page)
    for heading in ("Intended use", "Intended users", "Do not use for", "Performance", "Known risks and failure modes",
                    "Monitoring and pause thresholds", "Regulatory status"):
        assert heading in card_page, heading


@pytest.mark.django_db
def test_a_v1_dossier_has_no_card_page_and_no_attachment(pm, compliance, signing_cert):
    approved = signed_initiative(pm, compliance, checklist_version=1)

    _, data = export(approved)

    listing, files = pdfdetach(data)
    assert "0 embedded files" in listing and files == {}
    assert associated_files(data) == []
    assert "Model facts card" not in pdftotext(data)
    assert "Signature Validation: Signature is Valid." in pdfsig(data)


# --- the XML alone ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_whoever_sees_the_initiative_downloads_the_xml(pm, leader, login):
    draft = InitiativeFactory(owner=pm, checklist_version=2)

    response = login(leader).get(reverse("dossier:model_card", args=[draft.slug]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    disposition = response["Content-Disposition"]
    assert "attachment" in disposition and f"{draft.slug}-chai-model-card-v0.2.xml" in disposition
    body = b"".join(response.streaming_content)
    chai_schema().assertValid(parse(body))
    event = AuditEvent.objects.get(action="model_card_downloaded")
    assert (event.actor, event.initiative_id) == (leader, draft.pk)
    assert event.after["sha256"] == model_card.hashlib.sha256(body).hexdigest()


@pytest.mark.django_db
def test_the_dossier_page_links_the_xml_for_v2_only(pm, login):
    v2 = InitiativeFactory(owner=pm, checklist_version=2)
    v1 = InitiativeFactory(owner=pm, checklist_version=1)
    client = login(pm)

    v2_page = client.get(reverse("dossier:page", args=[v2.slug])).content.decode()
    v1_page = client.get(reverse("dossier:page", args=[v1.slug])).content.decode()

    assert reverse("dossier:model_card", args=[v2.slug]) in v2_page and "Download model card XML" in v2_page
    assert "model-card.xml" not in v1_page


@pytest.mark.django_db
def test_the_xml_is_hidden_from_who_may_not_see_and_absent_for_v1(pm, pm2, outsider, leader, login):
    draft = InitiativeFactory(owner=pm, checklist_version=2)
    v1 = InitiativeFactory(owner=pm, checklist_version=1)

    assert login(pm2).get(reverse("dossier:model_card", args=[draft.slug])).status_code == 404  # another team's draft
    assert login(outsider).get(reverse("dossier:model_card", args=[draft.slug])).status_code == 404
    assert login(leader).get(reverse("dossier:model_card", args=[v1.slug])).status_code == 404
    assert not AuditEvent.objects.filter(action="model_card_downloaded").exists()
