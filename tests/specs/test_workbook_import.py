"""specs/workbook_import.py: spec → workbook → spec is exact for every shipped study, and a bad
workbook is refused with every problem named by sheet, row and column."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook

from clinforge.pipeline import methods
from define.odm import serialize
from define.writer import build_define
from specs.errors import SpecError
from specs.loader import load_study, study_names
from specs.model import Study
from specs.workbook import write_workbook
from specs.workbook_export import study_tables
from specs.workbook_import import study_files, write_files

# Where a spec was written (file, line, folder) differs between the two folders by design.
WHERE = {"file", "line", "places", "folder", "spec_files"}


def comparable(value: Any) -> Any:
    """A loaded study as plain values, without where each part was written; the codelists compared
    by name apart (`codelists_of`)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, {f.name: comparable(getattr(value, f.name))
                                       for f in dataclasses.fields(value)
                                       if f.name not in WHERE and f.name != "codelists"})
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [comparable(v) for v in value]
    return value


def codelists_of(study: Study, names: set[str]) -> dict[str, Any]:
    return {name: study.codelists.get(name) for name in sorted(names)}


def reimport(study: Study, folder: Path, store=None) -> Path:
    """Export `study` to a workbook and import it into `folder`/imported; the workbook's path."""
    workbook = write_workbook(study_tables(study), folder / f"{study.name}.xlsx")
    write_files(study_files(workbook, store), (folder / "imported"))
    return workbook


@pytest.fixture(scope="module", params=study_names())
def round_trip(request, tmp_path_factory) -> tuple[Study, Study, Path]:
    original = load_study(request.param)
    folder = tmp_path_factory.mktemp(request.param)
    workbook = reimport(original, folder)
    return original, load_study(folder / "imported"), workbook


def test_round_trip_gives_the_same_study(round_trip):
    original, again, _ = round_trip
    assert comparable(again) == comparable(original)
    names = set(original.codelists.own) | set(again.codelists.own)
    assert codelists_of(again, names) == codelists_of(original, names)
    # What is compared is the whole study: every dataset, variable and mapping rule is in it.
    assert set(again.sdtm) == set(original.sdtm) and set(again.adam) == set(original.adam)
    assert sum(len(s.variables) for s in again.adam.values()) > 50


@pytest.mark.parametrize("kind", ["sdtm", "adam"])
def test_round_trip_gives_the_same_define_xml(round_trip, kind):
    original, again, _ = round_trip
    before = serialize(build_define(original, kind, None, methods=methods(original, kind)))
    after = serialize(build_define(again, kind, None, methods=methods(again, kind)))
    assert after == before


def test_the_comparison_sees_a_change(round_trip, tmp_path):
    # Control: one label changed in the workbook is a different study after import.
    original, _, workbook = round_trip
    book = load_workbook(workbook)
    sheet = book["Variables"]
    label = [c.value for c in sheet[1]].index("Label") + 1
    sheet.cell(2, label).value = "Changed"
    book.save(tmp_path / "changed.xlsx")
    write_files(study_files(tmp_path / "changed.xlsx"), tmp_path / "changed")
    assert comparable(load_study(tmp_path / "changed")) != comparable(original)


def test_imported_folder_is_flat(round_trip, tmp_path):
    # No `extends:` anywhere: every dataset states its variables' metadata in full.
    _, again, _ = round_trip
    texts = [p.read_text() for p in Path(again.folder).rglob("*.yaml")]
    assert texts and not any("extends:" in t for t in texts if "codelists:" not in t)


def test_study_codelists_extend_cdisc_ones(tmp_path):
    # A study's extension of a CDISC codelist is imported as `extends:` with the added terms, so
    # the codelist keeps its CDISC source; a sponsor codelist is written whole.
    original = load_study("ovarian")
    reimport(original, tmp_path)
    entries = yaml.safe_load((tmp_path / "imported" / "codelists.yaml").read_text())["codelists"]
    extended = [e for e in entries if "extends" in e]
    assert extended, "ovarian extends CDISC codelists"
    for entry in extended:
        codelist = original.codelists[entry["name"]]
        assert codelist.source is not None
        assert {t["value"] for t in entry["terms"]} <= set(codelist.values())
    whole = [e for e in entries if "extends" not in e]
    assert all(original.codelists[e["name"]].source is None for e in whole)


def test_round_trip_with_the_full_cdisc_packages(ct_store, tmp_path):
    # With the complete CT packages imported the extensions are of the full codelists.
    original = load_study("ovarian", ct_store)
    reimport(original, tmp_path, ct_store)
    again = load_study(tmp_path / "imported", ct_store)
    assert comparable(again) == comparable(original)
    names = set(original.codelists.own) | set(again.codelists.own)
    assert codelists_of(again, names) == codelists_of(original, names)


# --- refusals ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    return write_workbook(study_tables(load_study("ovarian")), tmp_path_factory.mktemp("wb") / "ov.xlsx")


def damaged(exported: Path, tmp_path: Path, sheet: str, column: str, value: Any, row: int = 2) -> Path:
    book = load_workbook(exported)
    cells = book[sheet]
    at = [c.value for c in cells[1]].index(column) + 1
    cells.cell(row, at).value = value
    path = tmp_path / "damaged.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize(("sheet", "column", "value", "row", "says"), [
    ("Variables", "Codelist", "NOSUCH", 2,
     "sheet Variables, row 2, column Codelist: unknown codelist 'NOSUCH': not in sheet Codelists"),
    ("Variables", "Origin", "CRF", 2,
     "sheet Variables, row 2, column Origin: 'CRF' is not one of Collected, Derived"),
    ("Variables", "Data Type", "string", 2,
     "sheet Variables, row 2, column Data Type: 'string' is not a Define-XML data type"),
    ("Variables", "Variable", "DOMAIN", 2,
     "sheet Variables, row 3, column Variable: variable DOMAIN repeats row 2 of"),
    ("Variables", "Method", "MT.NONE", 2,
     "sheet Variables, row 2, column Method: no method in sheet Methods with ID 'MT.NONE'"),
    ("Variables", "Dataset", "XX", 2, "sheet Variables, row 2, column Dataset: dataset XX is not in sheet"),
    ("Datasets", "Key Variables", "STUDYID, NOPE", 2,
     "sheet Datasets, row 2, column Key Variables: key NOPE is not among the variables of"),
    ("ValueLevel", "Where Clause", "WC.NONE", 2,
     "sheet ValueLevel, row 2, column Where Clause: no where clause in sheet WhereClauses with ID 'WC.NONE'"),
    ("clinforge Sources", "With", "{by: [", 2, "sheet clinforge Sources, row 2, column With: "),
])
def test_bad_value_is_named(exported, tmp_path, sheet, column, value, row, says):
    with pytest.raises(SpecError) as caught:
        study_files(damaged(exported, tmp_path, sheet, column, value, row))
    messages = [p.message for p in caught.value.problems]
    assert any(m.startswith(says) for m in messages), messages


def test_workbook_from_define_xml_is_not_a_study(exported, tmp_path):
    book = load_workbook(exported)
    sheet = book["clinforge Study"]
    sheet.delete_rows(2, sheet.max_row)
    book.save(tmp_path / "no-study.xlsx")
    with pytest.raises(SpecError, match="does not carry study.yaml"):
        study_files(tmp_path / "no-study.xlsx")
