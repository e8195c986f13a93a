"""Reading SDTM/ADaM datasets back: SAS XPT, CDISC Dataset-JSON 1.1 and Parquet, whoever wrote them.

Every reader gives the same frame: character variables as text with "" for missing, numbers as
float64, and variables with a SAS date or datetime format as datetime64[ns] (dates at midnight),
time formats as timedelta64[ns], which is what the ADaM code works with and what
`specs.dataset.conform` turns back into SAS numbers. Metadata travels in `frame.attrs`:
`name`, `label` (dataset), `labels`, `formats`, `lengths` (per variable) — empty for Parquet,
which carries none unless pandas stored attrs in it.

XPT files carry no text encoding: `encoding` says how to read their text (see specs.encoding;
the default reads UTF-8 and a value that is not UTF-8 as Windows-1252, saying so through `warn`).
Dataset-JSON is UTF-8 by definition and Parquet stores text as UTF-8, so they ignore it.

A file that cannot be read raises InputError naming the file and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date, time
from pathlib import Path

import pandas as pd
import pyreadstat

from specs.dataset import SAS_EPOCH, format_kind
from specs.datasetjson import parse_dataset_json
from specs.encoding import DEFAULT, Warn, decode_columns, decode_label, read_sas, tell
from specs.errors import InputError

# When a folder holds one dataset in several formats, the first of these wins.
PREFERENCE = (".xpt", ".json", ".parquet")
XPT_RECORD = 80
# Version 5 says LIBRARY/OBS, version 8 (which pyreadstat also reads) LIBV8/OBSV8.
XPT_LIBRARY_HEADER = b"HEADER RECORD*******LIB"
XPT_OBS_HEADER = re.compile(rb"HEADER RECORD\*{7}OBS(V8)? +HEADER RECORD!{7}")
AGAIN = "the complete file: copy or export it again"


def read_dataset(path: str | Path, *, encoding: str = DEFAULT, warn: Warn | None = None,
                 columns: Collection[str] | None = None) -> pd.DataFrame:
    """One dataset file (.xpt, .json Dataset-JSON, .parquet) as a frame with its labels in attrs.

    `encoding` (specs.encoding) reads the text of an XPT file; `warn` is told of each value read
    as Windows-1252 because it was not UTF-8. `columns` keeps only those of its variables (an XPT
    file is then read only for them, in half the time or less).
    """
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix not in PREFERENCE:
        raise InputError("not a dataset file", file=str(source), expected="a .xpt, .json or .parquet file")
    if not source.is_file():
        raise InputError("file not found", file=str(source))
    if suffix == ".xpt":
        return _read_xpt(source, encoding, warn, columns)
    if suffix == ".json":
        frame = parse_dataset_json(source.read_bytes(), str(source))
    else:
        frame = _read_parquet(source)
    return frame if columns is None else frame[[c for c in frame.columns if c in set(columns)]]


def read_folder(folder: str | Path, *, encoding: str = DEFAULT, warn: Warn | None = None,
                columns: Mapping[str, Collection[str]] | None = None) -> dict[str, pd.DataFrame]:
    """Every dataset in `folder`, keyed by upper-case name; XPT over Dataset-JSON over Parquet.

    JSON files that are not Dataset-JSON (reports, expectation suites) are passed over.
    `encoding` and `warn` as for `read_dataset`; `columns` (dataset → variables) reads only the
    datasets it names, each only for those variables.
    """
    chosen = dataset_files(folder)
    if columns is not None:
        chosen = {name: path for name, path in chosen.items() if name in columns}
    return {name: read_dataset(path, encoding=encoding, warn=warn,
                               columns=None if columns is None else columns[name])
            for name, path in chosen.items()}


def dataset_files(folder: str | Path) -> dict[str, Path]:
    """The file of each dataset in `folder`, by upper-case name, as `read_folder` chooses them."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError("folder not found", file=str(root))
    chosen: dict[str, Path] = {}
    files = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    for suffix in PREFERENCE:
        for path in files:
            if path.suffix.lower() == suffix and (suffix != ".json" or _is_dataset_json(path)):
                chosen.setdefault(path.stem.upper(), path)
    return dict(sorted(chosen.items()))


