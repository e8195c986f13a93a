"""The Pinnacle 21 define-spec workbook: its sheets and columns as one table, and reading and writing it.

The P21 layout (the sheets metacore's `spec_to_metacore` reads by default) is the exchange format
between sponsors, CROs and define.xml tools. `SHEETS` names every sheet, its columns in order and
the field each column holds; the same table drives export (specs.workbook_export: rows of fields →
cells) and import (specs.workbook_import: cells → rows of fields), so a column is declared once.

What P21's layout has no place for (the mapping rules, a dataset's builder parameters, study.yaml,
the CRF forms and the analysis plan) goes into columns and sheets whose names start with
`clinforge `. A cell that holds structured values (an algorithm's `with:`, a study.yaml section)
holds them as one line of YAML, the language of the spec files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from specs.errors import Problem, SpecError
from specs.ooxml import save_stable

EXTRA = "clinforge "  # the prefix of sheets and columns P21's layout does not have

TEXT, INT, YAML, LIST, YESNO = "text", "int", "yaml", "list", "yesno"


@dataclass(frozen=True)
class Column:
    header: str
    field: str | None = None  # the row field it holds; None: a P21 column clinforge leaves blank
    kind: str = TEXT  # how a cell holds the value: text, int, yaml, list (comma-separated), yesno
    required: bool = False  # import refuses a sheet without this column
    choices: tuple[str, ...] = ()


def _p21(*headers: str) -> tuple[Column, ...]:
    return tuple(Column(h) for h in headers)


# P21's columns in its order, then clinforge's. Which fields a column's values come from is the
# exporter's business, which spec keys they fill the importer's; both name them by `field`.
SHEETS: dict[str, tuple[Column, ...]] = {
    "Study": (Column("Attribute", "attribute", required=True), Column("Value", "value")),
    "Datasets": (
        Column("Dataset", "dataset", required=True), Column("Description", "label"),
        Column("Class", "class"), *_p21("SubClass"), Column("Structure", "structure"),
        Column("Purpose", "purpose", required=True, choices=("Tabulation", "Analysis")),
        Column("Key Variables", "keys", LIST), Column("Standard", "standard"), *_p21("Has No Data"),
        Column("Repeating", "repeating"), Column("Reference Data", "reference_data"),
        Column("Comment", "comment"), *_p21("Developer Notes"),
        Column(EXTRA + "Parameters", "parameters", YAML), Column(EXTRA + "Data Structure", "data_structure"),
    ),
    "Variables": (
        Column("Order", "order", INT, required=True), Column("Dataset", "dataset", required=True),
        Column("Variable", "name", required=True), Column("Label", "label", required=True),
        Column("Data Type", "data_type", required=True), Column("Length", "length", INT),
        Column("Significant Digits", "significant_digits", INT), Column("Format", "format"),
        Column("Mandatory", "mandatory"), *_p21("Assigned Value"), Column("Codelist", "codelist"),
        *_p21("Common"), Column("Origin", "origin"), Column("Source", "source"), *_p21("Pages"),
        Column("Method", "method"), Column("Predecessor", "predecessor"), Column("Role", "role"),
        Column("Comment", "comment"), *_p21("Developer Notes"),
        Column(EXTRA + "Core", "core"), Column(EXTRA + "Algorithm", "algorithm"),
        Column(EXTRA + "With", "with", YAML),
    ),
    "ValueLevel": (
        Column("Order", "order", INT), Column("Dataset", "dataset", required=True),
        Column("Variable", "variable", required=True), Column("Where Clause", "where", required=True),
        Column("Description", "label"), Column("Data Type", "data_type", required=True),
        Column("Length", "length", INT), Column("Significant Digits", "significant_digits", INT),
        *_p21("Format", "Mandatory", "Assigned Value"), Column("Codelist", "codelist"),
        Column("Origin", "origin"), *_p21("Source", "Pages"), Column("Method", "method"),
        *_p21("Predecessor", "Comment", "Developer Notes"), Column(EXTRA + "Unit", "unit"),
    ),
    "WhereClauses": (
        Column("ID", "id", required=True), Column("Dataset", "dataset"),
        Column("Variable", "variable", required=True),
        Column("Comparator", "comparator", required=True, choices=("EQ", "IN")),
        Column("Value", "value", LIST), *_p21("Comment"),
    ),
    "Codelists": (
        Column("ID", "id", required=True), Column("Name", "label"),
        Column("NCI Codelist Code", "c_code"), Column("Data Type", "data_type"),
        Column("Terminology", "terminology"), Column("Comment", "note"), Column("Order", "order", INT),
        Column("Term", "value"), Column("NCI Term Code", "term_c_code"),
        Column("Decoded Value", "decode"), Column(EXTRA + "Extensible", "extensible", YESNO),
        Column(EXTRA + "Synonyms", "synonyms", YAML),
    ),
    "Dictionaries": _p21("ID", "Name", "Data Type", "Dictionary", "Version"),
    "Methods": (
        Column("ID", "id", required=True), Column("Name", "name"), Column("Type", "type"),
        Column("Description", "description", required=True),
        *_p21("Expression Context", "Expression Code", "Document", "Pages"),
    ),
    "Comments": (
        Column("ID", "id", required=True), Column("Description", "description", required=True),
        *_p21("Document", "Pages"),
    ),
    "Documents": (Column("ID", "id", required=True), Column("Title", "title"), Column("Href", "href")),
    # The mapping rules of each dataset: one row per target variable of each source block.
    EXTRA + "Sources": (
        Column("Dataset", "dataset", required=True), Column("Block", "block", INT, required=True),
        Column("Form", "form", required=True), Column("Where", "where"),
        Column("Distinct", "distinct", LIST), Column("Target", "target"),
        Column("Algorithm", "algorithm"), Column("Field", "field"), Column("With", "with", YAML),
        Column("Optional", "optional", YESNO),
    ),
    # Supplemental qualifiers the parent domain declares (SUPP-- is built from them).
    EXTRA + "Supplemental": (
        Column("Dataset", "dataset", required=True), Column("QNAM", "qnam", required=True),
        Column("QLABEL", "qlabel", required=True), Column("Field", "field", required=True),
        Column("QORIG", "qorig"), Column("QEVAL", "qeval"), Column("Codelist", "codelist"),
        Column("Optional", "optional", YESNO),
    ),
    # study.yaml, forms.yaml and analyses.yaml, one row per section (specs.workbook.flatten).
    EXTRA + "Study": (Column("Key", "key", required=True), Column("Value", "value", YAML)),
    EXTRA + "Forms": (Column("Key", "key", required=True), Column("Value", "value", YAML)),
    EXTRA + "Analyses": (Column("Key", "key", required=True), Column("Value", "value", YAML)),
}
# Sheets a workbook must have to be imported as a study (the others may be left out).
REQUIRED_SHEETS = ("Datasets", "Variables", "Codelists", EXTRA + "Study")

Tables = dict[str, list[dict[str, Any]]]  # sheet → rows as {field: value}


@dataclass(frozen=True)
class Row:
    """A row read from a sheet: its fields and where it stands, for messages."""

    sheet: str
    number: int  # the spreadsheet row number (the header is row 1)
    fields: dict[str, Any]

    def get(self, field: str, default: Any = None) -> Any:
        return self.fields.get(field, default)

    def __getitem__(self, field: str) -> Any:
        return self.fields[field]

    def problem(self, file: str, field: str | None, message: str) -> Problem:
        return Problem(file, 0, f"{place(self.sheet, self.number, field)}: {message}")


def place(sheet: str, row: int | None = None, field: str | None = None) -> str:
    """'sheet Variables, row 12, column Codelist' for a message."""
    text = f"sheet {sheet}"
    if row is not None:
        text += f", row {row}"
    if field is not None:
        text += f", column {header_of(sheet, field)}"
    return text


def header_of(sheet: str, field: str) -> str:
    return next((c.header for c in SHEETS[sheet] if c.field == field), field)


# --- values in cells ----------------------------------------------------------------------------

# libyaml's C loader and dumper when PyYAML has them (a full CT codelist has thousands of cells).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def yaml_text(value: Any) -> str:
    """A value as one line of YAML (flow style), as a cell holds it."""
    text = yaml.dump(value, Dumper=_DUMPER, default_flow_style=True, allow_unicode=True,
                     sort_keys=False, width=1 << 30)
    return text.removesuffix("\n...\n").rstrip("\n")


def to_cell(value: Any, kind: str) -> Any:
    # An empty list is a blank List cell, but a YAML cell says `[]`: study.yaml may hold one.
    if value is None or value == "" or (kind == LIST and not value):
        return None
    if kind == YAML:
        return yaml_text(value)
    if kind == LIST:
        return ", ".join(str(v) for v in value)
    if kind == YESNO:
        return "Yes" if value else "No"
    return value


def from_cell(value: Any, column: Column) -> Any:
    """A cell's value as its column's kind holds it; ValueError saying what was expected."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    kind = column.kind
    if kind == INT:
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise ValueError(f"{value!r} is not a whole number")
    text = _text(value)
    if kind == YAML:
        try:
            return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem", None) or "not YAML"
            raise ValueError(f"{text[:60]!r} is not a YAML value ({mark})") from None
    if kind == LIST:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if kind == YESNO:
        if text not in ("Yes", "No"):
            raise ValueError(f"{text!r} is not Yes or No")
        return text == "Yes"
    if column.choices and text not in column.choices:
        raise ValueError(f"{text!r} is not one of {', '.join(column.choices)}")
    return text


