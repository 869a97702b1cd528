from healthpm.lib.hipaa import PROXY_VARIABLES, SAFE_HARBOR_IDENTIFIERS


def test_there_are_exactly_eighteen_safe_harbor_identifiers_with_unique_keys():
    keys = [key for key, _ in SAFE_HARBOR_IDENTIFIERS]
    assert len(SAFE_HARBOR_IDENTIFIERS) == 18
    assert len(set(keys)) == 18
    assert all(label for _, label in SAFE_HARBOR_IDENTIFIERS)


def test_safe_harbor_list_covers_the_regulation():
    labels = " ".join(label for _, label in SAFE_HARBOR_IDENTIFIERS).lower()
    for phrase in ["names", "smaller than a state", "dates", "telephone", "fax", "email", "social security",
                   "medical record", "health plan", "account", "license", "vehicle", "device", "url",
                   "ip", "biometric", "full-face", "any other unique"]:
        assert phrase in labels, phrase


def test_proxy_variable_defaults():
    assert PROXY_VARIABLES == (
        ("zip", "ZIP / postal code"),
        ("race", "Race"),
        ("ethnicity", "Ethnicity"),
        ("insurance_type", "Insurance type"),
        ("language", "Preferred language"),
    )
