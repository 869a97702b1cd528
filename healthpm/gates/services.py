"""Gate transitions and evidence (SPEC §2, §3). Each is one transaction with row locks.

Lock order is always initiative, then gate, then evidence, so two transitions on the
same initiative never deadlock.
"""

from dataclasses import dataclass, field
from datetime import date
from datetime import timezone as dt_timezone
from urllib.parse import urlparse

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from healthpm import access
from healthpm.accounts import roles
from healthpm.audit.services import record
from healthpm.core.errors import WorkflowError
from healthpm.initiatives.models import Initiative
from healthpm.initiatives.services import initiative_refresh_status
from healthpm.lib import filetypes
from healthpm.lib.hashing import digest, sha256_chunks

from .context import evaluation_context
from .models import Evidence, Gate, GateDecision, GateStatus
from .signals import gate_data_saved, gate_decided, gate_submitted


@dataclass(frozen=True)
class Upload:
    """A file as the user sent it: the name is only data, the bytes decide the type."""

    name: str
    data: bytes
    # The declared size, so an oversized upload is refused without reading it into memory.
    size: int | None = None
    # The content type once check_upload accepted the bytes: the API checks a file before calling
    # evidence_add (to name the refused field), which then need not parse a 25 MB PDF again.
    checked_as: str | None = field(default=None, compare=False, repr=False)

    @property
    def length(self) -> int:
        return self.size if self.size is not None else len(self.data)


def lock_gate(gate: Gate) -> tuple[Initiative, Gate]:
    """Lock the initiative, then the gate (always in that order, so two workflows cannot deadlock)."""
    initiative = Initiative.objects.select_for_update().select_related("owner").get(pk=gate.initiative_id)
    locked = Gate.objects.select_for_update().get(pk=gate.pk)
    locked.initiative = initiative
    return initiative, locked


def _require_open_for_edit(initiative: Initiative, gate: Gate) -> None:
    initiative.require_open()
    if gate.status == GateStatus.SUBMITTED:
        raise WorkflowError(
            f"“{gate.title}” is under review. It can change again once compliance has decided it."
        )


def _lock_for_edit(gate: Gate, by) -> tuple[Initiative, Gate]:
    """Lock the gate for a change by its team: authorised, the initiative open, the gate not in review."""
    initiative, gate = lock_gate(gate)
    access.require_edit(by, initiative)
    _require_open_for_edit(initiative, gate)
    return initiative, gate


def _after_change(initiative: Initiative, gate: Gate, *, by, why: str) -> None:
    """A gate's data or evidence changed: move it back to in progress, voiding a stale approval."""
    if gate.status == GateStatus.APPROVED:
        approval = gate.current_approval()
        if approval and approval.digest != gate.compute_digest():
            approval.voided_at = timezone.now()
            approval.void_reason = why
            approval.save(update_fields=["voided_at", "void_reason"])
            gate.status = GateStatus.IN_PROGRESS
            record("gate_approval_voided", actor=by, obj=gate, initiative=initiative,
                   before={"status": GateStatus.APPROVED, "digest": approval.digest},
                   after={"status": GateStatus.IN_PROGRESS, "reason": why})
    elif gate.status in (GateStatus.NOT_STARTED, GateStatus.REJECTED):
        gate.status = GateStatus.IN_PROGRESS
    gate.save()
    initiative_refresh_status(initiative, by=by)


# --- evidence --------------------------------------------------------------------------
def check_upload_name(name: str) -> str:
    """The original name is shown to people, so it must be a plain file name."""
    if not name or "/" in name or "\\" in name or ".." in name or name.startswith("."):
        raise WorkflowError(f"“{name}” is not a plain file name. Rename the file (no folders, no leading dot) and upload it again.")
    if any(not ch.isprintable() for ch in name) or len(name) > 200:
        raise WorkflowError("The file name is too long or has control characters. Rename the file and upload it again.")
    return name


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


