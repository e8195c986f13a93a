"""ADPP: cellular kinetics parameters from ADPC through the NCA engine (`adam.nca`).

One record per profile (subject, analyte, specimen) and parameter: PARAMCD = PPTESTCD
(CMAX, TMAX, CLST, TLST, AUCLST, AUCINT over ``auc_interval``), PARCAT1 = analyte,
AVAL/AVALU, PERSNEFL (persistence not ended: the last sample is still quantifiable, so
TLST is a censored persistence time) and ANL01FL on the estimable values. The engine
gets the ADPC concentrations with the BLQ flag and applies the same BLQ rules that
`adam.adpc.derive_var_nca_aval` wrote into AVAL/ANL01FL, so both datasets agree.

Columns for SDTM PP that ADaM does not define stay internal: _PPREASND (why a value is
not estimable), _INTSTART/_INTEND (the AUC interval, in FRLTU).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from adam.adpc import PROFILE_KEYS, compute_repeated_time
from adam.nca import NCA_PARAMETERS, derive_nca_parameters

# CDISC CT PKPARM decodes of the PKPARMCD terms in the shipped subset (specs/ct/sdtm-ct.yaml); a
# spec passes those of the CT package in use (`parameter_names: {codelist: PKPARMCD}`).
PPTEST = {
    "CMAX": "Max Conc",
    "TMAX": "Time of CMAX",
    "CLST": "Last Nonzero Conc",
    "TLST": "Time of Last Nonzero Conc",
    "AUCLST": "AUC to Last Nonzero Conc",
    "AUCINT": "AUC from T1 to T2",
}
# ADPC FRLTU → the time unit written in AVALU / PPSTRESU (PKUNIT style)
TIME_UNIT_CODES = {"DAYS": "day", "HOURS": "h"}
_TIME_UNIT_NAMES = {"DAYS": "days", "HOURS": "hours"}


def compute_param(paramcd: pd.Series, interval: Sequence[float], frltu: str = "DAYS",
                  names: Mapping[str, str] = PPTEST) -> pd.Series:
    """PARAM text: the CT decode (`names`), with the interval written out for AUCINT."""
    start, end = interval
    names = dict(names, AUCINT=f"AUC from {start:g} to {end:g} {_TIME_UNIT_NAMES[frltu]}")
    return paramcd.map(names).astype("string")


def build_adpp(
    adpc: pd.DataFrame,
    *,
    profile_vars: Sequence[str] = PROFILE_KEYS,
    auc_interval: Sequence[float] = (0, 30),
    auc_method: str = "lin up/log down",
    blq_rules: Mapping[str, object] | None = None,
    after_last: str = "not estimable",
    carry_vars: Sequence[str] = ("TRT01A",),
    subject_keys: Sequence[str] = ("STUDYID", "USUBJID"),
    parameter_names: Mapping[str, str] = PPTEST,
) -> pd.DataFrame:
    """ADPP from ADPC (time AFRLT, concentration AVAL, BLQ flag BLQFL, unit FRLTU).

    ``auc_interval`` is in ADPC's time unit (Study A (0, 30) days, Study B (0, 28));
    ``auc_method`` "lin up/log down" (PKNCA default) or "linear"; ``blq_rules`` and
    ``after_last`` as in `adam.nca.derive_nca_parameters`. Of results at one time of a
    profile only the one ADPC analyses enters the NCA (`adam.adpc.compute_repeated_time`).
    ``carry_vars`` are ADPC (ADSL) variables copied per subject; ``parameter_names`` gives PARAM
    per PARAMCD (the PKPARMCD decodes).
    """
    profiles = list(profile_vars)
    units = adpc["FRLTU"].dropna().unique()
    if len(units) > 1:
        raise ValueError(f"build_adpp: ADPC mixes time units {sorted(units)}")
    frltu = units[0] if len(units) else "DAYS"
    time_unit = TIME_UNIT_CODES[frltu]
    with_result = adpc["AVAL"].notna() | adpc["BLQFL"].eq("Y").fillna(False)
    once = adpc[~compute_repeated_time(adpc, profiles, among=with_result)]
    nca = derive_nca_parameters(
        once,
        profiles,
        time_var="AFRLT",
        conc_var="AVAL",
        blq_var="BLQFL",
        auc_interval=auc_interval,
        auc_method=auc_method,
        blq_rules=blq_rules,
        after_last=after_last,
        time_unit=time_unit,
    )
    # The first value found per profile: a sample not done (first) has no unit.
    analyte = (adpc.groupby(profiles, as_index=False, sort=False, dropna=False)[["PARAM", "AVALU"]].first()
               .rename(columns={"PARAM": "PARCAT1", "AVALU": "_CONCU"}))
    adpp = nca.merge(analyte, on=profiles, how="left", validate="many_to_one")
    concentration = adpp["PPTESTCD"].isin(["CMAX", "CLST"])
    time = adpp["PPTESTCD"].isin(["TMAX", "TLST"])
    conc_unit = adpp["_CONCU"].astype("string")
    avalu = (time_unit + "*" + conc_unit).mask(concentration, conc_unit).mask(time, time_unit)
    adpp = adpp.assign(
        PARAMCD=adpp["PPTESTCD"],
        PARAM=compute_param(adpp["PPTESTCD"], auc_interval, frltu, parameter_names),
        AVAL=adpp["PPSTRESN"].astype(float),
        AVALU=avalu,
        ANL01FL=pd.Series("Y", index=adpp.index, dtype="string").where(adpp["PPSTRESN"].notna()),
        PARAMN=adpp["PPTESTCD"].map({code: i + 1 for i, code in enumerate(NCA_PARAMETERS)}).astype(float),
        _PPREASND=adpp["PPREASND"],
        _INTSTART=adpp["INTSTART"],
        _INTEND=adpp["INTEND"],
    )
    keys = list(subject_keys)
    carried = [v for v in carry_vars if v in adpc and v not in adpp]
    if carried:
        adpp = adpp.merge(adpc.drop_duplicates(keys)[[*keys, *carried]], on=keys, how="left")
    adpp = adpp.drop(columns=["PPTESTCD", "PPSTRESN", "PPSTRESU", "PPREASND", "INTSTART", "INTEND", "_CONCU"])
    adpp = adpp.sort_values([*profiles, "PARAMN"], kind="stable").reset_index(drop=True)
    adpp["ASEQ"] = (adpp.groupby(keys, sort=False).cumcount() + 1).astype(float)
    return adpp
