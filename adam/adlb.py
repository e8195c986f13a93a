"""ADLB: cytokines (IL-6, IFN-gamma, ferritin, CRP) around the CAR-T infusion (docs/clinical.md section 3).

From SDTM LB (LBCAT ``CYTOKINES``) and ADSL:

- PARAMCD = LBTESTCD, AVAL = LBSTRESN, AVALU, ANRLO/ANRHI/ANRIND;
- ABLFL: last non-missing value on or before the infusion: by date and time where both
  are known (a day-0 sample drawn before the infusion counts, one drawn after does not),
  else by date (a day-0 sample without time counts); BASE; CHG and PCHG after it;
- AVISIT: BASELINE for the baseline record, the scheduled VISIT after the infusion,
  none for other pre-infusion or unscheduled records; ANL01FL: the last non-missing record
  per analysis visit (admiral ADLB template);
- per test two derived parameters: the peak post-infusion value (``<code>PK``, the first
  time it is reached, DTYPE MAXIMUM) and the peak fold change from baseline (``<code>FC`` =
  peak / BASE, missing when BASE is 0 or missing); neither carries BASE (no baseline record of
  its own, ADaMIG rule 127). Codes are the test code's first six characters plus PK/FC
  (FERRITIN → FERRITPK), unless ``derived_paramcd`` names them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from adam.adsl import convert_blanks_to_na
from adam.bds import (
    compute_on_or_before,
    compute_ratio,
    derive_param_extreme_record,
    derive_var_ablfl,
    derive_var_base,
    derive_var_chg,
    derive_var_pchg,
)
from adam.dates import compute_dt, compute_dtm, derive_vars_dy
from adam.flags import derive_var_extreme_flag
from adam.params import AdslVar, AdslVars

UNSCHEDULED_PATTERN = r"^UNSCHED"


def compute_derived_paramcd(
    codes: Sequence[str], suffix: str, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Code of a derived parameter per test code: the first 6 characters + ``suffix`` (≤ 8)."""
    result = {code: (overrides or {}).get(code, code[: 8 - len(suffix)] + suffix) for code in codes}
    clash = pd.Series(result).duplicated(keep=False)
    if clash.any():
        raise ValueError(f"derived parameter codes clash: {sorted(pd.Series(result)[clash].index)}; "
                         "name them in derived_paramcd")
    return result


