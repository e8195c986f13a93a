"""ADAE: one record per adverse event, with analysis dates, TRTEMFL and occurrence flags.

Derivations follow admiral's ADAE template: start dates imputed up to the month with the
treatment start date-time as lower bound (an AE whose known parts equal the treatment start is
imputed to it, so a start without time on the infusion day is imputed to the infusion time),
end dates imputed to the last moment and capped by death / end of study, study days against
TRTSDT, treatment emergence by admiral's derive_var_trtemfl comparing date-times (its defaults
ASTDTM and TRTSDTM: an AE at 08:00 before a 10:00 infusion is not emergent). The
CAR-T specifics (docs/clinical.md section 2) are parameters: the TEAE window, the toxicity grade and
its grading scale (CTCAE or ASTCT 2019), the lymphodepletion phase, and flags such as
CRS, ICANS, serious and related given as query conditions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from adam.adsl import SUBJECT_KEYS, combine_supp, convert_blanks_to_na
from adam.dates import derive_vars_dtm, derive_vars_dtm_to_dt, derive_vars_dy
from adam.flags import derive_var_extreme_flag
from adam.params import AdslVar, AdslVars, OptionalAdslVar
from adam.sources import Condition, compute_condition

# Flags set to "Y" where the condition holds (MedDRA PTs compared in upper case).
CAR_T_FLAGS = {
    "CRSFL": "AEDECOD.str.upper() == 'CYTOKINE RELEASE SYNDROME'",
    "ICANSFL": ("AEDECOD.str.upper() == 'IMMUNE EFFECTOR CELL-ASSOCIATED NEUROTOXICITY SYNDROME'"),
    "SERFL": "AESER == 'Y'",
    "RELFL": (
        "AEREL in ['POSSIBLY RELATED', 'PROBABLY RELATED', 'DEFINITELY RELATED', 'RELATED',"
        " 'POSSIBLE', 'PROBABLE']"
    ),
}
# First treatment-emergent occurrence: any AE, per SOC, per PT within SOC (ADaM OCCDS).
OCCURRENCE_FLAGS = {
    "AOCCFL": ("STUDYID", "USUBJID"),
    "AOCCSFL": ("STUDYID", "USUBJID", "AEBODSYS"),
    "AOCCPFL": ("STUDYID", "USUBJID", "AEBODSYS", "AEDECOD"),
}


def derive_var_trtemfl(
    dataset: pd.DataFrame,
    *,
    new_var: str = "TRTEMFL",
    start_date: str = "ASTDTM",
    end_date: str = "AENDTM",
    trt_start_date: str = "TRTSDTM",
    trt_end_date: str | None = None,
    end_window: int | None = None,
    ignore_time_for_trt_end: bool = True,
    initial_intensity: str | None = None,
    intensity: str | None = None,
) -> pd.DataFrame:
    """Treatment-emergent flag by admiral's derive_var_trtemfl; the first rule that applies wins.

    1. no treatment start → missing; 2. event ended before treatment start → missing;
    3. start missing → "Y"; 4. start on or after treatment start and (if `end_window`
    is given) on or before treatment end + `end_window` days → "Y"; 5. (with
    `intensity`) started before treatment and intensity above `initial_intensity` or
    either missing → "Y"; otherwise missing. With `ignore_time_for_trt_end` the window
    compares dates, not times.
    """
    if (end_window is None) != (trt_end_date is None):
        raise ValueError("give both trt_end_date and end_window, or neither")
    if (initial_intensity is None) != (intensity is None):
        raise ValueError("give both initial_intensity and intensity, or neither")
    start = pd.to_datetime(dataset[start_date])
    end = pd.to_datetime(dataset[end_date])
    trt_start = pd.to_datetime(dataset[trt_start_date])

    within_window = pd.Series(True, index=dataset.index)
    if end_window is not None:
        trt_end = pd.to_datetime(dataset[trt_end_date])
        if ignore_time_for_trt_end:
            last_start = trt_end.dt.normalize() + pd.Timedelta(days=end_window)
            within_window = trt_end.isna() | (start.dt.normalize() <= last_start)
        else:
            within_window = trt_end.isna() | (start <= trt_end + pd.Timedelta(days=end_window))
    new_event = (start >= trt_start) & within_window

    worsened = pd.Series(False, index=dataset.index)
    if intensity is not None:
        before, after = dataset[initial_intensity], dataset[intensity]
        increased = (before < after).fillna(False).astype(bool)
        worsened = (start < trt_start) & (increased | before.isna() | after.isna())

    flag = pd.Series(pd.NA, index=dataset.index, dtype="string")
    undecided = trt_start.notna() & ~(end < trt_start)
    flag = flag.mask(undecided & start.isna(), "Y")
    undecided &= start.notna()
    flag = flag.mask(undecided & (new_event | worsened), "Y")
    return dataset.assign(**{new_var: flag})


def derive_var_phase_flag(
    dataset: pd.DataFrame,
    new_var: str,
    *,
    start_date: str = "ASTDTM",
    phase_start: str,
    phase_end: str,
) -> pd.DataFrame:
    """ "Y" for events starting on or after `phase_start` and before `phase_end`.

    For the lymphodepletion phase: LDSTDT ≤ ASTDTM < TRTSDTM, the complement of the start
    rule of TRTEMFL, so that no event counts in both the lymphodepletion phase and as
    treatment-emergent after infusion.
    """
    start = pd.to_datetime(dataset[start_date])
    inside = (start >= pd.to_datetime(dataset[phase_start])) & (start < pd.to_datetime(dataset[phase_end]))
    flag = pd.Series(pd.NA, index=dataset.index, dtype="string").mask(inside, "Y")
    return dataset.assign(**{new_var: flag})


def derive_vars_condition_flags(dataset: pd.DataFrame, flags: Mapping[str, Condition]) -> pd.DataFrame:
    """One "Y"/missing flag per entry {new variable: condition}."""
    new = {
        name: pd.Series(pd.NA, index=dataset.index, dtype="string").mask(
            compute_condition(dataset, condition), "Y"
        )
        for name, condition in flags.items()
    }
    return dataset.assign(**new)


def build_adae(
    ae: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    teae_window_days: int | None,
    suppae: pd.DataFrame | None = None,
    start_imputation: str = "M",
    end_imputation: str = "M",
    end_max_dates: AdslVars = ("DTHDT", "EOSDT"),
    start_before_end: bool = False,
    trt_start_date: AdslVar = "TRTSDT",
    trt_start_datetime: AdslVar = "TRTSDTM",
    trt_end_date: AdslVar = "TRTEDT",
    initial_intensity: str | None = None,
    intensity: str | None = None,
    severity: str | None = None,
    toxicity_grade: str | None = "AETOXGR",
    grading_scale: str | None = "AEGRSCL",
    lymphodepletion_start: OptionalAdslVar = "LDSTDT",
    condition_flags: Mapping[str, Condition] = CAR_T_FLAGS,
    occurrence_flags: Mapping[str, Sequence[str]] = OCCURRENCE_FLAGS,
    occurrence_order: Sequence[str] = ("ASTDTM", "AESEQ"),
) -> pd.DataFrame:
    """ADAE from SDTM AE (+ SUPPAE) and ADSL.

    ASTDTM/ASTDTF/ASTTMF: AESTDTC imputed up to `start_imputation` (first day/month,
    00:00:00), not before `trt_start_datetime` when the known parts allow it, and with
    `start_before_end` not after AENDTM either (an AE ending before the infusion did not start
    on its day; admiral's ADAE template leaves this out, so it is off by default).
    AENDTM/AENDTF/AENTMF: AEENDTC imputed to the last day/month and 23:59:59, not after
    `end_max_dates`. ASTDT/AENDT, ASTDY/AENDY (against `trt_start_date`), TRTEMFL
    (ASTDTM against `trt_start_datetime`, window `teae_window_days` after `trt_end_date`;
    None = no upper limit; worsening rule when `initial_intensity`/`intensity` are given).
    ASEV (from `severity`), ATOXGR/ATOXGRN (from `toxicity_grade`) and ATOXSCL, the scale
    the grade is on (from `grading_scale`, e.g. SUPPAE AEGRSCL); LDEMFL for events in the
    lymphodepletion phase (LDSTDT ≤ ASTDTM < TRTSDTM); `condition_flags`; first-occurrence
    flags among TEAEs per `occurrence_flags` {flag: by variables} ordered by
    `occurrence_order`.
    All ADSL variables are joined at the end.
    """
    adae = convert_blanks_to_na(ae)
    if suppae is not None:
        adae = combine_supp(adae, suppae)
    needed = [trt_start_date, trt_start_datetime, trt_end_date, *end_max_dates]
    if lymphodepletion_start is not None:
        needed.append(lymphodepletion_start)
    needed = list(dict.fromkeys(needed))
    adae = adae.merge(
        adsl[[*SUBJECT_KEYS, *needed]], on=list(SUBJECT_KEYS), how="left", validate="many_to_one"
    )
    adae = derive_vars_dtm(
        adae,
        new_vars_prefix="AEN",
        dtc="AEENDTC",
        highest_imputation=end_imputation,
        date_imputation="last",
        time_imputation="last",
        max_dates=list(end_max_dates),
    )
    adae = derive_vars_dtm(
        adae,
        new_vars_prefix="AST",
        dtc="AESTDTC",
        highest_imputation=start_imputation,
        min_dates=[trt_start_datetime],
        max_dates=["AENDTM"] if start_before_end else None,
    )
    adae = derive_vars_dtm_to_dt(adae, ["ASTDTM", "AENDTM"])
    adae = derive_vars_dy(adae, reference_date=trt_start_date, source_vars=["ASTDT", "AENDT"])
    adae = derive_var_trtemfl(
        adae,
        trt_start_date=trt_start_datetime,
        trt_end_date=trt_end_date if teae_window_days is not None else None,
        end_window=teae_window_days,
        initial_intensity=initial_intensity,
        intensity=intensity,
    )
    if lymphodepletion_start is not None:
        adae = derive_var_phase_flag(
            adae, "LDEMFL", phase_start=lymphodepletion_start, phase_end=trt_start_datetime
        )
    if severity is not None:
        adae["ASEV"] = adae[severity]
    if toxicity_grade is not None:
        adae["ATOXGR"] = adae[toxicity_grade]
        adae["ATOXGRN"] = pd.to_numeric(adae[toxicity_grade], errors="coerce").astype("Int64")
    if grading_scale is not None:
        adae["ATOXSCL"] = adae[grading_scale]
    adae = derive_vars_condition_flags(adae, condition_flags)
    for new_var, by_vars in occurrence_flags.items():
        adae = derive_var_extreme_flag(adae, by_vars, occurrence_order, new_var, filter="TRTEMFL == 'Y'")
    rest = [name for name in adsl.columns if name not in adae.columns]
    return adae.merge(adsl[[*SUBJECT_KEYS, *rest]], on=list(SUBJECT_KEYS), how="left", validate="many_to_one")
