"""qc/engine/operations.py: each operation's value on a small submission."""

from __future__ import annotations

import pandas as pd
import pytest

from qc.engine.operations import run_operations
from qc.engine.table import Grouped, NotRun, Table
from tests.qc.engine.build import library, rule, submission


def values(data, dataset: str, *operations: dict) -> dict:
    table = Table(rule({}, operations=operations), data.datasets[dataset], data, data.datasets[dataset].frame)
    run_operations(table)
    return table.values


def frame(domain: str, **columns: list) -> pd.DataFrame:
    rows = len(next(iter(columns.values())))
    return pd.DataFrame({"STUDYID": ["S"] * rows, "DOMAIN": [domain] * rows, **columns})


def test_distinct_of_another_domain_in_order_of_appearance_without_nulls():
    data = submission(DM=frame("DM", USUBJID=["2", "1", "", "2"]), AE=frame("AE", USUBJID=["1"]))
    found = values(data, "AE", {"id": "$dm", "operator": "distinct", "domain": "DM", "name": "USUBJID"})
    assert found["$dm"] == ["2", "1"]


def test_distinct_grouped_is_a_set_per_group():
    data = submission(SV=frame("SV", USUBJID=["1", "1", "2"], VISITNUM=[1.0, 2.0, 1.0]),
                      AE=frame("AE", USUBJID=["1"]))
    found = values(data, "AE", {"id": "$v", "operator": "distinct", "domain": "SV", "name": "VISITNUM",
                                "group": ["USUBJID"]})["$v"]
    assert isinstance(found, Grouped)
    assert sorted(map(tuple, found.pairs[["USUBJID", "value"]].to_numpy().tolist())) == [
        ("1", 1.0), ("1", 2.0), ("2", 1.0)]


def test_distinct_with_value_is_reference_keeps_variables_of_the_rdomain_dataset():
    # LBSEQ is an LB variable, LBSEK is not, and AE is not in the submission
    co = frame("CO", RDOMAIN=["LB", "LB", "AE"], IDVAR=["LBSEQ", "LBSEK", "AESEQ"])
    data = submission(CO=co, LB=frame("LB", LBSEQ=[1.0]))
    found = values(data, "CO", {"id": "$vars", "operator": "distinct", "domain": "CO", "name": "IDVAR",
                                "value_is_reference": True})
    assert found["$vars"] == ["LBSEQ"]


def test_record_count_per_group_with_a_regex_counts_dates_by_day():
    # two records on 2022-01-14 (one with a time), one on the 15th
    eg = frame("EG", USUBJID=["1", "1", "1"], EGDTC=["2022-01-14", "2022-01-14T07:00", "2022-01-15"])
    found = values(submission(EG=eg), "EG", {"id": "$n", "operator": "record_count",
                                               "group": ["USUBJID", "EGDTC"], "regex": r"^\d{4}-\d{2}-\d{2}"})
    assert found["$n"].tolist() == [2, 2, 1]


def test_group_by_an_operation_result_that_lists_variables():
    # $timing lists the grouping variables (as get_dataset_filtered_variables gives them)
    eg = frame("EG", USUBJID=["1", "1", "1"], VISITNUM=[1.0, 1.0, 2.0], EGDY=[1.0, 1.0, 8.0])
    guide = library(("EG", "FINDINGS", [("STUDYID", "Identifier", "Req"), ("VISITNUM", "Timing", "Exp"),
                                        ("EGDY", "Timing", "Perm")]))
    found = values(submission(guide, EG=eg), "EG",
                   {"id": "$timing", "operator": "get_dataset_filtered_variables", "key_name": "role",
                    "key_value": "Timing"},
                   {"id": "$n", "operator": "record_count", "group": ["USUBJID", "$timing"]})
    assert found["$timing"] == ["VISITNUM", "EGDY"]
    assert found["$n"].tolist() == [2, 2, 1]


def test_study_domains_lists_none_for_datasets_without_domain():
    data = submission(CO=frame("CO", USUBJID=["1"]),
                      RELREC=pd.DataFrame({"STUDYID": ["S"], "RDOMAIN": ["LB"]}))
    assert values(data, "CO", {"id": "$d", "operator": "study_domains"})["$d"] == [None, "CO"]


def test_variable_count_expands_the_prefix_per_dataset():
    # --LNKGRP: AELNKGRP in AE, FALNKGRP in FA, none in VS
    data = submission(AE=frame("AE", AELNKGRP=["1"]), FA=frame("FA", FALNKGRP=["1"]),
                      VS=frame("VS", VSSEQ=[1.0]))
    found = values(data, "AE", {"id": "$n", "operator": "variable_count", "name": "--LNKGRP"})
    assert found["$n"] == 2


