"""ADTR: tumour results, the sum of the target lesions' diameters per assessment (RECIST 1.1).

After admiralonco's ADTR (vignette "Creating ADTR"; pharmaverseadam `adtr_onco`), from SDTM TR
and TU of one evaluator, and ADSL:

- PARAMCD SDIAM: AVAL = the sum of the target lesions' diameters measured at an assessment
  (TR records TRGRPID TARGET, TRTESTCD DIAMETER, grouped by visit), ADT the earliest of their
  dates; LSEXP the target lesions identified in TU, LSASS those measured at the assessment
  (lesion identifiers, comma separated);
- ANL01FL = Y where every expected lesion was measured (LSASS = LSEXP): a sum missing a lesion
  is no sum of diameters in the RECIST sense;
- ABLFL: the last such assessment on or before the reference date (the infusion), BASE; CHG
  and PCHG for assessments after it;
- NADIR: the smallest sum among the baseline and the earlier post-baseline assessments with
  ANL01FL = Y (admiralonco: "the lowest sum of diameters before the current observation"),
  CHGNAD and PCHGNAD against it; missing at and before baseline;
- AVISIT BASELINE for the baseline record, the visit after the reference date, none for other
  assessments before it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from adam.adsl import convert_blanks_to_na
from adam.bds import compute_on_or_before, derive_var_ablfl, derive_var_base, derive_var_chg, derive_var_pchg
from adam.dates import compute_dt, derive_vars_dy
from adam.params import AdslVar, AdslVars

LESION_SEPARATOR = ", "


def _lesions(ids: pd.Series) -> str:
    return LESION_SEPARATOR.join(sorted(set(ids.dropna())))


def derive_var_nadir(dataset: pd.DataFrame, by_vars: Sequence[str], *, new_var: str = "NADIR",
                     eligible: str = "ANL01FL == 'Y'", post: str = "_POST") -> pd.DataFrame:
    """Smallest AVAL among the earlier eligible records (by ADT) of the group, for records where
    `post` is true; the baseline record counts as eligible (ABLFL = Y)."""
    ordered = dataset.sort_values([*by_vars, "ADT"], kind="stable")
    counts = ordered.eval(eligible).fillna(False) | ordered["ABLFL"].eq("Y").fillna(False)
    values = ordered["AVAL"].where(counts & ordered["AVAL"].notna(), np.inf)
    running = values.groupby([ordered[v] for v in by_vars], sort=False).cummin()
    earlier = running.groupby([ordered[v] for v in by_vars], sort=False).shift(1)
    nadir = earlier.where(np.isfinite(earlier.astype(float)) & ordered[post].astype(bool))
    return dataset.assign(**{new_var: nadir.reindex(dataset.index).astype(float)})


def build_adtr(
    tr: pd.DataFrame,
    tu: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    evaluator: str = "INVESTIGATOR",
    criteria: str = "RECIST 1.1",
    reference_date: AdslVar = "TRTSDT",
    baseline_avisitn: float = 0.0,
    adsl_vars: AdslVars = ("TRT01A",),
    subject_keys: Sequence[str] = ("STUDYID", "USUBJID"),
) -> pd.DataFrame:
    """ADTR (PARAMCD SDIAM) from TR and TU of `evaluator`, with ADSL's `reference_date`."""
    keys = list(subject_keys)
    tr, tu = convert_blanks_to_na(tr), convert_blanks_to_na(tu)
    target = (tr["TRGRPID"].eq("TARGET") & tr["TRTESTCD"].eq("DIAMETER") & tr["TREVAL"].eq(evaluator))
    measured = tr[target.fillna(False)].assign(
        ADT=lambda d: compute_dt(d["TRDTC"]),
        _SIZE=lambda d: pd.to_numeric(d["TRSTRESN"], errors="coerce").astype(float),
    )
    measured["_ASSESSED"] = measured["TRLNKID"].where(measured["_SIZE"].notna())
    visit = [*keys, "VISITNUM", "VISIT"]
    sums = measured.groupby(visit, sort=True, dropna=False).agg(
        AVAL=("_SIZE", lambda s: s.sum(min_count=1)),
        ADT=("ADT", "min"),
        LSASS=("_ASSESSED", _lesions),
    ).reset_index()
    identified = tu[(tu["TUSTRESC"].eq("TARGET") & tu["TUEVAL"].eq(evaluator)).fillna(False)]
    expected = identified.groupby(keys, sort=False)["TULNKID"].agg(_lesions).rename("LSEXP").reset_index()
    data = sums.merge(expected, on=keys, how="left", validate="many_to_one")
    wanted = [v for v in dict.fromkeys([reference_date, *adsl_vars]) if v in adsl]
    data = data.merge(adsl[[*keys, *wanted]], on=keys, how="inner", validate="many_to_one")
    data = derive_vars_dy(data, reference_date=reference_date, source_vars=["ADT"])
    complete = data["AVAL"].notna() & data["LSEXP"].notna() & data["LSASS"].eq(data["LSEXP"])
    data["ANL01FL"] = pd.Series("Y", index=data.index, dtype="string").where(complete)
    data = data.assign(
        PARAMCD="SDIAM",
        PARAM=f"Target Lesions Sum of Diameters by {evaluator.title()}",
        PARCAT1="Target Lesion(s)",
        PARCAT2=evaluator.title(),
        PARCAT3=criteria,
        AVALU="mm",
    )

    by = [*keys, "PARAMCD"]
    data = derive_var_ablfl(data, by, ["ADT", "VISITNUM"], filter="ANL01FL == 'Y'",
                            reference_date=reference_date)
    data = derive_var_base(data, by)
    post = (~compute_on_or_before(data, reference_date=reference_date) & data["ADT"].notna()
            & data[reference_date].notna())
    data = derive_var_chg(data, filter=lambda _: post)
    data = derive_var_pchg(data, filter=lambda _: post)
    data = derive_var_nadir(data.assign(_POST=post), by).drop(columns="_POST")
    data["CHGNAD"] = data["AVAL"] - data["NADIR"]
    with np.errstate(divide="ignore", invalid="ignore"):
        data["PCHGNAD"] = (data["CHGNAD"] / data["NADIR"] * 100).where(data["NADIR"] != 0)

    baseline = data["ABLFL"].eq("Y").fillna(False)
    data["AVISIT"] = data["VISIT"].astype("string").where(post).mask(baseline, "BASELINE")
    data["AVISITN"] = pd.to_numeric(data["VISITNUM"], errors="coerce").where(post).mask(
        baseline, baseline_avisitn)
    adtr = data.sort_values([*keys, "PARAMCD", "ADT", "VISITNUM"], kind="stable").reset_index(drop=True)
    adtr["ASEQ"] = (adtr.groupby(keys, sort=False).cumcount() + 1).astype(float)
    return adtr
