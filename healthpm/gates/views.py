import hashlib
import io
from urllib.parse import quote
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST, require_safe

from healthpm import access
from healthpm.accounts import roles
from healthpm.audit.services import record
from healthpm.core.downloads import attachment
from healthpm.core.errors import WorkflowError
from healthpm.core.xlsx import CONTENT_TYPE as XLSX, workbook_bytes
from healthpm.lib.spreadsheet import Refused

from .context import evaluation_context
from .definitions.base import GateDefinition
from .definitions.forms_base import RowForm, RowTable
from .diff import gate_diff
from .forms import DecisionForm, EvidenceForm, ExceptionForm, SubmitForm, TableImportForm
from .imports import KEY, display, prepare_import, preview_diff, printable, reading_digest
from .models import GATE_STATUS_SIGNS, Gate, GateStatus, PendingImport
from .report import gate_report
from .rows import RowPage, RowQuery, row_key, row_page, saved_row
from .services import (Upload, check_upload_name, evidence_add, gate_data_digest, gate_decide, gate_import_table,
                       gate_record_exception, gate_save_data, gate_save_row, gate_submit, gate_withdraw,
                       require_open_for_edit, with_officer_data, with_paged_rows)
from .tables import column_label, declared_tables, table_fields, table_sheet


def _show_error(request, exc: WorkflowError, *, details_on_page: bool = False) -> None:
    """The refusal as messages. `details_on_page`: the page lists the details itself (a refused
    submission's blockers under "What blocks submission"), so each is said once, there."""
    if details_on_page and exc.details:
        messages.error(request, f"{exc.message.rstrip(':')}: what blocks it is listed under “What blocks submission”.",
                       extra_tags="workflow")
        return
    messages.error(request, exc.message, extra_tags="workflow")
    for detail in exc.details:
        messages.error(request, detail, extra_tags="detail")


# POST-redirect-GET for the gate page's forms that post elsewhere (evidence, submit, decide,
# exception): a refused form goes back to the gate's own URL with what was typed and why it was
# refused, kept in the session for that one GET. Re-rendering at …/submit/ left that address in
# the bar, and reloading it gave a bare 405.
REFUSED_FORM_KEY = "healthpm_refused_gate_form"
REFUSED_FORMS = {"evidence_form": EvidenceForm, "submit_form": SubmitForm, "decision_form": DecisionForm,
                 "exception_form": ExceptionForm}
REFUSED_WORDS = {"evidence_form": "The evidence was not added", "submit_form": "The gate was not submitted",
                 "decision_form": "No decision was recorded", "exception_form": "No exception was recorded"}


def _back_to_gate(request, gate: Gate, name: str, form) -> HttpResponse:
    assert name in REFUSED_FORMS
    if form.errors:  # a workflow refusal has already said why (_show_error)
        messages.error(request, f"{REFUSED_WORDS[name]}: correct what is marked below and send it again.")
    request.session[REFUSED_FORM_KEY] = {
        "gate": gate.pk,
        "form": name,
        "data": {key: form.data.getlist(key) for key in form.data if key != "csrfmiddlewaretoken"},
        "errors": {field: [str(e) for e in errors] for field, errors in form.errors.items()},
    }
    return redirect(gate)


def _refused_form(request, gate: Gate) -> dict:
    """The form a redirect brought back to this gate, bound to what was typed and showing its errors."""
    saved = request.session.get(REFUSED_FORM_KEY)
    if not saved or saved.get("gate") != gate.pk or saved.get("form") not in REFUSED_FORMS:
        return {}
    del request.session[REFUSED_FORM_KEY]
    data = QueryDict(mutable=True)
    for key, values in saved["data"].items():
        data.setlist(key, values)
    form_class = REFUSED_FORMS[saved["form"]]
    if form_class is EvidenceForm:
        form = form_class(data, gate=gate)
    elif form_class is SubmitForm:
        form = form_class(data, rejection=gate.rejection_to_answer())
    else:
        form = form_class(data)
    # The errors of the POST, not of this re-binding (the file is not re-sent, and a workflow refusal
    # is not a field check).
    form._errors = ErrorDict({field: form.error_class(problems, error_class="nonfield" if field == NON_FIELD_ERRORS
                                                      else None)
                              for field, problems in saved["errors"].items()})
    return {saved["form"]: form}


