"""Writing datasets by spec: SAS transport (XPT version 5) and Dataset-JSON.

XPT files are written by `specs.xport`, a vectorised writer of the published format (SAS TS-140):
the frame is conformed (dates become SAS numbers there) and checked against the v5 limits first,
then each column is handed over as one buffer: text as its Arrow bytes and offsets, numbers as a
float64 array. pyreadstat 1.3.7's `write_xport` (used before) took about 24 s for a million rows of
ten text and ten numeric columns, mostly on the text; see benchmarks/bench_xpt.py. The files are
byte-for-byte those pyreadstat wrote, with one intended difference: a dataset with no rows keeps
its spec's fixed character lengths (pyreadstat took the length from the values and wrote 1).

Lengths: a character variable's storage width is the spec's fixed length, else the longest value
in bytes (at least 1), as `conform` computed it; values are blank-padded to it. Numbers are 8 bytes.

Determinism: the four creation/modification stamps of the library and member headers are
`build_timestamp()` (SOURCE_DATE_EPOCH, else 1980-01-01T00:00:00 UTC), so equal data give equal bytes.

Every file is written to a hidden temporary file in the target folder, flushed to disk and moved
into place with os.replace, so a failed check or write never leaves a partial file under the final name.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from specs.dataset import build_timestamp, check_xpt_limits, conform
from specs.datasetjson import JsonMeta, dataset_json_bytes
from specs.model import DatasetSpec
from specs.xport import Numbers, Text, XportVariable, write_xport

FORMATS = ("xpt", "json")


def write_xpt(frame: pd.DataFrame, spec: DatasetSpec, path: str | Path) -> Path:
    """Conform `frame` to `spec`, check the XPT v5 limits, write `path` atomically; returns the path."""
    conformed = conform(frame, spec)
    check_xpt_limits(conformed, spec)
    target = Path(path)
    temp = _temp_path(target)
    try:
        _write_xpt_file(conformed, spec, temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return target


def write_dataset(
    frame: pd.DataFrame,
    spec: DatasetSpec,
    folder: str | Path,
    formats: Sequence[str] = ("xpt",),
    *,
    json_meta: JsonMeta | None = None,
) -> Path:
    """Write `<name lower>.<format>` for each format ("xpt", "json") into `folder`; returns the first path.

    The frame is conformed once; the XPT v5 limits are checked when "xpt" is asked for. All files
    are written to temporary names first and only then moved into place, so either every format
    is written or none is.
    """
    return write_conformed(conform(frame, spec), spec, folder, formats, json_meta=json_meta)


def write_conformed(
    conformed: pd.DataFrame,
    spec: DatasetSpec,
    folder: str | Path,
    formats: Sequence[str] = ("xpt",),
    *,
    json_meta: JsonMeta | None = None,
) -> Path:
    """`write_dataset` for a frame `specs.dataset.conform` has already made from `spec`."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"formats must be among {FORMATS}, got {tuple(formats)}")
    if "xpt" in formats:
        check_xpt_limits(conformed, spec)
    target_folder = Path(folder)
    target_folder.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, Path]] = []
    try:
        for fmt in formats:
            target = target_folder / f"{spec.name.lower()}.{fmt}"
            temp = _temp_path(target)
            written.append((temp, target))
            if fmt == "xpt":
                _write_xpt_file(conformed, spec, temp)
            else:
                temp.write_bytes(dataset_json_bytes(conformed, spec, json_meta or JsonMeta()))
        for temp, target in written:
            os.replace(temp, target)
    finally:
        for temp, _ in written:
            temp.unlink(missing_ok=True)
    return written[0][1]


def _temp_path(target: Path) -> Path:
    """A new hidden file next to `target`, created with the permissions the umask gives (not 0600)."""
    while True:
        path = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return path


def xport_columns(
    conformed: pd.DataFrame, spec: DatasetSpec,
) -> tuple[list[XportVariable], list[Text | Numbers]]:
    """A conformed frame's variables and columns as `specs.xport.write_xport` takes them."""
    present = [v for v in sorted(spec.variables, key=lambda v: v.order) if v.name in conformed.columns]
    lengths = conformed.attrs["lengths"]
    variables = [XportVariable(v.name, v.label, v.type, lengths[v.name], v.format or "") for v in present]
    columns = [_text(conformed[v.name]) if v.type == "Char" else _numbers(conformed[v.name]) for v in present]
    return variables, columns


def _write_xpt_file(conformed: pd.DataFrame, spec: DatasetSpec, path: Path) -> None:
    variables, columns = xport_columns(conformed, spec)
    with open(path, "wb") as handle:
        write_xport(handle, spec.name, spec.label, variables, columns, build_timestamp())
        handle.flush()
        os.fsync(handle.fileno())


def _text(series: pd.Series) -> Text:
    """The column's values as one buffer of bytes, straight from Arrow's storage (UTF-8, which
    check_xpt_limits has made sure is ASCII); missing values are empty."""
    array = pc.fill_null(pa.array(series, type=pa.large_string(), from_pandas=True), "")
    if isinstance(array, pa.ChunkedArray):  # a column built from several Arrow chunks
        array = array.combine_chunks()
    _, offsets, data = array.buffers()
    positions = np.frombuffer(offsets, dtype=np.int64)[array.offset:array.offset + len(array) + 1]
    return Text(np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8), positions)


def _numbers(series: pd.Series) -> Numbers:
    return Numbers(series.to_numpy(dtype="float64", na_value=np.nan))
