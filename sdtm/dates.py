"""ISO 8601 --DTC from EDC date and time text, and complete dates back out of --DTC.

The EDC exports dates as `DD MON YYYY` with `UN` for an unknown day and `UNK` for an unknown
month (`UN MAY 2024`, `UN UNK 2024`) and times as `HH:MM`. SDTM keeps exactly what was
collected (SDTMIG 3.4 section 4.4): a date without a time or with unknown trailing parts is
truncated (`2024-05`, `2024`); an unknown part followed by a known one is a hyphen
(`2024---14`; with a time `2024-05--T09:30`). SDTM never imputes.
"""

from __future__ import annotations

import pandas as pd

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTH_NUMBER = {m: f"{i + 1:02d}" for i, m in enumerate(MONTHS)} | {"UNK": "-"}
_DATE_PATTERN = r"^(?P<day>UN|\d{1,2}) (?P<month>UNK|[A-Z]{3}) (?P<year>\d{4})$"
_TIME_PATTERN = r"^(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)$"
_COMPLETE_DATE = r"^\d{4}-\d{2}-\d{2}"


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("").str.strip().str.upper()


def compute_iso8601(date: pd.Series, time: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """ISO 8601 text from EDC date (and time) text, and a mask of the values that are invalid.

    Invalid: a date not in `DD MON YYYY` form, an impossible date (31 FEB), or a time not in
    `HH:MM` form. Invalid rows get "" in the result; the caller reports them with file and row.
    A time without a date is ignored: there is no --DTC to attach it to.
    Each distinct date and time is parsed once (a study has far fewer dates than records).
    """
    d = _text(date)
    t = pd.Series("", index=d.index, dtype="string") if time is None else _text(time)
    date_codes, dates = pd.factorize(d)
    time_codes, times = pd.factorize(t)
    parsed = _parse_dates(pd.Series(dates, dtype="string"))
    truncated, full, bad_date = (x.to_numpy()[date_codes] for x in parsed)
    times = pd.Series(times, dtype="string")
    bad_time = ((times != "") & ~times.str.match(_TIME_PATTERN)).to_numpy()[time_codes]
    has_date = (d != "").to_numpy()
    has_time = (t != "").to_numpy()
    with_time = has_time & ~bad_time & has_date
    out = pd.Series(truncated, index=d.index, dtype="string")
    out[with_time] = pd.Series(full[with_time], dtype="string").to_numpy() + "T" + t[with_time].to_numpy()
    bad = bad_date | (bad_time & has_date)
    return out.where(~bad, ""), pd.Series(bad, index=d.index)


def _parse_dates(d: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per distinct EDC date: truncated ISO text, full ISO text with hyphens, invalid flag."""
    parts = d.str.extract(_DATE_PATTERN)
    has_date = d != ""
    bad = has_date & parts["year"].isna()
    month = parts["month"].map(_MONTH_NUMBER, na_action="ignore").astype("string")
    bad |= parts["month"].notna() & month.isna()
    day = parts["day"].str.zfill(2).where(parts["day"] != "UN", "-")
    day_number = pd.to_numeric(day, errors="coerce")
    bad |= day_number.notna() & ~day_number.between(1, 31)
    # A complete date must exist in the calendar (no 31 FEB, no 29 FEB outside leap years).
    complete = (day_number.notna() & month.notna() & (month != "-")).fillna(False)
    as_date = pd.to_datetime(
        (parts["year"] + "-" + month + "-" + day).where(complete), format="%Y-%m-%d", errors="coerce"
    )
    bad = (bad | (complete & as_date.isna())).fillna(False).astype(bool)
    # Right-truncate unknown trailing parts unless a time follows them (SDTMIG 4.4.4).
    year, month, day = parts["year"].fillna(""), month.fillna(""), day.fillna("")
    full = year + "-" + month + "-" + day
    truncated = full.where(day != "-", year + "-" + month).where(month != "-", year + "---" + day)
    truncated = truncated.where((month != "-") | (day != "-"), year)
    return truncated.where(has_date & ~bad, ""), full, bad


def compute_date(dtc: pd.Series) -> pd.Series:
    """Date part of --DTC as datetime64 (midnight); NaT unless complete to the day."""
    text = dtc.astype("string").fillna("").str.strip()
    complete = text.str.match(_COMPLETE_DATE).fillna(False).astype(bool)
    return pd.to_datetime(text.str.slice(0, 10).where(complete), format="%Y-%m-%d", errors="coerce")
