import os
import struct
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specs import xpt
from specs.dataset import IBM_MIN, XPT_NUM_MAX, DatasetError, build_timestamp, conform
from specs.model import DatasetSpec, Variable
from specs.xpt import write_dataset, write_xpt

LARGEST = float(np.nextafter(XPT_NUM_MAX, 0))


def _spec(*variables, name="ADEDGE", label="Edge Cases", keys=("USUBJID", "ASEQ")):
    numbered = tuple(
        Variable(v[0], v[1], v[2], order, **(v[3] if len(v) > 3 else {}))
        for order, v in enumerate(variables, 1)
    )
    return DatasetSpec(name, label, "adam", "OCCDS", "One record per case", keys, numbered)


EDGE = _spec(
    ("USUBJID", "Unique Subject Identifier", "Char"),
    ("ASEQ", "Analysis Sequence Number", "Num"),
    ("AVAL", "Analysis Value", "Num", {"format": "8.2"}),
    ("AVALC", "Analysis Value (C)", "Char", {"length": 20}),
    ("ATERM", "Term of exactly forty characters, ok....", "Char"),
    ("AEMPTYC", "All-missing character", "Char"),
    ("AEMPTYN", "All-missing number", "Num"),
    ("ADT", "Analysis Date", "Num", {"format": "DATE9."}),
    ("ADTM", "Analysis Datetime", "Num", {"format": "DATETIME20."}),
    ("ATM", "Analysis Time", "Num", {"format": "TIME8."}),
)


def _edge_frame():
    # one row per edge case; the comment names it
    rows = [
        # zero; a 200-byte value; the last day before the SAS epoch
        ("S-01", 1, 0.0, "zero", "x" * 200, date(1959, 12, 31), datetime(1959, 12, 31, 23, 59, 59)),
        ("S-01", 2, -1.5, "negative", "", date(1900, 1, 1), datetime(1900, 1, 1, 0, 0, 1)),  # before 1960
        ("S-02", 1, 2.0**53, "integer as float", "a", date(1960, 1, 1), datetime(1960, 1, 1)),  # epoch
        ("S-02", 2, LARGEST, "largest storable", "b", date(2024, 2, 29), datetime(2024, 2, 29, 12, 0, 0)),
        ("S-03", 1, -LARGEST, "most negative", "c", None, None),  # missing dates
        ("S-03", 2, IBM_MIN, "tiniest storable", "d", date(2100, 12, 31), datetime(2100, 12, 31, 23, 59, 59)),
        ("S-03", 3, -1e-78, "tiny negative", "e", date(1800, 3, 1), datetime(1800, 3, 1, 0, 0, 0)),
        ("S-04", 1, 1 / 3, "repeating fraction", "f", date(2000, 1, 1), datetime(2000, 1, 1, 0, 0, 0, 5000)),
        ("S-04", 2, np.nan, "", "g", date(1999, 12, 31), datetime(1999, 12, 31, 10, 30)),  # missing value
    ]
    frame = pd.DataFrame(rows, columns=["USUBJID", "ASEQ", "AVAL", "AVALC", "ATERM", "ADT", "ADTM"])
    return frame.assign(
        ADT=pd.to_datetime(frame["ADT"]),
        ADTM=pd.to_datetime(frame["ADTM"]),
        ATM=pd.to_timedelta(["00:00:00", "23:59:59", "12:00:00", None, "00:00:01", "01:02:03", "10:00:00",
                             "09:30:00", "18:45:00"]),
        AEMPTYC=None,
        AEMPTYN=np.nan,
        _ROW=range(1, 10),
    ).sample(frac=1, random_state=3)  # shuffled: the writer sorts


def _read_both(path):
    """The file as pyreadstat and as pandas read it: (frame, meta) and (frame, fields, member)."""
    frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    with pd.read_sas(path, format="xport", encoding="ascii", iterator=True) as reader:
        fields, member = reader.fields, reader.member_info
        other = reader.read() if reader.nobs else pd.DataFrame(columns=[f["name"].decode() for f in fields])
    return (frame, meta), (other, fields, member)


def _pandas_zeros(frame):
    """pandas reads an IBM zero as 16**-65 (pandas-dev/pandas#50670, open): map it back to 0."""
    return frame.replace(IBM_MIN, 0.0).replace(-IBM_MIN, 0.0)


