"""The generic BDS builder: any findings-domain BDS dataset (ADVS, ADEG, a plain ADLB) from its spec.

A dataset spec with `data_structure: BDS` names its SDTM findings domain and declares each
analysis parameter once, under `parameters: analysis_parameters:`:

    - {paramcd: SYSBP, testcd: SYSBP, range: [90, 130]}          # a --TESTCD of the domain
    - {paramcd: SYSBPSU, testcd: SYSBP, where: {VSPOS: SUPINE}}  # ... selected by --POS/--TPT/unit
    - {paramcd: MAP, derivation: map, with: {sysbp: SYSBP, diabp: DIABP}}   # adam.param_derivations

PARAM is the decode of PARAMCD in the codelist the spec's PARAMCD variable names, so the data
and define.xml cannot drift; the define.xml method text of PARAMCD and AVAL is written from the
same declarations (`describe_bds`). What a declaration may say is checked at its spec line
(`check_bds`) before anything is built.

The derivations follow admiral's ADVS template (ad_advs.R): ADSL variables merged, ADT/ADY,
AVAL/AVALC, computed parameters, AVISIT/AVISITN, ATPT/ATPTN, ANRLO/ANRHI/ANRIND, ONTRTFL,
baseline by a named rule (ABLFL, BASE, BNRIND, CHG, PCHG), ANL01FL and ASEQ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from adam.adlb import compute_anrind
from adam.adsl import convert_blanks_to_na
from adam.bds import (
    SUMMARY_STATISTICS,
    compute_on_or_before,
    derive_extreme_records,
    derive_summary_records,
    derive_var_base,
    derive_var_chg,
    derive_var_ontrtfl,
    derive_var_pchg,
)
from adam.dates import compute_dt, derive_vars_dy
from adam.flags import derive_var_extreme_flag
from adam.inputs import Reads, known_variables, variable_names
from adam.param_derivations import PARAM_DERIVATIONS
from adam.params import (
    PARAM_NAMES,
    AdslVar,
    AdslVars,
    OptionalAdslVar,
    ParameterError,
    compute_declaration_problems,
    compute_mapping_problems,
    compute_param_names,
)
from adam.sources import Condition, compute_condition
from specs.errors import Problem
from specs.model import DatasetSpec, Study
from specs.schema import closest

DECLARATION_KEYS = ("paramcd", "testcd", "where", "derivation", "with", "range")
# The builder parameters that name variables (queries, by and order variables).
NAMING_PARAMETERS = ("derived_filter", "pre_treatment_filter", "summary_records", "baseline_by",
                     "baseline_order", "baseline_filter", "change_filter", "anl01fl_by", "anl01fl_order",
                     "anl01fl_filter", "extreme_records", "aseq_order")
SUMMARY_KEYS = ("by", "filter", "statistic", "dtype")
EXTREME_KEYS = ("by", "order", "mode", "filter", "set_values_to")


@dataclass(frozen=True)
class ParameterDeclaration:
    """One analysis parameter: its PARAMCD and where its AVAL comes from, a --TESTCD of the
    findings domain (records selected by `where`) or a registered derivation with its arguments."""

    paramcd: str
    testcd: str | None = None
    where: Mapping[str, Any] = field(default_factory=dict)
    derivation: str | None = None
    arguments: Mapping[str, Any] = field(default_factory=dict)
    range: tuple[float | None, float | None] | None = None  # ANRLO, ANRHI when the SDTM has none


def declarations(values: Sequence[Mapping[str, Any]]) -> tuple[ParameterDeclaration, ...]:
    """The spec's `analysis_parameters` entries as declarations (checked by `check_bds`)."""
    return tuple(
        ParameterDeclaration(
            paramcd=v["paramcd"], testcd=v.get("testcd"), where=dict(v.get("where") or {}),
            derivation=v.get("derivation"), arguments=dict(v.get("with") or {}),
            range=tuple(v["range"]) if v.get("range") is not None else None,
        )
        for v in values
    )


# --- baseline rules ---------------------------------------------------------------------------

def _last_on_or_before(dataset: pd.DataFrame, reference_date: str) -> pd.Series:
    return compute_on_or_before(dataset, reference_date=reference_date, date_var="ADT")


def _last_before(dataset: pd.DataFrame, reference_date: str) -> pd.Series:
    before = pd.to_datetime(dataset["ADT"]) < pd.to_datetime(dataset[reference_date]).dt.normalize()
    return before.fillna(False).astype(bool)


