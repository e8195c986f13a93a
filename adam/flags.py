"""Record selection and flags: first/last record per group, existence in another dataset.

admiral's derive_var_extreme_flag (restricted by a filter, as restrict_derivation does)
and derive_var_merged_exist_flag. Order variables sort ascending with missing values
last; prefix a name with "-" to sort it descending (admiral `desc()`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from adam.sources import Condition, compute_condition


def _sort_spec(order: Sequence[str]) -> tuple[list[str], list[bool]]:
    names = [name.lstrip("-") for name in order]
    ascending = [not name.startswith("-") for name in order]
    return names, ascending


def select_extreme_records(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    order: Sequence[str],
    *,
    mode: str = "first",
    filter: Condition = None,
) -> pd.DataFrame:
    """The first (or last) record per `by_vars` by `order`, among records meeting `filter`.

    Ties keep the earlier row of `dataset`, so the result does not depend on sort
    stability across pandas versions.
    """
    if mode not in ("first", "last"):
        raise ValueError(f"mode must be 'first' or 'last', got {mode!r}")
    rows = np.flatnonzero(np.asarray(compute_condition(dataset, filter), dtype=bool))
    names, ascending = _sort_spec(order)
    # Ranked on the order and by variables alone; the chosen rows are taken from the whole
    # dataset once, at the end.
    position = "__row__"
    ranked = dataset[list(dict.fromkeys([*names, *by_vars]))].iloc[rows].assign(**{position: rows})
    ranked = ranked.sort_values(
        [*names, position], ascending=[*ascending, True], na_position="last", kind="stable"
    )
    keep = "first" if mode == "first" else "last"
    chosen = ranked.drop_duplicates(list(by_vars), keep=keep)[position].to_numpy()
    return dataset.iloc[np.sort(chosen)]


def derive_var_extreme_flag(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    order: Sequence[str],
    new_var: str,
    *,
    mode: str = "first",
    filter: Condition = None,
    true_value: str = "Y",
    false_value: str | None = None,
) -> pd.DataFrame:
    """Flag the first (or last) record per `by_vars` by `order` (admiral derive_var_extreme_flag).

    Only records meeting `filter` take part; the others get a missing flag (admiral
    restrict_derivation). Within the records taking part, the rest get `false_value`.
    """
    taking_part = compute_condition(dataset, filter)
    chosen = select_extreme_records(dataset, by_vars, order, mode=mode, filter=filter)
    flag = pd.Series(pd.NA, index=dataset.index, dtype="string")
    if false_value is not None:
        flag = flag.mask(taking_part, false_value)
    flag[chosen.index] = true_value
    return dataset.assign(**{new_var: flag})


def derive_var_merged_exist_flag(
    dataset: pd.DataFrame,
    dataset_add: pd.DataFrame,
    by_vars: Sequence[str],
    new_var: str,
    *,
    condition: Condition = None,
    true_value: str = "Y",
    false_value: str | None = "N",
    missing_value: str | None = "N",
) -> pd.DataFrame:
    """Flag records of `dataset` by whether `dataset_add` has a record meeting `condition`.

    `false_value` when `dataset_add` has records for the group but none meets the
    condition, `missing_value` when it has none at all (admiral derive_var_merged_exist_flag).
    """
    by = list(by_vars)
    met = compute_condition(dataset_add, condition)
    summary = dataset_add[by].assign(__met__=met).groupby(by, as_index=False)["__met__"].any()
    merged = dataset[by].merge(summary, on=by, how="left", validate="many_to_one")
    values = merged["__met__"].map({True: true_value, False: false_value})
    values = values.where(merged["__met__"].notna(), missing_value)
    return dataset.assign(**{new_var: pd.Series(values.to_numpy(), index=dataset.index, dtype="string")})
