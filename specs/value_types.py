"""A dataset's values against the type its spec declares (Char or Num), refused naming the place.

Readers give Char variables as text and Num variables as numbers (or datetimes, for a SAS date
format), whoever wrote the file; a file from elsewhere may still hold text in a Num variable or
numbers in a Char one. Steps that compute on the values check them first (`adam.inputs`,
`define.inputs`), so that such a file is refused with its file, row, variable and value instead
of failing, or silently giving wrong results, deep inside a derivation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from specs.errors import InputError


def refuse(dataset: str, values: pd.Series, bad: pd.Series, file: str, expected: str) -> None:
    """InputError at the first row where `bad` holds (rows count from 1, as in the file)."""
    if not bad.any():
        return
    row = int(bad.to_numpy().argmax())
    value = values.iloc[row]
    raise InputError(
        f"{dataset}.{values.name} holds a value that is not valid", file=file, row=row + 1,
        column=str(values.name), value=value.item() if isinstance(value, np.generic) else value,
        expected=expected,
    )


def as_numbers(dataset: str, values: pd.Series, file: str) -> pd.Series:
    """A Num variable's values as numbers (or datetimes): numeric text is read as numbers, other
    text is refused."""
    kind = values.dtype
    if pd.api.types.is_bool_dtype(kind):
        refuse(dataset, values, values.notna(), file, "a number (Num in the spec)")
    if (pd.api.types.is_numeric_dtype(kind) or pd.api.types.is_datetime64_any_dtype(kind)
            or pd.api.types.is_timedelta64_dtype(kind)):
        return values
    text = values.astype("string").str.strip()
    parsed = pd.to_numeric(text.where(text != ""), errors="coerce")
    refuse(dataset, values, (text.notna() & (text != "") & parsed.isna()).fillna(False), file,
           "a number (Num in the spec)")
    return parsed.astype("float64")


def check_char(dataset: str, values: pd.Series, file: str) -> None:
    """A Char variable holds text (or nothing)."""
    # For object columns pandas looks at the values: text (or nothing but missing values) passes.
    if pd.api.types.is_string_dtype(values):
        return
    not_text = values.map(lambda v: not isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
    refuse(dataset, values, not_text, file, "text (Char in the spec)")
