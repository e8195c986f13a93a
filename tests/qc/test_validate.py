"""validate_folder end to end: a folder on disk, suites written beside it, the three reports."""

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from qc.reports import write_reports
from qc.validate import validate_folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("sdtm")
    pd.DataFrame({
        "STUDYID": "X", "DOMAIN": "DM", "USUBJID": ["S1", "S2"], "SUBJID": ["1", "2"],
        "RFSTDTC": ["2024-05-14", "2024-06-01"], "SITEID": "01", "SEX": ["F", "F"],
        "COUNTRY": "USA", "DTHFL": ["", ""],
    }).to_parquet(root / "dm.parquet")
    pd.DataFrame({
        "STUDYID": "X", "DOMAIN": "AE", "USUBJID": ["S1", "S3"], "AESEQ": [1.0, 1.0],
        "AETERM": ["CRS", "FEVER"], "AEDECOD": ["Cytokine release syndrome", "Pyrexia"],
        "AESTDTC": ["2024-05-15", "15MAY2024"], "AESTDY": [2.0, 2.0], "AESER": ["Y", "N"],
        "AESHOSP": ["Y", "N"],
    }).to_parquet(root / "ae.parquet")
    return root


@pytest.fixture(scope="module")
def result(folder):
    return validate_folder(folder)


def test_planted_problems_are_found(result):
    found = {(f.rule, f.dataset, f.row) for f in result.findings}
    # S3 is not in DM, and its AESTDTC is not ISO 8601.
    assert ("XD-SUBJ-IN-DM", "AE", 2) in found
    assert ("DS-ISO8601", "AE", 2) in found
    assert result.records == {"AE": 2, "DM": 2}
    assert result.metadata_source == {"AE": "SDTMIG 3.4 (shipped)", "DM": "SDTMIG 3.4 (shipped)"}
    assert result.fails("error")


def test_rules_run_on_the_datasets_in_their_scope(result):
    statuses = {(r.rule, r.dataset): r.status for r in result.runs}
    # the catalogue's rules run on the datasets in their scope: the subject rule on AE
    assert statuses[("XD-SUBJ-IN-DM", "AE")] == "failed"
    # and not on datasets they do not apply to (no EX, no SUPP--, no ADaM dataset here)
    assert not {rule for rule, _ in statuses} & {"XD-EX-IN-RFX", "XD-SUPP-PARENT", "XD-ADAM-SOURCE"}
    assert all(r.findings == 0 for r in result.runs if r.status == "passed")


def test_suites_written_beside_the_data(folder, result):
    written = sorted(p.name for p in (folder / "expectations").iterdir())
    assert written == ["ae.json", "dm.json"]
    suite = json.loads((folder / "expectations" / "ae.json").read_text())
    assert suite["name"] == "ae" and suite["expectations"]


def test_reports(tmp_path, result):
    paths = write_reports(result, tmp_path)
    findings = json.loads(paths["json"].read_text())
    assert len(findings) == len(result.findings)
    assert set(findings[0]) == {"rule", "severity", "dataset", "variable", "usubjid", "seq", "row",
                                "value", "message", "core_id", "cdisc_id", "fda_id", "p21_id", "disposition",
                                "explanation"}
    cases = ET.parse(paths["junit"]).getroot().findall(".//testcase")
    assert len(cases) == len(result.runs)
    failed = {(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None}
    assert ("XD-SUBJ-IN-DM", "AE") in failed
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert len(skipped) == len(result.not_run())
    html = paths["html"].read_text()
    assert "XD-SUBJ-IN-DM" in html and "S3" in html and "Not run" in html
    # Deterministic: writing again gives the same bytes.
    again = write_reports(result, tmp_path / "again")
    assert all(again[k].read_bytes() == paths[k].read_bytes() for k in paths)


def test_study_specs_describe_their_datasets(folder):
    # The ovarian study specifies TS; PE is neither in its specs nor in the shipped standard.
    ts = pd.DataFrame({"STUDYID": ["MESO-OV-101"], "DOMAIN": ["TS"], "TSSEQ": [1.0], "TSPARMCD": ["TITLE"],
                       "TSPARM": ["Trial Title"], "TSVAL": ["x"]})
    pe = pd.DataFrame({"USUBJID": ["S1"], "PESEQ": [1.0]})
    result = validate_folder({"TS": ts, "PE": pe}, specs="ovarian")
    assert result.metadata_source == {"TS": "study ovarian", "PE": "none"}
    not_run = {(r.rule, r.dataset) for r in result.not_run()}
    assert ("DS-REQ-PRESENT", "PE") in not_run


def test_gx_data_docs(tmp_path, result):
    from qc.reports import write_data_docs

    index = write_data_docs(result, tmp_path / "docs")
    assert sorted(p.name for p in index.parent.iterdir()) == ["ae.html", "dm.html", "index.html"]
    assert "failed" in index.read_text()  # AE fails its ISO 8601 expectation
    assert "AESTDTC" in (index.parent / "ae.html").read_text()


def test_what_reading_warned_of_is_in_the_result_and_the_html(tmp_path):
    # The CDISC pilot's ts.xpt holds Windows-1252 apostrophes (0x92) in TSVAL.
    pilot = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "cdisc-pilot01-sdtm"
    folder = tmp_path / "sdtm"
    folder.mkdir()
    shutil.copy(pilot / "ts.xpt", folder)
    result = validate_folder(folder)
    assert len(result.warnings) == 3
    for warning, row in zip(result.warnings, (9, 14, 29), strict=True):
        assert warning.startswith(f"{folder / 'ts.xpt'}: TSVAL row {row} is not UTF-8; read as Windows-1252")
    assert [(f.variable, f.row) for f in result.findings if f.rule == "DS-ASCII"] == [
        ("TSVAL", 9), ("TSVAL", 14), ("TSVAL", 29)]
    html = write_reports(result, tmp_path / "report")["html"].read_text()
    assert "Reading the files" in html and "Alzheimer’s Disease" in html
