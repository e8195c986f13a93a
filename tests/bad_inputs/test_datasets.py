"""`clinforge adam --sdtm FOLDER` on damaged copies of good SDTM (whoever wrote it): refused with the
file named, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from specs.readers import AGAIN, read_dataset
from tests.bad_inputs.cli import assert_refused, both, copy_tree, invoke, remove, write_bytes


def cut(name: str, keep: int):
    """Keep the first `keep` bytes (negative: drop that many from the end)."""
    return write_bytes(name, lambda data: data[:keep])


def cut_half(name: str):
    return write_bytes(name, lambda data: data[: len(data) // 2])


def as_parquet(name: str, change):
    """Replace `<name>.xpt` by a Parquet file of its content changed by `change`."""
    def damage(folder: Path) -> None:
        frame = change(read_dataset(folder / f"{name}.xpt"))
        (folder / f"{name}.xpt").unlink()
        frame.to_parquet(folder / f"{name}.parquet")
    return damage


def as_dataset_json(name: str, change):
    """Replace `<name>.xpt` by a Dataset-JSON 1.1 file whose parsed content `change` damages."""
    def damage(folder: Path) -> None:
        frame = read_dataset(folder / f"{name}.xpt")
        columns = [{"itemOID": f"IT.{c}", "name": c, "label": c, "dataType": "string"} for c in frame.columns]
        document = {
            "datasetJSONCreationDateTime": "2024-01-01T00:00:00", "datasetJSONVersion": "1.1.0",
            "itemGroupOID": f"IG.{name.upper()}", "records": len(frame), "name": name.upper(),
            "label": name.upper(), "columns": columns,
            "rows": frame.astype(str).to_numpy().tolist(),
        }
        (folder / f"{name}.xpt").unlink()
        (folder / f"{name}.json").write_text(json.dumps(change(document)))
    return damage


def replace_column(column: str, value):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(**{column: value})
    return change


def drop(*columns: str):
    return lambda frame: frame.drop(columns=list(columns))


def case(name: str, damage, says: tuple[str, ...], *marks):
    return pytest.param(damage, says, id=name, marks=marks)


CASES = [
    # An XPT cut short inside an 80-byte record.
    case("xpt_truncated_mid_record", cut("dm.xpt", -37), ("dm.xpt", "truncated", "80-byte records", AGAIN)),
    # An XPT cut at a record boundary inside the rows (XPT v5 stores no row count).
    case("xpt_truncated_mid_rows", cut("ae.xpt", -800), ("ae.xpt", "truncated", "complete rows", AGAIN)),
    # Only the first header record left.
    case("xpt_header_only", cut("ex.xpt", 80), ("ex.xpt", "truncated", "no observation header", AGAIN)),
    # A CSV saved under the .xpt name.
    case("text_named_xpt", write_bytes("ae.xpt", b"USUBJID,AETERM\n1,Headache\n"),
         ("ae.xpt", "not a SAS transport (XPT) file", "expected")),
    # A zero-byte .xpt.
    case("empty_xpt", write_bytes("dm.xpt", b""), ("dm.xpt", "not a SAS transport (XPT) file")),
    # A SAS7BDAT-like binary under the .xpt name.
    case("binary_named_xpt", write_bytes("lb.xpt", bytes(range(256)) * 8), ("lb.xpt", "not a SAS transport")),
    # The folder lacks DM, which every ADaM dataset needs.
    case("dm_missing", remove("dm.xpt"), ("ADSL needs DM", "dm.xpt")),
    # The folder lacks AE, which ADAE needs.
    case("ae_missing", remove("ae.xpt"), ("ADAE needs AE", "ae.xpt")),
    # A Dataset-JSON file cut short.
    case("dataset_json_truncated",
         both(as_dataset_json("dm", lambda d: d), cut_half("dm.json")),
         ("dm.json", "not valid JSON", "line 1")),
    # A Dataset-JSON file whose rows are shorter than its columns.
    case("dataset_json_short_rows",
         as_dataset_json("dm", lambda d: {**d, "rows": [r[:-2] for r in d["rows"]]}),
         ("dm.json", "row 1")),
    # A Parquet file that is not Parquet.
    case("parquet_garbage", both(remove("dm.xpt"), write_bytes("dm.parquet", b"PAR1 this is not parquet")),
         ("dm.parquet", "cannot read Parquet file", AGAIN)),
    # DM without the variables ADSL derives the treatment dates and arm from.
    case("dm_missing_variables", as_parquet("dm", drop("ARM", "RFSTDTC")),
         ("dm.parquet", "ARM", "RFSTDTC")),
    # AE without USUBJID.
    case("ae_missing_usubjid", as_parquet("ae", drop("USUBJID")),
         ("ae.parquet", "USUBJID")),
    # A numeric variable holding text.
    case("age_as_text", as_parquet("dm", replace_column("AGE", "sixty")),
         ("dm.parquet", "AGE", "'sixty'")),
    # A reference date that is not ISO 8601: silently a missing treatment start today.
    case("dtc_not_iso8601", as_parquet("dm", replace_column("RFSTDTC", "2023-13-45")),
         ("dm.parquet", "RFSTDTC", "'2023-13-45'", "ISO 8601")),
]


@pytest.mark.parametrize(("damage", "says"), CASES)
def test_damaged_sdtm_is_refused(tmp_path, good_sdtm, damage, says):
    sdtm = copy_tree(good_sdtm, tmp_path / "sdtm")
    damage(sdtm)
    out = tmp_path / "adam"
    result = invoke("adam", "ovarian", "--sdtm", sdtm, "--out", out)
    assert_refused(result, out, says, siblings={"sdtm"})


@pytest.mark.parametrize(("make", "says"), [
    # No such folder.
    (lambda tmp: tmp / "nowhere", ("nowhere", "folder not found")),
    # A file where the folder belongs.
    (lambda tmp: (tmp / "sdtm.zip").write_bytes(b"PK") and tmp / "sdtm.zip", ("sdtm.zip", "folder")),
    # An empty folder: every dataset the builders need is listed.
    (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", ("empty", "ADSL needs DM", "dm.xpt")),
], ids=["missing", "a_file", "empty"])
def test_sdtm_folder_itself_is_refused(tmp_path, make, says):
    sdtm = make(tmp_path)
    out = tmp_path / "adam"
    before = {p.name for p in tmp_path.iterdir()}
    result = invoke("adam", "ovarian", "--sdtm", sdtm, "--out", out)
    assert_refused(result, out, says, siblings=before)
