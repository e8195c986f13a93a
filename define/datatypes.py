"""What define.xml says about a variable's values: DataType, Length, SignificantDigits, from spec and data.

A Char variable is `text`, except ISO 8601 dates (--DTC: `date`, or `datetime` when any value
has a time part) and durations (--DUR, --ELTM ...: `durationDatetime`). A Num variable is
`integer` when every value is whole (SAS dates and times always are), else `float` with the
decimals the data need as SignificantDigits. Length is the longest value in bytes, as the XPT
writer measures it, unless the spec fixes it; numbers are 8 bytes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from specs.dataset import _byte_lengths, format_kind

DURATION_SUFFIXES = ("DUR", "ELTM", "EVLINT", "STINT", "ENINT")
ISO_DATE_TYPES = frozenset({"date", "datetime", "time", "durationDatetime", "partialDate",
                            "partialTime", "partialDatetime", "intervalDatetime",
                            "incompleteDatetime", "incompleteDate", "incompleteTime"})
NUMERIC_TYPES = frozenset({"integer", "float", "double", "hexFloat", "base64Float"})
MAX_DECIMALS = 8
NUM_LENGTH = 8


def as_text(series: pd.Series) -> pd.Series:
    """Values as text, "" for missing; whole numbers without a trailing `.0` (1.0 → "1")."""
    if series.dtype.kind in "iuf":
        numbers = series.astype("float64")
        text = numbers.astype(str)
        whole = numbers.notna() & (numbers == np.floor(numbers))
        text[whole] = numbers[whole].astype("int64").astype(str)
        return text.where(numbers.notna(), "")
    if series.dtype.kind in "mM":
        return series.astype(str).where(series.notna(), "")
    return series.astype("string").fillna("").astype(str)


def present_values(series: pd.Series) -> pd.Series:
    """The non-blank values as stripped text."""
    text = as_text(series).str.strip()
    return text[text != ""]


def numbers_of(series: pd.Series) -> pd.Series:
    """The values that are numbers, as float64 (text that is not a number is left out)."""
    if series.dtype.kind in "iuf":
        return series.astype("float64").dropna()
    if series.dtype.kind in "mM":
        return pd.Series(dtype="float64")
    return pd.to_numeric(present_values(series), errors="coerce").dropna().astype("float64")


def compute_data_type(name: str, sas_type: str, values: pd.Series | None, *,
                      display_format: str | None = None, significant_digits: int | None = None) -> str:
    """The Define-XML DataType of a variable, or of a value-level slice given the slice's own type.

    A value-level slice declared Num in a Char column (TRORRES where TRTESTCD = DIAMETER) holds
    numbers as text: it is `integer` or `float` like a Num variable.
    """
    if sas_type == "Char":
        if name.endswith("DTC"):
            if values is None:
                return "datetime"
            return "datetime" if present_values(values).str.contains("T").any() else "date"
        if name.endswith(DURATION_SUFFIXES):
            return "durationDatetime"
        return "text"
    if format_kind(display_format) or (values is not None and values.dtype.kind in "mM"):
        return "integer"
    if significant_digits:
        return "float"
    numbers = numbers_of(values) if values is not None else None
    if numbers is None or numbers.empty:
        return "integer"
    return "integer" if bool((numbers == np.floor(numbers)).all()) else "float"


def compute_significant_digits(values: pd.Series | None) -> int | None:
    """Decimal places the numbers need (at most MAX_DECIMALS); None without numbers."""
    numbers = numbers_of(values) if values is not None else None
    if numbers is None or numbers.empty:
        return None
    array = numbers.unique()
    for decimals in range(MAX_DECIMALS + 1):
        if np.allclose(array, np.round(array, decimals), rtol=0, atol=1e-9):
            return decimals
    return MAX_DECIMALS


def compute_length(sas_type: str, values: pd.Series | None, fixed: int | None = None) -> int | None:
    """Define-XML Length: the spec's fixed length, else the longest value in bytes (≥ 1); Num 8.

    None when there is neither a fixed length nor data to measure.
    """
    if sas_type != "Char":
        return NUM_LENGTH
    if fixed is not None:
        return fixed
    if values is None:
        return None
    return longest_bytes(values)


def longest_bytes(values: pd.Series) -> int:
    """The longest value in UTF-8 bytes, at least 1 (XPT cannot store a zero-width column)."""
    sizes = byte_lengths(values)
    return max(int(sizes.max()) if len(sizes) else 0, 1)


def byte_lengths(values: pd.Series) -> pd.Series:
    """Each value's length in UTF-8 bytes as `as_text` writes it (missing 0, 1.0 as "1" = 1)."""
    return _byte_lengths(as_text(values))

