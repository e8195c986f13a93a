from sdtm.supp import derive_supp
from specs.loader import load_study
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms


def test_cancer_history_with_histology_and_stage_qualifiers():
    study = load_study("ovarian")
    raw = raw_forms(study, **TREATED, cancer_history=[
        # diagnosis with an unknown day; histology and stage collected
        {"SUBJID": "001", "MHTERM": "High-grade serous ovarian carcinoma", "MHSTDAT": "UN OCT 2021",
         "HISTYPE": "Serous", "STAGE": "IIIC"},
    ])
    done = convert_some(study, raw, "MH")
    mh = done["MH"].iloc[0]
    assert (mh["MHTERM"], mh["MHCAT"], mh["MHSTDTC"], mh["MHSEQ"], mh["DOMAIN"]) == (
        "High-grade serous ovarian carcinoma", "CANCER HISTORY", "2021-10", 1.0, "MH")
    supp = derive_supp(done["MH"], study.sdtm["MH"], study.studyid)
    assert supp[["IDVAR", "IDVARVAL", "QNAM", "QVAL"]].values.tolist() == [
        ["MHSEQ", "1", "MHHISTYP", "Serous"], ["MHSEQ", "1", "MHFIGOST", "IIIC"]]
