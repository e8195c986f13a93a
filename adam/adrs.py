"""ADRS: tumour response analysis dataset (admiralonco ad_adrs.R template, RECIST 1.1).

From SDTM RS (overall response per visit, OVRLRESP), TU (baseline lesions) and ADSL:
OVR records, then one record per ADSL subject for PD, RSP, CB, BOR, BCP, CRSP, CCB, CBOR,
CBCP, DEATH, LSTA and MDIS, and per response window (e.g. 3 months for the ORR) BOR, CBOR,
RSP and CRSP again with the window's suffix. Every analysis choice is a keyword argument.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from adam.dates import derive_vars_dt, derive_vars_dy
from adam.params import PARAM_NAMES, AdslVar, OptionalAdslVar, compute_param_names
from adam.response import (
    SUBJECT_KEYS,
    compute_aval_resp,
    derive_extreme_event,
    derive_param_bor,
    derive_param_confirmed_bor,
    select_assessments,
)
from adam.sources import (
    NO_DATA_N,
    RSP_Y,
    Event,
    clinical_benefit_event,
    compute_condition,
    confirmed_response_events,
)
from specs.errors import Problem
from specs.model import DatasetSpec, Study

# Worst response wins when one date has several assessments (admiralonco vignette worst_resp).
_WORST_ORDER = {"NE": 1, "CR": 2, "PR": 3, "SD": 4, "NON-CR/NON-PD": 5, "PD": 6}
# Response parameters derived again within each response window (ORR at a landmark).
WINDOW_PARAMS = ("BOR", "CBOR", "RSP", "CRSP")
# Every PARAMCD build_adrs makes, besides the windows' (MDIS only with TU).
ADRS_PARAMS = ("OVR", "PD", "RSP", "CB", "BOR", "BCP", "CRSP", "CCB", "CBOR", "CBCP", "DEATH", "LSTA", "MDIS")


def adrs_paramcds(response_windows: Mapping[str, int] | None) -> dict[str, str]:
    """The PARAMCDs build_adrs makes with these response windows, each with the spec part that makes
    it (for `check_adrs`): the fixed parameters, and WINDOW_PARAMS again per window suffix."""
    made = dict.fromkeys(ADRS_PARAMS, "variables.PARAMCD")
    return made | {code + suffix: f"parameters.response_windows.{suffix}"
                   for suffix in (response_windows or {}) for code in WINDOW_PARAMS}


def check_adrs(spec: DatasetSpec, study: Study, parameters: Mapping[str, Any]
               ) -> tuple[dict[str, Any], list[Problem]]:
    """The parameters the spec implies (`param_names`, the PARAMCD codelist's decodes of every
    PARAMCD built), and a problem at its spec line for a PARAMCD the codelist does not decode."""
    names, problems = compute_param_names(spec, study, adrs_paramcds(parameters.get("response_windows")))
    return {PARAM_NAMES: names}, problems


def build_adrs(
    rs: pd.DataFrame,
    adsl: pd.DataFrame,
    tu: pd.DataFrame | None = None,
    *,
    reference_date: AdslVar = "TRTSDT",
    evaluator: str = "INVESTIGATOR",
    confirmation_days: int = 28,
    sd_min_days: int = 42,
    max_ne_between: int = 1,
    no_pr_after_cr: bool = True,
    response_windows: Mapping[str, int] | None = None,
    nact_date: OptionalAdslVar = None,
    baseline_visit: str = "SCREENING",
    highest_imputation: str = "D",
    date_imputation: str = "last",
    study_day_reference: AdslVar = "TRTSDT",
    parcat3: str = "RECIST 1.1",
    param_names: Mapping[str, str] | None = None,
    subject_keys: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """Build ADRS from RS (+ TU) and ADSL.

    `reference_date` is the ADSL date responses are measured from (TRTSDT here; RANDDT in
    randomised studies). `nact_date` names an ADSL variable with the start of new
    anticancer therapy: assessments on or after it are not used. The response parameters
    use every assessment of the follow-up; `response_windows` maps a PARAMCD suffix to a
    number of days, and for each the same response parameters (`WINDOW_PARAMS`: BOR, CBOR,
    RSP, CRSP) are derived again from the assessments at most that many days after the
    reference date ({"3M": 97} gives CRSP3M, the ORR at 3 months). A partial RSDTC is
    imputed up to `highest_imputation` (admiral codes: "n" none, "D" day, "M" month) to
    the `date_imputation` end ("first", "last", "mid"); ADY counts from
    `study_day_reference`. PARAM: `param_names` (PARAMCD → PARAM, filled from the decodes
    of the spec's PARAMCD codelist, not set in the spec; see `adrs_paramcds`).
    """
    keys = list(subject_keys)
    who = evaluator.title()
    common = {"PARCAT1": "Tumor Response", "PARCAT2": who, "PARCAT3": parcat3, "ANL01FL": "Y"}
    ovr = _derive_ovr(
        rs,
        adsl,
        reference_date=reference_date,
        evaluator=evaluator,
        highest_imputation=highest_imputation,
        date_imputation=date_imputation,
        keys=keys,
    )
    ovr = ovr.assign(PARCAT1="Tumor Response", PARCAT2=who, PARCAT3=parcat3)
    adsl_ref = adsl[[*keys, reference_date]]
    rules = {
        "reference_date": reference_date,
        "confirmation_days": confirmation_days,
        "sd_min_days": sd_min_days,
        "max_ne_between": max_ne_between,
        "no_pr_after_cr": no_pr_after_cr,
    }

    def responses(end_window_days: int | None, suffix: str) -> list[pd.DataFrame]:
        used = select_assessments(
            ovr,
            adsl,
            reference_date=reference_date,
            filter="ANL01FL == 'Y'",
            end_window_days=end_window_days,
            nact_date=nact_date,
            subject_keys=keys,
        )
        made = derive_response_params(used, adsl_ref, adsl, **rules, subject_keys=keys)
        return [
            frame.assign(PARAMCD=frame["PARAMCD"] + suffix, **common)
            for frame in made
            if not suffix or frame["PARAMCD"].iloc[0] in WINDOW_PARAMS
        ]

    params = [
        ovr,
        _derive_first_record(
            ovr[compute_condition(ovr, "AVALC == 'PD' and ANL01FL == 'Y'")],
            adsl,
            keys=keys,
            exist_flag=True,
            set_values_to={"PARAMCD": "PD", **common},
        ),
        *responses(None, ""),
        *(frame for suffix, days in (response_windows or {}).items() for frame in responses(days, suffix)),
        _derive_first_record(
            adsl[adsl["DTHDT"].notna()].assign(ADT=adsl["DTHDT"]),
            adsl,
            keys=keys,
            exist_flag=True,
            set_values_to={"PARAMCD": "DEATH", "PARCAT1": "Reference Event", "ANL01FL": "Y"},
        )[[*keys, "ADT", "AVALC", "AVAL", "PARAMCD", "PARCAT1", "ANL01FL"]],
        _derive_first_record(
            ovr[ovr["ANL01FL"] == "Y"],
            adsl,
            keys=keys,
            mode="last",
            set_values_to={"PARAMCD": "LSTA", **common},
        ),
    ]
    if tu is not None:
        params.append(
            _derive_mdis(tu, adsl, evaluator=evaluator, baseline_visit=baseline_visit, keys=keys)
            .assign(PARCAT2=who, PARCAT3=parcat3, ANL01FL="Y")
        )
    adrs = pd.concat(params, ignore_index=True)
    adrs = adrs.sort_values(
        [*keys, "PARAMCD", "ADT", "VISITNUM", "RSSEQ"], kind="stable", na_position="last"
    ).reset_index(drop=True)
    adrs["ASEQ"] = adrs.groupby(keys, sort=False).cumcount() + 1
    adrs["PARAM"] = adrs["PARAMCD"].map(dict(param_names or {})).astype("string")
    # ADSL variables come from ADSL for every record, not from rows that carried a few.
    adrs = adrs.drop(columns=[c for c in adsl if c in adrs and c not in keys])
    adrs = adrs.merge(adsl, on=keys, how="left", validate="many_to_one")
    return derive_vars_dy(adrs, reference_date=study_day_reference, source_vars=["ADT"])


def derive_response_params(
    dataset: pd.DataFrame,
    dataset_adsl: pd.DataFrame,
    dataset_subjects: pd.DataFrame,
    *,
    reference_date: str = "TRTSDT",
    confirmation_days: int = 28,
    sd_min_days: int = 42,
    max_ne_between: int = 1,
    no_pr_after_cr: bool = True,
    subject_keys: Sequence[str] = SUBJECT_KEYS,
) -> list[pd.DataFrame]:
    """The response parameters RSP, CB, BOR, BCP, CRSP, CCB, CBOR, CBCP from the assessments used.

    `dataset` holds the OVR assessments that count (`select_assessments`), `dataset_adsl`
    the subjects with `reference_date`, `dataset_subjects` every ADSL subject (for the
    Y/N flags). One frame per parameter, one record per subject, without PARCAT* and PARAM.
    """
    keys = list(subject_keys)

    def flag(events: Sequence[Event], order: str, paramcd: str) -> pd.DataFrame:
        rows = derive_extreme_event(
            dataset,
            dataset_adsl,
            events,
            reference_date=reference_date,
            order=order,
            set_values_to={"PARAMCD": paramcd},
            subject_keys=keys,
        )
        return rows.assign(AVAL=_compute_aval_yn(rows["AVALC"]))

    def best_of(best: pd.DataFrame, paramcd: str) -> pd.DataFrame:
        return _derive_first_record(
            best[best["AVALC"].isin(["CR", "PR"])],
            dataset_subjects,
            keys=keys,
            exist_flag=True,
            set_values_to={"PARAMCD": paramcd},
        )

    confirmed = confirmed_response_events(
        result_cr="Y",
        result_pr="Y",
        confirmation_days=confirmation_days,
        max_ne_between=max_ne_between,
        no_pr_after_cr=no_pr_after_cr,
    )
    benefit = clinical_benefit_event(sd_min_days=sd_min_days)
    best = {"reference_date": reference_date, "sd_min_days": sd_min_days, "filter": None,
            "subject_keys": keys}
    bor = _new_records(derive_param_bor(
        dataset, dataset_adsl, **best,
        set_values_to={"PARAMCD": "BOR"},
    ), dataset)
    cbor = _new_records(derive_param_confirmed_bor(
        dataset, dataset_adsl, **best,
        confirmation_days=confirmation_days, max_ne_between=max_ne_between, no_pr_after_cr=no_pr_after_cr,
        set_values_to={"PARAMCD": "CBOR"},
    ), dataset)
    return [
        flag([RSP_Y, NO_DATA_N], "event", "RSP"),
        flag([RSP_Y, benefit, NO_DATA_N], "date", "CB"),
        bor,
        best_of(bor, "BCP"),
        flag([*confirmed, NO_DATA_N], "date", "CRSP"),
        flag([*confirmed, benefit, NO_DATA_N], "date", "CCB"),
        cbor,
        best_of(cbor, "CBCP"),
    ]


def _derive_ovr(
    rs: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    reference_date: str,
    evaluator: str,
    highest_imputation: str,
    date_imputation: str,
    keys: list[str],
) -> pd.DataFrame:
    """OVR records: overall response per visit, with ANL01FL and ANL02FL."""
    ovr = rs[(rs["RSTESTCD"] == "OVRLRESP") & (rs["RSEVAL"] == evaluator)].copy()
    ovr = ovr.merge(adsl[[*keys, reference_date]], on=keys, how="left", validate="many_to_one")
    ovr = derive_vars_dt(
        ovr,
        new_vars_prefix="A",
        dtc="RSDTC",
        highest_imputation=highest_imputation,
        date_imputation=date_imputation,
    )
    avalc = ovr["RSSTRESC"].astype("string").str.strip().replace("", pd.NA)
    ovr = ovr.assign(
        PARAMCD="OVR",
        AVISIT=ovr["VISIT"],
        AVALC=avalc,
        AVAL=compute_aval_resp(avalc),
    )
    # One record per date counts: the worst response of that date (ties: the last RSSEQ).
    usable = (ovr["AVAL"].notna() & (ovr["ADT"] >= ovr[reference_date])).fillna(False)
    ranked = ovr[usable].assign(_worst=ovr["AVALC"].map(_WORST_ORDER))
    ranked = ranked.sort_values([*keys, "ADT", "_worst", "RSSEQ"], kind="stable")
    chosen = ranked.drop_duplicates([*keys, "ADT"], keep="last").index
    ovr["ANL01FL"] = pd.Series("Y", index=chosen).reindex(ovr.index).astype("string")
    # ANL02FL: records up to and including the first PD.
    ovr = ovr.sort_values([*keys, "ADT", "RSSEQ"], kind="stable")
    is_pd = (ovr["AVALC"] == "PD").fillna(False).astype(int)
    pd_before = is_pd.groupby([ovr[k] for k in keys]).cumsum() - is_pd
    ovr["ANL02FL"] = pd.Series("Y", index=ovr.index).where(pd_before == 0).astype("string")
    return ovr.drop(columns=[reference_date]).reset_index(drop=True)


def _new_records(combined: pd.DataFrame, used: pd.DataFrame) -> pd.DataFrame:
    """The records that `derive_param_bor` / `derive_param_confirmed_bor` appended to `used`."""
    return combined.iloc[len(used) :].reset_index(drop=True)


def _derive_first_record(
    source: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    keys: list[str],
    set_values_to: Mapping[str, object],
    mode: str = "first",
    exist_flag: bool = False,
) -> pd.DataFrame:
    """First (or last) source record per ADSL subject as a new parameter (derive_extreme_records).

    With `exist_flag`, AVALC is Y for subjects with a record and N for the others;
    otherwise subjects without a record get one with no values.
    """
    order = [*keys, "ADT", *[v for v in ("RSSEQ",) if v in source]]
    chosen = source.sort_values(order, kind="stable", na_position="first")
    chosen = chosen.drop_duplicates(keys, keep="first" if mode == "first" else "last")
    chosen = chosen[chosen.set_index(keys).index.isin(adsl.set_index(keys).index)]
    absent = adsl.loc[~adsl.set_index(keys).index.isin(chosen.set_index(keys).index), keys]
    if exist_flag:
        chosen = chosen.assign(AVALC="Y")
        absent = absent.assign(AVALC="N")
    rows = pd.concat([chosen, absent], ignore_index=True)
    if exist_flag:
        rows["AVAL"] = _compute_aval_yn(rows["AVALC"])
    for name, value in set_values_to.items():
        rows[name] = value
    return rows


def _derive_mdis(
    tu: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    evaluator: str,
    baseline_visit: str,
    keys: list[str],
) -> pd.DataFrame:
    """MDIS: Y when a target lesion was identified at the baseline visit, else N."""
    target = tu[(tu["TUEVAL"] == evaluator) & (tu["TUSTRESC"] == "TARGET") & (tu["VISIT"] == baseline_visit)]
    has = adsl[keys].drop_duplicates().set_index(keys).index.isin(target.set_index(keys).index)
    rows = adsl[keys].drop_duplicates().assign(AVALC=pd.Series(has).map({True: "Y", False: "N"}).values)
    return rows.assign(AVAL=_compute_aval_yn(rows["AVALC"]), PARAMCD="MDIS")


def _compute_aval_yn(avalc: pd.Series) -> pd.Series:
    return avalc.map({"Y": 1.0, "N": 0.0}).astype("float64")
