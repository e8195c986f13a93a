import json
import re
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from specs.dataset import conform
from specs.datasetjson import JsonMeta, dataset_json_bytes, parse_dataset_json
from specs.errors import InputError
from specs.model import DatasetSpec, Variable

# Attribute order and usage from the Dataset-JSON v1.1 specification (CDISC, 2024-12-05).
TOP_LEVEL = (
    "datasetJSONCreationDateTime", "datasetJSONVersion", "fileOID", "dbLastModifiedDateTime", "originator",
    "sourceSystem", "studyOID", "metaDataVersionOID", "metaDataRef", "itemGroupOID", "records", "name",
    "label", "columns", "rows",
)
REQUIRED = {"datasetJSONCreationDateTime", "datasetJSONVersion", "itemGroupOID", "records", "name", "label",
            "columns"}
COLUMN = ("itemOID", "name", "label", "dataType", "targetDataType", "length", "displayFormat", "keySequence")
DATA_TYPES = {"string", "integer", "decimal", "float", "double", "boolean", "datetime", "date", "time", "URI"}
DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?((\+|-)\d\d:\d\d|Z)?")

ADSL = DatasetSpec(
    "ADSL", "Subject-Level Analysis Dataset", "adam", "SUBJECT LEVEL ANALYSIS DATASET",
    "One record per subject", ("STUDYID", "USUBJID"),
    (
        Variable("STUDYID", "Study Identifier", "Char", 1),
        Variable("USUBJID", "Unique Subject Identifier", "Char", 2),
        Variable("AGE", "Age", "Num", 3),
        Variable("WEIGHTBL", "Baseline Weight (kg)", "Num", 4, format="8.1"),
        Variable("TRTSDT", "Date of First Exposure to Treatment", "Num", 5, format="DATE9."),
        Variable("TRTSDTM", "Datetime of First Exposure to Treatment", "Num", 6, format="DATETIME20."),
        Variable("TRTSTM", "Time of First Exposure to Treatment", "Num", 7, format="TIME8."),
        Variable("SAFFL", "Safety Population Flag", "Char", 8),
    ),
)


def _adsl():
    return pd.DataFrame({
        "STUDYID": ["CART-CX-201"] * 3,
        "USUBJID": ["CART-CX-201-003", "CART-CX-201-001", "CART-CX-201-002"],
        "AGE": [61, 47, np.nan],  # integers and a missing number
        "WEIGHTBL": [70.25, -0.5, 1e-7],
        "TRTSDT": pd.to_datetime([date(2024, 3, 1), date(1955, 6, 30), None]),  # before 1960, missing
        "TRTSDTM": pd.to_datetime([datetime(2024, 3, 1, 9, 30), datetime(1955, 6, 30, 23, 59, 59), None]),
        "TRTSTM": pd.to_timedelta(["09:30:00", "23:59:59", None]),
        "SAFFL": ["Y", "Y", None],  # missing text
    })


def _document(frame=None, meta=None):
    conformed = conform(_adsl() if frame is None else frame, ADSL)
    return json.loads(dataset_json_bytes(conformed, ADSL, meta or JsonMeta())), conformed


