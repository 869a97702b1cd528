"""Fixtures for the fuzz tests, and the count of examples run (the issue's closing note needs it)."""

import pytest

from tests.fuzz.harness import ACCEPTED, COUNTS, SECONDS

# The dossier tests' signing certificate (made once per run), for fuzzing the verify page
# with a real signed dossier.
from tests.dossier.conftest import _certificates, signing_cert  # noqa: F401

# Small enough that an "oversized" fuzzed file costs nothing to build, large enough for every
# real sample file.
FUZZ_UPLOAD_LIMIT = 4096


@pytest.fixture
def small_uploads(settings):
    settings.HEALTHPM_MAX_UPLOAD_BYTES = FUZZ_UPLOAD_LIMIT
    return FUZZ_UPLOAD_LIMIT


def pytest_terminal_summary(terminalreporter):
    # test_harness.py's requests check the harness itself; they are not fuzz examples.
    for name in [n for n in COUNTS if n.startswith("harness ")]:
        del COUNTS[name], ACCEPTED[name], SECONDS[name]
    if not COUNTS:
        return
    terminalreporter.section("fuzz examples")
    for name in sorted(COUNTS):
        terminalreporter.write_line(f"{name:<40} {COUNTS[name]:>5} examples {ACCEPTED[name]:>4} accepted "
                                    f"{SECONDS[name]:6.1f} s")
    terminalreporter.write_line(f"{'total':<40} {sum(COUNTS.values()):>5} examples {sum(ACCEPTED.values()):>4} accepted "
                                f"{sum(SECONDS.values()):6.1f} s")
