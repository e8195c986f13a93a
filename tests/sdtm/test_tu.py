"""TU: each lesion identified once, where it is first seen."""

from __future__ import annotations

from specs.loader import load_study
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms
from tests.sdtm.tumour_rows import TUMOR


def test_tu_one_record_per_lesion_at_first_sight():
    study = load_study("ovarian")
    tu = convert_some(study, raw_forms(study, **TREATED, tumor=TUMOR), "TU")["TU"].set_index("TULNKID")
    # Baseline lesions at screening; the new lesion at Month 2, not before.
    assert sorted(tu.index) == ["NEW01", "NT01", "T01", "T02"]
    assert tu.loc["T01", "VISIT"] == "SCREENING" and tu.loc["NEW01", "VISIT"] == "MONTH 2"
    assert tu.loc["NEW01", "TUDTC"] == "2024-05-14"
    assert tu["TUORRES"].to_dict() == {"NEW01": "NEW", "NT01": "NON-TARGET", "T01": "TARGET", "T02": "TARGET"}
    assert tu.loc["T02", "TULOC"] == "LYMPH NODE"
    # The CRF's CT is the CDISC CT SCAN; the evaluator is the investigator.
    assert set(tu["TUMETHOD"]) == {"CT SCAN"} and set(tu["TUEVAL"]) == {"INVESTIGATOR"}
    assert set(tu["TUTEST"]) == {"Tumor Identification"}
    # Baseline identification is the last before exposure; the new lesion is not.
    assert tu.loc["T01", "TULOBXFL"] == "Y" and tu.loc["NEW01", "TULOBXFL"] == ""