# Which records may be baseline (before the last by `baseline_order` among them is taken), by the
# name a spec gives; admiral's ADVS template is last_on_or_before (ADT <= TRTSDT).
BASELINE_RULES: dict[str, Callable[[pd.DataFrame, str], pd.Series]] = {
    "last_on_or_before": _last_on_or_before,
    "last_before": _last_before,
}
BASELINE_TEXT = {
    "last_on_or_before": "the last record with a non-missing AVAL on or before {ref}",
    "last_before": "the last record with a non-missing AVAL before {ref}",
}


def derive_var_ablfl_by_rule(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    order: Sequence[str],
    new_var: str = "ABLFL",
    *,
    rule: str = "last_on_or_before",
    reference_date: str = "TRTSDT",
    filter: Condition = None,
) -> pd.DataFrame:
    """Baseline flag by a named rule (BASELINE_RULES): the last record by ``order`` per
    ``by_vars`` among records with AVAL that the rule admits and ``filter`` keeps (admiral
    restrict_derivation(derive_var_extreme_flag(mode = "last")))."""
    eligible = (BASELINE_RULES[rule](dataset, reference_date) & dataset["AVAL"].notna()
                & compute_condition(dataset, filter))
    return derive_var_extreme_flag(dataset, by_vars, order, new_var, mode="last", filter=lambda _: eligible)


# --- the builder ------------------------------------------------------------------------------

def _named(data: pd.DataFrame, parameter: str, names: Sequence[str]) -> list[str]:
    """`names` (order variables may start with "-"), once each is a variable of the data."""
    for name in names:
        if str(name).lstrip("-") not in data:
            made = [c for c in data.columns if not str(c).startswith("_")]
            raise ParameterError(parameter, f"no variable {str(name).lstrip('-')}{closest(name, made)}")
    return list(names)


def _column(data: pd.DataFrame, name: str, kind: str = "string") -> pd.Series:
    if name not in data:
        return pd.Series(np.nan if kind == "float" else pd.NA, index=data.index,
                         dtype="float64" if kind == "float" else "string")
    if kind == "float":
        return pd.to_numeric(data[name], errors="coerce").astype(float)
    return data[name].astype("string")


