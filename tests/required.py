"""Tools the suite needs from the machine (Chromium, Node.js, Java): missing, a test skips on a
developer's machine and fails in CI, where a skipped check would hide a broken setup."""

import os
from functools import partial

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(what: str, reason: str) -> None:
    if in_ci():
        pytest.fail(f"{what} must run in CI, but {reason}", pytrace=False)
    pytest.skip(reason)


def unavailable_for(what: str):
    """unavailable_for("Browser tests")(reason): the same, for one kind of test."""
    return partial(unavailable, what)
