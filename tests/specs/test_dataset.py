from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from specs.dataset import (
    DEFAULT_EPOCH,
    IBM_MIN,
    XPT_NUM_MAX,
    DatasetError,
    build_timestamp,
    check_xpt_limits,
    conform,
    format_kind,
)
from specs.errors import InputError
from specs.model import DatasetSpec, Variable


def _spec(*variables, name="AE", label="Adverse Events", keys=("USUBJID", "AESEQ")):
    numbered = tuple(
        Variable(v[0], v[1], v[2], order, **(v[3] if len(v) > 3 else {}))
        for order, v in enumerate(variables, 1)
    )
    return DatasetSpec(name, label, "sdtm", "EVENTS", "One record per event", keys, numbered)


AE = _spec(
    ("STUDYID", "Study Identifier", "Char", {"core": "Req"}),
    ("USUBJID", "Unique Subject Identifier", "Char", {"core": "Req"}),
    ("AESEQ", "Sequence Number", "Num", {"core": "Req"}),
    ("AETERM", "Reported Term for the Adverse Event", "Char", {"core": "Req"}),
    ("AESER", "Serious Event", "Char", {"core": "Exp", "length": 1}),
    ("AESCAN", "Involves Cancer", "Char", {"core": "Perm"}),
)


def _ae(**extra):
    frame = pd.DataFrame({
        "AETERM": ["NAUSEA", "HEADACHE", "RASH"],
        "USUBJID": ["S-2", "S-1", "S-1"],
        "AESEQ": [1, 2, 1],
        "STUDYID": ["ST", "ST", "ST"],
        "AESER": ["N", None, "Y"],
        "_ROW": [3, 1, 2],
    })
    return frame.assign(**extra)


def _problems(error):
    return [(p.column, p.row, p.value) for p in error.value.problems]


def test_conform_orders_types_sorts_and_drops_internal_columns():
    # columns in spec order, _ROW gone, Perm AESCAN absent without error, rows by USUBJID, AESEQ
    out = conform(_ae(), AE)
    assert list(out.columns) == ["STUDYID", "USUBJID", "AESEQ", "AETERM", "AESER"]
    assert out["USUBJID"].tolist() == ["S-1", "S-1", "S-2"]
    assert out["AESEQ"].tolist() == [1.0, 2.0, 1.0]
    assert out["AESEQ"].dtype == "float64"
    # missing character value becomes ""
    assert out["AESER"].tolist() == ["Y", "", "N"]
    assert out.attrs["name"] == "AE"
    assert out.attrs["labels"]["AETERM"] == "Reported Term for the Adverse Event"
    assert out.attrs["lengths"] == {"STUDYID": 2, "USUBJID": 3, "AESEQ": 8, "AETERM": 8, "AESER": 1}


def test_conform_leaves_its_input_alone():
    frame = _ae()
    before = frame.copy()
    conform(frame, AE)
    pd.testing.assert_frame_equal(frame, before)


def test_missing_required_and_extra_columns_are_collected_together():
    # AETERM (Req) missing and AEXTRA unknown: one error naming both
    frame = _ae(AEXTRA=["a", "b", "c"]).drop(columns="AETERM")
    with pytest.raises(DatasetError) as error:
        conform(frame, AE)
    assert {p.column for p in error.value.problems} == {"AETERM", "AEXTRA"}
    assert "AETERM" in str(error.value) and "AEXTRA" in str(error.value)
    assert isinstance(error.value, InputError)


def test_sort_is_stable_with_missing_numbers_last():
    # equal keys keep input order; a missing AESEQ sorts after the numbers
    spec = _spec(("USUBJID", "Subject", "Char"), ("AESEQ", "Seq", "Num"), ("X", "Tag", "Char"))
    frame = pd.DataFrame({"USUBJID": list("BAAA"), "AESEQ": [1, np.nan, 1, 1], "X": list("1234")})
    assert conform(frame, spec)["X"].tolist() == ["3", "4", "2", "1"]


def test_numbers_from_text_and_bad_numbers_named():
    # numeric text and blanks convert; "abc" is named with its row and USUBJID
    spec = _spec(("USUBJID", "Subject", "Char"), ("AESEQ", "Seq", "Num"))
    ok = conform(pd.DataFrame({"USUBJID": ["A", "B"], "AESEQ": ["1.5", ""]}), spec)
    assert ok["AESEQ"].tolist()[0] == 1.5 and np.isnan(ok["AESEQ"].tolist()[1])
    with pytest.raises(DatasetError) as error:
        conform(pd.DataFrame({"USUBJID": ["A", "B"], "AESEQ": ["1", "abc"]}), spec)
    assert _problems(error) == [("AESEQ", 2, "abc")]
    assert "USUBJID B" in str(error.value)


