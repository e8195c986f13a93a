"""define/reader.py: spec → define.xml → spec round trips, Define-XML 1.0 and 2.0 from other tools
(the CDISC pilot's and the R Consortium pilot 3's), other versions refused, unsafe input."""

from __future__ import annotations

from pathlib import Path

import pytest

from define.datatypes import ISO_DATE_TYPES, compute_data_type
from define.odm import DefineError
from define.reader import read_define, read_study_header
from define.writer import origin_source, write_define
from specs.loader import load_study, study_names


def assert_same_spec(read, spec, kind):
    """What define.xml carries of a dataset spec comes back unchanged."""
    assert (read.name, read.label, read.kind, read.dataset_class, read.structure, read.comment) == (
        spec.name, spec.label, kind, spec.dataset_class, spec.structure or spec.label, spec.comment)
    assert read.keys == spec.keys
    written = [v for v in sorted(spec.variables, key=lambda v: v.order)]
    assert [v.name for v in read.variables] == [v.name for v in written]
    for got, want in zip(read.variables, written, strict=True):
        fields = ("label", "type", "origin", "codelist", "format", "method", "comment")
        assert [getattr(got, f) for f in fields] == [getattr(want, f) for f in fields], want.name
        assert got.source == origin_source(want.origin, want.source), want.name
        assert got.role == (want.role if kind == "sdtm" else None), want.name
        assert (got.core == "Req") == (want.core == "Req"), want.name
    assert [v.order for v in read.variables] == list(range(1, len(written) + 1))
    assert len(read.value_level) == len(spec.value_level)
    for got, want in zip(read.value_level, spec.value_level, strict=True):
        parent = spec.variable(want.variable)
        assert (got.variable, got.where, got.type, got.codelist, got.unit, got.method) == (
            want.variable, want.where, want.type, want.codelist, want.unit, want.method)
        assert (got.label, got.origin) == (want.label or parent.label, want.origin or parent.origin)


@pytest.mark.parametrize("kind", ["sdtm", "adam"])
def test_round_trip_small_study(study, data, kind, tmp_path):
    # spec + data → define.xml → spec: every dataset, variable, value-level entry and codelist.
    path = write_define(study, kind, data[kind], tmp_path / "define.xml")
    datasets, codelists = read_define(path)
    specs = study.sdtm if kind == "sdtm" else study.adam
    assert sorted(datasets) == sorted(data[kind])
    for name, read in datasets.items():
        assert_same_spec(read, specs[name], kind)
    for name, read in codelists.items():
        original = study.codelists[name]
        assert (read.label, read.c_code, read.data_type, read.sponsor) == (
            original.label, original.c_code, original.data_type, original.sponsor), name
        # The terms written are the used ones, in the codelist's order, with codes and decodes.
        used = {t.value for t in read.terms}
        assert [(t.value, t.c_code, t.decode) for t in original.terms if t.value in used] == [
            (t.value, t.c_code, t.decode) for t in read.terms]


def test_round_trip_measured_metadata(study, data, tmp_path):
    # Lengths and digits the writer measured on the data come back as spec values.
    datasets, _ = read_define(write_define(study, "sdtm", data["sdtm"], tmp_path / "define.xml"))
    dm, lb = datasets["DM"], datasets["LB"]
    assert (dm.variable("USUBJID").length, dm.variable("COUNTRY").length, dm.variable("BRTHDTC").length) == (
        15, 3, None)
    assert (lb.variable("LBSTRESN").significant_digits, lb.variable("LBSTRESN").length) == (2, None)
    cytokines = lb.value_level[1]
    assert (cytokines.where, cytokines.type, cytokines.length, cytokines.significant_digits) == (
        {"LBTESTCD": ("IL6", "IFNG")}, "Num", 4, 2)
    assert lb.value_level[2].length == 20  # the spec's fixed length, kept though no row has the test


