"""SDTM PP and its RELREC rows to PC, from the NCA results in ADPP (docs/clinical.md section 3).

It lives in `adam` because the NCA does: `sdtm` never imports `adam`, and the pipeline
writes these frames next to the SDTM datasets.

PP: one record per ADPP record. PPTESTCD/PPTEST are CDISC CT PKPARMCD/PKPARM; PPCAT is the
analyte (PCTEST), PPSPEC the specimen; a value that could not be estimated has PPSTAT
"NOT DONE", PPREASND the engine's reason and no units. AUCINT carries its interval in PPSTINT/PPENINT
as ISO 8601 durations from PPRFTDTC (``P0D``, ``P30D``).

RELREC: SDTMIG 3.4 section 8.2 relates records of a subject by --SEQ with RELTYPE blank
(RELTYPE is only for dataset-level relationships). All parameters of a profile come from the
profile's analysed samples (ADPC ANL01FL = Y), so one relationship per profile (RELID =
PPGRPID, analyte code and specimen) holds its PP records and those PC records (SDTMIG PP/PC method
with one relationship for all parameters).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from adam.adpc import PROFILE_KEYS
from adam.adpp import PPTEST

RELREC_COLUMNS = ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELTYPE", "RELID")
_ISO_UNIT = {"DAYS": ("P", "D"), "HOURS": ("PT", "H")}


def _format_distinct(numbers: pd.Series, form: Callable[[float], str]) -> pd.Series:
    """``form`` applied once per distinct non-missing number, spread back to every row.

    Results repeat (an interval bound is the same for every profile), so text is made for
    the distinct values only and taken by position.
    """
    codes, distinct = pd.factorize(numbers, use_na_sentinel=True)
    texts = np.array([form(x) for x in distinct] + [None], dtype=object)
    return pd.Series(texts[codes], index=numbers.index, dtype="string")


def compute_iso_duration(values: pd.Series, frltu: str = "DAYS") -> pd.Series:
    """Numbers of days (or hours) as ISO 8601 durations: 30 → ``P30D``, −1 → ``-P1D``."""
    prefix, suffix = _ISO_UNIT[frltu]
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return _format_distinct(numbers, lambda x: f"{'-' if x < 0 else ''}{prefix}{abs(x):g}{suffix}")


def compute_result_text(values: pd.Series, *, significant_digits: int = 10) -> pd.Series:
    """Numeric results as character (PPORRES/PPSTRESC), without exponent noise."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return _format_distinct(numbers, lambda x: np.format_float_positional(
        x, precision=significant_digits, unique=True, fractional=False, trim="-"))


def _iso_datetime(values: pd.Series) -> pd.Series:
    moments = pd.to_datetime(values)
    return moments.dt.strftime("%Y-%m-%dT%H:%M:%S").astype("string")


def _group_id(frame: pd.DataFrame, names: Sequence[str]) -> pd.Series:
    parts = [frame[name].astype("string").fillna("") for name in names]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "-" + part
    return joined


