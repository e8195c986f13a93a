"""Expectation suites from metadata: each expectation type fails once on a record we can name.

Codelist values are not the suites' business (tests/qc/test_terminology.py)."""

import json
import re

import pandas as pd
import pytest

from qc.metadata import Metadata, folder_metadata
from qc.suites import ISO8601, build_suite, run_suites, suite_json, write_suites
from specs.model import DatasetSpec, Variable


def var(name, order, type_="Char", **kw):
    return Variable(name=name, label=name, type=type_, order=order, **kw)


SPEC = DatasetSpec(
    name="AE", label="Adverse Events", kind="sdtm", dataset_class="EVENTS", structure="",
    keys=("USUBJID", "AESEQ"),
    variables=(
        var("USUBJID", 1, core="Req"),
        var("AESEQ", 2, "Num", core="Req"),
        var("AETERM", 3, core="Req", length=10),
        var("AESER", 4, core="Exp", codelist="NY"),
        var("AEOUT", 5, core="Exp", codelist="OUT"),
        var("AEDECOD", 6, core="Req"),
        var("AESTDTC", 7, core="Exp"),
        var("AETOXGR", 8, core="Perm"),
        var("AESTDY", 9, "Num", core="Perm"),
    ),
)


def findings_by_rule(frames, spec=SPEC):
    metadata = Metadata(datasets={n: spec for n in frames if n != "ADSL"}, codelists={},
                        sources=dict.fromkeys(frames, "study test"))
    result = run_suites(frames, metadata)
    out = {}
    for f in result.findings:
        out.setdefault(f.rule, []).append(f)
    return out, result


def test_each_expectation_type_fails_on_its_record():
    ae = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S2"],
        "AESEQ": [1.0, 1.0, 1.0],  # duplicate key on rows 1-2
        "AETERM": ["HEADACHE", "", "A VERY LONG TERM"],  # null row 2, too long row 3
        "AESER": ["N", "X", "Y"],  # X not in non-extensible NY: not the suites' business
        "AEOUT": ["FATAL", "", "UNKNOWN"],
        "AESTDTC": ["2024-05-14", "2024-13-01", "2024---15"],  # month 13 on row 2
        "AETOXGR": ["1", "6", ""],  # grade 6 on row 2
        "AESTDY": ["1", "2", "3"],  # Char where Num is declared
    })  # AEDECOD (Req) is missing altogether
    found, _ = findings_by_rule({"AE": ae})
    rows = {rule: sorted((f.row, f.variable) for f in fs) for rule, fs in found.items()}
    assert rows["DS-REQ-PRESENT"] == [(None, "AEDECOD")]
    assert rows["DS-REQ-NOTNULL"] == [(2, "AETERM")]
    assert rows["DS-LENGTH"] == [(3, "AETERM")]
    assert not {"DS-CT", "DS-CT-EXT"} & set(rows)
    assert rows["DS-KEY-UNIQUE"] == [(1, "USUBJID,AESEQ"), (2, "USUBJID,AESEQ")]
    assert rows["DS-ISO8601"] == [(2, "AESTDTC")]
    assert rows["DS-RANGE"] == [(2, "AETOXGR")]
    assert rows["DS-TYPE"] == [(None, "AESTDY")]
    assert (found["DS-KEY-UNIQUE"][0].usubjid, found["DS-KEY-UNIQUE"][0].seq) == ("S1", 1.0)
    assert "DS-EXP-PRESENT" not in found  # every expected variable is there


def test_clean_dataset_passes_and_expected_variable_missing_warns():
    ae = pd.DataFrame({"USUBJID": ["S1"], "AESEQ": [1.0], "AETERM": ["HEADACHE"], "AEDECOD": ["Headache"],
                       "AEOUT": ["FATAL"], "AESTDTC": ["2024-05-14T09:30"]})
    found, result = findings_by_rule({"AE": ae})
    assert [(f.rule, f.variable, f.severity) for fs in found.values() for f in fs] == [
        ("DS-EXP-PRESENT", "AESER", "warning")]
    assert {r.status for r in result.runs if r.rule != "DS-EXP-PRESENT"} == {"passed"}


def test_null_in_adam_required_variable_is_a_warning_unless_a_key():
    # ADaMIG 1.3: Req means included; ADSL.AGE copies DM.AGE, which SDTMIG lets be null (row 2).
    # A null key (row 3) cannot identify its record: still an error.
    adsl_spec = DatasetSpec("ADSL", "", "adam", "SUBJECT LEVEL ANALYSIS DATASET", "", ("USUBJID",),
                            (var("USUBJID", 1, core="Req"), var("AGE", 2, "Num", core="Req")))
    adsl = pd.DataFrame({"USUBJID": ["S1", "S2", ""], "AGE": [50.0, None, 60.0]})
    metadata = Metadata(datasets={"ADSL": adsl_spec}, codelists={}, sources={"ADSL": "study test"})
    found = [(f.rule, f.severity, f.variable, f.row) for f in run_suites({"ADSL": adsl}, metadata).findings]
    assert sorted(found) == [("DS-ADAM-REQ-NULL", "warning", "AGE", 2),
                             ("DS-REQ-NOTNULL", "error", "USUBJID", 3)]


