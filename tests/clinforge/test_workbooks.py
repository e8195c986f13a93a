"""clinforge/workbooks.py through the command line: `clinforge spec export` and `spec import`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from clinforge.pipeline import methods
from define.writer import write_define
from specs.loader import load_study
from tests.bad_inputs.cli import invoke


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wb") / "ovarian.xlsx"
    result = invoke("spec", "export", "ovarian", "--out", path, "--quiet")
    assert result.exit_code == 0, result.output
    return path


def test_export_is_byte_identical(workbook, tmp_path):
    again = tmp_path / "again.xlsx"
    assert invoke("spec", "export", "ovarian", "--out", again, "-q").exit_code == 0
    assert again.read_bytes() == workbook.read_bytes()


def test_import_then_export_gives_the_same_workbook(workbook, tmp_path):
    # workbook → spec folder → workbook: the same bytes, so nothing was lost on the way.
    folder = tmp_path / "ovarian-specs"
    result = invoke("spec", "import", workbook, "--out", folder, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"] == {"sdtm": 21, "adam": 9, "study": 3}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folders left"
    again = tmp_path / "again.xlsx"
    assert invoke("spec", "export", folder, "--out", again, "-q").exit_code == 0
    assert again.read_bytes() == workbook.read_bytes()


def test_import_replaces_a_previous_folder_whole(workbook, tmp_path):
    folder = tmp_path / "specs"
    (folder / "sdtm").mkdir(parents=True)
    (folder / "sdtm" / "OLD.yaml").write_text("dataset: OLD\n")
    assert invoke("spec", "import", workbook, "--out", folder, "-q").exit_code == 0
    assert not (folder / "sdtm" / "OLD.yaml").exists() and (folder / "sdtm" / "AE.yaml").is_file()


def test_export_of_a_define_xml(tmp_path):
    study = load_study("cervical")
    define = tmp_path / "define.xml"
    write_define(study, "adam", None, define, methods=methods(study, "adam"))
    result = invoke("spec", "export", define, "--out", tmp_path / "define.xlsx", "--json")
    assert result.exit_code == 0, result.output
    book = load_workbook(tmp_path / "define.xlsx", read_only=True)
    datasets = [row[0] for row in book["Datasets"].iter_rows(min_row=2, values_only=True)]
    assert sorted(datasets) == sorted(study.adam)  # in define.xml's order: ADSL first
    # No mapping rules or study design in a define.xml: clinforge's sheets stay empty.
    assert len(list(book["clinforge Study"].iter_rows(values_only=True))) == 1


def test_export_default_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("spec", "export", "pharmaverse", "-q").exit_code == 0
    assert (tmp_path / "pharmaverse.xlsx").is_file()
