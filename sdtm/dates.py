"""ISO 8601 --DTC from EDC date and time text, and complete dates back out of --DTC.

The EDC exports dates as `DD MON YYYY` with `UN` for an unknown day and `UNK` for an unknown
month (`UN MAY 2024`, `UN UNK 2024`) and times as `HH:MM`. SDTM keeps exactly what was
collected (SDTMIG 3.4 section 4.4): a date without a time or with unknown trailing parts is
truncated (`2024-05`, `2024`); an unknown part followed by a known one is a hyphen
(`2024---14`; with a time `2024-05--T09:30`). SDTM never imputes.
"""

from __future__ import annotations

import calendar
import re
from functools import cache

import pandas as pd

from specs.vector import per_distinct

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTH_NUMBER = {m: i + 1 for i, m in enumerate(MONTHS)}
_DATE = re.compile(r"(UN|\d{1,2}) (UNK|[A-Z]{3}) (\d{4})")
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d"
_COMPLETE_DATE = r"^\d{4}-\d{2}-\d{2}"


def compute_iso8601(date: pd.Series, time: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """ISO 8601 text from EDC date (and time) text, and a mask of the values that are invalid.

    Invalid: a date not in `DD MON YYYY` form, an impossible date (31 FEB), or a time not in
    `HH:MM` form. Invalid rows get "" in the result; the caller reports them with file and row.
    A time without a date is ignored: there is no --DTC to attach it to.
    Each distinct date and time is parsed once (a study has far fewer dates than records).
    """
    day = per_distinct(_dates, date)
    if time is None:
        return day["DTC"], day["BAD"]
    clock = per_distinct(_times, time)
    has_date = day["FULL"] != ""
    bad = day["BAD"] | (clock["BAD"] & has_date)
    timed = has_date & (clock["TIME"] != "") & ~bad
    dtc = day["DTC"].where(~timed, day["FULL"] + "T" + clock["TIME"])
    return dtc.where(~bad, ""), bad


def _dates(date: pd.Series) -> pd.DataFrame:
    """Per distinct EDC date: truncated ISO text (DTC), the same with hyphens for a time (FULL)."""
    parsed = [edc_date(d) for d in date.tolist()]
    dtc, full, bad = zip(*parsed, strict=True) if parsed else ((), (), ())
    return pd.DataFrame({"DTC": pd.array(dtc, dtype="string"), "FULL": pd.array(full, dtype="string"),
                         "BAD": pd.array(bad, dtype=bool)})


def _times(time: pd.Series) -> pd.DataFrame:
    text = time.astype("string").fillna("").str.strip().str.upper()
    return pd.DataFrame({"TIME": text, "BAD": (text != "") & ~text.str.fullmatch(_TIME).astype(bool)})


@cache  # the same dates recur on every form of a study
def edc_date(date: object) -> tuple[str, str, bool]:
    """One EDC date: ISO 8601 text right-truncated, the full form (`2024-05--`) that a time
    follows, and whether it is invalid (both texts "" then; blank is not invalid)."""
    d = date.strip().upper() if isinstance(date, str) else ""
    if not d:
        return "", "", False
    found = _DATE.fullmatch(d)
    month = _MONTH_NUMBER.get(found.group(2)) if found else None
    if not found or (month is None and found.group(2) != "UNK"):
        return "", "", True
    day, year = found.group(1), found.group(3)
    # A complete date must exist in the calendar (no 31 FEB, no 29 FEB outside leap years).
    if day != "UN" and not 1 <= int(day) <= (calendar.monthrange(int(year), month)[1] if month else 31):
        return "", "", True
    mm = f"{month:02d}" if month else "-"
    dd = f"{int(day):02d}" if day != "UN" else "-"
    # Right-truncate unknown trailing parts; an unknown part before a known one is a hyphen.
    if dd == "-":
        truncated = f"{year}-{mm}" if month else year
    else:
        truncated = f"{year}-{mm}-{dd}" if month else f"{year}---{dd}"
    return truncated, f"{year}-{mm}-{dd}", False


def compute_date(dtc: pd.Series) -> pd.Series:
    """Date part of --DTC as datetime64 (midnight); NaT unless complete to the day."""
    return per_distinct(_date, dtc)


def _date(dtc: pd.Series) -> pd.Series:
    text = dtc.astype("string").fillna("").str.strip()
    complete = text.str.match(_COMPLETE_DATE).fillna(False).astype(bool)
    return pd.to_datetime(text.str.slice(0, 10).where(complete), format="%Y-%m-%d", errors="coerce")