def check_upload(upload: Upload) -> str:
    """Validate an upload by name, size, content and structure; return its content type.

    Every evidence file (the gate page, the API, a table import that keeps its file) passes
    here before anything is stored; filetypes.check parses it whole (a PDF's objects, an
    Office zip's parts, every line of a text file, every pixel of an image), bounded by
    HEALTHPM_MAX_UPLOAD_BYTES and filetypes.Limits.
    """
    if upload.checked_as is not None:
        return upload.checked_as
    check_upload_name(upload.name)
    limit = settings.HEALTHPM_MAX_UPLOAD_BYTES
    if upload.length == 0:
        raise WorkflowError(f"“{upload.name}” is empty. Upload the document itself.")
    if upload.length > limit:
        raise WorkflowError(
            f"“{upload.name}” is {_size(upload.length)}; the limit is {_size(limit)}. "
            "Upload a smaller file or add a link to where it is kept."
        )
    content_type, problem = filetypes.check(upload.name, upload.data)
    if problem:
        raise WorkflowError(problem)
    object.__setattr__(upload, "checked_as", content_type)  # frozen: set once, by the check itself
    return content_type


def check_link(url: str) -> str:
    parsed = urlparse(url.strip())
    if parsed.scheme != "https" or not parsed.hostname:
        raise WorkflowError(f"“{url}” is not an https link. Evidence links must start with https://.")
    return url.strip()


def evidence_add(
    *,
    gate: Gate,
    by,
    item_key: str,
    effective_date: date,
    expiry_date: date | None = None,
    upload: Upload | None = None,
    url: str = "",
    title: str = "",
    replaces: Evidence | None = None,
) -> Evidence:
    """Attach a file or an https link to a checklist item; replacing supersedes, never deletes."""
    if (upload is None) == (not url):
        raise WorkflowError("Attach either a file or an https link.")
    today = timezone.localdate()
    if effective_date > today:
        raise WorkflowError(f"The effective date {effective_date.isoformat()} is in the future; use the day the fact was true.")
    if expiry_date is not None and expiry_date < effective_date:
        raise WorkflowError(f"The expiry date {expiry_date.isoformat()} is before the effective date {effective_date.isoformat()}.")
    content_type = check_upload(upload) if upload is not None else ""
    url = check_link(url) if url else ""

    evidence = None
    try:
        with transaction.atomic():
            initiative, gate = _lock_for_edit(gate, by)
            if item_key not in {item.key for item in gate.definition.items if not item.structured}:
                raise WorkflowError(f"“{gate.title}” has no checklist item “{item_key}”.")
            version = 1
            if replaces is not None:
                replaces = Evidence.objects.select_for_update().filter(pk=replaces.pk, gate=gate).first()
                if replaces is None or replaces.superseded_at is not None:
                    raise WorkflowError("That evidence was already replaced; reload the page to see the latest version.")
                if replaces.item_key != item_key:
                    raise WorkflowError("A replacement must evidence the same checklist item.")
                version = replaces.version + 1
            # A link's hash covers the address it points to; its size is unknown.
            sha, size = sha256_chunks([upload.data if upload is not None else url.encode()])
            size = size if upload is not None else None
            evidence = Evidence(
                gate=gate, item_key=item_key, kind=Evidence.Kind.FILE if upload else Evidence.Kind.LINK,
                original_name=upload.name if upload else "", content_type=content_type, url=url,
                title=title.strip(), size=size, sha256=sha, version=version, supersedes=replaces,
                effective_date=effective_date, expiry_date=expiry_date, author=by,
            )
            if upload is not None:
                evidence.file.save(upload.name, ContentFile(upload.data), save=False)
            evidence.save()
            if replaces is not None:
                replaces.superseded_at = timezone.now()
                replaces.save(update_fields=["superseded_at"])
            record("evidence_added" if replaces is None else "evidence_replaced", actor=by, obj=evidence,
                   initiative=initiative, before=replaces.snapshot() if replaces else None, after=evidence.snapshot())
            gate = _reload(gate, initiative)
            _after_change(initiative, gate, by=by, why=f"Evidence for “{item_key}” changed after approval.")
    except BaseException:
        # The file is stored before the rows are written. Whatever undoes the rows — an error
        # inside the transaction, or a COMMIT the database refuses — must not leave it orphaned.
        if evidence is not None and evidence.file:
            evidence.file.delete(save=False)
        raise
    return evidence


