"""define/check.py: XSD messages, unresolved and unused references, and the data cross-checks."""

from __future__ import annotations

import pytest

from define.check import data_problems, reference_problems, schema_problems, validate_define
from define.odm import DEF, ODM, serialize
from define.writer import build_define

NS = {"odm": ODM, "def": DEF}


@pytest.fixture
def tree(study, data):
    return build_define(study, "sdtm", data["sdtm"])


def find(tree, path):
    return tree.getroot().find(path, NS)


def test_clean_document_has_no_problems(tree, data):
    assert validate_define(tree, data["sdtm"]) == []


def test_missing_codelist_is_found(tree):
    # The SEX codelist removed: its CodeListRef no longer resolves.
    codelist = find(tree, ".//odm:CodeList[@OID='CL.SEX']")
    codelist.getparent().remove(codelist)
    assert reference_problems(tree) == [
        "ItemDef IT.DM.SEX: CodeListRef CodeListOID='CL.SEX' does not resolve: no CodeList with OID 'CL.SEX'"]


@pytest.mark.parametrize(("path", "attribute", "expected"), [
    # A method, comment, value list, where clause, leaf and standard that do not exist.
    (".//odm:ItemRef[@ItemOID='IT.LB.LBSEQ']", "MethodOID", "no MethodDef with OID 'X'"),
    (".//odm:ItemDef[@OID='IT.LB.LBORRES']", f"{{{DEF}}}CommentOID", "no CommentDef with OID 'X'"),
    (".//def:ValueListRef", "ValueListOID", "no ValueListDef with OID 'X'"),
    (".//def:WhereClauseRef", "WhereClauseOID", "no WhereClauseDef with OID 'X'"),
    (".//odm:ItemGroupDef[@OID='IG.LB']", f"{{{DEF}}}ArchiveLocationID", "no leaf with ID 'X'"),
    (".//odm:ItemGroupDef[@OID='IG.LB']", f"{{{DEF}}}StandardOID", "no Standard with OID 'X'"),
    (".//odm:RangeCheck", f"{{{DEF}}}ItemOID", "no ItemDef with OID 'X'"),
])
def test_broken_references_are_found(tree, path, attribute, expected):
    find(tree, path).set(attribute, "X")
    assert any(expected in p for p in reference_problems(tree))


def test_item_ref_to_nothing_and_unused_item(tree):
    # An ItemRef renamed: it points nowhere, and the ItemDef it pointed to is now unused.
    find(tree, ".//odm:ItemRef[@ItemOID='IT.DM.AGE']").set("ItemOID", "IT.DM.AGEX")
    assert reference_problems(tree) == [
        "ItemGroupDef IG.DM: ItemRef ItemOID='IT.DM.AGEX' does not resolve: no ItemDef with OID 'IT.DM.AGEX'",
        "ItemDef 'IT.DM.AGE' is never referenced",
    ]


def test_duplicate_oid_is_found(tree):
    find(tree, ".//odm:MethodDef[@OID='MT.LB.LBSEQ']").set("OID", "MT.DM.USUBJID")
    problems = reference_problems(tree)
    assert "MethodDef OID 'MT.DM.USUBJID' is defined 2 times" in problems
    assert any("no MethodDef with OID 'MT.LB.LBSEQ'" in p for p in problems)


def test_schema_messages_name_the_line(tree):
    # An origin type outside the Define-XML 2.1 enumeration fails the XSD at its line.
    find(tree, ".//odm:ItemDef[@OID='IT.DM.SEX']/def:Origin").set("Type", "CRF")
    problems = schema_problems(tree)
    line = next(i for i, text in enumerate(serialize(tree).decode().splitlines(), start=1)
                if 'Type="CRF"' in text)
    assert len(problems) == 1 and problems[0].startswith(f"XSD line {line}:") and "CRF" in problems[0]


def test_schema_check_reads_files(tree, tmp_path):
    path = tmp_path / "define.xml"
    path.write_bytes(serialize(tree))
    assert schema_problems(path) == []


def test_data_cross_checks(tree, data):
    frames = dict(data["sdtm"])
    # A dataset without ItemGroupDef, a column without ItemRef, a variable without column, and
    # a value longer than the define.xml Length.
    frames["AE"] = frames["DM"][["STUDYID"]]
    frames["DM"] = frames["DM"].drop(columns="AGE").assign(DMXTRA="x")
    frames["LB"] = frames["LB"].assign(LBTESTCD=frames["LB"]["LBTESTCD"].replace("IL6", "IL6LONGER"))
    frames.pop("SUPPDM")
    assert data_problems(tree, frames) == [
        "dataset AE has no ItemGroupDef in define.xml",
        "dataset DM: column DMXTRA has no ItemRef in ItemGroupDef IG.DM",
        "ItemGroupDef IG.DM: variable AGE is not a column of dataset DM",
        "LB.LBTESTCD: define.xml Length 8 is shorter than the longest value (9 bytes)",
        "ItemGroupDef IG.SUPPDM: no dataset SUPPDM in the data",
    ]


def test_file_widths_must_equal_lengths(tree, data):
    # A frame read from XPT carries its widths: a wider file than define.xml says is a mismatch.
    dm = data["sdtm"]["DM"].copy()
    dm.attrs["lengths"] = {"USUBJID": 20, "SEX": 1}
    assert data_problems(tree, {**data["sdtm"], "DM": dm}) == [
        "DM.USUBJID: define.xml Length 15 but the file's width is 20"]