def _selected(data: pd.DataFrame, prefix: str, declaration: ParameterDeclaration) -> pd.Series:
    chosen = (data[f"{prefix}TESTCD"] == declaration.testcd).fillna(False)
    for variable, value in declaration.where.items():
        values = [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
        chosen &= data[variable].astype("string").isin(values).fillna(False)
    return chosen.astype(bool)


def derive_vars_analysis_visit(
    dataset: pd.DataFrame, analysis_visits: Mapping[str, Sequence[Any]] | None
) -> pd.DataFrame:
    """AVISIT, AVISITN from VISIT: the spec's table VISIT → [AVISITN, AVISIT]; a visit it does not
    list (screening, unscheduled ...) gets none. Without a table, VISIT and VISITNUM as they are."""
    visit = _column(dataset, "VISIT")
    if analysis_visits is None:
        return dataset.assign(AVISIT=visit, AVISITN=_column(dataset, "VISITNUM", "float"))
    numbers = {name: float(entry[0]) for name, entry in analysis_visits.items()}
    names = {name: str(entry[1]) for name, entry in analysis_visits.items()}
    return dataset.assign(AVISIT=visit.map(names).astype("string"),
                          AVISITN=visit.map(numbers).astype("float64"))


def build_bds(
    findings: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    domain: str,
    analysis_parameters: Sequence[Mapping[str, Any]],
    param_names: Mapping[str, str] | None = None,
    adsl_vars: AdslVars = ("TRTSDT", "TRTEDT"),
    reference_date: AdslVar = "TRTSDT",
    trt_end_date: OptionalAdslVar = "TRTEDT",
    trt_end_window_days: int = 0,
    pre_treatment_filter: str | None = None,
    derived_by: Sequence[str] = ("VISITNUM", "VISIT", "ADT", "ATPTN", "ATPT"),
    derived_filter: str | None = None,
    analysis_visits: Mapping[str, Sequence[Any]] | None = None,
    summary_records: Mapping[str, Any] | None = None,
    baseline_rule: str = "last_on_or_before",
    baseline_filter: str | None = None,
    baseline_by: Sequence[str] = (),
    baseline_order: Sequence[str] = ("ADT",),
    change_filter: str | None = None,
    anl01fl_by: Sequence[str] = ("AVISIT",),
    anl01fl_order: Sequence[str] = ("ADT", "AVAL"),
    anl01fl_filter: str | None = "AVISITN.notna() and ONTRTFL == 'Y'",
    extreme_records: Sequence[Mapping[str, Any]] = (),
    aseq_order: Sequence[str] = ("PARAMCD", "ADT", "AVISITN", "VISITNUM", "ATPTN", "DTYPE"),
    subject_keys: Sequence[str] = ("STUDYID", "USUBJID"),
) -> pd.DataFrame:
    """A BDS dataset from the findings ``domain`` (VS, EG, LB ...) and ADSL, one parameter per
    declaration in ``analysis_parameters`` (see the module docstring).

    Per test: AVAL = --STRESN, AVALC = --STRESC, AVALU = --STRESU, ADT from --DTC, ATPT/ATPTN
    from --TPT/--TPTNUM, ANRLO/ANRHI from the declaration's ``range`` else --STNRLO/--STNRHI.
    Derived parameters are computed per ``derived_by`` (after the subject keys) among records
    meeting ``derived_filter``. AVISIT/AVISITN: ``analysis_visits`` (VISIT → [AVISITN, AVISIT]).
    ``summary_records`` (`{by, filter, statistic, dtype}`) adds a record per parameter and ``by``
    group holding the ``statistic`` of AVAL, with DTYPE = ``dtype`` (default AVERAGE).
    ONTRTFL: ADT from ``reference_date`` to ``trt_end_date`` + ``trt_end_window_days``, except
    records on the start date meeting ``pre_treatment_filter``. ABLFL: the last record by
    ``baseline_order`` per parameter and ``baseline_by`` that ``baseline_rule`` admits among records
    meeting ``baseline_filter``; BASE and BNRIND from it, CHG and PCHG for the records with a BASE
    that meet ``change_filter``. ANL01FL: the last record by ``anl01fl_order`` per parameter and
    ``anl01fl_by`` among records meeting ``anl01fl_filter``. Each of ``extreme_records`` (`{by,
    order, mode, filter, set_values_to}`) then adds a copy of the first or last record per
    parameter and ``by`` group with new values (an "End of Treatment" visit). ASEQ numbers each
    subject's records by ``aseq_order``. PARAM: ``param_names`` (filled from the PARAMCD
    codelist's decodes, not set in the spec).

    A by or order variable the data lacks, or by-variables of a derived parameter that leave two
    records of a source parameter together, is a ParameterError naming the parameter.
    """
    keys = list(subject_keys)
    prefix = domain.upper()
    data = convert_blanks_to_na(findings)
    data = data.assign(
        ADT=compute_dt(data[f"{prefix}DTC"]),
        AVAL=_column(data, f"{prefix}STRESN", "float"),
        AVALC=_column(data, f"{prefix}STRESC"),
        AVALU=_column(data, f"{prefix}STRESU"),
        ATPT=_column(data, f"{prefix}TPT"),
        ATPTN=_column(data, f"{prefix}TPTNUM", "float"),
        ANRLO=_column(data, f"{prefix}STNRLO", "float"),
        ANRHI=_column(data, f"{prefix}STNRHI", "float"),
    )
    parts = []
    for declaration in declarations(analysis_parameters):
        if declaration.testcd is not None:
            parts.append(data[_selected(data, prefix, declaration)].assign(PARAMCD=declaration.paramcd))
            continue
        so_far = pd.concat(parts, ignore_index=True)
        derivation = PARAM_DERIVATIONS[declaration.derivation]
        by = [*keys, *[v for v in derived_by if v in so_far]]
        try:
            parts.append(derivation.function(so_far, by, paramcd=declaration.paramcd, filter=derived_filter,
                                             **declaration.arguments))
        except ValueError as error:  # a by-group holding a source parameter twice
            raise ParameterError("derived_by", f"{declaration.paramcd}: {error}") from None
    bds = pd.concat(parts, ignore_index=True)
    bds["PARAMCD"] = bds["PARAMCD"].astype("string")
    bds["DTYPE"] = pd.Series(pd.NA, index=bds.index, dtype="string")

    wanted = [v for v in dict.fromkeys([*adsl_vars, reference_date, trt_end_date]) if v and v in adsl]
    bds = bds.drop(columns=[v for v in wanted if v in bds]).merge(
        adsl[[*keys, *wanted]], on=keys, how="left", validate="many_to_one")
    bds = derive_vars_dy(bds, reference_date=reference_date, source_vars=["ADT"])
    bds = derive_vars_analysis_visit(bds, analysis_visits)
    if summary_records:
        # the subject's ADSL variables go along (admiral puts them in the by-variables)
        by = [*keys, "PARAMCD", *_named(bds, "summary_records", summary_records.get("by", ())), *wanted]
        new = derive_summary_records(bds, by, filter=summary_records.get("filter"),
                                     statistic=summary_records.get("statistic", "mean"),
                                     dtype=summary_records.get("dtype", "AVERAGE"))
        bds = pd.concat([bds, new], ignore_index=True)
    # Ranges by parameter apply to every record of it, summary records included.
    ranges = {d.paramcd: d.range for d in declarations(analysis_parameters) if d.range is not None}
    for bound, position in (("ANRLO", 0), ("ANRHI", 1)):
        declared = bds["PARAMCD"].map({code: r[position] for code, r in ranges.items()}).astype("float64")
        bds[bound] = declared.where(bds["PARAMCD"].isin(list(ranges)), bds[bound])
    bds["ANRIND"] = compute_anrind(bds["AVAL"], bds["ANRLO"], bds["ANRHI"])
    bds = derive_var_ontrtfl(bds, ref_start_date=reference_date, ref_end_date=trt_end_date,
                             ref_end_window=trt_end_window_days, filter_pre_timepoint=pre_treatment_filter)

    group = [*keys, "PARAMCD", *_named(bds, "baseline_by", baseline_by)]
    _named(bds, "baseline_order", baseline_order)
    bds = derive_var_ablfl_by_rule(bds, group, baseline_order, rule=baseline_rule,
                                   reference_date=reference_date, filter=baseline_filter)
    bds = derive_var_base(bds, group)
    bds = derive_var_base(bds, group, source_var="ANRIND", new_var="BNRIND")
    bds["BNRIND"] = bds["BNRIND"].astype("string")
    bds = derive_var_chg(bds, filter=change_filter)
    bds = derive_var_pchg(bds, filter=change_filter)
    _named(bds, "anl01fl_order", anl01fl_order)
    bds = derive_var_extreme_flag(bds, [*keys, "PARAMCD", *_named(bds, "anl01fl_by", anl01fl_by)],
                                  anl01fl_order, "ANL01FL",
                                  mode="last", filter=anl01fl_filter)
    for extreme in extreme_records:
        _named(bds, "extreme_records", [*extreme.get("by", ()), *extreme["order"]])
        new = derive_extreme_records(bds, [*keys, "PARAMCD", *extreme.get("by", ())], extreme["order"],
                                     mode=extreme.get("mode", "last"), filter=extreme.get("filter"),
                                     set_values_to=extreme.get("set_values_to"))
        bds = pd.concat([bds, new], ignore_index=True)

    order = [*keys, *[v for v in aseq_order if v in bds]]
    bds = bds.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)
    bds["ASEQ"] = (bds.groupby(keys, sort=False).cumcount() + 1).astype(float)
    bds["PARAM"] = bds["PARAMCD"].map(dict(param_names or {})).astype("string")
    return bds


