"""What the benchmark commands share (bench_dashboard, bench_gate): a scratch database made and
dropped by Django's own test-database machinery, a percentile, progress on stderr."""

import math
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.db import connection


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values, share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@contextmanager
def scratch_database(*, keep: bool = False):
    """A fresh, migrated database for the benchmark's synthetic data: on PostgreSQL
    `<NAME>_bench` on the same server, on SQLite a temporary file. Dropped at the end unless `keep`."""
    creation = connection.creation
    settings_dict = connection.settings_dict
    original_name = settings_dict["NAME"]
    scratch_dir = None
    if connection.vendor == "sqlite":
        scratch_dir = tempfile.TemporaryDirectory(prefix="healthpm-bench-")
        settings_dict.setdefault("TEST", {})["NAME"] = str(Path(scratch_dir.name) / "bench.sqlite3")
    else:
        settings_dict.setdefault("TEST", {})["NAME"] = f"{original_name}_bench"
    log(f"Creating the scratch database {settings_dict['TEST']['NAME']} …")
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        if keep:
            log(f"Kept {settings_dict['NAME']}.")
        else:
            creation.destroy_test_db(original_name, verbosity=0)
        if scratch_dir is not None:
            scratch_dir.cleanup()
