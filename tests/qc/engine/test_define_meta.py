"""qc/engine/define_meta.py on the real defines of the reference folder (Define-XML 1.0 and 2.0)."""

from __future__ import annotations

from qc.engine.define_meta import read_define_metadata
from tests.reference import reference


def test_define_2_datasets_and_variables():
    meta = read_define_metadata(reference("pilot3-adam", "define.xml"))
    adsl = meta.dataset("ADSL")
    assert adsl["define_dataset_label"] == "Subject-Level Analysis Dataset"
    assert adsl["define_dataset_class"] == "SUBJECT LEVEL ANALYSIS DATASET"
    assert adsl["define_dataset_location"] == "adsl.xpt" and adsl["define_dataset_has_no_data"] is False
    assert adsl["define_dataset_key_sequence"] == ["USUBJID"]
    assert adsl["define_dataset_variables"][:3] == ["STUDYID", "USUBJID", "SUBJID"]
    variables = meta.variables_of("ADSL").set_index("define_variable_name")
    assert variables.loc["USUBJID", "define_variable_label"] == "Unique Subject Identifier"
    assert variables.loc["USUBJID", "define_variable_data_type"] == "text"
    assert variables.loc["USUBJID", "define_variable_length"] == 11
    assert variables.loc["SUBJID", "define_variable_has_method"]
    # a dataset the define.xml does not describe: every column empty
    assert set(meta.dataset("ADXX").values()) == {""}


def test_define_1_labels_are_attributes():
    meta = read_define_metadata(reference("cdisc-pilot01-sdtm", "define.xml"))
    assert meta.dataset("AE")["define_dataset_label"] == "Adverse Events"
    ae = meta.variables_of("AE").set_index("define_variable_name")
    assert ae.loc["STUDYID", "define_variable_label"] == "Study Identifier"
    assert len(meta.datasets) == 22


def test_value_level_metadata_with_its_where_clauses():
    meta = read_define_metadata(reference("pilot3-adam", "define.xml"))
    first = meta.value_level_of("ADADAS").iloc[0]
    assert first["define_variable_name"] == "AVAL" and first["define_vlm_data_type"] == "float"
    assert first["where"] == (("PARAMCD", "EQ", ("ACITM01",)),)
    # Define-XML 1.0 value lists have no where clauses: which records they describe is not said
    pilot = read_define_metadata(reference("cdisc-pilot01-sdtm", "define.xml"))
    assert len(pilot.value_level) and set(pilot.value_level["where"]) == {()}
