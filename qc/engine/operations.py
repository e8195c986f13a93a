"""The operations of the CORE rule format: values a check compares against, computed first.

An operation (`id: $name`, `operator: distinct`, `name: VISITNUM`, `domain: TV`, `group: [...]`,
`filter: {...}`) reads the current dataset or another one and gives a scalar, a list, one value
per row, or per group of rows. Grouped scalars are joined to the rows on the group columns;
a grouped `distinct` stays a set per group (`Grouped`). Each operation is registered once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from qc.engine.data import Dataset
from qc.engine.library import GENERAL_CLASSES, Library
from qc.engine.rule import expand
from qc.engine.table import Grouped, NotRun, Table, Unsupported
from qc.engine.values import as_number, as_text, date_parts, is_null, regex_part
from qc.frames import as_date, as_datetime, seq_column
from specs.vector import is_in

Operation = Callable[[Table, dict], Any]
OPERATIONS: dict[str, Operation] = {}
UNORDERED: set[str] = set()  # operations whose list CORE builds from a set: its order varies by run


def operation(name: str, unordered: bool = False) -> Callable[[Operation], Operation]:
    def register(fn: Operation) -> Operation:
        OPERATIONS[name] = fn
        if unordered:
            UNORDERED.add(name)
        return fn

    return register


def run_operations(table: Table) -> None:
    """Compute every operation of the table's rule, in order, into `table.values`.

    `--` in an operation stands for the domain it reads (`domain:`), else for the dataset's own;
    `name_as_written` keeps the name before that (variable_count expands it per dataset).
    """
    for spec in table.rule.operations:
        name = spec.get("operator")
        fn = OPERATIONS.get(name)
        if fn is None:
            raise Unsupported(f"operation {name!r} is not supported")
        domain = str(spec.get("domain") or "")
        wildcard = domain if domain and "--" not in domain else table.wildcard
        written = {**expand(spec, wildcard), "name_as_written": spec.get("name", "")}
        table.values[spec.get("id")] = fn(table, written)


# --- where an operation reads: the current dataset or another domain -------------------------

RELATIONSHIP_DATASETS = ("RELREC", "RELSUB", "CO")


def _source(table: Table, spec: dict) -> pd.DataFrame:
    """The records an operation reads, its `filter` applied.

    Without `domain`, the dataset being checked: the rows the check sees when they are its
    records (joined datasets included), else (metadata rule types, relationship datasets) the
    dataset's own records, as CORE reads them. `SUPP--` means the checked dataset's SUPP-- when
    it has one, else every SUPP-- dataset; a relationship dataset is always read as submitted.
    """
    dataset = table.dataset
    domain = str(spec.get("domain") or dataset.unsplit_name)
    if domain.startswith(("SUPP", "SQ")) and domain.endswith("--") and dataset.rdomain:
        domain = domain.replace("--", dataset.rdomain)
    if _is_current(table, domain):
        frame = table.frame
    else:
        found = table.submission.matching(domain)
        if not found:
            raise NotRun(f"operation {spec.get('id')} needs the {domain} dataset, which is not present")
        frame = pd.concat([d.frame for d in found], ignore_index=True) if len(found) > 1 else found[0].frame
    for variable, value in (spec.get("filter") or {}).items():
        if variable not in frame.columns:
            raise NotRun(f"{variable} not in {domain} (operation filter)")
        text = as_text(frame[variable])
        value = str(value)
        frame = frame[text.str.startswith(value[:-1]) if value.endswith("&") else text == value]
    return frame


def _is_current(table: Table, domain: str) -> bool:
    relationship = domain in RELATIONSHIP_DATASETS or domain.startswith(("SUPP", "SQ"))
    frame = table.frame
    return (not relationship and "DOMAIN" in frame.columns and len(frame) > 0
            and as_text(frame["DOMAIN"].head(1)).iloc[0] == domain)


def _group(table: Table, spec: dict) -> list[str]:
    return table.columns_named(list(spec.get("group") or ()))


def _target_name(table: Table, spec: dict) -> str:
    return expand(spec.get("name", ""), table.wildcard)


def _join(table: Table, keys: list[str], per_group: pd.DataFrame, column: str, regex: str | None = None
          ) -> pd.Series:
    """A value per group, spread to the table's rows by their group columns (None where absent)."""
    missing = [k for k in keys if k not in table.frame.columns]
    if missing:
        raise NotRun(f"{', '.join(missing)} not in {table.dataset.name} (operation group)")
    left = pd.DataFrame({k: as_text(regex_part(table.frame[k], regex)) for k in keys})
    right = per_group.assign(**{k: as_text(per_group[k]) for k in keys})
    merged = left.reset_index().merge(right[[*keys, column]], on=keys, how="left").set_index("index")
    return merged[column].reindex(table.frame.index)


