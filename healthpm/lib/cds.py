"""FDA criteria for non-device clinical decision support, FD&C Act section 520(o)(1)(E).

Software is non-device CDS only when all four criteria hold:

    non-device = (1) ∧ (2) ∧ (3) ∧ (4)

Any "no" makes it a device (SaMD), which then needs an IMDRF category and a pathway.
"""

from collections.abc import Mapping

CRITERIA: tuple[tuple[str, str], ...] = (
    (
        "no_image_or_signal",
        "It does not acquire, process or analyse a medical image, a signal from an in vitro "
        "diagnostic device, or a pattern or signal from a signal acquisition system",
    ),
    ("medical_information", "It displays, analyses or prints medical information"),
    ("supports_hcp", "It supports or provides recommendations to a health care professional"),
    (
        "independent_review",
        "The health care professional can independently review the basis of the recommendation",
    ),
)

# The answers rest on one edition of FDA's CDS guidance; FDA reissues it, so record which.
GUIDANCE_EDITIONS: tuple[tuple[str, str], ...] = (
    ("2026-01", "FDA CDS guidance, January 2026"),
    ("2022-09", "FDA CDS guidance, September 2022 (superseded January 2026)"),
)


def _answers(answers: Mapping[str, bool]) -> list[tuple[str, bool]]:
    """(text, answer) for each criterion; KeyError if one is unanswered, ValueError if not yes/no."""
    out = []
    for key, text in CRITERIA:
        if key not in answers:
            raise KeyError(f"Criterion {key!r} is not answered: {text}")
        value = answers[key]
        if not isinstance(value, bool):
            raise ValueError(f"Criterion {key!r} must be answered yes or no (got {value!r})")
        out.append((text, value))
    return out


def is_non_device(answers: Mapping[str, bool]) -> bool:
    """True only when all four criteria are answered yes."""
    return all(value for _, value in _answers(answers))


def failed_criteria(answers: Mapping[str, bool]) -> list[str]:
    """Texts of the criteria answered no, in the statute's order."""
    return [text for text, value in _answers(answers) if not value]