def with_officer_data(gate: Gate, data: dict) -> dict:
    """What saving `data` stores: the PM's answers, with the keys only compliance writes
    (`officer_keys`) taken from the saved data, never from the PM's."""
    officer_keys = gate.definition.officer_keys
    if not officer_keys:
        return data
    kept = {key: gate.data[key] for key in officer_keys if key in gate.data}
    return {**{key: value for key, value in data.items() if key not in officer_keys}, **kept}


def with_paged_rows(gate: Gate, data: dict) -> dict:
    """`data` with the saved rows of each paged table it leaves out: the gate's form does not
    carry them (they change one at a time, or by import), so saving the form keeps them."""
    form_class = gate.definition.form_class
    paged = [t.key for t in (form_class.tables if form_class else ()) if t.paged]
    return {**{key: gate.data[key] for key in paged if key in gate.data and key not in data}, **data}


def gate_save_data(*, gate: Gate, by, data: dict) -> Gate:
    """Store a gate's structured answers (already validated by its form)."""
    with transaction.atomic():
        initiative, gate = _lock_for_edit(gate, by)
        data = with_paged_rows(gate, with_officer_data(gate, data))
        if data == gate.data:
            return gate
        before = gate.data
        gate.data = data
        record("gate_data_saved", actor=by, obj=gate, initiative=initiative, before=before or None, after=data)
        gate = _store_data(initiative, gate, by=by, data=data)
    return gate


def _store_data(initiative: Initiative, gate: Gate, *, by, data: dict) -> Gate:
    """Inside a gate-locked transaction, after the audit record: store the answers, move the gate
    back to in progress (voiding a stale approval) and tell who listens."""
    gate = _reload(gate, initiative)
    gate.data = data
    _after_change(initiative, gate, by=by, why="Structured data changed after approval.")
    gate_data_saved.send(sender=Gate, gate=gate, initiative=initiative)
    return gate


def require_open_for_edit(gate: Gate) -> None:
    """WorkflowError when the gate cannot change now (under review, or its initiative locked)."""
    _require_open_for_edit(gate.initiative, gate)


def gate_data_digest(data: dict) -> str:
    """What a preview of the gate's data was made against: a confirm compares it with the saved data."""
    return digest(data or {})


def gate_import_table(*, gate: Gate, by, table_key: str, rows: list[dict], upload: Upload, counts: dict,
                      base_digest: str) -> Gate:
    """Replace one of the gate's tables with rows imported from a spreadsheet (already cleaned by
    the table's row form, and previewed against data whose digest is `base_digest`).

    One transaction and one audit event (`gate_table_imported`, with the counts and the file's
    SHA-256). The rest of the gate's data is kept. When the table names an evidence item, the
    file is kept as that item's evidence (a new version of the last file an import kept there).
    """
    from .tables import declared_tables

    check_upload_name(upload.name)
    sha, size = sha256_chunks([upload.data])
    evidence = None
    try:
        with transaction.atomic():
            initiative, gate = _lock_for_edit(gate, by)
            table = next((t for t in declared_tables(gate.definition) if t.key == table_key), None)
            if table is None:
                raise WorkflowError(f"“{gate.title}” has no table “{table_key}”.")
            if gate_data_digest(gate.data) != base_digest:
                raise WorkflowError(f"“{gate.title}” changed since this preview was made, so it no longer shows "
                                    "what the import would change. Upload the file again to preview it against "
                                    "the saved answers.")
            before = gate.data.get(table_key) or []
            data = with_officer_data(gate, {**gate.data, table_key: rows})
            items = {item.key: item for item in gate.definition.items}
            item = items.get(table.evidence_item)
            if item is not None and not item.structured:
                content_type = check_upload(upload)  # the file is kept as evidence: every evidence check
                previous = (Evidence.objects.select_for_update()
                            .filter(gate=gate, item_key=item.key, superseded_at__isnull=True,
                                    kind=Evidence.Kind.FILE, title__startswith=IMPORT_TITLE)
                            .order_by("-version").first())
                evidence = Evidence(
                    gate=gate, item_key=item.key, kind=Evidence.Kind.FILE, original_name=upload.name,
                    content_type=content_type, title=f"{IMPORT_TITLE} ({table.title})", size=size, sha256=sha,
                    version=previous.version + 1 if previous else 1, supersedes=previous,
                    effective_date=timezone.localdate(), author=by,
                )
                evidence.file.save(upload.name, ContentFile(upload.data), save=False)
                evidence.save()
                if previous is not None:
                    previous.superseded_at = timezone.now()
                    previous.save(update_fields=["superseded_at"])
            record("gate_table_imported", actor=by, obj=gate, initiative=initiative,
                   before={table_key: before},
                   after={"table": table_key, "file": upload.name, "sha256": sha, **counts,
                          "evidence": evidence.snapshot() if evidence else None, table_key: rows})
            gate = _store_data(initiative, gate, by=by, data=data)
    except BaseException:
        if evidence is not None and evidence.file:
            evidence.file.delete(save=False)
        raise
    return gate