def _assert_values(expected, actual):
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected)
    for column in expected.columns:
        if expected[column].dtype == "float64":
            np.testing.assert_array_equal(actual[column].to_numpy("float64"), expected[column].to_numpy())
        else:
            assert actual[column].fillna("").tolist() == expected[column].tolist(), column


def _assert_metadata(spec, conformed, pyreadstat_meta, pandas_fields, pandas_member):
    labels = {v.name: v.label for v in spec.variables}
    formats = {v.name: v.format for v in spec.variables if v.format}
    lengths = conformed.attrs["lengths"]
    assert pyreadstat_meta.table_name == spec.name == pandas_member["set_name"]
    assert pyreadstat_meta.file_label == spec.label == pandas_member["label"]
    assert dict(zip(pyreadstat_meta.column_names, pyreadstat_meta.column_labels, strict=True)) == labels
    assert dict(pyreadstat_meta.variable_storage_width) == lengths
    read_formats = pyreadstat_meta.original_variable_types
    assert {n: f if "." in f else f + "." for n, f in read_formats.items() if f} == formats
    for field in pandas_fields:
        name = field["name"].decode()
        assert field["label"].decode() == labels[name]
        assert field["field_length"] == lengths[name]
        written = f"{field['nform'].decode()}{field['nfl'] or ''}."
        written += str(field["num_decimals"]) if field["num_decimals"] else ""
        assert written == (formats.get(name) or ".")


def test_edge_cases_round_trip_through_pyreadstat_and_pandas(tmp_path):
    frame = _edge_frame()
    path = write_xpt(frame, EDGE, tmp_path / "adedge.xpt")
    conformed = conform(frame, EDGE)
    (by_readstat, meta), (by_pandas, fields, member) = _read_both(path)
    _assert_values(conformed, by_readstat)
    _assert_values(_pandas_zeros(conformed), _pandas_zeros(by_pandas))
    _assert_metadata(EDGE, conformed, meta, fields, member)
    # dates went in as days and seconds, not pyreadstat's seconds-for-dates
    assert by_readstat["ADT"].tolist()[:2] == [-1.0, float((date(1900, 1, 1) - date(1960, 1, 1)).days)]
    assert meta.variable_storage_width["AVALC"] == 20  # fixed spec length honoured, longest value is 18
    assert by_readstat["AVALC"].tolist()[0] == "zero"  # the blank padding is not data


def test_written_file_is_version_5_named_by_the_dataset(tmp_path):
    path = write_xpt(_edge_frame(), EDGE, tmp_path / "adedge.xpt")
    head = path.read_bytes()[:80]
    assert head.startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD")  # v8 says LIBV8
    assert pyreadstat.read_xport(str(path), metadataonly=True)[1].table_name == "ADEDGE"


def test_empty_dataset_round_trips(tmp_path):
    # no rows: variables, labels, formats and the spec's fixed lengths are still written
    frame = _edge_frame().iloc[0:0]
    path = write_xpt(frame, EDGE, tmp_path / "adedge.xpt")
    conformed = conform(frame, EDGE)
    (by_readstat, meta), (by_pandas, fields, member) = _read_both(path)
    assert len(by_readstat) == 0 and list(by_readstat.columns) == list(EDGE.variable_names())
    assert [f["name"].decode() for f in fields] == list(EDGE.variable_names())
    _assert_metadata(EDGE, conformed, meta, fields, member)
    assert meta.variable_storage_width["AVALC"] == 20  # pyreadstat wrote 1: it had no value to pad
    assert meta.variable_storage_width["USUBJID"] == 1  # no spec length, no value: 1, the least


