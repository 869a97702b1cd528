"""The demo's people and initiatives, as data the `seed_demo` command plays through the services.

Every initiative is a dict: its checklist version, its facts, its team, and per gate key a dict with
`evidence` (files and links to attach), `data` (the gate form's structured answers, saved
with `gate_save_data` after the evidence) or `example` ("passing" or "blocking": the gate's
own example answers, with `changes` on top) and `flow` (what happens next: submit, approve,
reject, replace evidence, save new answers). Dates are days relative to the day the
command runs, so a fresh demo always has a recent drill and a current BAA.
All names, numbers and documents are fictitious.
"""

PASSWORD = "healthpm-demo-2026"
EMAIL_DOMAIN = "demo-hospital.org"

# Source systems the administrator has recorded as not approved, beside the approved ones the
# migration seeds: the alert-ranking inventory still lists features from one of them.
UNAPPROVED_SOURCE_SYSTEMS = [
    ("Legacy alert archive", "Alert log exported from the pre-2024 EHR; no per-event timestamps. Retired by data "
                             "governance in 2024."),
]

# username, first name, last name, role (a name in healthpm.accounts.roles; None: superuser), who they are
USERS = [
    ("pm", "Priya", "Raman", "PRODUCT_MANAGER", "Priya Raman, AI product manager (Digital Health)"),
    ("pm2", "Marcus", "Oyelaran", "PRODUCT_MANAGER", "Marcus Oyelaran, AI product manager (Revenue Cycle & Access)"),
    ("compliance", "Elena", "Fischer", "COMPLIANCE", "Dr. Elena Fischer, compliance officer (Clinical AI Governance)"),
    ("compliance2", "James", "Whitaker", "COMPLIANCE", "James Whitaker, compliance officer (Privacy & Regulatory)"),
    ("leader", "Aisha", "Karim", "LEADERSHIP", "Dr. Aisha Karim, Chief Medical Officer (leadership)"),
    ("admin", "Sam", "Okafor", None, "Sam Okafor, IT administrator (superuser, Django admin)"),
]

from .approved import READMISSION, SEPSIS
from .builders import BaaOf, DaysAgo
from .in_flight import ALERT_RANKING, DERM, NO_SHOW, PRIOR_AUTH, VISIT_NOTE
from .v2 import COMMUNITY, GERIATRIC, NORTHGATE, PAY_PER_ALERT

__all__ = ["PASSWORD", "EMAIL_DOMAIN", "USERS", "INITIATIVES", "BaaOf", "DaysAgo"]

INITIATIVES = [SEPSIS, PRIOR_AUTH, NO_SHOW, ALERT_RANKING, VISIT_NOTE, DERM, READMISSION,
               COMMUNITY, NORTHGATE, GERIATRIC, PAY_PER_ALERT]
