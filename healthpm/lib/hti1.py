"""The source attributes of a predictive decision support intervention, ONC HTI-1.

Reference data: the 31 attributes that 45 CFR 170.315(b)(11)(iv)(B) lists for a predictive
decision support intervention (predictive DSI), in its nine groups, worded as the regulation
words them, each with its paragraph reference inside (iv)(B) — "(B)(1)(i)" is
45 CFR 170.315(b)(11)(iv)(B)(1)(i). Adopted by the HTI-1 final rule ("Health Data, Technology,
and Interoperability: Certification Program Updates, Algorithm Transparency, and Information
Sharing", ONC, 89 FR 1192, 9 January 2024).

The rule binds certified health IT developers, not hospitals, and the HTI-5 proposed rule
(2025) proposed removing the source-attribute requirement. healthpm therefore treats the list
as a transparency checklist the governance committee asks of every model, whatever becomes of
the legal requirement.

The attribute keys below are stable: saved gate data and the CHAI Applied Model Card mapping
use them, so a key is never renamed or reused (a changed wording keeps its key).

    group                  reference  keys
    details                (B)(1)     developer_contact, funding_source, output_value, output_type
    purpose                (B)(2)     intended_use, intended_population, intended_users, decision_role
    out_of_scope           (B)(3)     cautioned_uses, known_risks
    development            (B)(4)     training_criteria, demographic_inputs, training_demographics,
                                      training_relevance
    fairness               (B)(5)     fairness_approach, bias_management
    external_validation    (B)(6)     external_data_source, external_tester, external_demographics,
                                      external_process
    performance            (B)(7)     internal_validity, internal_fairness, external_validity,
                                      external_fairness, outcome_evaluations
    maintenance            (B)(8)     validity_monitoring, local_validity, fairness_monitoring,
                                      local_fairness
    updates                (B)(9)     update_process, correction_frequency

4 + 4 + 2 + 4 + 2 + 4 + 5 + 4 + 2 = 31.
"""

from typing import NamedTuple

CITATION = "45 CFR 170.315(b)(11)(iv)(B)"
RULE = "ONC HTI-1 final rule, 89 FR 1192 (January 9, 2024)"

# The demographic variables (b)(11)(iv)(A)(5)–(13) names, which (B)(4) and (B)(6) refer to.
DEMOGRAPHIC_VARIABLES = (
    "race", "ethnicity", "language", "sexual orientation", "gender identity", "sex", "date of birth",
    "social determinants of health data", "health status assessments data",
)
_VARIABLES = "(race, ethnicity, language, sexual orientation, gender identity, sex, date of birth, " \
             "social determinants of health data, health status assessments data)"


class Group(NamedTuple):
    key: str
    label: str
    reference: str


class Attribute(NamedTuple):
    key: str
    group: str       # a Group.key
    label: str       # the regulation's wording
    reference: str   # "(B)(1)(i)"