def _corpus():
    """(case, spec, frame): the edge cases every written file must survive, one per entry."""
    key = ("USUBJID", "Subject", "Char")
    extreme = [LARGEST, -LARGEST, IBM_MIN, -IBM_MIN, float(np.nextafter(IBM_MIN, 1)), 2.0**53, -(2.0**53),
               2.0**53 - 1, 1 / 3, 0.1, -1e-70, 9e74, 123456789.125, -0.0, 0.0]
    many = _spec(key, *[(f"V{i:04d}", f"Variable {i}", "Num") for i in range(1, 1201)], keys=())
    return [
        ("edge cases", EDGE, _edge_frame()),
        ("empty", EDGE, _edge_frame().iloc[0:0]),
        # every value missing in both types; the key keeps the rows apart from padding
        ("all missing", _spec(key, ("AVAL", "Value", "Num"), ("ATERM", "Term", "Char"), keys=()),
         pd.DataFrame({"USUBJID": ["A", "B"], "AVAL": [np.nan, np.nan], "ATERM": [None, ""]})),
        # 200 bytes in every row, with blanks and punctuation inside, a leading blank
        ("200-byte values", _spec(key, ("ATERM", "Term", "Char"), keys=()),
         pd.DataFrame({"USUBJID": ["A", "B", "C"],
                       "ATERM": ["x" * 200, ("ab, c; " * 40)[:199] + "z", " " + "q" * 199]})),
        # IBM range ends, integers up to 2**53, repeating fractions, negative zero
        ("extreme numbers", _spec(key, ("AVAL", "Value", "Num"), keys=()),
         pd.DataFrame({"USUBJID": [f"S{i:02d}" for i in range(len(extreme))], "AVAL": extreme})),
        # one row of 12 bytes: pandas finds the row count from the blanks of the only record
        ("single short row", _spec(key, ("AVAL", "Value", "Num", {"format": "8.1"}), keys=()),
         pd.DataFrame({"USUBJID": ["S-01"], "AVAL": [1.5]})),
        # 1,201 NAMESTRs, 168,140 bytes of them
        ("many variables", many,
         pd.DataFrame({"USUBJID": ["A", "B"], **{f"V{i:04d}": [float(i), -i / 7] for i in range(1, 1201)}})),
    ]


@pytest.mark.parametrize(("case", "spec", "frame"), _corpus(), ids=[c[0] for c in _corpus()])
def test_corpus_reads_back_identically_through_pyreadstat_and_pandas(tmp_path, case, spec, frame):
    path = write_xpt(frame, spec, tmp_path / "x.xpt")
    conformed = conform(frame, spec)
    (by_readstat, meta), (by_pandas, fields, member) = _read_both(path)
    _assert_values(conformed, by_readstat)
    _assert_values(_pandas_zeros(conformed), _pandas_zeros(by_pandas))
    _assert_metadata(spec, conformed, meta, fields, member)


def test_negative_zero_is_written_as_the_one_sas_zero(tmp_path):
    spec = _spec(("USUBJID", "Subject", "Char"), ("AVAL", "Value", "Num"), keys=())
    path = write_xpt(pd.DataFrame({"USUBJID": ["A"], "AVAL": [-0.0]}), spec, tmp_path / "x.xpt")
    assert not np.signbit(pyreadstat.read_xport(str(path))[0]["AVAL"]).any()


def _pyreadstat_bytes(frame, spec, path):
    """The file the earlier writer made: pyreadstat.write_xport on the conformed frame, each short
    character variable's first value blank-padded to the spec length, its clock stamps replaced."""
    conformed = conform(frame, spec)
    texts = {}
    for variable in spec.variables:
        if variable.type == "Char" and variable.name in conformed:
            values = conformed[variable.name].astype(object)
            if len(values) and variable.length:
                values.iat[0] = values.iat[0].ljust(variable.length)
            texts[variable.name] = values
    pyreadstat.write_xport(
        conformed.assign(**texts), str(path), file_label=spec.label, table_name=spec.name,
        column_labels={v.name: v.label for v in spec.variables}, file_format_version=5,
        variable_format={v.name: v.format for v in spec.variables if v.format},
    )
    data = bytearray(path.read_bytes())
    stamp = f"{build_timestamp():%d%b%y:%H:%M:%S}".upper().encode("ascii")
    for offset in (144, 160, 464, 480):  # created/modified of library and member (SAS TS-140)
        data[offset:offset + 16] = stamp
    return bytes(data)


@pytest.mark.parametrize("case", ["edge cases", "all missing", "200-byte values", "extreme numbers",
                                  "single short row", "many variables"])
def test_same_bytes_as_pyreadstat(tmp_path, case):
    _, spec, frame = next(c for c in _corpus() if c[0] == case)
    ours = write_xpt(frame, spec, tmp_path / "ours.xpt").read_bytes()
    assert ours == _pyreadstat_bytes(frame, spec, tmp_path / "theirs.xpt")