def _text(value: Any) -> str:
    """A cell as text: a whole number typed into Excel without its `.0`, a date as YYYY-MM-DD."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- study.yaml and friends as key/value rows ---------------------------------------------------

def flatten(tree: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A YAML document as rows {key, value}: a mapping section one row per key (`study.name`), a
    list of mappings one row per item (`visits[]`), anything else one row."""
    rows = []
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            rows += [{"key": f"{key}.{sub}", "value": item} for sub, item in value.items()]
        elif isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
            rows += [{"key": f"{key}[]", "value": item} for item in value]
        else:
            rows.append({"key": key, "value": value})
    return rows


def unflatten(rows: list[Row], file: str) -> tuple[dict[str, Any], list[Problem]]:
    """The document `flatten` made the rows of; problems for keys that contradict each other."""
    tree: dict[str, Any] = {}
    problems = []
    for row in rows:
        key, value = row["key"], row.get("value")
        if key.endswith("[]"):
            target = tree.setdefault(key[:-2], [])
            if isinstance(target, list):
                target.append(value)
                continue
        elif "." in key:
            section, _, sub = key.partition(".")
            target = tree.setdefault(section, {})
            if isinstance(target, dict) and sub not in target:
                target[sub] = value
                continue
        elif key not in tree:
            tree[key] = value
            continue
        problems.append(row.problem(file, "key", f"{key!r} repeats or contradicts an earlier row"))
    return tree, problems


