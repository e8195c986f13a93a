"""Rule types: the table a check sees for one dataset, each rule type registered once.

`Record Data` is the dataset itself; the metadata types give one row per dataset or per
variable with CORE's column names (dataset_name, variable_label, library_variable_core …);
`Domain Presence Check` is one row for the whole study, a column per domain present; the
`... against Define XML` types join the define.xml's metadata (qc.engine.define_meta). Every
table has `_record`: the 1-based record a finding points at (empty for metadata rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from qc.engine.data import Dataset, Submission
from qc.engine.rule import Rule
from qc.engine.table import NotRun
from qc.engine.values import as_text, is_null

RECORD = "_record"
LONG_ROWS = 2_000_000  # rows of one part of a long (value per row) table
# (dataset, submission, the rule being run) → its table, or the table in parts
Builder = Callable[[Dataset, Submission, "Rule | None"], pd.DataFrame | Iterable[pd.DataFrame]]
RULE_TYPES: dict[str, Builder] = {}
# The same table for every dataset: findings about the study.
STUDY_LEVEL = {"Domain Presence Check", "Domain Presence Check against Define XML"}


def rule_type(name: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        RULE_TYPES[name] = fn
        return fn

    return register


@rule_type("Record Data")
def record_data(dataset: Dataset, submission: Submission, rule: Rule | None = None) -> pd.DataFrame:
    # Built once per dataset for all rules: checks derive new frames, they never change this one.
    return dataset.memo("records", lambda: dataset.frame.assign(
        **{RECORD: np.arange(1, len(dataset.frame) + 1)}))


def _dataset_row(dataset: Dataset) -> dict:
    return {"dataset_name": dataset.name, "dataset_label": dataset.label,
            "dataset_location": dataset.filename, "dataset_size": dataset.size,
            "dataset_domain": dataset.domain, "record_count": dataset.records}


@rule_type("Dataset Metadata Check")
def dataset_metadata(dataset: Dataset, submission: Submission, rule: Rule | None = None) -> pd.DataFrame:
    # DOMAIN: the dataset's DOMAIN value, which rules compare the name with (CORE-000598).
    return pd.DataFrame([{**_dataset_row(dataset), "domain": dataset.domain, "DOMAIN": dataset.domain,
                          RECORD: 1}])


def _variable_rows(dataset: Dataset) -> pd.DataFrame:
    return dataset.memo("variable rows", lambda: _variables_of(dataset))


def _variables_of(dataset: Dataset) -> pd.DataFrame:
    rows = []
    for position, column in enumerate(dataset.frame.columns, start=1):
        info = dataset.variable(column)
        values = dataset.frame[column]
        rows.append({
            "variable_name": column, "variable_order_number": position,
            "variable_label": info.label, "variable_size": info.length,
            "variable_data_type": info.type or ("Num" if pd.api.types.is_numeric_dtype(values) else "Char"),
            "variable_format": info.format,
            "variable_max_size": _longest(values),
            "variable_has_empty_values": bool(is_null(values).any()),
        })
    return pd.DataFrame(rows)


def _longest(values: pd.Series) -> int:
    """The longest value written as text; numbers are written once per distinct value."""
    if pd.api.types.is_numeric_dtype(values):
        values = pd.Series(values.dropna().unique())
    lengths = as_text(values).str.len()
    return int(lengths.max()) if len(lengths) else 0


@rule_type("Variable Metadata Check")
def variable_metadata(dataset: Dataset, submission: Submission, rule: Rule | None = None) -> pd.DataFrame:
    rows = _variable_rows(dataset)
    return rows.assign(**{RECORD: np.arange(1, len(rows) + 1)})


@rule_type("Variable Metadata Check against Library Metadata")
def variable_metadata_with_library(dataset: Dataset, submission: Submission, rule: Rule | None = None
                                   ) -> pd.DataFrame:
    library = submission.library
    if library is None:
        raise NotRun("needs the implementation guide's metadata (clinforge standards import)")
    rows = _variable_rows(dataset)
    standard = pd.DataFrame([{
        "variable_name": v.name.replace("--", dataset.wildcard, 1) if v.name.startswith("--") else v.name,
        "library_variable_name": v.name, "library_variable_label": v.label,
        "library_variable_data_type": v.type, "library_variable_core": v.core or "",
        "library_variable_role": v.role or "", "library_variable_order_number": v.order,
        "library_variable_ccode": v.codelist or "",
    } for v in library.guide_variables(dataset)])
    if standard.empty:
        standard = pd.DataFrame(columns=["variable_name", "library_variable_name", "library_variable_label",
                                         "library_variable_data_type", "library_variable_core",
                                         "library_variable_role", "library_variable_order_number",
                                         "library_variable_ccode"])
    merged = rows.merge(standard, on="variable_name", how="left")
    text_columns = [c for c in merged.columns
                    if c.startswith("library_") and c != "library_variable_order_number"]
    merged[text_columns] = merged[text_columns].fillna("")
    return merged.assign(**{RECORD: np.arange(1, len(merged) + 1)})


@rule_type("Value Check with Dataset Metadata")
def values_with_dataset_metadata(dataset: Dataset, submission: Submission, rule: Rule | None = None
                                 ) -> Iterator[pd.DataFrame]:
    """Every value of the dataset as a row (row_number, variable_name, variable_value) with the
    dataset's metadata, in parts of a few variables: the long table of a large dataset would
    hold records × variables rows at once, and one part per variable costs small datasets a
    table each. Row-wise checks see no difference."""
    frame = dataset.frame
    per_part = max(1, LONG_ROWS // max(len(frame), 1))
    metadata = _dataset_row(dataset)
    chosen = _named_variables(rule, list(frame.columns))
    for start in range(0, len(chosen), per_part):
        columns = chosen[start:start + per_part]
        numbers = np.tile(np.arange(1, len(frame) + 1), len(columns))
        names = np.repeat(np.arange(len(columns), dtype=np.int32), len(frame))
        part = pd.DataFrame({
            RECORD: numbers, "row_number": numbers,
            "variable_value": pd.concat([as_text(frame[c]) for c in columns], ignore_index=True),
            "variable_name": pd.Categorical.from_codes(names, categories=columns),
            **{key: _repeated(value, len(numbers)) for key, value in metadata.items()},
        })
        yield part


def _named_variables(rule: Rule | None, columns: list[str]) -> list[str]:
    """The variables whose values the rule can report: a regular expression on variable_name in
    its check's top-level `all` rules the others out, so their values are never laid out (a flag
    rule over a large BDS dataset then reads its flags, not its millions of other values)."""
    check = rule.check if rule is not None else None
    conditions = check.get("all", ()) if isinstance(check, dict) else check if isinstance(check, list) else ()
    names = pd.Series(columns, dtype=object)
    keep = pd.Series(True, index=names.index)
    for condition in conditions:
        if isinstance(condition, dict) and condition.get("name") == "variable_name" \
                and condition.get("operator") in ("matches_regex", "not_matches_regex"):
            matched = names.str.match(str(condition.get("value")))
            keep &= matched if condition["operator"] == "matches_regex" else ~matched
    return [c for c, k in zip(columns, keep, strict=True) if k]


def _repeated(value: object, rows: int) -> pd.Categorical:
    """One value on every row, stored once (a category), not once per row."""
    return pd.Categorical.from_codes(np.zeros(rows, dtype=np.int8), categories=[value])


@rule_type("Domain Presence Check")
def domain_presence(dataset: Dataset, submission: Submission, rule: Rule | None = None) -> pd.DataFrame:
    row = {}
    for found in submission.datasets.values():
        row.setdefault(found.unsplit_name, found.filename)
    return pd.DataFrame([{**row, RECORD: pd.NA}])


def _define(submission: Submission):
    if submission.define is None:
        raise NotRun("needs a define.xml (validate --define FILE, or define.xml beside the datasets)")
    return submission.define


@rule_type("Dataset Metadata Check against Define XML")
def dataset_metadata_with_define(dataset: Dataset, submission: Submission, rule: Rule | None = None
                                 ) -> pd.DataFrame:
    return pd.DataFrame([{**_dataset_row(dataset), **_define(submission).dataset(dataset.name), RECORD: 1}])


@rule_type("Variable Metadata Check against Define XML")
def variable_metadata_with_define(dataset: Dataset, submission: Submission, rule: Rule | None = None
                                  ) -> pd.DataFrame:
    """The dataset's variables in their order, then the define.xml's variables of the dataset that
    it lacks (variable_name empty), each with its define.xml metadata (empty where it has none)."""
    define = _define(submission)
    rows = _variable_rows(dataset)
    theirs = define.variables_of(dataset.name)
    merged = pd.concat([rows.merge(theirs, left_on="variable_name", right_on="define_variable_name",
                                   how="left"),
                        theirs[~theirs["define_variable_name"].isin(rows["variable_name"])]],
                       ignore_index=True)
    text_columns = [c for c in merged.columns if merged[c].dtype == object]
    merged[text_columns] = merged[text_columns].fillna("")
    merged["define_dataset_name"] = define.dataset(dataset.name)["define_dataset_name"]
    return merged.assign(**{RECORD: np.arange(1, len(merged) + 1)})


@rule_type("Domain Presence Check against Define XML")
def domain_presence_with_define(dataset: Dataset, submission: Submission, rule: Rule | None = None
                                ) -> pd.DataFrame:
    """A row per dataset of the define.xml, with the submission's file of that name (null if none)."""
    datasets = _define(submission).datasets
    files = {d.name: d.filename for d in submission.datasets.values()}
    found = datasets["define_dataset_name"].map(files)
    return datasets.assign(domain=found.where(found.isna(), datasets["define_dataset_name"]),
                           filename=found, **{RECORD: pd.NA})


