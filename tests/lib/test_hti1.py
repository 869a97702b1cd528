"""The HTI-1 predictive DSI source attributes, 45 CFR 170.315(b)(11)(iv)(B), as reference data."""

import re

import pytest

from healthpm.lib.hti1 import ATTRIBUTES, GROUPS, KEYS, attribute, attributes_in, group

# Counted paragraph by paragraph in (iv)(B)(1)–(9).
GROUP_SIZES = {"details": 4, "purpose": 4, "out_of_scope": 2, "development": 4, "fairness": 2,
               "external_validation": 4, "performance": 5, "maintenance": 4, "updates": 2}
ROMAN = ("i", "ii", "iii", "iv", "v")


def test_there_are_exactly_31_attributes_in_nine_groups():
    assert len(ATTRIBUTES) == 31
    assert len(GROUPS) == 9
    assert sum(GROUP_SIZES.values()) == 31


def test_each_group_holds_the_attributes_its_paragraph_lists():
    assert {g.key: len(attributes_in(g.key)) for g in GROUPS} == GROUP_SIZES


def test_keys_are_unique_short_snake_case():
    assert len(set(KEYS)) == len(KEYS) == 31
    assert len({g.key for g in GROUPS}) == 9
    for key in KEYS:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", key) and len(key) <= 24, key


def test_references_run_in_the_regulations_order():
    """(B)(1)(i) … (B)(1)(iv), (B)(2)(i) …: group n's attributes are (B)(n)(i), (ii), … in order."""
    for number, g in enumerate(GROUPS, start=1):
        assert g.reference == f"(B)({number})"
        refs = [a.reference for a in attributes_in(g.key)]
        assert refs == [f"(B)({number})({r})" for r in ROMAN[:len(refs)]]
    assert len({a.reference for a in ATTRIBUTES}) == 31


def test_every_attribute_belongs_to_a_known_group_and_is_found_by_key():
    for a in ATTRIBUTES:
        assert group(a.group).key == a.group
        assert attribute(a.key) is a
    with pytest.raises(KeyError):
        attribute("nonexistent")


def test_the_wording_is_the_regulations():
    assert attribute("developer_contact").label == "Name and contact information for the intervention developer"
    assert attribute("developer_contact").reference == "(B)(1)(i)"
    assert attribute("local_fairness").label == "Fairness of intervention in local data"
    assert attribute("local_fairness").reference == "(B)(8)(iv)"
    assert attribute("correction_frequency").reference == "(B)(9)(ii)"
    assert attribute("outcome_evaluations").reference == "(B)(7)(v)"
    assert group("updates").label == "Update and continued validation or fairness assessment schedule"
