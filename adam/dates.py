"""ISO 8601 --DTC strings to analysis dates, with admiral's imputation rules.

SDTM keeps dates as collected (`2024-05-14T09:30`, `2024-05`, `2024---14`); ADaM needs
numeric dates. `compute_dt` / `compute_dtm` convert without imputing anything.
"""

from __future__ import annotations

import pandas as pd

# Year, month, day, hour, minute, second; "-" stands for an unknown part (SDTMIG 4.4.2).
_DTC_PATTERN = (
    r"^(?P<year>\d{4}|-)"
    r"(?:-(?P<month>\d{2}|-)(?:-(?P<day>\d{2}|-))?)?"
    r"(?:T(?P<hour>\d{2}|-)(?::(?P<minute>\d{2}|-)(?::(?P<second>\d{2}(?:\.\d+)?|-))?)?)?$"
)
DTC_PARTS = ("year", "month", "day", "hour", "minute", "second")


def split_dtc(dtc: pd.Series) -> pd.DataFrame:
    """Split --DTC strings into their parts; a missing or unknown part is NA.

    Values that are not ISO 8601 get NA in every part.
    """
    text = dtc.astype("string").str.strip()
    parts = text.str.extract(_DTC_PATTERN)
    return parts.where(parts != "-").astype("string")


def _complete_date_text(parts: pd.DataFrame) -> pd.Series:
    return parts["year"] + "-" + parts["month"] + "-" + parts["day"]


def compute_dt(dtc: pd.Series) -> pd.Series:
    """Date part of --DTC as datetime64 at midnight; NaT unless complete to the day.

    No imputation: `2024-05` and `2024---14` give NaT, time is ignored.
    """
    text = _complete_date_text(split_dtc(dtc))
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")


def compute_dtm(dtc: pd.Series) -> pd.Series:
    """--DTC as datetime64 with time; NaT unless the date is complete and a time is given.

    No imputation: a date without time gives NaT (filling 00:00:00 is imputation, which
    `derive_vars_dtm` does). Hours and minutes are required; missing seconds are read as
    :00, the precision ISO 8601 `hh:mm` denotes (admiral does not flag it either when
    `ignore_seconds_flag` is set).
    """
    parts = split_dtc(dtc)
    text = (
        _complete_date_text(parts)
        + "T"
        + parts["hour"]
        + ":"
        + parts["minute"]
        + ":"
        + parts["second"].fillna("00").str.slice(0, 2)
    )
    return pd.to_datetime(text, format="%Y-%m-%dT%H:%M:%S", errors="coerce").astype(
        "datetime64[ns]"
    )
