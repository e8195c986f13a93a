"""Vectorised helpers for pandas' Arrow-backed text columns.

pandas 3's `Series.isin` on Arrow text turns every lookup value into an Arrow scalar in Python
first, which costs seconds when the lookup is the two million keys of another dataset.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def is_in(values: pd.Series, lookup: Iterable[str] | pd.Series) -> pd.Series:
    """`values.isin(lookup)` for text, computed by Arrow; missing values are never in the lookup."""
    keys = lookup if isinstance(lookup, pd.Series) else pd.Series(list(lookup), dtype="str")
    found = pc.is_in(_text(values), value_set=_text(keys.drop_duplicates()), skip_nulls=True)
    return pd.Series(pc.fill_null(found, False).to_numpy(zero_copy_only=False), index=values.index)


def _text(series: pd.Series) -> pa.Array:
    array = pa.array(series.astype("str"), type=pa.large_string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
