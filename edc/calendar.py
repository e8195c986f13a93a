"""EDC text formats: dates `DD MON YYYY` (with `UN`/`UNK` for unknown parts), times `HH:MM`.

Dates travel through the simulator as day numbers (days since 1970-01-01, float with NaN for
missing) and become text only here, through a lookup table, so formatting a million dates
costs one array index.
"""

from __future__ import annotations

from functools import cache

import numpy as np

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_FIRST = np.datetime64("1900-01-01", "D")
_LAST = np.datetime64("2100-12-31", "D")
FULL, UNKNOWN_DAY, UNKNOWN_MONTH = 0, 1, 2


@cache
def _tables() -> np.ndarray:
    """Row 0: full dates; row 1: unknown day; row 2: unknown day and month."""
    days = np.arange(_FIRST, _LAST + 1)
    years = days.astype("datetime64[Y]").astype(int) + 1970
    months = days.astype("datetime64[M]").astype(int) % 12
    dom = (days - days.astype("datetime64[M]")).astype(int) + 1
    rows = [[f"{d:02d} {MONTHS[m]} {y}", f"UN {MONTHS[m]} {y}", f"UN UNK {y}"]
            for d, m, y in zip(dom, months, years, strict=True)]
    return np.array(rows).T.copy()


def day_number(text: str) -> int:
    """Day number of an ISO date (`2024-05-14`), for constants in the simulator."""
    return int(np.datetime64(text, "D").astype(int))


def date_text(days, precision=FULL) -> np.ndarray:
    """Day numbers as `DD MON YYYY`; precision UNKNOWN_DAY gives `UN MON YYYY`, UNKNOWN_MONTH
    `UN UNK YYYY`; NaN gives ""."""
    days = np.asarray(days, dtype=float)
    known = ~np.isnan(days)
    tables = _tables()
    index = np.clip(np.where(known, days, 0).astype(np.int64) - int(_FIRST.astype(int)),
                    0, tables.shape[1] - 1)
    precision = np.broadcast_to(np.asarray(precision, dtype=np.int64), days.shape)
    return np.where(known, tables[precision, index], "")


@cache
def _clock() -> np.ndarray:
    return np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)])


def time_text(minutes) -> np.ndarray:
    """Minutes after midnight as `HH:MM`; NaN gives ""."""
    minutes = np.asarray(minutes, dtype=float)
    known = ~np.isnan(minutes)
    return np.where(known, _clock()[np.where(known, minutes, 0).astype(np.int64) % 1440], "")


def number_text(values, decimals: int = 0) -> np.ndarray:
    """Numbers with a fixed number of decimals (so output is byte-stable); NaN gives ""."""
    values = np.asarray(values, dtype=float)
    known = ~np.isnan(values)
    if decimals == 0:
        text = np.round(np.where(known, values, 0)).astype(np.int64).astype(str)
    else:
        spec = f".{decimals}f"
        text = np.array([format(v, spec) for v in np.where(known, values, 0).tolist()], dtype=str)
    return np.where(known, text, "")