# --- operations ----------------------------------------------------------------------------------

@operation("distinct")
def distinct(table: Table, spec: dict) -> Any:
    """The distinct non-null values of a variable, per group when `group` is given.

    With `value_is_reference`, the values are variable names (IDVAR) and only those that are
    variables of the dataset the record's RDOMAIN names are kept.
    """
    source = _source(table, spec)
    name = _target_name(table, spec)
    if name not in source.columns:
        raise NotRun(f"{name} not in {spec.get('domain') or table.dataset.name} (operation distinct)")
    keys = _group(table, spec)
    values = source[name]
    present = ~is_null(values)
    if spec.get("value_is_reference"):
        present &= _names_a_variable(table, source, values)
    if not keys:
        return list(dict.fromkeys(values[present].tolist()))
    pairs = pd.DataFrame({k: source[k] for k in keys})[present]
    pairs["value"] = values[present]
    return Grouped(tuple(keys), pairs.drop_duplicates().reset_index(drop=True))


def _names_a_variable(table: Table, source: pd.DataFrame, names: pd.Series) -> pd.Series:
    """Whether each value is a variable of the dataset named by the record's RDOMAIN."""
    if "RDOMAIN" not in source.columns:
        raise NotRun("RDOMAIN not in the dataset (operation distinct with value_is_reference)")
    pairs = pd.DataFrame({"domain": as_text(source["RDOMAIN"]), "name": as_text(names)})
    datasets = table.submission.datasets
    known = [(domain, name) for domain, name in pairs.drop_duplicates().itertuples(index=False)
             if domain in datasets and name in datasets[domain].frame.columns]
    return pd.Series(pd.MultiIndex.from_frame(pairs).isin(known), index=source.index)


@operation("record_count")
def record_count(table: Table, spec: dict) -> Any:
    source = _source(table, spec)
    keys = _group(table, spec)
    if not keys:
        return len(source)
    regex = spec.get("regex")
    missing = [k for k in keys if k not in source.columns]
    if missing:
        raise NotRun(f"{', '.join(missing)} not in {table.dataset.name} (operation group)")
    parts = pd.DataFrame({k: as_text(regex_part(source[k], regex)) for k in keys})
    counts = parts.value_counts().rename("n").reset_index()
    return _join(table, keys, counts, "n", regex).fillna(0).astype(int)


def _extreme_date(largest: bool) -> Operation:
    def compute(table: Table, spec: dict) -> Any:
        source = _source(table, spec)
        name = _target_name(table, spec)
        if name not in source.columns:
            raise NotRun(f"{name} not in {spec.get('domain') or table.dataset.name}")
        text = as_text(source[name])
        parts = date_parts(text)
        ranked = pd.DataFrame({"text": text, "key": text.where(parts["valid"] & (text != ""))})
        keys = _group(table, spec)
        if not keys:
            valid = ranked["key"].dropna()
            return (valid.max() if largest else valid.min()) if len(valid) else ""
        for k in keys:
            ranked[k] = as_text(source[k])
        best = ranked.dropna(subset=["key"]).groupby(keys)["key"].agg("max" if largest else "min")
        return _join(table, keys, best.rename("best").reset_index(), "best").fillna("")

    return compute