_TYPE_PATTERNS = {  # Define-XML data types a text value can be checked against
    "integer": r"[-+]?\d+",
    "float": r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?",
    "date": r"\d{4}(-(\d{2}|-)(-(\d{2}|-))?)?",
    "datetime": r"\d{4}(-(\d{2}|-)(-(\d{2}|-)(T(\d{2}|-)(:(\d{2}|-)(:\d{2}(\.\d+)?)?)?)?)?)?",
    "time": r"\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?",
}
_COMPARATORS = {"EQ": "isin", "IN": "isin", "NE": "notin", "NOTIN": "notin"}


def _where(frame: pd.DataFrame, where: tuple) -> pd.Series:
    """The records a value-level where clause selects: all its conditions hold."""
    selected = pd.Series(True, index=frame.index)
    for variable, comparator, values in where:
        if variable not in frame.columns:
            return pd.Series(False, index=frame.index)
        column = as_text(frame[variable])
        if comparator in _COMPARATORS:
            inside = column.isin(values)
            selected &= inside if _COMPARATORS[comparator] == "isin" else ~inside
        else:
            number, limit = pd.to_numeric(column, errors="coerce"), float(values[0]) if values else np.nan
            selected &= {"LT": number < limit, "LE": number <= limit, "GT": number > limit,
                         "GE": number >= limit}.get(comparator, pd.Series(False, index=frame.index))
    return selected