def test_model_column_order_and_its_filter_from_the_guides_class():
    guide = library(
        ("AE", "EVENTS", [("STUDYID", "Identifier", "Req"), ("AESEQ", "Identifier", "Req"),
                          ("AETERM", "Topic", "Req"), ("AESTDTC", "Timing", "Exp")]),
        ("MH", "EVENTS", [("STUDYID", "Identifier", "Req"), ("MHTERM", "Topic", "Req"),
                          ("MHCAT", "Grouping Qualifier", "Perm"), ("EPOCH", "Timing", "Perm")]))
    data = submission(guide, CE=frame("CE", CETERM=["X"]))
    found = values(data, "CE", {"id": "$all", "operator": "get_model_column_order"},
                   {"id": "$timing", "operator": "get_model_filtered_variables", "key_name": "role",
                    "key_value": "Timing"})
    # identifiers, then topic and qualifiers, then timing, for CE (an Events dataset by its --TERM)
    assert found["$all"] == ["STUDYID", "CESEQ", "CETERM", "CECAT", "CESTDTC", "EPOCH"]
    assert found["$timing"] == ["CESTDTC", "EPOCH"]


def test_library_column_order_is_the_models_for_a_general_class_and_the_guides_otherwise():
    guide = library(
        ("AE", "EVENTS", [("STUDYID", "Identifier", "Req"), ("AETERM", "Topic", "Req"),
                          ("AESTDTC", "Timing", "Exp")]),
        ("SV", "SPECIAL PURPOSE", [("STUDYID", "Identifier", "Req"), ("VISITNUM", "Timing", "Req")]),
        ("LB", "FINDINGS", [("STUDYID", "Identifier", "Req"), ("LBTESTCD", "Topic", "Req"),
                            ("VISITNUM", "Timing", "Exp"), ("LBDTC", "Timing", "Exp")]))
    data = submission(guide, AE=frame("AE", AETERM=["X"]), SV=frame("SV", VISITNUM=[1]))
    order = {"id": "$lib", "operator": "get_column_order_from_library"}
    # CORE-000852: AE's order holds the model's timing variables (VISITNUM, --DTC) too
    assert values(data, "AE", order)["$lib"] == ["STUDYID", "AETERM", "AESTDTC", "VISITNUM", "AEDTC"]
    assert values(data, "SV", order)["$lib"] == ["STUDYID", "VISITNUM"]


def test_parent_model_column_order_per_supp_record():
    guide = library(("AE", "EVENTS", [("STUDYID", "Identifier", "Req"), ("AETERM", "Topic", "Req")]),
                    ("LB", "FINDINGS", [("STUDYID", "Identifier", "Req"), ("LBTESTCD", "Topic", "Req")]))
    supp = pd.DataFrame({"STUDYID": ["S", "S"], "RDOMAIN": ["AE", "AE"], "USUBJID": ["1", "2"]})
    data = submission(guide, SUPPAE=supp, AE=frame("AE", AETERM=["X"]))
    found = values(data, "SUPPAE", {"id": "$m", "operator": "get_parent_model_column_order"})
    assert found["$m"].tolist() == [["STUDYID", "AETERM"], ["STUDYID", "AETERM"]]


def test_treatment_emergence_from_adsl_dates_and_not_run_without_a_treatment_start():
    adsl = pd.DataFrame({"USUBJID": ["1"], "TRTSDT": pd.to_datetime(["2024-05-14"]),
                         "TRTEDT": pd.to_datetime(["2024-06-14"])})
    adae = pd.DataFrame({"USUBJID": ["1"] * 4, "TRTEMFL": ["", "", "", ""],
                         "ASTDT": pd.to_datetime(["2024-05-20", "2024-05-01", "2024-05-01", None]),
                         "AENDT": pd.to_datetime(["2024-05-21", "2024-05-02", "2024-05-30", None])})
    found = values(submission(ADSL=adsl, ADAE=adae), "ADAE", {"id": "$e", "operator": "treatment_emergence"})
    # within treatment; ended before it; started before and goes on (not judged); no start
    assert found["$e"].tolist() == ["Y", "N", "", "Y"]
    without = submission(ADSL=adsl.drop(columns=["TRTSDT"]), ADAE=adae)
    with pytest.raises(NotRun, match="neither TRTSDTM nor TRTSDT"):
        values(without, "ADAE", {"id": "$e", "operator": "treatment_emergence"})


def test_source_record_says_why_a_source_is_not_found():
    ae = frame("AE", USUBJID=["1"], AESEQ=[1.0])
    adtte = pd.DataFrame({"USUBJID": ["1"] * 4, "SRCDOM": ["AE", "AE", "AE", "DS"],
                          "SRCVAR": ["AESEQ", "XX", "AESEQ", "DSSTDTC"], "SRCSEQ": [1.0, 1.0, 2.0, 9.0]})
    found = values(submission(AE=ae, ADTTE=adtte), "ADTTE", {"id": "$s", "operator": "source_record"})
    # DS is not among the datasets: not judged
    assert found["$s"].tolist() == ["", "SRCVAR is not a variable of AE",
                                    "no AE record of the subject with AESEQ = SRCSEQ", ""]