# The title of the evidence an import keeps: the next import of the table supersedes it.
IMPORT_TITLE = "Imported spreadsheet"


def gate_save_row(*, gate: Gate, by, table_key: str, original: str | None, row: dict | None) -> Gate:
    """Add (`original` None), change or remove (`row` None) one row of a paged table, the row
    already cleaned by the table's row form; `original` is the name the row had when the page
    showed it. One transaction, one audit event about that row alone (not the whole table)."""
    from .rows import row_key
    from .tables import declared_tables

    with transaction.atomic():
        initiative, gate = _lock_for_edit(gate, by)
        table = next((t for t in declared_tables(gate.definition) if t.key == table_key and t.paged), None)
        if table is None:
            raise WorkflowError(f"“{gate.title}” has no table “{table_key}” edited row by row.")
        name = table.form_class.name_field
        rows = list(gate.data.get(table_key) or [])
        keys = [row_key(r.get(name)) if isinstance(r, dict) else None for r in rows]
        index = None
        if original is not None:
            if row_key(original) not in keys:
                raise WorkflowError(f"“{original}” is no longer in “{table.title}”: it was removed or renamed since "
                                    "the page was loaded. Reload the table and try again.")
            index = keys.index(row_key(original))
        others = keys if index is None else keys[:index] + keys[index + 1:]
        if row is not None and row_key(row.get(name)) in others:
            raise WorkflowError(f"“{row.get(name)}” is already in “{table.title}”. Each {table.noun} must appear "
                                f"once: edit that row or give this one another name.")
        if row is None and len(rows) <= table.min_rows:
            raise WorkflowError(f"“{table.title}” needs at least {table.min_rows} {table.noun}: add another before "
                                "removing this one.")
        before = rows[index] if index is not None else None
        if row is None:
            del rows[index]
            action = "gate_row_removed"
        elif index is None:
            rows.append(row)
            action = "gate_row_added"
        elif before == row:
            return gate
        else:
            rows[index] = row
            action = "gate_row_changed"
        record(action, actor=by, obj=gate, initiative=initiative,
               before={"table": table_key, "row": before} if before is not None else None,
               after={"table": table_key, "row": row, "rows": len(rows)})
        gate = _store_data(initiative, gate, by=by, data=with_officer_data(gate, {**gate.data, table_key: rows}))
    return gate