@rule_type("Value Check against Define XML VLM")
def values_with_define_vlm(dataset: Dataset, submission: Submission, rule: Rule | None = None
                           ) -> pd.DataFrame:
    """A row per value a value-level definition describes (its where clause selects the record),
    with that definition's metadata, `type_check` (the value fits its DataType) and `length_check`
    (a text value fits its Length). Definitions without a where clause (Define-XML 1.0) select
    nothing: which records they describe is not said."""
    frame = dataset.frame
    parts = []
    for vlm in _define(submission).value_level_of(dataset.name).itertuples(index=False):
        if not vlm.where or vlm.define_variable_name not in frame.columns:
            continue
        rows = np.flatnonzero(_where(frame, vlm.where).to_numpy())
        values = as_text(frame[vlm.define_variable_name].iloc[rows]).reset_index(drop=True)
        pattern = _TYPE_PATTERNS.get(vlm.define_vlm_data_type)
        typed = values.str.fullmatch(pattern) if pattern else pd.Series(True, index=values.index)
        long = (vlm.define_vlm_data_type == "text") & (values.str.len() > vlm.define_vlm_length)
        parts.append(pd.DataFrame({
            RECORD: rows + 1, "row_number": rows + 1, "variable_name": vlm.define_variable_name,
            "variable_value": values, "variable_value_length": values.str.len(),
            **{k: v for k, v in vlm._asdict().items() if k.startswith("define_")},
            "type_check": typed | (values == ""), "length_check": ~long,
        }))
    if not parts:
        return pd.DataFrame(columns=[RECORD, "row_number", "variable_name", "variable_value"])
    return pd.concat(parts, ignore_index=True)
