"""What each ADaM builder reads from SDTM, declared once and checked before any dataset is built.

A builder's `Reads` names the SDTM variables it derives from: those it always reads
(`variables`), those it reads only when present because it has a documented fallback
(`optional`), and those its parameters name (`named_by`: the query "EXCAT == 'CAR-T CELL
THERAPY'" of build_adsl's `treatment_filter` reads EX.EXCAT). With the subject keys of every
SDTM dataset read and the Predecessor sources of the dataset's spec, that is everything a
builder takes from SDTM. tests/bad_inputs/test_corpus.py builds ADaM from SDTM trimmed to these
variables and gets the same datasets, so the declarations cannot fall behind the code.

`checked_inputs` checks, before anything is built, and refuses with an InputError naming the
file, row, variable and value:

- every variable read is present (a SUPP-- qualifier counts as a variable of its parent);
- a variable read has the type the SDTM spec (or SDTMIG) gives it: Char holds text, Num holds
  numbers (numeric text is read as numbers); in every dataset, Num variables hold numbers and
  --DTC variables ISO 8601 text (partial dates allowed);
- no value breaks a builder's `rules` (values no derivation can use: a subject twice in DM, a
  negative concentration, a rating outside its item's range);
- the datasets in `records` have records (without subjects in DM there is nothing to analyse).

Any other dataset may have no records (a study without adverse events); its qualifier variables
then come as empty columns, since it can have no SUPP-- records.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from adam.adqs import C15PAL_ITEM_CODES
from adam.dates import invalid_dtc
from adam.qlq import C15PAL_SCALES
from specs.errors import InputError
from specs.loader import load_standard
from specs.model import DatasetSpec, Study
from specs.readers import dataset_file
from specs.value_types import as_numbers, check_char, refuse

SUBJECT_KEYS = ("STUDYID", "USUBJID")
ISO_8601 = "ISO 8601 (partial dates such as 2024-05 allowed)"
# What a parameter's value names: (SDTM dataset, variable) pairs.
Names = Callable[[Any], Iterable[tuple[str, str]]]
Frames = Mapping[str, pd.DataFrame]
# Rows of `frame` holding a value no derivation can use, given every frame and the builder's parameters.
BadRows = Callable[[pd.DataFrame, Frames, Mapping[str, Any]], pd.Series]

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
# An upper-case name not preceded by a dot (a method such as .str.upper()) or a word character.
_NAME = re.compile(r"(?<![\w.])[A-Z][A-Z0-9_]*\b")


def variable_names(value: Any) -> set[str]:
    """Upper-case names a parameter value mentions, in strings at any depth of lists and mappings:
    a variable name (`AETOXGR`) or the variables of a query (`AESER == 'Y'`; quoted text left out)."""
    if isinstance(value, str):
        return set(_NAME.findall(_QUOTED.sub(" ", value)))
    items = value.values() if isinstance(value, Mapping) else value if isinstance(value, list | tuple) else ()
    return set().union(*(variable_names(item) for item in items))


def on(dataset: str) -> Names:
    """The names in a parameter value, as variables of `dataset`."""
    return lambda value: ((dataset, name) for name in variable_names(value))


def per_source(value: Any) -> Iterable[tuple[str, str]]:
    """Entries `[dataset, variable, condition]` (build_adsl `last_alive_dtc`): each names its dataset."""
    for dataset, *rest in value or ():
        for name in variable_names(rest):
            yield str(dataset).upper(), name


def per_declaration(value: Any) -> Iterable[tuple[str, str]]:
    """Declarations `{NAME: {dataset, ...}}` (build_adsl `dates`, `flags`): each names its dataset;
    a flag given as a bare condition reads the ADSL record, not SDTM."""
    for declared in (value or {}).values():
        if isinstance(declared, Mapping) and "dataset" in declared:
            rest = [v for k, v in declared.items() if k in ("date", "filter", "condition")]
            for name in variable_names(rest):
                yield str(declared["dataset"]).upper(), name


@dataclass(frozen=True)
class ValueRule:
    """Values of `dataset.variable` that no derivation can use, and what is expected instead."""

    dataset: str
    variable: str
    expected: str
    bad: BadRows


@dataclass(frozen=True)
class Reads:
    variables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    optional: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    named_by: Mapping[str, Names] = field(default_factory=dict)
    rules: tuple[ValueRule, ...] = ()
    records: tuple[str, ...] = ()


# --- value rules ----------------------------------------------------------------------------

def _repeated(keys: tuple[str, ...]) -> BadRows:
    def bad(frame: pd.DataFrame, _frames: Frames, _parameters: Mapping[str, Any]) -> pd.Series:
        return frame.duplicated(list(keys), keep="first")
    return bad


def _below(variable: str, lowest: float) -> BadRows:
    def bad(frame: pd.DataFrame, _frames: Frames, _parameters: Mapping[str, Any]) -> pd.Series:
        return (pd.to_numeric(frame[variable], errors="coerce") < lowest).fillna(False)
    return bad


def _rating_out_of_range(frame: pd.DataFrame, _frames: Frames, parameters: Mapping[str, Any]) -> pd.Series:
    """QSSTRESN outside the range of the scale its item belongs to (the scores divide by the range)."""
    item_codes = parameters.get("item_codes", C15PAL_ITEM_CODES)
    scales = parameters.get("scales", C15PAL_SCALES)
    ranges = {item: scale.item_range for scale in scales for item in scale.items}
    bounds = {code: ranges[item] for code, item in item_codes.items() if item in ranges}
    low = frame["QSTESTCD"].map({code: low for code, (low, _) in bounds.items()}).astype("float64")
    high = frame["QSTESTCD"].map({code: high for code, (_, high) in bounds.items()}).astype("float64")
    rating = pd.to_numeric(frame["QSSTRESN"], errors="coerce")
    return ((rating < low) | (rating > high)).fillna(False)


def _idvar_not_in(parent: str) -> BadRows:
    """A SUPP-- IDVAR naming no variable of its parent domain (the qualifier would attach to nothing)."""
    def bad(frame: pd.DataFrame, frames: Frames, _parameters: Mapping[str, Any]) -> pd.Series:
        idvar = frame["IDVAR"].astype("string").fillna("").str.strip()
        known = frames[parent].columns if parent in frames else []
        return (idvar != "") & ~idvar.isin(list(known))
    return bad


# --- what each builder reads ----------------------------------------------------------------

ADSL_READS = Reads(
    # DM.RFSTDTC is the subject's reference start (Expected in SDTMIG DM): a DM without it is not
    # the SDTM the ADSL derivations were written for. DTHFL is derived from DTHDTC when absent.
    variables={"DM": ("ARM", "ACTARM", "RFSTDTC", "DTHDTC", "AGE"),
               "EX": ("EXSTDTC", "EXENDTC", "EXSEQ"),
               "DS": ("DSDECOD", "DSSTDTC")},
    optional={"DM": ("DTHFL",)},
    named_by={"treatment_filter": on("EX"), "lymphodepletion_filter": on("EX"), "eos_filter": on("DS"),
              "randomization_filter": on("DS"), "last_alive_dtc": per_source,
              "new_therapy_filter": on("CM"), "new_therapy_dtc": on("CM"), "evaluable_filter": on("TU"),
              "dates": per_declaration, "flags": per_declaration},
    rules=(ValueRule("DM", "USUBJID", "one record per subject (STUDYID, USUBJID)", _repeated(SUBJECT_KEYS)),),
    records=("DM",),
)
OCCDS_NAMING = ("severity", "toxicity_grade", "grading_scale", "initial_intensity", "intensity",
                "condition_flags", "occurrence_flags", "occurrence_filter", "occurrence_order")


def occds_reads(parameters: Mapping[str, Any]) -> Reads:
    """What build_occds reads from the events domain its spec names (`domain`, default AE) and the
    domain's SUPP-- dataset; a variable a naming parameter mentions is read from the domain."""
    domain = str(parameters.get("domain", "AE")).upper()
    return Reads(
        variables={domain: (f"{domain}STDTC", f"{domain}ENDTC"),
                   f"SUPP{domain}": ("IDVAR", "IDVARVAL", "QNAM", "QVAL")},
        named_by=dict.fromkeys(OCCDS_NAMING, on(domain)),
        rules=(ValueRule(f"SUPP{domain}", "IDVAR", f"a variable of {domain} (or blank for the whole subject)",
                         _idvar_not_in(domain)),),
    )