def _exceptable(report, *, can_decide: bool) -> list:
    """The blocking findings this officer may except in writing now (the definition's officer_keys)."""
    gate, officer_keys = report.gate, report.definition.officer_keys
    if not (officer_keys and can_decide) or gate.initiative.is_locked or gate.status in (GateStatus.SUBMITTED,
                                                                                         GateStatus.APPROVED):
        return []
    return [f for f in report.findings if f.blocks and f.field in officer_keys]


@dataclass
class PagedTable:
    """What the gate page draws for a paged table (RowTable.paged): a page of its rows, the
    form that adds one, and the row being edited with its form."""

    table: RowTable
    page: RowPage
    columns: list[tuple[str, str, str]]  # (field name, label, help text)
    add_form: RowForm | None             # None: the reader may not edit
    editing: str = ""                    # row_key of the row whose form is open
    edit_form: RowForm | None = None
    note: str = ""                       # what the last row action did (said in the table, for htmx)
    note_error: bool = False

    @property
    def key(self) -> str:
        return self.table.key

    @property
    def search_label(self) -> str:
        """"name, source system or source table / field": the columns a search matches."""
        labels = [label.lower() for name, label, _ in self.columns if name in self.table.search]
        return ", ".join(labels[:-1]) + f" or {labels[-1]}" if len(labels) > 1 else "".join(labels)


def _cell(field, value) -> str:
    return "" if value in (None, "", []) else display(field, value)


def _paged_tables(request, gate: Gate, report, ctx, *, can_edit: bool, row_form: RowForm | None = None,
                  original: str | None = None, note: str = "", note_error: bool = False,
                  query: RowQuery | None = None) -> list[PagedTable]:
    """The gate's paged tables as the request's query asks (search, filter, page, the row to
    edit) or as `query` says. `row_form` is a refused row form to show again: the add form, or
    (with `original`) the form of the row being edited."""
    form_class = gate.definition.form_class
    tables = [t for t in (form_class.tables if form_class else ()) if t.paged]
    if not tables:
        return []
    gate_form = form_class(initial={}, gate=gate, context=ctx)
    query = query or RowQuery.from_params(request.GET)
    editing = row_key(original if original is not None else request.GET.get("edit")) if can_edit else ""
    drawn = []
    for table in tables:
        fields = table_fields(gate, table, ctx, form=gate_form)
        rows = gate.data.get(table.key) or []
        page = row_page(table, rows, report.findings, ctx, query,
                        lambda row: tuple((column_label(name, field), _cell(field, row.get(name)))
                                          for name, field in fields))
        add_form = edit_form = None
        if can_edit:
            add_form = row_form if row_form is not None and original is None else \
                gate_form.row_form(table, prefix=f"add-{table.key}")
            if editing:
                saved = saved_row(rows, table, editing)
                edit_form = row_form if original is not None else \
                    gate_form.row_form(table, initial=saved, prefix=f"edit-{table.key}") if saved else None
        shown_note, shown_error = note, note_error
        if edit_form is not None and edit_form.is_bound and editing not in {r.key for r in page.rows}:
            # The refused row is not on this page (renamed or removed meanwhile): say why above the table.
            shown_note = " ".join(edit_form.non_field_errors()) or "The row was not saved: reload the table."
            shown_error, edit_form = True, None
        drawn.append(PagedTable(table, page, [(name, column_label(name, field), str(field.help_text or ""))
                                              for name, field in fields],
                                add_form, editing if edit_form is not None else "", edit_form, shown_note,
                                shown_error))
    return drawn


