"""`python manage.py bench_dashboard`: how the portfolio page scales (SPEC §7 "stays fast").

1. Creates a scratch database through Django's own test-database machinery: on PostgreSQL
   `<NAME>_bench` on the same server, on SQLite a temporary file; it is dropped at the end.
2. Grows a synthetic portfolio to each size (default 200, 2,000, 20,000 initiatives) with
   `bulk_create` — the current checklist's gates, each with its own example answers
   (passing or blocking), ~2 pieces of evidence per gate, decisions with review times,
   and the dashboard facts computed by the same `compute_facts` the services use.
3. Renders /dashboard/ through the test client as a signed-in leader: queries counted
   once, then `--runs` timed renders (median and p95), and the page's own SQL replayed
   bare on a cursor for the floor. Prints one JSON line per size.

Goals: the same number of queries at every size and at most 15; median ÷ floor ≤ 2.5 at
20,000; median at 20,000 ≤ 3 × median at 2,000.
"""

import json
import os
import random
import statistics
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from healthpm.accounts import roles
from healthpm.core.bench import log, percentile, scratch_database
from healthpm.dashboard.facts import compute_facts
from healthpm.dashboard.models import BaaFact, PortfolioFacts, ReviewTime
from healthpm.gates import registry
from healthpm.gates.context import evaluation_context
from healthpm.gates.models import Evidence, Gate, GateDecision, GateStatus
from healthpm.initiatives.models import CareSetting, ClinicalArea, Initiative, Status

GOAL_QUERIES = 15
STATUS_WEIGHTS = [(Status.DRAFT, 20), (Status.IN_REVIEW, 35), (Status.CHANGES_REQUESTED, 12),
                  (Status.READY, 8), (Status.APPROVED, 20), (Status.REJECTED, 5)]



class Portfolio:
    """Builds the synthetic portfolio incrementally: grow(2000) after grow(200) adds 1,800."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.ctx = evaluation_context()
        User = get_user_model()
        pm_group = Group.objects.get(name=roles.PRODUCT_MANAGER)
        self.pms = []
        for i in range(25):
            user, _ = User.objects.get_or_create(username=f"bench-pm{i}", defaults={
                "first_name": f"PM{i}", "last_name": "Bench", "email": f"bench-pm{i}@hospital.example"})
            user.groups.add(pm_group)
            self.pms.append(user)
        self.officer, _ = User.objects.get_or_create(username="bench-officer", defaults={"email": "o@hospital.example"})
        self.officer.groups.add(Group.objects.get(name=roles.COMPLIANCE))
        self.leader, _ = User.objects.get_or_create(username="bench-leader", defaults={"email": "l@hospital.example"})
        self.leader.groups.add(Group.objects.get(name=roles.LEADERSHIP))
        self.checklist = registry.current()
        self.definitions = self.checklist.gates
        self.examples = {d.key: d.examples(self.ctx) for d in self.definitions}

    def count(self) -> int:
        return Initiative.objects.count()

    # --- gate answers ---------------------------------------------------------------------
    def data(self, definition) -> dict:
        """Each gate's own example answers (its `examples` hook): mostly passing, one in five blocking."""
        examples = self.examples[definition.key]
        return dict(examples.blocking if self.rng.random() < .2 else examples.passing)

    def gate_statuses(self, status: str) -> list[str]:
        rng, n = self.rng, len(self.definitions)
        if status in (Status.READY, Status.APPROVED, Status.REJECTED):
            return [GateStatus.APPROVED] * n
        if status == Status.DRAFT:
            return [rng.choice([GateStatus.NOT_STARTED, GateStatus.IN_PROGRESS]) for _ in range(n)]
        statuses = [rng.choice([GateStatus.APPROVED, GateStatus.SUBMITTED, GateStatus.IN_PROGRESS,
                                GateStatus.NOT_STARTED]) for _ in range(n)]
        statuses[0] = GateStatus.SUBMITTED
        if status == Status.CHANGES_REQUESTED:
            statuses[rng.randrange(n)] = GateStatus.REJECTED
        return statuses

    # --- one batch ------------------------------------------------------------------------
    def grow(self, target: int, batch: int = 2000) -> None:
        start = self.count()
        while start < target:
            end = min(target, start + batch)
            self._batch(start, end)
            start = end
            log(f"  … {end:,} initiatives")

    def _batch(self, start: int, end: int) -> None:
        rng, now, today = self.rng, self.now, self.today
        statuses = [s for s, _ in STATUS_WEIGHTS]
        weights = [w for _, w in STATUS_WEIGHTS]
        areas = ClinicalArea.values
        initiatives = Initiative.objects.bulk_create([
            Initiative(slug=f"bench-{i}", title=f"Bench initiative {i:05d}", summary="Synthetic.",
                       clinical_area=rng.choice(areas), intended_use="Synthetic.", intended_users="Nurses",
                       care_setting=CareSetting.INPATIENT, owner=rng.choice(self.pms),
                       status=rng.choices(statuses, weights)[0], checklist_version=self.checklist.version)
            for i in range(start, end)
        ], batch_size=2000)
        gates, facts_rows, baa_rows = [], [], []
        for initiative in initiatives:
            data_by_key = {}
            for position, (definition, gate_status) in enumerate(
                    zip(self.definitions, self.gate_statuses(initiative.status)), start=1):
                data = {} if gate_status == GateStatus.NOT_STARTED else self.data(definition)
                data_by_key[definition.key] = data
                submitted = gate_status in (GateStatus.SUBMITTED, GateStatus.APPROVED, GateStatus.REJECTED)
                gates.append(Gate(initiative=initiative, key=definition.key, order=position, status=gate_status,
                                  data=data, submitted_at=now - timedelta(days=rng.randint(1, 60)) if submitted else None,
                                  submitted_by=initiative.owner if submitted else None))
            facts = compute_facts(self.checklist.version, data_by_key, self.ctx)
            facts_rows.append(PortfolioFacts(initiative=initiative, **facts.row()))
            baa_rows += [BaaFact(initiative=initiative, vendor=v, expiry=e) for v, e in facts.baas]
        Gate.objects.bulk_create(gates, batch_size=5000)
        PortfolioFacts.objects.bulk_create(facts_rows, batch_size=5000)
        BaaFact.objects.bulk_create(baa_rows, batch_size=5000)

        evidence, decisions = [], []
        for gate in gates:
            if gate.status == GateStatus.NOT_STARTED:
                continue
            for item in self.definitions[gate.order - 1].items:
                if item.structured:
                    continue
                evidence.append(Evidence(
                    gate=gate, item_key=item.key, kind=Evidence.Kind.LINK, url=f"https://docs.example/{gate.pk}/{item.key}",
                    sha256="0" * 64, effective_date=today - timedelta(days=rng.randint(1, 300)),
                    expiry_date=today + timedelta(days=rng.randint(1, 400)) if rng.random() < .2 else None,
                    author=gate.initiative.owner))
            if gate.status in (GateStatus.APPROVED, GateStatus.REJECTED):
                decided = gate.submitted_at + timedelta(hours=rng.uniform(2, 24 * 12))
                decisions.append(GateDecision(gate=gate, decision=gate.status, decided_by=self.officer,
                                              decided_at=decided, digest="0" * 64,
                                              reason="" if gate.status == GateStatus.APPROVED else "Incomplete."))
        Evidence.objects.bulk_create(evidence, batch_size=5000)
        GateDecision.objects.bulk_create(decisions, batch_size=5000)
        ReviewTime.objects.bulk_create([
            ReviewTime(decision=d, initiative_id=d.gate.initiative_id, gate_key=d.gate.key,
                       submitted_at=d.gate.submitted_at, decided_at=d.decided_at,
                       days=(d.decided_at - d.gate.submitted_at).total_seconds() / 86400)
            for d in decisions], batch_size=5000)


