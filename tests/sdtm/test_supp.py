import pandas as pd
import pytest

from sdtm.supp import COLUMNS, derive_supp
from specs.loader import load_study
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