def _gate_page(request, gate: Gate, *, data_form=None, evidence_form=None, submit_form=None, decision_form=None,
               exception_form=None, row_form=None, original=None, note="", note_error=False, query=None,
               template="gates/detail.html", status=200):
    """Status, what blocks and why, the form, the evidence register, the decisions (STYLE.md).
    `template` draws part of it for htmx (a paged table, or a row saved with the status it leads to)."""
    user, initiative, definition = request.user, gate.initiative, gate.definition
    ctx = evaluation_context()
    report = gate_report(gate, ctx)
    if data_form is None and definition.form_class is not None:
        data_form = _prefilled_form(gate, ctx)
    can_edit = access.can_edit(user, initiative) and not initiative.is_locked
    paged = _paged_tables(request, gate, report, ctx, can_edit=can_edit and gate.status != GateStatus.SUBMITTED,
                          row_form=row_form, original=original, note=note, note_error=note_error, query=query)
    links = {f.message: f"{gate.get_absolute_url()}?problem={quote(f.group)}#rows-{f.field}"
             for f in report.grouped_findings if f.group and not f.row and any(p.key == f.field for p in paged)}
    conflict = access.decision_conflict(user, initiative) if roles.is_compliance(user) else None
    can_decide = roles.is_compliance(user) and conflict is None
    last_decision = gate.latest_decision()
    rejection = gate.rejection_to_answer()
    # What changed since the last decision: the reviewer of a resubmission reads it, the team
    # checks it before resubmitting. An approval that still stands has nothing to compare.
    changes = gate_diff(gate, last_decision, ctx.today) if gate.status != GateStatus.APPROVED else None
    context = {
        "initiative": initiative,
        "gate": gate,
        "report": report,
        "definition": definition,
        "items": report.items,
        "blockers": report.blockers,
        "warnings": report.warnings,
        "working": report.working,
        "data_blockers": report.data_blockers,
        "described": report.described,
        # A paged table is drawn by `paged_tables`, a page at a time, never in full.
        "tables": [t for t in report.tables if t.table_key not in {p.key for p in paged}],
        "paged_tables": paged,
        # What blocks, and the warnings, each with a link to the rows it is about when it groups
        # rows of a paged table ("412 model inputs come from …: show them").
        "blocker_lines": [(b, links.get(b, "")) for b in report.blockers],
        "warning_lines": [(w.message, links.get(w.message, "")) for w in report.warnings],
        "evidence": report.evidence,
        "decisions": report.decisions,
        "approval": report.approval,
        "approval_matches": report.approval_matches,
        "can_edit": can_edit,
        "can_decide": can_decide,
        "decision_conflict": conflict,
        "data_form": data_form,
        "evidence_form": evidence_form or EvidenceForm(gate=gate),
        "submit_form": submit_form or SubmitForm(rejection=rejection),
        "last_decision": last_decision,
        "rejection": rejection,
        "changes": changes,
        "decision_form": decision_form or DecisionForm(),
        "exceptable": _exceptable(report, can_decide=can_decide),
        "exception_form": exception_form or ExceptionForm(),
        "next_gate": gate.checklist.next_after(gate.key),
        "gate_nav": _gate_nav(gate),
        # The tables the gate's form declares that have saved rows, each downloadable as XLSX.
        "table_downloads": [{"key": t.key, "title": t.title, "noun": t.noun, "rows": len(gate.data[t.key])}
                            for t in declared_tables(definition) if gate.data.get(t.key)],
        "import_form": TableImportForm(),
    }
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])  # the same URL answers htmx with a part of the page
    return response


def _gate_nav(gate: Gate) -> list[tuple]:
    """The gate tabs: each gate of the checklist with its status symbol and words (one query)."""
    statuses = dict(Gate.objects.filter(initiative_id=gate.initiative_id).values_list("key", "status"))
    return [(d, *GATE_STATUS_SIGNS.get(statuses.get(d.key), ("", ""))) for d in gate.checklist.gates]