OPERATIONS["min_date"] = _extreme_date(False)
OPERATIONS["max_date"] = _extreme_date(True)


@operation("dy")
def study_day(table: Table, spec: dict) -> pd.Series:
    """--DY from the date part of the target and DM.RFSTDTC: no day 0; "" when either is not a date."""
    dm = table.submission.by_domain("DM")
    if not dm:
        raise NotRun("operation dy needs the DM dataset")
    reference = pd.concat([d.frame for d in dm], ignore_index=True)
    name = _target_name(table, spec)
    dates = _complete_day(table.column(name))
    starts = pd.Series(_complete_day(reference["RFSTDTC"]).to_numpy(),
                       index=as_text(reference["USUBJID"])).groupby(level=0).first()
    start = as_text(table.column("USUBJID")).map(starts)
    days = (dates - start).dt.days
    out = days.where(days < 0, days + 1)
    return out.astype("Int64")


def _complete_day(values: pd.Series) -> pd.Series:
    text = as_text(values).str.slice(0, 10)
    return pd.to_datetime(text.where(text.str.match(r"^\d{4}-\d{2}-\d{2}$")), format="%Y-%m-%d",
                          errors="coerce")


@operation("study_domains", unordered=True)
def study_domains(table: Table, spec: dict) -> list[str | None]:
    """Each dataset's DOMAIN (its first record's), None for datasets without the variable
    (SUPP--, RELREC, ADaM), as CORE lists them."""
    domains = {d.domain if "DOMAIN" in d.frame.columns else None for d in table.submission.datasets.values()}
    return sorted(domains, key=lambda d: (d is not None, d or ""))


@operation("dataset_names", unordered=True)
def dataset_names(table: Table, spec: dict) -> list[str]:
    return sorted(table.submission.datasets)


@operation("variable_exists")
def variable_exists(table: Table, spec: dict) -> bool:
    return _target_name(table, spec) in table.dataset.frame.columns


@operation("variable_count")
def variable_count(table: Table, spec: dict) -> int:
    """In how many (unsplit) datasets the variable exists, `--` standing for each one's domain."""
    seen: dict[str, bool] = {}
    for dataset in table.submission.datasets.values():
        name = expand(spec.get("name_as_written", ""), dataset.wildcard)
        seen[dataset.unsplit_name] = seen.get(dataset.unsplit_name, False) or name in dataset.frame.columns
    return sum(seen.values())


def _domain_parts(table: Table) -> list[Dataset]:
    """The datasets (files) of the checked dataset's domain: its split parts, or itself alone."""
    domain = table.dataset.domain
    return (table.submission.by_domain(domain) if domain else []) or [table.dataset]


@operation("domain_dataset_count")
def domain_dataset_count(table: Table, spec: dict) -> int:
    """How many datasets hold the checked dataset's domain: more than one for a split domain
    (clinforge's: P21 SD1095 asks that no part of a split domain be named as the domain)."""
    return len(_domain_parts(table))


@operation("domain_variable_sizes")
def domain_variable_sizes(table: Table, spec: dict) -> pd.Series:
    """For each row of a variable metadata table, how many different lengths its variable has
    in the datasets of the checked dataset's domain (clinforge's: the parts of a split domain
    keep one length per variable, P21 SD1116). Variables without a length count none."""
    if "variable_name" not in table.frame.columns:
        raise NotRun("operation domain_variable_sizes needs a variable metadata table")
    lengths: dict[str, set[int]] = {}
    for part in _domain_parts(table):
        for column in part.frame.columns:
            size = part.variable(column).length
            if size is not None:
                lengths.setdefault(column, set()).add(int(size))
    names = as_text(table.frame["variable_name"])
    return names.map(lambda name: len(lengths.get(name, ()))).astype(int)


