"""A gate page asks the same number of queries whatever the size of its table: the rows'
choices (source systems, BAA evidence) are looked up once, not once per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from healthpm.gates.services import gate_save_data
from tests.factories import InitiativeFactory, gate_of, valid_data

pytestmark = pytest.mark.django_db

TABLES = {"auditable-inputs": "inputs", "baa-phi": "vendors"}
# A vendor that handles de-identified data only, so the row needs no BAA file.
VENDOR = {"name": "Acme Analytics", "service": "analytics", "touches_phi": False, "baa_evidence": "",
          "baa_effective": None, "baa_expiry": None}


def page_queries(client, pm, key: str, rows: int) -> int:
    initiative = InitiativeFactory(owner=pm)
    gate = gate_of(initiative, key)
    data = valid_data(key)
    row = data[TABLES[key]][0] if data[TABLES[key]] else VENDOR
    data[TABLES[key]] = [dict(row, name=f"row_{n}") for n in range(rows)]
    gate_save_data(gate=gate, by=pm, data=data)
    url = reverse("gates:detail", args=[initiative.slug, key])
    client.get(url)  # the first request after sign-in stamps the session
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("key", sorted(TABLES))
def test_the_gate_page_does_not_query_per_table_row(key, pm, login):
    client = login(pm)

    assert page_queries(client, pm, key, 2) == page_queries(client, pm, key, 30)
