"""qc/engine/run.py: scope, the check tree, sensitivity and what a finding reports."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from qc.engine.data import Submission, dataset_from_frame
from qc.engine.rule import Scope
from qc.engine.run import FAILED, NOT_RUN, PASSED, applies, run_rule
from tests.qc.engine.build import flagged, outcomes, rule, submission


def domain(name: str, rows: int = 1, **columns: list) -> pd.DataFrame:
    return pd.DataFrame({"STUDYID": ["S"] * rows, "DOMAIN": [name] * rows, **columns})


@pytest.mark.parametrize("dataset, frame, listed, expected", [
    # SUPP-- names SUPP datasets, not AP ones
    ("SUPPLB", pd.DataFrame({"RDOMAIN": ["LB"]}), ("SUPP--",), True),
    ("SUPPLB", pd.DataFrame({"RDOMAIN": ["LB"]}), ("AP--",), False),
    # an AP dataset by APID, or by its four-letter AP-- domain alone
    ("APSU", domain("APSU", APID=["P1"]), ("AP--",), True),
    ("APSU", domain("APSU"), ("AP--",), True),
    ("APSU", domain("APSU"), ("SUPP--",), False),
])
def test_scope_patterns_name_only_their_kind(dataset, frame, listed, expected):
    data = submission(**{dataset: frame})
    included = rule({}, scope=Scope(domains=listed))
    assert applies(included, data.datasets[dataset], data) is expected


@pytest.mark.parametrize("declared, included, expected", [
    # the declared subclass decides
    ("POPULATION PHARMACOKINETIC ANALYSIS", ("POPULATION PHARMACOKINETIC ANALYSIS",), True),
    ("TIME-TO-EVENT", ("POPULATION PHARMACOKINETIC ANALYSIS",), False),
    # no declared subclass: nothing shows the dataset is of the one named
    ("", ("POPULATION PHARMACOKINETIC ANALYSIS",), False),
    ("", ("ALL",), True),
])
def test_subclass_scope_follows_the_declared_subclass(declared, included, expected):
    frame = pd.DataFrame({"USUBJID": ["1"], "PARAMCD": ["CL"], "AVAL": [1.0]})
    dataset = dataset_from_frame("ADPPK", frame)
    dataset = replace(dataset, declared_subclass=declared)
    data = Submission({"ADPPK": dataset}, standard="ADAMIG")
    scope = Scope(structures=("BASIC DATA STRUCTURE",), subclasses=included)
    assert applies(rule({}, scope=scope), dataset, data) is expected


def test_data_structure_is_detected_as_core_names_it():
    data = Submission({"ADSL": dataset_from_frame("ADSL", pd.DataFrame({"USUBJID": ["1"]})),
                       "ADAE": dataset_from_frame("ADAE", pd.DataFrame({"USUBJID": ["1"], "AETERM": ["X"]}))},
                      standard="ADAMIG")
    bds = rule({}, scope=Scope(structures=("OCCURRENCE DATA STRUCTURE",)))
    assert not applies(bds, data.datasets["ADSL"], data)
    assert applies(bds, data.datasets["ADAE"], data)


def test_a_condition_without_a_name_holds_for_every_variable():
    # ADaM flags: every variable outside Y/N/null (CORE repeats the condition per variable)
    frame = domain("AE", 2, USUBJID=["X", "Y"], AEFL=["Z", "Y"])
    check = {"all": [{"operator": "is_not_contained_by", "value": ["Y", "N", ""]}]}
    assert flagged(check, submission(AE=frame)) == [1]


def test_an_unknown_operator_is_not_run_naming_it():
    found = outcomes({"all": [{"name": "AETERM", "operator": "sounds_like"}]},
                     submission(AE=domain("AE", AETERM=["X"])))
    assert [(o.status, o.reason) for o in found] == [(NOT_RUN, "operator 'sounds_like' is not supported")]


def test_an_unknown_operation_is_not_run_naming_it():
    found = outcomes({"all": [{"name": "AETERM", "operator": "empty"}]},
                     submission(AE=domain("AE", AETERM=["X"])),
                     operations=({"id": "$x", "operator": "get_codelist_attributes"},))
    assert found[0].status == NOT_RUN and "get_codelist_attributes" in found[0].reason


def test_a_missing_target_is_reported_not_in_dataset():
    # --TOX present while --TOXGR is not: both reported, the absent one as CORE says
    check = {"all": [{"name": "--TOXGR", "operator": "not_exists"}, {"name": "--TOX", "operator": "exists"}]}
    found = outcomes(check, submission(LB=domain("LB", LBTOX=["X"])), sensitivity="Dataset")
    assert found[0].status == FAILED
    assert found[0].variables == ("LBTOXGR", "LBTOX")
    assert found[0].hits[["LBTOXGR", "LBTOX"]].to_numpy().tolist() == [["Not in dataset", "X"]]


def test_a_listed_variables_result_reports_those_variables_too():
    frame = domain("LB", 2, USUBJID=["1", "1"], VISITNUM=[1.0, 1.0])
    data = submission(LB=frame)
    operations = ({"id": "$vars", "operator": "get_column_order_from_dataset"},)
    check = {"all": [{"name": "USUBJID", "operator": "is_not_unique_set", "value": ["VISITNUM"]}]}
    found = outcomes(check, data, operations=operations, output=("USUBJID", "$vars"))
    assert found[0].variables == ("USUBJID", "$vars", "STUDYID", "DOMAIN", "VISITNUM")


def test_domain_presence_runs_per_dataset_in_scope_and_reports_once():
    check = {"all": [{"name": "PC", "operator": "not_exists"}]}
    data = submission(PP=domain("PP"), AE=domain("AE"))
    found = outcomes(check, data, rule_type="Domain Presence Check", sensitivity="Dataset")
    assert [(o.dataset, o.status) for o in found] == [("STUDY", FAILED)]
    assert len(found[0].hits) == 1


def test_record_sensitivity_reports_every_record_and_dataset_sensitivity_one():
    frame = domain("AE", 3, AETERM=["", "", "X"])
    check = {"all": [{"name": "AETERM", "operator": "empty"}]}
    assert flagged(check, submission(AE=frame)) == [1, 2]
    dataset_level = outcomes(check, submission(AE=frame), sensitivity="Dataset")
    assert len(dataset_level[0].hits) == 1 and dataset_level[0].hits["record"].isna().all()


def test_nothing_in_scope_nothing_to_check():
    frame = domain("AE", 1, AETERM=["X"])
    check = {"all": [{"name": "AETERM", "operator": "empty"}]}
    assert [o.status for o in outcomes(check, submission(AE=frame))] == [PASSED]
    assert outcomes(check, submission(AE=frame), scope=Scope(domains=("LB",))) == []


def test_variables_matching_runs_the_rule_once_per_matching_variable():
    # *FL = Y and *FN != 1, for every *FN: each pair reports its own variables
    data = submission(standard="ADAMIG", ADSL=pd.DataFrame({
        "USUBJID": ["1", "2", "3"], "SAFFL": ["Y", "Y", "N"], "SAFFN": [1, 0, 0],
        "ITTFL": ["Y", "Y", "Y"], "ITTFN": [1, 1, 0], "FASFL": ["Y", "Y", "Y"]}))
    check = {"all": [{"name": "{x}FL", "operator": "equal_to", "value": "Y"},
                     {"name": "{x}FN", "operator": "not_equal_to", "value": 1}]}
    paired = replace(rule(check, output=("{x}FL", "{x}FN")), variables_matching="(?P<x>.+)FN",
                     message="{x}FL is Y but {x}FN is not 1")
    found = run_rule(paired, data)
    assert [(o.status, o.variables, list(o.hits["record"]), o.rule.message) for o in found] == [
        (FAILED, ("SAFFL", "SAFFN"), [2], "SAFFL is Y but SAFFN is not 1"),
        (FAILED, ("ITTFL", "ITTFN"), [3], "ITTFL is Y but ITTFN is not 1")]
    # no variable matches: passed, with the reason
    alone = run_rule(replace(paired, variables_matching="(?P<x>.+)GRN"), data)
    assert [(o.status, o.reason) for o in alone] == [(PASSED, "no variable matches (?P<x>.+)GRN")]
    # every match passes: one outcome
    clean = submission(standard="ADAMIG", ADSL=pd.DataFrame({"SAFFL": ["Y"], "SAFFN": [1], "ITTFL": ["N"],
                                                              "ITTFN": [0]}))
    assert [o.status for o in run_rule(paired, clean)] == [PASSED]