@operation("get_column_order_from_dataset")
def column_order(table: Table, spec: dict) -> list[str]:
    """The dataset's variables in order; with `domain`, those of the dataset it names (ADSL's,
    for a BDS rule), not run when the submission lacks it."""
    if spec.get("domain"):
        return list(_source(table, {**spec, "filter": None}).columns)
    return list(table.dataset.frame.columns)


@operation("extract_metadata")
def extract_metadata(table: Table, spec: dict) -> Any:
    dataset = table.dataset
    metadata = {"dataset_name": dataset.name, "dataset_label": dataset.label,
                "dataset_location": dataset.filename, "dataset_size": dataset.size,
                "record_count": dataset.records, "domain": dataset.domain}
    name = spec.get("name")
    if name not in metadata:
        raise Unsupported(f"extract_metadata of {name!r} is not supported")
    return metadata[name]


def _library(table: Table) -> Library:
    library = table.submission.library
    if library is None:
        raise NotRun("needs the implementation guide's metadata (import it with `clinforge standards "
                     "import`)")
    return library


@operation("domain_label")
def domain_label(table: Table, spec: dict) -> str:
    found = _library(table).spec(table.dataset.domain)
    return found.label if found else ""


@operation("domain_is_custom")
def domain_is_custom(table: Table, spec: dict) -> bool:
    return _library(table).is_custom(table.dataset.domain)


def _core_variables(core: str | None) -> Operation:
    def compute(table: Table, spec: dict) -> list[str]:
        variables = _library(table).guide_variables(table.dataset)
        if not variables:
            raise NotRun(f"{table.dataset.unsplit_name} is not a domain of the implementation guide")
        wanted = [v for v in variables if core is None or v.core == core]
        key, value = spec.get("key_name"), spec.get("key_value")
        if key == "role":
            wanted = [v for v in wanted if (v.role or "") == value]
        return [expand(v.name, table.wildcard) for v in wanted]

    return compute


OPERATIONS["required_variables"] = _core_variables("Req")
OPERATIONS["expected_variables"] = _core_variables("Exp")
OPERATIONS["permissible_variables"] = _core_variables("Perm")


def _model_names(table: Table, dataset: Dataset, spec: dict) -> list[str]:
    """The model's variables for `dataset` ("--" as its prefix), filtered by key_name = key_value."""
    variables = _library(table).model_variables(dataset)
    key, value = spec.get("key_name"), spec.get("key_value")
    if key:
        variables = [v for v in variables if str(getattr(v, key, "")) == str(value)]
    return list(dict.fromkeys(expand(v.name, dataset.wildcard) for v in variables))


@operation("get_model_column_order")
def model_column_order(table: Table, spec: dict) -> list[str]:
    return _model_names(table, table.dataset, {})


@operation("get_column_order_from_library")
def library_column_order(table: Table, spec: dict) -> list[str]:
    """The order CORE checks variables against: for a general-class dataset the model's class
    variables (identifiers, topic and qualifiers, timing), in which the IG domain's own are
    merged; for any other dataset its IG domain's variables."""
    library = _library(table)
    if library.dataset_class(table.dataset) in GENERAL_CLASSES:
        return _model_names(table, table.dataset, spec)
    return _core_variables(None)(table, spec)


@operation("get_model_filtered_variables")
def model_filtered_variables(table: Table, spec: dict) -> list[str]:
    return _model_names(table, table.dataset, spec)


@operation("get_parent_model_column_order")
def parent_model_column_order(table: Table, spec: dict) -> pd.Series:
    """For each record of a SUPP-- dataset, the model's variables of the domain RDOMAIN names."""
    if "RDOMAIN" not in table.frame.columns:
        raise NotRun(f"RDOMAIN not in {table.dataset.name} (operation get_parent_model_column_order)")
    rdomain = as_text(table.frame["RDOMAIN"])
    lists = {}
    for domain in rdomain.unique():
        parents = table.submission.by_domain(domain)
        if not parents:
            raise NotRun(f"the parent domain {domain} of {table.dataset.name} is not present")
        lists[domain] = _model_names(table, parents[0], {})
    return rdomain.map(pd.Series(lists, dtype=object))


