from sdtm.supp import derive_supp
from specs.loader import load_study
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms


def test_prior_and_subsequent_anticancer_therapy():
    study = load_study("ovarian")
    raw = raw_forms(study, **TREATED, prior_therapy=[
        # prior line with dates
        {"SUBJID": "001", "PRTRT": "Carboplatin + paclitaxel", "PRLINE": "1", "PRSTDAT": "UN JAN 2023",
         "PRENDAT": "15 JUN 2023"},
        # prior line without an end date: ended before the study (CMENRF BEFORE)
        {"SUBJID": "001", "PRTRT": "Bevacizumab", "PRLINE": "2", "PRSTDAT": "01 AUG 2023"},
    ], subsequent_therapy=[
        # subsequent therapy after progression
        {"SUBJID": "001", "CMTRT": "Gemcitabine", "CMSTDAT": "10 JUN 2024"},
        # subsequent therapy without a start date: after the study treatment (CMSTRF AFTER)
        {"SUBJID": "001", "CMTRT": "Olaparib"},
    ])
    done = convert_some(study, raw, "CM")
    cm = done["CM"].set_index("CMTRT")
    assert cm.loc["Carboplatin + paclitaxel", ["CMCAT", "CMSTDTC", "CMENDTC", "CMENRF"]].tolist() == [
        "PRIOR ANTICANCER THERAPY", "2023-01", "2023-06-15", ""]
    assert cm.loc["Bevacizumab", "CMENRF"] == "BEFORE" and cm.loc["Bevacizumab", "CMSTDY"] == -227.0
    gem = cm.loc["Gemcitabine"]
    assert (gem["CMCAT"], gem["CMSTDY"], gem["EPOCH"], gem["CMSTRF"]) == (
        "SUBSEQUENT ANTICANCER THERAPY", 88.0, "FOLLOW-UP", "")
    assert cm.loc["Olaparib", ["CMSTRF", "CMSTDTC"]].tolist() == ["AFTER", ""]
    # prior before subsequent in CMSEQ
    assert cm.sort_values("CMSEQ").index.tolist()[:2] == ["Carboplatin + paclitaxel", "Bevacizumab"]
    supp = derive_supp(done["CM"], study.sdtm["CM"], study.studyid)
    assert sorted(supp["QVAL"]) == ["1", "2"] and set(supp["QNAM"]) == {"CMLINE"}
