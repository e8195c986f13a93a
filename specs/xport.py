"""SAS transport files, version 5 (SAS TS-140): 80-byte records, IBM doubles, headers, observations.

A file holds one member (dataset) here: the library header (three records), the member and
descriptor headers with two records naming the member, the NAMESTR header with a 140-byte
NAMESTR per variable, the OBS header, then the observations one after another with no
separators, the last record padded with ASCII blanks to 80 bytes. Integers in NAMESTRs are
big-endian; character values are ASCII, blank-padded to the variable's length; numbers are IBM
System/370 doubles (below). XPT v5 stores no row count: readers take the rows from the size.

IBM doubles: sign bit, 7-bit base-16 exponent in excess 64, 56-bit fraction, value = 0.F × 16**(E-64)
with the first hex digit of F not zero. An IEEE double has 53 significant bits; aligning its binary
exponent to a multiple of four shifts them left by at most three, so they always fit the 56 bits:
the conversion is exact and nothing is rounded or truncated. It only fails outside the IBM range,
from 16**63 up (infinity too) and below 16**-65 (IEEE subnormals too): such numbers raise
ValueError rather than being saturated or flushed to zero. Zero and negative zero are written as
eight zero bytes (SAS has one zero); a missing value (NaN) as `.` (0x2E) followed by seven zero
bytes, a special missing value `.A`-`.Z`, `._` with that letter or underscore in place of the dot.

The fields the format leaves to the writer are filled as pyreadstat 1.3 (readstat) fills them, so
files are byte-for-byte those the project wrote through pyreadstat before: SAS version "6.06",
operating system "bsd4.2", format justification 1 for numbers and 0 for text, blank format and
informat names when there are none, zero bytes in NAMESTR fill and reserved fields.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

import numpy as np

RECORD = 80
NAMESTR_SIZE = 140
BLANK = 0x20
MAX_VARIABLES = 9999  # the NAMESTR header has four digits for the count
NAME_SIZE = 8
LABEL_SIZE = 40
CHAR_MAX = 200
SAS_VERSION = "6.06"
OPERATING_SYSTEM = "bsd4.2"
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
# Observations are built and written this many bytes at a time, so memory stays bounded
# whatever the dataset's size.
CHUNK_BYTES = 1 << 24

LIBRARY_HEADER = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  "
MEMBER_HEADER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  "
DESCRIPTOR_HEADER = b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000  "
OBS_HEADER = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000  "
# ntype nhfun nlng nvar0 nname nlabel nform nfl nfd nfj nfill niform nifl nifd npos rest
NAMESTR = struct.Struct(">hhhh8s40s8shhh2s8shhl52s")
# A format is a name (letters, digits, underscores, not ending in a digit; `$` first for text),
# a width and decimals: DATE9. DATETIME20. 8.2 $20. E8601DA10.
FORMAT = re.compile(r"(\$?(?:[A-Za-z_](?:[A-Za-z0-9_]*[A-Za-z_])?)?)(\d*)\.?(\d*)")

MISSING = 0x2E  # "."
SPECIAL_MISSING = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ_")
SIGN_BIT = np.int64(-(1 << 63))
IEEE_FRACTION = (1 << 52) - 1
IEEE_HIDDEN_BIT = 1 << 52
IEEE_BIAS = 1075  # exponent bias 1023 plus the 52 fraction bits: value = significand × 2**(e - 1075)
IBM_BIAS = 78  # excess 64 plus the 56 fraction bits counted in hex digits (14)


@dataclass(frozen=True)
class XportVariable:
    """One variable's NAMESTR: type "Char" or "Num", storage length in bytes, display format or ""."""

    name: str
    label: str
    type: str
    length: int
    format: str = ""