def test_empty_dataset_differs_from_pyreadstat_only_in_the_fixed_lengths(tmp_path):
    # pyreadstat has no value to pad to the spec length and writes length 1; every other byte agrees
    frame = _edge_frame().iloc[0:0]
    ours = write_xpt(frame, EDGE, tmp_path / "ours.xpt").read_bytes()
    theirs = _pyreadstat_bytes(frame, EDGE, tmp_path / "theirs.xpt")
    assert len(ours) == len(theirs)
    namestr = struct.Struct(">hhhh8s40s8shhh2s8shhl52s")
    start = 8 * 80
    for number, variable in enumerate(EDGE.variables):
        offset = start + number * namestr.size
        mine, other = (namestr.unpack_from(b, offset) for b in (ours, theirs))
        # nlng (2) and npos (14) move; the rest of the NAMESTR is the same
        assert mine[:2] + mine[3:14] + mine[15:] == other[:2] + other[3:14] + other[15:]
        assert mine[2] == (20 if variable.name == "AVALC" else other[2])
    body = slice(start + len(EDGE.variables) * namestr.size, None)
    assert ours[:start] == theirs[:start] and ours[body] == theirs[body]


finite_storable = st.one_of(
    st.just(0.0),
    st.floats(min_value=IBM_MIN, max_value=LARGEST),
    st.floats(min_value=-LARGEST, max_value=-IBM_MIN),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(finite_storable, min_size=1, max_size=40))
def test_every_storable_double_round_trips_exactly(values):
    # IBM doubles hold 56 mantissa bits: every IEEE double in range must come back unchanged
    # USUBJID at length 80 makes records longer than 80 bytes: for shorter ones pandas guesses the
    # row count from trailing blanks and miscounts when a number's last byte is 0x20
    spec = _spec(("USUBJID", "Subject", "Char", {"length": 80}), ("AVAL", "Value", "Num"), keys=())
    frame = pd.DataFrame({"USUBJID": ["S"] * len(values), "AVAL": values})
    with tempfile.TemporaryDirectory() as folder:
        path = write_xpt(frame, spec, Path(folder) / "x.xpt")
        back = pyreadstat.read_xport(str(path))[0]["AVAL"].to_numpy()
        other = pd.read_sas(path, format="xport", encoding="ascii")["AVAL"].to_numpy()
    np.testing.assert_array_equal(back, np.array(values))
    expected = np.array(values)
    np.testing.assert_array_equal(
        np.where(other == IBM_MIN, 0.0, other), np.where(expected == IBM_MIN, 0.0, expected),
    )


def test_two_writes_are_byte_identical(tmp_path, monkeypatch):
    # a second apart: readstat's own clock stamp would differ, the fixed stamp does not
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = write_xpt(_edge_frame(), EDGE, tmp_path / "a.xpt").read_bytes()
    time.sleep(1.1)
    second = write_xpt(_edge_frame(), EDGE, tmp_path / "b.xpt").read_bytes()
    assert first == second
    with pd.read_sas(tmp_path / "a.xpt", format="xport", encoding="ascii", iterator=True) as reader:
        assert reader.member_info["created"] == datetime(1980, 1, 1)
        assert reader.member_info["modified"] == datetime(1980, 1, 1)


def test_source_date_epoch_sets_the_header_stamps(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    path = write_xpt(_edge_frame(), EDGE, tmp_path / "a.xpt")
    with pd.read_sas(path, format="xport", encoding="ascii", iterator=True) as reader:
        assert reader.member_info["created"] == datetime(2023, 11, 14, 22, 13, 20)
    assert path.read_bytes().count(b"14NOV23:22:13:20") == 4


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"ATERM": "x" * 201}, "ATERM"),  # over the v5 limit of 200 bytes
        ({"ATERM": "fi\u00e8vre"}, "ATERM"),  # XPT v5 text is ASCII
        ({"AVAL": 1e300}, "AVAL"),  # past the IBM range
    ],
)
def test_values_xpt_cannot_hold_are_refused_before_writing(tmp_path, change, column):
    frame = _edge_frame()
    first = frame.index[0]
    for name, value in change.items():
        frame[name] = frame[name].astype(object)
        frame.loc[first, name] = value
    with pytest.raises(DatasetError) as error:
        write_xpt(frame, EDGE, tmp_path / "adedge.xpt")
    assert [p.column for p in error.value.problems] == [column]
    assert "USUBJID" in str(error.value)
    assert os.listdir(tmp_path) == []  # nothing written, no temporary file left


