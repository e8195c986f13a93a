"""qc/excel.py: the workbook reviewers read, opened and checked cell by cell."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from qc.excel import write_excel
from qc.validate import validate_folder

DISPOSITIONS = """\
dispositions:
  - rule: XD-SUBJ-IN-DM
    dataset: AE
    status: explained
    explanation: Screen failures kept in AE by design.
    author: QC lead
    date: 2026-12-04
"""


def _result(tmp_path: Path):
    dm = pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["DM"], "USUBJID": ["S-1"], "SUBJID": ["1"],
                       "SITEID": ["01"], "SEX": ["F"], "COUNTRY": ["USA"]})
    ae = pd.DataFrame({"STUDYID": ["S", "S"], "DOMAIN": ["AE", "AE"], "USUBJID": ["S-1", "S-9"],
                       "AESEQ": [1.0, 1.0], "AETERM": ["HEADACHE", "NAUSEA"],
                       "AEDECOD": ["Headache", "Nausea"]})
    (tmp_path / "d.yaml").write_text(DISPOSITIONS)
    return validate_folder({"DM": dm, "AE": ae}, suites=False, dispositions=tmp_path / "d.yaml")


def test_sheets_and_cells(tmp_path: Path):
    path = write_excel(_result(tmp_path), tmp_path / "report.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Validation Summary", "Dataset Summary", "Issue Summary", "Details", "Rules",
                               "Dispositions"]
    summary = {row[0]: row[1] for row in book["Validation Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Datasets"] == 2 and summary["Errors"].startswith("1 (1 explained")
    assert "clinforge" in summary["Engine"] and "SDTMIG 3.4" in summary["Standards"]
    rows = book["Issue Summary"].iter_rows(min_row=2, values_only=True)
    issue = [r for r in rows if r[0] == "XD-SUBJ-IN-DM"]
    assert issue == [("XD-SUBJ-IN-DM", "XD-SUBJ-IN-DM, CORE-000201, CG0029, SD0064", "error", "AE", "USUBJID",
                      None, "USUBJID is not in DM: add the subject to DM or correct USUBJID.", 1, 0,
                      "explained", None)]
    details = list(book["Details"].iter_rows(values_only=True))
    assert details[0][:6] == ("Dataset", "Record", "USUBJID", "Seq", "Variables", "Values")
    assert ("AE", 2, "S-9", 1, "USUBJID", "S-9") in [d[:6] for d in details]
    datasets = {r[0]: r for r in book["Dataset Summary"].iter_rows(min_row=2, values_only=True)}
    assert datasets["AE"][1] == 2 and datasets["AE"][3] == 1
    rules = {r[0]: r for r in book["Rules"].iter_rows(min_row=2, values_only=True)}
    assert rules["XD-SUBJ-IN-DM"][4] == 1
    (entry,) = list(book["Dispositions"].iter_rows(min_row=2, values_only=True))
    assert entry[1:3] == ("XD-SUBJ-IN-DM", "AE") and entry[-1] == 1


def test_same_result_same_bytes(tmp_path: Path):
    result = _result(tmp_path)
    first = write_excel(result, tmp_path / "a.xlsx").read_bytes()
    assert write_excel(result, tmp_path / "b.xlsx").read_bytes() == first