ADLB_READS = Reads(
    variables={"LB": ("LBCAT", "LBTESTCD", "LBTEST", "LBSTRESN", "LBSTRESU", "LBDTC", "VISIT", "VISITNUM")},
    # The reference range falls back from the standard to the original units; LBSEQ only orders.
    optional={"LB": ("LBSTNRLO", "LBORNRLO", "LBSTNRHI", "LBORNRHI", "LBSEQ")},
)
ADPC_READS = Reads(
    variables={"PC": ("PCTESTCD", "PCTEST", "PCSPEC", "PCSTRESC", "PCSTRESN", "PCSTRESU", "PCDTC")},
    # Nominal time from PCELTM, else PCTPTNUM; PCSTAT marks samples not done; PCSEQ only orders.
    optional={"PC": ("PCELTM", "PCTPTNUM", "PCSTAT", "PCLLOQ", "PCSEQ")},
    named_by={"filter": on("PC"), "profile_vars": on("PC")},
    # The NCA takes logarithms of concentrations.
    rules=(ValueRule("PC", "PCSTRESN", "a concentration of 0 or more", _below("PCSTRESN", 0)),),
)
ADQS_READS = Reads(
    variables={"QS": ("QSCAT", "QSTESTCD", "QSTEST", "QSSTRESN", "QSDTC", "VISITNUM")},
    named_by={"form_vars": on("QS")},
    rules=(ValueRule("QS", "QSSTRESN", "a rating within its item's range (1-4, 1-7 for the global item)",
                     _rating_out_of_range),),
)
ADRS_READS = Reads(
    variables={"RS": ("RSTESTCD", "RSEVAL", "RSSTRESC", "RSDTC", "VISIT", "VISITNUM", "RSSEQ"),
               "TU": ("TUEVAL", "TUSTRESC", "VISIT")},
)
ADTR_READS = Reads(
    variables={"TR": ("TRGRPID", "TRTESTCD", "TREVAL", "TRLNKID", "TRSTRESN", "TRDTC", "VISIT", "VISITNUM"),
               "TU": ("TUSTRESC", "TUEVAL", "TULNKID")},
)
NO_SDTM = Reads()


