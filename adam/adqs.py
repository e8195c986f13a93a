"""ADQS: EORTC QLQ-C15-PAL items and scale scores (docs/clinical.md section 6).

From SDTM QS (QSCAT ``EORTC QLQ-C15-PAL V1.0``, sponsor QSTESTCD C15P01-C15P15 per
specs/studies/ovarian/codelists.yaml) and ADSL:

- one parameter per item (PARAMCD = QSTESTCD, AVAL = QSSTRESN) and per scale (PF, EF, FA,
  NV, PA, DY, SL, AP, CO, QL from `adam.qlq.compute_scale_scores`, half rule); the
  not-done form records (QSTESTCD QSALL) carry no value and are left out;
- PARCAT1 the instrument, PARCAT2 Functional / Symptom / Global (an item takes its scale's);
- ABLFL: last non-missing value on or before the infusion date (TRTSDT), BASE, CHG for
  records after that date;
- AVISIT/AVISITN from analysis windows on ADY, and ANL01FL: per subject, parameter and
  window the non-missing record closest to the target day, the later one on a tie.

**Decision (windows).** The default windows are contiguous, so no assessment is lost:
each runs to the midpoint between its target and the next (rounded down), on ADY, where
protocol day d >= 0 is ADY d + 1. Targets are the QLQ visits of Study A (days 28, 90, 180,
270, 365); the baseline window is every day up to the infusion day (ADY 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from adam.adsl import convert_blanks_to_na
from adam.bds import (
    compute_on_or_before,
    derive_var_ablfl,
    derive_var_anl01fl,
    derive_var_base,
    derive_var_chg,
    derive_vars_avisit,
)
from adam.dates import compute_dt, derive_vars_dy
from adam.params import AdslVar, AdslVars
from adam.qlq import C15PAL_SCALES, PARCAT2_BY_KIND, ScaleDefinition, compute_scale_scores

QSCAT = "EORTC QLQ-C15-PAL V1.0"
INSTRUMENT = "EORTC QLQ-C15-PAL"
C15PAL_ITEM_CODES = {f"C15P{number:02d}": number for number in range(1, 16)}
FORM_KEYS = ("STUDYID", "USUBJID", "VISITNUM", "VISIT", "QSDTC")
QLQ_WINDOWS = (
    {"AVISIT": "BASELINE", "AVISITN": 0, "AWTARGET": 1, "AWLO": None, "AWHI": 1},
    {"AVISIT": "DAY 28", "AVISITN": 28, "AWTARGET": 29, "AWLO": 2, "AWHI": 60},
    {"AVISIT": "MONTH 3", "AVISITN": 90, "AWTARGET": 91, "AWLO": 61, "AWHI": 136},
    {"AVISIT": "MONTH 6", "AVISITN": 180, "AWTARGET": 181, "AWLO": 137, "AWHI": 226},
    {"AVISIT": "MONTH 9", "AVISITN": 270, "AWTARGET": 271, "AWLO": 227, "AWHI": 318},
    {"AVISIT": "MONTH 12", "AVISITN": 365, "AWTARGET": 366, "AWLO": 319, "AWHI": None},
)


def derive_param_scale_scores(
    dataset: pd.DataFrame,
    by_vars: Sequence[str] = FORM_KEYS,
    *,
    item_codes: Mapping[str, int] = C15PAL_ITEM_CODES,
    scales: Sequence[ScaleDefinition] = C15PAL_SCALES,
    min_answered_fraction: float = 0.5,
    set_values_to: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Scale-score parameter rows (one per form and scale) from item rows (PARAMCD, AVAL).

    A form is one combination of ``by_vars``. Returns the new rows only, with PARAM the
    scale's label and PARCAT2 its kind.
    """
    scores = compute_scale_scores(
        dataset, by_vars, item_var="PARAMCD", value_var="AVAL", item_codes=item_codes,
        scales=scales, min_answered_fraction=min_answered_fraction,
    )
    labels = {scale.code: scale.label for scale in scales}
    scores["PARAM"] = scores["PARAMCD"].map(labels).astype("string")
    for name, value in (set_values_to or {}).items():
        scores[name] = value
    return scores


