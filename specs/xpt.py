"""Writing datasets by spec: SAS transport (XPT version 5) through pyreadstat, and Dataset-JSON.

pyreadstat 1.3 writes XPT version 8 named DATASET unless told otherwise, cuts labels over 40
characters without a word, writes values over 200 bytes and non-ASCII text, and stores a
datetime64 column with a DATE format in seconds. So the version and the table name are always
passed, the frame is conformed (dates become SAS numbers here) and checked against the v5 limits
before pyreadstat sees it.

Lengths: `write_xport` has no option for a character variable's storage width (the
`variable_display_width` option belongs to `write_sav`, SPSS); it takes the longest value in bytes. A
spec's fixed length is reached by padding one value with trailing blanks, which XPT stores
blank-padded anyway, so the bytes are those of a true fixed length. A dataset with no rows gets
length 1 for every character variable. Numbers are always 8 bytes.

Determinism: readstat stamps the file with the current time, in four 16-character fields
(ddMMMyy:hh:mm:ss) of the library and member headers (SAS TS-140: the second and third records
of the file, the fifth and sixth of the member). pyreadstat has no option for it, so the fields
are overwritten with `build_timestamp()` (SOURCE_DATE_EPOCH, else 1980-01-01T00:00:00 UTC).

Every file is written to a hidden temporary file in the target folder and moved into place with
os.replace, so a failed check or write never leaves a partial file under the final name.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyreadstat

from specs.dataset import build_timestamp, check_xpt_limits, conform
from specs.datasetjson import JsonMeta, dataset_json_bytes
from specs.model import DatasetSpec

FORMATS = ("xpt", "json")
# Offsets of the creation/modification stamps in a one-member XPT v5 file (80-byte records).
STAMP_OFFSETS = (144, 160, 464, 480)
STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
LIBRARY_HEADER = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"
MEMBER_HEADER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


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
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"formats must be among {FORMATS}, got {tuple(formats)}")
    conformed = conform(frame, spec)
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


def _write_xpt_file(conformed: pd.DataFrame, spec: DatasetSpec, path: Path) -> None:
    pyreadstat.write_xport(
        _for_pyreadstat(conformed, spec),
        os.fspath(path),
        file_label=spec.label,
        column_labels={v.name: v.label for v in spec.variables if v.name in conformed.columns},
        table_name=spec.name,
        file_format_version=5,
        variable_format={v.name: v.format for v in spec.variables if v.format and v.name in conformed},
    )
    _stamp(path, build_timestamp())


def _for_pyreadstat(conformed: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """Char columns as object (pyreadstat writes pyarrow-backed text about four times slower), the
    first value of each blank-padded where the spec length is over the longest value."""
    texts = {}
    for variable in spec.variables:
        if variable.type != "Char" or variable.name not in conformed:
            continue
        column = conformed[variable.name]
        values = column.astype(object)
        # characters are bytes here: check_xpt_limits has made sure the text is ASCII
        if len(values) and variable.length and column.str.len().max() < variable.length:
            values.iat[0] = values.iat[0].ljust(variable.length)
        texts[variable.name] = values
    return conformed.assign(**texts)


def _stamp(path: Path, when: datetime) -> None:
    text = f"{when.day:02d}{MONTHS[when.month - 1]}{when.year % 100:02d}:{when:%H:%M:%S}".encode("ascii")
    with open(path, "r+b") as handle:
        head = bytearray(handle.read(496))
        layout_ok = head.startswith(LIBRARY_HEADER) and head[240:240 + len(MEMBER_HEADER)] == MEMBER_HEADER
        if not layout_ok or not all(STAMP.fullmatch(head[o:o + 16]) for o in STAMP_OFFSETS):
            raise RuntimeError(f"{path}: pyreadstat wrote an XPT header this writer does not know")
        for offset in STAMP_OFFSETS:
            head[offset:offset + 16] = text
        handle.seek(0)
        handle.write(head)
        handle.flush()
        os.fsync(handle.fileno())
