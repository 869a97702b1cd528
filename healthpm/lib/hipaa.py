"""HIPAA reference lists.

SAFE_HARBOR_IDENTIFIERS are the 18 identifiers of 45 CFR 164.514(b)(2)(i) that must be
removed (of the individual and of relatives, employers or household members) for
Safe Harbor de-identification. PROXY_VARIABLES are the seed defaults for the admin's
list of model inputs that can stand in for a protected class or for wealth.
"""

SAFE_HARBOR_IDENTIFIERS: tuple[tuple[str, str], ...] = (
    ("names", "Names"),
    ("geographic", "Geographic subdivisions smaller than a state (street address, city, county, precinct, ZIP code)"),
    ("dates", "All elements of dates (except year) directly related to an individual, and ages over 89"),
    ("telephone", "Telephone numbers"),
    ("fax", "Fax numbers"),
    ("email", "Email addresses"),
    ("ssn", "Social Security numbers"),
    ("mrn", "Medical record numbers"),
    ("health_plan", "Health plan beneficiary numbers"),
    ("account", "Account numbers"),
    ("certificate_license", "Certificate/license numbers"),
    ("vehicle", "Vehicle identifiers and serial numbers, including license plate numbers"),
    ("device", "Device identifiers and serial numbers"),
    ("url", "Web Universal Resource Locators (URLs)"),
    ("ip_address", "Internet Protocol (IP) addresses"),
    ("biometric", "Biometric identifiers, including finger and voice prints"),
    ("face_photo", "Full-face photographs and any comparable images"),
    ("other_unique", "Any other unique identifying number, characteristic or code"),
)

PROXY_VARIABLES: tuple[tuple[str, str], ...] = (
    ("zip", "ZIP / postal code"),
    ("race", "Race"),
    ("ethnicity", "Ethnicity"),
    ("insurance_type", "Insurance type"),
    ("language", "Preferred language"),
)