def _prefilled_form(gate: Gate, ctx):
    """The gate's form with its saved answers and, for a main-form field with no saved value,
    what the initiative's other gates already say (`definition.prefill`). The form's `main.prefilled`
    maps each such field to its source for the page's "Prefilled from …" note; saving stores only
    what the form posts."""
    definition = gate.definition
    initial, sources = dict(gate.data), {}
    # Only a gate that prefills costs the query for the other gates' data.
    if type(definition).prefill is not GateDefinition.prefill:
        others = dict(Gate.objects.filter(initiative_id=gate.initiative_id).exclude(pk=gate.pk).values_list("key", "data"))
        for name, offer in definition.prefill(others, ctx).items():
            if initial.get(name) in (None, "", []):
                initial[name] = offer.value
                sources[name] = offer.source
    form = definition.form_class(initial=initial, gate=gate, context=ctx)
    form.main.prefilled = sources
    return form


@login_required
def gate_detail(request, slug, key):
    """GET shows the gate; POST saves its structured form (gates that have one)."""
    gate = access.get_gate_for(request.user, slug, key)
    form_class = gate.definition.form_class
    if request.method == "POST":
        access.require_edit(request.user, gate.initiative)
        if form_class is None:
            raise Http404("This gate has no form")
        form = form_class(request.POST, initial=gate.data, gate=gate, context=evaluation_context())
        if not form.posts_anything:  # its rows are saved one at a time (table_row_save)
            return HttpResponseNotAllowed(["GET"])
        if form.is_valid():
            try:
                gate_save_data(gate=gate, by=request.user, data=form.to_data())
            except WorkflowError as exc:
                _show_error(request, exc)
            else:
                messages.success(request, f"“{gate.title}” saved.")
                return redirect(gate)
        return _gate_page(request, access.get_gate_for(request.user, slug, key), data_form=form, status=400)
    target = request.headers.get("HX-Target", "") if request.headers.get("HX-Request") else ""
    if target.startswith("rows-"):  # a paged table's search, filter, page or open row
        return _gate_page(request, gate, template="gates/_rows_part.html")
    return _gate_page(request, gate, **_refused_form(request, gate))


@login_required
@require_POST
def gate_preview(request, slug, key):
    """Live evaluation while the PM types: the rules and working on unsaved answers.

    Nothing is stored; the same definition code decides as on save and submission.
    """
    gate = access.get_gate_for(request.user, slug, key)
    access.require_edit(request.user, gate.initiative)
    form_class = gate.definition.form_class
    if form_class is None:
        raise Http404("This gate has no form")
    ctx = evaluation_context()
    form = form_class(request.POST, initial=gate.data, gate=gate, context=ctx)
    context = {"gate": gate, "definition": gate.definition, "preview": True}
    if form.is_valid():
        report = gate_report(gate, ctx, data=with_paged_rows(gate, with_officer_data(gate, form.to_data())))
        context.update({"data_blockers": report.data_blockers, "warnings": report.warnings,
                        "working": report.working})
    else:
        context["form_errors"] = form.error_messages()
        # The working from what is valid so far (the numbers of the false-positive cost while its
        # source is still being typed); rules are judged only on a complete answer.
        context["working"] = gate.definition.working(form.partial_data(), ctx) if form.main.cleaned_data else None
    return render(request, "gates/_evaluation.html", context)


def _paged_table(gate: Gate, table: str) -> RowTable:
    form_class = gate.definition.form_class
    found = next((t for t in (form_class.tables if form_class else ()) if t.key == table and t.paged), None)
    if found is None:
        raise Http404("This gate has no such table")
    return found


