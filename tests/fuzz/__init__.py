"""Fuzzing every form (issue 6): random and hostile data never gives a 500 or a partial write.

The "fuzz" Hypothesis profile is derandomized and keeps no example database, so a CI run is
reproducible; Hypothesis' caches go to the system temp directory, not a .hypothesis folder. It is applied per test (`fuzz_settings`),
not loaded globally, so other Hypothesis tests keep their own settings.

HEALTHPM_FUZZ_SCALE multiplies every test's example count (e.g. 10 for a long local run);
HEALTHPM_FUZZ_RANDOM=1 draws fresh random examples instead of the fixed sequence.
"""

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis caches Unicode tables and source constants even without an example database;
# keep them out of the checkout (HYPOTHESIS_STORAGE_DIRECTORY still wins when set).
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "healthpm-hypothesis")

settings.register_profile(
    "fuzz",
    derandomize=os.environ.get("HEALTHPM_FUZZ_RANDOM", "") != "1",
    database=None,
    deadline=None,
    print_blob=True,
    # Fixtures (personas, an initiative) are made once per test; every example runs in a
    # savepoint that is rolled back, so they are the same for each example.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example],
)


def fuzz_settings(max_examples: int) -> settings:
    scale = float(os.environ.get("HEALTHPM_FUZZ_SCALE", "1") or 1)
    return settings(settings.get_profile("fuzz"), max_examples=max(1, round(max_examples * scale)))
