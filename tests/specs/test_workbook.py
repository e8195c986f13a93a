"""specs/workbook.py: the sheet table, cells, key/value sheets, deterministic writing, strict reading."""

from __future__ import annotations

import time
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from specs.errors import SpecError
from specs.workbook import (
    EXTRA,
    INT,
    LIST,
    SHEETS,
    YAML,
    YESNO,
    Column,
    Row,
    flatten,
    from_cell,
    read_workbook,
    to_cell,
    unflatten,
    write_workbook,
)

# Pinnacle 21's define-spec sheets and, per sheet, the leading columns metacore reads by default.
P21 = {
    "Study": ["Attribute", "Value"],
    "Datasets": ["Dataset", "Description", "Class", "SubClass", "Structure", "Purpose", "Key Variables"],
    "Variables": ["Order", "Dataset", "Variable", "Label", "Data Type", "Length", "Significant Digits",
                  "Format", "Mandatory", "Assigned Value", "Codelist", "Common", "Origin"],
    "ValueLevel": ["Order", "Dataset", "Variable", "Where Clause"],
    "WhereClauses": ["ID", "Dataset", "Variable", "Comparator", "Value"],
    "Codelists": ["ID", "Name", "NCI Codelist Code", "Data Type", "Terminology", "Comment", "Order",
                  "Term", "NCI Term Code", "Decoded Value"],
    "Methods": ["ID", "Name", "Type", "Description"],
    "Comments": ["ID", "Description"],
    "Documents": ["ID", "Title", "Href"],
}


def test_p21_sheets_and_columns_come_first():
    # The P21 sheets in P21's order, then clinforge's; in each P21 sheet P21's columns lead.
    names = list(SHEETS)
    p21 = [n for n in names if not n.startswith(EXTRA)]
    assert p21 == ["Study", "Datasets", "Variables", "ValueLevel", "WhereClauses", "Codelists",
                   "Dictionaries", "Methods", "Comments", "Documents"]
    assert names.index(p21[-1]) < min(names.index(n) for n in names if n.startswith(EXTRA))
    for sheet, headers in P21.items():
        assert [c.header for c in SHEETS[sheet]][:len(headers)] == headers
        # clinforge's own columns come after all of P21's.
        headers = [c.header for c in SHEETS[sheet]]
        own = [h.startswith(EXTRA) for h in headers]
        assert own == sorted(own)


@pytest.mark.parametrize(("kind", "value", "cell"), [
    (YAML, {"by": ["USUBJID"], "n": 3}, "{by: [USUBJID], n: 3}"),  # a rule's `with:`
    (YAML, [], "[]"),  # an empty list is said, not left blank
    (YAML, "2025-03-28", "'2025-03-28'"),  # text that YAML would read as a date stays text
    (YAML, date(2025, 3, 28), "2025-03-28"),
    (LIST, ("STUDYID", "USUBJID"), "STUDYID, USUBJID"),
    (LIST, (), None),
    (YESNO, True, "Yes"),
    (INT, 8, 8),
])
def test_cells_round_trip(kind, value, cell):
    assert to_cell(value, kind) == cell
    back = from_cell(cell, Column("X", "x", kind))
    assert back == (None if value == () else value)


@pytest.mark.parametrize(("kind", "cell", "says"), [
    (INT, "eight", "'eight' is not a whole number"),
    (INT, 8.5, "8.5 is not a whole number"),
    (YESNO, "Y", "'Y' is not Yes or No"),
    (YAML, "{by: [USUBJID", "is not a YAML value"),
])
def test_bad_cells_say_what_was_expected(kind, cell, says):
    with pytest.raises(ValueError, match=says):
        from_cell(cell, Column("X", "x", kind))


def test_whole_numbers_typed_into_excel_read_as_text():
    assert from_cell(101.0, Column("Term", "value")) == "101"


def test_flatten_and_unflatten_are_inverse():
    # study.yaml's shape: a mapping section, lists of mappings, a plain list, an empty list.
    tree = {"study": {"name": "x", "sites": ["101"]}, "visits": [{"visit": "SCREENING", "day": -14}],
            "forms": ["DM", "AE"], "questionnaires": []}
    rows = flatten(tree)
    assert [r["key"] for r in rows] == ["study.name", "study.sites", "visits[]", "forms", "questionnaires"]
    back, problems = unflatten([Row("s", i, r) for i, r in enumerate(rows, 2)], "wb.xlsx")
    assert back == tree and problems == []


def test_unflatten_refuses_a_repeated_key():
    rows = [Row("clinforge Study", 2, {"key": "study.name", "value": "a"}),
            Row("clinforge Study", 3, {"key": "study.name", "value": "b"})]
    _, problems = unflatten(rows, "wb.xlsx")
    assert [str(p) for p in problems] == ["wb.xlsx: sheet clinforge Study, row 3, column Key: "
                                          "'study.name' repeats or contradicts an earlier row"]


TABLES = {"Datasets": [{"dataset": "AE", "purpose": "Tabulation", "keys": ("STUDYID",),
                        "parameters": {"builder": "events"}}],
          "Variables": [{"order": 1, "dataset": "AE", "name": "STUDYID", "label": "Study Identifier",
                         "data_type": "text", "method": "=AETERM"}]}


def test_same_tables_give_the_same_bytes(tmp_path):
    # Written a second apart, the files are byte-identical (specs.ooxml.save_stable).
    first = write_workbook(TABLES, tmp_path / "a.xlsx")
    time.sleep(1.1)
    second = write_workbook(TABLES, tmp_path / "b.xlsx")
    assert first.read_bytes() == second.read_bytes()


def test_written_cells_read_back(tmp_path):
    path = write_workbook(TABLES, tmp_path / "wb.xlsx")
    assert load_workbook(path).sheetnames == list(SHEETS)
    rows = read_workbook(path, sheets=())
    assert rows["Datasets"][0].fields["keys"] == ("STUDYID",)
    assert rows["Datasets"][0].fields["parameters"] == {"builder": "events"}
    # Text that begins with '=' is kept as text, not turned into a formula.
    assert rows["Variables"][0].fields["method"] == "=AETERM"
    assert rows["Variables"][0].number == 2


def _book(tmp_path, sheets: dict[str, list[list]]):
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "bad.xlsx"
    book.save(path)
    return path


def test_every_problem_names_sheet_row_and_column(tmp_path):
    path = _book(tmp_path, {
        "Datasets": [["Dataset", "Purpose"], ["AE", "Tabulations"]],
        "Variables": [["Order", "Dataset", "Variable", "Data Type"], ["one", "AE", "STUDYID", "text"]],
        "Codelists": [["ID"]],
    })
    with pytest.raises(SpecError) as caught:
        read_workbook(path)
    assert [p.message for p in caught.value.problems] == [
        "sheet clinforge Study is missing (the workbook has Datasets, Variables, Codelists)",
        "sheet Datasets, row 2, column Purpose: 'Tabulations' is not one of Tabulation, Analysis",
        "sheet Variables, row 1: required column 'Label' is missing",
    ]


def test_not_a_workbook(tmp_path):
    path = tmp_path / "specs.xlsx"
    path.write_text("dataset,label\n")
    with pytest.raises(SpecError, match="not an Excel workbook"):
        read_workbook(path)