# --- the workbook file --------------------------------------------------------------------------

def write_workbook(tables: Tables, path: str | Path) -> Path:
    """Every sheet of `SHEETS` (in order) with its header and `tables`' rows; the same tables give
    the same bytes (specs.ooxml.save_stable)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)  # streamed: a full CT codelist has thousands of rows
    bold = Font(bold=True)
    for name, columns in SHEETS.items():
        sheet = book.create_sheet(name)
        sheet.freeze_panes = "A2"
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=column.header)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in tables.get(name, ()):
            sheet.append([_cell(sheet, to_cell(row.get(c.field), c.kind) if c.field else None)
                          for c in columns])
    return save_stable(book.save, path)


def _cell(sheet: Any, value: Any) -> Any:
    """Text starting with '=' (a where clause) as text, never a formula for Excel to compute."""
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def read_workbook(path: str | Path, sheets: tuple[str, ...] = REQUIRED_SHEETS) -> dict[str, list[Row]]:
    """The rows of every known sheet of a workbook; SpecError naming sheet, row and column for a
    missing sheet (of `sheets`) or column, or a value that is not of its column's kind."""
    from python_calamine import CalamineWorkbook

    file = str(path)
    if not Path(path).is_file():
        raise SpecError([Problem(file, 0, "file not found")])
    try:
        book = CalamineWorkbook.from_path(file)
        found = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                 for name in SHEETS if name in book.sheet_names}
    except Exception as exc:  # noqa: BLE001 - calamine raises its own types for damaged files
        raise SpecError([Problem(file, 0, f"not an Excel workbook (.xlsx) that can be read: {exc}")],
                        ) from None
    problems = [Problem(file, 0, f"sheet {name} is missing (the workbook has "
                                 f"{', '.join(book.sheet_names)})")
                for name in sheets if name not in found]
    out: dict[str, list[Row]] = {}
    for name, columns in SHEETS.items():
        out[name], more = _sheet_rows(file, name, columns, iter(found.get(name, ())))
        problems += more
    if problems:
        raise SpecError(problems)
    return out


def _sheet_rows(file: str, name: str, columns: tuple[Column, ...],
                cells: Iterator[tuple]) -> tuple[list[Row], list[Problem]]:
    header = next(cells, None)
    if header is None:
        return [], []
    at = {str(h).strip(): i for i, h in enumerate(header) if h is not None}
    problems = [Problem(file, 0, f"sheet {name}, row 1: required column {c.header!r} is missing")
                for c in columns if c.required and c.header not in at]
    if problems:
        return [], problems
    rows = []
    for number, values in enumerate(cells, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        fields = {}
        for column in columns:
            if column.field is None or column.header not in at:
                continue
            index = at[column.header]
            try:
                value = from_cell(values[index] if index < len(values) else None, column)
            except ValueError as exc:
                problems.append(Problem(file, 0, f"{place(name, number, column.field)}: {exc}"))
                continue
            if value is None and column.required:
                problems.append(Problem(file, 0, f"{place(name, number, column.field)}: empty, "
                                                 f"a value is required"))
            fields[column.field] = value
        rows.append(Row(name, number, fields))
    return rows, problems
