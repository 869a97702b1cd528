"""IMDRF risk category of software as a medical device (SaMD N12).

The category is read from a table, never typed by hand:

    situation \\ significance | treat or diagnose | drive | inform
    critical                 | IV                | III   | II
    serious                  | III               | II    | I
    non-serious              | II                | I     | I

IV is the highest risk. Rows are the state of the healthcare situation or condition;
columns are the significance of the information the software gives to the healthcare
decision.
"""

SITUATIONS = ("critical", "serious", "non_serious")
SIGNIFICANCES = ("treat_or_diagnose", "drive", "inform")

SITUATION_LABELS: dict[str, str] = {
    "critical": "Critical",
    "serious": "Serious",
    "non_serious": "Non-serious",
}
SIGNIFICANCE_LABELS: dict[str, str] = {
    "treat_or_diagnose": "Treat or diagnose",
    "drive": "Drive clinical management",
    "inform": "Inform clinical management",
}

_TABLE: dict[str, dict[str, str]] = {
    "critical": {"treat_or_diagnose": "IV", "drive": "III", "inform": "II"},
    "serious": {"treat_or_diagnose": "III", "drive": "II", "inform": "I"},
    "non_serious": {"treat_or_diagnose": "II", "drive": "I", "inform": "I"},
}


def imdrf_category(situation: str, significance: str) -> str:
    """IMDRF category "I".."IV" for a situation × significance; ValueError on an unknown key."""
    if situation not in _TABLE:
        raise ValueError(f"Unknown healthcare situation {situation!r}: choose one of {', '.join(SITUATIONS)}")
    if significance not in _TABLE[situation]:
        raise ValueError(
            f"Unknown significance of information {significance!r}: choose one of {', '.join(SIGNIFICANCES)}"
        )
    return _TABLE[situation][significance]
