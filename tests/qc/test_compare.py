"""PROC COMPARE: each kind of difference is found, and equal data compares clean."""

import pandas as pd

from qc.compare import compare


def adsl():
    frame = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "AGE": [54.0, 61.0, 47.0], "SEX": ["F", "F", ""],
                          "TRTSDT": pd.to_datetime(["2024-05-14", "2024-06-01", None])})
    frame.attrs = {"name": "ADSL", "labels": {"AGE": "Age", "SEX": "Sex"}, "lengths": {"SEX": 1}}
    return frame


def test_equal_data_has_no_differences():
    # A copy, rows shuffled, a missing SEX as NA instead of "", AGE off by less than the tolerance.
    other = adsl().iloc[[2, 0, 1]].reset_index(drop=True)
    other.loc[0, "SEX"] = None
    other["AGE"] = other["AGE"] + 1e-12
    other.attrs = adsl().attrs
    result = compare(adsl(), other, "USUBJID")
    assert not result.has_differences
    assert "No differences." in result.report()


def test_variables_and_attributes():
    other = adsl()[["USUBJID", "SEX", "AGE", "TRTSDT"]].assign(AGE=lambda f: f["AGE"].astype(str))
    other = other.drop(columns="TRTSDT").assign(TRT01A=["A", "A", "A"])
    other.attrs = {"name": "ADSL", "labels": {"AGE": "Age (years)", "SEX": "Sex"}, "lengths": {"SEX": 2}}
    (d,) = compare(adsl(), other, ["USUBJID"]).datasets.values()
    assert d.base_only_variables == ["TRTSDT"] and d.compare_only_variables == ["TRT01A"]
    assert sorted((v, a) for v, a, _, _ in d.attributes) == [
        ("AGE", "label"), ("AGE", "order"), ("AGE", "type"), ("SEX", "length"), ("SEX", "order")]
    assert all(v.variable != "AGE" for v in d.values)  # a type difference is not compared by value


def test_records_only_on_one_side():
    other = pd.concat([adsl().iloc[:2], pd.DataFrame({"USUBJID": ["S4"], "AGE": [70.0], "SEX": ["M"]})])
    (d,) = compare(adsl(), other, "USUBJID").datasets.values()
    assert d.base_only_records["USUBJID"].tolist() == ["S3"]
    assert d.compare_only_records["USUBJID"].tolist() == ["S4"]


def test_value_differences_with_counts_and_examples():
    other = adsl().assign(AGE=[54.0, 62.0, 48.0], TRTSDT=pd.to_datetime(["2024-05-14", "2024-06-02", None]))
    result = compare(adsl(), other, "USUBJID", tolerance=0.5)
    (d,) = result.datasets.values()
    by_var = {v.variable: v for v in d.values}
    assert by_var["AGE"].count == 2 and by_var["TRTSDT"].count == 1
    assert by_var["AGE"].examples.to_dict("records")[0] == {"USUBJID": "S2", "BASE": 61.0, "COMPARE": 62.0}
    assert "Variable AGE: 2 value(s) unequal" in result.report()
    # A tolerance of 1 hides the one-year differences.
    (d,) = compare(adsl(), other, "USUBJID", tolerance=1.0).datasets.values()
    assert [v.variable for v in d.values] == ["TRTSDT"]


def test_folders_and_datasets_on_one_side(tmp_path):
    dm = pd.DataFrame({"USUBJID": ["S1"], "AGE": [54.0]})
    base = {"ADSL": adsl(), "DM": dm}
    qc = {"ADSL": adsl(), "ADAE": dm}
    result = compare(base, qc, "USUBJID")
    assert result.base_only_datasets == ["DM"] and result.compare_only_datasets == ["ADAE"]
    assert result.has_differences and not result.datasets["ADSL"].has_differences


def test_files_on_disk(tmp_path):
    adsl().to_parquet(tmp_path / "base.parquet")
    adsl().assign(SEX=["F", "M", ""]).to_parquet(tmp_path / "qc.parquet")
    result = compare(tmp_path / "base.parquet", tmp_path / "qc.parquet", "USUBJID")
    (d,) = result.datasets.values()
    assert [(v.variable, v.count) for v in d.values] == [("SEX", 1)]


def test_duplicate_keys_pair_in_order():
    base = pd.DataFrame({"USUBJID": ["S1", "S1"], "AVAL": [1.0, 2.0]})
    qc = pd.DataFrame({"USUBJID": ["S1", "S1"], "AVAL": [1.0, 3.0]})
    (d,) = compare(base, qc, "USUBJID").datasets.values()
    assert d.values[0].count == 1 and any("repeat a key" in n for n in d.notes)
