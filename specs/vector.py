"""Vectorised helpers every layer shares: compute on distinct values, membership of Arrow text.

A study has far fewer distinct dates, folders, time points or (subject, date) pairs than
records, and string work on pandas' Arrow-backed text costs per element. `per_distinct` runs a
vectorised function once on the distinct combinations of its input columns and spreads the
result back to every row, so the function stays simple and its cost follows the number of
distinct values, not of records.

pandas 3's `Series.isin` on Arrow text turns every lookup value into an Arrow scalar in Python
first, which costs seconds when the lookup is the two million keys of another dataset: `is_in`
asks Arrow directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def factorize_rows(*columns: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..k-1 of the distinct combinations of `columns` (missing is a value like any other)
    in order of first appearance, and the position of each combination's first row."""
    codes, _ = pd.factorize(columns[0], use_na_sentinel=False)
    for column in columns[1:]:
        part, uniques = pd.factorize(column, use_na_sentinel=False)
        # Re-coded after each column, so the combined code never exceeds the number of rows.
        codes, _ = pd.factorize(codes.astype(np.int64) * max(len(uniques), 1) + part)
    # Codes number the combinations in order of first appearance, so the first occurrences
    # in row order are the combinations 0, 1, 2 ...
    first = pd.Series(codes).drop_duplicates().index.to_numpy()
    return codes, first


def per_distinct(fn: Callable[..., pd.Series | pd.DataFrame], *columns: pd.Series
                 ) -> pd.Series | pd.DataFrame:
    """`fn(*columns)`, evaluated once per distinct combination of the columns' values.

    `fn` must be row-wise (each output row depends on its input row alone) and return a
    Series or DataFrame aligned with its inputs; the result is aligned with `columns[0]`.
    """
    index = columns[0].index
    codes, first = factorize_rows(*columns)
    parts = [c.iloc[first].reset_index(drop=True) for c in columns]
    result = fn(*parts)
    return result.iloc[codes].set_axis(index)


def is_in(values: pd.Series, lookup: Iterable[str] | pd.Series) -> pd.Series:
    """`values.isin(lookup)` for text, computed by Arrow; missing values are never in the lookup."""
    keys = lookup if isinstance(lookup, pd.Series) else pd.Series(list(lookup), dtype="str")
    found = pc.is_in(_text(values), value_set=_text(keys.drop_duplicates()), skip_nulls=True)
    return pd.Series(pc.fill_null(found, False).to_numpy(zero_copy_only=False), index=values.index)


def _text(series: pd.Series) -> pa.Array:
    array = pa.array(series.astype("str"), type=pa.large_string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
