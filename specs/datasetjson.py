"""CDISC Dataset-JSON 1.1: building the document from a conformed frame, and parsing one back.

Follows the Dataset-JSON v1.1 specification (CDISC, final 2024-12-05) attribute by attribute and
in its attribute order: datasetJSONCreationDateTime, datasetJSONVersion, fileOID,
dbLastModifiedDateTime, originator, sourceSystem {name, version}, studyOID, metaDataVersionOID,
metaDataRef, itemGroupOID, records, name, label, columns, rows. Optional attributes with no
value are left out rather than written empty.

Columns: Char variables are dataType "string" with their length. Num variables with a SAS date,
datetime or time format are "date"/"datetime"/"time" exchanged as ISO 8601 strings with
targetDataType "integer" (the spec's ADaM case: the receiver turns them back into SAS numbers)
and the format as displayFormat; other Num variables are "double". The spec has no integer
type, so nothing is declared "integer". OIDs follow the Define-XML convention IG.<DATASET> and
IT.<DATASET>.<VARIABLE>, so a define.xml written with the same convention links up.

Missing numbers and dates are null; missing text is "", as in XPT. The creation time is
`build_timestamp()` (SOURCE_DATE_EPOCH when set), so the same input gives the same bytes. One row
per line keeps files diffable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from specs.dataset import SAS_EPOCH, build_timestamp, format_kind
from specs.errors import InputError
from specs.model import DatasetSpec

VERSION = "1.1.0"
NUMERIC_TYPES = frozenset({"integer", "float", "double", "decimal"})
TEMPORAL_TYPES = frozenset({"date", "datetime", "time"})


@dataclass(frozen=True)
class JsonMeta:
    """File-level attributes the dataset spec does not hold; None leaves an attribute out."""

    originator: str | None = None  # the sponsor
    study_oid: str | None = None  # default: the dataset's STUDYID value
    metadata_version_oid: str | None = None  # MetaDataVersion/@OID of the define.xml
    metadata_ref: str | None = None  # e.g. "define.xml"
    db_last_modified: str | None = None  # ISO 8601; default: the creation time
    file_oid: str | None = None  # default: <studyOID>.<KIND>.<DATASET>
    source_system: tuple[str, str] | None = None  # (name, version) of the program writing the file


def dataset_json_bytes(conformed: pd.DataFrame, spec: DatasetSpec, meta: JsonMeta) -> bytes:
    """The Dataset-JSON 1.1 file for a frame already conformed to `spec` (see specs.dataset.conform)."""
    created = build_timestamp().isoformat(timespec="seconds")
    study_oid = meta.study_oid or _first_value(conformed, "STUDYID")
    header: dict[str, Any] = {
        "datasetJSONCreationDateTime": created,
        "datasetJSONVersion": VERSION,
        "fileOID": meta.file_oid or ".".join(p for p in (study_oid, spec.kind.upper(), spec.name) if p),
        "dbLastModifiedDateTime": meta.db_last_modified or created,
        "originator": meta.originator,
        "sourceSystem": dict(zip(("name", "version"), meta.source_system, strict=True))
        if meta.source_system else None,
        "studyOID": study_oid,
        "metaDataVersionOID": meta.metadata_version_oid,
        "metaDataRef": meta.metadata_ref,
        "itemGroupOID": f"IG.{spec.name}",
        "records": len(conformed),
        "name": spec.name,
        "label": spec.label,
        "columns": [_column(spec, name, conformed.attrs["lengths"][name]) for name in conformed.columns],
    }
    header = {key: value for key, value in header.items() if value is not None}
    values = [_json_values(conformed[c], format_kind(conformed.attrs["formats"].get(c))) for c in conformed]
    rows = [_dumps(list(row)) for row in zip(*values, strict=True)] if values else []
    text = _dumps(header)[:-1] + ',"rows":[' + "\n" + ",\n".join(rows) + "\n]}\n"
    return text.encode("utf-8")


def parse_dataset_json(content: bytes, file: str) -> pd.DataFrame:
    """A frame from Dataset-JSON 1.1 text, typed as the readers give XPT, with the same attrs."""
    try:
        document = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"not valid JSON: {error}", file=file) from error
    if not isinstance(document, dict) or not str(document.get("datasetJSONVersion", "")).startswith("1.1"):
        version = document.get("datasetJSONVersion") if isinstance(document, dict) else None
        raise InputError(
            "not a Dataset-JSON 1.1 file", file=file, column="datasetJSONVersion", value=version,
            expected="1.1.x",
        )
    columns = document.get("columns")
    rows = document.get("rows", [])
    if not isinstance(columns, list) or not all(isinstance(c, dict) and "name" in c for c in columns):
        raise InputError("columns is missing or malformed", file=file, column="columns")
    if document.get("records") != len(rows):
        raise InputError(
            f"records says {document.get('records')} but rows holds {len(rows)}", file=file, column="records",
        )
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != len(columns):
            raise InputError(
                f"row has {len(row) if isinstance(row, list) else 'no'} values for {len(columns)} columns",
                file=file, row=number,
            )
    cells = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    frame = pd.DataFrame({
        c["name"]: _typed(pd.Series(list(v), dtype=object), c, file)
        for c, v in zip(columns, cells, strict=True)
    })
    frame.attrs = {
        "name": document.get("name", ""),
        "label": document.get("label", ""),
        "labels": {c["name"]: c.get("label", "") for c in columns},
        "formats": {c["name"]: c["displayFormat"] for c in columns if c.get("displayFormat")},
        "lengths": {c["name"]: c.get("length", 8) for c in columns},
    }
    return frame


def _column(spec: DatasetSpec, name: str, length: int) -> dict[str, Any]:
    variable = spec.variable(name)
    kind = format_kind(variable.format)
    column: dict[str, Any] = {"itemOID": f"IT.{spec.name}.{name}", "name": name, "label": variable.label}
    if variable.type == "Char":
        column |= {"dataType": "string", "length": length}
    elif kind:
        column |= {"dataType": kind, "targetDataType": "integer"}
    else:
        column["dataType"] = "double"
    if variable.format:
        column["displayFormat"] = variable.format
    if name in spec.keys:
        column["keySequence"] = spec.keys.index(name) + 1
    return column


def _json_values(series: pd.Series, kind: str | None) -> list[Any]:
    if series.dtype.kind != "f":
        return series.tolist()
    missing = series.isna().to_numpy()
    if kind is None:
        values = series.astype(object).to_numpy()
    elif kind == "date":
        stamps = SAS_EPOCH + pd.to_timedelta(series.fillna(0), unit="D")
        values = stamps.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    else:
        # Rounded to microseconds: float seconds carry binary noise below that.
        offsets = pd.to_timedelta(series.fillna(0), unit="s").dt.round("us")
        stamps = offsets + (SAS_EPOCH if kind == "datetime" else pd.Timestamp(0))
        values = stamps.map(_iso_time if kind == "time" else pd.Timestamp.isoformat).to_numpy(dtype=object)
    return np.where(missing, None, values).tolist()


def _iso_time(stamp: pd.Timestamp) -> str:
    return stamp.isoformat().split("T")[1]


def _typed(values: pd.Series, column: dict[str, Any], file: str) -> pd.Series:
    data_type = column.get("dataType")
    try:
        if data_type in NUMERIC_TYPES:
            return pd.to_numeric(values, errors="raise").astype("float64")
        if data_type in ("date", "datetime"):
            return pd.to_datetime(values, format="ISO8601").astype("datetime64[ns]")
        if data_type == "time":
            return pd.to_timedelta(values).astype("timedelta64[ns]")
    except (ValueError, TypeError) as error:
        raise InputError(
            f"values do not match dataType {data_type}: {error}", file=file, column=column["name"],
        ) from error
    if data_type == "boolean":
        return values
    return values.fillna("").astype("str")


def _first_value(frame: pd.DataFrame, column: str) -> str | None:
    if column not in frame or frame.empty:
        return None
    return next((v for v in frame[column] if v), None)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