def build_pp(
    adpp: pd.DataFrame,
    adpc: pd.DataFrame,
    *,
    profile_vars: Sequence[str] = PROFILE_KEYS,
    auc_interval: Sequence[float] | None = None,
    group_vars: Sequence[str] = ("PCTESTCD", "PCSPEC"),
    subject_keys: Sequence[str] = ("STUDYID", "USUBJID"),
    parameter_names: Mapping[str, str] = PPTEST,
) -> pd.DataFrame:
    """SDTM PP from ADPP and the ADPC it was built from; PPTEST per PPTESTCD from
    ``parameter_names`` (the PKPARMCD decodes of the CT package in use).

    The AUC interval comes from ADPP's _INTSTART/_INTEND, else from ``auc_interval``
    (ADPP read back from a file has no internal columns). PPRFTDTC is PCRFTDTC, else the
    reference datetime TRTSDTM of ADPC; PPTPTREF is PCTPTREF when ADPC has it. PPGRPID
    names the profile (``group_vars`` joined by "-", e.g. ``MESOCART-BLOOD``).
    """
    profiles = list(profile_vars)
    keys = list(subject_keys)
    frltu = adpc["FRLTU"].dropna().iloc[0] if adpc["FRLTU"].notna().any() else "DAYS"

    reference = adpc[profiles].copy()
    reference["PPRFTDTC"] = (adpc["PCRFTDTC"].astype("string") if "PCRFTDTC" in adpc
                             else pd.Series(pd.NA, index=adpc.index, dtype="string"))
    if "TRTSDTM" in adpc:
        reference["PPRFTDTC"] = reference["PPRFTDTC"].fillna(_iso_datetime(adpc["TRTSDTM"]))
    reference["PPTPTREF"] = adpc.get("PCTPTREF", pd.NA)
    reference["PPGRPID"] = _group_id(adpc, group_vars)
    reference = reference.sort_values(profiles, kind="stable").groupby(profiles, as_index=False).first()

    pp = adpp[[*profiles, "PARAMCD", "PARCAT1", "AVAL", "AVALU"]].merge(
        reference, on=profiles, how="left", validate="many_to_one")
    is_interval = pp["PARAMCD"] == "AUCINT"
    start = adpp["_INTSTART"] if "_INTSTART" in adpp else pd.Series(np.nan, index=adpp.index)
    end = adpp["_INTEND"] if "_INTEND" in adpp else pd.Series(np.nan, index=adpp.index)
    if auc_interval is not None:
        start = start.fillna(float(auc_interval[0])).where(is_interval)
        end = end.fillna(float(auc_interval[1])).where(is_interval)
    result = compute_result_text(pp["AVAL"])
    missing = pp["AVAL"].isna()
    reason = adpp["_PPREASND"].astype("string").to_numpy() if "_PPREASND" in adpp else pd.NA
    unit = pp["AVALU"].where(~missing)  # no unit without a result (P21 SD0027, SD0030)
    pp = pp.assign(
        DOMAIN="PP",
        PPTESTCD=pp["PARAMCD"],
        PPTEST=pp["PARAMCD"].map(parameter_names).astype("string"),
        PPCAT=pp["PARCAT1"],
        PPORRES=result,
        PPORRESU=unit,
        PPSTRESC=result,
        # the number PPSTRESC shows, so the two agree (P21 SD1212) and ADPP's AVAL is what PP says
        PPSTRESN=pd.to_numeric(result, errors="coerce").astype(float),
        PPSTRESU=unit,
        PPSTAT=pd.Series("NOT DONE", index=pp.index, dtype="string").where(missing),
        PPREASND=pd.Series(reason, index=pp.index, dtype="string").where(missing),
        PPSPEC=pp["PCSPEC"],
        PPSTINT=compute_iso_duration(start.set_axis(pp.index), frltu),
        PPENINT=compute_iso_duration(end.set_axis(pp.index), frltu),
    )
    pp = pp.sort_values([*keys, "PPCAT", "PPSPEC"], kind="stable").reset_index(drop=True)
    pp["PPSEQ"] = (pp.groupby(keys, sort=False).cumcount() + 1).astype(float)
    columns = ["STUDYID", "DOMAIN", "USUBJID", "PPSEQ", "PPGRPID", "PPTESTCD", "PPTEST", "PPCAT",
               "PPORRES", "PPORRESU", "PPSTRESC", "PPSTRESN", "PPSTRESU", "PPSTAT", "PPREASND",
               "PPSPEC", "PPRFTDTC", "PPTPTREF", "PPSTINT", "PPENINT"]
    pp = pp[columns]
    # SDTM character variables hold "" for missing (shared contract)
    text = [c for c in columns if c not in ("PPSEQ", "PPSTRESN")]
    return pp.assign(**{c: pp[c].astype("string").fillna("") for c in text})


def build_pp_relrec(
    pp: pd.DataFrame,
    adpc: pd.DataFrame,
    *,
    group_vars: Sequence[str] = ("PCTESTCD", "PCSPEC"),
    subject_keys: Sequence[str] = ("STUDYID", "USUBJID"),
) -> pd.DataFrame:
    """RELREC rows relating each PP profile (PPGRPID) to the PC records it was computed from.

    RELID = PPGRPID; the PP records by PPSEQ, the ADPC records with ANL01FL = Y by PCSEQ.
    Profiles without PP records give no rows.
    """
    keys = list(subject_keys)
    used = adpc[adpc["ANL01FL"] == "Y"]
    pp_rows = pp[keys].assign(RDOMAIN="PP", IDVAR="PPSEQ", IDVARVAL=pp["PPSEQ"], RELID=pp["PPGRPID"])
    pc_rows = used[keys].assign(RDOMAIN="PC", IDVAR="PCSEQ", IDVARVAL=used["PCSEQ"],
                                RELID=_group_id(used, group_vars))
    relrec = pd.concat([pp_rows, pc_rows], ignore_index=True)
    with_pp = relrec.set_index([*keys, "RELID"]).index.isin(pp.set_index([*keys, "PPGRPID"]).index)
    relrec = relrec[with_pp]
    sequence = relrec["IDVARVAL"].astype(float)
    relrec = relrec.assign(
        IDVARVAL=_format_distinct(sequence, lambda x: f"{x:g}"),
        RELTYPE="",
        _pc=relrec["RDOMAIN"] == "PC",
        _seq=sequence,
    )
    relrec = relrec.sort_values([*keys, "RELID", "_pc", "_seq"], kind="stable")
    return relrec[list(RELREC_COLUMNS)].astype("string").fillna("").reset_index(drop=True)