def gate_record_exception(*, gate: Gate, by, text: str) -> Gate:
    """A compliance officer's written exception to the blocking finding the gate lets officers
    except (one whose `field` is among the definition's `officer_keys`, e.g. a harm engine).

    Stored under that key as {"text", "by" (full name), "at" (ISO UTC), "for": the answers it
    excuses (`exception_basis`)}; the gate's rule accepts it only while those answers stay the
    same. Separation of duties as for a decision: no owner, collaborator, evidence author or
    submitter of the initiative records one.
    """
    text = text.strip()
    if not text:
        raise WorkflowError("Write the exception: why launch may go ahead despite the finding, and what limits it.")
    with transaction.atomic():
        initiative, gate = lock_gate(gate)
        access.require_record_exception(by, initiative)
        if initiative.is_locked:
            raise WorkflowError(f"“{initiative.title}” has a final decision and is locked.")
        if gate.status in (GateStatus.SUBMITTED, GateStatus.APPROVED):
            raise WorkflowError(f"“{gate.title}” is {gate.get_status_display().lower()}: an exception is recorded "
                                "while the team is still working on the gate.")
        gate = _reload(gate, initiative)
        definition = gate.definition
        finding = next((f for f in definition.findings(gate.data, evaluation_context())
                        if f.blocks and f.field in definition.officer_keys), None)
        if finding is None:
            raise WorkflowError(f"Nothing on “{gate.title}” may be excepted: no finding an officer may except "
                                "blocks it now.")
        key = finding.field
        exception = {"text": text, "by": roles.printed_name(by),
                     "at": timezone.now().astimezone(dt_timezone.utc).isoformat(timespec="seconds"),
                     "for": definition.exception_basis(key, gate.data)}
        data = {**gate.data, key: exception}
        record("gate_exception_recorded", actor=by, obj=gate, initiative=initiative,
               before={key: gate.data.get(key), "finding": finding.message}, after={key: exception})
        gate = _reload(gate, initiative)
        gate.data = data
        _after_change(initiative, gate, by=by, why="A written exception was recorded.")
        gate_data_saved.send(sender=Gate, gate=gate, initiative=initiative)
    return gate


def _reload(gate: Gate, initiative: Initiative) -> Gate:
    """The locked gate with its evidence and decisions as they are now in this transaction. Not
    fetched again: its row is locked, and its data may be megabytes (a 5,000-input inventory)."""
    gate._prefetched_objects_cache = {}
    prefetch_related_objects([gate], "evidence", "decisions")
    gate.initiative = initiative
    return gate


# --- workflow --------------------------------------------------------------------------
def gate_submit(*, gate: Gate, by, note: str = "", response: str = "") -> Gate:
    """Send a gate to compliance. Refused, listing every problem, while anything blocks it.

    After a rejection the team must answer the reviewer in writing (`response`); it is kept on
    the gate for the reviewer, in the audit trail and, once decided, on the decision.
    """
    response = response.strip()
    with transaction.atomic():
        initiative, gate = lock_gate(gate)
        access.require_edit(by, initiative)
        if initiative.is_locked:
            raise WorkflowError(f"“{initiative.title}” has a final decision and is locked.")
        if gate.status == GateStatus.SUBMITTED:
            raise WorkflowError(f"“{gate.title}” is already submitted and waiting for compliance.")
        if gate.status == GateStatus.APPROVED:
            raise WorkflowError(f"“{gate.title}” is already approved.")
        gate = _reload(gate, initiative)
        rejection = gate.rejection_to_answer()
        problems = gate.blockers(evaluation_context())
        if rejection is not None and not response:
            problems.append(f"Write your response to {roles.printed_name(rejection.decided_by)}'s rejection "
                            "(what you changed, or why nothing needed to), then resubmit.")
        if problems:
            raise WorkflowError(f"“{gate.title}” cannot be submitted yet:", details=problems)
        before = gate.status
        gate.status = GateStatus.SUBMITTED
        gate.submitted_at = timezone.now()
        gate.submitted_by = by
        gate.submission_note = note.strip()
        gate.rejection_response = response if rejection is not None else ""
        gate.save()
        after = {"status": gate.status, "note": gate.submission_note, "digest": gate.compute_digest()}
        if rejection is not None:
            after |= {"response": gate.rejection_response, "answers_decision": rejection.pk}
        record("gate_submitted", actor=by, obj=gate, initiative=initiative, before={"status": before}, after=after)
        initiative_refresh_status(initiative, by=by)
        gate_submitted.send(sender=Gate, gate=gate, initiative=initiative, by=by)
    return gate