# --- checking -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Use:
    """One ADaM dataset of this run: its builder's reads, resolved parameters and spec."""

    reads: Reads
    parameters: Mapping[str, Any]
    spec: DatasetSpec
    inputs: Sequence[str]  # the SDTM datasets it is given (upper case)


@dataclass(frozen=True)
class Need:
    dataset: str
    variable: str
    user: str  # the ADaM dataset that reads it
    parameter: str | None = None  # the builder parameter that names it, if any
    required: bool = True


def needs(use: Use, study: Study) -> list[Need]:
    """Every SDTM variable the use reads, with who needs it; only of SDTM datasets it is given."""
    name = use.spec.name
    found = [Need(d, v, name) for d, names in use.reads.variables.items() for v in names]
    found += [Need(d, v, name, required=False) for d, names in use.reads.optional.items() for v in names]
    for parameter, names in use.reads.named_by.items():
        found += [Need(d, v, name, parameter) for d, v in names(use.parameters.get(parameter))
                  if v in known_variables(study, d)]
    for variable in use.spec.variables:
        if variable.origin == "Predecessor" and variable.source and "." in variable.source:
            dataset, source = variable.source.split(".", 1)
            found.append(Need(dataset, source, name))
    datasets = {n.dataset for n in found} | set(use.reads.records)
    found += [Need(d, key, name) for d in datasets for key in SUBJECT_KEYS]
    return [n for n in found if n.dataset in use.inputs]


def known_variables(study: Study, dataset: str) -> set[str]:
    """The variables `dataset` may have: its study spec's, SDTMIG's, and its SUPP-- qualifiers."""
    spec = study.sdtm.get(dataset)
    standard = load_standard("sdtm").get(dataset)
    names = set(spec.variable_names()) if spec else set()
    names |= set(standard.variable_names()) if standard else set()
    return names | ({q.qnam for q in spec.supplemental} if spec else set())