GROUPS: tuple[Group, ...] = (
    Group("details", "Details and output of the intervention", "(B)(1)"),
    Group("purpose", "Purpose of the intervention", "(B)(2)"),
    Group("out_of_scope", "Cautioned out-of-scope use of the intervention", "(B)(3)"),
    Group("development", "Intervention development details and input features", "(B)(4)"),
    Group("fairness", "Process used to ensure fairness in development of the intervention", "(B)(5)"),
    Group("external_validation", "External validation process", "(B)(6)"),
    Group("performance", "Quantitative measures of performance", "(B)(7)"),
    Group("maintenance", "Ongoing maintenance of intervention implementation and use", "(B)(8)"),
    Group("updates", "Update and continued validation or fairness assessment schedule", "(B)(9)"),
)

ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("developer_contact", "details", "Name and contact information for the intervention developer", "(B)(1)(i)"),
    Attribute("funding_source", "details",
              "Funding source of the technical implementation for the intervention(s) development", "(B)(1)(ii)"),
    Attribute("output_value", "details", "Description of value that the intervention produces as an output", "(B)(1)(iii)"),
    Attribute("output_type", "details", "Whether the intervention output is a prediction, classification, recommendation, "
              "evaluation, analysis, or other type of output", "(B)(1)(iv)"),

    Attribute("intended_use", "purpose", "Intended use of the intervention", "(B)(2)(i)"),
    Attribute("intended_population", "purpose", "Intended patient population(s) for the intervention's use", "(B)(2)(ii)"),
    Attribute("intended_users", "purpose", "Intended user(s)", "(B)(2)(iii)"),
    Attribute("decision_role", "purpose", "Intended decision-making role for which the intervention was designed to be "
              "used/for (e.g., informs, augments, replaces clinical management)", "(B)(2)(iv)"),

    Attribute("cautioned_uses", "out_of_scope", "Description of tasks, situations, or populations where a user is "
              "cautioned against applying the intervention", "(B)(3)(i)"),
    Attribute("known_risks", "out_of_scope",
              "Known risks, inappropriate settings, inappropriate uses, or known limitations", "(B)(3)(ii)"),

    Attribute("training_criteria", "development", "Exclusion and inclusion criteria that influenced the training data set",
              "(B)(4)(i)"),
    Attribute("demographic_inputs", "development",
              f"Use of variables in paragraph (b)(11)(iv)(A)(5)-(13) {_VARIABLES} as input features", "(B)(4)(ii)"),
    Attribute("training_demographics", "development", "Description of demographic representativeness according to "
              "variables in paragraph (b)(11)(iv)(A)(5)-(13) including, at a minimum, those used as input features in "
              "the intervention", "(B)(4)(iii)"),
    Attribute("training_relevance", "development", "Description of relevance of training data to intended deployed setting",
              "(B)(4)(iv)"),

    Attribute("fairness_approach", "fairness", "Description of the approach the intervention developer has taken to "
              "ensure that the intervention's output is fair", "(B)(5)(i)"),
    Attribute("bias_management", "fairness", "Description of approaches to manage, reduce, or eliminate bias", "(B)(5)(ii)"),

    Attribute("external_data_source", "external_validation", "Description of the data source, clinical setting, or "
              "environment where an intervention's validity and fairness has been assessed, other than the source of "
              "training and testing data", "(B)(6)(i)"),
    Attribute("external_tester", "external_validation", "Party that conducted the external testing", "(B)(6)(ii)"),
    Attribute("external_demographics", "external_validation", "Description of demographic representativeness of external "
              "data according to variables in paragraph (b)(11)(iv)(A)(5)-(13) including, at a minimum, those used as "
              "input features in the intervention", "(B)(6)(iii)"),
    Attribute("external_process", "external_validation", "Description of external validation process", "(B)(6)(iv)"),

    Attribute("internal_validity", "performance", "Validity of intervention in test data derived from the same source as "
              "the initial training data", "(B)(7)(i)"),
    Attribute("internal_fairness", "performance", "Fairness of intervention in test data derived from the same source as "
              "the initial training data", "(B)(7)(ii)"),
    Attribute("external_validity", "performance", "Validity of intervention in data external to or from a different "
              "source than the initial training data", "(B)(7)(iii)"),
    Attribute("external_fairness", "performance", "Fairness of intervention in data external to or from a different "
              "source than the initial training data", "(B)(7)(iv)"),
    Attribute("outcome_evaluations", "performance", "References to evaluation of use of the intervention on outcomes, "
              "including, bibliographic citations or hyperlinks to evaluations of how well the intervention reduced "
              "morbidity, mortality, length of stay, or other outcomes", "(B)(7)(v)"),

    Attribute("validity_monitoring", "maintenance", "Description of process and frequency by which the intervention's "
              "validity is monitored over time", "(B)(8)(i)"),
    Attribute("local_validity", "maintenance", "Validity of intervention in local data", "(B)(8)(ii)"),
    Attribute("fairness_monitoring", "maintenance", "Description of the process and frequency by which the "
              "intervention's fairness is monitored over time", "(B)(8)(iii)"),
    Attribute("local_fairness", "maintenance", "Fairness of intervention in local data", "(B)(8)(iv)"),

    Attribute("update_process", "updates", "Description of process and frequency by which the intervention is updated",
              "(B)(9)(i)"),
    Attribute("correction_frequency", "updates", "Description of frequency by which the intervention's performance is "
              "corrected when risks related to validity and fairness are identified", "(B)(9)(ii)"),
)

KEYS: tuple[str, ...] = tuple(a.key for a in ATTRIBUTES)
_GROUPS = {g.key: g for g in GROUPS}
_ATTRIBUTES = {a.key: a for a in ATTRIBUTES}


def group(key: str) -> Group:
    """The group of that key; KeyError for an unknown one."""
    return _GROUPS[key]


def attribute(key: str) -> Attribute:
    """The attribute of that key; KeyError for an unknown one."""
    return _ATTRIBUTES[key]


def attributes_in(group_key: str) -> tuple[Attribute, ...]:
    """The attributes of one group, in the regulation's order."""
    return tuple(a for a in ATTRIBUTES if a.group == group_key)
