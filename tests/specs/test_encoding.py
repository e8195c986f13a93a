"""specs.encoding: text read as Latin-1, decoded again by the encoding the user chose."""

from __future__ import annotations

import pandas as pd
import pytest

from specs.encoding import (
    DEFAULT,
    STRICT_UTF8,
    Recoded,
    check_encoding,
    decode_columns,
    decode_label,
    warnings_for,
    windows_1252,
)
from specs.errors import InputError


def as_read(*values: bytes) -> pd.Series:
    """A text column as readers take it: each byte one character (Latin-1)."""
    return pd.Series([v.decode("latin-1") for v in values], dtype="str")


@pytest.mark.parametrize(("given", "taken"), [
    ("utf-8", DEFAULT), ("UTF8", DEFAULT),  # the default, by any of its names
    ("strict-utf-8", STRICT_UTF8), ("Strict-UTF-8", STRICT_UTF8),
    ("latin-1", "iso8859-1"), ("windows-1252", "cp1252"), ("cp850", "cp850"), ("ascii", "ascii"),
])
def test_check_encoding_takes_codec_names_python_knows(given, taken):
    assert check_encoding(given) == taken


@pytest.mark.parametrize(("given", "says"), [
    ("klingon", "not an encoding Python knows"),
    ("utf-16", "not an ASCII-compatible"),  # XPT headers and CSV commas are ASCII bytes
    ("cp500", "not an ASCII-compatible"),  # EBCDIC
    ("rot13", "not an ASCII-compatible"),  # a codec, but not bytes → text
])
def test_check_encoding_refuses_what_cannot_read_the_files(given, says):
    with pytest.raises(ValueError, match=says):
        check_encoding(given)


def test_windows_1252_reads_every_byte():
    # 0x92 is the right single quote SAS on Windows writes; 0x81 is undefined in Windows-1252
    # and reads as the C1 control of the same number (WHATWG), so nothing is lost.
    assert windows_1252(b"Alzheimer\x92s \x80 \xe9") == "Alzheimer’s € é"
    assert windows_1252(b"\x81\x8d\x8f\x90\x9d") == "\x81\x8d\x8f\x90\x9d"


def test_ascii_columns_are_returned_untouched():
    frame = pd.DataFrame({"A": pd.Series(["x", None], dtype="str"), "B": [1.0, 2.0]})
    decoded, recoded = decode_columns(frame, ["A"], DEFAULT, "x.xpt")
    assert decoded is frame and recoded == []


def test_default_reads_utf8_and_falls_back_to_windows_1252_per_value():
    values = as_read(b"caf\xc3\xa9", b"Alzheimer\x92s", b"plain", b"Alzheimer\x92s", b"")
    frame = pd.DataFrame({"TSVAL": pd.concat([values, pd.Series([None], dtype="str")], ignore_index=True)})
    decoded, recoded = decode_columns(frame, ["TSVAL"], DEFAULT, "ts.xpt")
    # UTF-8 is read as UTF-8, silently; the Windows-1252 value is named once, at its first row,
    # with the number of rows holding it; a missing value stays missing.
    assert decoded["TSVAL"].tolist()[:5] == ["café", "Alzheimer’s", "plain", "Alzheimer’s", ""]
    assert pd.isna(decoded["TSVAL"].iloc[5])
    assert recoded == [Recoded("ts.xpt", "TSVAL", "Alzheimer’s", 2, 2)]
    assert str(recoded[0]) == ("ts.xpt: TSVAL row 2 is not UTF-8; read as Windows-1252: 'Alzheimer’s' "
                               "(2 rows hold this value)")
    assert decoded["TSVAL"].dtype == "str"


def test_strict_utf8_refuses_naming_file_row_variable_and_bytes():
    frame = pd.DataFrame({"TSVAL": as_read(b"caf\xc3\xa9", b"ok", b"Alzheimer\x92s")})
    with pytest.raises(InputError) as error:
        decode_columns(frame, ["TSVAL"], STRICT_UTF8, "ts.xpt")
    message = str(error.value)
    assert (error.value.file, error.value.row, error.value.column) == ("ts.xpt", 3, "TSVAL")
    assert error.value.value == b"Alzheimer\x92s"
    assert "not valid UTF-8: byte 0x92" in message and "Alzheimer’s" in message
    assert "--encoding" in message


def test_a_codec_reads_every_non_ascii_value_without_warning():
    frame = pd.DataFrame({"AETERM": as_read(b"\xc9ryth\xe8me", b"Rash")})
    decoded, recoded = decode_columns(frame, ["AETERM"], check_encoding("latin-1"), "ae.csv")
    assert decoded["AETERM"].tolist() == ["Érythème", "Rash"] and recoded == []
    # A value the codec cannot decode is refused like a strict one.
    with pytest.raises(InputError, match="row 1, column AETERM: the value is not valid ascii"):
        decode_columns(frame, ["AETERM"], "ascii", "ae.csv")


def test_labels_decode_like_values():
    assert decode_label(None, DEFAULT, "ts.xpt", "TSVAL") == ("", [])
    label, recoded = decode_label("Sponsor\x92s label", DEFAULT, "ts.xpt", "TSVAL")
    assert label == "Sponsor’s label" and str(recoded[0]) == (
        "ts.xpt: the label of TSVAL is not UTF-8; read as Windows-1252: 'Sponsor’s label'")
    with pytest.raises(InputError, match="the dataset label is not valid UTF-8"):
        decode_label("Trial\x92s", STRICT_UTF8, "ts.xpt")


def test_warnings_name_the_first_values_of_a_file_and_count_the_rest():
    recoded = [Recoded("dm.xpt", "SITE", f"Zürich {i}", i + 1, 2) for i in range(12)]
    lines = warnings_for(recoded + [Recoded("ae.xpt", "AETERM", "Érythème", 4)], shown=10)
    assert len(lines) == 12
    assert lines[9].startswith("dm.xpt: SITE row 10 ")
    assert lines[10] == "dm.xpt: 2 more values (4 rows) are not UTF-8; read as Windows-1252"
    assert lines[11].startswith("ae.xpt: AETERM row 4 ")
