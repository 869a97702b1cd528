"""`python manage.py seed_demo`: demo users for every role and initiatives in every state.

Everything after the users is done through the same service functions the views call
(initiative_create, evidence_add, gate_submit, gate_decide, initiative_sign), so the
audit trail, digests and notifications are real. Running it again creates nothing twice:
users are matched by username and an initiative whose slug exists is skipped entirely.
An approved initiative gets its signed dossier (DOSSIER_STORIES), rendered in process. It
ends by signing an audit checkpoint of the trail (healthpm/audit/checkpoints.py), so
`verify_audit --anchors` has an anchor to check on the demo.
"""

import logging
import os
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from healthpm.accounts import roles
from healthpm.approvals.services import initiative_sign
from healthpm.audit.checkpoints import checkpoint_is_current, checkpoint_write
from healthpm.collaboration.services import comment_post, gate_assign, gate_request_reviewer
from healthpm.core.errors import WorkflowError
from healthpm.demo import data as demo_data
from healthpm.demo import files as demo_files
from healthpm.demo import totp as demo_totp
from healthpm.dossier.models import Dossier
from healthpm.dossier.services import dossier_export
from healthpm.dossier.signing import SigningUnavailable, load_signer
from healthpm.gates.context import evaluation_context
from healthpm.gates.models import Evidence, Gate, SourceSystem
from healthpm.gates.services import Upload, evidence_add, gate_decide, gate_save_data, gate_submit
from healthpm.initiatives.models import Initiative
from healthpm.initiatives.services import initiative_create
from healthpm.monitoring.services import metric_sample_record
from healthpm.notifications.models import Notification

CONSOLE_MAIL = "django.core.mail.backends.console.EmailBackend"


@contextmanager
def quiet_console_mail():
    """The demo's console mail would bury the logins under ~80 e-mails: keep them in memory.

    They are still written to the outbox and marked sent, exactly as in normal use.
    """
    if settings.EMAIL_BACKEND == CONSOLE_MAIL:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            yield
    else:
        yield


def resolve(value, gate: Gate):
    """Turn the relative markers of `demo_data` into what the gate's form would have saved."""
    if isinstance(value, demo_data.DaysAgo):
        return (timezone.localdate() - timedelta(days=value)).isoformat()
    if isinstance(value, list):
        return [resolve(v, gate) for v in value]
    if isinstance(value, dict):
        out = {k: resolve(v, gate) for k, v in value.items()}
        baa = value.get("baa_evidence")
        if isinstance(baa, demo_data.BaaOf):
            agreement = Evidence.objects.filter(gate=gate, original_name=baa).order_by("-pk").first()
            if agreement is None:
                raise CommandError(f"Demo data error: no uploaded BAA named {baa} on {gate}.")
            out.update(baa_evidence=str(agreement.pk), baa_effective=agreement.effective_date.isoformat(),
                       baa_expiry=agreement.expiry_date.isoformat() if agreement.expiry_date else None)
        elif "baa_evidence" in value:
            out.update(baa_evidence="", baa_effective=None, baa_expiry=None)
        return out
    return value


