"""Whether a sequence variable follows the order of another variable (--SEQ by --STDTC), per group.

CORE's `target_is_sorted_by` (cdisc_rules_engine/check_operators/dataframe_operators.py) marks a
record out of order when, within its group and with records taken in target order (--SEQ):
- its comparator is null but a record with a comparator comes later (nulls belong last), or
  the other way round for `null_position: first`;
- its comparator date overlaps that of another record at a different precision (2005-10 and
  2005-10-08: the order between them cannot be known);
- its target is not the one found at its position when the other records are sorted by the
  comparator; or its comparator is below the previous record's or above the next one's.
Here each step is a sort, a group shift or a merge over whole columns.
"""

from __future__ import annotations

import pandas as pd

from qc.engine.values import as_text, date_parts


def sorted_by(frame: pd.DataFrame, target: str, within: list[str], comparator: str, ascending: bool,
              nulls_last: bool) -> pd.Series:
    """True for the rows of `frame` in order; `within` columns group the rows."""
    work = pd.DataFrame({"_target": frame[target], "_by": frame[comparator]}, index=frame.index)
    work["_group"] = frame.groupby(within, sort=False, dropna=False).ngroup() if within else 0
    work["_position"] = range(len(work))
    work = work.sort_values(["_group", "_target", "_position"], kind="stable", na_position="last")
    text = as_text(work["_by"])
    work["_null"] = text.str.strip() == ""
    numeric = pd.api.types.is_numeric_dtype(work["_by"])
    valid = _null_positions(work, nulls_last)
    overlapping = pd.Series(False, index=work.index) if numeric else _overlaps(work["_group"], text)
    ordered = _positions_agree(work[~work["_null"] & ~overlapping], ascending)
    neighbours = _neighbours_agree(work[~work["_null"]], text, numeric, ascending)
    valid &= ~overlapping & ordered.reindex(work.index, fill_value=True)
    valid &= neighbours.reindex(work.index, fill_value=True)
    return valid.reindex(frame.index)


def _null_positions(work: pd.DataFrame, nulls_last: bool) -> pd.Series:
    """False for the null comparators of a group where a null comes before (after) a value."""
    rank = work.groupby("_group").cumcount()
    nulls = rank.where(work["_null"])
    values = rank.where(~work["_null"])
    by_group = work["_group"]
    if nulls_last:
        misplaced = nulls.groupby(by_group).transform("min") < values.groupby(by_group).transform("max")
    else:
        misplaced = nulls.groupby(by_group).transform("max") > values.groupby(by_group).transform("min")
    return ~(misplaced & work["_null"])


def _overlaps(groups: pd.Series, text: pd.Series) -> pd.Series:
    """Rows whose date is a prefix of (or has as prefix) a date of another precision in the group."""
    parts = date_parts(text)
    known = text.str.split("--", n=1).str[0]
    precision = known.str.count(r"[^-T:]+").where(parts["valid"], 0)
    out = pd.Series(False, index=text.index)
    dated = precision > 0
    for level in sorted(set(precision[dated])):
        coarse = dated & (precision == level)
        for length in set(known[coarse].str.len()):
            short = coarse & (known.str.len() == length)
            fine = dated & (precision > level)
            coarse_keys = pd.MultiIndex.from_arrays([groups[short], known[short]])
            fine_keys = pd.MultiIndex.from_arrays([groups[fine], known[fine].str[:length]])
            out[short] |= coarse_keys.isin(fine_keys)
            out[fine] |= fine_keys.isin(coarse_keys)
    return out


def _positions_agree(rows: pd.DataFrame, ascending: bool) -> pd.Series:
    """Whether each row's target equals the target at its position in comparator order."""
    actual = rows.assign(_at=rows.groupby("_group").cumcount())
    expected = rows.sort_values(["_group", "_by"], ascending=[True, ascending], kind="stable")
    expected = expected.assign(_at=expected.groupby("_group").cumcount())[["_group", "_at", "_target"]]
    merged = actual.reset_index().merge(expected, on=["_group", "_at"], suffixes=("", "_expected"))
    both_null = merged["_target"].isna() & merged["_target_expected"].isna()
    same = (merged["_target"] == merged["_target_expected"]).fillna(False).astype(bool)
    return pd.Series((both_null | same).to_numpy(), index=merged["index"].to_numpy())


def _neighbours_agree(rows: pd.DataFrame, text: pd.Series, numeric: bool, ascending: bool) -> pd.Series:
    """Whether each row's comparator lies between its neighbours' in target order (dates and
    numbers only; text dates compare as text, which orders ISO 8601 values)."""
    values = rows["_by"] if numeric else text[rows.index]
    previous = values.groupby(rows["_group"]).shift(1)
    following = values.groupby(rows["_group"]).shift(-1)
    if ascending:
        wrong = (values < previous) | (values > following)
    else:
        wrong = (values > previous) | (values < following)
    comparable = pd.Series(True, index=rows.index) if numeric else date_parts(values)["valid"]
    return ~(wrong.fillna(False).astype(bool) & comparable)