@pytest.mark.parametrize("name", study_names())
@pytest.mark.parametrize("kind", ["sdtm", "adam"])
def test_round_trip_shipped_specs(name, kind, tmp_path):
    # Every shipped spec (without data) survives the trip; Char lengths are the spec's fixed ones.
    study = load_study(name)
    specs = study.sdtm if kind == "sdtm" else study.adam
    datasets, codelists = read_define(write_define(study, kind, None, tmp_path / "define.xml"))
    assert sorted(datasets) == sorted(specs)
    for spec_name, spec in specs.items():
        assert_same_spec(datasets[spec_name], spec, kind)
        for variable in spec.variables:
            iso = compute_data_type(variable.name, variable.type, None) in ISO_DATE_TYPES
            expected = variable.length if variable.type == "Char" and not iso else None
            assert datasets[spec_name].variable(variable.name).length == expected
    # Every term (no data: nothing to leave out) with its code and decode; the collected synonyms
    # that map to a term are EDC matters and have no place in define.xml.
    for codelist in codelists.values():
        original = study.codelists[codelist.name]
        assert [(t.value, t.c_code, t.decode) for t in codelist.terms] == [
            (t.value, t.c_code, t.decode) for t in original.terms]
        assert (codelist.label, codelist.c_code, codelist.sponsor) == (
            original.label, original.c_code, original.sponsor)


