"""ADTTE: overall survival, progression-free survival and duration of response.

Built from ADSL and ADRS (adam.adrs) with `derive_param_tte`. PFS applies the censoring
rules of the FDA 2018 guidance on cancer trial endpoints (docs/clinical.md section 5): no adequate
assessment → censored at the start date; new anticancer therapy before progression →
censored at the last adequate assessment on or before it; progression or death after two or
more missed assessments → censored at the last adequate assessment before the gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from adam.params import AdslVar, AdslVars, OptionalAdslVar
from adam.sources import (
    DEATH_EVENT,
    LAST_ADEQUATE_CENSOR,
    LASTALIVE_CENSOR,
    MISSED_ASSESSMENTS_CENSOR,
    NACT_CENSOR,
    PD_EVENT,
    compute_condition,
    start_censor,
)
from adam.tte import SUBJECT_KEYS, derive_param_tte

ADSL_VARS = ("ARMCD", "ARM", "ACTARMCD", "ACTARM", "AGE", "SEX")


def derive_param_pfs(
    dataset_adsl: pd.DataFrame,
    dataset_adrs: pd.DataFrame,
    *,
    start_date: str = "TRTSDT",
    start_description: str = "Treatment Start",
    censor_at_start: bool = True,
    nact_date: str | None = None,
    assessment_interval_days: int | None = None,
    assessment_window_days: int = 0,
    max_missed_assessments: int = 2,
    set_values_to: Mapping[str, object] | None = None,
    subject_keys: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """Progression-free survival records (event: first PD or death) with FDA censoring.

    Adequate assessments are the ADRS OVR records with ANL01FL = Y, a response other
    than NE, on or after the start date. `nact_date` names an ADSL variable with the
    start of new anticancer therapy. With `assessment_interval_days` set, an event more
    than `max_missed_assessments` × interval + `assessment_window_days` days after the
    last adequate assessment before it (or after the start date) is censored there;
    without it that rule is off. `censor_at_start=False` drops the start-date censoring
    (duration of response, where every subject has a response assessment).
    """
    keys = list(subject_keys)
    adsl_vars = [start_date, *([nact_date] if nact_date else [])]
    subjects = dataset_adsl[[*keys, *adsl_vars]].drop_duplicates(keys)
    subjects = subjects.assign(**{v: _as_date(subjects[v]) for v in adsl_vars})
    adrs = dataset_adrs.assign(ADT=_as_date(dataset_adrs["ADT"]))

    event_rows = adrs[compute_condition(adrs, PD_EVENT.filter)]
    death_rows = adrs[compute_condition(adrs, DEATH_EVENT.filter)]
    first_event = pd.concat([event_rows, death_rows]).groupby(keys)["ADT"].min()
    subjects = subjects.merge(first_event.rename("_event_dt"), on=keys, how="left")

    adequate = adrs.loc[
        compute_condition(adrs, "PARAMCD == 'OVR' and ANL01FL == 'Y' and AVALC != 'NE'")
        & adrs["AVALC"].notna(),
        [*keys, "ADT", "ASEQ"],
    ].merge(subjects, on=keys, how="inner")
    adequate = adequate[adequate["ADT"] >= adequate[start_date]]

    before_event = adequate[~(adequate["ADT"] >= adequate["_event_dt"])]
    last_before = before_event.groupby(keys)["ADT"].max().rename("_last_dt")
    subjects = subjects.merge(last_before, on=keys, how="left")
    previous = subjects["_last_dt"].fillna(subjects[start_date])
    gap = (subjects["_event_dt"] - previous).dt.days
    missed = pd.Series(False, index=subjects.index)
    if assessment_interval_days is not None:
        allowed = max_missed_assessments * assessment_interval_days + assessment_window_days
        missed = (gap > allowed).fillna(False)
    after_nact = pd.Series(False, index=subjects.index)
    if nact_date is not None:
        nact = subjects[nact_date]
        after_nact = nact.notna() & ~(subjects["_event_dt"] <= nact).fillna(False)
    subjects["_reason"] = np.select([after_nact, missed], ["nact", "missed"], default="none")

    adequate = adequate.merge(subjects[[*keys, "_reason"]], on=keys)
    plain = subjects.loc[subjects["_reason"] == "none", keys]
    source_datasets = {
        "adrs": adrs.merge(plain, on=keys),
        "adequate": adequate[adequate["_reason"] == "none"],
        "adequate_before_gap": adequate[
            (adequate["_reason"] == "missed") & (adequate["ADT"] < adequate["_event_dt"])
        ],
        "adsl": dataset_adsl,
    }
    censors = [LAST_ADEQUATE_CENSOR, MISSED_ASSESSMENTS_CENSOR]
    if nact_date is not None:
        source_datasets["adequate_before_nact"] = adequate[
            (adequate["_reason"] == "nact") & (adequate["ADT"] <= adequate[nact_date])
        ]
        censors.append(NACT_CENSOR)
    if censor_at_start:
        censors.append(start_censor(start_date, start_description))
    return derive_param_tte(
        dataset_adsl,
        source_datasets,
        start_date=start_date,
        event_conditions=[PD_EVENT, DEATH_EVENT],
        censor_conditions=censors,
        set_values_to=set_values_to,
        subject_keys=keys,
    )


def build_adtte(
    adsl: pd.DataFrame,
    adrs: pd.DataFrame,
    *,
    start_date: AdslVar = "TRTSDT",
    start_description: str = "Treatment Start",
    nact_date: OptionalAdslVar = None,
    assessment_interval_days: int | None = None,
    assessment_window_days: int = 0,
    max_missed_assessments: int = 2,
    response_paramcd: str = "RSP",
    adsl_vars: AdslVars = ADSL_VARS,
    subject_keys: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """ADTTE with OS, PFS and duration of response (RSD) for responders.

    OS: death, else censored at the last date known alive (or the start date, whichever is
    later), for the subjects with a start date. PFS: `derive_param_pfs`. RSD starts at the first response of
    `response_paramcd` (RSP: unconfirmed, CRSP: confirmed) and ends at PD or death,
    censored at the last adequate assessment, with the same FDA rules as PFS.
    """
    keys = list(subject_keys)
    fda = {
        "nact_date": nact_date,
        "assessment_interval_days": assessment_interval_days,
        "assessment_window_days": assessment_window_days,
        "max_missed_assessments": max_missed_assessments,
        "subject_keys": keys,
    }
    # A subject without a start date (never infused) has no time at risk: no OS record, as for
    # PFS, rather than one with CNSR but no STARTDT or AVAL (ADaMIG rules 247-249).
    at_risk = adsl[adsl[start_date].notna()]
    os_records = derive_param_tte(
        at_risk,
        {"adsl": adsl, "adrs": adrs},
        start_date=start_date,
        event_conditions=[DEATH_EVENT],
        censor_conditions=[LASTALIVE_CENSOR, start_censor(start_date, start_description)],
        set_values_to={"PARAMCD": "OS", "PARAM": "Overall Survival"},
        subject_keys=keys,
    )
    pfs_records = derive_param_pfs(
        adsl,
        adrs,
        start_date=start_date,
        start_description=start_description,
        set_values_to={"PARAMCD": "PFS", "PARAM": "Progression Free Survival"},
        **fda,
    )
    responders = adrs[
        compute_condition(adrs, f"PARAMCD == '{response_paramcd}' and AVALC == 'Y'")
        & compute_condition(adrs, "ANL01FL == 'Y'")
    ][[*keys, "ADT"]].rename(columns={"ADT": "_RESPDT"})
    responder_adsl = adsl.merge(responders, on=keys, how="inner", validate="one_to_one")
    dor_records = derive_param_pfs(
        responder_adsl,
        adrs,
        start_date="_RESPDT",
        censor_at_start=False,
        set_values_to={"PARAMCD": "RSD", "PARAM": "Duration of Response"},
        **fda,
    )
    adtte = pd.concat([os_records, pfs_records, dor_records], ignore_index=True)
    adtte = adtte.sort_values([*keys, "PARAMCD"], kind="stable").reset_index(drop=True)
    adtte["ASEQ"] = adtte.groupby(keys, sort=False).cumcount() + 1
    extra = [v for v in adsl_vars if v in adsl and v not in adtte]
    return adtte.merge(adsl[[*keys, *extra]], on=keys, how="left", validate="many_to_one")


def _as_date(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).astype("datetime64[ns]").dt.normalize()