def test_infinite_number_is_an_error():
    spec = _spec(("USUBJID", "Subject", "Char"), ("AESEQ", "Seq", "Num"))
    with pytest.raises(DatasetError) as error:
        conform(pd.DataFrame({"USUBJID": ["A"], "AESEQ": [np.inf]}), spec)
    assert _problems(error) == [("AESEQ", 1, np.inf)]


def test_numbers_in_a_char_variable_are_refused_unless_all_missing():
    # 65.0 or 65? the caller decides; an all-NaN float column is simply blank
    spec = _spec(("USUBJID", "Subject", "Char"), ("AGEC", "Age text", "Char"))
    with pytest.raises(DatasetError):
        conform(pd.DataFrame({"USUBJID": ["A"], "AGEC": [65.0]}), spec)
    blank = conform(pd.DataFrame({"USUBJID": ["A"], "AGEC": [np.nan]}), spec)
    assert blank["AGEC"].tolist() == [""]
    mixed = conform(pd.DataFrame({"USUBJID": ["A", "B"], "AGEC": pd.Series([65, None], dtype=object)}), spec)
    assert mixed["AGEC"].tolist() == ["65", ""]


def _sas_days(day):
    return float((day - date(1960, 1, 1)).days)


def test_dates_become_days_since_1960():
    # before 1960 negative, 1960-01-01 zero, missing stays missing; the count is checked with stdlib dates
    spec = _spec(("USUBJID", "Subject", "Char"), ("ADT", "Analysis Date", "Num", {"format": "DATE9."}))
    days = [date(1959, 12, 31), date(1960, 1, 1), date(2024, 2, 29), date(1900, 3, 1)]
    frame = pd.DataFrame({"USUBJID": list("ABCD") + ["E"], "ADT": pd.to_datetime(days + [None])})
    out = conform(frame, spec)["ADT"].tolist()
    assert out[:4] == [_sas_days(d) for d in days]
    assert out[:2] == [-1.0, 0.0]
    assert np.isnan(out[4])


def test_datetimes_and_times_become_seconds():
    spec = _spec(
        ("USUBJID", "Subject", "Char"),
        ("ADTM", "Analysis Datetime", "Num", {"format": "DATETIME20."}),
        ("ATM", "Analysis Time", "Num", {"format": "TIME8."}),
        ("BTM", "Other Time", "Num", {"format": "TIME8."}),
    )
    stamp = datetime(2024, 5, 14, 9, 30, 15)
    frame = pd.DataFrame({
        "USUBJID": ["A", "B"],
        "ADTM": pd.to_datetime([stamp, datetime(1959, 12, 31, 23, 59, 59)]),
        "ATM": pd.to_datetime([stamp, None]),  # a datetime64 under a time format: time of day
        "BTM": pd.to_timedelta(["09:30:15", "00:00:00"]),
    })
    out = conform(frame, spec)
    assert out["ADTM"].tolist() == [(stamp - datetime(1960, 1, 1)).total_seconds(), -1.0]
    assert out["ATM"].tolist()[0] == 9 * 3600 + 30 * 60 + 15.0 and np.isnan(out["ATM"].tolist()[1])
    assert out["BTM"].tolist() == [34215.0, 0.0]


def test_parquet_style_dates_are_accepted():
    # pharmaverse parquet gives datetime.date objects and UTC-aware datetimes
    spec = _spec(
        ("USUBJID", "Subject", "Char"),
        ("TRTSDT", "Start Date", "Num", {"format": "DATE9."}),
        ("TRTSDTM", "Start Datetime", "Num", {"format": "DATETIME20."}),
    )
    frame = pd.DataFrame({
        "USUBJID": ["A", "B"],
        "TRTSDT": pd.Series([date(2014, 1, 2), None], dtype=object),
        "TRTSDTM": pd.to_datetime(["2014-01-02 10:00", None]).tz_localize("UTC"),
    })
    out = conform(frame, spec)
    assert out["TRTSDT"].tolist()[0] == _sas_days(date(2014, 1, 2))
    assert out["TRTSDTM"].tolist()[0] == (datetime(2014, 1, 2, 10) - datetime(1960, 1, 1)).total_seconds()


def test_dates_need_a_format_and_no_time_of_day():
    # a datetime64 column whose variable has no date format; a date variable holding 10:00
    spec = _spec(
        ("USUBJID", "Subject", "Char"),
        ("ADT", "Date", "Num", {"format": "DATE9."}),
        ("XDT", "No format", "Num"),
    )
    frame = pd.DataFrame({
        "USUBJID": ["A"], "ADT": pd.to_datetime(["2024-01-01 10:00"]), "XDT": pd.to_datetime(["2024-01-01"]),
    })
    with pytest.raises(DatasetError) as error:
        conform(frame, spec)
    assert {p.column for p in error.value.problems} == {"ADT", "XDT"}


