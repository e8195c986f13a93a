"""OCCDS: one record per occurrence (adverse event, ...), with analysis dates, TRTEMFL and flags.

The generic occurrence builder, `build_occds`, chosen by a spec's `data_structure: OCCDS` (and by
the name ADAE). It reads the SDTM events domain its spec names (`domain`, default AE) with its
SUPP-- qualifiers, and follows admiral's ADAE template: start dates imputed up to the month with the
treatment start date-time as lower bound (an event whose known parts equal the treatment start is
imputed to it, so a start without time on the first dosing day is imputed to the dosing time), end
dates imputed to the last moment and capped by death / end of study, study days against TRTSDT,
treatment emergence by admiral's derive_var_trtemfl comparing date-times (its defaults ASTDTM and
TRTSDTM: an AE at 08:00 before a 10:00 infusion is not emergent). Everything a study decides is a
parameter its spec sets: the TEAE window, the toxicity grade and its grading scale, flags given as
query conditions (CRS, ICANS, serious, related), first-occurrence flags, and a phase before
treatment (the CAR-T lymphodepletion phase, LDEMFL); none of them is assumed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from adam.adsl import SUBJECT_KEYS, combine_supp, convert_blanks_to_na
from adam.dates import derive_vars_dtm, derive_vars_dtm_to_dt, derive_vars_dy
from adam.flags import derive_var_extreme_flag
from adam.params import AdslVar, AdslVars, OptionalAdslVar
from adam.sources import Condition, compute_condition


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


def build_occds(
    events: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    teae_window_days: int | None,
    supp: pd.DataFrame | None = None,
    domain: str = "AE",
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
    toxicity_grade: str | None = None,
    grading_scale: str | None = None,
    lymphodepletion_start: OptionalAdslVar = None,
    condition_flags: Mapping[str, Condition] | None = None,
    occurrence_flags: Mapping[str, Sequence[str]] | None = None,
    occurrence_filter: Condition = "TRTEMFL == 'Y'",
    occurrence_order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """An OCCDS dataset from the SDTM events `domain` (AE, CE, MH ...; + its SUPP--) and ADSL.

    ASTDTM/ASTDTF/ASTTMF: --STDTC imputed up to `start_imputation` (first day/month,
    00:00:00), not before `trt_start_datetime` when the known parts allow it, and with
    `start_before_end` not after AENDTM either (an AE ending before the infusion did not start
    on its day; admiral's ADAE template leaves this out, so it is off by default).
    AENDTM/AENDTF/AENTMF: --ENDTC imputed to the last day/month and 23:59:59, not after
    `end_max_dates`. ASTDT/AENDT, ASTDY/AENDY (against `trt_start_date`), TRTEMFL
    (ASTDTM against `trt_start_datetime`, window `teae_window_days` after `trt_end_date`;
    None = no upper limit; worsening rule when `initial_intensity`/`intensity` are given).
    ASEV (from `severity`), ATOXGR/ATOXGRN (from `toxicity_grade`) and ATOXSCL, the scale
    the grade is on (from `grading_scale`, e.g. SUPPAE AEGRSCL); LDEMFL, only with
    `lymphodepletion_start`, for events in the phase before treatment (LDSTDT <= ASTDTM <
    TRTSDTM); `condition_flags` {flag: condition}; first-occurrence flags among the records
    meeting `occurrence_filter` per `occurrence_flags` {flag: by variables} ordered by
    `occurrence_order` (default ASTDTM, --SEQ).
    All ADSL variables are joined at the end.
    """
    prefix = domain.upper()
    occds = convert_blanks_to_na(events)
    if supp is not None:
        occds = combine_supp(occds, supp)
    needed = [trt_start_date, trt_start_datetime, trt_end_date, *end_max_dates]
    if lymphodepletion_start is not None:
        needed.append(lymphodepletion_start)
    needed = list(dict.fromkeys(needed))
    occds = occds.merge(
        adsl[[*SUBJECT_KEYS, *needed]], on=list(SUBJECT_KEYS), how="left", validate="many_to_one"
    )
    occds = derive_vars_dtm(
        occds,
        new_vars_prefix="AEN",
        dtc=f"{prefix}ENDTC",
        highest_imputation=end_imputation,
        date_imputation="last",
        time_imputation="last",
        max_dates=list(end_max_dates),
    )
    occds = derive_vars_dtm(
        occds,
        new_vars_prefix="AST",
        dtc=f"{prefix}STDTC",
        highest_imputation=start_imputation,
        min_dates=[trt_start_datetime],
        max_dates=["AENDTM"] if start_before_end else None,
    )
    occds = derive_vars_dtm_to_dt(occds, ["ASTDTM", "AENDTM"])
    occds = derive_vars_dy(occds, reference_date=trt_start_date, source_vars=["ASTDT", "AENDT"])
    occds = derive_var_trtemfl(
        occds,
        trt_start_date=trt_start_datetime,
        trt_end_date=trt_end_date if teae_window_days is not None else None,
        end_window=teae_window_days,
        initial_intensity=initial_intensity,
        intensity=intensity,
    )
    if lymphodepletion_start is not None:
        occds = derive_var_phase_flag(
            occds, "LDEMFL", phase_start=lymphodepletion_start, phase_end=trt_start_datetime
        )
    if severity is not None:
        occds["ASEV"] = occds[severity]
    if toxicity_grade is not None:
        occds["ATOXGR"] = occds[toxicity_grade]
        occds["ATOXGRN"] = pd.to_numeric(occds[toxicity_grade], errors="coerce").astype("Int64")
    if grading_scale is not None:
        occds["ATOXSCL"] = occds[grading_scale]
    occds = derive_vars_condition_flags(occds, condition_flags or {})
    order = occurrence_order if occurrence_order is not None else ("ASTDTM", f"{prefix}SEQ")
    for new_var, by_vars in (occurrence_flags or {}).items():
        occds = derive_var_extreme_flag(occds, by_vars, order, new_var, filter=occurrence_filter)
    rest = [name for name in adsl.columns if name not in occds.columns]
    return occds.merge(adsl[[*SUBJECT_KEYS, *rest]], on=list(SUBJECT_KEYS), how="left",
                       validate="many_to_one")


def occds_datasets(parameters: Mapping[str, Any]) -> dict[str, str]:
    """The datasets build_occds reads, by argument: the events domain the spec names, its SUPP--
    dataset, and ADSL."""
    domain = str(parameters.get("domain", "AE")).upper()
    return {"events": domain, "supp": f"SUPP{domain}", "adsl": "ADSL"}