def measure(client: Client, runs: int, path: str = "/dashboard/", profile: bool = False) -> dict:
    for _ in range(3):  # warm caches: templates, the database's buffers
        assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    sqls = [q["sql"] for q in captured.captured_queries]

    page_ms = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        page_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    floor_ms = []
    for _ in range(runs):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in sqls:
                cursor.execute(sql)
                cursor.fetchall()
        floor_ms.append((time.perf_counter() - started) * 1000)
    if profile:
        with connection.cursor() as cursor:
            for sql in sqls:
                times = []
                for _ in range(5):
                    started = time.perf_counter()
                    cursor.execute(sql)
                    cursor.fetchall()
                    times.append((time.perf_counter() - started) * 1000)
                log(f"    {statistics.median(times):7.1f} ms  {sql[:110]}")
    median, floor = statistics.median(page_ms), statistics.median(floor_ms)
    return {"queries": len(sqls), "median_ms": round(median, 1), "p95_ms": round(percentile(page_ms, .95), 1),
            "floor_ms": round(floor, 1), "ratio": round(median / floor, 2) if floor else None}


class Command(BaseCommand):
    help = "Benchmark /dashboard/ on synthetic portfolios in a scratch database; one JSON line per size."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="200,2000,20000", help="Comma-separated portfolio sizes.")
        parser.add_argument("--runs", type=int, default=15, help="Timed renders per size.")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--profile", action="store_true", help="Also print each query's time (stderr).")
        parser.add_argument("--keep", action="store_true", help="Leave the scratch database for EXPLAIN.")

    def handle(self, *args, sizes, runs, seed, profile, keep, **options):
        sizes = sorted(int(s) for s in sizes.split(","))
        with scratch_database(keep=keep):
            results = self.run_sizes(sizes, runs, seed, profile)
        self.report(results)

    def run_sizes(self, sizes: list[int], runs: int, seed: int, profile: bool) -> list[dict]:
        portfolio = Portfolio(random.Random(seed))
        client = Client()
        client.force_login(portfolio.leader)
        results = []
        for size in sizes:
            log(f"Growing the portfolio to {size:,} initiatives …")
            started = time.monotonic()
            portfolio.grow(size)
            if connection.vendor == "postgresql":
                # What autovacuum does to a settled table: statistics and the visibility map.
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
                    for sql in filter(None, os.environ.get("BENCH_EXTRA_SQL", "").split(";")):
                        cursor.execute(sql)
            log(f"  built in {time.monotonic() - started:.1f} s; measuring {runs} renders …")
            with override_settings(DEBUG=False):
                result = {"initiatives": size, "db": connection.vendor, **measure(client, runs, profile=profile)}
            results.append(result)
            self.stdout.write(json.dumps(result))
        return results

    def report(self, results: list[dict]) -> None:
        queries = {r["queries"] for r in results}
        checks = [(f"queries identical at every size and ≤ {GOAL_QUERIES}",
                   len(queries) == 1 and max(queries) <= GOAL_QUERIES)]
        by_size = {r["initiatives"]: r for r in results}
        if 20000 in by_size:
            checks.append(("ratio ≤ 2.5 at 20,000", by_size[20000]["ratio"] <= 2.5))
        if 20000 in by_size and 2000 in by_size:
            growth = by_size[20000]["median_ms"] / by_size[2000]["median_ms"]
            checks.append((f"median at 20,000 ≤ 3 × median at 2,000 (×{growth:.2f})", growth <= 3))
        for label, ok in checks:
            log(f"{'PASS' if ok else 'FAIL'}  {label}")