# --- what the builder reads, and the spec checks ----------------------------------------------

def bds_datasets(parameters: Mapping[str, Any]) -> dict[str, str]:
    """The datasets build_bds reads, by argument: the findings domain the spec names, and ADSL."""
    return {"findings": str(parameters.get("domain", "")).upper(), "adsl": "ADSL"}


def bds_reads(parameters: Mapping[str, Any]) -> Reads:
    """The SDTM variables build_bds reads from the domain the spec names (adam.inputs).

    Variables of the domain (its prefix) that the `where:` of a declaration or a query or order
    parameter names are required: the builder cannot run its filters without them."""
    prefix = str(parameters.get("domain", "")).upper()
    where = {name for value in parameters.get("analysis_parameters") or () if isinstance(value, Mapping)
             for name in (value.get("where") or {})}
    named = variable_names([parameters.get(name) for name in NAMING_PARAMETERS])
    return Reads(
        variables={prefix: (f"{prefix}TESTCD", f"{prefix}STRESN", f"{prefix}DTC",
                            *sorted(where | {n for n in named if n.startswith(prefix)}))},
        # Each has a fallback: no time points, ranges, result text or unit, visits as missing.
        optional={prefix: (f"{prefix}STRESC", f"{prefix}STRESU", f"{prefix}TPT", f"{prefix}TPTNUM",
                           f"{prefix}STNRLO", f"{prefix}STNRHI", "VISIT", "VISITNUM")},
    )


