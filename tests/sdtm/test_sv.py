from specs.loader import load_study
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms


def test_scheduled_unscheduled_and_missed_visits():
    study = load_study("ovarian")
    visits = TREATED["visit"] + [
        # unscheduled visit between Day 0 and Day 28
        {"SUBJID": "001", "FOLDER": "UNS1", "VISDAT": "20 MAR 2024"},
        # missed visit: no SV record
        {"SUBJID": "001", "FOLDER": "M3", "VISND": "X"},
        # second unscheduled visit, after Month 2
        {"SUBJID": "001", "FOLDER": "UNS2", "VISDAT": "20 MAY 2024"},
    ]
    sv = convert_some(study, raw_forms(study, **(TREATED | {"visit": visits})), "SV")["SV"]
    assert sv[["VISITNUM", "VISIT", "SVPRESP", "SVUPDES", "SVSTDTC", "SVSTDY", "EPOCH"]].values.tolist() == [
        [1.0, "SCREENING", "Y", "", "2024-03-01", -14.0, "SCREENING"],
        [5.0, "DAY 0", "Y", "", "2024-03-15", 1.0, "TREATMENT"],
        [5.01, "UNSCHEDULED 5.01", "", "UNSCHEDULED VISIT", "2024-03-20", 6.0, "TREATMENT"],
        [12.0, "DAY 28", "Y", "", "2024-04-12", 29.0, "TREATMENT"],
        [14.0, "MONTH 2", "Y", "", "2024-05-14", 61.0, "FOLLOW-UP"],
        [14.02, "UNSCHEDULED 14.02", "", "UNSCHEDULED VISIT", "2024-05-20", 67.0, "FOLLOW-UP"],
    ]
    assert (sv["SVENDTC"] == sv["SVSTDTC"]).all() and sv["VISITDY"].isna().sum() == 2
