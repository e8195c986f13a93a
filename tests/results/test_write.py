"""The files of `clinforge results`: the same bytes for the same data, the ARD in Dataset-JSON and CSV
holding the same records, and ARS metadata that every ARD record refers into."""

import io
import json

import pandas as pd
import pytest

from results.write import FILES, study_results
from specs.datasetjson import parse_dataset_json


@pytest.fixture(scope="module")
def made(study, adam):
    return study_results(study, adam, "adam")


def test_same_data_same_bytes(study, adam, made):
    again = study_results(study, adam, "adam")
    assert set(made.files) == set(FILES)
    assert all(again.files[name] == made.files[name] for name in FILES)


def test_ard_in_dataset_json_and_csv_agree(made):
    from_json = parse_dataset_json(made.files["ard.json"], "ard.json")
    from_csv = pd.read_csv(io.BytesIO(made.files["ard.csv"]), keep_default_na=False, dtype=str)
    assert len(from_json) == len(from_csv) == made.records
    assert list(from_json.columns) == list(from_csv.columns)
    assert from_json["formattedValue"].tolist() == from_csv["formattedValue"].tolist()
    raw = pd.to_numeric(from_csv["rawValue"].replace("", None))
    pd.testing.assert_series_equal(from_json["rawValue"], raw.astype(float), check_names=False)
    assert json.loads(made.files["ard.json"])["columns"][-2]["dataType"] == "double"


def test_every_ard_record_refers_to_the_ars_metadata(made):
    event = json.loads(made.files["ars.json"])
    ard = parse_dataset_json(made.files["ard.json"], "ard.json")
    analyses = {a["id"]: a for a in event["analyses"]}
    operations = {o["id"] for m in event["methods"] for o in m["operations"]}
    groupings = {g["id"] for g in event["analysisGroupings"]}
    assert set(ard["analysisId"]) == set(analyses) and set(ard["operationId"]) <= operations
    assert set(ard["methodId"]) == {m["id"] for m in event["methods"]}
    assert {v for c in ard if c.endswith("_groupingId") for v in ard[c] if v} <= groupings
    sets = {s["id"] for s in event["analysisSets"]}
    subsets = {s["id"] for s in event["dataSubsets"]}
    for analysis in analyses.values():
        assert analysis["analysisSetId"] in sets
        assert analysis.get("dataSubsetId", next(iter(subsets))) in subsets
        assert analysis["purpose"]["controlledTerm"].endswith("OUTCOME MEASURE")
    # a condition on several variables is an AND of where clauses
    teg3 = next(s for s in event["dataSubsets"] if s["id"] == "TEG3")
    clauses = teg3["compoundExpression"]["whereClauses"]
    assert teg3["compoundExpression"]["logicalOperator"] == "AND"
    assert clauses[1]["condition"] == {"dataset": "ADAE", "variable": "ATOXGRN", "comparator": "IN",
                                       "value": ["3", "4", "5"]}
