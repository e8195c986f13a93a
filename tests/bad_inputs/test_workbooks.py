"""`clinforge spec import WORKBOOK` with WORKBOOK a damaged copy of an exported study: refused with
exit 2, one paragraph naming the sheet, row and column, nothing written.

Generated cases: every sheet an import needs, removed in turn; every required column of every
sheet, removed in turn (the pharmaverse study's workbook, the smallest). Hand-written cases: bad
values, unknown references and repeats in the ovarian study's workbook, and a workbook whose cells
are each fine but whose specs the loader refuses (a source form the study does not collect).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from specs.loader import load_study
from specs.workbook import REQUIRED_SHEETS, SHEETS, write_workbook
from specs.workbook_export import study_tables
from tests.bad_inputs.cli import assert_refused, invoke

Damage = Callable[[Workbook], None]


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("good-workbooks")
    return {name: write_workbook(study_tables(load_study(name)), folder / f"{name}.xlsx")
            for name in ("pharmaverse", "ovarian")}


def refused(good: Path, tmp_path: Path, damage: Damage, says: tuple[str, ...]) -> str:
    book = load_workbook(good)
    damage(book)
    path = tmp_path / "damaged.xlsx"
    book.save(path)
    out = tmp_path / "out" / "specs"
    return assert_refused(invoke("spec", "import", path, "--out", out), out, says)


def drop_sheet(name: str) -> Damage:
    def damage(book: Workbook) -> None:
        del book[name]
    return damage


def drop_column(sheet: str, header: str) -> Damage:
    def damage(book: Workbook) -> None:
        headers = [c.value for c in book[sheet][1]]
        book[sheet].delete_cols(headers.index(header) + 1)
    return damage


def cell(sheet: str, header: str, value: object, row: int = 2) -> Damage:
    def damage(book: Workbook) -> None:
        headers = [c.value for c in book[sheet][1]]
        book[sheet].cell(row, headers.index(header) + 1).value = value
    return damage


@pytest.mark.parametrize("sheet", REQUIRED_SHEETS)
def test_missing_sheet(good, tmp_path, sheet):
    refused(good["pharmaverse"], tmp_path, drop_sheet(sheet), (f"sheet {sheet} is missing",))


REQUIRED_COLUMNS = [(sheet, c.header) for sheet, columns in SHEETS.items() for c in columns if c.required]


@pytest.mark.parametrize(("sheet", "header"), REQUIRED_COLUMNS, ids=[f"{s}.{h}" for s, h in REQUIRED_COLUMNS])
def test_missing_required_column(good, tmp_path, sheet, header):
    refused(good["pharmaverse"], tmp_path, drop_column(sheet, header),
            (f"sheet {sheet}, row 1: required column {header!r} is missing",))


def repeat(sheet: str, header: str, row: int = 3) -> Damage:
    """The cell takes the value of the cell above it."""
    def damage(book: Workbook) -> None:
        at = [c.value for c in book[sheet][1]].index(header) + 1
        book[sheet].cell(row, at).value = book[sheet].cell(row - 1, at).value
    return damage


def case(name: str, damage: Damage, *says: str):
    return pytest.param(damage, says, id=name)


@pytest.mark.parametrize(("damage", "says"), [
    case("bad_value", cell("Datasets", "Purpose", "Tabulations"),
         "sheet Datasets, row 2, column Purpose: 'Tabulations' is not one of Tabulation, Analysis"),
    case("not_a_number", cell("Variables", "Length", "eight"),
         "sheet Variables, row 2, column Length: 'eight' is not a whole number"),
    case("empty_required", cell("Variables", "Label", None),
         "sheet Variables, row 2, column Label: empty, a value is required"),
    case("unknown_codelist", cell("Variables", "Codelist", "NOSUCH"),
         "sheet Variables, row 2, column Codelist: unknown codelist 'NOSUCH'"),
    case("unknown_origin", cell("Variables", "Origin", "CRF"),
         "sheet Variables, row 2, column Origin: 'CRF' is not one of Collected"),
    case("duplicate_variable", cell("Variables", "Variable", "DOMAIN"),
         "sheet Variables, row 3, column Variable: variable DOMAIN repeats row 2"),
    case("duplicate_dataset", cell("Datasets", "Dataset", "AE", row=3),
         "sheet Datasets, row 3, column Dataset: dataset AE repeats row 2"),
    case("duplicate_term", repeat("Codelists", "Term"), "sheet Codelists, row 3, column Term: term ",
         "repeats in codelist"),
    case("unknown_method", cell("Variables", "Method", "MT.NONE"),
         "sheet Variables, row 2, column Method: no method in sheet Methods with ID 'MT.NONE'"),
    case("bad_yaml", cell("clinforge Sources", "With", "{by: [USUBJID"),
         "sheet clinforge Sources, row 2, column With: '{by: [USUBJID' is not a YAML value"),
    case("unknown_form", cell("clinforge Sources", "Form", "NOFORM"),
         "source form 'NOFORM' is not collected in this study", "(from workbook"),
])
def test_bad_workbook(good, tmp_path, damage, says):
    refused(good["ovarian"], tmp_path, damage, says)


def test_not_a_workbook(tmp_path):
    path = tmp_path / "specs.xlsx"
    path.write_text("Dataset,Description\nAE,Adverse Events\n")
    out = tmp_path / "out"
    assert_refused(invoke("spec", "import", path, "--out", out), out, (str(path), "not an Excel workbook"))


def test_export_of_an_unknown_study(tmp_path):
    out = tmp_path / "x.xlsx"
    assert_refused(invoke("spec", "export", "ovarain", "--out", out), out, ("no such study", "'ovarian'"))


def test_export_of_a_broken_define_xml(tmp_path):
    define = tmp_path / "define.xml"
    define.write_text("<ODM><Study/></ODM>")
    out = tmp_path / "x.xlsx"
    assert_refused(invoke("spec", "export", define, "--out", out), out, ("not a Define-XML document",))


def test_export_of_a_missing_define_xml(tmp_path):
    out = tmp_path / "x.xlsx"
    assert_refused(invoke("spec", "export", tmp_path / "define.xml", "--out", out), out,
                   ("define.xml: no such define.xml file",))