@operation("get_dataset_filtered_variables")
def dataset_filtered_variables(table: Table, spec: dict) -> list[str]:
    """The dataset's variables whose IG metadata has key_name = key_value (e.g. role = Timing)."""
    guide = _library(table).guide_variables(table.dataset)
    library_names = {expand(v.name, table.wildcard): v for v in guide}
    key, value = spec.get("key_name"), spec.get("key_value")
    out = []
    for column in table.dataset.frame.columns:
        variable = library_names.get(column)
        if variable is not None and str(getattr(variable, key, "") or "") == str(value):
            out.append(column)
    return out


@operation("regex_find_replace")
def regex_find_replace(table: Table, spec: dict) -> pd.Series:
    values = as_text(table.column(_target_name(table, spec)))
    return values.str.replace(spec.get("regex", ""), spec.get("replacement", ""), regex=True)


# --- clinforge's own operations: checks the CORE format cannot state --------------------------

@operation("max_across_variables")
def max_across_variables(table: Table, spec: dict) -> pd.Series:
    """The largest value per record of the variables whose names match `regex` (TR01EDT, TR02EDT
    ...), as numbers (dates in seconds); NaN where none is populated or none matches."""
    pattern = re.compile(str(spec.get("regex") or ""))
    names = [c for c in table.frame.columns if pattern.fullmatch(str(c))]
    if not names:
        return pd.Series(np.nan, index=table.frame.index, dtype="float64")
    return pd.DataFrame({n: as_number(table.frame[n]) for n in names}, index=table.frame.index).max(axis=1)


_FORMULA = re.compile(r"^[A-Za-z0-9_.+\-*/%() ]*$")


@operation("formula")
def formula(table: Table, spec: dict) -> pd.Series:
    """A number per record from `expression`: the record's variables as numbers (dates and times
    in seconds), numbers, + - * / % and parentheses, and abs() (CHG - (AVAL - BASE)); NaN where a
    value it needs is missing or a division is by 0, and on every record when the dataset lacks a
    variable it names (a check on CHG then holds nowhere in a dataset without CHG, as a condition
    on a missing variable does)."""
    expression = str(spec.get("expression") or "")
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression)) - {"abs"}
    if not expression or not _FORMULA.match(expression):
        raise Unsupported(f"formula {expression!r}: only variables, numbers, + - * / % ( ) and abs()")
    if any(n not in table.frame.columns for n in names):
        return pd.Series(np.nan, index=table.frame.index, dtype="float64")
    frame = pd.DataFrame({n: as_number(table.frame[n]) for n in names}, index=table.frame.index)
    with np.errstate(all="ignore"):
        result = frame.eval(expression, engine="python") if names else pd.Series(
            float(pd.eval(expression, engine="python")), index=table.frame.index)
    return pd.Series(result, index=table.frame.index, dtype="float64").replace([np.inf, -np.inf], np.nan)


def _per_record(table: Table, variable: str) -> pd.Series | None:
    """`variable` on each record: the dataset's own column, else ADSL's value for the subject."""
    frame = table.frame
    if variable in frame.columns:
        return frame[variable]
    adsl = table.submission.datasets.get("ADSL")
    if adsl is None or not {"USUBJID", variable} <= set(adsl.frame.columns) or "USUBJID" not in frame.columns:
        return None
    values = adsl.frame[variable].set_axis(as_text(adsl.frame["USUBJID"]))
    return as_text(frame["USUBJID"]).map(values[~values.index.duplicated()])


def _optional_date(frame: pd.DataFrame, variable: str) -> pd.Series:
    if variable in frame.columns:
        return as_date(frame[variable])
    return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")