def gate_withdraw(*, gate: Gate, by) -> Gate:
    """The team takes a submitted gate back before compliance decides it (status back to in progress).

    The row lock makes a withdrawal and a decision arriving together exclusive: whichever locks
    the gate first wins, and the other is told what happened.
    """
    with transaction.atomic():
        initiative, gate = lock_gate(gate)
        access.require_withdraw(by, initiative)
        if gate.status != GateStatus.SUBMITTED:
            gate = _reload(gate, initiative)
            latest = gate.latest_decision()
            if latest and gate.status in (GateStatus.APPROVED, GateStatus.REJECTED):
                raise WorkflowError(
                    f"“{gate.title}” cannot be withdrawn: it was already {latest.get_decision_display().lower()} by "
                    f"{roles.printed_name(latest.decided_by)} at {latest.decided_at:%Y-%m-%d %H:%M} UTC."
                )
            raise WorkflowError(f"“{gate.title}” is not waiting for review (it is {gate.get_status_display().lower()}), "
                                "so there is nothing to withdraw.")
        gate.status = GateStatus.IN_PROGRESS
        gate.withdrawn_at = timezone.now()
        gate.withdrawn_by = by
        gate.save()
        record("gate_withdrawn", actor=by, obj=gate, initiative=initiative,
               before={"status": GateStatus.SUBMITTED, "submitted_at": gate.submitted_at.isoformat()},
               after={"status": gate.status})
        initiative_refresh_status(initiative, by=by)
    return gate


def gate_decide(*, gate: Gate, by, decision: str, reason: str = "") -> GateDecision:
    """Approve or reject a submitted gate. The second of two simultaneous decisions is refused."""
    if decision not in GateDecision.Decision.values:
        raise WorkflowError("Choose approve or reject.")
    reason = reason.strip()
    if decision == GateDecision.Decision.REJECTED and not reason:
        raise WorkflowError("Give the reason for rejecting, so the team knows what to change.")
    with transaction.atomic():
        initiative, gate = lock_gate(gate)
        access.require_decide(by, initiative)
        gate = _reload(gate, initiative)
        if gate.status != GateStatus.SUBMITTED:
            latest = max(gate.decisions.all(), key=lambda d: d.pk, default=None)
            if latest and gate.status in (GateStatus.APPROVED, GateStatus.REJECTED):
                raise WorkflowError(
                    f"“{gate.title}” was already decided: {latest.get_decision_display().lower()} by "
                    f"{roles.printed_name(latest.decided_by)} at {latest.decided_at:%Y-%m-%d %H:%M} UTC."
                )
            if gate.withdrawn_at and (gate.submitted_at is None or gate.withdrawn_at >= gate.submitted_at):
                raise WorkflowError(
                    f"“{gate.title}” was withdrawn by {roles.printed_name(gate.withdrawn_by)} at "
                    f"{gate.withdrawn_at:%Y-%m-%d %H:%M} UTC before a decision; there is nothing to decide until "
                    "the team submits it again."
                )
            raise WorkflowError(f"“{gate.title}” is not submitted for review (it is {gate.get_status_display().lower()}).")
        if decision == GateDecision.Decision.APPROVED:
            blockers = gate.blockers(evaluation_context())
            if blockers:
                raise WorkflowError(f"“{gate.title}” cannot be approved:", details=blockers)
        # What was decided on, so the next submission can show the reviewer an exact diff.
        current = sorted(e.pk for e in gate.current_evidence())
        made = GateDecision.objects.create(
            gate=gate, decision=decision, reason=reason, decided_by=by, digest=gate.compute_digest(),
            data_snapshot=gate.data, evidence_ids=current, response=gate.rejection_response,
        )
        gate.status = GateStatus.APPROVED if decision == GateDecision.Decision.APPROVED else GateStatus.REJECTED
        gate.save()
        record(f"gate_{decision}", actor=by, obj=gate, initiative=initiative,
               before={"status": GateStatus.SUBMITTED},
               after={"status": gate.status, "reason": reason, "digest": made.digest})
        initiative_refresh_status(initiative, by=by)
        gate_decided.send(sender=Gate, gate=gate, initiative=initiative, decision=made, submitted_at=gate.submitted_at)
    return made
