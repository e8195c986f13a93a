"""specs/workbook_export.py: what a study's specs and a define.xml put in the P21 sheets."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path

import pytest

from clinforge.pipeline import methods
from define.reader import read_define, read_study_header
from define.writer import write_define
from specs.errors import SpecError
from specs.loader import load_study
from specs.workbook import read_workbook, write_workbook
from specs.workbook_export import define_tables, study_codelists, study_tables
from specs.workbook_import import SAS_TYPES
from tests.reference import reference


@pytest.fixture(scope="module")
def ovarian():
    return load_study("ovarian")


@pytest.fixture(scope="module", params=["sdtm", "adam"])
def from_define(request, ovarian, tmp_path_factory) -> tuple[Path, dict]:
    """The define.xml clinforge writes for ovarian's SDTM or ADaM specs, and its workbook's rows."""
    folder = tmp_path_factory.mktemp(request.param)
    define = folder / "define.xml"
    write_define(ovarian, request.param, None, define, methods=methods(ovarian, request.param))
    header, documents = read_study_header(define)
    workbook = write_workbook(define_tables(*read_define(define), header, documents), folder / "d.xlsx")
    return define, read_workbook(workbook, sheets=())


def test_define_datasets_and_variables_match(from_define):
    define, rows = from_define
    datasets, _ = read_define(define)
    found = [(r["dataset"], r.get("label"), r.get("class"), r.get("keys") or ()) for r in rows["Datasets"]]
    assert found == [(s.name, s.label, s.dataset_class, s.keys) for s in datasets.values()]
    by_dataset = defaultdict(list)
    for r in rows["Variables"]:
        by_dataset[r["dataset"]].append(r)
    for name, spec in datasets.items():
        assert [(r["name"], r["label"], SAS_TYPES[r["data_type"]], r.get("length"), r.get("origin"),
                 r.get("codelist"), r.get("role")) for r in by_dataset[name]] == [
            (v.name, v.label, v.type, v.length, v.origin, v.codelist, v.role) for v in spec.variables], name


def test_define_methods_and_comments_match(from_define):
    define, rows = from_define
    datasets, _ = read_define(define)
    text = {r["id"]: r["description"] for r in rows["Methods"]}
    for r in rows["Variables"]:
        wanted = datasets[r["dataset"]].variable(r["name"]).method
        assert (text[r["method"]] if r.get("method") else None) == wanted, (r["dataset"], r["name"])
    assert len(text) >= sum(1 for s in datasets.values() for v in s.variables if v.method) > 10


def test_define_codelists_and_value_level_match(from_define):
    define, rows = from_define
    datasets, codelists = read_define(define)
    terms = defaultdict(list)
    for r in rows["Codelists"]:
        if r.get("value") is not None:
            terms[r["id"]].append((r["value"], r.get("decode"), r.get("term_c_code")))
    assert dict(terms) == {name: [(t.value, t.decode, t.c_code) for t in c.terms]
                           for name, c in codelists.items() if c.terms}
    assert rows["ValueLevel"], "ovarian has value-level metadata in SDTM and ADaM"
    wheres = defaultdict(dict)
    for r in rows["WhereClauses"]:
        wheres[r["id"]][r["variable"]] = tuple(r["value"])
    assert [(r["dataset"], r["variable"], wheres[r["where"]]) for r in rows["ValueLevel"]] == [
        (s.name, vl.variable, vl.where) for s in datasets.values() for vl in s.value_level]


def test_define_study_sheet(from_define, ovarian):
    _, rows = from_define
    assert {r["attribute"]: r.get("value") for r in rows["Study"]} == {
        "StudyName": ovarian.studyid, "StudyDescription": ovarian.title, "ProtocolName": ovarian.studyid}


def test_reference_define_documents():
    # A define.xml we did not write: the CDISC pilot's, with its annotated CRF as a document.
    path = reference("cdisc-pilot01-sdtm", "define.xml")
    header, documents = read_study_header(path)
    tables = define_tables(*read_define(path), header, documents)
    assert tables["Documents"] and all(d["href"] for d in tables["Documents"])
    assert {r["dataset"] for r in tables["Variables"]} == {r["dataset"] for r in tables["Datasets"]}


def test_study_sheets(ovarian):
    tables = study_tables(ovarian)
    # Every dataset, SUPP-- included (P21 lists it; import rebuilds it from the qualifiers).
    assert [r["dataset"] for r in tables["Datasets"]] == [*ovarian.sdtm, *ovarian.adam]
    assert len(tables["Variables"]) == sum(len(s.variables) for s in (*ovarian.sdtm.values(),
                                                                       *ovarian.adam.values()))
    # The variables' codelists and the study's own are all listed.
    listed = {r["id"] for r in tables["Codelists"]}
    assert {r["codelist"] for r in tables["Variables"] if r.get("codelist")} <= listed
    assert set(study_codelists(ovarian)) == listed
    # Mapping rules, qualifiers and study.yaml travel in clinforge's sheets.
    rules = sum(len(b.map) for s in ovarian.sdtm.values() for b in s.sources)
    assert len(tables["clinforge Sources"]) == rules
    assert {r["key"] for r in tables["clinforge Study"]} >= {"study.studyid", "visits[]", "arms[]"}
    ae = next(r for r in tables["Variables"] if (r["dataset"], r["name"]) == ("AE", "AESEQ"))
    assert ae["algorithm"] == "seq" and ae["origin"] == "Derived"


def test_a_where_value_with_a_comma_is_refused(ovarian):
    # P21's WhereClauses Value separates IN values by commas: such a value could not come back.
    lb = ovarian.sdtm["LB"]
    vl = dataclasses.replace(lb.value_level[0], where={"LBTESTCD": ("A,B",)})
    lb = dataclasses.replace(lb, value_level=(vl,))
    study = dataclasses.replace(ovarian, sdtm={**ovarian.sdtm, "LB": lb})
    with pytest.raises(SpecError, match="LB value_level .*'A,B' holds a comma"):
        study_tables(study)
