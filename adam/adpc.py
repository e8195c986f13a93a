"""ADPC: cellular kinetics concentrations for non-compartmental analysis (ADNCA layout).

From SDTM PC and ADSL (TRTSDTM = start of the CAR-T infusion, docs/clinical.md section 3):

- AFRLT: actual time from the infusion (ADTM − TRTSDTM), NFRLT: nominal time from PCELTM
  (ISO 8601 duration from PCTPTREF), else from PCTPTNUM in ``tptnum_unit``; both in
  ``time_unit`` (days by default), FRLTU names the unit.
- AVAL follows the BLQ rules the NCA applies (PKNCA ``conc.blq``, default first = keep,
  middle = drop, last = keep): a BLQ sample before the first quantifiable one, or after the
  last, has AVAL 0 (DTYPE = ``blq_dtype``); a BLQ sample between quantifiable ones has AVAL
  missing and is not used. So ADPC shows exactly the concentrations the NCA integrates;
  BLQFL keeps which samples were BLQ and AVALC the reported text (``<BLQ``).
- ANL01FL = Y on the records the NCA uses: on or after the infusion, with a time, and a
  value (or a BLQ the rules keep). Missed samples (no result) are kept without a flag.
  **Decision:** of two results at the same actual time in one profile (two scheduled samples
  recorded at one draw, e.g. day 28 and day 30 on the same morning) only the first by nominal
  time is analysed: an NCA needs one concentration per time (PKNCA refuses repeated times).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from adam.adsl import convert_blanks_to_na
from adam.dates import compute_dt, derive_vars_dtm, derive_vars_dy
from adam.nca import resolve_blq_rules
from adam.params import AdslVar, AdslVars
from adam.sources import compute_condition

PROFILE_KEYS = ("STUDYID", "USUBJID", "PCTESTCD", "PCSPEC")
ADSL_VARS = ("TRTSDT", "TRTSDTM", "TRT01A")
BLQ_PATTERN = r"^\s*(?:<|BLQ\b|BQL\b|NQ\b)"
TIME_UNITS = {"day": ("DAYS", 1.0), "hour": ("HOURS", 24.0)}

_DURATION_PATTERN = (
    r"^(?P<sign>-)?P(?:(?P<W>\d+(?:\.\d+)?)W)?(?:(?P<D>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<H>\d+(?:\.\d+)?)H)?(?:(?P<M>\d+(?:\.\d+)?)M)?(?:(?P<S>\d+(?:\.\d+)?)S)?)?$"
)
_DAYS_PER = {"W": 7.0, "D": 1.0, "H": 1 / 24, "M": 1 / 1440, "S": 1 / 86400}


def compute_duration(iso: pd.Series, *, unit: str = "day") -> pd.Series:
    """ISO 8601 durations (``P7D``, ``PT2H30M``, ``-PT30M``, ``P1W``) as numbers of ``unit``.

    Years and months have no fixed length, so ``P1M`` or ``P1Y`` (and anything that is not
    a duration) give NaN; so does ``P`` alone.
    """
    per_day = TIME_UNITS[unit][1]
    parts = iso.astype("string").str.strip().str.upper().str.extract(_DURATION_PATTERN)
    numbers = parts[list(_DAYS_PER)].apply(pd.to_numeric, errors="coerce").astype(float)
    days = sum(numbers[name].fillna(0.0) * factor for name, factor in _DAYS_PER.items())
    days = days.where(numbers.notna().any(axis=1))
    days = days.where(parts["sign"].isna(), -days)
    return (days * per_day).astype(float)


def compute_blq(result: pd.Series, *, pattern: str = BLQ_PATTERN) -> pd.Series:
    """True where a character result reports a value below the limit of quantitation."""
    text = result.astype("string")
    return text.str.contains(pattern, case=False, regex=True).fillna(False).astype(bool)


def derive_vars_frlt(
    dataset: pd.DataFrame,
    *,
    reference_datetime: str = "TRTSDTM",
    datetime_var: str = "ADTM",
    eltm_var: str | None = "PCELTM",
    tptnum_var: str | None = "PCTPTNUM",
    tptnum_unit: str = "day",
    time_unit: str = "day",
) -> pd.DataFrame:
    """Add AFRLT, NFRLT and FRLTU: actual and nominal time from the reference (first dose).

    NFRLT comes from ``eltm_var`` (an ISO 8601 elapsed time from the reference) where that
    parses, else from ``tptnum_var`` read in ``tptnum_unit``.
    """
    label, per_day = TIME_UNITS[time_unit]
    elapsed = pd.to_datetime(dataset[datetime_var]) - pd.to_datetime(dataset[reference_datetime])
    actual = elapsed / pd.Timedelta(days=1) * per_day
    nominal = pd.Series(np.nan, index=dataset.index)
    if eltm_var is not None and eltm_var in dataset:
        nominal = compute_duration(dataset[eltm_var], unit=time_unit)
    if tptnum_var is not None and tptnum_var in dataset:
        scale = per_day / TIME_UNITS[tptnum_unit][1]
        nominal = nominal.fillna(pd.to_numeric(dataset[tptnum_var], errors="coerce") * scale)
    return dataset.assign(AFRLT=actual.astype(float), NFRLT=nominal.astype(float), FRLTU=label)


def compute_repeated_time(
    dataset: pd.DataFrame,
    by_vars: Sequence[str] = PROFILE_KEYS,
    *,
    time_var: str = "AFRLT",
    order: Sequence[str] = ("NFRLT", "PCSEQ"),
    among: pd.Series | None = None,
) -> pd.Series:
    """True for a record taken at the same ``time_var`` as an earlier one (by ``order``) of its
    profile; only records where ``among`` is True (e.g. those with a result) take part.
    """
    taking_part = pd.Series(True, index=dataset.index) if among is None else among.astype(bool)
    names = [*by_vars, time_var, *[v for v in order if v in dataset]]
    ranked = dataset.loc[taking_part & dataset[time_var].notna(), names].sort_values(names, kind="stable")
    repeated = ranked.duplicated([*by_vars, time_var])
    return repeated.reindex(dataset.index, fill_value=False).astype(bool)


def derive_var_nca_aval(
    dataset: pd.DataFrame,
    by_vars: Sequence[str] = PROFILE_KEYS,
    *,
    conc_var: str = "PCSTRESN",
    blq_var: str = "BLQFL",
    time_var: str = "AFRLT",
    blq_rules: Mapping[str, object] | None = None,
    blq_dtype: str = "BLQ",
) -> pd.DataFrame:
    """AVAL, DTYPE and ANL01FL by the NCA's BLQ rules (see the module docstring).

    A BLQ sample's position is ``first`` when no quantifiable sample after the dose comes
    before it (pre-dose samples included), ``last`` when none comes after it, ``middle``
    otherwise; ``blq_rules`` maps each position to "keep" (0), "drop" or a number, as in
    `adam.nca.derive_nca_parameters`. Quantifiable means a value above 0. A result at the same
    time as an earlier one of its profile is not used (`compute_repeated_time`).
    """
    rules = resolve_blq_rules(blq_rules)
    by = list(by_vars)
    blq = dataset[blq_var].eq("Y").fillna(False).astype(bool)
    conc = pd.to_numeric(dataset[conc_var], errors="coerce").astype(float).where(~blq)
    time = pd.to_numeric(dataset[time_var], errors="coerce").astype(float)
    after_dose = (time >= 0).fillna(False).astype(bool)
    quantifiable_time = time.where(after_dose & (conc > 0).fillna(False))
    groups = [dataset[name] for name in by]
    first = quantifiable_time.groupby(groups, dropna=False).transform("min")
    last = quantifiable_time.groupby(groups, dropna=False).transform("max")
    position = np.select(
        [first.isna() | (time <= first) | ~after_dose, time >= last],
        ["first", "last"],
        default="middle",
    )
    aval = conc.copy()
    dropped = pd.Series(False, index=dataset.index)
    for name, rule in rules.items():
        rows = blq & (position == name)
        if rule == "drop":
            dropped |= rows
        else:
            aval = aval.mask(rows, 0.0 if rule == "keep" else float(rule))
    imputed = blq & ~dropped
    repeated = compute_repeated_time(dataset, by, time_var=time_var, among=conc.notna() | blq)
    used = after_dose & time.notna() & aval.notna() & ~dropped & ~repeated
    return dataset.assign(
        AVAL=aval,
        DTYPE=pd.Series(blq_dtype, index=dataset.index, dtype="string").where(imputed),
        ANL01FL=pd.Series("Y", index=dataset.index, dtype="string").where(used),
    )


def build_adpc(
    pc: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    filter: str | None = None,
    profile_vars: Sequence[str] = PROFILE_KEYS,
    time_unit: str = "day",
    tptnum_unit: str = "day",
    highest_imputation: str = "h",
    time_imputation: str = "first",
    blq_pattern: str = BLQ_PATTERN,
    blq_rules: Mapping[str, object] | None = None,
    blq_dtype: str = "BLQ",
    adsl_vars: AdslVars = ADSL_VARS,
    reference_datetime: AdslVar = "TRTSDTM",
    study_day_reference: AdslVar = "TRTSDT",
    subject_keys: Sequence[str] = ("STUDYID", "USUBJID"),
) -> pd.DataFrame:
    """ADPC from SDTM PC (records meeting ``filter``, a query on PC) and ADSL.

    Keeps the PC variables and adds the ADSL variables ``adsl_vars``, ADT/ADTM/ATMF/ADY
    (PCDTC without time is imputed up to ``highest_imputation`` with ``time_imputation``),
    PARAMCD = PCTESTCD, PARAM = PCTEST, PARCAT1 = PCSPEC, AVALC = PCSTRESC, AVALU =
    PCSTRESU, ALLOQ = PCLLOQ, BLQFL, AFRLT/NFRLT/FRLTU (`derive_vars_frlt`), AVAL/DTYPE/
    ANL01FL (`derive_var_nca_aval`, profiles = ``profile_vars``) and ASEQ.
    """
    keys = list(subject_keys)
    data = convert_blanks_to_na(pc)
    if filter is not None:
        data = data[compute_condition(data, filter)]
    wanted = [v for v in dict.fromkeys([reference_datetime, study_day_reference, *adsl_vars]) if v in adsl]
    data = data.merge(adsl[[*keys, *wanted]], on=keys, how="left", validate="many_to_one")
    data = derive_vars_dtm(data, new_vars_prefix="A", dtc="PCDTC", highest_imputation=highest_imputation,
                           time_imputation=time_imputation)
    data["ADT"] = compute_dt(data["PCDTC"])
    data = derive_vars_dy(data, reference_date=study_day_reference, source_vars=["ADT"])
    not_done = data["PCSTAT"].eq("NOT DONE").fillna(False) if "PCSTAT" in data else False
    blq = compute_blq(data["PCSTRESC"], pattern=blq_pattern) & ~not_done
    data = data.assign(
        PARAMCD=data["PCTESTCD"],
        PARAM=data["PCTEST"],
        PARCAT1=data["PCSPEC"],
        AVALC=data["PCSTRESC"],
        AVALU=data["PCSTRESU"],
        ALLOQ=pd.to_numeric(data["PCLLOQ"], errors="coerce") if "PCLLOQ" in data else np.nan,
        BLQFL=blq.map({True: "Y", False: "N"}).astype("string"),
    )
    data = derive_vars_frlt(data, reference_datetime=reference_datetime, tptnum_unit=tptnum_unit,
                            time_unit=time_unit)
    data = derive_var_nca_aval(data, profile_vars, blq_rules=blq_rules, blq_dtype=blq_dtype)
    order = [*keys, "PARAMCD", "AFRLT", "NFRLT", "PCSEQ"]
    data = data.sort_values([v for v in order if v in data], kind="stable", na_position="last")
    data = data.reset_index(drop=True)
    data["ASEQ"] = (data.groupby(keys, sort=False).cumcount() + 1).astype(float)
    return data