def compute_anrind(aval: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """LOW / HIGH / NORMAL against the reference range; missing without a value or range."""
    indicator = pd.Series(pd.NA, index=aval.index, dtype="string")
    known = aval.notna() & (low.notna() | high.notna())
    indicator = indicator.mask(known, "NORMAL")
    indicator = indicator.mask(known & (aval < low).fillna(False), "LOW")
    return indicator.mask(known & (aval > high).fillna(False), "HIGH")


def _number(data: pd.DataFrame, *names: str) -> pd.Series:
    values = pd.Series(np.nan, index=data.index)
    for name in names:
        if name in data:
            values = values.fillna(pd.to_numeric(data[name], errors="coerce").astype(float))
    return values


def build_adlb(
    lb: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    category: str | None = "CYTOKINES",
    peak_window_days: float | None = None,
    derived_paramcd: Mapping[str, Sequence[str]] | None = None,
    reference_date: AdslVar = "TRTSDT",
    reference_datetime: AdslVar = "TRTSDTM",
    baseline_avisitn: float = 0.0,
    adsl_vars: AdslVars = ("TRT01A",),
    subject_keys: Sequence[str] = ("STUDYID", "USUBJID"),
) -> pd.DataFrame:
    """ADLB from LB (records with LBCAT = ``category``; None takes all) and ADSL.

    ``peak_window_days``: the peak is searched among samples up to that many days after the
    infusion (None: all post-infusion samples). ``derived_paramcd`` maps a test code to its
    (peak, fold change) parameter codes.
    """
    keys = list(subject_keys)
    data = convert_blanks_to_na(lb)
    if category is not None:
        data = data[(data["LBCAT"] == category).fillna(False)]
    wanted = [v for v in dict.fromkeys([reference_date, reference_datetime, *adsl_vars]) if v in adsl]
    data = data.merge(adsl[[*keys, *wanted]], on=keys, how="left", validate="many_to_one")
    unit = data["LBSTRESU"].astype("string")
    data = data.assign(
        ADT=compute_dt(data["LBDTC"]),
        ADTM=compute_dtm(data["LBDTC"]),
        PARAMCD=data["LBTESTCD"],
        PARAM=(data["LBTEST"].astype("string") + (" (" + unit + ")").fillna("")),
        AVAL=_number(data, "LBSTRESN"),
        AVALU=unit,
        ANRLO=_number(data, "LBSTNRLO", "LBORNRLO"),
        ANRHI=_number(data, "LBSTNRHI", "LBORNRHI"),
    )
    data["ANRIND"] = compute_anrind(data["AVAL"], data["ANRLO"], data["ANRHI"])
    data = derive_vars_dy(data, reference_date=reference_date, source_vars=["ADT"])

    by = [*keys, "PARAMCD"]
    order = [v for v in ("ADT", "ADTM", "LBSEQ") if v in data]
    timing = {"reference_date": reference_date, "reference_datetime": reference_datetime,
              "datetime_var": "ADTM"}
    data = derive_var_ablfl(data, by, order, **timing)
    data = derive_var_base(data, by)
    # Without an infusion nothing is post-infusion: no change, visit or peak for that subject.
    post = ~compute_on_or_before(data, **timing) & data["ADT"].notna() & data[reference_date].notna()
    data = derive_var_chg(data, filter=lambda _: post)
    data = derive_var_pchg(data, filter=lambda _: post)

    scheduled = ~data["VISIT"].astype("string").str.upper().str.contains(UNSCHEDULED_PATTERN).fillna(True)
    visit = post & scheduled
    baseline = data["ABLFL"].eq("Y").fillna(False)
    data["AVISIT"] = data["VISIT"].astype("string").where(visit).mask(baseline, "BASELINE")
    data["AVISITN"] = pd.to_numeric(data["VISITNUM"], errors="coerce").where(visit).mask(
        baseline, baseline_avisitn)
    data = derive_var_extreme_flag(data, [*by, "AVISITN"], order, "ANL01FL",
                                   mode="last", filter="AVAL.notna() and AVISITN.notna()")

    in_window = post
    if peak_window_days is not None:
        days = (data["ADT"] - pd.to_datetime(data[reference_date]).dt.normalize()).dt.days
        in_window = post & (days <= peak_window_days).fillna(False)
    codes = data["PARAMCD"].dropna().unique().tolist()
    names = dict(derived_paramcd or {})
    peak_codes = compute_derived_paramcd(codes, "PK", {c: v[0] for c, v in names.items()})
    fold_codes = compute_derived_paramcd(codes, "FC", {c: v[1] for c, v in names.items()})
    peaks = derive_param_extreme_record(
        data.assign(_window=in_window), by, ["-AVAL", *order],
        filter="_window and AVAL.notna()", paramcd=peak_codes,
    )
    test = peaks["LBTEST"].astype("string")
    # A derived parameter has no baseline record of its own, so no BASE either (ADaMIG rule 127).
    summary_drop = {"BASE": np.nan, "CHG": np.nan, "PCHG": np.nan, "ABLFL": pd.NA, "AVISIT": pd.NA,
                    "AVISITN": np.nan, "ANRIND": pd.NA}
    peak_rows = peaks.assign(
        PARAM="Peak post-infusion " + test + (" (" + peaks["AVALU"].astype("string") + ")").fillna(""),
        DTYPE="MAXIMUM", ANL01FL="Y", **summary_drop,
    )
    fold = compute_ratio(peaks["AVAL"], peaks["BASE"])
    fold_rows = peaks.assign(
        PARAMCD=peaks["LBTESTCD"].map(fold_codes),
        PARAM="Peak fold change from baseline in " + test,
        AVAL=fold,
        AVALU=pd.NA,
        ANL01FL=pd.Series("Y", index=peaks.index, dtype="string").where(fold.notna()),
        **summary_drop,
    )
    adlb = pd.concat([data, peak_rows, fold_rows], ignore_index=True).drop(columns="_window")
    adlb = adlb.sort_values([*keys, "PARAMCD", "ADT", "ADTM"], kind="stable", na_position="last")
    adlb = adlb.reset_index(drop=True)
    adlb["ASEQ"] = (adlb.groupby(keys, sort=False).cumcount() + 1).astype(float)
    return adlb