def test_document_follows_the_specification_attribute_by_attribute(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    meta = JsonMeta(
        originator="Sponsor Oncology", metadata_version_oid="MDV.CART-CX-201", metadata_ref="define.xml",
        source_system=("clinforge", "0.1.0"),
    )
    document, _ = _document(meta=meta)
    assert tuple(document) == TOP_LEVEL  # every attribute, in the specified order
    assert set(document) >= REQUIRED
    assert document["datasetJSONVersion"] == "1.1.0"
    assert DATETIME.fullmatch(document["datasetJSONCreationDateTime"])
    assert document["dbLastModifiedDateTime"] <= document["datasetJSONCreationDateTime"]
    assert document["sourceSystem"] == {"name": "clinforge", "version": "0.1.0"}
    assert document["studyOID"] == "CART-CX-201"  # from STUDYID
    assert document["fileOID"] == "CART-CX-201.ADAM.ADSL"
    assert document["itemGroupOID"] == "IG.ADSL"
    assert (document["name"], document["label"]) == ("ADSL", "Subject-Level Analysis Dataset")
    assert document["records"] == len(document["rows"]) == 3
    for column in document["columns"]:
        assert tuple(k for k in COLUMN if k in column) == tuple(column)  # column attributes in order
        assert column["dataType"] in DATA_TYPES
        assert column.get("length", 1) >= 1 and column.get("keySequence", 1) >= 1


def test_columns_types_lengths_formats_and_keys():
    document, _ = _document()
    columns = {c["name"]: c for c in document["columns"]}
    assert [c["name"] for c in document["columns"]] == list(ADSL.variable_names())
    assert columns["USUBJID"] == {
        "itemOID": "IT.ADSL.USUBJID", "name": "USUBJID", "label": "Unique Subject Identifier",
        "dataType": "string", "length": 15, "keySequence": 2,
    }
    assert columns["STUDYID"]["keySequence"] == 1
    assert columns["AGE"]["dataType"] == "double" and "length" not in columns["AGE"]
    assert columns["WEIGHTBL"]["displayFormat"] == "8.1"
    # ADaM numeric dates: ISO 8601 text in JSON, integer SAS numbers in the receiving system
    types = {n: (c["dataType"], c.get("targetDataType")) for n, c in columns.items()}
    assert types["TRTSDT"] == ("date", "integer")
    assert types["TRTSDTM"] == ("datetime", "integer")
    assert types["TRTSTM"] == ("time", "integer")
    assert columns["SAFFL"]["length"] == 1


def test_rows_hold_iso_dates_null_numbers_and_blank_text():
    document, _ = _document()
    # sorted by STUDYID, USUBJID: subject 001 first
    assert document["rows"][0] == [
        "CART-CX-201", "CART-CX-201-001", 47.0, -0.5, "1955-06-30", "1955-06-30T23:59:59", "23:59:59", "Y",
    ]
    assert document["rows"][1][2:] == [None, 1e-7, None, None, None, ""]
    assert document["rows"][2][4:7] == ["2024-03-01", "2024-03-01T09:30:00", "09:30:00"]


def test_source_date_epoch_sets_both_timestamps(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    document, _ = _document()
    assert document["datasetJSONCreationDateTime"] == "2023-11-14T22:13:20+00:00"
    assert document["dbLastModifiedDateTime"] == "2023-11-14T22:13:20+00:00"


def test_optional_attributes_without_value_are_left_out():
    # no STUDYID value to take the studyOID from, nothing else given
    document, _ = _document(_adsl().assign(STUDYID=""))
    left_out = {"originator", "sourceSystem", "studyOID", "metaDataVersionOID", "metaDataRef"}
    assert left_out.isdisjoint(document)
    assert document["fileOID"] == "ADAM.ADSL"


def test_output_is_deterministic_and_one_row_per_line():
    conformed = conform(_adsl(), ADSL)
    first = dataset_json_bytes(conformed, ADSL, JsonMeta())
    assert first == dataset_json_bytes(conform(_adsl().iloc[::-1], ADSL), ADSL, JsonMeta())
    lines = first.decode().splitlines()
    assert len(lines) == 1 + 3 + 1  # header, three rows, closing


def test_round_trip_gives_the_frame_back():
    document, conformed = _document()
    frame = parse_dataset_json(json.dumps(document).encode(), "adsl.json")
    original = _adsl().sort_values("USUBJID").reset_index(drop=True)
    pd.testing.assert_series_equal(frame["TRTSDT"], original["TRTSDT"].astype("datetime64[ns]"))
    pd.testing.assert_series_equal(frame["TRTSDTM"], original["TRTSDTM"].astype("datetime64[ns]"))
    pd.testing.assert_series_equal(frame["TRTSTM"], original["TRTSTM"].astype("timedelta64[ns]"))
    np.testing.assert_array_equal(frame["AGE"].to_numpy(), conformed["AGE"].to_numpy())
    np.testing.assert_array_equal(frame["WEIGHTBL"].to_numpy(), conformed["WEIGHTBL"].to_numpy())
    assert frame["SAFFL"].tolist() == ["Y", "", "Y"]
    assert frame.attrs["labels"]["TRTSDT"] == "Date of First Exposure to Treatment"
    assert frame.attrs["formats"] == {"WEIGHTBL": "8.1", "TRTSDT": "DATE9.", "TRTSDTM": "DATETIME20.",
                                      "TRTSTM": "TIME8."}
    assert frame.attrs["lengths"]["USUBJID"] == 15


def test_empty_dataset_has_zero_records_and_its_columns():
    document, _ = _document(_adsl().iloc[0:0])
    assert document["records"] == 0 and document["rows"] == []
    frame = parse_dataset_json(json.dumps(document).encode(), "adsl.json")
    assert list(frame.columns) == list(ADSL.variable_names()) and len(frame) == 0


def test_null_text_reads_as_blank():
    # the specification writes missing as null: treated like "" on reading
    document, _ = _document()
    document["rows"][0][7] = None
    assert parse_dataset_json(json.dumps(document).encode(), "x.json")["SAFFL"].tolist()[0] == ""


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: "{not json", "not valid JSON"),
        (lambda d: json.dumps(d | {"datasetJSONVersion": "1.0.0"}), "not a Dataset-JSON 1.1"),
        (lambda d: json.dumps(d | {"records": 4}), "records says 4"),
        (lambda d: json.dumps(d | {"rows": d["rows"][:2] + [d["rows"][2][:-1]]}), "row 3"),
        (lambda d: json.dumps(d | {"rows": [["a", "b", "x", *r[3:]] for r in d["rows"]]}), "column AGE"),
        (lambda d: json.dumps({k: v for k, v in d.items() if k != "columns"}), "columns"),
    ],
)
def test_damaged_files_name_the_problem(damage, message):
    document, _ = _document()
    with pytest.raises(InputError, match=message) as error:
        parse_dataset_json(damage(document).encode(), "adsl.json")
    assert "adsl.json" in str(error.value)