def test_lengths_longest_bytes_minimum_one_and_fixed_length_checked():
    # all-blank column gets length 1; AESER fixed at 1 but holds "NO"
    spec = _spec(
        ("USUBJID", "Subject", "Char"), ("AETERM", "Term", "Char"), ("AEBLANK", "Blank", "Char"),
        ("AESER", "Serious", "Char", {"length": 1}),
    )
    frame = pd.DataFrame({"USUBJID": ["A", "B"], "AETERM": ["x" * 37, ""], "AEBLANK": ["", None],
                          "AESER": ["Y", "Y"]})
    assert conform(frame, spec).attrs["lengths"] == {"USUBJID": 1, "AETERM": 37, "AEBLANK": 1, "AESER": 1}
    with pytest.raises(DatasetError) as error:
        conform(frame.assign(AESER=["Y", "NO"]), spec)
    assert _problems(error) == [("AESER", 2, "NO")]
    assert "USUBJID B" in str(error.value)


def test_empty_dataset_conforms():
    out = conform(_ae().iloc[0:0], AE)
    assert len(out) == 0 and list(out.columns) == ["STUDYID", "USUBJID", "AESEQ", "AETERM", "AESER"]
    assert out.attrs["lengths"]["AETERM"] == 1


def test_xpt_limits_pass_at_the_limits():
    # 8-character names, 40-character labels, 200-byte values, the extreme storable numbers
    spec = _spec(
        ("USUBJID", "Subject", "Char"), ("LONGNAME", "L" * 40, "Char"), ("AVAL", "Value", "Num"),
        name="ADLONGNM", label="D" * 40, keys=("USUBJID",),
    )
    extremes = [np.nextafter(XPT_NUM_MAX, 0), -np.nextafter(XPT_NUM_MAX, 0), IBM_MIN, -IBM_MIN, 0.0]
    frame = pd.DataFrame({"USUBJID": list("ABCDE"), "LONGNAME": ["v" * 200] * 5, "AVAL": extremes})
    check_xpt_limits(conform(frame, spec), spec)


def test_every_xpt_limit_violation_is_reported_at_once():
    spec = _spec(
        ("USUBJID", "Subject", "Char"),
        ("LONGNAME9", "Too long a name", "Char"),
        ("1ABC", "Leading digit", "Char"),
        ("AETERM", "L" * 41, "Char"),
        ("AEDECOD", "Caf\u00e9 label", "Char"),
        ("AEFIX", "Fixed length", "Char", {"length": 201}),
        ("AVAL", "Value", "Num"),
        name="ADVERYLONG", label="D" * 41, keys=("USUBJID",),
    )
    frame = pd.DataFrame({
        "USUBJID": ["S-1", "S-2"],
        "LONGNAME9": ["a", "b"],
        "1ABC": ["a", "b"],
        "AETERM": ["ok", "x" * 201],  # row 2: 201 bytes
        "AEDECOD": ["caf\u00e9", "ok"],  # row 1: non-ASCII
        "AEFIX": ["a", "b"],
        "AVAL": [XPT_NUM_MAX, 1e-80],  # too large for pyreadstat, too small for IBM
    })
    with pytest.raises(DatasetError) as error:
        check_xpt_limits(conform(frame, spec), spec)
    found = {(p.column, p.row) for p in error.value.problems}
    assert found == {
        (None, None),  # dataset name
        (None, None),  # dataset label (same place)
        ("LONGNAME9", None), ("1ABC", None), ("AETERM", None), ("AEDECOD", None), ("AEFIX", None),
        ("AETERM", 2), ("AEDECOD", 1), ("AVAL", 1), ("AVAL", 2),
    }
    assert len(error.value.problems) == 11
    text = str(error.value)
    assert "ADVERYLONG" in text and "USUBJID S-2" in text and "201 bytes" not in text
    assert "longer than 200 bytes" in text


def test_many_bad_rows_are_summarised():
    spec = _spec(("USUBJID", "Subject", "Char"), keys=("USUBJID",))
    frame = conform(pd.DataFrame({"USUBJID": ["\u00e9"] * 9}), spec)
    with pytest.raises(DatasetError) as error:
        check_xpt_limits(frame, spec)
    assert [p.row for p in error.value.problems] == [1, 2, 3, 4, 5, None]
    assert "4 more rows" in str(error.value)


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [("DATE9.", "date"), ("date9", "date"), ("E8601DA.", "date"), ("DATETIME20.", "datetime"),
     ("E8601DT19.", "datetime"), ("TIME8.", "time"), ("8.2", None), ("$CHAR20.", None), (None, None)],
)
def test_format_kind(fmt, kind):
    assert format_kind(fmt) == kind


def test_build_timestamp_from_source_date_epoch(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert build_timestamp().timestamp() == DEFAULT_EPOCH
    assert build_timestamp().isoformat() == "1980-01-01T00:00:00+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_timestamp().isoformat() == "2023-11-14T22:13:20+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InputError):
        build_timestamp()
