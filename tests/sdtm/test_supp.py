import pandas as pd
import pytest

from sdtm.supp import COLUMNS, derive_supp, split_long_text, split_text
from specs.errors import InputError
from specs.loader import load_study
from specs.textsplit import split_name, with_text_splits
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms


@pytest.fixture(scope="module")
def study():
    return load_study("ovarian")


def test_supp_records_keyed_by_seq_and_blank_values_dropped(study):
    parent = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2"], "AESEQ": [2.0, 1.0, 1.0],
                           "_Q_AEGRSCL": ["ASTCT 2019", "", "NCI CTCAE 4.03"], "_FORM": "ae",
                           "_ROW": [1, 2, 3]})
    supp = derive_supp(parent, study.sdtm["AE"], "MESO-OV-101")
    assert list(supp.columns[: len(COLUMNS)]) == list(COLUMNS)
    assert supp[["USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QVAL"]].values.tolist() == [
        ["S-1", "AESEQ", "2", "AEGRSCL", "ASTCT 2019"],   # the AE with no scale collected has no record
        ["S-2", "AESEQ", "1", "AEGRSCL", "NCI CTCAE 4.03"],
    ]
    assert supp[["RDOMAIN", "QLABEL", "QORIG"]].iloc[0].tolist() == ["AE", "Grading Scale", "CRF"]
    assert supp["_ROW"].tolist() == [1, 3]  # traces back to the ae form rows


def test_suppdm_has_no_idvar(study):
    dm = convert_some(study, raw_forms(study, **TREATED))["DM"]
    supp = derive_supp(dm, study.sdtm["DM"], study.studyid)
    assert supp[["RDOMAIN", "IDVAR", "IDVARVAL", "QNAM", "QVAL"]].values.tolist() == [
        ["DM", "", "", "TUMMARK", "MESO"]]


def test_no_qualifier_values_gives_an_empty_frame_with_the_columns(study):
    parent = pd.DataFrame({"USUBJID": ["S-1"], "MHSEQ": [1.0], "_Q_MHHISTYP": [""]})
    supp = derive_supp(parent, study.sdtm["MH"], "X")
    assert len(supp) == 0 and list(supp.columns) == list(COLUMNS)


# ---- SDTMIG 4.5.3.2: text over 200 characters continues in SUPP-- ----------------------

# 450 characters in words of 3 to 11 letters, so that no piece can end exactly on 200.
LONG_TERM = " ".join(f"word{'x' * (i % 8)}" for i in range(60))[:450].strip()


def _ae_with(study, **values):
    parent = pd.DataFrame({"USUBJID": ["S-1", "S-1"], "AESEQ": [1.0, 2.0], "AETERM": ["Nausea", "Rash"],
                           "_Q_AEGRSCL": ["NCI CTCAE 4.03", ""], "_FORM": "ae", "_ROW": [1, 2]})
    return parent.assign(**values)


def test_450_characters_split_into_the_parent_and_two_supp_records(study):
    assert len(LONG_TERM) == 450
    parent = split_long_text(_ae_with(study, AETERM=["Nausea", LONG_TERM]), study.sdtm["AE"])
    supp = derive_supp(parent, study.sdtm["AE"], "MESO-OV-101")
    pieces = supp[supp["QNAM"].str.startswith("AETERM")]
    first = parent.loc[1, "AETERM"]
    assert 0 < len(first) <= 200 and LONG_TERM.startswith(first + " ")  # cut between words
    assert pieces[["IDVARVAL", "QNAM"]].values.tolist() == [["2", "AETERM1"], ["2", "AETERM2"]]
    assert all(0 < len(v) <= 200 for v in pieces["QVAL"])
    assert " ".join([first, *pieces["QVAL"]]) == LONG_TERM
    # QLABEL is the variable's label (the IG's example); the text was collected
    assert set(pieces["QLABEL"]) == {"Reported Term for the Adverse Event"}
    assert set(pieces["QORIG"]) == {"CRF"}
    assert parent.loc[0, "AETERM"] == "Nausea"  # short text untouched


def test_piece_names_and_a_word_longer_than_200_characters():
    assert split_name("AETERM", 1) == "AETERM1"
    assert split_name("AEACNOTH", 2) == "AEACNOT2"  # an 8-character name gives way to the digit
    first, second = split_text(pd.Series(["x" * 250]))
    assert (first[0], second[0]) == ("x" * 200, "x" * 50)  # no space within reach: cut at 200


def test_a_piece_cut_between_words_stays_under_200_characters():
    # A space right after character 200 would give a first piece of exactly 200, which P21's SD1096
    # (SD-TERM-200) reports as possibly truncated: the cut goes to the word before.
    text = "a" * 195 + " bcde" + " rest of the narrative"
    first, second = split_text(pd.Series([text]))
    assert (first[0], second[0]) == ("a" * 195, "bcde rest of the narrative")


def test_a_declared_qualifier_and_a_domain_without_qualifiers_are_split_too(study):
    long_scale = "scale " * 40
    parent = split_long_text(_ae_with(study, _Q_AEGRSCL=[long_scale.strip(), ""]), study.sdtm["AE"])
    assert parent.loc[0, "_Q_AEGRSCL1"] != ""
    ds = pd.DataFrame({"USUBJID": ["S-1"], "DSSEQ": [1.0], "DSTERM": [LONG_TERM]})
    supp = derive_supp(split_long_text(ds, study.sdtm["DS"]), study.sdtm["DS"], "X")
    assert supp["QNAM"].tolist() == ["DSTERM1", "DSTERM2"] and set(supp["RDOMAIN"]) == {"DS"}


def test_trial_design_text_is_not_split(study):
    ts = pd.DataFrame({"TSVAL": [LONG_TERM]})
    assert split_long_text(ts, study.sdtm["TS"]) is ts


def test_text_beyond_ten_pieces_is_refused_with_its_record(study):
    with pytest.raises(InputError, match=r"ae.csv, row 2, column AETERM: AE.AETERM: text over 2000"):
        split_long_text(_ae_with(study, AETERM=["Nausea", "word " * 500]), study.sdtm["AE"])


def test_supp_specs_describe_the_pieces_in_the_data(study):
    supp = pd.DataFrame({"QNAM": ["AEGRSCL", "AETERM1", "AETERM2"]})
    ds_supp = pd.DataFrame({"QNAM": ["DSTERM1"]})
    described = with_text_splits(study, {"SUPPAE": supp, "SUPPDS": ds_supp})
    where = [(vl.where["QNAM"], vl.label, vl.origin) for vl in described.sdtm["SUPPAE"].value_level]
    assert where == [(("AEGRSCL",), "Grading Scale", "Collected"),
                     (("AETERM1",), "Reported Term for the Adverse Event", "Collected"),
                     (("AETERM2",), "Reported Term for the Adverse Event", "Collected")]
    assert [vl.where["QNAM"] for vl in described.sdtm["SUPPDS"].value_level] == [("DSTERM1",)]
    assert "SUPPDS" not in study.sdtm  # the loaded study is unchanged