def checked_inputs(study: Study, uses: Sequence[Use], frames: Mapping[str, pd.DataFrame],
                   folder: str | Path | None) -> dict[str, pd.DataFrame]:
    """The SDTM frames as the builders get them (Num text read as numbers), once every check holds.

    Raises InputError for the first problem found (see the module docstring).
    """
    all_needs = [need for use in uses for need in needs(use, study)]
    frames = {name: _with_qualifiers_of_no_record(study, name, frames) for name in frames}
    typed = {}
    # SUPP-- first: a parent's qualifier variables are the QNAM values of its SUPP--. Within each
    # group, missing variables before values: a structural problem is named first.
    for group in ([n for n in sorted(frames) if n.startswith("SUPP")], [n for n in sorted(frames)
                                                                       if not n.startswith("SUPP")]):
        for dataset in group:
            _check_present(dataset, frames[dataset], frames, [n for n in all_needs if n.dataset == dataset],
                           dataset_file(folder, dataset))
        for dataset in group:
            read = {n.variable for n in all_needs if n.dataset == dataset}
            typed[dataset] = _typed(dataset, frames[dataset], variable_types(study, dataset), read,
                                    dataset_file(folder, dataset))
    for use in uses:
        for dataset in use.reads.records:
            if dataset in typed and typed[dataset].empty:
                raise InputError(f"{dataset} has no records; {use.spec.name} is made from its subjects",
                                 file=dataset_file(folder, dataset),
                                 expected=f"a record per subject in {dataset}")
        for rule in use.reads.rules:
            if rule.dataset in typed and rule.variable in typed[rule.dataset]:
                _check_rule(rule, typed, use.parameters, dataset_file(folder, rule.dataset))
    return typed


def _with_qualifiers_of_no_record(study: Study, dataset: str, frames: Frames) -> pd.DataFrame:
    """A dataset without records has no SUPP-- records either: its qualifiers that its SUPP-- does
    not hold are empty columns."""
    frame, spec = frames[dataset], study.sdtm.get(dataset)
    if not frame.empty or spec is None:
        return frame
    supp = frames.get(f"SUPP{dataset}")
    held = set(supp["QNAM"].astype("string").dropna()) if supp is not None and "QNAM" in supp else set()
    absent = [q.qnam for q in spec.supplemental if q.qnam not in frame.columns and q.qnam not in held]
    return frame.assign(**{name: pd.Series(dtype="str") for name in absent})


def _check_present(dataset: str, frame: pd.DataFrame, frames: Mapping[str, pd.DataFrame],
                   mine: list[Need], file: str) -> None:
    supp = frames.get(f"SUPP{dataset}")
    qualifiers = set(supp["QNAM"].astype("string").dropna()) if supp is not None and "QNAM" in supp else set()
    present = set(frame.columns) | qualifiers
    missing = [n for n in mine if n.required and n.variable not in present]
    if not missing:
        return
    names = sorted({n.variable for n in missing})
    users = sorted({n.user for n in missing})
    named = sorted({f"{n.user} parameter {n.parameter} names {n.variable}" for n in missing if n.parameter})
    also = f" or as a qualifier (QNAM) of SUPP{dataset}" if supp is not None else ""
    raise InputError(
        f"{dataset} lacks {', '.join(names)}, which {' and '.join(users)} "
        f"{'needs' if len(users) == 1 else 'need'}" + (f" ({'; '.join(named)})" if named else ""),
        file=file, expected=f"the variables {', '.join(names)} in {dataset}{also}",
    )


def variable_types(study: Study, dataset: str) -> dict[str, str]:
    """Char or Num per variable: SDTMIG's, overridden by the study spec's."""
    standard = load_standard("sdtm").get(dataset)
    spec = study.sdtm.get(dataset)
    types = {v.name: v.type for v in standard.variables} if standard else {}
    return types | ({v.name: v.type for v in spec.variables} if spec else {})


def _typed(dataset: str, frame: pd.DataFrame, types: Mapping[str, str], read: set[str],
           file: str) -> pd.DataFrame:
    """The frame with Num text as numbers, after checking every column the checks apply to."""
    numbers = {}
    for name in frame.columns:
        values = frame[name]
        if types.get(name) == "Num":
            numbers[name] = as_numbers(dataset, values, file)
        elif (name in read and types.get(name) == "Char") or str(name).endswith("DTC"):
            check_char(dataset, values, file)
            if str(name).endswith("DTC"):
                refuse(dataset, values, invalid_dtc(values), file, ISO_8601)
    return frame.assign(**numbers) if numbers else frame


def _check_rule(rule: ValueRule, frames: Mapping[str, pd.DataFrame], parameters: Mapping[str, Any],
                file: str) -> None:
    frame = frames[rule.dataset]
    refuse(rule.dataset, frame[rule.variable], rule.bad(frame, frames, parameters), file, rule.expected)
