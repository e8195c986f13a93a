"""CDISC Controlled Terminology as NCI EVS publishes it each quarter.

A package is a tab-delimited text file (`SDTM Terminology 2025-03-28.txt`) or an Excel workbook
with the same columns (`.xls`, `.xlsx`, read with python-calamine): one header row, then one
row per codelist (its `Codelist Code` empty) and one per term (its `Codelist Code` naming the
codelist). The text is not quoted: a tab separates fields and nothing else is special.

Reading checks every row and stops at the first problem with its line (text) or row (Excel)
and column: a missing column, a row with too many or too few fields, a code that is not an NCI
C-code, a term of a codelist the file does not define, a term value twice in one codelist.
A term without a submission value is left out and reported (`CtFile.skipped`): such rows occur
where a redistribution has read the value NA as missing (NY, C66742, in the R package
sdtm.terminology), and no value can be told from the rest of the row.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from specs.errors import InputError

COLUMNS = ("Code", "Codelist Code", "Codelist Extensible (Yes/No)", "Codelist Name",
           "CDISC Submission Value", "CDISC Synonym(s)", "CDISC Definition", "NCI Preferred Term")
FIELDS = ("code", "codelist_code", "extensible", "codelist_name", "value", "synonyms", "definition",
          "preferred_term")
EXCEL = (".xls", ".xlsx", ".xlsm")
C_CODE = re.compile(r"C\d+")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# "SDTM Terminology 2025-03-28.txt" → sdtm; "Define-XML Terminology.xls" → define-xml.
NAMED = re.compile(r"^(?P<standard>.+?)[ _]Terminology", re.IGNORECASE)


@dataclass(frozen=True)
class CtFile:
    """One NCI EVS terminology file: which standard and release, and its rows in file order."""

    standard: str  # sdtm, adam, define-xml, send ...
    version: str  # the release date, e.g. 2025-03-28
    rows: pa.Table  # FIELDS as columns, one row per codelist or term
    codelists: int
    terms: int
    skipped: tuple[str, ...] = ()  # terms left out, each as "line N: code in codelist"


def read_ct_file(path: str | Path, *, standard: str | None = None, version: str | None = None) -> CtFile:
    """Read and check one NCI EVS file; the standard and date come from the arguments, else
    from the file name (else, for Excel, the sheet name). Raises InputError naming the place."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    excel = path.suffix.lower() in EXCEL
    rows, sheet = _excel_rows(path) if excel else (_text_rows(path), "")
    where = "row" if excel else "line"
    standard = standard or _standard_from(path.name)
    version = version or _date_in(path.name) or _date_in(sheet)
    if not standard:
        raise InputError("cannot tell which standard this package is for", file=str(path),
                         expected="a file name like 'SDTM Terminology 2025-03-28.txt', or --standard")
    if not version or not DATE.fullmatch(version):
        raise InputError("cannot tell the release date of this package", file=str(path), value=version,
                         expected="a file name like 'SDTM Terminology 2025-03-28.txt', or --version "
                                  "YYYY-MM-DD")
    columns, skipped = _check(rows, str(path), where)
    return CtFile(standard=standard.lower(), version=version, rows=pa.table(columns),
                  codelists=sum(1 for c in columns["codelist_code"] if not c),
                  terms=sum(1 for c in columns["codelist_code"] if c), skipped=tuple(skipped))


def _standard_from(name: str) -> str | None:
    found = NAMED.match(name)
    return found["standard"].strip().replace(" ", "-") if found else None


def _date_in(text: str) -> str | None:
    found = DATE.search(text)
    return found.group(0) if found else None


def _text_rows(path: Path) -> list[tuple[int, list[str]]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return [(number, row) for number, row in enumerate(
                csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=1)]
    except UnicodeDecodeError as error:
        line = path.read_bytes()[:error.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte {error.start})", file=str(path), line=line,
                         expected="the NCI EVS text file as downloaded") from None


def _excel_rows(path: Path) -> tuple[list[tuple[int, list[str]]], str]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
        cells = sheet.to_python(skip_empty_area=False)
    except Exception as error:  # noqa: BLE001 - calamine raises its own types for damaged files
        raise InputError(f"cannot read the workbook: {error}", file=str(path),
                         expected="the NCI EVS Excel file as downloaded") from None
    rows = [(number, [_cell(v) for v in row]) for number, row in enumerate(cells, start=1)]
    while rows and not any(rows[-1][1]):
        rows.pop()
    return rows, sheet.name


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check(rows: list[tuple[int, list[str]]], file: str, where: str) -> tuple[dict[str, list], list[str]]:
    """The rows as columns and the terms left out, after checking each; raises at the first problem."""

    def fail(number: int, message: str, column: str | None = None, value=None, expected=None):
        raise InputError(message, file=file, column=column, value=value, expected=expected,
                         **{where: number})

    if not rows:
        fail(1, "empty file", expected="a header row with " + ", ".join(COLUMNS))
    number, header = rows[0]
    header = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        fail(number, f"not an NCI EVS terminology file: column {missing[0]!r} missing",
             column=missing[0], expected="the header " + ", ".join(COLUMNS))
    positions = [header.index(c) for c in COLUMNS]
    out: dict[str, list] = {f: [] for f in FIELDS}
    codelists: dict[str, int] = {}  # code → line
    seen: dict[tuple[str, str], int] = {}
    parents: list[tuple[int, str]] = []
    skipped: list[str] = []
    for number, row in rows[1:]:
        if len(row) != len(header):
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            fail(number, f"{len(row)} fields where the header has {len(header)}",
                 expected="one value per column, separated by tabs")
        values = [row[p] for p in positions]
        record = dict(zip(FIELDS, values, strict=True))
        if not C_CODE.fullmatch(record["code"]):
            fail(number, "not an NCI C-code", column="Code", value=record["code"], expected="e.g. C66742")
        parent = record["codelist_code"]
        if parent and not C_CODE.fullmatch(parent):
            fail(number, "not an NCI C-code", column="Codelist Code", value=parent,
                 expected="empty for a codelist, the codelist's C-code for a term")
        if not record["value"] and parent:
            skipped.append(f"{where} {number}: {record['code']} in codelist {parent}")
            continue
        if not record["value"]:
            fail(number, "empty submission value", column="CDISC Submission Value",
                 expected="the codelist's short name or the term")
        if not parent:
            if record["extensible"] not in ("Yes", "No"):
                fail(number, "a codelist must say whether it is extensible",
                     column="Codelist Extensible (Yes/No)", value=record["extensible"], expected="Yes or No")
            if record["code"] in codelists:
                fail(number, f"codelist {record['code']} is defined again (first at {where} "
                             f"{codelists[record['code']]})", column="Code", value=record["code"])
            codelists[record["code"]] = number
        else:
            key = (parent, record["value"])
            if key in seen:
                fail(number, f"term repeats {where} {seen[key]} in codelist {parent}",
                     column="CDISC Submission Value", value=record["value"])
            seen[key] = number
            parents.append((number, parent))
        for field, value in record.items():
            out[field].append(value)
    for number, parent in parents:
        if parent not in codelists:
            fail(number, "a term of a codelist the file does not define", column="Codelist Code",
                 value=parent, expected="a codelist row with this C-code in Code")
    out["extensible"] = [value == "Yes" if not parent else None
                         for value, parent in zip(out["extensible"], out["codelist_code"], strict=True)]
    return out, skipped
