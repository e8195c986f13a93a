"""define/reader.py: spec → define.xml → spec round trips, Define-XML 2.0 from other tools, unsafe input."""

from __future__ import annotations

import pytest

from define.datatypes import ISO_DATE_TYPES, compute_data_type
from define.odm import DefineError
from define.reader import read_define
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
