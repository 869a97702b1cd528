"""Risk of a failure mode: clinical severity × likelihood, read from the risk matrix.

Where the matrix comes from: its shape is the qualitative 5 × 5 matrix of severity of harm
× probability of occurrence, in three regions, in the style of ISO 14971:2019. The standard asks
top management for a policy on the criteria for risk acceptability (clause 4.2) and the risk
management plan to state them (clause 4.4 d); ISO/TR 24971:2020 gives example matrices. It
does not fix the cells: each organisation sets its own. These cells are therefore this
organisation's risk policy, as the AI governance committee approved it for clinical AI,
not figures taken from the standard. The gate reads them as reference data; changing a cell
changes the policy and, since the failure-modes gate blocks on it, the gate's rule (a new
checklist version, never an edit under initiatives already held to a released one).

    severity \\ likelihood | frequent     probable     occasional   remote       improbable
    catastrophic          | unacceptable unacceptable unacceptable unacceptable ALARP
    major                 | unacceptable unacceptable unacceptable ALARP        ALARP
    moderate              | unacceptable unacceptable ALARP        ALARP        acceptable
    minor                 | ALARP        ALARP        acceptable   acceptable   acceptable
    negligible            | acceptable   acceptable   acceptable   acceptable   acceptable

The three regions:
- acceptable: no further risk control is required;
- ALARP ("as low as reasonably practicable", the term of ISO 14971:2007 Annex D.8; EN ISO
  14971:2012 Annex ZA and the 2019 edition speak of reducing risk "as far as possible"):
  kept only with the risk controls that were practicable, shown to the committee;
- unacceptable: not launched until a risk control (a mitigation) brings it out of the cell.

`risk(severity, likelihood)` returns the region's key. Severity and likelihood are rated
before mitigation: the mitigation is what the rules look for in the unacceptable cells.
"""

SEVERITIES = ("catastrophic", "major", "moderate", "minor", "negligible")
LIKELIHOODS = ("frequent", "probable", "occasional", "remote", "improbable")
LEVELS = ("unacceptable", "alarp", "acceptable")

# What each rating means at the bedside, so two raters pick the same word.
SEVERITY_LABELS: dict[str, str] = {
    "catastrophic": "Catastrophic",
    "major": "Major",
    "moderate": "Moderate",
    "minor": "Minor",
    "negligible": "Negligible",
}
SEVERITY_HELP: dict[str, str] = {
    "catastrophic": "death or permanent severe harm",
    "major": "serious injury, or a delay that needs major intervention (ICU transfer, surgery)",
    "moderate": "temporary injury or a delay that needs medical intervention",
    "minor": "temporary discomfort or a delay with no intervention needed",
    "negligible": "inconvenience, no harm to the patient",
}
LIKELIHOOD_LABELS: dict[str, str] = {
    "frequent": "Frequent",
    "probable": "Probable",
    "occasional": "Occasional",
    "remote": "Remote",
    "improbable": "Improbable",
}
LIKELIHOOD_HELP: dict[str, str] = {
    "frequent": "expected every week or more often",
    "probable": "expected several times a year",
    "occasional": "expected about once a year",
    "remote": "could happen once in the life of the deployment",
    "improbable": "not expected to happen at all",
}
LEVEL_LABELS: dict[str, str] = {
    "unacceptable": "Unacceptable",
    "alarp": "Reduce as far as possible (ALARP)",
    "acceptable": "Acceptable",
}

U, R, A = "unacceptable", "alarp", "acceptable"

# Why each cell is what it is (rows: severity; columns: frequent … improbable).
_MATRIX: dict[str, dict[str, str]] = {
    # Death or permanent harm is never "acceptable" however unlikely: even improbable, the
    # committee must see that everything practicable was done (ALARP). Anything expected
    # within the deployment's life (remote or likelier) is unacceptable without a control.
    "catastrophic": {"frequent": U, "probable": U, "occasional": U, "remote": U, "improbable": R},
    # Serious injury expected yearly or more often is unacceptable; once in the deployment's
    # life (remote) or not expected at all (improbable) it is kept only if reduced as far as
    # possible — never simply accepted, since the harm itself is serious.
    "major": {"frequent": U, "probable": U, "occasional": U, "remote": R, "improbable": R},
    # Temporary harm needing intervention, several times a year or more, adds up to a
    # pattern of injuries: unacceptable. About yearly or rarer: reduce as far as possible.
    # Not expected at all: acceptable, the harm being recoverable.
    "moderate": {"frequent": U, "probable": U, "occasional": R, "remote": R, "improbable": A},
    # Harm that resolves without intervention is never unacceptable on its own, but weekly
    # or several times a year it is a steady cost to patients worth reducing (ALARP). Yearly
    # or rarer: acceptable.
    "minor": {"frequent": R, "probable": R, "occasional": A, "remote": A, "improbable": A},
    # No harm to the patient, so no patient risk at any frequency; how often a nuisance
    # happens is workload, which the false-positive cost and cognitive-load gates measure.
    "negligible": {"frequent": A, "probable": A, "occasional": A, "remote": A, "improbable": A},
}


def risk(severity: str, likelihood: str) -> str:
    """The risk region ("unacceptable", "alarp", "acceptable") of severity × likelihood.

    ValueError on a severity or likelihood that is not one of SEVERITIES / LIKELIHOODS.
    """
    if severity not in _MATRIX:
        raise ValueError(f"Unknown severity {severity!r}: choose one of {', '.join(SEVERITIES)}")
    if likelihood not in _MATRIX[severity]:
        raise ValueError(f"Unknown likelihood {likelihood!r}: choose one of {', '.join(LIKELIHOODS)}")
    return _MATRIX[severity][likelihood]