def check_bds(spec: DatasetSpec, study: Study, parameters: Mapping[str, Any]
              ) -> tuple[dict[str, Any], list[Problem]]:
    """Problems of the spec's BDS declarations, each at its line, and the parameters they imply
    (`param_names`: PARAMCD → the decode in the codelist of the spec's PARAMCD variable)."""
    problems: list[Problem] = []

    def problem(part: str, text: str) -> None:
        problems.append(Problem(*spec.place(part), text))

    rule = parameters.get("baseline_rule", "last_on_or_before")
    if rule not in BASELINE_RULES:
        problem("parameters.baseline_rule",
                f"parameters.baseline_rule: no baseline rule {rule!r}{closest(rule, BASELINE_RULES)} "
                f"(rules: {', '.join(BASELINE_RULES)})")
    problems += _visit_problems(spec, parameters.get("analysis_visits"))
    problems += _records_problems(spec, parameters)
    domain = str(parameters.get("domain", "")).upper()
    made: dict[str, str] = {}  # PARAMCD -> the declaration that makes it
    entries = parameters.get("analysis_parameters")
    if not isinstance(entries, list) or not entries:
        problem("parameters.analysis_parameters",
                "parameters.analysis_parameters: expected a list of parameter declarations "
                "({paramcd: CODE, testcd: TESTCD} or {paramcd: CODE, derivation: NAME, with: {...}})")
        names, found = compute_param_names(spec, study, made)
        return {PARAM_NAMES: names}, problems + found
    known = known_variables(study, domain)
    declared: list[str] = []
    for i, entry in enumerate(entries):
        where = f"parameters.analysis_parameters[{i}]"
        found = _declaration_problems(entry, where, declared, known, domain)
        problems += [Problem(*spec.place(part), text) for part, text in found]
        if not isinstance(entry, Mapping) or not isinstance(entry.get("paramcd"), str):
            continue
        code = entry["paramcd"]
        if code in declared:
            problem(where, f"{where}: PARAMCD {code} is declared twice")
        declared.append(code)
        made.setdefault(code, where)
    names, found = compute_param_names(spec, study, made)
    return {PARAM_NAMES: names}, problems + found


def _records_problems(spec: DatasetSpec, parameters: Mapping[str, Any]) -> list[Problem]:
    """Problems of `summary_records` and `extreme_records`: their keys, statistic and mode."""
    found: list[tuple[str, str]] = []

    def keys(value: Any, where: str, valid: tuple[str, ...], required: tuple[str, ...] = ()) -> None:
        found.extend(compute_mapping_problems(value, where, valid, required))

    summary = parameters.get("summary_records")
    if summary is not None:
        keys(summary, "parameters.summary_records", SUMMARY_KEYS)
        statistic = summary.get("statistic", "mean") if isinstance(summary, Mapping) else "mean"
        if statistic not in SUMMARY_STATISTICS:
            found.append(("parameters.summary_records.statistic",
                          f"parameters.summary_records.statistic: {statistic!r} is not one of "
                          f"{', '.join(SUMMARY_STATISTICS)}{closest(statistic, SUMMARY_STATISTICS)}"))
    extremes = parameters.get("extreme_records") or []
    if not isinstance(extremes, list):
        found.append(("parameters.extreme_records", "parameters.extreme_records: expected a list"))
        extremes = []
    for i, extreme in enumerate(extremes):
        where = f"parameters.extreme_records[{i}]"
        keys(extreme, where, EXTREME_KEYS, required=("order",))
        if isinstance(extreme, Mapping) and extreme.get("mode", "last") not in ("first", "last"):
            found.append((f"{where}.mode", f"{where}.mode: {extreme['mode']!r} is not one of first, last"))
    return [Problem(*spec.place(part), text) for part, text in found]


def _visit_problems(spec: DatasetSpec, visits: Any) -> list[Problem]:
    if visits is None:
        return []
    place = spec.place("parameters.analysis_visits")
    if not isinstance(visits, Mapping):
        return [Problem(*place, "parameters.analysis_visits: expected a mapping VISIT: [AVISITN, AVISIT]")]
    return [Problem(*spec.place(f"parameters.analysis_visits.{name}"),
                    f"parameters.analysis_visits.{name}: expected [AVISITN, AVISIT] (a number and a "
                    f"text), found {entry!r}")
            for name, entry in visits.items()
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int | float)
                    and not isinstance(entry[0], bool) and isinstance(entry[1], str))]