DEFINE_20 = """<?xml version="1.0" encoding="ISO-8859-1"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.0"
     xmlns:xlink="http://www.w3.org/1999/xlink" ODMVersion="1.3.2" FileType="Snapshot" FileOID="D.1"
     CreationDateTime="2015-03-01T10:00:00">
 <Study OID="S.CDISC01">
  <GlobalVariables><StudyName>CDISC01</StudyName><StudyDescription>Test</StudyDescription>
   <ProtocolName>CDISC01</ProtocolName></GlobalVariables>
  <MetaDataVersion OID="MDV.1" Name="Study CDISC01" def:DefineVersion="2.0.0"
                   def:StandardName="SDTM-IG" def:StandardVersion="3.1.2">
   <def:ValueListDef OID="VL.VS.VSORRES">
    <ItemRef ItemOID="IT.VS.VSORRES.SYSBP" OrderNumber="1" Mandatory="Yes">
     <def:WhereClauseRef WhereClauseOID="WC.VS.SYSBP"/></ItemRef>
    <ItemRef ItemOID="IT.VS.VSORRES.OTHER" OrderNumber="2" Mandatory="No">
     <def:WhereClauseRef WhereClauseOID="WC.VS.OTHER"/></ItemRef>
   </def:ValueListDef>
   <def:WhereClauseDef OID="WC.VS.SYSBP">
    <RangeCheck SoftHard="Soft" def:ItemOID="IT.VS.VSTESTCD" Comparator="EQ">
     <CheckValue>SYSBP</CheckValue></RangeCheck>
   </def:WhereClauseDef>
   <def:WhereClauseDef OID="WC.VS.OTHER">
    <RangeCheck SoftHard="Soft" def:ItemOID="IT.VS.VSTESTCD" Comparator="NE">
     <CheckValue>SYSBP</CheckValue></RangeCheck>
   </def:WhereClauseDef>
   <ItemGroupDef OID="IG.DM" Domain="DM" Name="DM" Repeating="No" IsReferenceData="No" SASDatasetName="DM"
      Purpose="Tabulation" def:Structure="One record per subject" def:Class="SPECIAL PURPOSE"
      def:CommentOID="COM.DM" def:ArchiveLocationID="LF.DM">
    <Description><TranslatedText xml:lang="en">Demographics</TranslatedText></Description>
    <ItemRef ItemOID="IT.STUDYID" OrderNumber="1" Mandatory="Yes" KeySequence="1" Role="Identifier"/>
    <ItemRef ItemOID="IT.DM.USUBJID" OrderNumber="2" Mandatory="Yes" KeySequence="2" Role="Identifier"
             MethodOID="MT.USUBJID"/>
    <ItemRef ItemOID="IT.DM.SEX" OrderNumber="3" Mandatory="Yes" Role="Record Qualifier"/>
    <def:leaf ID="LF.DM" xlink:href="dm.xpt"><def:title>dm.xpt</def:title></def:leaf>
   </ItemGroupDef>
   <ItemGroupDef OID="IG.VS" Domain="VS" Name="VS" Repeating="Yes" IsReferenceData="No" SASDatasetName="VS"
      Purpose="Tabulation" def:Structure="One record per vital sign measurement per visit per subject"
      def:Class="Findings" def:Label="Vital Signs" def:ArchiveLocationID="LF.VS">
    <ItemRef ItemOID="IT.STUDYID" OrderNumber="1" Mandatory="Yes" KeySequence="1" Role="Identifier"/>
    <ItemRef ItemOID="IT.VS.VSTESTCD" OrderNumber="3" Mandatory="Yes" KeySequence="2" Role="Topic"/>
    <ItemRef ItemOID="IT.VS.VSORRES" OrderNumber="4" Mandatory="No" Role="Result Qualifier"/>
    <ItemRef ItemOID="IT.VS.VSSTRESN" OrderNumber="5" Mandatory="No" Role="Result Qualifier"/>
    <ItemRef ItemOID="IT.VS.VSDTC" OrderNumber="6" Mandatory="No" Role="Timing"/>
    <def:leaf ID="LF.VS" xlink:href="vs.xpt"><def:title>vs.xpt</def:title></def:leaf>
   </ItemGroupDef>
   <ItemDef OID="IT.STUDYID" Name="STUDYID" DataType="text" Length="7" SASFieldName="STUDYID">
    <Description><TranslatedText xml:lang="en">Study Identifier</TranslatedText></Description>
    <def:Origin Type="Protocol"/>
   </ItemDef>
   <ItemDef OID="IT.DM.USUBJID" Name="USUBJID" DataType="text" Length="12" SASFieldName="USUBJID">
    <Description><TranslatedText xml:lang="en">Unique Subject Identifier</TranslatedText></Description>
    <def:Origin Type="Derived"/>
   </ItemDef>
   <ItemDef OID="IT.DM.SEX" Name="SEX" DataType="text" Length="1" SASFieldName="SEX">
    <Description><TranslatedText xml:lang="en">Sex</TranslatedText></Description>
    <CodeListRef CodeListOID="CodeList.SEX"/>
    <def:Origin Type="CRF"><def:DocumentRef leafID="LF.acrf"><def:PDFPageRef PageRefs="5" Type="PhysicalRef"/>
     </def:DocumentRef></def:Origin>
   </ItemDef>
   <ItemDef OID="IT.VS.VSTESTCD" Name="VSTESTCD" DataType="text" Length="8" SASFieldName="VSTESTCD">
    <Description><TranslatedText xml:lang="en">Vital Signs Test Short Name</TranslatedText></Description>
    <def:Origin Type="Assigned"/>
   </ItemDef>
   <ItemDef OID="IT.VS.VSORRES" Name="VSORRES" DataType="text" Length="5" SASFieldName="VSORRES">
    <Description><TranslatedText xml:lang="en">Result or Finding in Original Units</TranslatedText>
    </Description>
    <def:Origin Type="eDT"/>
    <def:ValueListRef ValueListOID="VL.VS.VSORRES"/>
   </ItemDef>
   <ItemDef OID="IT.VS.VSORRES.SYSBP" Name="VSORRES" DataType="integer" Length="3" SASFieldName="VSORRES">
    <Description><TranslatedText xml:lang="en">Systolic Blood Pressure</TranslatedText></Description>
    <def:Origin Type="CRF"/>
   </ItemDef>
   <ItemDef OID="IT.VS.VSORRES.OTHER" Name="VSORRES" DataType="text" Length="5" SASFieldName="VSORRES">
    <def:Origin Type="CRF"/>
   </ItemDef>
   <ItemDef OID="IT.VS.VSSTRESN" Name="VSSTRESN" DataType="float" Length="8" SignificantDigits="1"
            SASFieldName="VSSTRESN">
    <Description><TranslatedText xml:lang="en">Numeric Result/Finding in Standard Units</TranslatedText>
    </Description>
    <def:Origin Type="Derived"/>
   </ItemDef>
   <ItemDef OID="IT.VS.VSDTC" Name="VSDTC" DataType="datetime" SASFieldName="VSDTC">
    <Description><TranslatedText xml:lang="en">Date/Time of Measurements</TranslatedText></Description>
    <def:Origin Type="CRF"/>
   </ItemDef>
   <CodeList OID="CodeList.SEX" Name="Sex" DataType="text">
    <CodeListItem CodedValue="M"><Decode><TranslatedText xml:lang="en">Male</TranslatedText></Decode>
     <Alias Context="nci:ExtCodeID" Name="C20197"/></CodeListItem>
    <CodeListItem CodedValue="F"><Decode><TranslatedText xml:lang="en">Female</TranslatedText></Decode>
     <Alias Context="nci:ExtCodeID" Name="C16576"/></CodeListItem>
    <Alias Context="nci:ExtCodeID" Name="C66731"/>
   </CodeList>
   <CodeList OID="CL.AEDICT" Name="Adverse Event Dictionary" DataType="text">
    <ExternalCodeList Dictionary="MedDRA" Version="18.0"/>
   </CodeList>
   <MethodDef OID="MT.USUBJID" Name="Algorithm to derive USUBJID" Type="Computation">
    <Description><TranslatedText xml:lang="en">Concatenation of STUDYID and SUBJID</TranslatedText>
    </Description>
   </MethodDef>
   <def:CommentDef OID="COM.DM">
    <Description><TranslatedText xml:lang="en">Screen failures excluded</TranslatedText></Description>
   </def:CommentDef>
   <def:leaf ID="LF.acrf" xlink:href="acrf.pdf"><def:title>Annotated CRF</def:title></def:leaf>
  </MetaDataVersion>
 </Study>
</ODM>
"""


