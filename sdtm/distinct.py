"""Compute on distinct values only: the speed rule of the SDTM engine.

A study has far fewer distinct dates, folders, time points or (subject, date) pairs than
records, and string work on pandas' Arrow-backed text costs per element. `per_distinct` runs a
vectorised function once on the distinct combinations of its input columns and spreads the
result back to every row, so the function stays simple and its cost follows the number of
distinct values, not of records.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


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
