import pytest

from sdtm.supp import derive_supp
from specs.errors import InputError
from specs.loader import load_study
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms

BASE = {"SUBJID": "001", "AEGRSCL": "CTCAE v4.03", "AEGRADE": "1", "AEREL": "Not related",
        "AEACN": "Not applicable", "AEOUT": "Recovered/Resolved"}


@pytest.fixture(scope="module")
def study():
    return load_study("ovarian")


def ae_of(study, *rows):
    done = convert_some(study, raw_forms(study, **(TREATED | {"ae": list(rows)})), "AE")
    return done["AE"].set_index("AETERM"), derive_supp(done["AE"], study.sdtm["AE"], study.studyid)


def test_ae_scenarios(study):
    ae, supp = ae_of(
        study,
        # AE during lymphodepletion: TREATMENT epoch, negative study day
        BASE | {"AETERM": "Nausea", "AEDECOD": "Nausea", "AESTDAT": "11 MAR 2024", "AESTTIM": "14:00",
                "AEENDAT": "12 MAR 2024", "AESER": "No"},
        # CRS graded by ASTCT, serious (hospitalisation), ongoing at end of study
        BASE | {"AETERM": "CRS", "AEDECOD": "Cytokine release syndrome", "AESTDAT": "16 MAR 2024",
                "AEGRSCL": "ASTCT 2019", "AEGRADE": "3", "AESER": "Yes", "AESHOSP": "X",
                "AEREL": "Definitely related", "AEOUT": "Not recovered/Not resolved", "AEONGO": "Yes"},
        # SAE without a ticked criterion: kept as collected, every criterion N
        BASE | {"AETERM": "Fatigue", "AEDECOD": "Fatigue", "AESTDAT": "20 MAR 2024", "AESER": "Yes"},
        # partial start date (unknown day): no study day, no epoch
        BASE | {"AETERM": "Rash", "AEDECOD": "Rash", "AESTDAT": "UN APR 2024"},
        # fatal AE in follow-up (day 29 after infusion or later)
        BASE | {"AETERM": "Sepsis", "AEDECOD": "Sepsis", "AESTDAT": "20 APR 2024", "AEGRADE": "5",
                "AESER": "Yes", "AESDTH": "X", "AEOUT": "Fatal", "AEENDAT": "22 APR 2024"},
    )
    assert (ae.loc["Nausea", "EPOCH"], ae.loc["Nausea", "AESTDY"], ae.loc["Nausea", "AEENDY"]) == (
        "TREATMENT", -4.0, -3.0)
    assert ae.loc["Nausea", "AESTDTC"] == "2024-03-11T14:00" and ae.loc["Nausea", "AESER"] == "N"
    assert ae.loc["Nausea", ["AESDTH", "AESHOSP"]].tolist() == ["N", "N"]
    crs = ae.loc["CRS"]
    assert (crs["AETOXGR"], crs["AESER"], crs["AESHOSP"], crs["AESDTH"], crs["AEREL"]) == (
        "3", "Y", "Y", "N", "RELATED")
    assert (crs["AEENRTPT"], crs["AEENTPT"], crs["AEENDTC"], crs["AESTDY"]) == (
        "ONGOING", "END OF STUDY", "", 2.0)
    criteria = ["AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESMIE"]
    assert ae.loc["Fatigue", "AESER"] == "Y" and set(ae.loc["Fatigue", criteria]) == {"N"}
    assert ae.loc["Rash", "AESTDTC"] == "2024-04" and ae.loc["Rash", "EPOCH"] == ""
    assert ae.loc["Rash", "AESTDY"] != ae.loc["Rash", "AESTDY"]  # NaN
    assert ae.loc["Rash", ["AESER", "AESDTH"]].tolist() == ["", ""]  # seriousness not answered
    sepsis = ae.loc["Sepsis"]
    assert (sepsis["EPOCH"], sepsis["AESDTH"], sepsis["AEOUT"], sepsis["AETOXGR"]) == (
        "FOLLOW-UP", "Y", "FATAL", "5")
    # AESEQ follows the start date within the subject
    assert ae.sort_values("AESEQ").index.tolist() == ["Nausea", "CRS", "Fatigue", "Rash", "Sepsis"]
    # grading scale in SUPPAE, keyed by AESEQ
    scales = dict(zip(supp["IDVARVAL"], supp["QVAL"], strict=True))
    assert scales[f"{ae.loc['CRS', 'AESEQ']:.0f}"] == "ASTCT 2019"
    assert scales[f"{ae.loc['Nausea', 'AESEQ']:.0f}"] == "NCI CTCAE 4.03" and len(supp) == 5


def test_unmapped_outcome_is_an_error_naming_the_row(study):
    with pytest.raises(InputError) as err:
        ae_of(study, BASE | {"AETERM": "Rash", "AESTDAT": "20 MAR 2024"},
              BASE | {"AETERM": "Fever", "AESTDAT": "21 MAR 2024", "AEOUT": "Resolved"})
    assert err.value.row == 2 and err.value.file == "ae.csv" and "codelist OUT" in str(err.value)


def test_unknown_grading_scale_is_an_error(study):
    with pytest.raises(InputError, match="GRSCALE"):
        ae_of(study, BASE | {"AETERM": "Rash", "AESTDAT": "20 MAR 2024", "AEGRSCL": "WHO"})


def test_impossible_ae_date_names_file_row_and_value(study):
    with pytest.raises(InputError) as err:
        ae_of(study, BASE | {"AETERM": "Rash", "AESTDAT": "30 FEB 2024"})
    assert (err.value.file, err.value.row, err.value.value) == ("ae.csv", 1, "30 FEB 2024")