def test_reads_define_20_written_by_another_tool(tmp_path):
    path = tmp_path / "define.xml"
    path.write_text(DEFINE_20, encoding="ISO-8859-1")
    datasets, codelists = read_define(path)
    dm, vs = datasets["DM"], datasets["VS"]
    # def:Class as an attribute (upper-cased), label from Description or from def:Label.
    assert (dm.kind, dm.dataset_class, dm.label, dm.comment) == (
        "sdtm", "SPECIAL PURPOSE", "Demographics", "Screen failures excluded")
    assert (vs.dataset_class, vs.label) == ("FINDINGS", "Vital Signs")
    assert dm.keys == ("STUDYID", "USUBJID") and vs.keys == ("STUDYID", "VSTESTCD")
    # Origins: CRF → Collected by the investigator, eDT → Collected from a vendor; methods resolve.
    sex, usubjid = dm.variable("SEX"), dm.variable("USUBJID")
    assert (sex.origin, sex.source, sex.codelist, sex.core, sex.role) == (
        "Collected", "Investigator", "Sex", "Req", "Record Qualifier")
    assert (usubjid.origin, usubjid.method) == ("Derived", "Concatenation of STUDYID and SUBJID")
    assert (vs.variable("VSORRES").origin, vs.variable("VSORRES").source) == ("Collected", "Vendor")
    # Types and sizes; order follows OrderNumber even with gaps.
    assert (vs.variable("VSSTRESN").type, vs.variable("VSSTRESN").significant_digits) == ("Num", 1)
    assert (vs.variable("VSDTC").type, vs.variable("VSDTC").length) == ("Char", None)
    assert [v.order for v in vs.variables] == [1, 2, 3, 4, 5]
    # Value level: the EQ entry is read (an integer slice is Num); the NE entry has no place in the
    # model and is left out.
    assert len(vs.value_level) == 1
    sysbp = vs.value_level[0]
    assert (sysbp.variable, sysbp.where, sysbp.type, sysbp.length, sysbp.label, sysbp.origin) == (
        "VSORRES", {"VSTESTCD": ("SYSBP",)}, "Num", 3, "Systolic Blood Pressure", "Collected")
    # Codelists keyed by Name when the OID has no CL. prefix; codes and decodes; external dictionaries.
    assert [(t.value, t.c_code, t.decode) for t in codelists["Sex"].terms] == [
        ("M", "C20197", "Male"), ("F", "C16576", "Female")]
    assert codelists["Sex"].c_code == "C66731"
    assert (codelists["AEDICT"].terms, codelists["AEDICT"].note) == ((), "External dictionary MedDRA 18.0")