@operation("treatment_emergence")
def treatment_emergence(table: Table, spec: dict) -> pd.Series:
    """What TRTEMFL must be on each record by admiral's derive_var_trtemfl: "N" where there is no
    treatment start or the event ended before it; "Y" where it did not and the event started at
    or after the treatment start and on or before TRTEDT, or has no start; "" where either may
    be (a start before treatment that goes on after it). Date-times (ASTDTM, AENDTM, TRTSDTM) are
    compared where the dataset has ASTDTM and the treatment start time is known, dates otherwise;
    TRTSDTM, TRTSDT and TRTEDT come from the dataset, else from ADSL. "" on every record of a
    dataset without TRTEMFL and ASTDT or ASTDTM."""
    frame = table.frame
    if "TRTEMFL" not in frame.columns or not {"ASTDT", "ASTDTM"} & set(frame.columns):
        return pd.Series("", index=frame.index)
    trtsdtm = _per_record(table, "TRTSDTM")
    if "ASTDTM" in frame.columns and trtsdtm is not None:
        start, first = as_datetime(frame["ASTDTM"]), as_datetime(trtsdtm)
        # an end known to the day may be as late as 23:59:59 (end imputation)
        end = as_datetime(frame["AENDTM"]) if "AENDTM" in frame.columns else \
            _optional_date(frame, "AENDT") + pd.Timedelta(hours=23, minutes=59, seconds=59)
    else:
        trtsdt = _per_record(table, "TRTSDT")
        if trtsdt is None or "ASTDT" not in frame.columns:
            raise NotRun("neither TRTSDTM nor TRTSDT in the dataset or in ADSL "
                         "(operation treatment_emergence)")
        start, first, end = as_date(frame["ASTDT"]), as_date(trtsdt), _optional_date(frame, "AENDT")
    last = _per_record(table, "TRTEDT")
    last = as_date(last) if last is not None else pd.Series(pd.NaT, index=frame.index)
    never = first.isna() | (end < first)
    within = (start >= first) & (last.isna() | (start.dt.normalize() <= last))
    out = pd.Series("", index=frame.index)
    out[~never & (start.isna() | within)] = "Y"
    out[never] = "N"
    return out


@operation("source_record")
def source_record(table: Table, spec: dict) -> pd.Series:
    """Why the record's SRCDOM, SRCVAR and SRCSEQ name no source record ("" when they do, and
    when SRCDOM names a dataset the submission does not hold): SRCVAR is no variable of the
    source dataset, or no source record of the subject has that --SEQ."""
    frame = table.frame
    problem = pd.Series("", index=frame.index)
    if "SRCDOM" not in frame.columns:
        return problem
    domain = as_text(frame["SRCDOM"])
    srcvar = as_text(frame["SRCVAR"]) if "SRCVAR" in frame.columns else problem
    srcseq = pd.to_numeric(frame["SRCSEQ"], errors="coerce") if "SRCSEQ" in frame.columns else \
        pd.Series(float("nan"), index=frame.index)
    subjects = as_text(frame["USUBJID"]) if "USUBJID" in frame.columns else problem
    for source in sorted(set(domain[domain != ""]) & set(table.submission.datasets)):
        rows = domain == source
        parent = table.submission.datasets[source].frame
        unknown = rows & (srcvar != "") & ~srcvar.isin(parent.columns)
        problem[unknown] = f"SRCVAR is not a variable of {source}"
        seq = seq_column(source, parent)
        with_seq = rows & srcseq.notna() & (problem == "")
        if seq is None or "USUBJID" not in parent.columns:
            problem[with_seq] = f"{source} has no sequence variable to match SRCSEQ"
            continue
        keys = as_text(parent["USUBJID"]) + "\x1f" + as_text(pd.to_numeric(parent[seq], errors="coerce"))
        wanted = subjects + "\x1f" + as_text(srcseq)
        problem[with_seq & ~is_in(wanted, keys)] = f"no {source} record of the subject with {seq} = SRCSEQ"
    return problem
