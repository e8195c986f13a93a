"""Column helpers the operators share: missing values, text, numbers and ISO 8601 dates.

Frames hold text with "" for missing and numbers as floats (SAS dates possibly as datetime64).
Every helper takes a whole column and works once per distinct value where parsing is involved.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from specs.vector import per_distinct

# SDTMIG 3.4 section 4.4: partial and uncertain ISO 8601 date/times, and intervals of two.
_DATE = re.compile(
    r"^(?P<year>-?\d{4}|-)(?:-{1,2}(?P<month>1[0-2]|0[1-9]|-))?(?:-{1,2}(?P<day>3[01]|0[1-9]|[12]\d|-))?"
    r"(?:T(?P<hour>2[0-3]|[01]\d|-)(?::(?P<minute>[0-5]\d|-)(?::(?P<second>[0-5]\d|-)"
    r"(?:\.(?P<fraction>\d+))?)?)?(?P<tz>Z|[+-](?:2[0-3]|[01]\d):[0-5]\d)?)?$"
    r"|^-{4,8}T(?P<thour>2[0-3]|[01]\d|-)(?::(?P<tminute>[0-5]\d|-)(?::(?P<tsecond>[0-5]\d|-))?)?$"
)
PARTS = ("year", "month", "day", "hour", "minute", "second")
DEFAULTS = (1970, 1, 1, 0, 0, 0)


def is_null(values: pd.Series) -> pd.Series:
    """True where a value is missing: NA, empty text or an empty list (CORE's null flavours).
    Text of blanks is a value, as CORE reads it (CORE-000170 reports --LOBXFL " ")."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values.isna()
    missing = values.isna()
    if values.dtype == object:
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind in ("integer", "floating", "boolean", "decimal"):
            return missing
        if kind in ("string", "empty"):
            return missing | (values == "")
        # .str.len() measures lists and sets as well as text; other objects give NaN.
        return missing | (values.str.len() == 0)
    return missing | (values.astype("str") == "")


def holds_lists(values: object) -> bool:
    """Whether a column holds a list per row (CORE's is_column_of_iterables; its first value tells)."""
    if not isinstance(values, pd.Series) or values.dtype != object:
        return False
    present = values.dropna()
    return len(present) > 0 and isinstance(present.iloc[0], list | set | tuple | frozenset)


def per_value(fn: Callable[[pd.Series], pd.Series], values: pd.Series) -> pd.Series:
    """`fn(values)` once per distinct value (a column of a large dataset holds few); lists, which
    have no identity to share, one by one."""
    return fn(values) if holds_lists(values) else per_distinct(fn, values)


def as_text(values: pd.Series) -> pd.Series:
    """Values as text ("" for missing); whole numbers without '.0' (CORE reads 3.0 as '3'); flags
    as Python writes them ("True", "False"), so that a flag equals the YAML literal `false`."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype(str)
    if pd.api.types.is_numeric_dtype(values):
        return _number_text(values.astype("float64"))
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").fillna("").astype(str)
    if values.dtype == object:
        return values.astype("str").where(values.notna(), "")
    return values.astype("str").fillna("")


def _number_text(numbers: pd.Series) -> pd.Series:
    """Whole numbers as integers (Arrow's integer cast; exact below 2**53), others as Python
    writes them (once per distinct value); "" for missing."""
    whole = (numbers.notna() & (numbers.abs() < 2.0 ** 53) & (numbers == np.round(numbers))).to_numpy()
    out = np.full(len(numbers), "", dtype=object)
    if whole.any():
        integers = pa.array(numbers.to_numpy()[whole].astype(np.int64))
        out[whole] = pc.cast(integers, pa.string()).to_numpy(zero_copy_only=False)
    other = ~whole & numbers.notna().to_numpy()
    if other.any():
        out[other] = per_distinct(lambda v: v.astype(str), numbers[other]).to_numpy()
    return pd.Series(out, index=numbers.index, dtype="str")


def key_text(values: pd.Series) -> pd.Series:
    """Values as join keys: text without surrounding blanks, whole numbers without decimals
    (IDVARVAL "1" and "1.0" find LBSEQ 1.0, as CORE's custom_str_conversion normalises them)."""
    return as_text(values).str.strip().str.replace(r"^(-?\d+)\.0*$", r"\1", regex=True)


def regex_part(values: pd.Series, regex: str | None) -> pd.Series:
    """Text values cut to what `regex` finds (EGDTC to its date with ^\\d{4}-\\d{2}-\\d{2}), when the
    column's first value matches it, as CORE applies a grouping regex; other columns unchanged."""
    if not regex or pd.api.types.is_numeric_dtype(values):
        return values
    present = values.dropna()
    present = present[present.astype(str) != ""]
    if present.empty or re.match(regex, str(present.iloc[0])) is None:
        return values
    return per_distinct(lambda text: _regex_found(text, regex), values.astype("str"))


def _regex_found(text: pd.Series, regex: str) -> pd.Series:
    found = text.str.extract(f"({regex})", expand=False)
    if isinstance(found, pd.DataFrame):
        found = found.iloc[:, 0]
    return found.fillna(text)


def shown(values: pd.Series) -> pd.Series:
    """Values as CORE reports them: floats as Python writes them (1.0), lists as lists, "" for null
    or blank text (other text exactly as it is)."""
    if pd.api.types.is_float_dtype(values):
        return values.astype("str").where(values.notna(), "").astype(object)
    text = as_text(values)
    return text.where(text.str.strip() != "", "").astype(object)


def as_number(values: pd.Series) -> pd.Series:
    """Values as float64, NaN where not a number. Dates and datetimes (datetime64, as the readers
    give variables with a SAS date format) are seconds since 1960-01-01 and times (timedelta64)
    seconds, so that ADaM dates compare in order (ASTDT > AENDT) as their SAS numbers do."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    if pd.api.types.is_datetime64_any_dtype(values):
        return (values - pd.Timestamp("1960-01-01")).dt.total_seconds()
    if pd.api.types.is_timedelta64_dtype(values):
        return values.dt.total_seconds()
    return per_value(_text_number, values)


def _text_number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(as_text(values).str.strip(), errors="coerce").astype("float64")


def date_parts(values: pd.Series) -> pd.DataFrame:
    """Each ISO 8601 value as year … second (NaN where unknown) plus `valid` and `precision`.

    `precision` is the number of leading known parts (1 = year only, 3 = full date, 6 = seconds);
    0 when the value is missing or not ISO 8601. Interval values are read by their first part.
    """
    return per_distinct(_date_parts, as_text(values))


def _date_parts(values: pd.Series) -> pd.DataFrame:
    first = values.str.split("/", n=1).str[0]
    found = first.str.extract(_DATE)
    out = pd.DataFrame(index=values.index)
    for part in PARTS:
        column = found[part]
        if part in ("hour", "minute", "second"):
            column = column.fillna(found["t" + part])
        out[part] = pd.to_numeric(column.where(column != "-"), errors="coerce")
    matched = found["year"].notna() | found["thour"].notna()
    # A value without uncertain parts ("--", "-:") or an interval must also be a real calendar
    # date-time (2023-02-30 is not; 2003-20 is no ISO 8601 date), as CORE's isoparse requires.
    uncertain = values.str.contains(r"--|-:|/", regex=True)
    real = pd.to_datetime(values.where(~uncertain), format="ISO8601", errors="coerce", utc=True).notna()
    out["valid"] = matched & (values != "") & (uncertain | real)
    known = out[list(PARTS)].notna()
    out["precision"] = known.cumprod(axis=1).sum(axis=1).where(out["valid"], 0).astype(int)
    return out


def is_complete_date(values: pd.Series) -> pd.Series:
    """A full calendar date or date-time as Python's fromisoformat accepts it (CORE's test)."""
    return per_distinct(_complete, as_text(values))


def _complete(values: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(values.str.replace("Z", "+00:00", regex=False), format="ISO8601",
                            errors="coerce", utc=True)
    return parsed.notna() & values.str.match(r"^\d{4}-\d{2}-\d{2}")


def timestamps(parts: pd.DataFrame, precision: pd.Series) -> pd.Series:
    """The instant each value names, truncated to `precision` parts (defaults fill the rest)."""
    columns = {}
    for position, (part, default) in enumerate(zip(PARTS, DEFAULTS, strict=True), start=1):
        kept = parts[part].where(precision >= position)
        columns[part] = kept.fillna(default)
    frame = pd.DataFrame(columns).astype("int64", errors="ignore")
    return pd.to_datetime(frame, errors="coerce")
