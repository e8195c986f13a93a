import io
import math
import struct
from datetime import datetime

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specs import xport
from specs.xport import (
    Numbers,
    Text,
    XportVariable,
    ibm_from_ieee,
    library_header,
    member_header,
    observation_chunks,
    parse_format,
    write_xport,
)

WHEN = datetime(2024, 2, 29, 13, 5, 9)
IBM_MIN = 16.0**-65
IBM_MAX = float(np.nextafter(16.0**63, 0))


def _reference_ibm(value: float) -> int:
    """IBM double of `value` the slow way, one number at a time with frexp (an independent derivation)."""
    if value == 0:
        return 0
    fraction, exponent = math.frexp(abs(value))  # abs(value) = fraction × 2**exponent, 1/2 <= fraction < 1
    while exponent % 4:  # halve until the exponent is a power of 16 (exact: at most three halvings)
        fraction /= 2
        exponent += 1
    digits = int(fraction * 2**56)
    assert fraction * 2**56 == digits, "56 bits hold every double"
    return (0x80 if value < 0 else 0) << 56 | (exponent // 4 + 64) << 56 | digits


def _as_ints(encoded: np.ndarray) -> list[int]:
    return [int(v) for v in encoded.astype(np.uint64)]


def test_known_ibm_doubles():
    # textbook values: 1 = 0.1 (hex) × 16**1; -118.625 = -0.76A (hex) × 16**2; 0.1 repeats in hex too
    values = np.array([1.0, -118.625, 0.1, IBM_MIN, IBM_MAX, -IBM_MAX])
    assert [f"{v:016X}" for v in _as_ints(ibm_from_ieee(values))] == [
        "4110000000000000", "C276A00000000000", "401999999999999A",
        "0010000000000000", "7FFFFFFFFFFFFFF8", "FFFFFFFFFFFFFFF8",
    ]
    assert ibm_from_ieee(values).dtype == np.dtype(">u8")  # big-endian, as the file stores it


doubles_in_range = st.one_of(
    st.floats(min_value=IBM_MIN, max_value=IBM_MAX),
    st.floats(min_value=-IBM_MAX, max_value=-IBM_MIN),
    st.sampled_from([0.0, 2.0**53, -(2.0**53), 2.0**53 - 1, 1 / 3, 1e-70, 7e75]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(doubles_in_range, min_size=1, max_size=50))
def test_vectorised_conversion_matches_the_one_at_a_time_reference(values):
    assert _as_ints(ibm_from_ieee(np.array(values))) == [_reference_ibm(v) for v in values]


def test_zero_negative_zero_and_missing_values():
    # SAS has one zero: -0.0 is written as eight zero bytes; NaN is "." and seven zero bytes
    encoded = ibm_from_ieee(np.array([0.0, -0.0, np.nan, np.nan, np.nan, 5.0]),
                            special=np.array([b"", b"", b"", b"A", b"_", b""]))
    assert [f"{v:016X}" for v in _as_ints(encoded)] == [
        "0000000000000000", "0000000000000000", "2E00000000000000",
        "4100000000000000", "5F00000000000000", "4150000000000000",
    ]


@pytest.mark.parametrize("value", [
    16.0**63,  # the first power of 16 past the IBM range
    np.inf, -np.inf,
    float(np.nextafter(IBM_MIN, 0)),  # just below the smallest normalised IBM double
    5e-324,  # an IEEE subnormal
    -1e-300,
])
def test_numbers_outside_the_ibm_range_are_refused_not_saturated_or_flushed(value):
    with pytest.raises(ValueError, match="outside the IBM floating-point range"):
        ibm_from_ieee(np.array([1.0, value]))


@pytest.mark.parametrize("special", [
    [b"A", b""],  # a letter on a value that is not missing
    [b"", b"a"],  # lower case is not a special missing value
])
def test_wrong_special_missing_values_are_refused(special):
    with pytest.raises(ValueError, match="special missing"):
        ibm_from_ieee(np.array([1.0, np.nan]), special=np.array(special))


def test_library_header_records():
    head = library_header(WHEN)
    assert len(head) == 240
    assert head[:80] == b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!" + b"0" * 30 + b"  "
    assert head[80:160] == b"SAS     SAS     SASLIB  6.06    bsd4.2  " + b" " * 24 + b"29FEB24:13:05:09"
    assert head[160:240] == b"29FEB24:13:05:09".ljust(80)


def test_member_header_and_namestrs():
    variables = [
        XportVariable("USUBJID", "Unique Subject Identifier", "Char", 11),
        XportVariable("AVAL", "Analysis Value", "Num", 8, "8.2"),
        XportVariable("ADT", "Analysis Date", "Num", 8, "DATE9."),
    ]
    head = member_header("ADX", "Some Label", variables, WHEN)
    records = [head[i:i + 80] for i in range(0, len(head), 80)]
    assert len(head) % 80 == 0
    assert records[0].startswith(b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!")
    assert records[0].endswith(b"0000000140  ")  # NAMESTRs of 140 bytes
    assert records[2] == b"SAS     ADX     SASDATA 6.06    bsd4.2  " + b" " * 24 + b"29FEB24:13:05:09"
    assert records[3] == b"29FEB24:13:05:09" + b" " * 16 + b"Some Label".ljust(40) + b" " * 8
    assert records[4][48:58] == b"0000000003"  # the variable count
    assert records[-1].startswith(b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!")
    namestrs = head[400:400 + 3 * 140]
    fields = [struct.unpack(">hhhh8s40s8shhh2s8shhl52s", namestrs[i * 140:(i + 1) * 140]) for i in range(3)]
    # type, length, number, name, label, format name/width/decimals, justification, position
    assert [(f[0], f[2], f[3], f[4].strip(), f[5].strip(), f[6].strip(), f[7], f[8], f[9], f[14])
            for f in fields] == [
        (2, 11, 1, b"USUBJID", b"Unique Subject Identifier", b"", 0, 0, 0, 0),
        (1, 8, 2, b"AVAL", b"Analysis Value", b"", 8, 2, 1, 11),
        (1, 8, 3, b"ADT", b"Analysis Date", b"DATE", 9, 0, 1, 19),
    ]
    # the NAMESTRs (420 bytes) end in blanks up to the next whole record (480)
    assert head[400 + 420:400 + 480] == b" " * 60


@pytest.mark.parametrize(("fmt", "fields"), [
    ("DATE9.", ("DATE", 9, 0)),
    ("DATETIME20.", ("DATETIME", 20, 0)),
    ("TIME8.", ("TIME", 8, 0)),
    ("8.2", ("", 8, 2)),
    ("E8601DA10.", ("E8601DA", 10, 0)),  # digits inside the name, width after
    ("E8601DT.", ("E8601DT", 0, 0)),  # no width
    ("$20.", ("$", 20, 0)),
    ("$CHAR20.", ("$CHAR", 20, 0)),
])
def test_formats_split_into_namestr_fields(fmt, fields):
    assert parse_format(fmt) == fields


@pytest.mark.parametrize("fmt", ["TOOLONGNAME9.", "DATE9.x", "9A.", ""])
def test_formats_xpt_cannot_store_are_refused(fmt):
    with pytest.raises(ValueError, match="not a SAS format"):
        parse_format(fmt)


def test_observations_blank_padded_and_the_file_padded_to_whole_records():
    variables = [XportVariable("C", "", "Char", 5), XportVariable("N", "", "Num", 8)]
    columns = [Text.from_bytes([b"ab", b"", b"abcde"]), Numbers(np.array([1.0, np.nan, -0.0]))]
    block = b"".join(bytes(c) for c in observation_chunks(variables, columns))
    assert block == (
        b"ab   " + bytes.fromhex("4110000000000000")
        + b"     " + bytes.fromhex("2E00000000000000")
        + b"abcde" + bytes(8)
    ).ljust(80)


def test_chunks_split_rows_only_and_pad_once_at_the_end():
    # 7 rows of 13 bytes in chunks of 2 rows: the same bytes as one block
    rng = np.random.default_rng(1)
    variables = [XportVariable("C", "", "Char", 5), XportVariable("N", "", "Num", 8)]
    words = [bytes(rng.choice(list(b"abcxyz"), size=rng.integers(0, 6)).astype(np.uint8)) for _ in range(7)]
    columns = [Text.from_bytes(words), Numbers(rng.standard_normal(7))]
    whole = [bytes(c) for c in observation_chunks(variables, columns)]
    pieces = [bytes(c) for c in observation_chunks(variables, columns, chunk_bytes=26)]
    assert len(whole) == 1 and [len(p) for p in pieces] == [26, 26, 26, 13 + 69]
    assert b"".join(pieces) == whole[0] and len(whole[0]) == 160


def test_no_rows_no_observation_bytes():
    variables = [XportVariable("C", "", "Char", 5)]
    assert list(observation_chunks(variables, [Text.from_bytes([])])) == []


@pytest.mark.parametrize(("variable", "column", "message"), [
    (XportVariable("C", "", "Char", 3), Text.from_bytes([b"abcd"]), "over the length"),
    (XportVariable("C", "", "Char", 201), Text.from_bytes([b"a"]), "length from 1 to 200"),
    (XportVariable("N", "", "Num", 4), Numbers(np.array([1.0])), "length 8"),
    (XportVariable("N", "", "Num", 8), Text.from_bytes([b"1"]), "takes Numbers"),
    (XportVariable("X", "", "Date", 8), Numbers(np.array([1.0])), "Char or Num"),
])
def test_columns_that_do_not_fit_their_variable_are_refused(variable, column, message):
    with pytest.raises(ValueError, match=message):
        list(observation_chunks([variable], [column]))


@pytest.mark.parametrize(("name", "label"), [("TOOLONGNAME", "label"), ("A", "x" * 41), ("A", "fi\u00e8vre")])
def test_names_and_labels_the_headers_cannot_hold_are_refused(name, label):
    with pytest.raises(ValueError):
        member_header("DS", "", [XportVariable(name, label, "Num", 8)], WHEN)


def test_more_variables_than_the_count_field_holds_are_refused():
    with pytest.raises(ValueError, match="at most 9999"):
        member_header("DS", "", [XportVariable(f"V{i}", "", "Num", 8) for i in range(10_000)], WHEN)


def test_special_missing_values_read_back_as_missing_through_pyreadstat_and_pandas(tmp_path):
    # neither reader reports the letter (pyreadstat's read_xport has no user_missing option), but
    # both take exactly ".", "A"-"Z", "_" followed by zeros for missing: a wrong byte would read as a number
    values = np.array([1.5, np.nan, np.nan, np.nan, np.nan, -2.0])
    special = np.array([b"", b"", b"A", b"Z", b"_", b""])
    variables = [XportVariable("SUBJ", "Subject", "Char", 100), XportVariable("AVAL", "Value", "Num", 8)]
    columns = [Text.from_bytes([b"S%d" % i for i in range(6)]), Numbers(values, special)]
    path = tmp_path / "special.xpt"
    with open(path, "wb") as handle:
        write_xport(handle, "SPECIAL", "Special missing", variables, columns, WHEN)
    assert path.read_bytes().count(bytes.fromhex("5A00000000000000")) == 1  # .Z is in the file
    by_readstat = pyreadstat.read_xport(str(path))[0]
    by_pandas = pd.read_sas(path, format="xport", encoding="ascii")
    np.testing.assert_array_equal(by_readstat["AVAL"].to_numpy(), values)
    np.testing.assert_array_equal(by_pandas["AVAL"].to_numpy(), values)
    assert by_readstat["SUBJ"].tolist() == by_pandas["SUBJ"].tolist() == [f"S{i}" for i in range(6)]


def test_write_xport_writes_headers_then_observations():
    variables = [XportVariable("N", "", "Num", 8)]
    handle = io.BytesIO()
    write_xport(handle, "DS", "", variables, [Numbers(np.array([1.0, 2.0]))], WHEN)
    data = handle.getvalue()
    assert data.startswith(library_header(WHEN) + member_header("DS", "", variables, WHEN))
    assert data.endswith(bytes.fromhex("4110000000000000 4120000000000000") + b" " * 64)
    assert len(data) % xport.RECORD == 0
