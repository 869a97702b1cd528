"""The organisation's risk matrix (healthpm.lib.risk): every cell, its shape, bad input."""

import pytest

from healthpm.lib.risk import (
    LEVEL_LABELS,
    LEVELS,
    LIKELIHOOD_HELP,
    LIKELIHOOD_LABELS,
    LIKELIHOODS,
    SEVERITIES,
    SEVERITY_HELP,
    SEVERITY_LABELS,
    risk,
)

U, R, A = "unacceptable", "alarp", "acceptable"

# The matrix as the risk policy in the module docstring draws it, row by row
# (frequent, probable, occasional, remote, improbable).
POLICY = {
    "catastrophic": (U, U, U, U, R),
    "major": (U, U, U, R, R),
    "moderate": (U, U, R, R, A),
    "minor": (R, R, A, A, A),
    "negligible": (A, A, A, A, A),
}
CELLS = [(severity, likelihood, level) for severity, row in POLICY.items()
         for likelihood, level in zip(LIKELIHOODS, row)]


@pytest.mark.parametrize(("severity", "likelihood", "level"), CELLS, ids=[f"{s}-{k}" for s, k, _ in CELLS])
def test_every_cell_of_the_risk_matrix(severity, likelihood, level):
    assert risk(severity, likelihood) == level


def test_the_matrix_has_nine_unacceptable_seven_alarp_and_nine_acceptable_cells():
    levels = [risk(s, k) for s in SEVERITIES for k in LIKELIHOODS]

    assert len(levels) == 25
    assert (levels.count(U), levels.count(R), levels.count(A)) == (9, 7, 9)


def test_a_worse_severity_or_a_likelier_harm_never_lowers_the_risk():
    rank = {A: 0, R: 1, U: 2}
    for i, severity in enumerate(SEVERITIES):
        for j, likelihood in enumerate(LIKELIHOODS):
            here = rank[risk(severity, likelihood)]
            if i > 0:  # one row up is a worse severity
                assert rank[risk(SEVERITIES[i - 1], likelihood)] >= here, (severity, likelihood)
            if j > 0:  # one column left is a likelier harm
                assert rank[risk(severity, LIKELIHOODS[j - 1])] >= here, (severity, likelihood)


def test_a_catastrophic_harm_is_never_simply_acceptable_and_a_negligible_one_never_unacceptable():
    assert A not in {risk("catastrophic", k) for k in LIKELIHOODS}
    assert A not in {risk("major", k) for k in LIKELIHOODS}
    assert {risk("negligible", k) for k in LIKELIHOODS} == {A}


@pytest.mark.parametrize(("severity", "likelihood", "message"), [
    ("fatal", "remote", "Unknown severity 'fatal'"),
    ("Major", "remote", "Unknown severity 'Major'"),  # the key is lower case, not the label
    ("major", "rare", "Unknown likelihood 'rare'"),
    ("major", "", "Unknown likelihood ''"),
    ("", "remote", "Unknown severity ''"),
    (None, "remote", "Unknown severity None"),
])
def test_an_unknown_severity_or_likelihood_is_refused(severity, likelihood, message):
    with pytest.raises(ValueError, match=message):
        risk(severity, likelihood)


def test_every_rating_and_level_has_a_label_and_the_ratings_a_meaning():
    assert set(SEVERITY_LABELS) == set(SEVERITY_HELP) == set(SEVERITIES)
    assert set(LIKELIHOOD_LABELS) == set(LIKELIHOOD_HELP) == set(LIKELIHOODS)
    assert set(LEVEL_LABELS) == set(LEVELS) == {U, R, A}
    assert LEVEL_LABELS["alarp"] == "Reduce as far as possible (ALARP)"
