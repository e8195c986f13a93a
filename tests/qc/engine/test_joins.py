"""qc/engine/joins.py: Match Datasets, each kind on a small submission."""

from __future__ import annotations

import pandas as pd
import pytest

from qc.engine.joins import match_datasets
from qc.engine.rule_types import record_data
from qc.engine.table import NotRun, Table
from tests.qc.engine.build import library, rule, submission


def joined(data, dataset: str, *match: dict, check: object = None) -> pd.DataFrame:
    table = Table(rule(check or {}, match=match), data.datasets[dataset], data,
                  record_data(data.datasets[dataset], data))
    return match_datasets(table)


def test_plain_join_on_keys_prefixes_the_variables_the_check_names():
    ae = pd.DataFrame({"STUDYID": ["S"] * 3, "DOMAIN": ["AE"] * 3, "USUBJID": ["1", "2", "3"]})
    dm = pd.DataFrame({"STUDYID": ["S", "S"], "DOMAIN": ["DM", "DM"], "USUBJID": ["1", "2"],
                       "RFSTDTC": ["2020-01-01", "2020-02-01"]})
    check = {"all": [{"name": "DM.RFSTDTC", "operator": "non_empty"}]}
    frame = joined(submission(AE=ae, DM=dm), "AE", {"Name": "DM", "Keys": ["USUBJID"]}, check=check)
    # inner join: subject 3 has no DM record; the record numbers stay those of AE
    assert frame["DM.RFSTDTC"].tolist() == ["2020-01-01", "2020-02-01"]
    assert frame["_record"].tolist() == [1, 2]


def test_supp_qualifiers_become_columns_of_their_parent_records():
    ae = pd.DataFrame({"STUDYID": ["S"] * 3, "DOMAIN": ["AE"] * 3, "USUBJID": ["1", "1", "2"],
                       "AESEQ": [1.0, 2.0, 1.0]})
    supp = pd.DataFrame({"STUDYID": ["S"] * 3, "RDOMAIN": ["AE"] * 3, "USUBJID": ["1", "1", "2"],
                         "IDVAR": ["AESEQ"] * 3, "IDVARVAL": ["1", "1", "1.0"],
                         "QNAM": ["AESOSP", "AETRTEM", "AESOSP"], "QLABEL": ["x"] * 3,
                         "QVAL": ["ABORTION", "Y", "THROMBOSIS"]})
    frame = joined(submission(AE=ae, SUPPAE=supp), "AE", {"Name": "SUPPAE", "Keys": ["USUBJID"]})
    # IDVARVAL "1" and "1.0" both find AESEQ 1.0 of their subject; AESEQ 2 has no qualifier
    assert frame["AESOSP"].fillna("").tolist() == ["ABORTION", "", "THROMBOSIS"]
    assert frame["AETRTEM"].fillna("").tolist() == ["Y", "", ""]
    assert len(frame) == 3


def test_child_join_finds_the_parent_record_idvar_and_idvarval_name():
    lb = pd.DataFrame({"STUDYID": ["S", "S"], "DOMAIN": ["LB", "LB"], "USUBJID": ["1", "1"],
                       "LBSEQ": [1.0, 2.0], "LBTESTCD": ["ALB", "GLUC"]})
    co = pd.DataFrame({"STUDYID": ["S"] * 4, "DOMAIN": ["CO"] * 4, "RDOMAIN": ["LB", "LB", "LB", "AE"],
                       "USUBJID": ["1", "1", "1", "1"], "IDVAR": ["LBSEQ", "LBSEQ", "LBSEK", "AESEQ"],
                       "IDVARVAL": ["2", "9", "1", "1"]})
    match = {"Name": "CO", "Child": True, "Keys": ["USUBJID", "IDVAR", "IDVARVAL"]}
    frame = joined(submission(LB=lb, CO=co), "CO", match)
    # found; no LBSEQ 9; a variable LB lacks; a parent domain not submitted
    assert frame["LBTESTCD"].fillna("").tolist() == ["GLUC", "", "", ""]
    assert frame["_record"].tolist() == [1, 2, 3, 4]


