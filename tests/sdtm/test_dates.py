import pandas as pd

from sdtm.dates import compute_date, compute_iso8601


def test_iso8601_from_edc_text():
    cases = pd.DataFrame([
        # date,          time,    expected,            bad
        ("14 MAY 2024", "09:30", "2024-05-14T09:30", False),  # complete date and time
        ("14 MAY 2024", "", "2024-05-14", False),             # date only
        ("5 jan 2024", "", "2024-01-05", False),              # one-digit day, lower case
        ("UN MAY 2024", "", "2024-05", False),                # partial date: unknown day
        ("UN UNK 2024", "", "2024", False),                   # unknown month (and day)
        ("14 UNK 2024", "", "2024---14", False),              # unknown month, known day
        ("UN MAY 2024", "10:00", "2024-05--T10:00", False),   # unknown day, time known
        ("29 FEB 2024", "", "2024-02-29", False),             # leap day
        ("", "", "", False),                                  # blank
        ("", "09:00", "", False),                             # time without a date: no --DTC
        ("31 FEB 2024", "", "", True),                        # impossible date
        ("29 FEB 2023", "", "", True),                        # no leap day in 2023
        ("32 JAN 2024", "", "", True),                        # day out of range
        ("01 XYZ 2024", "", "", True),                        # unknown month name
        ("2024-05-14", "", "", True),                         # not the EDC format
        ("14 MAY 2024", "25:00", "", True),                   # impossible time
    ], columns=["date", "time", "expected", "bad"])
    out, bad = compute_iso8601(cases["date"], cases["time"])
    assert out.tolist() == cases["expected"].tolist()
    assert bad.tolist() == cases["bad"].tolist()


def test_iso8601_without_time_and_empty():
    out, bad = compute_iso8601(pd.Series(["01 MAR 2024"]))
    assert out.tolist() == ["2024-03-01"] and not bad.any()
    out, bad = compute_iso8601(pd.Series([], dtype="str"))
    assert len(out) == 0 and len(bad) == 0


def test_compute_date_needs_a_complete_date():
    dates = compute_date(pd.Series(["2024-05-14T09:30", "2024-05-14", "2024-05", "2024---14", ""]))
    assert dates.iloc[0] == pd.Timestamp("2024-05-14") == dates.iloc[1]
    assert dates.iloc[2:].isna().all()
