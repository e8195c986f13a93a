"""ADSL: one record per subject, from DM, EX, DS (and AE, LB, CM for dates).

Derivations follow admiral's ADSL template; every study choice is a keyword argument of
plain types (query strings, lists, numbers) so that an ADaM spec can set it:

- which EX records are "the treatment" (`treatment_filter`): admiral counts doses > 0 and
  placebo; the CAR-T studies count the infusion only, so TRTSDT = TRTEDT = infusion date
  (docs/clinical.md, reference dates), and a second filter gives lymphodepletion LDSTDT/LDENDT;
- disposition, randomisation and new anticancer therapy records (DS/CM filters);
- the sources of the last known alive date, the age groups;
- the response-evaluable population (`evaluable_filter`, a TU query): **Decision** (docs/clinical.md
  sections 4-5) infused (SAFFL = Y) and measurable disease at baseline, i.e. at least one
  target lesion identified at baseline, so that every evaluable subject can have a RECIST
  response;
- subject-level variables the builder does not know, declared in the spec (docs/decisions.md D12):
  `dates` (a date from the first or last record of a dataset meeting a condition) and `flags`
  (population flags Y/N: a condition on the subject's ADSL record, or the existence of a record
  meeting a condition in a dataset, admiral derive_var_merged_exist_flag).

The builder is the ADSL structure's (`data_structure: ADSL`): nothing of a CAR-T design is
assumed; the lymphodepletion dates, the evaluable flag and NACTDT come only with their parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from adam.dates import compute_dt, derive_vars_dt, derive_vars_dtm, impute_dtc_dt
from adam.flags import derive_var_merged_exist_flag, select_extreme_records
from adam.params import compute_mapping_problems
from adam.sources import Condition, compute_condition
from specs.errors import Problem
from specs.model import DatasetSpec, Study
from specs.schema import closest

SUBJECT_KEYS = ("STUDYID", "USUBJID")

# admiral template: doses above zero, or zero doses of placebo
VALID_DOSE = "EXDOSE > 0 or (EXDOSE == 0 and EXTRT.str.contains('PLACEBO'))"
# admiral template format_agegr1: (lowest age, highest age, label), bounds inclusive
ADMIRAL_AGE_GROUPS = ((None, 17, "<18"), (18, 64, "18-64"), (65, None, ">64"))
# admiral template LSTALVDT sources: (dataset name, --DTC variable[, condition on that dataset])
ADMIRAL_LAST_ALIVE_DTC = (("ae", "AESTDTC"), ("ae", "AEENDTC"), ("lb", "LBDTC"))
# Datasets build_adsl can read dates from (its optional DataFrame arguments, plus dm/ex/ds).
DATE_SOURCES = ("ae", "lb", "ds", "cm", "ex", "rs", "sv", "qs", "pc", "tu", "dm")
# Keys of a declared date (`dates: {RANDDT: {...}}`) and of a declared existence flag.
DATE_KEYS = ("dataset", "date", "filter", "mode", "imputation")
FLAG_KEYS = ("dataset", "condition")
# A declared flag: a condition on the ADSL record, or {dataset, condition} for a record that exists.
FlagDeclaration = str | Mapping[str, str]


def convert_blanks_to_na(dataset: pd.DataFrame) -> pd.DataFrame:
    """Blank or all-space character values (as read from XPT) become missing."""
    text = dataset.select_dtypes(include=["object", "string"]).columns
    blanks = {name: dataset[name].mask(dataset[name].astype("string").str.strip() == "") for name in text}
    return dataset.assign(**blanks)


def combine_supp(dataset: pd.DataFrame, supp: pd.DataFrame) -> pd.DataFrame:
    """Add each SUPP-- qualifier (QNAM) as a column of its parent domain.

    Records are matched on STUDYID, USUBJID and, where IDVAR is given, the parent
    variable IDVAR equal to IDVARVAL (compared as numbers for a numeric IDVAR such as
    AESEQ); a blank IDVAR qualifies every record of the subject (SUPPDM).
    """
    supp = convert_blanks_to_na(supp)
    result = dataset.copy()
    for idvar, group in supp.groupby(supp["IDVAR"].fillna(""), sort=True):
        keys = list(SUBJECT_KEYS) + ([idvar] if idvar else [])
        wide = group.pivot_table(
            index=[*SUBJECT_KEYS, "IDVARVAL"] if idvar else list(SUBJECT_KEYS),
            columns="QNAM",
            values="QVAL",
            aggfunc="first",
        )
        wide.columns = list(wide.columns)
        wide = wide.reset_index()
        if idvar:
            parent_key = result[idvar]
            if pd.api.types.is_numeric_dtype(parent_key):
                wide[idvar] = pd.to_numeric(wide.pop("IDVARVAL"), errors="coerce")
            else:
                wide[idvar] = wide.pop("IDVARVAL").astype(parent_key.dtype)
        merged = result.merge(wide, on=keys, how="left", validate="many_to_one")
        merged.index = result.index
        result = merged
    return result


def derive_vars_merged(
    dataset: pd.DataFrame,
    dataset_add: pd.DataFrame,
    by_vars: Sequence[str],
    new_vars: Mapping[str, str],
    *,
    order: Sequence[str] | None = None,
    mode: str = "first",
    filter_add: Condition = None,
) -> pd.DataFrame:
    """Add `new_vars` {new name: variable of dataset_add} from one record per group.

    Without `order` the filtered `dataset_add` must hold at most one record per group;
    with `order` the first or last record by it is taken (admiral derive_vars_merged).
    """
    by = list(by_vars)
    if order is None:
        chosen = dataset_add[compute_condition(dataset_add, filter_add)]
        duplicated = chosen.duplicated(by, keep=False)
        if duplicated.any():
            keys = chosen.loc[duplicated, by].drop_duplicates().head(3).to_dict("records")
            raise ValueError(f"more than one record per {by} in dataset_add, e.g. {keys}")
    else:
        chosen = select_extreme_records(dataset_add, by, order, mode=mode, filter=filter_add)
    added = chosen[by].assign(**{new: chosen[old] for new, old in new_vars.items()})
    merged = dataset.merge(added, on=by, how="left", validate="many_to_one")
    merged.index = dataset.index
    return merged


def derive_vars_exposure_period(
    dataset: pd.DataFrame,
    dataset_ex: pd.DataFrame,
    *,
    filter_ex: Condition = VALID_DOSE,
    start_var: str = "TRTSDTM",
    end_var: str = "TRTEDTM",
    by_vars: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """First exposure start and last exposure end among EX records meeting `filter_ex`.

    EXSTDTC without time is taken at 00:00:00, EXENDTC at 23:59:59 (time flagged in
    <start>TMF / <end>TMF, e.g. TRTSTMF); partial dates are not imputed. Adds the
    datetimes `start_var`/`end_var`, their flags and dates (TRTSDTM → TRTSDT).
    """
    ex = derive_vars_dtm(dataset_ex, new_vars_prefix="EXST", dtc="EXSTDTC")
    ex = derive_vars_dtm(ex, new_vars_prefix="EXEN", dtc="EXENDTC", time_imputation="last")
    ex = ex.assign(__use__=compute_condition(ex, filter_ex))
    start_stem, end_stem = start_var[:-3], end_var[:-3]
    result = derive_vars_merged(
        dataset,
        ex,
        by_vars,
        {start_var: "EXSTDTM", f"{start_stem}TMF": "EXSTTMF"},
        order=["EXSTDTM", "EXSEQ"],
        mode="first",
        filter_add=lambda frame: frame["__use__"] & frame["EXSTDTM"].notna(),
    )
    result = derive_vars_merged(
        result,
        ex,
        by_vars,
        {end_var: "EXENDTM", f"{end_stem}TMF": "EXENTMF"},
        order=["EXENDTM", "EXSEQ"],
        mode="last",
        filter_add=lambda frame: frame["__use__"] & frame["EXENDTM"].notna(),
    )
    return result.assign(
        **{
            start_var[:-1]: result[start_var].dt.normalize(),
            end_var[:-1]: result[end_var].dt.normalize(),
        }
    )


def derive_var_trtdurd(
    dataset: pd.DataFrame,
    *,
    start_date: str = "TRTSDT",
    end_date: str = "TRTEDT",
    new_var: str = "TRTDURD",
) -> pd.DataFrame:
    """Treatment duration in days, end − start + 1 (admiral derive_var_trtdurd)."""
    days = (dataset[end_date] - dataset[start_date]).dt.days + 1
    return dataset.assign(**{new_var: days.astype("Int64")})


def compute_agegr(
    age: pd.Series,
    groups: Sequence[Sequence] = ADMIRAL_AGE_GROUPS,
    *,
    missing_label: str | None = None,
) -> pd.Series:
    """Age group label for each age; groups are (lowest, highest, label), bounds inclusive.

    A bound of None is open. Ages in no group get NA, missing ages `missing_label` (missing
    by default: a label such as admiral's "Missing" must then be a term of the AGEGR1
    codelist).
    """
    labels = pd.Series(pd.NA, index=age.index, dtype="string")
    for lowest, highest, label in groups:
        inside = age.notna()
        if lowest is not None:
            inside &= age >= lowest
        if highest is not None:
            inside &= age <= highest
        labels = labels.mask(inside & labels.isna(), label)
    return labels.mask(age.isna(), missing_label)


def compute_eosstt(
    status: pd.Series,
    *,
    completed: Sequence[str] = ("COMPLETED",),
    not_applicable: Sequence[str] = ("SCREEN FAILURE",),
) -> pd.Series:
    """End-of-study status from the disposition term (admiral template format_eosstt).

    `completed` terms → COMPLETED, `not_applicable` terms → missing, any other term →
    DISCONTINUED, no disposition record (missing) → ONGOING.
    """
    result = pd.Series("DISCONTINUED", index=status.index, dtype="string")
    result = result.mask(status.isin(list(completed)), "COMPLETED")
    result = result.mask(status.isin(list(not_applicable)), pd.NA)
    return result.mask(status.isna(), "ONGOING")


def derive_var_evaluable_fl(
    dataset: pd.DataFrame,
    dataset_tu: pd.DataFrame,
    by_vars: Sequence[str] = SUBJECT_KEYS,
    new_var: str = "RSEVALFL",
    *,
    filter: Condition = "TUSTRESC == 'TARGET' and VISIT == 'SCREENING'",
    treated_var: str = "SAFFL",
) -> pd.DataFrame:
    """Response-evaluable flag: Y when `treated_var` is Y and TU has a record meeting `filter`.

    `filter` selects the lesions that make disease measurable at baseline (default: a target
    lesion identified at the screening visit); N for every other subject.
    """
    measurable = derive_var_merged_exist_flag(dataset, dataset_tu, by_vars, "__mdis__", condition=filter)
    evaluable = dataset[treated_var].eq("Y").fillna(False) & measurable["__mdis__"].eq("Y").fillna(False)
    return dataset.assign(**{new_var: evaluable.map({True: "Y", False: "N"}).astype("string")})


def derive_var_extreme_dt(
    dataset: pd.DataFrame,
    new_var: str,
    *,
    sources: Sequence[tuple[pd.DataFrame, str] | tuple[pd.DataFrame, str, Condition]],
    mode: str = "last",
    highest_imputation: str = "M",
    by_vars: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """Latest (or earliest) date over several sources, per subject (admiral LSTALVDT-style).

    Each source is (frame, variable) or (frame, variable, condition): a --DTC character
    variable is converted with imputation up to `highest_imputation` (first day/month), a
    datetime variable is used as its date; only records meeting the condition count (e.g. a
    disposition other than death). Records whose date stays missing do not count.
    """
    by = list(by_vars)
    dated = []
    for frame, variable, *condition in sources:
        frame = frame[compute_condition(frame, condition[0] if condition else None)]
        values = frame[variable]
        if pd.api.types.is_datetime64_any_dtype(values):
            date = values.dt.normalize()
        else:
            date = impute_dtc_dt(values, highest_imputation=highest_imputation)
        dated.append(frame[by].assign(__date__=date.to_numpy()))
    stacked = pd.concat(dated, ignore_index=True).dropna(subset=["__date__"])
    grouped = stacked.groupby(by)["__date__"]
    extreme = (grouped.max() if mode == "last" else grouped.min()).rename(new_var).reset_index()
    merged = dataset.merge(extreme, on=by, how="left", validate="many_to_one")
    merged.index = dataset.index
    return merged


def derive_vars_declared_dates(
    dataset: pd.DataFrame,
    dates: Mapping[str, Mapping[str, Any]],
    frames: Mapping[str, pd.DataFrame],
    by_vars: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """One date per entry {new variable: {dataset, date, filter, mode, imputation}}: the first
    (`mode: first`, default) or last --DTC `date` of the subject's records of `dataset` meeting
    `filter`, partial dates imputed up to `imputation` (default "n": not imputed)."""
    for new_var, declared in dates.items():
        source = convert_blanks_to_na(frames[declared["dataset"]])
        dataset = derive_var_extreme_dt(
            dataset.drop(columns=[new_var], errors="ignore"),
            new_var,
            sources=[(source, declared["date"], declared.get("filter"))],
            mode=declared.get("mode", "first"),
            highest_imputation=declared.get("imputation", "n"),
            by_vars=by_vars,
        )
    return dataset


def derive_vars_declared_flags(
    dataset: pd.DataFrame,
    flags: Mapping[str, FlagDeclaration],
    frames: Mapping[str, pd.DataFrame],
    by_vars: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """One Y/N flag per entry {new variable: declaration}, in order, so that a flag may use the
    ones before it: a condition (text) on the subject's own record (ITTFL: "RANDDT.notna()"), or
    {dataset, condition}: Y when the subject has a record of `dataset` meeting `condition`
    (admiral derive_var_merged_exist_flag; N without one)."""
    for new_var, declared in flags.items():
        if isinstance(declared, str):
            met = compute_condition(dataset, declared)
            dataset = dataset.assign(**{new_var: met.map({True: "Y", False: "N"}).astype("string")})
        else:
            source = convert_blanks_to_na(frames[declared["dataset"]])
            dataset = derive_var_merged_exist_flag(dataset, source, by_vars, new_var,
                                                   condition=declared.get("condition"))
    return dataset


def build_adsl(
    dm: pd.DataFrame,
    ex: pd.DataFrame,
    ds: pd.DataFrame,
    *,
    ae: pd.DataFrame | None = None,
    lb: pd.DataFrame | None = None,
    cm: pd.DataFrame | None = None,
    rs: pd.DataFrame | None = None,
    sv: pd.DataFrame | None = None,
    qs: pd.DataFrame | None = None,
    pc: pd.DataFrame | None = None,
    tu: pd.DataFrame | None = None,
    treatment_filter: Condition = VALID_DOSE,
    lymphodepletion_filter: Condition = None,
    eos_filter: Condition = "DSCAT == 'DISPOSITION EVENT'",
    eos_completed: Sequence[str] = ("COMPLETED",),
    eos_not_applicable: Sequence[str] = ("SCREEN FAILURE",),
    randomization_filter: Condition = "DSDECOD == 'RANDOMIZED'",
    death_date_imputation: str = "M",
    age_groups: Sequence[Sequence] = ADMIRAL_AGE_GROUPS,
    age_missing_label: str | None = None,
    last_alive_dtc: Sequence[Sequence[str]] = ADMIRAL_LAST_ALIVE_DTC,
    last_alive_vars: Sequence[str] = ("TRTEDT",),
    new_therapy_filter: Condition = None,
    new_therapy_dtc: str = "CMSTDTC",
    new_therapy_imputation: str = "n",
    evaluable_filter: Condition = None,
    dates: Mapping[str, Mapping[str, Any]] | None = None,
    flags: Mapping[str, FlagDeclaration] | None = None,
) -> pd.DataFrame:
    """ADSL from SDTM DM, EX, DS (other domains for the last known alive date, CM for NACTDT,
    TU for the response-evaluable flag).

    Adds TRT01P/TRT01A (ARM/ACTARM), TRTSDTM/TRTSTMF/TRTSDT, TRTEDTM/TRTETMF/TRTEDT,
    TRTDURD, LDSTDT/LDENDT (only with `lymphodepletion_filter`), EOSDT/EOSSTT, RANDDT,
    DTHDT/DTHDTF, DTHFL, LSTALVDT, SAFFL, AGEGR1 (`age_missing_label` for a missing age),
    NACTDT (only with `new_therapy_filter`: first start of a new anticancer therapy in CM)
    and RSEVALFL (only with `evaluable_filter`, see `derive_var_evaluable_fl`); then the spec's
    `dates` (`derive_vars_declared_dates`) and `flags` (`derive_vars_declared_flags`), which may
    use every variable before them.

    `last_alive_dtc` lists (dataset name, --DTC variable[, condition]) among DATE_SOURCES;
    `last_alive_vars` ADSL dates that also count (admiral: TRTEDT).
    """
    dm, ex, ds = (convert_blanks_to_na(frame) for frame in (dm, ex, ds))
    adsl = dm.drop(columns=["DOMAIN"], errors="ignore")
    adsl = adsl.assign(TRT01P=adsl["ARM"], TRT01A=adsl["ACTARM"])
    adsl = derive_vars_exposure_period(adsl, ex, filter_ex=treatment_filter)
    adsl = derive_var_trtdurd(adsl)
    if lymphodepletion_filter is not None:
        adsl = derive_vars_exposure_period(
            adsl, ex, filter_ex=lymphodepletion_filter, start_var="LDSTDTM", end_var="LDENDTM"
        )

    ds_dated = ds.assign(DSSTDT=compute_dt(ds["DSSTDTC"]))
    eos = compute_condition(ds_dated, eos_filter)
    applicable = ~ds_dated["DSDECOD"].isin(list(eos_not_applicable))
    adsl = derive_vars_merged(adsl, ds_dated[eos & applicable], SUBJECT_KEYS, {"EOSDT": "DSSTDT"})
    adsl = derive_vars_merged(
        adsl,
        ds_dated[eos],
        SUBJECT_KEYS,
        {"EOSSTT": "DSDECOD"},
    )
    adsl["EOSSTT"] = compute_eosstt(
        adsl["EOSSTT"], completed=eos_completed, not_applicable=eos_not_applicable
    )
    if randomization_filter is not None:
        adsl = derive_vars_merged(
            adsl, ds_dated, SUBJECT_KEYS, {"RANDDT": "DSSTDT"}, filter_add=randomization_filter
        )

    adsl = derive_vars_dt(adsl, new_vars_prefix="DTH", dtc="DTHDTC", highest_imputation=death_date_imputation)
    if "DTHFL" not in adsl:
        adsl["DTHFL"] = adsl["DTHDTC"].notna().map({True: "Y", False: pd.NA}).astype("string")

    frames = {"ae": ae, "lb": lb, "ds": ds, "cm": cm, "ex": ex, "rs": rs, "sv": sv, "qs": qs, "pc": pc,
              "tu": tu, "dm": dm}
    needed = adsl_needs(last_alive_dtc, new_therapy_filter, evaluable_filter, dates, flags)
    missing = sorted(name for name in needed if frames.get(name) is None)
    if missing:
        raise ValueError(f"build_adsl: the parameters use {missing} but no such dataset was given")
    alive_sources = [
        (convert_blanks_to_na(frames[name]), variable, *condition)
        for name, variable, *condition in last_alive_dtc
    ]
    alive_sources += [(adsl, variable) for variable in last_alive_vars]
    adsl = derive_var_extreme_dt(adsl, "LSTALVDT", sources=alive_sources)

    adsl = derive_var_merged_exist_flag(adsl, ex, SUBJECT_KEYS, "SAFFL", condition=treatment_filter)
    adsl["AGEGR1"] = compute_agegr(adsl["AGE"], age_groups, missing_label=age_missing_label)
    if evaluable_filter is not None:
        adsl = derive_var_evaluable_fl(adsl, convert_blanks_to_na(tu), filter=evaluable_filter)

    if new_therapy_filter is not None:
        therapy = convert_blanks_to_na(cm)
        therapy = therapy[compute_condition(therapy, new_therapy_filter)]
        adsl = derive_var_extreme_dt(
            adsl,
            "NACTDT",
            sources=[(therapy, new_therapy_dtc)],
            mode="first",
            highest_imputation=new_therapy_imputation,
        )
    adsl = derive_vars_declared_dates(adsl, dates or {}, frames)
    return derive_vars_declared_flags(adsl, flags or {}, frames)


def adsl_needs(
    last_alive_dtc: Sequence[Sequence] = ADMIRAL_LAST_ALIVE_DTC,
    new_therapy_filter: Condition = None,
    evaluable_filter: Condition = None,
    dates: Mapping[str, Mapping[str, Any]] | None = None,
    flags: Mapping[str, FlagDeclaration] | None = None,
) -> set[str]:
    """The optional datasets of `build_adsl` that these parameter values read."""
    needed = {source[0] for source in last_alive_dtc}
    needed |= {declared["dataset"] for declared in (dates or {}).values()}
    needed |= {declared["dataset"] for declared in (flags or {}).values() if not isinstance(declared, str)}
    unknown = sorted(needed - set(DATE_SOURCES))
    if unknown:
        raise ValueError(f"the parameters name {unknown}; build_adsl reads {DATE_SOURCES}")
    if new_therapy_filter is not None:
        needed.add("cm")
    if evaluable_filter is not None:
        needed.add("tu")
    return needed


def check_adsl(spec: DatasetSpec, study: Study, parameters: Mapping[str, Any]
               ) -> tuple[dict[str, Any], list[Problem]]:
    """Problems of the spec's declared `dates` and `flags`, each at its line: an unknown key (the
    valid ones listed), a dataset build_adsl does not read, a missing date or condition."""
    found: list[tuple[str, str]] = []

    def entry(where: str, value: Any, valid: tuple[str, ...], required: tuple[str, ...]) -> None:
        found.extend(compute_mapping_problems(value, where, valid, required))
        if not isinstance(value, Mapping):
            return
        dataset = value.get("dataset")
        if dataset is not None and dataset not in DATE_SOURCES:
            found.append((f"{where}.dataset", f"{where}.dataset: build_adsl reads no dataset {dataset!r}"
                                              f"{closest(str(dataset), DATE_SOURCES)} (it reads "
                                              f"{', '.join(DATE_SOURCES)})"))

    for group, valid, required in (("dates", DATE_KEYS, ("dataset", "date")),
                                   ("flags", FLAG_KEYS, ("dataset",))):
        declared = parameters.get(group) or {}
        if not isinstance(declared, Mapping):
            found.append((f"parameters.{group}",
                          f"parameters.{group}: expected a mapping VARIABLE: declaration"))
            continue
        for name, value in declared.items():
            if group == "flags" and isinstance(value, str):
                continue  # a condition on the ADSL record itself
            entry(f"parameters.{group}.{name}", value, valid, required)
            mode = value.get("mode", "first") if group == "dates" and isinstance(value, Mapping) else "first"
            if mode not in ("first", "last"):
                found.append((f"parameters.{group}.{name}.mode",
                              f"parameters.{group}.{name}.mode: {mode!r} is not one of first, last"))
    return {}, [Problem(*spec.place(part), text) for part, text in found]