def _read_xpt(path: Path, encoding: str, warn: Warn | None,
              columns: Collection[str] | None = None) -> pd.DataFrame:
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(len(XPT_LIBRARY_HEADER))
    if head != XPT_LIBRARY_HEADER:
        raise InputError(
            "not a SAS transport (XPT) file: the library header record is missing", file=str(path),
            expected="a SAS XPORT file",
        )
    if size % XPT_RECORD:
        raise InputError(
            f"truncated or damaged XPT file: {size} bytes is not a whole number of 80-byte records",
            file=str(path), expected=AGAIN,
        )
    try:
        # The rows' length and the header's size are the whole file's, whatever is read of it.
        whole = read_sas(pyreadstat.read_xport, path, encoding, metadataonly=True)[1]
        wanted = {} if columns is None else {"usecols": [c for c in whole.column_names if c in set(columns)]}
        frame, meta, undecoded = read_sas(pyreadstat.read_xport, path, encoding,
                                          disable_datetime_conversion=True, **wanted)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as error:
        with open(path, "rb") as handle:
            has_rows = XPT_OBS_HEADER.search(handle.read(1 << 20))
        what = ("truncated or damaged XPT file: no observation header record" if not has_rows
                else f"cannot read XPT file: {str(error).rstrip('.')}")
        raise InputError(what, file=str(path), expected=AGAIN) from error
    _check_complete(path, len(frame), len(whole.column_names), sum(whole.variable_storage_width.values()))
    formats = {
        name: fmt if "." in fmt else f"{fmt}."
        for name, fmt in meta.original_variable_types.items() if fmt
    }
    strings = [name for name in frame.columns if meta.readstat_variable_types[name] == "string"]
    label = meta.file_label or ""
    labels = {name: text or "" for name, text in zip(frame.columns, meta.column_labels, strict=True)}
    if undecoded:
        frame, label, labels = _decoded(frame, label, labels, strings, encoding, str(path), warn)
    return _typed_frame(frame, set(strings), formats, str(path), {
        "name": meta.table_name or path.stem.upper(),
        "label": label,
        "labels": labels,
        "formats": formats,
        "lengths": dict(meta.variable_storage_width),
    })


def _decoded(frame: pd.DataFrame, label: str, labels: dict[str, str], text: list[str], encoding: str,
             file: str, warn: Warn | None) -> tuple[pd.DataFrame, str, dict[str, str]]:
    """Frame, dataset label and variable labels read as Latin-1, decoded by `encoding`."""
    label, recoded = decode_label(label, encoding, file)
    decoded = {}
    for name, raw in labels.items():
        decoded[name], found = decode_label(raw, encoding, file, name)
        recoded += found
    frame, found = decode_columns(frame, text, encoding, file)
    tell(warn, recoded + found)
    return frame, label, decoded


def as_read(conformed: pd.DataFrame, fmt: str = "xpt") -> pd.DataFrame:
    """The frame `read_dataset` gives for the `fmt` file written from this conformed frame.

    `clinforge run` hands each step's datasets to the next step this way instead of reading the
    files it has just written (tests compare it with reading them). XPT pads text with blanks and
    readers strip them; Dataset-JSON keeps text as it is.
    """
    text = {name for name in conformed.columns if not pd.api.types.is_numeric_dtype(conformed[name])}
    frame = conformed.assign(**{name: conformed[name].str.rstrip(" ") for name in text}) \
        if fmt == "xpt" else conformed
    attrs = {k: conformed.attrs[k] for k in ("name", "label", "labels", "formats", "lengths")}
    return _typed_frame(frame, text, attrs["formats"], attrs["name"], attrs)