def test_numeric_ranges_and_one_record_per_subject():
    # CNSR below 0, ADRS AVAL outside 1-7, and ADSL with a subject twice.
    adtte = pd.DataFrame({"USUBJID": ["S1", "S2"], "CNSR": [0.0, -1.0]})
    # A Y/N parameter's AVAL 0 is not a response code and is not judged by the 1-7 range.
    adrs = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "AVAL": [1.0, 8.0, 0.0], "AVALC": ["CR", "PD", "N"]})
    adsl = pd.DataFrame({"USUBJID": ["S1", "S1"]})
    empty = DatasetSpec("X", "", "adam", "", "", (), ())
    found, _ = findings_by_rule({"ADTTE": adtte, "ADRS": adrs, "ADSL": adsl}, spec=empty)
    assert sorted((f.dataset, f.row) for f in found["DS-RANGE"]) == [("ADRS", 2), ("ADTTE", 2)]
    assert [f.row for f in found["DS-ONE-PER-SUBJECT"]] == [1, 2]


def test_missing_keys_and_missing_metadata_are_not_run():
    frame = pd.DataFrame({"USUBJID": ["S1"]})
    suite = build_suite("AE", frame, SPEC)
    assert [(r.rule, r.status) for r in suite.not_run] == [("DS-KEY-UNIQUE", "not run")]
    assert "AESEQ" in suite.not_run[0].reason
    bare = build_suite("ZZ", frame, None)
    assert [r.rule for r in bare.not_run] == ["DS-REQ-PRESENT"]


@pytest.mark.parametrize("value", [
    "2024", "2024-05", "2024-05-14", "2024-05-14T09", "2024-05-14T09:30", "2024-05-14T09:30:15",
    "2024-05-14T09:30:15.5", "2024---14", "--05-14", "-----T09:30", "2024-05-14T-:30",
    "2024-05-14T09:30Z", "2024-05-14T09:30+01:00", "2024-05-14/2024-05-20",
])
def test_iso8601_accepts_sdtmig_forms(value):
    assert re.match(ISO8601, value)


@pytest.mark.parametrize("value", [
    "14MAY2024", "2024-5-14", "2024-13-01", "2024-05-32", "2024-05-14T25:00", "2024-05-14 09:30",
    "2024-", "2024--", "-", "2024-05-14T", "UN MAY 2024",
])
def test_iso8601_refuses_other_forms(value):
    assert not re.match(ISO8601, value)


def test_suite_json_is_deterministic_and_readable(tmp_path):
    ae = pd.DataFrame({"USUBJID": ["S1"], "AESEQ": [1.0], "AESER": ["Y"]})
    first = suite_json(build_suite("AE", ae, SPEC).suite)
    second = suite_json(build_suite("AE", ae, SPEC).suite)
    assert first == second
    parsed = json.loads(first)
    assert '"id"' not in first and parsed["name"] == "ae"
    rules = {e["meta"]["rule"] for e in parsed["expectations"]}
    assert rules >= {"DS-REQ-PRESENT", "DS-TYPE", "DS-KEY-UNIQUE"}
    (path,) = write_suites({"AE": build_suite("AE", ae, SPEC)}, tmp_path)
    assert path.name == "ae.json" and path.read_text() == first


def test_standard_metadata_when_no_specs():
    # DM from SDTMIG, SUPPAE from SUPPQUAL, an ADaM BDS dataset from the BDS catalogue.
    frames = {"DM": pd.DataFrame({"USUBJID": ["S1"]}), "SUPPAE": pd.DataFrame({"RDOMAIN": ["AE"]}),
              "ADLB": pd.DataFrame({"PARAMCD": ["ALT"]}), "XX": pd.DataFrame({"A": [1]})}
    metadata = folder_metadata(frames)
    assert metadata.datasets["SUPPAE"].name == "SUPPAE"
    assert metadata.datasets["ADLB"].variable("PARAMCD").core == "Req"
    assert metadata.sources == {"DM": "SDTMIG 3.4 (shipped)", "SUPPAE": "SDTMIG 3.4 (shipped)",
                                "ADLB": "ADaMIG 1.3 (shipped)", "XX": "none"}


def test_metadata_from_define_xml(tmp_path):
    # A define.xml in the folder describes its datasets; a dataset it lacks falls back to the standard.
    from define.writer import write_define
    from specs.loader import load_study

    study = load_study("ovarian")
    write_define(study, "sdtm", None, tmp_path / "define.xml")
    frames = {"AE": pd.DataFrame({"USUBJID": ["S1"]}), "PE": pd.DataFrame({"USUBJID": ["S1"]})}
    metadata = folder_metadata(frames, folder=tmp_path)
    assert metadata.sources["AE"] == f"define.xml {tmp_path / 'define.xml'}"
    assert metadata.sources["PE"] == "none"  # not among the shipped standard's domains
    assert metadata.datasets["AE"].variable_names() == study.sdtm["AE"].variable_names()
