"""ISO 8601 --DTC strings to analysis dates, with admiral's imputation rules.

SDTM keeps dates as collected (`2024-05-14T09:30`, `2024-05`, `2024---14`); ADaM needs
numeric dates. `compute_dt` / `compute_dtm` convert without imputing anything;
`derive_vars_dt` / `derive_vars_dtm` impute as admiral does (highest imputation level,
first/mid/last, min/max dates) and record the highest imputed part in *DTF / *TMF.

Dates are datetime64[ns] at midnight, datetimes datetime64[ns] with time. Where a
frame column is passed as a minimum or maximum date, a name ending in `DTM` marks a
datetime and any other name a date (ADaM naming), because pandas has one type for both:
a date caps an imputed datetime at 23:59:59 of that day, as admiral does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from specs.vector import per_distinct

# Year, month, day, hour, minute, second; "-" stands for an unknown part (SDTMIG 4.4.2).
_DTC_PATTERN = (
    r"^(?P<year>\d{4}|-)"
    r"(?:-(?P<month>\d{2}|-)(?:-(?P<day>\d{2}|-))?)?"
    r"(?:T(?P<hour>\d{2}|-)(?::(?P<minute>\d{2}|-)(?::(?P<second>\d{2}(?:\.\d+)?|-))?)?)?$"
)
DTC_PARTS = ("year", "month", "day", "hour", "minute", "second")
_DATE_PARTS = DTC_PARTS[:3]
_TIME_PARTS = DTC_PARTS[3:]

# admiral's imputation levels, lowest to highest: "n" imputes nothing, "Y" everything.
IMPUTATION_LEVELS = ("n", "s", "m", "h", "D", "M", "Y")
_PART_LEVEL = {"second": 1, "minute": 2, "hour": 3, "day": 4, "month": 5, "year": 6}
_FLAG_CODE = {"year": "Y", "month": "M", "day": "D", "hour": "H", "minute": "M", "second": "S"}

# Stand-ins for an imputed missing year ("0000" / "9999" in admiral): they take part in
# the min/max comparisons and become NaT at the end. NaT itself is the int64 minimum.
_LOW = np.iinfo(np.int64).min + 1
_HIGH = np.iinfo(np.int64).max

_DAY = pd.Timedelta(days=1)
_LAST_SECOND = pd.Timedelta(hours=23, minutes=59, seconds=59)


def split_dtc(dtc: pd.Series) -> pd.DataFrame:
    """Split --DTC strings into their parts; a missing or unknown part is NA.

    Values that are not ISO 8601 get NA in every part.
    """
    return per_distinct(_split_dtc, dtc)


def _split_dtc(dtc: pd.Series) -> pd.DataFrame:
    # pyarrow's regex kernel: pandas' str.extract runs Python per value.
    text = pa.array(dtc.astype("string").str.strip().array, type=pa.string())
    matched = pc.extract_regex(text, _DTC_PATTERN)
    matched_rows = matched.is_valid()
    # An optional group that took no part comes back as "", an unknown part as "-".
    unknown = pa.array(["", "-"])
    parts = {}
    for part in DTC_PARTS:
        values = pc.struct_field(matched, part)
        known = pc.and_(matched_rows, pc.invert(pc.is_in(values, value_set=unknown)))
        parts[part] = pd.arrays.ArrowStringArray(pc.if_else(known, values, pa.scalar(None, pa.string())))
    return pd.DataFrame(parts, index=dtc.index).astype("string")


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
    return pd.to_datetime(text, format="%Y-%m-%dT%H:%M:%S", errors="coerce").astype("datetime64[ns]")


def _numeric_parts(parts: pd.DataFrame) -> pd.DataFrame:
    # Fractional seconds are cut: ADaM datetimes are kept to the second.
    whole = parts.assign(second=parts["second"].str.slice(0, 2))
    # Every part matched digits only, so pyarrow's cast cannot fail (pd.to_numeric is slow on text).
    return pd.DataFrame(
        {name: pd.array(pc.cast(pa.array(whole[name].array, type=pa.string()), pa.float64()), dtype="Float64")
         for name in DTC_PARTS},
        index=parts.index,
    )


def _propagate_missing(parts: pd.DataFrame) -> pd.DataFrame:
    """Blank every part below the first missing one (admiral's preserve = FALSE)."""
    below_missing = parts.isna().cummax(axis=1)
    return parts.mask(below_missing)


def _date_targets(date_imputation: str, month_missing: pd.Series) -> tuple[float, pd.Series]:
    """Month and day used for a missing month / day; day NaN means last day of month."""
    if date_imputation == "first":
        return 1.0, pd.Series(1.0, index=month_missing.index)
    if date_imputation == "mid":
        # admiral: mid-year is 30 June, mid-month the 15th
        return 6.0, month_missing.map({True: 30.0, False: 15.0}).astype(float)
    if date_imputation == "last":
        return 12.0, pd.Series(np.nan, index=month_missing.index)
    month_text, _, day_text = date_imputation.partition("-")
    return float(month_text), pd.Series(float(day_text), index=month_missing.index)


def _time_targets(time_imputation: str) -> tuple[float, float, float]:
    if time_imputation == "first":
        return 0.0, 0.0, 0.0
    if time_imputation == "last":
        return 23.0, 59.0, 59.0
    hour, minute, second = (float(value) for value in time_imputation.split(":"))
    return hour, minute, second


def _assemble(values: pd.DataFrame) -> pd.Series:
    """Numeric parts (day NaN = last of month) to int64 nanoseconds; NaT if impossible."""
    year = values["year"].astype(float).to_numpy()
    month = values["month"].astype(float).to_numpy()
    day = values["day"].astype(float).to_numpy()
    valid_month = ~np.isnan(year) & (month >= 1) & (month <= 12)
    months = np.where(valid_month, (year - 1970) * 12 + month - 1, 0).astype("int64")
    first_of_month = pd.Series(
        np.where(valid_month, months.astype("datetime64[M]"), np.datetime64("NaT")).astype("datetime64[ns]")
    )
    month_length = first_of_month.dt.days_in_month.to_numpy(dtype=float, na_value=np.nan)
    day = np.where(np.isnan(day), month_length, day)
    # a day beyond the month's end (given in the data or by "mm-dd") is not a date
    day = np.where(day > month_length, np.nan, day)
    clock = pd.to_timedelta(
        values["hour"].astype(float).to_numpy() * 3600
        + values["minute"].astype(float).to_numpy() * 60
        + values["second"].astype(float).to_numpy(),
        unit="s",
    )
    stamp = first_of_month + pd.to_timedelta(day - 1, unit="D") + clock
    return stamp.astype("datetime64[ns]").astype("int64")


def _impute_parts(
    parts: pd.DataFrame,
    *,
    highest_imputation: str,
    date_imputation: str,
    time_imputation: str,
    preserve: bool,
) -> np.ndarray:
    """Imputed timestamps as int64 nanoseconds, with _LOW/_HIGH for an imputed year."""
    if highest_imputation not in IMPUTATION_LEVELS:
        raise ValueError(f"highest_imputation must be one of {IMPUTATION_LEVELS}, got {highest_imputation!r}")
    highest = IMPUTATION_LEVELS.index(highest_imputation)
    if not preserve:
        parts = _propagate_missing(parts)
    values = _numeric_parts(parts)
    missing = values.isna()

    too_much = np.zeros(len(parts), dtype=bool)
    for part, level in _PART_LEVEL.items():
        if level > highest:
            too_much |= missing[part].to_numpy()

    month_target, day_target = _date_targets(date_imputation, missing["month"])
    hour, minute, second = _time_targets(time_imputation)
    filled = pd.DataFrame(
        {
            "year": values["year"].fillna(2000.0),  # placeholder, replaced below
            "month": values["month"].fillna(month_target),
            "day": values["day"].astype(float).fillna(day_target),
            "hour": values["hour"].fillna(hour),
            "minute": values["minute"].fillna(minute),
            "second": values["second"].fillna(second),
        }
    )
    stamps = _assemble(filled)
    year_missing = missing["year"].to_numpy()
    stamps = np.where(year_missing, _HIGH if date_imputation == "last" else _LOW, stamps)
    return np.where(too_much, np.iinfo(np.int64).min, stamps)


def _possible_range(parts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Earliest and latest moment a partial --DTC can stand for."""
    common = {"highest_imputation": "Y", "preserve": False}
    lower = _impute_parts(parts, date_imputation="first", time_imputation="first", **common)
    upper = _impute_parts(parts, date_imputation="last", time_imputation="last", **common)
    return lower, upper


def _as_int64(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values).astype("datetime64[ns]").astype("int64").to_numpy()


def _restrict(
    stamps: np.ndarray,
    parts: pd.DataFrame,
    min_dates: Sequence[pd.Series],
    max_dates: Sequence[pd.Series],
) -> np.ndarray:
    """Move an imputed value to the latest min date / earliest max date in its range.

    Only bounds inside the range the partial value allows are used, so collected parts
    never change (admiral's restrict_imputed_dtc_dtm).
    """
    if not min_dates and not max_dates:
        return stamps
    lower, upper = _possible_range(parts)
    nat = np.iinfo(np.int64).min
    imputed = stamps != nat
    for bound in min_dates:
        bound = _as_int64(bound)
        usable = imputed & (bound != nat) & (lower <= bound) & (bound <= upper)
        stamps = np.where(usable, np.maximum(stamps, bound), stamps)
    for bound in max_dates:
        bound = _as_int64(bound)
        usable = imputed & (bound != nat) & (lower <= bound) & (bound <= upper)
        stamps = np.where(usable, np.minimum(stamps, bound), stamps)
    return stamps


def _to_datetime(stamps: np.ndarray, index: pd.Index) -> pd.Series:
    stamps = np.where((stamps == _LOW) | (stamps == _HIGH), np.iinfo(np.int64).min, stamps)
    return pd.Series(stamps.astype("datetime64[ns]"), index=index)


def impute_dtc_dtm(
    dtc: pd.Series,
    *,
    highest_imputation: str = "h",
    date_imputation: str = "first",
    time_imputation: str = "first",
    min_dates: Sequence[pd.Series] = (),
    max_dates: Sequence[pd.Series] = (),
    preserve: bool = False,
) -> pd.Series:
    """Impute partial --DTC to datetime64 by admiral's rules (impute_dtc_dtm).

    highest_imputation: highest part that may be imputed ("n" none, "s", "m", "h", "D",
    "M", "Y"); a missing part above it gives NaT. date_imputation: "first", "mid"
    (30 June / the 15th), "last" or "mm-dd". time_imputation: "first", "last" or
    "hh:mm:ss". min_dates / max_dates: datetime Series aligned with `dtc`; the imputed
    value is moved to the latest min date (earliest max date) that lies within the
    range the partial value allows. A missing year ("Y") is only filled from them.
    preserve: keep a known day when the month is unknown (`2019---07`).
    """
    parts = split_dtc(dtc)
    stamps = _impute_parts(
        parts,
        highest_imputation=highest_imputation,
        date_imputation=date_imputation,
        time_imputation=time_imputation,
        preserve=preserve,
    )
    stamps = _restrict(stamps, parts, min_dates, max_dates)
    return _to_datetime(stamps, dtc.index)


def impute_dtc_dt(
    dtc: pd.Series,
    *,
    highest_imputation: str = "n",
    date_imputation: str = "first",
    min_dates: Sequence[pd.Series] = (),
    max_dates: Sequence[pd.Series] = (),
    preserve: bool = False,
) -> pd.Series:
    """Impute the date part of --DTC to a datetime64 date (admiral impute_dtc_dt).

    Same rules as `impute_dtc_dtm` on the date alone: time is ignored and min/max
    dates are compared as dates.
    """
    if highest_imputation in ("s", "m", "h"):
        raise ValueError("for dates highest_imputation must be 'n', 'D', 'M' or 'Y'")
    parts = split_dtc(dtc)
    date_parts = parts.copy()
    date_parts.loc[:, list(_TIME_PARTS)] = "00"
    stamps = _impute_parts(
        date_parts,
        highest_imputation=highest_imputation,
        date_imputation=date_imputation,
        time_imputation="first",
        preserve=preserve,
    )
    lower_bounds = [pd.to_datetime(d).dt.normalize() for d in min_dates]
    upper_bounds = [pd.to_datetime(d).dt.normalize() for d in max_dates]
    stamps = _restrict(stamps, date_parts, lower_bounds, upper_bounds)
    result = _to_datetime(stamps, dtc.index)
    return result.dt.normalize()


def _highest_flag(parts: pd.DataFrame, moment: pd.Series, names: Sequence[str]) -> pd.Series:
    """Code of the highest part that is missing in --DTC or differs in the result."""
    accessor = moment.dt
    flag = pd.Series(pd.NA, index=moment.index, dtype="string")
    values = _numeric_parts(parts)
    for name in names:
        result_part = getattr(accessor, name).astype("Float64")
        changed = values[name].isna() | (values[name] != result_part).fillna(False)
        flag = flag.mask(flag.isna() & changed, _FLAG_CODE[name])
    return flag.mask(moment.isna())


def compute_dtf(dtc: pd.Series, dt: pd.Series) -> pd.Series:
    """Date imputation flag: "Y", "M" or "D" for the highest imputed date part, else NA."""
    return _highest_flag(split_dtc(dtc), pd.to_datetime(dt), _DATE_PARTS)


def compute_tmf(dtc: pd.Series, dtm: pd.Series, *, ignore_seconds_flag: bool = True) -> pd.Series:
    """Time imputation flag: "H", "M" or "S" for the highest imputed time part, else NA.

    ignore_seconds_flag: when only hours and minutes are collected, imputing :00 seconds
    is not flagged (ADaMIG; admiral's default).
    """
    flag = _highest_flag(split_dtc(dtc), pd.to_datetime(dtm), _TIME_PARTS)
    if ignore_seconds_flag:
        flag = flag.mask(flag == "S")
    return flag


def _bounds(dataset: pd.DataFrame, names: Sequence[str] | None, *, upper: bool) -> list:
    """Frame columns as bounds; a date (name not ending in DTM) caps at 23:59:59."""
    bounds = []
    for name in names or ():
        values = pd.to_datetime(dataset[name]).astype("datetime64[ns]")
        if upper and not name.endswith("DTM"):
            values = values.dt.normalize() + _LAST_SECOND
        bounds.append(values)
    return bounds


def derive_vars_dt(
    dataset: pd.DataFrame,
    *,
    new_vars_prefix: str,
    dtc: str,
    highest_imputation: str = "n",
    date_imputation: str = "first",
    flag_imputation: str = "auto",
    min_dates: Sequence[str] | None = None,
    max_dates: Sequence[str] | None = None,
    preserve: bool = False,
) -> pd.DataFrame:
    """Add <prefix>DT (and <prefix>DTF) from the --DTC column `dtc` (admiral derive_vars_dt).

    flag_imputation: "auto" adds the DTF when highest_imputation is not "n", "date"
    always, "none" never. min_dates / max_dates name columns of `dataset`.
    """
    result = dataset.copy()
    new_dt = f"{new_vars_prefix}DT"
    result[new_dt] = impute_dtc_dt(
        dataset[dtc],
        highest_imputation=highest_imputation,
        date_imputation=date_imputation,
        min_dates=_bounds(dataset, min_dates, upper=False),
        max_dates=_bounds(dataset, max_dates, upper=False),
        preserve=preserve,
    )
    if flag_imputation == "date" or (flag_imputation == "auto" and highest_imputation != "n"):
        result[f"{new_vars_prefix}DTF"] = compute_dtf(dataset[dtc], result[new_dt])
    return result


def derive_vars_dtm(
    dataset: pd.DataFrame,
    *,
    new_vars_prefix: str,
    dtc: str,
    highest_imputation: str = "h",
    date_imputation: str = "first",
    time_imputation: str = "first",
    flag_imputation: str = "auto",
    min_dates: Sequence[str] | None = None,
    max_dates: Sequence[str] | None = None,
    preserve: bool = False,
    ignore_seconds_flag: bool = True,
) -> pd.DataFrame:
    """Add <prefix>DTM, <prefix>DTF, <prefix>TMF from `dtc` (admiral derive_vars_dtm).

    flag_imputation: "auto" adds DTF when highest_imputation is "D", "M" or "Y" and TMF
    when it is not "n"; "both", "date", "time", "none" choose explicitly.
    """
    result = dataset.copy()
    new_dtm = f"{new_vars_prefix}DTM"
    result[new_dtm] = impute_dtc_dtm(
        dataset[dtc],
        highest_imputation=highest_imputation,
        date_imputation=date_imputation,
        time_imputation=time_imputation,
        min_dates=_bounds(dataset, min_dates, upper=False),
        max_dates=_bounds(dataset, max_dates, upper=True),
        preserve=preserve,
    )
    date_level = highest_imputation in ("D", "M", "Y")
    if flag_imputation in ("both", "date") or (flag_imputation == "auto" and date_level):
        result[f"{new_vars_prefix}DTF"] = compute_dtf(dataset[dtc], result[new_dtm])
    if flag_imputation in ("both", "time") or (flag_imputation == "auto" and highest_imputation != "n"):
        result[f"{new_vars_prefix}TMF"] = compute_tmf(
            dataset[dtc], result[new_dtm], ignore_seconds_flag=ignore_seconds_flag
        )
    return result


def derive_vars_dtm_to_dt(dataset: pd.DataFrame, source_vars: Sequence[str]) -> pd.DataFrame:
    """Add the date of each *DTM column as *DT (ASTDTM → ASTDT)."""
    result = dataset.copy()
    for name in source_vars:
        if not name.endswith("DTM"):
            raise ValueError(f"{name}: expected a datetime variable named *DTM")
        result[name[:-1]] = pd.to_datetime(dataset[name]).dt.normalize()
    return result


def compute_dy(reference_date: pd.Series, date: pd.Series) -> pd.Series:
    """Study day of `date` relative to `reference_date`; no day 0, time ignored.

    (date − reference) + 1 on or after the reference, (date − reference) before it.
    """
    days = (pd.to_datetime(date).dt.normalize() - pd.to_datetime(reference_date).dt.normalize()) / _DAY
    days = days.astype("Float64")
    return days.where(days < 0, days + 1).astype("Int64")


def derive_vars_dy(
    dataset: pd.DataFrame,
    *,
    reference_date: str,
    source_vars: Sequence[str] | Mapping[str, str],
) -> pd.DataFrame:
    """Add study days (admiral derive_vars_dy): ASTDT → ASTDY, AENDTM → AENDY.

    source_vars: names ending in DT or DTM, or a mapping {new name: source name}.
    """
    if isinstance(source_vars, Mapping):
        targets = dict(source_vars)
    else:
        targets = {}
        for name in source_vars:
            stem = name[:-3] if name.endswith("DTM") else name[:-2]
            if not name.endswith(("DT", "DTM")):
                raise ValueError(f"{name}: expected a name ending in DT or DTM")
            targets[f"{stem}DY"] = name
    result = dataset.copy()
    for new_var, source in targets.items():
        result[new_var] = compute_dy(dataset[reference_date], dataset[source])
    return result


def invalid_dtc(dtc: pd.Series) -> pd.Series:
    """True where a non-blank --DTC is not ISO 8601: wrong form or an impossible part.

    Partial dates (`2024-05`, `2024---14`, `2024-05-14T09`) are valid; `2023-13-45` is not.
    """
    return per_distinct(_invalid_dtc, dtc)


def _invalid_dtc(dtc: pd.Series) -> pd.Series:
    text = dtc.astype("string").str.strip()
    given = text.notna() & (text != "")
    parts = split_dtc(dtc)
    values = _numeric_parts(parts)
    # split_dtc gives NA in every part where the pattern does not match; "-" alone is no date either
    unmatched = parts.isna().all(axis=1)
    year = values["year"].fillna(2000.0)  # an unknown year: a leap year allows 29 February
    month = values["month"]
    days_in_month = pd.Series(
        pd.to_datetime(
            {"year": year.astype(int), "month": month.clip(1, 12).fillna(1).astype(int), "day": 1}
        ).dt.days_in_month.to_numpy(),
        index=dtc.index,
    ).where(month.notna(), 31)
    out_of_range = (
        (month < 1) | (month > 12)
        | (values["day"] < 1) | (values["day"] > days_in_month)
        | (values["hour"] > 23) | (values["minute"] > 59) | (values["second"] >= 60)
    ).fillna(False).astype(bool)
    return given & (unmatched | out_of_range)
