"""Scale scores of the EORTC QLQ-C15-PAL (docs/clinical.md section 6).

Sources: EORTC QLQ-C30 Scoring Manual, 3rd edition (2001), for the scoring algorithm;
Groenvold et al., Eur J Cancer 2006;42:55-64, for which QLQ-C30 items the 15 items are.

For every scale the raw score RS is the mean of its answered items; with range = highest
minus lowest response, a functional scale scores 100 * (1 - (RS - 1) / range) and a symptom
scale or the global item 100 * (RS - 1) / range. A scale is scored when at least half of its
items are answered (the manual's half rule: the missing items are taken to be the mean of
the answered ones, which leaves RS unchanged).

The QLQ-C15-PAL manual also offers tables that put the four shortened scales (PF, EF, FA,
NV) on the QLQ-C30 metric; they are not applied here, so those four scores are on the
C15-PAL's own 0-100 metric.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

PARCAT2_BY_KIND = {"functional": "Functional", "symptom": "Symptom", "global": "Global"}


@dataclass(frozen=True)
class ScaleDefinition:
    """One scale: its code, label, items (C15-PAL item numbers), response range and kind."""

    code: str
    label: str
    items: tuple[int, ...]
    item_range: tuple[int, int]
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in PARCAT2_BY_KIND:
            raise ValueError(f"scale {self.code}: kind {self.kind!r} is not one of "
                             f"{sorted(PARCAT2_BY_KIND)}")


FOUR_POINT = (1, 4)
SEVEN_POINT = (1, 7)

# Item numbers are the C15-PAL's; the QLQ-C30 items they come from are in the comments.
C15PAL_SCALES: tuple[ScaleDefinition, ...] = (
    ScaleDefinition("PF", "Physical functioning", (1, 2, 3), FOUR_POINT, "functional"),  # 3-5
    ScaleDefinition("EF", "Emotional functioning", (13, 14), FOUR_POINT, "functional"),  # 21, 24
    ScaleDefinition("FA", "Fatigue", (7, 11), FOUR_POINT, "symptom"),  # 12, 18
    ScaleDefinition("NV", "Nausea and vomiting", (9,), FOUR_POINT, "symptom"),  # 14
    ScaleDefinition("PA", "Pain", (5, 12), FOUR_POINT, "symptom"),  # 9, 19
    ScaleDefinition("DY", "Dyspnoea", (4,), FOUR_POINT, "symptom"),  # 8
    ScaleDefinition("SL", "Insomnia", (6,), FOUR_POINT, "symptom"),  # 11
    ScaleDefinition("AP", "Appetite loss", (8,), FOUR_POINT, "symptom"),  # 13
    ScaleDefinition("CO", "Constipation", (10,), FOUR_POINT, "symptom"),  # 16
    ScaleDefinition("QL", "Overall quality of life", (15,), SEVEN_POINT, "global"),  # 30
)


def compute_scale_score(raw_score, *, low=1, high=4, kind="symptom") -> np.ndarray:
    """Linear transformation of a raw score (mean item response) to 0-100.

    Arguments broadcast, so whole columns of raw scores, ranges and kinds can be passed.
    """
    share = (np.asarray(raw_score, dtype=float) - np.asarray(low)) / (
        np.asarray(high) - np.asarray(low))
    return np.where(np.asarray(kind) == "functional", 100 * (1 - share), 100 * share)


def _scale_table(scales: Sequence[ScaleDefinition]) -> pd.DataFrame:
    rows = [(s.code, item, s.item_range[0], s.item_range[1]) for s in scales for item in s.items]
    table = pd.DataFrame(rows, columns=["_scale", "_item", "_low", "_high"])
    shared = table[table["_item"].duplicated(keep=False)]
    ranges = shared.groupby("_item")[["_low", "_high"]].nunique()
    if (ranges > 1).any(axis=None):
        raise ValueError(f"items {sorted(ranges.index)} belong to scales with different ranges")
    return table


def compute_scale_scores(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    *,
    item_var: str = "QSTESTCD",
    value_var: str = "QSSTRESN",
    item_codes: Mapping[str, int] | None = None,
    item_columns: Mapping[str, int] | None = None,
    scales: Sequence[ScaleDefinition] = C15PAL_SCALES,
    min_answered_fraction: float = 0.5,
    paramcd_prefix: str = "",
) -> pd.DataFrame:
    """Scale scores of each form (one form = one combination of ``by_vars``).

    Long input: one row per item, ``item_var`` naming the item (through ``item_codes``,
    code -> item number; without it ``item_var`` holds item numbers) and ``value_var`` the
    response, NaN when not answered. Wide input: ``item_columns`` maps column -> item number.
    Returns one row per form and scale with the by-variables, PARAMCD (``paramcd_prefix`` +
    scale code), PARCAT2 (Functional / Symptom / Global) and AVAL, NaN when fewer than
    ``min_answered_fraction`` of the scale's items are answered. A response outside the
    item's range, or an item answered twice on one form, is an error.
    """
    keys = list(by_vars)
    if item_columns is not None:
        long = dataset[keys + list(item_columns)].melt(
            id_vars=keys, var_name="_code", value_name="_value")
        long["_item"] = long["_code"].map(dict(item_columns))
    else:
        long = dataset[keys].assign(_code=dataset[item_var], _value=dataset[value_var])
        codes = long["_code"] if item_codes is None else long["_code"].map(dict(item_codes))
        long["_item"] = pd.to_numeric(codes, errors="coerce")
    long["_value"] = pd.to_numeric(long["_value"], errors="coerce").astype(float)

    table = _scale_table(scales)
    scored = long.merge(table, on="_item", how="inner")
    answered = scored[scored["_value"].notna()]
    out_of_range = answered[(answered["_value"] < answered["_low"])
                            | (answered["_value"] > answered["_high"])
                            | (answered["_value"] % 1 != 0)]
    if len(out_of_range):
        bad = out_of_range.iloc[0]
        raise ValueError(f"compute_scale_scores: {bad[keys].to_dict()} item {bad['_code']!r} "
                         f"has response {bad['_value']}, expected an integer "
                         f"{int(bad['_low'])}-{int(bad['_high'])}")
    twice = answered.duplicated(keys + ["_scale", "_item"])
    if twice.any():
        bad = answered[twice].iloc[0]
        raise ValueError(f"compute_scale_scores: {bad[keys].to_dict()} item {bad['_code']!r} "
                         "is answered more than once")

    stats = (answered.groupby(keys + ["_scale"], dropna=False)["_value"]
             .agg(_n="count", _raw="mean").reset_index())
    forms = dataset[keys].drop_duplicates()
    definitions = pd.DataFrame({
        "_scale": [s.code for s in scales],
        "_n_items": [len(s.items) for s in scales],
        "_low": [s.item_range[0] for s in scales],
        "_high": [s.item_range[1] for s in scales],
        "_kind": [s.kind for s in scales],
        "_order": range(len(scales)),
    })
    result = forms.merge(definitions, how="cross").merge(stats, on=keys + ["_scale"],
                                                         how="left")
    enough = result["_n"].fillna(0) >= min_answered_fraction * result["_n_items"]
    score = compute_scale_score(result["_raw"], low=result["_low"], high=result["_high"],
                                kind=result["_kind"])
    result = result.assign(
        PARAMCD=paramcd_prefix + result["_scale"],
        PARCAT2=result["_kind"].map(PARCAT2_BY_KIND),
        AVAL=np.where(enough, score, np.nan),
    )
    result = result.sort_values(keys + ["_order"], kind="mergesort")
    return result[keys + ["PARAMCD", "PARCAT2", "AVAL"]].reset_index(drop=True)
