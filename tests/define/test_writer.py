"""define/writer.py: Define-XML 2.1 from the specs and the data of a small study and the shipped ones."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from define.check import validate_define
from define.odm import DEF, ODM, DefineError, serialize
from define.writer import build_define, write_define
from sdtm.trial_design import build_ta, build_te, build_tv
from specs.loader import load_study, study_names

NS = {"odm": ODM, "def": DEF, "xlink": "http://www.w3.org/1999/xlink"}


def one(tree, path):
    found = tree.getroot().findall(path, NS)
    assert len(found) == 1, f"{path}: {len(found)} elements"
    return found[0]


def attrs(tree, path):
    return dict(one(tree, path).attrib)


def texts_of(tree, path):
    return [e.text for e in tree.getroot().iterfind(path, NS)]


def names(tree):
    return [g.get("Name") for g in tree.getroot().iterfind(".//odm:ItemGroupDef", NS)]


@pytest.fixture
def sdtm(study, data):
    return build_define(study, "sdtm", data["sdtm"])


@pytest.fixture
def adam(study, data):
    return build_define(study, "adam", data["adam"])


def test_small_study_is_schema_valid_and_consistent(study, data, sdtm, adam):
    # Both documents pass the official XSD, every reference resolves, and they match the data.
    assert validate_define(sdtm, data["sdtm"]) == []
    assert validate_define(adam, data["adam"]) == []


def test_root_standards_and_study(sdtm, adam):
    root = sdtm.getroot()
    assert root.get("FileType") == "Snapshot" and root.get("ODMVersion") == "1.3.2"
    assert root.get(f"{{{DEF}}}Context") == "Submission"
    assert one(sdtm, ".//odm:GlobalVariables/odm:StudyName").text == "MINI-01"
    # SDTMIG 3.4 and the SDTM CT package of specs/ct; ADaMIG 1.3 plus the CT packages it uses.
    standards = [dict(s.attrib) for s in sdtm.getroot().iterfind(".//def:Standard", NS)]
    assert [(s["Name"], s["Type"], s["Version"]) for s in standards] == [
        ("SDTMIG", "IG", "3.4"), ("CDISC/NCI", "CT", "2024-03-29")]
    names = [(s.get("Name"), s.get("PublishingSet")) for s in adam.getroot().iterfind(".//def:Standard", NS)]
    assert names == [("ADaMIG", None), ("CDISC/NCI", "SDTM")]


def test_item_group_attributes(sdtm):
    # DM: not repeating, not reference data, Tabulation, structure, class element, leaf to dm.xpt.
    dm = attrs(sdtm, ".//odm:ItemGroupDef[@OID='IG.DM']")
    assert dm["Name"] == dm["SASDatasetName"] == dm["Domain"] == "DM"
    assert (dm["Repeating"], dm["IsReferenceData"], dm["Purpose"]) == ("No", "No", "Tabulation")
    assert dm[f"{{{DEF}}}Structure"] == "One record per subject"
    assert dm[f"{{{DEF}}}ArchiveLocationID"] == "LF.DM"
    assert dm[f"{{{DEF}}}CommentOID"] == "COM.DM"
    assert attrs(sdtm, ".//odm:ItemGroupDef[@OID='IG.DM']/def:Class") == {"Name": "SPECIAL PURPOSE"}
    leaf = one(sdtm, ".//odm:ItemGroupDef[@OID='IG.DM']/def:leaf")
    assert leaf.get(f"{{{NS['xlink']}}}href") == "dm.xpt" and leaf.get("ID") == "LF.DM"
    # SUPPDM belongs to domain DM and is a RELATIONSHIP dataset.
    supp = attrs(sdtm, ".//odm:ItemGroupDef[@OID='IG.SUPPDM']")
    assert supp["Domain"] == "DM" and supp["Repeating"] == "Yes"


def test_item_refs(sdtm, adam):
    refs = {r.get("ItemOID"): dict(r.attrib) for r in
            sdtm.getroot().iterfind(".//odm:ItemGroupDef[@OID='IG.LB']/odm:ItemRef", NS)}
    # Order, keys in key order, Mandatory from core Req, method of a derived variable, SDTM role.
    assert [r["OrderNumber"] for r in refs.values()] == [str(i) for i in range(1, 10)]
    keys = {oid: r.get("KeySequence") for oid, r in refs.items() if r.get("KeySequence")}
    assert keys == {"IT.LB.STUDYID": "1", "IT.LB.USUBJID": "2", "IT.LB.LBTESTCD": "3", "IT.LB.LBDTC": "4"}
    assert refs["IT.LB.LBSEQ"]["Mandatory"] == "Yes" and refs["IT.LB.LBORRES"]["Mandatory"] == "No"
    assert refs["IT.LB.LBSEQ"]["MethodOID"] == "MT.LB.LBSEQ"
    assert refs["IT.LB.LBTESTCD"]["Role"] == "Topic"
    # ADaM item refs carry no Role.
    assert all(r.get("Role") is None for r in adam.getroot().iterfind(".//odm:ItemRef", NS))


def test_data_types_lengths_and_digits(sdtm, adam):
    def item(tree, oid):
        return attrs(tree, f".//odm:ItemDef[@OID='{oid}']")
    # Longest value in bytes; a spec's fixed length wins; numbers are 8.
    assert item(sdtm, "IT.DM.USUBJID")["Length"] == "15"
    assert item(sdtm, "IT.DM.COUNTRY")["Length"] == "3"
    assert (item(sdtm, "IT.DM.AGE")["DataType"], item(sdtm, "IT.DM.AGE")["Length"]) == ("integer", "8")
    # --DTC: date when no value has a time part, datetime otherwise; no Length for ISO 8601 types.
    assert item(sdtm, "IT.DM.BRTHDTC")["DataType"] == "date" and "Length" not in item(sdtm, "IT.DM.BRTHDTC")
    assert item(sdtm, "IT.DM.RFSTDTC")["DataType"] == "datetime"
    # A float takes the decimals its data need.
    assert (item(sdtm, "IT.LB.LBSTRESN")["DataType"], item(sdtm, "IT.LB.LBSTRESN")["SignificantDigits"]) \
        == ("float", "2")
    # ADaM numeric date: integer with its display format.
    trtsdt = item(adam, "IT.ADSL.TRTSDT")
    assert (trtsdt["DataType"], trtsdt[f"{{{DEF}}}DisplayFormat"]) == ("integer", "DATE9.")


def test_origins(sdtm, adam):
    def origin(tree, oid):
        element = one(tree, f".//odm:ItemDef[@OID='{oid}']/def:Origin")
        text = element.find("odm:Description/odm:TranslatedText", NS)
        return element.get("Type"), element.get("Source"), None if text is None else text.text
    assert origin(sdtm, "IT.DM.SEX") == ("Collected", "Investigator", None)  # default source
    assert origin(sdtm, "IT.DM.COUNTRY") == ("Assigned", "Vendor", None)  # source from the spec
    assert origin(sdtm, "IT.DM.USUBJID") == ("Derived", "Sponsor", None)
    assert origin(sdtm, "IT.DM.STUDYID") == ("Protocol", "Sponsor", None)
    assert origin(adam, "IT.ADSL.AGE") == ("Predecessor", None, "DM.AGE")


def test_value_level(sdtm, adam):
    # One ValueListDef per variable, an ItemRef per entry with its WhereClauseRef.
    refs = sdtm.getroot().findall(".//def:ValueListDef[@OID='VL.LB.LBORRES']/odm:ItemRef", NS)
    assert [r.get("ItemOID") for r in refs] == [
        "IT.LB.LBORRES.LBTESTCD.CD19CART", "IT.LB.LBORRES.LBTESTCD.IL6.IFNG", "IT.LB.LBORRES.LBTESTCD.GHOST"]
    assert one(sdtm, ".//odm:ItemDef[@OID='IT.LB.LBORRES']/def:ValueListRef").get("ValueListOID") \
        == "VL.LB.LBORRES"
    # EQ for one value, IN for several, on the LBTESTCD item.
    check = attrs(sdtm, ".//def:WhereClauseDef[@OID='WC.LB.LBORRES.LBTESTCD.IL6.IFNG']/odm:RangeCheck")
    assert (check["Comparator"], check["SoftHard"], check[f"{{{DEF}}}ItemOID"]) == \
        ("IN", "Soft", "IT.LB.LBTESTCD")
    clause = ".//def:WhereClauseDef[@OID='WC.LB.LBORRES.LBTESTCD.IL6.IFNG']"
    assert texts_of(sdtm, clause + "//odm:CheckValue") == ["IL6", "IFNG"]
    # A value-level entry with no rows is flagged; a Num slice of a Char column is float with the
    # digits its data need and the width of its text; a Char slice stays text.
    assert refs[2].get(f"{{{DEF}}}HasNoData") == "Yes" and refs[0].get(f"{{{DEF}}}HasNoData") is None
    cytokine = attrs(sdtm, ".//odm:ItemDef[@OID='IT.LB.LBORRES.LBTESTCD.IL6.IFNG']")
    assert (cytokine["DataType"], cytokine["SignificantDigits"], cytokine["Length"]) == ("float", "2", "4")
    assert attrs(sdtm, ".//odm:ItemDef[@OID='IT.LB.LBORRES.LBTESTCD.CD19CART']")["DataType"] == "text"
    # Units are MeasurementUnits; methods of value-level entries are MethodDefs.
    unit = one(sdtm, ".//odm:ItemDef[@OID='IT.LB.LBORRES.LBTESTCD.CD19CART']/odm:MeasurementUnitRef")
    unit_oid = unit.get("MeasurementUnitOID")
    assert attrs(sdtm, f".//odm:MeasurementUnit[@OID='{unit_oid}']")["Name"] == "cells/uL"
    assert refs[1].get("MethodOID") == "MT.LB.LBORRES.LBTESTCD.IL6.IFNG"
    # BDS by PARAMCD.
    assert [r.get("ItemOID") for r in adam.getroot().iterfind(".//def:ValueListDef/odm:ItemRef", NS)] == [
        "IT.ADTTE.AVAL.PARAMCD.OS", "IT.ADTTE.AVAL.PARAMCD.PFS"]


def test_codelists(sdtm, adam):
    def codelist(tree, oid):
        return one(tree, f".//odm:CodeList[@OID='{oid}']")
    # Only the terms the data use, with their NCI codes; the codelist's own code as Alias.
    sex = codelist(sdtm, "CL.SEX")
    assert [i.get("CodedValue") for i in sex.iterfind("odm:CodeListItem", NS)] == ["F", "M"]
    assert sex.find("odm:CodeListItem/odm:Alias", NS).attrib == {"Context": "nci:ExtCodeID", "Name": "C16576"}
    assert sex.find("odm:Alias", NS).get("Name") == "C66731"
    assert sex.get(f"{{{DEF}}}StandardOID") == "STD.CT.SDTM.2024-03-29"
    # Sponsor terms added to an extensible CDISC codelist are flagged as extended values.
    unit = codelist(sdtm, "CL.UNIT")
    items = unit.iterfind("odm:EnumeratedItem", NS)
    assert {i.get("CodedValue"): i.get(f"{{{DEF}}}ExtendedValue") for i in items} == {
        "cells/uL": "Yes", "pg/mL": "Yes"}
    assert unit.get(f"{{{DEF}}}StandardOID") == "STD.CT.SDTM.2024-03-29"
    # A sponsor codelist has no standard and no code; unused terms (GHOST) are left out.
    sponsor = codelist(sdtm, "CL.LBTESTCD_SP")
    assert sponsor.get(f"{{{DEF}}}StandardOID") is None and sponsor.find("odm:Alias", NS) is None
    assert [i.get("CodedValue") for i in sponsor.iterfind("odm:EnumeratedItem", NS)] == [
        "CD19CART", "IL6", "IFNG"]
    # Decodes make CodeListItems; without decodes, EnumeratedItems.
    assert texts_of(adam, ".//odm:CodeList[@OID='CL.PARAMCD_ADTTE']//odm:Decode/odm:TranslatedText") == [
        "Overall Survival", "Progression-Free Survival"]
    assert codelist(sdtm, "CL.LBTESTCD_SP").find("odm:EnumeratedItem", NS) is not None
    # Codelists nobody uses (PARAMCD_ADTTE in SDTM) are not written.
    assert sdtm.getroot().find(".//odm:CodeList[@OID='CL.PARAMCD_ADTTE']", NS) is None


def test_methods_comments_and_subclass(sdtm, adam):
    assert one(sdtm, ".//odm:MethodDef[@OID='MT.LB.LBSEQ']/odm:Description/odm:TranslatedText").text == \
        "Record number within the subject, in key order."
    assert one(sdtm, ".//def:CommentDef[@OID='COM.LB.LBORRES']//odm:TranslatedText").text == \
        "As reported by the central laboratory."
    assert attrs(adam, ".//odm:ItemGroupDef[@OID='IG.ADTTE']/def:Class/def:SubClass") == {
        "Name": "TIME-TO-EVENT"}
    assert attrs(adam, ".//odm:ItemGroupDef[@OID='IG.ADTTE']")["Purpose"] == "Analysis"
    assert one(adam, ".//odm:ItemGroupDef[@OID='IG.ADSL']/def:Class").find("def:SubClass", NS) is None


def test_documents_become_leaves(study, data):
    # The annotated CRF is def:AnnotatedCRF, other documents def:SupplementalDoc, each with its leaf.
    tree = build_define(study, "sdtm", data["sdtm"], documents={"acrf": "acrf.pdf", "SDRG": "sdrg.pdf"})
    assert validate_define(tree) == []
    assert attrs(tree, ".//def:AnnotatedCRF/def:DocumentRef") == {"leafID": "LF.acrf"}
    assert attrs(tree, ".//def:SupplementalDoc/def:DocumentRef") == {"leafID": "LF.SDRG"}
    assert one(tree, "./odm:Study/odm:MetaDataVersion/def:leaf[@ID='LF.SDRG']").get(
        f"{{{NS['xlink']}}}href") == "sdrg.pdf"


def test_output_is_deterministic(study, data, monkeypatch):
    # Same inputs, same bytes; SOURCE_DATE_EPOCH wins over the parameter, which wins over the default.
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = serialize(build_define(study, "sdtm", data["sdtm"]))
    assert first == serialize(build_define(study, "sdtm", data["sdtm"]))
    assert b'CreationDateTime="1980-01-01T00:00:00+00:00"' in first
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert build_define(study, "sdtm", None, creation_datetime=when).getroot().get("CreationDateTime") \
        == "2024-05-01T12:00:00+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_define(study, "sdtm", None, creation_datetime=when).getroot().get("CreationDateTime") \
        == "2023-11-14T22:13:20+00:00"


def test_write_define_writes_a_valid_file(study, data, tmp_path):
    path = write_define(study, "adam", data["adam"], tmp_path / "define.xml")
    assert path.read_bytes().startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert validate_define(path, data["adam"]) == []
    assert [p.name for p in tmp_path.iterdir()] == ["define.xml"]


def test_write_define_refuses_an_invalid_document(study, data, tmp_path):
    # A class outside the Define-XML 2.1 list fails the XSD: nothing is written.
    lb = dataclasses.replace(study.sdtm["LB"], dataset_class="LAB FINDINGS")
    broken = dataclasses.replace(study, sdtm={**study.sdtm, "LB": lb})
    with pytest.raises(DefineError, match="not written") as error:
        write_define(broken, "sdtm", data["sdtm"], tmp_path / "define.xml")
    assert any("XSD" in p and "LAB FINDINGS" in p for p in error.value.problems)
    # A column the spec does not know cannot be described: refused too.
    extra = {**data["sdtm"], "DM": data["sdtm"]["DM"].assign(DMXTRA="x")}
    with pytest.raises(DefineError) as error:
        write_define(study, "sdtm", extra, tmp_path / "define.xml")
    assert error.value.problems == ["dataset DM: column DMXTRA has no ItemRef in ItemGroupDef IG.DM"]
    assert list(tmp_path.iterdir()) == []


def test_unknown_codelist_is_an_error(study, data):
    dm = study.sdtm["DM"]
    sex = dataclasses.replace(dm.variable("SEX"), codelist="GENDER")
    spec = dataclasses.replace(dm, variables=tuple(sex if v.name == "SEX" else v for v in dm.variables))
    with pytest.raises(DefineError, match="DM.SEX uses codelist 'GENDER'"):
        build_define(dataclasses.replace(study, sdtm={**study.sdtm, "DM": spec}), "sdtm", data["sdtm"])


def test_only_datasets_with_data_are_described(study, data):
    # Given data, the define describes those datasets; without data, every spec.
    tree = build_define(study, "sdtm", {"DM": data["sdtm"]["DM"]})
    assert names(tree) == ["DM"]
    tree = build_define(study, "sdtm", None)
    assert names(tree) == ["DM", "LB", "SUPPDM"]
    assert validate_define(tree) == []


@pytest.mark.parametrize("name", study_names())
@pytest.mark.parametrize("kind", ["sdtm", "adam"])
def test_shipped_specs_give_valid_documents(name, kind):
    # Every shipped study's specs, as far as they exist, make a schema-valid, consistent define.xml.
    study = load_study(name)
    tree = build_define(study, kind, None)
    assert validate_define(tree) == []
    specs = study.sdtm if kind == "sdtm" else study.adam
    assert len(tree.getroot().findall(".//odm:ItemGroupDef", NS)) == len(specs)


@pytest.mark.parametrize("name", ["ovarian", "cervical"])
def test_shipped_trial_design_data(name):
    # Trial design datasets built from the shipped specs: valid, and lengths measured on the data.
    study = load_study(name)
    frames = {"TA": build_ta(study), "TE": build_te(study), "TV": build_tv(study)}
    tree = build_define(study, "sdtm", frames)
    assert validate_define(tree, frames) == []
    te = tree.getroot().find(".//odm:ItemDef[@OID='IT.TE.ELEMENT']", NS)
    assert int(te.get("Length")) == frames["TE"]["ELEMENT"].str.len().max()
    assert tree.getroot().find(".//odm:ItemGroupDef[@OID='IG.TA']", NS).get("IsReferenceData") == "Yes"


def test_lengths_of_written_xpt_files(study, data, tmp_path):
    # Datasets written as XPT and read back carry their column widths; define.xml must agree.
    from specs.readers import read_folder
    from specs.xpt import write_dataset

    for name, frame in data["sdtm"].items():
        write_dataset(frame, study.sdtm[name], tmp_path)
    frames = read_folder(tmp_path)
    tree = build_define(study, "sdtm", frames)
    assert validate_define(tree, frames) == []
    assert frames["DM"].attrs["lengths"]["USUBJID"] == 15


def test_method_texts_replace_the_spec(study, data):
    # Text from the rule objects (given by the pipeline) replaces the spec's static method text,
    # and gives a method to a variable whose spec has none.
    texts = {("ADTTE", "CNSR"): "PARAMCD = OS: 0 at death, else 1.", ("ADTTE", "PARAM"): "From PARAMCD."}
    tree = build_define(study, "adam", data["adam"], methods=texts)
    assert validate_define(tree, data["adam"]) == []
    assert texts_of(tree, ".//odm:MethodDef[@OID='MT.ADTTE.CNSR']//odm:TranslatedText") == [
        "PARAMCD = OS: 0 at death, else 1."]
    assert one(tree, ".//odm:ItemRef[@ItemOID='IT.ADTTE.PARAM']").get("MethodOID") == "MT.ADTTE.PARAM"


def test_method_texts_of_the_adam_rule_objects():
    # The shipped pharmaverse ADaM specs with the method text adam.methods builds from its rules.
    from adam.methods import methods

    study = load_study("pharmaverse")
    texts = methods(study)
    tree = build_define(study, "adam", None, methods=texts)
    assert validate_define(tree) == []
    for (dataset, variable), text in texts.items():
        assert texts_of(tree, f".//odm:MethodDef[@OID='MT.{dataset}.{variable}']//odm:TranslatedText") == [
            text.strip()]


def test_supp_value_level_lists_the_pieces_of_text_over_200_characters():
    # SDTMIG 4.5.3.2: a 450-character AETERM leaves AETERM1 and AETERM2 in SUPPAE, and
    # define.xml describes both as QVAL value-level metadata, as the data has them.
    from sdtm.supp import derive_supp, split_long_text
    from specs.textsplit import with_text_splits
    from tests.sdtm.rawforms import TREATED, convert_some, raw_forms

    study = load_study("ovarian")
    term = " ".join(["cytokine release syndrome with hypotension"] * 11)[:450]
    ae_row = {"SUBJID": "001", "AETERM": term, "AEDECOD": "Cytokine release syndrome",
              "AESTDAT": "16 MAR 2024", "AEGRSCL": "ASTCT 2019", "AEGRADE": "2", "AESER": "No"}
    ae = split_long_text(convert_some(study, raw_forms(study, **(TREATED | {"ae": [ae_row]})), "AE")["AE"],
                         study.sdtm["AE"])
    frames = {"AE": ae, "SUPPAE": derive_supp(ae, study.sdtm["AE"], study.studyid)}
    tree = build_define(with_text_splits(study, frames), "sdtm", frames)
    assert validate_define(tree, frames) == []
    refs = tree.getroot().findall(".//def:ValueListDef[@OID='VL.SUPPAE.QVAL']/odm:ItemRef", NS)
    assert [r.get("ItemOID") for r in refs] == [
        "IT.SUPPAE.QVAL.QNAM.AEGRSCL", "IT.SUPPAE.QVAL.QNAM.AETERM1", "IT.SUPPAE.QVAL.QNAM.AETERM2"]
    assert texts_of(tree, ".//def:WhereClauseDef[@OID='WC.SUPPAE.QVAL.QNAM.AETERM2']//odm:CheckValue") == [
        "AETERM2"]
    assert texts_of(tree, ".//odm:ItemDef[@OID='IT.SUPPAE.QVAL.QNAM.AETERM1']/odm:Description/"
                          "odm:TranslatedText") == ["Reported Term for the Adverse Event"]


# --- with the CDISC CT package and the implementation guide imported (issue #13) ------------------

NCI = "nci:ExtCodeID"


def _codelist_aliases(tree):
    """CodeList OID → (StandardOID, codelist C-code, {term: (C-code, extended)})."""
    out = {}
    for element in tree.getroot().iterfind(".//odm:CodeList", NS):
        alias = element.find("odm:Alias", NS)
        items = element.findall("odm:CodeListItem", NS) + element.findall("odm:EnumeratedItem", NS)
        terms = {}
        for item in items:
            code = item.find("odm:Alias", NS)
            terms[item.get("CodedValue")] = (code.get("Name") if code is not None else None,
                                             item.get(f"{{{DEF}}}ExtendedValue"))
        out[element.get("OID")] = (element.get(f"{{{DEF}}}StandardOID"),
                                   alias.get("Name") if alias is not None else None, terms)
    return out


@pytest.mark.parametrize("kind", ["sdtm", "adam"])
def test_every_cdisc_codelist_and_term_carries_its_c_code(ct_store, kind):
    study = load_study("ovarian", ct_store)
    tree = build_define(study, kind)
    assert validate_define(tree, None) == []
    standards = [(s.get("Type"), s.get("PublishingSet"), s.get("Version"))
                 for s in tree.getroot().iterfind(".//def:Standard", NS) if s.get("Type") == "CT"]
    assert ("CT", "SDTM", "2025-03-28") in standards
    assert (("CT", "ADaM", "2025-03-28") in standards) == (kind == "adam")
    codelists = _codelist_aliases(tree)
    for oid, (standard, code, terms) in codelists.items():
        if standard is None:  # a sponsor codelist: no C-codes
            assert code is None and all(c is None for c, _ in terms.values()), oid
            continue
        assert standard.endswith(".2025-03-28") and code and code.startswith("C"), oid
        for value, (term_code, extended) in terms.items():
            # each term has its NCI code, or is a sponsor extension marked as such
            assert (term_code is None) == (extended == "Yes"), (oid, value)
    if kind == "adam":
        assert codelists["CL.DTYPE"][:2] == ("STD.CT.ADAM.2025-03-28", "C81224")
        assert codelists["CL.DTYPE"][2]["BLQ"] == (None, "Yes")
        assert codelists["CL.DATEFL"][1] == "C81223" and codelists["CL.TIMEFL"][1] == "C81226"
    else:
        assert codelists["CL.UNIT"][2]["10^6 cells/kg"] == (None, "Yes")
        assert codelists["CL.NY"][2]["Y"] == ("C49488", None)
    aliases = [a for a in tree.getroot().iterfind(".//odm:CodeList//odm:Alias", NS)]
    assert aliases and {a.get("Context") for a in aliases} == {NCI}


def test_an_imported_guide_makes_every_sdtmig_domain_standard(ct_store):
    # Physical examination is not among the shipped standards' domains; SDTMIG 3.4 imported knows PE.
    study = load_study("ovarian", ct_store)
    pe = dataclasses.replace(study.guides["sdtm"]["PE"], keys=("STUDYID", "USUBJID", "PETESTCD"))
    with_pe = dataclasses.replace(study, sdtm={**study.sdtm, "PE": pe})
    group = one(build_define(with_pe, "sdtm"), ".//odm:ItemGroupDef[@Name='PE']")
    assert group.get(f"{{{DEF}}}StandardOID") == "STD.IG.SDTMIG"
    assert group.get(f"{{{DEF}}}IsNonStandard") is None
    shipped_only = dataclasses.replace(with_pe, guides={})
    group = one(build_define(shipped_only, "sdtm"), ".//odm:ItemGroupDef[@Name='PE']")
    assert group.get(f"{{{DEF}}}IsNonStandard") == "Yes"