def _after_row(request, gate: Gate, table: RowTable, note: str, query: RowQuery) -> HttpResponse:
    """A row was saved (`gate` as the service left it, evidence and decisions loaded): htmx gets
    the table again (as `query` asks) with the gate's new status and evaluation; a plain form
    post goes back to the table (POST-redirect-GET)."""
    if request.headers.get("HX-Request"):
        return _gate_page(request, gate, note=note, query=query, template="gates/_row_saved.html")
    messages.success(request, note)
    return redirect(f"{gate.get_absolute_url()}{query.querystring()}#rows-{table.key}")


def _row_workflow_refused(request, gate: Gate, table: RowTable, exc: WorkflowError) -> HttpResponse:
    """A row change the workflow refuses (the gate under review, the initiative locked, the last
    row): said above the table, nothing changed."""
    if request.headers.get("HX-Request"):
        return _gate_page(request, access.get_gate_for(request.user, gate.initiative.slug, gate.key),
                          note=exc.message, note_error=True, template="gates/_rows_part.html")
    _show_error(request, exc)
    return redirect(f"{gate.get_absolute_url()}{RowQuery.from_params(request.GET).querystring()}#rows-{table.key}")


def _row_refused(request, gate: Gate, form: RowForm, original: str | None) -> HttpResponse:
    """A refused row: the page (or, for htmx, the table) again with the form showing why."""
    gate = access.get_gate_for(request.user, gate.initiative.slug, gate.key)
    if request.headers.get("HX-Request"):  # htmx swaps 2xx answers only
        return _gate_page(request, gate, row_form=form, original=original, template="gates/_rows_part.html")
    return _gate_page(request, gate, row_form=form, original=original, status=400)


@login_required
@require_POST
def table_row_save(request, slug, key, table):
    """Add a row to a paged table, or (with `original`, the name it had) change one. The list's
    search, filter and page ride in the query string and are kept."""
    gate = access.get_gate_for(request.user, slug, key)
    access.require_edit(request.user, gate.initiative)
    declared = _paged_table(gate, table)
    try:
        require_open_for_edit(gate)  # before the form: a locked table says so, not which field is empty
    except WorkflowError as exc:
        return _row_workflow_refused(request, gate, declared, exc)
    original = request.POST.get("original")
    ctx = evaluation_context()
    name_field = declared.form_class.name_field
    saved = saved_row(gate.data.get(table) or [], declared, original) if original is not None else None
    form = gate.definition.form_class(initial={}, gate=gate, context=ctx).row_form(
        declared, request.POST, initial=saved, prefix=f"{'edit' if original is not None else 'add'}-{table}")
    if form.is_valid():
        row = form.to_data()
        try:
            gate = gate_save_row(gate=gate, by=request.user, table_key=table, original=original, row=row)
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            name = row.get(name_field, "")
            if original is None:  # show the new row, where it is, with what it blocks
                return _after_row(request, gate, declared, f"{declared.noun.capitalize()} “{name}” added.",
                                  RowQuery(q=str(name)))
            return _after_row(request, gate, declared, f"{declared.noun.capitalize()} “{name}” saved.",
                              RowQuery.from_params(request.GET))
    return _row_refused(request, gate, form, original)


@login_required
@require_POST
def table_row_remove(request, slug, key, table):
    gate = access.get_gate_for(request.user, slug, key)
    access.require_edit(request.user, gate.initiative)
    declared = _paged_table(gate, table)
    original = request.POST.get("original", "")
    try:
        gate = gate_save_row(gate=gate, by=request.user, table_key=table, original=original, row=None)
    except WorkflowError as exc:
        return _row_workflow_refused(request, gate, declared, exc)
    return _after_row(request, gate, declared, f"{declared.noun.capitalize()} “{original}” removed.",
                      RowQuery.from_params(request.GET))


