"""Reading NCI EVS terminology files: the reference packages as published (text) and in Excel form,
and every kind of malformed file refused with its line (row) and column."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from specs.errors import InputError
from specs.nci_evs import COLUMNS, read_ct_file
from tests.reference import reference


def sdtm_file() -> Path:
    return reference("cdisc-ct", "SDTM Terminology 2025-03-28.txt")


def test_reference_sdtm_package_reads_whole():
    package = read_ct_file(sdtm_file())
    assert (package.standard, package.version) == ("sdtm", "2025-03-28")
    assert package.codelists == 1158
    # 44,856 rows: 1,158 codelists, 43,697 terms and NY's NA, whose value the redistribution lost.
    assert package.codelists + package.terms + len(package.skipped) == 44856
    assert package.skipped == ("line 30339: C48660 in codelist C66742",)
    rows = package.rows.to_pydict()
    ny_terms = [(rows["code"][i], rows["value"][i], rows["extensible"][i])
                for i, parent in enumerate(rows["codelist_code"]) if parent == "C66742"]
    assert ny_terms == [("C49487", "N", None), ("C17998", "U", None), ("C49488", "Y", None)]
    ny = rows["code"].index("C66742")
    assert (rows["value"][ny], rows["extensible"][ny], rows["codelist_name"][ny]) == ("NY", False,
                                                                                      "No Yes Response")


@pytest.mark.parametrize(("name", "standard", "codelists", "terms"), [
    ("ADaM Terminology 2025-03-28.txt", "adam", 23, 140),
    ("Define-XML Terminology 2025-03-28.txt", "define-xml", 15, 88),
])
def test_other_reference_packages(name, standard, codelists, terms):
    package = read_ct_file(reference("cdisc-ct", name))
    assert (package.standard, package.version, package.codelists, package.terms) == (
        standard, "2025-03-28", codelists, terms)


def _rows(path: Path, count: int) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [row for _, row in zip(range(count), csv.reader(handle, delimiter="\t",
                                                                quoting=csv.QUOTE_NONE), strict=False)]


def test_excel_form_reads_as_the_text(tmp_path):
    # NCI's Excel file has the same columns; the sheet is named after the package and date.
    rows = _rows(sdtm_file(), 400)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "SDTM Terminology 2025-03-28"
    for row in rows:
        sheet.append(row)
    path = tmp_path / "SDTM Terminology.xlsx"
    book.save(path)
    text = tmp_path / "SDTM Terminology 2025-03-28.txt"
    text.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    from_excel = read_ct_file(path, standard="sdtm")
    assert from_excel.version == "2025-03-28"  # from the sheet name
    assert from_excel.rows.equals(read_ct_file(text).rows)
    assert from_excel.codelists + from_excel.terms == 399


def _write(tmp_path: Path, rows: list[list[str]], name="SDTM Terminology 2025-03-28.txt") -> Path:
    path = tmp_path / name
    path.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


GOOD = [list(COLUMNS),
        ["C66742", "", "No", "No Yes Response", "NY", "", "", ""],
        ["C49487", "C66742", "", "No Yes Response", "N", "No", "", "No"]]


@pytest.mark.parametrize(("change", "line", "column", "words"), [
    # a column missing from the header
    (lambda r: [r[0][:-1], *r[1:]], 1, "NCI Preferred Term", "column 'NCI Preferred Term' missing"),
    # a row with a field too many
    (lambda r: [*r[:2], r[2] + ["extra"]], 3, None, "9 fields where the header has 8"),
    # a code that is not an NCI C-code
    (lambda r: [*r[:2], ["49487", *r[2][1:]]], 3, "Code", "not an NCI C-code"),
    # a term of a codelist the file does not define
    (lambda r: [*r[:2], [r[2][0], "C99999", *r[2][2:]]], 3, "Codelist Code", "does not define"),
    # a codelist that does not say whether it is extensible
    (lambda r: [r[0], [*r[1][:2], "Maybe", *r[1][3:]], r[2]], 2, "Codelist Extensible (Yes/No)",
     "extensible"),
    # a term twice in one codelist
    (lambda r: [*r, ["C49488", *r[2][1:]]], 4, "CDISC Submission Value", "term repeats line 3"),
])
def test_malformed_files_name_line_and_column(tmp_path, change, line, column, words):
    path = _write(tmp_path, change([list(r) for r in GOOD]))
    with pytest.raises(InputError) as error:
        read_ct_file(path)
    assert error.value.file == str(path)
    assert f"line {line}" in str(error.value) and words in str(error.value)
    assert error.value.column == column


def test_not_utf8_names_the_line(tmp_path):
    path = _write(tmp_path, GOOD)
    path.write_bytes(path.read_bytes() + b"C1\tC66742\t\tNo Yes Response\tY\xe9\t\t\t\n")
    with pytest.raises(InputError, match="line 4.*not UTF-8"):
        read_ct_file(path)


def test_release_and_standard_must_be_known(tmp_path):
    path = _write(tmp_path, GOOD, name="terminology.txt")
    with pytest.raises(InputError, match="which standard"):
        read_ct_file(path)
    with pytest.raises(InputError, match="release date"):
        read_ct_file(path, standard="sdtm")
    package = read_ct_file(path, standard="sdtm", version="2025-06-27")
    assert (package.codelists, package.terms) == (1, 1)


def test_damaged_workbook_is_refused(tmp_path):
    path = tmp_path / "SDTM Terminology 2025-03-28.xls"
    path.write_bytes(b"not a workbook")
    with pytest.raises(InputError, match="cannot read the workbook"):
        read_ct_file(path)
