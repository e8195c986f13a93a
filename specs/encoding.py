"""Text in files that do not say their encoding: SAS transport (XPT), SAS7BDAT and CSV exports.

Nearly every file is UTF-8 (or ASCII) throughout, and readers first read it so, as fast as ever.
Where that fails, and for any encoding but the default and strict-utf-8, they take the bytes as
Latin-1, in which every byte is the character of the same number, so nothing is lost; then only
the values holding a byte above 127 (found by Arrow, per column) are decoded again, once per
distinct value, by the encoding the user chose:

- `utf-8` (the default): as UTF-8; a value that is not valid UTF-8 is read as Windows-1252 (what
  SAS on Windows writes) and returned as a `Recoded` for the caller to warn about;
- `strict-utf-8`: as UTF-8; a value that is not valid UTF-8 is refused;
- any other ASCII-compatible codec Python knows (latin-1, windows-1252, cp850 ...): in that codec.

A refused value raises InputError naming the file, row, variable and the value's bytes.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from specs.errors import InputError

DEFAULT = "utf-8"
STRICT_UTF8 = "strict-utf-8"
# What readers decode the bytes with, one character per byte; a name Python and iconv (which
# pyreadstat uses) both know.
LOSSLESS = "latin1"
SHOWN_WARNINGS = 10  # recoded values named one by one per file; the rest are counted
Warn = Callable[[str], None]  # what readers tell of values read as Windows-1252
_ASCII = bytes(range(128))
# Windows-1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined; like the WHATWG Encoding
# Standard, they read as the C1 controls of the same number, so every byte is one character.
_WINDOWS_1252 = {b: bytes([b]).decode("cp1252", "ignore") or chr(b) for b in range(0x80, 0xA0)}


@dataclass(frozen=True)
class Recoded:
    """A value that was not UTF-8 and was read as Windows-1252 (the default encoding's fallback)."""

    file: str
    variable: str  # "" for the dataset label
    value: str  # as read
    row: int | None  # 1-based row of its first occurrence; None for a label
    count: int = 1  # rows holding the same bytes

    def __str__(self) -> str:
        if self.row is None:
            where = f"the label of {self.variable}" if self.variable else "the dataset label"
        else:
            where = f"{self.variable} row {self.row}"
        more = f" ({self.count} rows hold this value)" if self.count > 1 else ""
        return f"{self.file}: {where} is not UTF-8; read as Windows-1252: {self.value!r}{more}"


def check_encoding(name: str) -> str:
    """The encoding readers take for `name`: DEFAULT, STRICT_UTF8 or a codec's canonical name.

    Raises ValueError when Python knows no such codec, or when it is not ASCII-compatible (XPT
    headers and CSV delimiters are ASCII bytes, so the file could not be parsed in it).
    """
    if name.lower() == STRICT_UTF8:
        return STRICT_UTF8
    try:
        codec = codecs.lookup(name)
    except LookupError:
        raise ValueError(f"{name!r} is not an encoding Python knows; give e.g. utf-8, "
                         f"{STRICT_UTF8}, latin-1 or windows-1252") from None
    if not _ascii_compatible(codec.name):
        raise ValueError(f"{name!r} is not an ASCII-compatible text encoding, so XPT and CSV files "
                         "cannot be parsed in it; give e.g. utf-8, latin-1 or windows-1252")
    return codec.name


def _ascii_compatible(codec: str) -> bool:
    try:
        return _ASCII.decode(codec) == _ASCII.decode("ascii")
    except (LookupError, UnicodeError):  # LookupError: a codec that is not bytes → text
        return False


def read_sas(read: Callable[..., tuple[pd.DataFrame, Any]], path: Path, encoding: str, **options: Any
             ) -> tuple[pd.DataFrame, Any, bool]:
    """pyreadstat's `read(path, **options)`, and whether its text is still to be decoded by
    `encoding` (decode_columns, decode_label) because it was read as Latin-1.

    The default and strict-utf-8 first let pyreadstat read as it does (XPT as UTF-8, SAS7BDAT by
    its own encoding attribute); only a file with text that does not decode so is read again.
    """
    if encoding in (DEFAULT, STRICT_UTF8):
        try:
            frame, meta = read(str(path), **options)
            return frame, meta, False
        except UnicodeDecodeError:
            pass  # read byte by byte below, and the values that are not UTF-8 named
    frame, meta = read(str(path), encoding=LOSSLESS, **options)
    return frame, meta, True


def windows_1252(raw: bytes) -> str:
    """`raw` as Windows-1252, the five undefined bytes as C1 controls."""
    return raw.decode(LOSSLESS).translate(_WINDOWS_1252)


def non_ascii(values: pd.Series) -> pd.Series:
    """True where a text value holds a character beyond ASCII; missing values never do.

    Arrow tests every value of Arrow-backed text at once (object columns go value by value)."""
    ascii_ = values.str.isascii().fillna(True).astype(bool)
    return values.notna() & ~ascii_


def decode_columns(frame: pd.DataFrame, columns: list[str], encoding: str, file: str
                   ) -> tuple[pd.DataFrame, list[Recoded]]:
    """`frame` (text read as Latin-1) with the values of `columns` decoded by `encoding`.

    Only columns holding a byte above 127 are replaced; the rest are returned as they are.
    """
    recoded: list[Recoded] = []
    changed = {}
    for name in columns:
        values = frame[name]
        odd = np.flatnonzero(non_ascii(values).to_numpy())
        if len(odd):
            changed[name], found = _decode_column(values, odd, encoding, file, name)
            recoded += found
    return (frame.assign(**changed) if changed else frame), recoded


def _decode_column(values: pd.Series, odd: np.ndarray, encoding: str, file: str, name: str
                   ) -> tuple[pd.Series, list[Recoded]]:
    """The column with its non-ASCII values (at positions `odd`) decoded, once per distinct value."""
    selected = values.iloc[odd]
    decoded: dict[str, str] = {}
    recoded = []
    for value, positions in selected.groupby(selected, sort=False).indices.items():
        row = int(odd[positions[0]]) + 1
        decoded[value], fell_back = decode_value(value, encoding, file, name, row)
        if fell_back:
            recoded.append(Recoded(file, name, decoded[value], row, len(positions)))
    fixed = values.copy()
    fixed.iloc[odd] = selected.map(decoded).to_numpy()
    return fixed, recoded


def decode_value(text: str, encoding: str, file: str, variable: str, row: int | None, *,
                 what: str = "value") -> tuple[str, bool]:
    """One value (or label: `what`) read as Latin-1, decoded by `encoding`; True when it fell back
    to Windows-1252."""
    raw = text.encode(LOSSLESS)
    codec = "utf-8" if encoding in (DEFAULT, STRICT_UTF8) else encoding
    try:
        return raw.decode(codec), False
    except UnicodeDecodeError as error:
        if encoding == DEFAULT:
            return windows_1252(raw), True
        name = "UTF-8" if codec == "utf-8" else codec
        raise InputError(
            f"the {what} is not valid {name}: byte 0x{raw[error.start]:02X} at byte {error.start + 1} "
            f"(as Windows-1252 it reads {windows_1252(raw)!r})",
            file=file, row=row, column=variable or None, value=raw,
            expected=f"{name} text; give the file's encoding with --encoding (e.g. --encoding "
                     "windows-1252)",
        ) from None


def decode_label(text: str | None, encoding: str, file: str, variable: str = ""
                 ) -> tuple[str, list[Recoded]]:
    """A variable's label (the dataset label when `variable` is "") decoded like a value."""
    if not text or text.isascii():
        return text or "", []
    what = f"label of {variable}" if variable else "dataset label"
    label, fell_back = decode_value(text, encoding, file, variable, None, what=what)
    return label, [Recoded(file, variable, label, None)] if fell_back else []


def tell(warn: Warn | None, recoded: list[Recoded]) -> None:
    """Say each line of `warnings_for(recoded)` to `warn`, when there is one to tell."""
    if warn:
        for line in warnings_for(recoded):
            warn(line)


def warnings_for(recoded: list[Recoded], shown: int = SHOWN_WARNINGS) -> list[str]:
    """One line per recoded value, the first `shown` of each file, then a count of the rest."""
    lines: list[str] = []
    by_file: dict[str, list[Recoded]] = {}
    for item in recoded:
        by_file.setdefault(item.file, []).append(item)
    for file, items in by_file.items():
        lines += [str(item) for item in items[:shown]]
        if len(items) > shown:
            rows = sum(item.count for item in items[shown:])
            lines.append(f"{file}: {len(items) - shown} more values ({rows} rows) are not UTF-8; "
                         "read as Windows-1252")
    return lines