@dataclass(frozen=True)
class Text:
    """A character column as one byte buffer: value i is data[offsets[i]:offsets[i + 1]] (Arrow's layout)."""

    data: np.ndarray
    offsets: np.ndarray

    @classmethod
    def from_bytes(cls, values: Sequence[bytes]) -> Text:
        lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return cls(np.frombuffer(b"".join(values), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1


@dataclass(frozen=True)
class Numbers:
    """A numeric column: float64 values, NaN missing; `special` gives a missing value's letter.

    `special` holds one byte per row, b"A"-b"Z" or b"_" for `.A`-`.Z`, `._` where the value is NaN,
    b"" elsewhere; None when there are no special missing values.
    """

    values: np.ndarray
    special: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values)


def ibm_from_ieee(values: np.ndarray, special: np.ndarray | None = None) -> np.ndarray:
    """IEEE float64 → IBM System/370 doubles as big-endian uint64 (exact; ValueError out of range)."""
    return _ibm_bits(values, special).astype(">u8")


def _ibm_bits(values: np.ndarray, special: np.ndarray | None) -> np.ndarray:
    """The IBM doubles' bits in native int64s (big-endian is the caller's store)."""
    numbers = np.ascontiguousarray(values, dtype=np.float64)
    bits = numbers.view(np.int64)
    exponent = ((bits >> 52) & 0x7FF) - IEEE_BIAS
    # exponent - shift is the multiple of 4 at or below exponent (shifts are arithmetic)
    shift = exponent & 3
    hex_exponent = (exponent >> 2) + IBM_BIAS
    ibm = (((bits & IEEE_FRACTION) | IEEE_HIDDEN_BIT) << shift) | (hex_exponent << 56) | (bits & SIGN_BIT)
    # zeros, missing values and numbers out of range all land outside 0..127
    unusual = np.flatnonzero((hex_exponent < 0) | (hex_exponent > 127))
    letters = _special_letters(special, numbers)
    if unusual.size:
        odd = numbers[unusual]
        missing = np.isnan(odd)
        outside = ~missing & (odd != 0)
        if outside.any():
            raise ValueError(
                f"{int(outside.sum())} numbers outside the IBM floating-point range (16**-65 to below "
                f"16**63, finite), the first {odd[outside][0]!r}"
            )
        codes = np.full(unusual.size, MISSING, dtype=np.int64)
        if letters is not None:
            codes = np.where(letters[unusual] != 0, letters[unusual], MISSING)
        ibm[unusual] = np.where(missing, codes << 56, 0)
    return ibm


def library_header(when: datetime) -> bytes:
    """The three records that open the file, created and modified at `when`."""
    stamp = _stamp(when)
    return LIBRARY_HEADER + _identity("SAS", "SASLIB", stamp) + _record(stamp)


def member_header(name: str, label: str, variables: Sequence[XportVariable], when: datetime) -> bytes:
    """Member and descriptor headers, the member's two records, the NAMESTRs and the OBS header."""
    if len(variables) > MAX_VARIABLES:
        raise ValueError(f"{len(variables)} variables: XPT v5 holds at most {MAX_VARIABLES}")
    stamp = _stamp(when)
    described = stamp + b" " * 16 + _field(label, LABEL_SIZE) + b" " * 8
    namestr_header = f"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000{len(variables):04d}"
    namestrs = b"".join(_namestrs(variables))
    return (
        MEMBER_HEADER + DESCRIPTOR_HEADER + _identity(name, "SASDATA", stamp) + _record(described)
        + _record(namestr_header.encode("ascii").ljust(RECORD - 2, b"0"))
        + namestrs.ljust(-(-len(namestrs) // RECORD) * RECORD, b" ")
        + OBS_HEADER
    )


def observation_chunks(
    variables: Sequence[XportVariable], columns: Sequence[Text | Numbers], *, chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[np.ndarray]:
    """The observations as uint8 blocks of whole rows, the last blank-padded to a whole record.

    Each block is built column by column into one (rows × record length) byte array: numbers as
    IBM doubles, text blank-padded to the variable's length. No rows, no blocks.
    """
    if len(columns) != len(variables):
        raise ValueError(f"{len(variables)} variables but {len(columns)} columns")
    rows = len(columns[0]) if columns else 0
    if any(len(c) != rows for c in columns):
        raise ValueError("columns differ in length")
    for variable, column in zip(variables, columns, strict=True):
        _check_column(variable, column)
    width = sum(v.length for v in variables)
    step = max(1, chunk_bytes // max(width, 1))
    for start in range(0, rows, step):
        stop = min(start + step, rows)
        size = (stop - start) * width
        padding = -(rows * width) % RECORD if stop == rows else 0
        block = np.full(size + padding, BLANK, dtype=np.uint8)
        table = block[:size].reshape(stop - start, width)
        position = 0
        for variable, column in zip(variables, columns, strict=True):
            field = table[:, position:position + variable.length]
            if isinstance(column, Numbers):
                special = None if column.special is None else column.special[start:stop]
                # the field's bytes seen as one big-endian integer per row: numpy swaps as it stores
                field.view(">i8")[:, 0] = _ibm_bits(column.values[start:stop], special)
            else:
                _place_text(field, column, start, stop)
            position += variable.length
        yield block


def write_xport(
    handle: BinaryIO, name: str, label: str, variables: Sequence[XportVariable],
    columns: Sequence[Text | Numbers], when: datetime,
) -> None:
    """Write one dataset as an XPT v5 file to the open binary `handle`, stamped created/modified `when`."""
    handle.write(library_header(when) + member_header(name, label, variables, when))
    for block in observation_chunks(variables, columns):
        handle.write(memoryview(block))


def parse_format(fmt: str) -> tuple[str, int, int]:
    """A SAS display format as NAMESTR fields (name, width, decimals): "DATE9." → ("DATE", 9, 0)."""
    found = FORMAT.fullmatch(fmt.strip())
    if not fmt.strip() or not found or len(found[1]) > NAME_SIZE:
        raise ValueError(f"not a SAS format XPT v5 can store: {fmt!r}")
    return found[1], int(found[2] or 0), int(found[3] or 0)


def _namestrs(variables: Sequence[XportVariable]) -> Iterator[bytes]:
    position = 0
    for number, variable in enumerate(variables, 1):
        text = variable.type == "Char"
        form, width, decimals = parse_format(variable.format) if variable.format else ("", 0, 0)
        yield NAMESTR.pack(
            2 if text else 1, 0, variable.length, number, _field(variable.name, NAME_SIZE),
            _field(variable.label, LABEL_SIZE), _field(form, NAME_SIZE), width, decimals, 0 if text else 1,
            b"\0\0", b" " * 8, 0, 0, position, b"\0" * 52,
        )
        position += variable.length


def _check_column(variable: XportVariable, column: Text | Numbers) -> None:
    if variable.type == "Num":
        if not isinstance(column, Numbers) or variable.length != 8:
            raise ValueError(f"{variable.name}: a Num variable takes Numbers and length 8")
    elif variable.type == "Char":
        if not isinstance(column, Text) or not 1 <= variable.length <= CHAR_MAX:
            raise ValueError(f"{variable.name}: a Char variable takes Text and a length from 1 to {CHAR_MAX}")
        longest = int(np.diff(column.offsets).max(initial=0))
        if longest > variable.length:
            raise ValueError(f"{variable.name}: a {longest}-byte value is over the length {variable.length}")
    else:
        raise ValueError(f"{variable.name}: type must be Char or Num, not {variable.type!r}")


def _place_text(field: np.ndarray, column: Text, start: int, stop: int) -> None:
    """Copy rows start..stop of `column` into the blank-filled (rows × length) `field`."""
    offsets = column.offsets[start:stop + 1]
    # Boolean-mask assignment fills the True cells in row-major order, which is the order of the
    # values' bytes in the buffer: row i gets its first len(value i) cells.
    filled = np.arange(field.shape[1]) < np.diff(offsets)[:, None]
    field[filled] = column.data[offsets[0]:offsets[-1]]


def _special_letters(special: np.ndarray | None, numbers: np.ndarray) -> np.ndarray | None:
    """Each row's special missing letter as a byte value, 0 for none; checked against the numbers."""
    if special is None:
        return None
    letters = np.asarray(special, dtype="S1").view(np.uint8).astype(np.int64)
    wrong = (letters != 0) & (~np.isnan(numbers) | ~np.isin(letters, list(SPECIAL_MISSING)))
    if wrong.any():
        found = chr(letters[wrong][0])
        raise ValueError(f"special missing values must be A-Z or _ on NaN values, not {found!r}")
    return letters


def _field(text: str, size: int) -> bytes:
    encoded = text.encode("ascii")
    if len(encoded) > size:
        raise ValueError(f"{text!r} is longer than {size} characters")
    return encoded.ljust(size)


def _record(content: bytes) -> bytes:
    return content.ljust(RECORD)


def _identity(name: str, kind: str, stamp: bytes) -> bytes:
    """The record naming library or member: "SAS", name, kind, SAS version, system, created."""
    fields = ("SAS", name, kind, SAS_VERSION, OPERATING_SYSTEM)
    return b"".join(_field(f, NAME_SIZE) for f in fields) + b" " * 24 + stamp


def _stamp(when: datetime) -> bytes:
    """ddMMMyy:hh:mm:ss, the only date form the headers have."""
    return f"{when.day:02d}{MONTHS[when.month - 1]}{when.year % 100:02d}:{when:%H:%M:%S}".encode("ascii")