def test_relrec_joins_records_by_their_link_variables_with_wildcard_names():
    # dataset-level relationship: FA records with FALNKGRP = AE records with AELNKID, per subject
    fa = pd.DataFrame({"STUDYID": ["S"] * 3, "DOMAIN": ["FA"] * 3, "USUBJID": ["1", "1", "2"],
                       "FALNKGRP": ["1", "2", "1"], "FAOBJ": ["HEADACHE", "FATIGUE", "RASH"]})
    ae = pd.DataFrame({"STUDYID": ["S"] * 2, "DOMAIN": ["AE"] * 2, "USUBJID": ["1", "1"],
                       "AELNKID": ["1", "2"], "AETERM": ["HEADACHE", "NAUSEA"]})
    relrec = pd.DataFrame({"STUDYID": ["S", "S"], "RDOMAIN": ["AE", "FA"], "USUBJID": ["", ""],
                           "IDVAR": ["AELNKID", "FALNKGRP"], "IDVARVAL": ["", ""], "RELTYPE": ["ONE", "MANY"],
                           "RELID": ["AEFA", "AEFA"]})
    guide = library(("AE", "EVENTS", [("AETERM", "Topic", "Req"), ("AELNKID", "Identifier", "Perm")]))
    frame = joined(submission(guide, FA=fa, AE=ae, RELREC=relrec), "FA", {"Name": "RELREC"})
    # subject 2's FA record relates to no AE record and drops out
    assert frame["_record"].tolist() == [1, 2]
    assert frame["RELREC.**TERM"].tolist() == ["HEADACHE", "NAUSEA"]


def test_relrec_joins_single_records_by_idvarval():
    pp = pd.DataFrame({"STUDYID": ["S"] * 2, "DOMAIN": ["PP"] * 2, "USUBJID": ["1", "1"],
                       "PPSEQ": [1.0, 2.0]})
    pc = pd.DataFrame({"STUDYID": ["S"] * 2, "DOMAIN": ["PC"] * 2, "USUBJID": ["1", "1"], "PCSEQ": [1.0, 2.0],
                       "PCTEST": ["DRUG A", "DRUG B"]})
    relrec = pd.DataFrame({"STUDYID": ["S"] * 2, "RDOMAIN": ["PC", "PP"], "USUBJID": ["1", "1"],
                           "IDVAR": ["PCSEQ", "PPSEQ"], "IDVARVAL": ["2", "1"], "RELTYPE": ["", ""],
                           "RELID": ["R1", "R1"]})
    frame = joined(submission(PP=pp, PC=pc, RELREC=relrec), "PP", {"Name": "RELREC", "Wildcard": "PC"})
    assert frame["_record"].tolist() == [1]
    assert frame["RELREC.PCTEST"].tolist() == ["DRUG B"]


def test_a_join_takes_only_the_columns_the_rule_names_and_needs_the_dataset_it_compares_with():
    ae = pd.DataFrame({"STUDYID": ["S"] * 2, "DOMAIN": ["AE"] * 2, "USUBJID": ["1", "2"]})
    dm = pd.DataFrame({"STUDYID": ["S", "S"], "DOMAIN": ["DM", "DM"], "USUBJID": ["1", "2"],
                       "RFSTDTC": ["2020-01-01", "2020-02-01"], "SEX": ["F", "M"]})
    check = {"all": [{"name": "RFSTDTC", "operator": "non_empty"}]}
    frame = joined(submission(AE=ae, DM=dm), "AE", {"Name": "DM", "Keys": ["USUBJID"]}, check=check)
    assert "RFSTDTC" in frame.columns and "SEX" not in frame.columns
    # without SV, "SV.VISIT" is no literal to compare with: the rule cannot run
    compared = {"all": [{"name": "USUBJID", "operator": "not_equal_to", "value": "SV.VISIT"}]}
    with pytest.raises(NotRun, match="SV is not in the submission"):
        joined(submission(AE=ae, DM=dm), "AE", {"Name": "SV", "Keys": ["USUBJID"]}, check=compared)
