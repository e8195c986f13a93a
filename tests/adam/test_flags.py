import pandas as pd

from adam.flags import derive_var_extreme_flag, derive_var_merged_exist_flag, select_extreme_records


def _ae():
    return pd.DataFrame(
        {
            "USUBJID": ["1", "1", "1", "2", "2"],
            "AESEQ": [1, 2, 3, 1, 2],
            "AEDECOD": ["NAUSEA", "FEVER", "NAUSEA", "FEVER", "FEVER"],
            "ASTDT": pd.to_datetime(["2024-01-05", "2024-01-02", "2024-01-02", None, "2024-02-01"]),
            "ASEVN": [1, 3, 3, 2, 2],
            "TRTEMFL": ["Y", None, "Y", "Y", "Y"],
        }
    )


def test_first_record_per_group_among_filtered():
    got = derive_var_extreme_flag(_ae(), ["USUBJID"], ["ASTDT", "AESEQ"], "AOCCFL", filter="TRTEMFL == 'Y'")
    # subject 1: AESEQ 2 is earliest but not treatment-emergent, so AESEQ 3 is first;
    # subject 2: a missing date sorts last
    assert got["AOCCFL"].tolist() == [pd.NA, pd.NA, "Y", pd.NA, "Y"]


def test_descending_order_and_false_value():
    got = derive_var_extreme_flag(
        _ae(), ["USUBJID"], ["-ASEVN", "ASTDT", "AESEQ"], "AOCCIFL", false_value="N"
    )
    # most severe first, ties broken by date then sequence
    assert got["AOCCIFL"].tolist() == ["N", "Y", "N", "N", "Y"]


def test_last_mode_by_two_variables():
    got = derive_var_extreme_flag(_ae(), ["USUBJID", "AEDECOD"], ["ASTDT"], "LASTFL", mode="last")
    # per subject and term: the latest; a missing date counts as latest (sorted last)
    assert got["LASTFL"].tolist() == ["Y", "Y", pd.NA, "Y", pd.NA]


def test_select_extreme_records_keeps_input_order():
    chosen = select_extreme_records(_ae(), ["USUBJID"], ["AESEQ"], mode="last")
    assert chosen.index.tolist() == [2, 4]


def test_merged_exist_flag():
    adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"]})
    ex = pd.DataFrame({"USUBJID": ["1", "2", "2"], "EXDOSE": [0.0, 54.0, 0.0]})
    got = derive_var_merged_exist_flag(adsl, ex, ["USUBJID"], "SAFFL", condition="EXDOSE > 0")
    # only zero doses: N; a dose above zero: Y; no exposure record at all: N
    assert got["SAFFL"].tolist() == ["N", "Y", "N"]
    assert "SAFFL" not in adsl