def test_long_label_is_refused_not_cut(tmp_path):
    spec = _spec(("USUBJID", "A label of forty-one characters, too long", "Char"), keys=())
    with pytest.raises(DatasetError, match="41 characters"):
        write_xpt(pd.DataFrame({"USUBJID": ["S"]}), spec, tmp_path / "x.xpt")
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = write_xpt(_edge_frame(), EDGE, tmp_path / "adedge.xpt")
    before = target.read_bytes()

    def broken_writer(handle, *args):
        handle.write(b"HEADER RECORD partial")
        raise OSError("disk full")

    monkeypatch.setattr(xpt, "write_xport", broken_writer)
    with pytest.raises(OSError, match="disk full"):
        write_xpt(_edge_frame(), EDGE, target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["adedge.xpt"]


def test_written_file_gets_ordinary_permissions(tmp_path):
    # the temporary file must not carry mkstemp's 0600 into the result
    target = write_xpt(_edge_frame(), EDGE, tmp_path / "adedge.xpt")
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert target.stat().st_mode == plain.stat().st_mode


def test_write_dataset_writes_all_formats_or_none(tmp_path, monkeypatch):
    path = write_dataset(_edge_frame(), EDGE, tmp_path / "adam", formats=("xpt", "json"))
    assert path == tmp_path / "adam" / "adedge.xpt"
    assert sorted(os.listdir(tmp_path / "adam")) == ["adedge.json", "adedge.xpt"]

    def broken_json(*args):
        raise RuntimeError("json failed")

    monkeypatch.setattr(xpt, "dataset_json_bytes", broken_json)
    with pytest.raises(RuntimeError):
        write_dataset(_edge_frame(), EDGE, tmp_path / "other", formats=("xpt", "json"))
    assert os.listdir(tmp_path / "other") == []


def test_write_dataset_checks_xpt_limits_only_for_xpt(tmp_path):
    # Dataset-JSON is UTF-8: non-ASCII text is fine there, refused for XPT
    spec = _spec(("USUBJID", "Subject", "Char"), ("ATERM", "Term", "Char"), keys=())
    frame = pd.DataFrame({"USUBJID": ["S"], "ATERM": ["fi\u00e8vre"]})
    assert write_dataset(frame, spec, tmp_path, formats=("json",)).name == "adedge.json"
    with pytest.raises(DatasetError):
        write_dataset(frame, spec, tmp_path, formats=("xpt", "json"))
    with pytest.raises(ValueError):
        write_dataset(frame, spec, tmp_path, formats=("sas7bdat",))


def test_blank_rows_of_an_all_character_dataset_are_refused(tmp_path):
    # pyreadstat reads ["A", "", ""] back as one row: the blank rows look like end-of-file padding
    spec = _spec(("USUBJID", "Subject", "Char"), ("AETERM", "Term", "Char"), keys=())
    frame = pd.DataFrame({"USUBJID": ["A", "", "B"], "AETERM": ["x", None, ""]})
    with pytest.raises(DatasetError) as error:
        write_xpt(frame, spec, tmp_path / "x.xpt")
    assert [p.row for p in error.value.problems] == [2]
    # with a numeric variable a missing number (0x2E...) keeps the row visible
    numeric = _spec(("USUBJID", "Subject", "Char"), ("AVAL", "Value", "Num"), keys=())
    path = write_xpt(pd.DataFrame({"USUBJID": ["A", ""], "AVAL": [1.0, None]}), numeric, tmp_path / "y.xpt")
    assert len(pyreadstat.read_xport(str(path))[0]) == 2


def test_text_column_of_several_arrow_chunks():
    # Large frames (e.g. 10,000 subjects) reach the writer with Arrow columns of several chunks.
    import pyarrow as pa

    from specs.model import DatasetSpec, Variable
    from specs.xpt import xport_columns

    chunked = pa.chunked_array([["a", "bb"], [None, "dddd"]], type=pa.large_string())
    frame = pd.DataFrame({"X": pd.Series(pd.arrays.ArrowExtensionArray(chunked))})
    frame.attrs["lengths"] = {"X": 4}
    spec = DatasetSpec(name="T", label="T", kind="sdtm", dataset_class="", structure="", keys=(),
                       variables=(Variable(name="X", label="X", type="Char", order=1),))
    _, (text,) = xport_columns(frame, spec)
    assert bytes(text.data) == b"abbdddd" and text.offsets.tolist() == [0, 1, 3, 3, 7]