@contextmanager
def quiet_logs(names=("weasyprint", "fontTools", "celery", "kombu")):
    """WeasyPrint logs every rendering step, eager Celery every task and kombu that it has no broker."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


# Approved stories whose signed dossier the demo renders (the v2 checklist, with its CHAI model card).
DOSSIER_STORIES = ("sepsis-riverside-rollout",)


class Command(BaseCommand):
    help = "Create demo users (printed with the demo password) and demo initiatives in every state. Idempotent."

    def handle(self, *args, **options):
        password = os.environ.get("HEALTHPM_DEMO_PASSWORD") or demo_data.PASSWORD
        started = time.monotonic()
        mail_before = Notification.objects.count()
        with quiet_console_mail(), quiet_logs():
            users, created_users = self.seed_users(password)
            for name, description in demo_data.UNAPPROVED_SOURCE_SYSTEMS:
                SourceSystem.objects.get_or_create(name=name, defaults={"description": description,
                                                                        "approved": False})
            for spec in demo_data.INITIATIVES:
                self.seed_initiative(spec, users, password)
            # After the initiatives, whose signatures were made before the officers had a second factor.
            # Only accounts still on the demo password: never a real account that happens to share a name.
            enrolled = {name for name in demo_totp.DEMO_MFA_USERS
                        if name in users and users[name].check_password(password) and demo_totp.enrol(users[name])}
        mails = Notification.objects.count() - mail_before
        dossiers = self.sign_dossiers()
        checkpoint = self.write_checkpoint()
        self.stdout.write(
            f"\nSeeded in {time.monotonic() - started:.1f} s: {len(created_users)} new user(s), "
            f"{mails} notification e-mail(s) queued."
        )
        for line in (*dossiers, checkpoint):
            self.stdout.write(line)
        self.print_logins(users, created_users, password)
        self.print_totp(users, enrolled)

    # --- users ---------------------------------------------------------------------------
    def seed_users(self, password: str):
        User = get_user_model()
        users, created = {}, set()
        for username, first, last, role, _about in demo_data.USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                email = f"{username}@{demo_data.EMAIL_DOMAIN}"
                names = {"first_name": first, "last_name": last}
                if role is None:
                    user = User.objects.create_superuser(username, email, password, **names)
                else:
                    user = User.objects.create_user(username, email, password, **names)
                    user.groups.add(self.group(getattr(roles, role)))
                created.add(username)
            users[username] = user
        return users, created

    @staticmethod
    def group(name: str) -> Group:
        try:
            return Group.objects.get(name=name)
        except Group.DoesNotExist:
            raise CommandError(f"The role group “{name}” is missing. Run `python manage.py migrate` first.") from None

    # --- initiatives ---------------------------------------------------------------------
    def seed_initiative(self, spec: dict, users: dict, password: str) -> None:
        slug = spec["slug"]
        if Initiative.objects.filter(slug=slug).exists():
            self.stdout.write(f"  {slug}: already exists, left unchanged")
            return
        final = spec.get("final")
        if final and not users[final["by"]].check_password(password):
            raise CommandError(
                f"{final['by']} exists with a different password, so the demo signature for {slug} cannot be made. "
                "Set HEALTHPM_DEMO_PASSWORD to that user's password and run seed_demo again."
            )
        try:
            # One transaction per initiative: a failure leaves no half-seeded initiative behind
            # (a later run would otherwise skip it as existing).
            with transaction.atomic():
                initiative = self.play(spec, users, password)
        except WorkflowError as exc:
            details = "; ".join(getattr(exc, "details", None) or [])
            raise CommandError(f"Seeding {slug} failed: {exc} {details}".strip()) from exc
        gates = ", ".join(f"{g.key} {g.status}" for g in initiative.gates.order_by("order"))
        self.stdout.write(f"  {slug}: {initiative.status} ({gates})")

    def play(self, spec: dict, users: dict, password: str) -> Initiative:
        owner = users[spec["owner"]]
        initiative = initiative_create(
            by=owner, fields=spec["fields"], slug=spec["slug"], checklist_version=spec.get("checklist"),
            collaborators=[users[name] for name in spec.get("collaborators", ())],
        )
        keys = set(initiative.gates.values_list("key", flat=True))
        ctx = evaluation_context()
        for key, gate_spec in spec["gates"].items():
            if key not in keys:
                continue  # a gate the initiative's checklist no longer has
            gate = Gate.objects.get(initiative=initiative, key=key)
            # Evidence first: the BAA gate's vendor rows point at the uploaded agreements.
            for evidence in gate_spec.get("evidence", ()):
                self.attach(gate, evidence, spec, users)
            if "example" in gate_spec:  # the gate's own passing or blocking answers, dated from today
                example = getattr(gate.definition.examples(ctx), gate_spec["example"])
                gate_save_data(gate=gate, by=owner, data={**example, **gate_spec.get("changes", {})})
            if "evidence" not in gate_spec and ("example" in gate_spec or "data" in gate_spec):
                self.link_items(gate, owner, spec)
            if "data" in gate_spec:
                gate_save_data(gate=gate, by=owner, data=resolve(gate_spec["data"], gate))
            for step, args in gate_spec.get("flow", ()):
                if step == "save":
                    gate_save_data(gate=gate, by=owner, data=resolve(args, gate))
                elif step == "submit":
                    gate_submit(gate=gate, by=users[args["by"] or spec["owner"]], note=args["note"],
                                response=args.get("response", ""))
                    if args.get("days_ago"):
                        # The story says how long this submission has waited, so the review queue
                        # shows ages and an overdue row; the audit trail keeps when the demo was seeded.
                        Gate.objects.filter(pk=gate.pk).update(
                            submitted_at=timezone.now() - timedelta(days=args["days_ago"]))
                elif step == "decide":
                    gate_decide(gate=gate, by=users[args["by"]], decision=args["decision"], reason=args["reason"])
                elif step == "comment":
                    comment_post(gate=gate, by=users[args["by"]], body=args["body"])
                elif step == "assign":
                    gate_assign(gate=gate, by=owner, assignee=users[args["to"]] if args["to"] else None)
                    gate_request_reviewer(gate=gate, by=owner,
                                          reviewer=users[args["reviewer"]] if args["reviewer"] else None)
                elif step == "replace":
                    current = (Evidence.objects.filter(gate=gate, item_key=args["item"], superseded_at__isnull=True)
                               .order_by("-pk").first())
                    self.attach(gate, args, spec, users, replaces=current)
                else:
                    raise ValueError(f"unknown step {step!r} in {spec['slug']}/{key}")
        self.play_untold(initiative, spec, users)
        final = spec.get("final")
        if final:
            signer = users[final["by"]]
            initiative_sign(initiative=initiative, by=signer, password=password,
                            meaning=final["meaning"], statement=final["statement"], otp_code=self.demo_code(signer))
        self.play_monitoring(initiative, spec, users)
        initiative.refresh_from_db()
        return initiative

    @staticmethod
    def play_monitoring(initiative: Initiative, spec: dict, users: dict) -> None:
        """Live samples after launch, oldest first, sent by the owner as the data team's job would."""
        today = timezone.localdate()
        for metric, ends_ago, days, value in sorted(spec.get("monitoring", ()), key=lambda s: -s[1]):
            end = today - timedelta(days=ends_ago)
            metric_sample_record(initiative=initiative, by=users[spec["owner"]], metric=metric,
                                 period_start=end - timedelta(days=days - 1), period_end=end, value=value,
                                 idempotency_key=f"demo:{metric}:{end.isoformat()}", source="api")

    def play_untold(self, initiative: Initiative, spec: dict, users: dict) -> None:
        """The gates of the initiative's checklist its story does not mention (a gate added
        after the story was written): filled from the gate's own passing example with a link
        per evidence item, and approved by the story's `untold_approved_by`, or else when every
        gate the story tells of ends approved (by the officer who approved the story's last gate)."""
        told = Gate.objects.filter(initiative=initiative, key__in=spec["gates"])
        deciders = [args["by"] for gate_spec in spec["gates"].values() for step, args in gate_spec.get("flow", ())
                    if step == "decide" and args["decision"] == "approved"]
        all_approved = told.exists() and not told.exclude(status="approved").exists()
        approver = spec.get("untold_approved_by") or (deciders[-1] if all_approved and deciders else None)
        if approver is None:
            return
        approver, owner = users[approver], users[spec["owner"]]
        ctx = evaluation_context()
        for gate in Gate.objects.of_initiative(initiative):
            if gate.key in spec["gates"]:
                continue
            gate_save_data(gate=gate, by=owner, data=gate.definition.examples(ctx).passing)
            self.link_items(Gate.objects.select_related("initiative").get(pk=gate.pk), owner, spec)
            gate_submit(gate=gate, by=owner, note="Filled from the gate's reference answers.")
            gate_decide(gate=gate, by=approver, decision="approved", reason="Meets the gate's rules.")

    @staticmethod
    def link_items(gate: Gate, owner, spec: dict) -> None:
        """A link on the policy portal for each evidence item the gate's answers require."""
        for item in gate.definition.required_items(gate.data):
            if not item.structured:
                evidence_add(gate=gate, by=owner, item_key=item.key, title=item.label,
                             url=f"https://policies.{demo_data.EMAIL_DOMAIN}/{spec['slug']}/{item.key}",
                             effective_date=timezone.localdate() - timedelta(days=30))

    @staticmethod
    def attach(gate: Gate, ev: dict, spec: dict, users: dict, replaces: Evidence | None = None) -> Evidence:
        today = timezone.localdate()
        effective = today - timedelta(days=ev["days_ago"])
        expiry = today + timedelta(days=ev["expires_in"]) if ev["expires_in"] is not None else None
        upload = None
        if "builder" in ev:
            facts = {**spec.get("facts", {}), "ref": f"{spec['slug']}/{ev['name']}", **ev["facts"]}
            upload = Upload(name=ev["name"], data=demo_files.build(ev["builder"], facts, effective, expiry))
        return evidence_add(
            gate=gate, by=users[ev["by"] or spec["owner"]], item_key=ev["item"], effective_date=effective,
            expiry_date=expiry, upload=upload, url=ev.get("url", ""), title=ev["title"], replaces=replaces,
        )

    @staticmethod
    def demo_code(user) -> str:
        """A run after the officers were enrolled signs with the demo secret's current code."""
        device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
        if device is None:
            return ""
        if not demo_totp.holds_demo_secret(device):
            raise CommandError(f"{user.get_username()} has an authenticator that is not the demo's, so the demo cannot "
                               "sign for them. Reset their two-factor sign-in in the admin and run seed_demo again.")
        return demo_totp.current_code(device)

    # --- signed records ----------------------------------------------------------------------
    def sign_dossiers(self) -> list[str]:
        """A signed dossier of each approved story in DOSSIER_STORIES that has none yet, so the demo
        shows one to download, verify and check the audit anchor of without waiting for a render."""
        lines = []
        for slug in DOSSIER_STORIES:
            initiative = Initiative.objects.filter(slug=slug).first()
            if initiative is None or Dossier.objects.filter(initiative=initiative, state=Dossier.State.DONE).exists():
                continue
            try:  # no failed version row for a missing certificate: the next run, with one, signs it
                load_signer()
            except SigningUnavailable as exc:
                lines.append(self.style.WARNING(f"No signed dossier of {slug}: {exc}"))
                continue
            with quiet_logs(("weasyprint", "fontTools", "healthpm.dossier")):
                dossier = dossier_export(initiative=initiative, actor_label="seed_demo")
            if dossier.state == Dossier.State.DONE:
                lines.append(f"Signed dossier v{dossier.version} of {slug}: {dossier.pages} pages, "
                             f"{dossier.signature_level or dossier.get_kind_display()}.")
            else:
                lines.append(self.style.WARNING(f"No dossier of {slug}: {dossier.error}"))
        return lines

    # --- the audit anchor --------------------------------------------------------------------
    def write_checkpoint(self) -> str:
        """End on an audit checkpoint, so `verify_audit --anchors` has an anchor to check.

        Last, after every event of the run; a run that changed nothing adds none (idempotent).
        Without the signing certificate the data stays seeded and the line says what to run.
        """
        if checkpoint_is_current():
            return "Audit checkpoint: the newest one already covers the whole trail."
        try:
            with quiet_logs(("weasyprint", "fontTools", "healthpm.audit.checkpoints")):
                checkpoint = checkpoint_write(actor_label="seed_demo")
        except SigningUnavailable as exc:
            return self.style.WARNING(f"No audit checkpoint written: {exc} Then run `python manage.py audit_checkpoint`.")
        return (f"Audit checkpoint written: {checkpoint.path} ({checkpoint.head.count} events, newest "
                f"#{checkpoint.head.id}); check it with `python manage.py verify_audit --anchors`.")

    # --- output --------------------------------------------------------------------------
    def print_logins(self, users: dict, created: set, password: str) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS(f"\nhealthpm demo is ready. Open {settings.SITE_URL} and sign in."))
        out.write(f"Password for every demo login: {password}\n")
        out.write(f"  {'login':<12} {'role':<22} who")
        for username, _first, _last, role, about in demo_data.USERS:
            role_label = getattr(roles, role) if role else "Administrator"
            note = "" if username in created or users[username].check_password(password) else "  (existing user, password not changed)"
            out.write(f"  {username:<12} {role_label:<22} {about}{note}")

    def print_totp(self, users: dict, enrolled: set) -> None:
        out = self.stdout
        holders = [name for name in demo_totp.DEMO_MFA_USERS if name in users
                   and any(demo_totp.holds_demo_secret(d)
                           for d in TOTPDevice.objects.devices_for_user(users[name], confirmed=True))]
        if not holders:
            return
        out.write(f"\nTwo-factor sign-in (DEMO ONLY, a public secret): {', '.join(holders)} are asked for a code "
                  "after the password.")
        out.write(f"  Demo authenticator secret: {demo_totp.DEMO_TOTP_SECRET}")
        out.write("  Current code: python manage.py demo_totp [username], or add the secret to an authenticator app.")
        if enrolled:
            out.write(f"  Enrolled now: {', '.join(sorted(enrolled))}")