def test_unresolved_references_are_refused(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text(DEFINE_20.replace('MethodOID="MT.USUBJID"', 'MethodOID="MT.NONE"')
                    .replace('CodeListOID="CodeList.SEX"', 'CodeListOID="CL.GONE"'), encoding="ISO-8859-1")
    with pytest.raises(DefineError) as error:
        read_define(path)
    assert str(path) in str(error.value)
    assert error.value.problems == ["ItemDef IT.DM.USUBJID: MethodDef 'MT.NONE' is not defined",
                                    "ItemDef IT.DM.SEX: CodeList 'CL.GONE' is not defined"]


REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"

# Define-XML 1.0 as SAS-era tools wrote it (the CDISC pilot's form): ODM 1.2, def:Label and
# def:DomainKeys attributes, Origin and Comment attributes, def:ComputationMethod, and value lists
# on the variable whose values they list, without where clauses.
DEFINE_10 = """<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.2" xmlns:def="http://www.cdisc.org/ns/def/v1.0"
     ODMVersion="1.2" FileType="Snapshot" FileOID="P1" CreationDateTime="2012-03-15T11:09:08">
 <Study OID="P1">
  <GlobalVariables><StudyName>P1</StudyName><StudyDescription>P1</StudyDescription>
   <ProtocolName>P1</ProtocolName></GlobalVariables>
  <MetaDataVersion OID="MDV" Name="P1" def:DefineVersion="1.0.0" def:StandardName="CDISC SDTM"
                   def:StandardVersion="3.1.2">
   <def:ComputationMethod OID="CM.DY">date minus RFSTDTC, plus 1 on or after it</def:ComputationMethod>
   <def:ValueListDef OID="VL.VS.VSTESTCD">
    <ItemRef ItemOID="VS.VSTESTCD.POS" OrderNumber="1" Mandatory="No"/>
    <ItemRef ItemOID="VS.VSTESTCD.SYSBP" OrderNumber="2" Mandatory="No"/>
   </def:ValueListDef>
   <def:ValueListDef OID="VL.VS.VSCAT">
    <ItemRef ItemOID="VS.VSCAT.VITALS" OrderNumber="3" Mandatory="No"/>
   </def:ValueListDef>
   <ItemGroupDef OID="VS" Name="VS" Repeating="Yes" IsReferenceData="No" Purpose="Tabulation"
      def:Label="Vital Signs" def:Structure="One record per measurement" def:Class="Findings"
      def:DomainKeys="STUDYID, USUBJID, VSTESTCD" def:ArchiveLocationID="Location.VS">
    <ItemRef ItemOID="VS.STUDYID" OrderNumber="1" Mandatory="Yes" Role="IDENTIFIER"/>
    <ItemRef ItemOID="VS.USUBJID" OrderNumber="2" Mandatory="Yes"/>
    <ItemRef ItemOID="VS.VSTESTCD" OrderNumber="3" Mandatory="Yes"/>
    <ItemRef ItemOID="VS.VSCAT" OrderNumber="4" Mandatory="No"/>
    <ItemRef ItemOID="VS.VSORRES" OrderNumber="5" Mandatory="No"/>
    <ItemRef ItemOID="VS.VSDY" OrderNumber="6" Mandatory="No"/>
   </ItemGroupDef>
   <ItemDef OID="VS.STUDYID" Name="STUDYID" DataType="text" Length="12" Origin="CRF Page 1"
            Comment=" " def:Label="Study Identifier"/>
   <ItemDef OID="VS.USUBJID" Name="USUBJID" DataType="text" Length="11" Origin="Derived"
            Comment="STUDYID, SITEID and SUBJID joined" def:Label="Unique Subject Identifier"/>
   <ItemDef OID="VS.VSTESTCD" Name="VSTESTCD" DataType="text" Length="8" Origin="eDT"
            def:Label="Vital Signs Test Short Name">
    <CodeListRef CodeListOID="VSTESTCD"/>
    <def:ValueListRef ValueListOID="VL.VS.VSTESTCD"/>
   </ItemDef>
   <ItemDef OID="VS.VSCAT" Name="VSCAT" DataType="text" Length="6" Origin="Assigned" def:Label="Category">
    <def:ValueListRef ValueListOID="VL.VS.VSCAT"/>
   </ItemDef>
   <ItemDef OID="VS.VSORRES" Name="VSORRES" DataType="text" Length="8" Origin="CRF Pages 10, 23"
            def:Label="Result or Finding in Original Units"/>
   <ItemDef OID="VS.VSDY" Name="VSDY" DataType="integer" Length="8" Origin="Derived"
            def:Label="Study Day of Vital Signs" def:ComputationMethodOID="CM.DY"/>
   <ItemDef OID="VS.VSTESTCD.POS" Name="POS" DataType="text" Length="8" Origin="CRF Pages 10, 23"
            def:Label="Position">
    <CodeListRef CodeListOID="POSITION"/>
   </ItemDef>
   <ItemDef OID="VS.VSTESTCD.SYSBP" Name="SYSBP" DataType="integer" Length="8" Origin="CRF Pages 10, 23"
            def:Label="Systolic Blood Pressure"/>
   <ItemDef OID="VS.VSCAT.VITALS" Name="VITALS" DataType="text" Length="6" Origin="Assigned"
            def:Label="Vitals"/>
   <CodeList OID="VSTESTCD" Name="VSTESTCD" DataType="text">
    <CodeListItem CodedValue="POS" def:Rank="1">
     <Decode><TranslatedText xml:lang="en">Position</TranslatedText></Decode></CodeListItem>
    <CodeListItem CodedValue="SYSBP" def:Rank="2">
     <Decode><TranslatedText xml:lang="en">Systolic Blood Pressure</TranslatedText></Decode></CodeListItem>
   </CodeList>
   <CodeList OID="POSITION" Name="POSITION" DataType="text">
    <CodeListItem CodedValue="SITTING">
     <Decode><TranslatedText xml:lang="en">SITTING</TranslatedText></Decode></CodeListItem>
   </CodeList>
  </MetaDataVersion>
 </Study>
</ODM>
"""


def test_reads_define_10(tmp_path):
    path = tmp_path / "define.xml"
    path.write_text(DEFINE_10)
    datasets, codelists = read_define(path)
    vs = datasets["VS"]
    # Label, class and keys from def:Label, def:Class and def:DomainKeys.
    assert (vs.label, vs.dataset_class, vs.kind, vs.keys) == (
        "Vital Signs", "FINDINGS", "sdtm", ("STUDYID", "USUBJID", "VSTESTCD"))
    # Variable labels from def:Label; origins from the Origin text; a blank Comment is none.
    studyid, usubjid, dy = vs.variable("STUDYID"), vs.variable("USUBJID"), vs.variable("VSDY")
    assert (studyid.label, studyid.origin, studyid.source, studyid.comment) == (
        "Study Identifier", "Collected", "Investigator", None)
    assert (usubjid.origin, usubjid.comment) == ("Derived", "STUDYID, SITEID and SUBJID joined")
    assert vs.variable("VSTESTCD").source == "Vendor"  # eDT
    assert (dy.type, dy.method) == ("Num", "date minus RFSTDTC, plus 1 on or after it")
    # The list on VSTESTCD describes VSORRES where VSTESTCD is each entry's Name; the list on
    # VSCAT (which a 1.0 list cannot say what it describes) is left out.
    assert [(v.variable, v.where, v.type, v.label, v.codelist, v.origin) for v in vs.value_level] == [
        ("VSORRES", {"VSTESTCD": ("POS",)}, "Char", "Position", "POSITION", "Collected"),
        ("VSORRES", {"VSTESTCD": ("SYSBP",)}, "Num", "Systolic Blood Pressure", None, "Collected")]
    assert [(t.value, t.decode) for t in codelists["VSTESTCD"].terms] == [
        ("POS", "Position"), ("SYSBP", "Systolic Blood Pressure")]


def test_reads_the_cdisc_pilot_define_10():
    # The real CDISC pilot define.xml (Define-XML 1.0 on ODM 1.2), as submitted.
    datasets, codelists = read_define(REFERENCE / "cdisc-pilot01-sdtm" / "define.xml")
    assert len(datasets) == 22 and len(codelists) == 68
    ts, suppdm, ae = datasets["TS"], datasets["SUPPDM"], datasets["AE"]
    assert (ts.label, ts.keys) == ("Trial Summary", ("STUDYID", "TSPARMCD", "TSSEQ"))
    # TSVAL per TSPARMCD (ADDON's value from codelist YN), QVAL per QNAM.
    assert len(ts.value_level) == 25 and {v.variable for v in ts.value_level} == {"TSVAL"}
    addon = next(v for v in ts.value_level if v.where == {"TSPARMCD": ("ADDON",)})
    assert (addon.codelist, addon.label) == ("YN", "Added on to Existing Treatments")
    complt16 = next(v for v in suppdm.value_level if v.where == {"QNAM": ("COMPLT16",)})
    assert (complt16.variable, complt16.codelist) == ("QVAL", "Y_BLANK")
    assert ae.variable("AESTDY").method.startswith("(date portion of --DTC) minus")
    assert datasets["DM"].variable("AGE").comment == "Subject's Age at start of study drug (RFSTDTC)."
    # LB's value lists are nested (LBCAT, then LBTESTCD within it): left out.
    assert datasets["LB"].value_level == ()


def test_reads_the_pilot3_adam_define_20():
    # The R Consortium submission pilot 3 ADaM define.xml (Define-XML 2.0, written by P21 Enterprise).
    datasets, _ = read_define(REFERENCE / "pilot3-adam" / "define.xml")
    assert sorted(datasets) == ["ADADAS", "ADAE", "ADLBC", "ADSL", "ADTTE"]
    adsl, adtte = datasets["ADSL"], datasets["ADTTE"]
    assert (adsl.kind, adsl.keys, adsl.label) == ("adam", ("USUBJID",), "Subject-Level Analysis Dataset")
    assert (adtte.keys, adtte.dataset_class) == (("USUBJID", "PARAMCD"), "BASIC DATA STRUCTURE")
    assert len(datasets["ADADAS"].value_level) == 15


@pytest.mark.parametrize(("namespace", "says"), [
    ('xmlns:def="http://www.cdisc.org/ns/def/v3.0"',
     "Define-XML 3.0 (namespace http://www.cdisc.org/ns/def/v3.0) is not read; Define-XML 1.0, 2.0, 2.1 are"),
    ("", "no Define-XML version found: no namespace http://www.cdisc.org/ns/def/v… is declared; "
         "Define-XML 1.0, 2.0, 2.1 are read"),
], ids=["3.0", "none"])
def test_other_define_versions_are_refused_naming_the_version(tmp_path, namespace, says):
    path = tmp_path / "define.xml"
    path.write_text(f'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" {namespace}><Study OID="S">'
                    '<MetaDataVersion OID="M" Name="M"/></Study></ODM>')
    with pytest.raises(DefineError) as error:
        read_define(path)
    assert str(error.value) == f"{path}: {says}"


XXE = """<?xml version="1.0"?>
<!DOCTYPE ODM [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study OID="S"><GlobalVariables>
<StudyName>&secret;</StudyName></GlobalVariables></Study></ODM>
"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3">&lol4;</ODM>
"""


@pytest.mark.parametrize("text", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_doctype_is_refused(text, tmp_path):
    # External entities and entity expansion live in the DTD: any DOCTYPE is refused by name.
    path = tmp_path / "evil.xml"
    path.write_text(text)
    with pytest.raises(DefineError, match="DOCTYPE") as error:
        read_define(path)
    assert str(path) in str(error.value)
    assert "root:" not in str(error.value)  # nothing of /etc/passwd leaks into the message


def test_not_define_xml_is_refused(tmp_path):
    path = tmp_path / "other.xml"
    path.write_text('<?xml version="1.0"?><html><body/></html>')
    with pytest.raises(DefineError, match="not a Define-XML document"):
        read_define(path)
    path.write_text("<ODM")
    with pytest.raises(DefineError, match="not well-formed"):
        read_define(path)


def test_study_header_and_documents(study, data, tmp_path):
    # GlobalVariables as written, and the supporting documents as def:leaf ID, title and href.
    path = tmp_path / "define.xml"
    write_define(study, "sdtm", data["sdtm"], path, documents={"Annotated CRF": "acrf.pdf"})
    header, documents = read_study_header(path)
    assert header == {"StudyName": study.studyid, "StudyDescription": study.title,
                      "ProtocolName": study.studyid}
    assert [(d["title"], d["href"]) for d in documents] == [("Annotated CRF", "acrf.pdf")]
    assert documents[0]["id"]