def _item_parcat2(item_codes: Mapping[str, int], scales: Sequence[ScaleDefinition]) -> dict[str, str]:
    kind_of_item: dict[int, str] = {}
    for scale in scales:
        for item in scale.items:
            kind_of_item.setdefault(item, PARCAT2_BY_KIND[scale.kind])
    return {code: kind_of_item[number] for code, number in item_codes.items() if number in kind_of_item}


def build_adqs(
    qs: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    category: str = QSCAT,
    instrument: str = INSTRUMENT,
    item_codes: Mapping[str, int] = C15PAL_ITEM_CODES,
    scales: Sequence[ScaleDefinition] = C15PAL_SCALES,
    min_answered_fraction: float = 0.5,
    windows: Sequence[Mapping[str, object]] = QLQ_WINDOWS,
    reference_date: AdslVar = "TRTSDT",
    form_vars: Sequence[str] = FORM_KEYS,
    adsl_vars: AdslVars = ("TRT01A",),
    subject_keys: Sequence[str] = ("STUDYID", "USUBJID"),
) -> pd.DataFrame:
    """ADQS from QS (records with QSCAT = ``category`` and QSTESTCD in ``item_codes``) and ADSL.

    ``item_codes`` maps QSTESTCD to the C15-PAL item number; ``windows`` is a window table
    on ADY (`adam.bds.derive_vars_avisit`); ``reference_date`` the ADSL date baseline is
    on or before and ADY counts from.
    """
    keys = list(subject_keys)
    data = convert_blanks_to_na(qs)
    data = data[(data["QSCAT"] == category).fillna(False) & data["QSTESTCD"].isin(list(item_codes))]
    items = data.assign(
        PARAMCD=data["QSTESTCD"],
        PARAM=data["QSTEST"],
        PARCAT2=data["QSTESTCD"].map(_item_parcat2(item_codes, scales)).astype("string"),
        AVAL=pd.to_numeric(data["QSSTRESN"], errors="coerce").astype(float),
    )
    scores = derive_param_scale_scores(
        items, form_vars, item_codes=item_codes, scales=scales,
        min_answered_fraction=min_answered_fraction,
    )
    adqs = pd.concat([items, scores], ignore_index=True).assign(PARCAT1=instrument)
    order = {code: i + 1 for i, code in enumerate([*item_codes, *(s.code for s in scales)])}
    adqs["PARAMN"] = adqs["PARAMCD"].map(order).astype(float)

    wanted = [v for v in dict.fromkeys([reference_date, *adsl_vars]) if v in adsl]
    adqs = adqs.merge(adsl[[*keys, *wanted]], on=keys, how="left", validate="many_to_one")
    adqs["ADT"] = compute_dt(adqs["QSDTC"])
    adqs = derive_vars_dy(adqs, reference_date=reference_date, source_vars=["ADT"])
    adqs = derive_vars_avisit(adqs, windows)
    by = [*keys, "PARAMCD"]
    adqs = derive_var_ablfl(adqs, by, ["ADT", "VISITNUM"], reference_date=reference_date)
    adqs = derive_var_base(adqs, by)
    after = ~compute_on_or_before(adqs, reference_date=reference_date) & adqs["ADT"].notna()
    adqs = derive_var_chg(adqs, filter=lambda _: after)
    adqs = derive_var_anl01fl(adqs, [*by, "AVISITN"])
    adqs = adqs.sort_values([*keys, "PARAMN", "ADT", "VISITNUM"], kind="stable", na_position="last")
    adqs = adqs.reset_index(drop=True)
    adqs["ASEQ"] = (adqs.groupby(keys, sort=False).cumcount() + 1).astype(float)
    return adqs