def _declaration_problems(entry: Any, where: str, declared: Sequence[str], known: set[str],
                          domain: str) -> list[tuple[str, str]]:
    """(spec part, message) for each problem of one declaration."""
    found = compute_declaration_problems(entry, where, DECLARATION_KEYS)
    if not isinstance(entry, Mapping):
        return found
    has_test, has_derivation = "testcd" in entry, "derivation" in entry
    if has_test == has_derivation:
        found.append((where, f"{where}: give either testcd (a {domain}TESTCD) or derivation "
                             f"({', '.join(PARAM_DERIVATIONS)}), not {'both' if has_test else 'neither'}"))
    if has_test and ("with" in entry):
        found.append((f"{where}.with",
                      f"{where}.with: arguments belong to a derivation; a testcd takes where"))
    # Checked against the domain's variables where clinforge knows them (its SDTM spec or SDTMIG);
    # otherwise the input check refuses SDTM without the variable before anything is built.
    for variable in entry.get("where") or {}:
        if known and variable not in known:
            found.append((f"{where}.where.{variable}", f"{where}.where: {variable} is not a variable of "
                                                       f"{domain}{closest(variable, known)}"))
    if entry.get("range") is not None:
        bounds = entry["range"]
        numbers = all(b is None or (isinstance(b, int | float) and not isinstance(b, bool))
                      for b in bounds) if isinstance(bounds, list) else False
        if not (numbers and len(bounds) == 2):
            found.append((f"{where}.range", f"{where}.range: expected [ANRLO, ANRHI] (numbers or null), "
                                            f"found {bounds!r}"))
    if has_derivation:
        found += _derivation_problems(entry, where, declared)
    return found


def _derivation_problems(entry: Mapping[str, Any], where: str,
                         declared: Sequence[str]) -> list[tuple[str, str]]:
    name = entry["derivation"]
    derivation = PARAM_DERIVATIONS.get(name)
    if derivation is None:
        return [(f"{where}.derivation", f"{where}.derivation: no derivation {name!r}"
                                        f"{closest(name, PARAM_DERIVATIONS)} (derivations: "
                                        f"{', '.join(PARAM_DERIVATIONS)})")]
    accepted = derivation.arguments()
    found = []
    arguments = entry.get("with") or {}
    if not isinstance(arguments, Mapping):
        return [(f"{where}.with", f"{where}.with: expected a mapping of arguments of {name}")]
    for argument, value in arguments.items():
        part = f"{where}.with.{argument}"
        if argument not in accepted:
            found.append((part, f"{where}.with: {name} has no argument {argument!r}"
                                f"{closest(argument, accepted)} (its arguments: {', '.join(accepted)})"))
        elif argument in derivation.choices and value not in derivation.choices[argument]:
            found.append((part, f"{where}.with.{argument}: {value!r} is not one of "
                                f"{', '.join(map(str, derivation.choices[argument]))}"
                                f"{closest(value, derivation.choices[argument])}"))
    for source in derivation.sources:
        code = arguments.get(source, accepted[source])
        if code not in declared:
            found.append((f"{where}.with.{source}" if source in arguments else where,
                          f"{where}: {name} reads PARAMCD {code} ({source}), which no declaration before "
                          f"it makes{closest(code, declared)}"))
    return found


def describe_bds(spec: DatasetSpec, parameters: Mapping[str, Any]) -> dict[str, str]:
    """define.xml method text of PARAMCD and AVAL, a paragraph per parameter, from the declarations."""
    prefix = str(parameters["domain"]).upper()
    paramcd, aval = {}, {}
    for d in declarations(parameters["analysis_parameters"]):
        if d.testcd is not None:
            selection = f"{prefix}TESTCD = '{d.testcd}'" + "".join(
                f" and {variable} = " + (" or ".join(f"'{v}'" for v in value) if isinstance(value, list)
                                         else f"'{value}'")
                for variable, value in d.where.items())
            paramcd[d.paramcd] = f"Records where {selection}."
            aval[d.paramcd] = f"{prefix}STRESN where {selection}."
        else:
            derivation = PARAM_DERIVATIONS[d.derivation]
            arguments = derivation.arguments() | dict(d.arguments)
            sources = " and ".join(str(arguments[source]) for source in derivation.sources)
            paramcd[d.paramcd] = f"Computed from {sources} ({d.derivation})."
            aval[d.paramcd] = derivation.describe(arguments)
    return {"PARAMCD": _paragraphs(paramcd), "AVAL": _paragraphs(aval)}


def _paragraphs(texts: Mapping[str, str]) -> str:
    return "\n\n".join(f"PARAMCD = {code}: {text}" for code, text in texts.items())
