"""Rule types: the table a check sees for one dataset, each rule type registered once.

`Record Data` is the dataset itself; the metadata types give one row per dataset or per
variable with CORE's column names (dataset_name, variable_label, library_variable_core …);
`Domain Presence Check` is one row for the whole study, a column per domain present. Every
table has `_record`: the 1-based record a finding points at (empty for metadata rows).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from qc.engine.data import Dataset, Submission
from qc.engine.table import NotRun
from qc.engine.values import as_text

RECORD = "_record"
Builder = Callable[[Dataset, Submission], pd.DataFrame]
RULE_TYPES: dict[str, Builder] = {}
STUDY_LEVEL = {"Domain Presence Check"}  # the same table for every dataset: findings about the study


def rule_type(name: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        RULE_TYPES[name] = fn
        return fn

    return register


@rule_type("Record Data")
def record_data(dataset: Dataset, submission: Submission) -> pd.DataFrame:
    return dataset.frame.assign(**{RECORD: np.arange(1, len(dataset.frame) + 1)})


def _dataset_row(dataset: Dataset) -> dict:
    return {"dataset_name": dataset.name, "dataset_label": dataset.label,
            "dataset_location": dataset.filename, "dataset_size": dataset.size,
            "dataset_domain": dataset.domain, "record_count": dataset.records}


@rule_type("Dataset Metadata Check")
def dataset_metadata(dataset: Dataset, submission: Submission) -> pd.DataFrame:
    # DOMAIN: the dataset's DOMAIN value, which rules compare the name with (CORE-000598).
    return pd.DataFrame([{**_dataset_row(dataset), "domain": dataset.domain, "DOMAIN": dataset.domain,
                          RECORD: 1}])


def _variable_rows(dataset: Dataset) -> pd.DataFrame:
    rows = []
    for position, column in enumerate(dataset.frame.columns, start=1):
        info = dataset.variable(column)
        values = dataset.frame[column]
        text = as_text(values)
        rows.append({
            "variable_name": column, "variable_order_number": position,
            "variable_label": info.label, "variable_size": info.length,
            "variable_data_type": info.type or ("Num" if pd.api.types.is_numeric_dtype(values) else "Char"),
            "variable_format": info.format,
            "variable_max_size": int(text.str.len().max()) if len(text) else 0,
            "variable_has_empty_values": bool((text == "").any()),
        })
    return pd.DataFrame(rows)


@rule_type("Variable Metadata Check")
def variable_metadata(dataset: Dataset, submission: Submission) -> pd.DataFrame:
    rows = _variable_rows(dataset)
    return rows.assign(**{RECORD: np.arange(1, len(rows) + 1)})


@rule_type("Variable Metadata Check against Library Metadata")
def variable_metadata_with_library(dataset: Dataset, submission: Submission) -> pd.DataFrame:
    library = submission.library
    if library is None:
        raise NotRun("needs the implementation guide's metadata (clinforge standards import)")
    rows = _variable_rows(dataset)
    domain = dataset.unsplit_name
    standard = pd.DataFrame([{
        "variable_name": v.name.replace("--", dataset.wildcard, 1) if v.name.startswith("--") else v.name,
        "library_variable_name": v.name, "library_variable_label": v.label,
        "library_variable_data_type": v.type, "library_variable_core": v.core or "",
        "library_variable_role": v.role or "", "library_variable_order_number": v.order,
        "library_variable_ccode": v.codelist or "",
    } for v in library.variables(domain)])
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
def values_with_dataset_metadata(dataset: Dataset, submission: Submission) -> pd.DataFrame:
    frame = dataset.frame
    long = pd.DataFrame({
        RECORD: np.repeat(np.arange(1, len(frame) + 1), len(frame.columns)),
        "row_number": np.repeat(np.arange(1, len(frame) + 1), len(frame.columns)),
        "variable_name": np.tile(np.array(frame.columns, dtype=object), len(frame)),
        "variable_value": np.concatenate([as_text(frame[c]).to_numpy(dtype=object)[:, None]
                                          for c in frame.columns], axis=1).ravel() if len(frame.columns)
        else np.array([], dtype=object),
    })
    for key, value in _dataset_row(dataset).items():
        long[key] = value
    return long


@rule_type("Domain Presence Check")
def domain_presence(dataset: Dataset, submission: Submission) -> pd.DataFrame:
    row = {}
    for found in submission.datasets.values():
        row.setdefault(found.unsplit_name, found.filename)
    return pd.DataFrame([{**row, RECORD: pd.NA}])