def _typed_frame(frame: pd.DataFrame, text: set[str], formats: dict[str, str], file: str,
                 attrs: dict) -> pd.DataFrame:
    """Text columns as "str" with "" for missing; numbers as float64, or dates/times by their format."""
    columns = {}
    for name in frame.columns:
        if name in text:
            columns[name] = frame[name].fillna("").astype("str")
        else:
            columns[name] = _from_sas_number(frame[name].astype("float64"), format_kind(formats.get(name)),
                                             file, name)
    result = pd.DataFrame(columns, columns=frame.columns)
    result.attrs = attrs
    return result


def _check_complete(path: Path, rows: int, variables: int, record_length: int) -> None:
    """The bytes after the rows pyreadstat read must be the blank padding of the last 80-byte record.

    XPT v5 stores no row count, so a file cut inside the data reads as a shorter dataset; a cut that
    splits a row leaves part of it behind, which this finds.
    """
    with open(path, "rb") as handle:
        # library and member headers, a 140-byte NAMESTR per variable (version 8 may add long
        # labels), then the OBS header
        head = handle.read(2048 + 600 * variables)
        found = XPT_OBS_HEADER.search(head)
        if not found:
            raise InputError("damaged XPT file: no observation header record", file=str(path),
                             expected=AGAIN)
        handle.seek(found.start() + XPT_RECORD + rows * record_length)
        tail = handle.read(XPT_RECORD)
    if len(tail) >= XPT_RECORD or tail.strip(b" "):
        raise InputError(
            f"truncated or damaged XPT file: {len(tail)} bytes after the last of {rows} complete rows "
            "are not blank padding", file=str(path),
            expected=f"whole rows followed by blank padding, {AGAIN}",
        )


def _from_sas_number(values: pd.Series, kind: str | None, file: str, column: str) -> pd.Series:
    if kind is None:
        return values
    try:
        if kind == "time":
            return pd.to_timedelta(values, unit="s").astype("timedelta64[ns]")
        offsets = pd.to_timedelta(values, unit="D" if kind == "date" else "s")
        return (SAS_EPOCH + offsets).astype("datetime64[ns]")
    except (OverflowError, ValueError) as error:
        raise InputError(
            f"{kind} values out of the range pandas can hold: {error}", file=file, column=column,
        ) from error


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read Parquet file: {str(error).rstrip('.')}", file=str(path),
                         expected=AGAIN) from error
    columns = {name: _normalise(frame[name]) for name in frame.columns}
    result = pd.DataFrame(columns, columns=frame.columns)
    result.attrs = {"name": path.stem.upper(), "label": "", "labels": {}, "formats": {}, "lengths": {}}
    result.attrs.update(frame.attrs)
    return result


def _normalise(series: pd.Series) -> pd.Series:
    """Parquet columns typed as the other readers give them: "" for missing text, naive datetime64[ns]."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    if series.dtype == "str":
        return series.fillna("")
    present = series.dropna()
    if series.dtype != object or present.empty:
        return series
    if present.map(lambda v: isinstance(v, str)).all():
        return series.fillna("").astype("str")
    if present.map(lambda v: isinstance(v, date)).all():
        return pd.to_datetime(series).astype("datetime64[ns]")
    if present.map(lambda v: isinstance(v, time)).all():
        return pd.to_timedelta(series.map(time.isoformat, na_action="ignore")).astype("timedelta64[ns]")
    return series


def _is_dataset_json(path: Path) -> bool:
    # datasetJSONVersion is the second attribute in the specified order: the head of the file has it.
    with open(path, "rb") as handle:
        return b'"datasetJSONVersion"' in handle.read(4096)


def dataset_file(folder: str | Path | None, name: str) -> str:
    """The file of dataset `name` in `folder` (as `read_folder` chooses it), for messages about its
    content; `dataset NAME` when the frames came without a folder."""
    chosen = dataset_files(folder).get(name.upper()) if folder and Path(folder).is_dir() else None
    return str(chosen) if chosen else f"dataset {name}"