@login_required
@require_POST
def table_row_check(request, slug, key, table):
    """The live check of one row while it is typed: only that row is evaluated, against the
    gate's rules, whatever the size of the table. Nothing is stored."""
    gate = access.get_gate_for(request.user, slug, key)
    access.require_edit(request.user, gate.initiative)
    declared = _paged_table(gate, table)
    ctx = evaluation_context()
    original = request.POST.get("original")
    form = gate.definition.form_class(initial={}, gate=gate, context=ctx).row_form(
        declared, request.POST, prefix=f"{'edit' if original is not None else 'add'}-{table}")
    findings = []
    if form.is_valid():
        row = form.to_data()
        name = row_key(row.get(declared.form_class.name_field))
        findings = [f for f in gate.definition.findings({**gate.data, table: [row]}, ctx)
                    if f.field == table and row_key(f.row) == name]
    return render(request, "gates/_row_check.html", {"form": form, "findings": findings, "table": declared})


@login_required
@require_POST
def evidence_create(request, slug, key):
    gate = access.get_gate_for(request.user, slug, key)
    access.require_edit(request.user, gate.initiative)
    form = EvidenceForm(request.POST, request.FILES, gate=gate)
    if form.is_valid():
        try:
            evidence = evidence_add(
                gate=gate, by=request.user, item_key=form.cleaned_data["item"],
                effective_date=form.cleaned_data["effective_date"], expiry_date=form.cleaned_data["expiry_date"],
                upload=form.upload(), url=form.cleaned_data["url"] or "", title=form.cleaned_data["title"],
                replaces=form.cleaned_data["replaces"],
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            if evidence.expired_at_upload:
                messages.warning(request, f"Evidence “{evidence.display_name}” (v{evidence.version}) was stored, but "
                                          f"it expired on {evidence.expiry_date:%Y-%m-%d}, before today, so it does "
                                          "not count as current evidence. Upload the renewed document, or correct "
                                          "the expiry date by replacing it.")
            else:
                messages.success(request, f"Evidence “{evidence.display_name}” (v{evidence.version}) added.")
            return redirect(gate)
    return _back_to_gate(request, gate, "evidence_form", form)


@login_required
@require_POST
def gate_submit_view(request, slug, key):
    gate = access.get_gate_for(request.user, slug, key)
    form = SubmitForm(request.POST, rejection=gate.rejection_to_answer())
    if not form.is_valid():
        # Say why on the page: a refused note must not look like a submission that happened.
        return _back_to_gate(request, gate, "submit_form", form)
    try:
        gate_submit(gate=gate, by=request.user, note=form.cleaned_data["note"],
                    response=form.cleaned_data.get("response", ""))
    except WorkflowError as exc:
        # A gate not started shows a calm first step, not its blockers: then the message lists them.
        _show_error(request, exc, details_on_page=gate.status != GateStatus.NOT_STARTED)
        return _back_to_gate(request, gate, "submit_form", form)
    messages.success(request, f"“{gate.title}” submitted. Compliance officers have been notified.")
    return redirect(gate)


@login_required
@require_POST
def gate_withdraw_view(request, slug, key):
    """The team takes a submitted gate back from review before it is decided."""
    gate = access.get_gate_for(request.user, slug, key)
    try:
        gate_withdraw(gate=gate, by=request.user)
    except WorkflowError as exc:
        _show_error(request, exc)
        return redirect(gate)
    messages.success(request, f"“{gate.title}” withdrawn from review. Edit it and submit it again when it is ready.")
    return redirect(gate)


@login_required
@require_POST
def gate_decide_view(request, slug, key):
    gate = access.get_gate_for(request.user, slug, key)
    access.require_decide(request.user, gate.initiative)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            made = gate_decide(gate=gate, by=request.user, decision=form.cleaned_data["decision"],
                               reason=form.cleaned_data["reason"])
        except WorkflowError as exc:
            _show_error(request, exc)
            return _back_to_gate(request, gate, "decision_form", form)
        messages.success(request, f"“{gate.title}” {made.get_decision_display().lower()}.")
        return redirect(gate)
    return _back_to_gate(request, gate, "decision_form", form)


@login_required
@require_POST
def gate_exception_view(request, slug, key):
    """A compliance officer records a written exception to a finding the gate lets officers except."""
    gate = access.get_gate_for(request.user, slug, key)
    access.require_record_exception(request.user, gate.initiative)
    form = ExceptionForm(request.POST)
    if not form.is_valid():
        return _back_to_gate(request, gate, "exception_form", form)
    try:
        gate_record_exception(gate=gate, by=request.user, text=form.cleaned_data["text"])
    except WorkflowError as exc:
        _show_error(request, exc)
        return _back_to_gate(request, gate, "exception_form", form)
    messages.success(request, f"Written exception recorded on “{gate.title}”.")
    return redirect(gate)


@login_required
@require_safe
def evidence_download(request, slug, key, evidence_id):
    evidence = access.get_evidence_for(request.user, slug, key, evidence_id)
    if not evidence.file:
        raise Http404("This evidence is a link, not a file")
    record("evidence_downloaded", actor=request.user, obj=evidence, initiative=evidence.gate.initiative)
    return attachment(evidence.file.open("rb"), filename=evidence.original_name, content_type=evidence.content_type)


@login_required
@require_safe
def table_xlsx(request, slug, key, table):
    """One of the tables the gate's form declares, as saved, in a spreadsheet: whoever sees the gate.

    Audited like an evidence or dossier download: the rows may describe PHI flows and vendors.
    """
    gate = access.get_gate_for(request.user, slug, key)
    declared = {t.key: t for t in declared_tables(gate.definition)}
    if table not in declared:
        raise Http404("This gate has no such table")
    sheet = table_sheet(gate, declared[table], evaluation_context())
    record("gate_table_downloaded", actor=request.user, obj=gate, initiative=gate.initiative,
           after={"table": table, "rows": len(sheet.rows), "format": "xlsx"})
    data = workbook_bytes([sheet], title=f"{gate.initiative.title}: {gate.title}, {declared[table].title}")
    return attachment(io.BytesIO(data), filename=f"{gate.initiative.slug}-{gate.key}-{table}.xlsx", content_type=XLSX)


def _declared_table(gate: Gate, table: str):
    declared = {t.key: t for t in declared_tables(gate.definition)}
    if table not in declared:
        raise Http404("This gate has no such table")
    return declared[table]


@login_required
@require_safe
def table_template(request, slug, key, table):
    """The header row of one of the gate's tables as XLSX: what an import reads. Whoever sees the gate."""
    gate = access.get_gate_for(request.user, slug, key)
    declared = _declared_table(gate, table)
    sheet = table_sheet(gate, declared, evaluation_context(), with_rows=False)
    data = workbook_bytes([sheet], title=f"{gate.title}: {declared.title} (template)")
    return attachment(io.BytesIO(data), filename=f"{gate.key}-{table}-template.xlsx", content_type=XLSX)


def _import_anchor(gate: Gate, table: str) -> str:
    return f"{gate.get_absolute_url()}#import-{table}"


@login_required
@require_POST
def table_import(request, slug, key, table):
    """Upload a spreadsheet into one of the gate's tables: read and check it, keep what was read
    on the server, and show the dry-run preview. Nothing in the gate changes here."""
    gate = access.get_gate_for(request.user, slug, key)
    access.require_edit(request.user, gate.initiative)
    declared = _declared_table(gate, table)
    form = TableImportForm(request.POST, request.FILES)
    try:
        require_open_for_edit(gate)
        if not form.is_valid():
            raise WorkflowError(" ".join(str(e) for errors in form.errors.values() for e in errors))
        upload = form.upload()
        check_upload_name(upload.name)
        ctx = evaluation_context()
        prepared = prepare_import(gate, declared, upload.data, upload.name, ctx)
    except (WorkflowError, Refused) as exc:
        message = exc.message if isinstance(exc, WorkflowError) else printable(str(exc))
        messages.error(request, f"Nothing was imported into “{declared.title}”: {message}", extra_tags="workflow")
        return redirect(_import_anchor(gate, table))
    PendingImport.objects.filter(gate=gate, table_key=table, created_by=request.user).delete()
    pending = PendingImport.objects.create(
        gate=gate, table_key=table, created_by=request.user, original_name=upload.name,
        sha256=hashlib.sha256(upload.data).hexdigest(), content=upload.data, rows=prepared.rows,
        problems=prepared.problems, ignored_headers=prepared.ignored_headers,
        base_digest=gate_data_digest(gate.data), reading_digest=reading_digest(gate, declared, ctx),
    )
    return redirect("gates:table_import_preview", slug, key, table, pending.pk)


@login_required
def table_import_preview(request, slug, key, table, pending_id):
    """GET: the pending import against the saved rows (added, changed field by field, unchanged,
    removed) and its problems. POST: apply it, when it has no problems and the gate has not
    changed since it was read. Only the team member who uploaded it sees it."""
    gate = access.get_gate_for(request.user, slug, key)
    access.require_edit(request.user, gate.initiative)
    declared = _declared_table(gate, table)
    pending = PendingImport.objects.filter(pk=pending_id, gate=gate, table_key=table,
                                           created_by=request.user).first()
    if pending is None:
        raise Http404("No such import: upload the file again")
    stale = pending.base_digest != gate_data_digest(gate.data)
    if request.method == "POST":
        if pending.problems:
            messages.error(request, "This file has problems, so it cannot be imported: fix them in the spreadsheet "
                                    "and upload it again.", extra_tags="workflow")
            return redirect(request.path)
        ctx = evaluation_context()
        # Read again from the kept file when the choices the row form offers (approved source
        # systems, the gate's BAA files) or the day changed since the preview, even though the
        # gate's data did not: the same file may then read differently.
        if pending.reading_digest != reading_digest(gate, declared, ctx):
            try:
                again = prepare_import(gate, declared, bytes(pending.content), pending.original_name, ctx)
            except Refused as exc:
                again = None
                messages.error(request, printable(str(exc)), extra_tags="workflow")
            if again is None or again.rows != pending.rows or again.problems != pending.problems:
                if again is not None:
                    messages.error(request, "What this file would change is no longer what the preview showed: "
                                            "the choices the table offers have changed since. Upload the file again "
                                            "to preview it.", extra_tags="workflow")
                return redirect(request.path)
        diff, _ = preview_diff(gate, declared, pending.rows, ctx)
        try:
            gate_import_table(gate=gate, by=request.user, table_key=table, rows=[r["row"] for r in pending.rows],
                              upload=Upload(name=pending.original_name, data=bytes(pending.content)),
                              counts=diff.counts, base_digest=pending.base_digest)
        except WorkflowError as exc:
            _show_error(request, exc)
            return redirect(request.path)
        pending.delete()
        counts = diff.counts
        messages.success(request, f"“{pending.original_name}” imported into “{declared.title}”: {counts['added']} "
                                  f"added, {counts['changed']} changed, {counts['unchanged']} unchanged, "
                                  f"{counts['removed']} removed.")
        return redirect(_import_anchor(gate, table))
    ctx = evaluation_context()
    diff, changes = preview_diff(gate, declared, pending.rows, ctx)
    can_confirm = not pending.problems and not stale and gate.status != GateStatus.SUBMITTED \
        and not gate.initiative.is_locked
    return render(request, "gates/import_preview.html", {
        "initiative": gate.initiative, "gate": gate, "table": declared, "pending": pending, "diff": diff,
        "changes": changes, "stale": stale, "can_confirm": can_confirm,
        "added": [row[KEY] for row in diff.added],
        "removed": [row[KEY] for row in diff.removed],
        "import_form": TableImportForm(),
    })
