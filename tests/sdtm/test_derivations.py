import pandas as pd
import pytest

from sdtm.derivations import (
    compute_epoch,
    compute_stresc,
    compute_study_day,
    derive_var_lobxfl,
    derive_var_seq,
    derive_vars_visit,
)
from specs.errors import InputError
from specs.loader import load_study


@pytest.fixture(scope="module")
def study():
    return load_study("ovarian")


def test_seq_counts_within_subject_in_order_and_keeps_row_order():
    data = pd.DataFrame({"USUBJID": ["A", "B", "A", "A"],
                         "AESTDTC": ["2024-03-05", "2024-01-01", "2024-03-01", "2024-03"]})
    out = derive_var_seq(data, ["USUBJID"], ["AESTDTC"], "AESEQ")
    assert out["AESEQ"].tolist() == [3.0, 1.0, 2.0, 1.0]  # partial "2024-03" sorts first as text
    assert "AESEQ" not in data  # input untouched


def test_study_day_has_no_day_zero_and_needs_complete_dates():
    dtc = pd.Series(["2024-03-15T23:00", "2024-03-16", "2024-03-14", "2024-03-10", "2024-03", "",
                     "2024-03-16"])
    ref = pd.Series(["2024-03-15T10:00"] * 6 + [""])
    # infusion day → 1 (time ignored); next day → 2; day before → -1; LD start → -5;
    # partial date, missing date, missing reference → NaN
    assert compute_study_day(dtc, ref).tolist()[:4] == [1.0, 2.0, -1.0, -5.0]
    assert compute_study_day(dtc, ref).iloc[4:].isna().all()


SE = pd.DataFrame({
    "USUBJID": ["A", "A", "A", "A", "B"],
    "EPOCH": ["SCREENING", "TREATMENT", "TREATMENT", "FOLLOW-UP", "SCREENING"],
    "SESTDTC": ["2024-03-01", "2024-03-10T09:00", "2024-03-15T10:00", "2024-04-13", "2024-03-05"],
})


def test_epoch_from_the_subject_elements():
    cases = pd.DataFrame([
        ("A", "2024-02-20", ""),             # before consent: no epoch
        ("A", "2024-03-01", "SCREENING"),    # consent day
        ("A", "2024-03-10", "TREATMENT"),    # AE on the first lymphodepletion day (compared by day)
        ("A", "2024-03-12T08:00", "TREATMENT"),  # AE during lymphodepletion
        ("A", "2024-04-12", "TREATMENT"),    # day 28 after infusion
        ("A", "2024-04-13", "FOLLOW-UP"),    # day 29
        ("A", "2024-04", ""),                # partial date: no epoch
        ("B", "2024-06-01", "SCREENING"),    # subject not infused stays in screening
        ("C", "2024-06-01", ""),             # subject without elements
    ], columns=["USUBJID", "DTC", "EPOCH"])
    assert compute_epoch(cases["USUBJID"], cases["DTC"], SE).tolist() == cases["EPOCH"].tolist()


def _rows(folders, dates, subject="A", form="visit"):
    return pd.DataFrame({"USUBJID": subject, "_FOLDER": folders, "SVSTDTC": dates, "_FORM": form,
                         "_ROW": range(1, len(folders) + 1)})


def test_visit_from_the_schedule_and_unscheduled_numbering(study):
    sv = derive_vars_visit(_rows(["SCRN", "D0", "UNS1", "D7", "UNS2", "", "UNS3"],
                                 ["2024-03-01", "2024-03-15", "2024-03-18", "2024-03-22", "2024-03-23", "",
                                  ""]), study.visits, date="SVSTDTC")
    # scheduled: schedule values; VISITDY has no day 0 (protocol Day 0 → 1, Day 7 → 8)
    assert sv["VISITNUM"].iloc[[0, 1, 3]].tolist() == [1.0, 5.0, 8.0]
    assert sv["VISITDY"].iloc[[0, 1, 3]].tolist() == [-14.0, 1.0, 8.0]
    # unscheduled: previous scheduled visit by date + 0.01 n; no date → 0 + 0.01 n
    assert sv["VISITNUM"].iloc[[2, 4, 6]].tolist() == [5.01, 8.02, 0.03]
    assert sv["VISIT"].iloc[[2, 4]].tolist() == ["UNSCHEDULED 5.01", "UNSCHEDULED 8.02"]
    assert pd.isna(sv["VISITDY"].iloc[2])
    # no folder (log form): blank visit
    assert sv["VISIT"].iloc[5] == "" and pd.isna(sv["VISITNUM"].iloc[5])


def test_other_domains_take_unscheduled_visits_from_sv(study):
    sv = derive_vars_visit(_rows(["D0", "UNS1"], ["2024-03-15", "2024-03-18"]), study.visits, date="SVSTDTC")
    lb = pd.DataFrame({"USUBJID": "A", "_FOLDER": ["UNS1", "UNS2"], "LBDTC": ["2024-03-18", "2024-03-20"],
                       "_FORM": "cytokine", "_ROW": [1, 2]})
    out = derive_vars_visit(lb, study.visits, date="LBDTC", sv=sv)
    # UNS1 as in SV; UNS2 (not in SV) numbered after SV's last scheduled visit before its date
    assert out["VISITNUM"].tolist() == [5.01, 5.02]


def test_unknown_folder_is_an_input_error(study):
    with pytest.raises(InputError) as err:
        derive_vars_visit(_rows(["WK2"], ["2024-03-01"]), study.visits, date="SVSTDTC")
    assert err.value.value == "WK2" and err.value.file == "visit.csv" and err.value.row == 1


def test_lobxfl_last_result_before_first_exposure():
    data = pd.DataFrame({
        "USUBJID": ["A"] * 5 + ["B"],
        "LBTESTCD": ["IL6", "IL6", "IL6", "IL6", "CRP", "IL6"],
        "LBDTC": ["2024-03-01", "2024-03-09", "2024-03-10T08:00", "2024-03-16", "2024-03-10", "2024-03-01"],
        "LBORRES": ["5", "6", "", "50", "1.2", "3"],
    })
    ref = pd.Series(["2024-03-10T09:00"] * 5 + [""])
    out = derive_var_lobxfl(data, ["USUBJID", "LBTESTCD"], "LBLOBXFL", result="LBORRES", dtc="LBDTC",
                            reference=ref)
    # IL6: the pre-dose sample on 10 MAR has no result, so 9 MAR is the baseline; CRP on the day of
    # first dose without a time counts as before; B has no exposure → no flag
    assert out["LBLOBXFL"].tolist() == ["", "Y", "", "", "Y", ""]


def test_stresc_converts_numbers_and_keeps_text():
    result = pd.Series(["12.50", "<BLQ", "3", "", "NEGATIVE"])
    unit = pd.Series(["mg/dL", "copies/ug", "mg/L", "", ""])
    stresc, stresu = compute_stresc(result, unit, [{"from": "mg/dL", "to": "mg/L", "factor": 10}])
    assert stresc.tolist() == ["125", "<BLQ", "3", "", "NEGATIVE"]
    assert stresu.tolist() == ["mg/L", "copies/ug", "mg/L", "", ""]
