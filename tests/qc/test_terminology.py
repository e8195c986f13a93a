"""CDISC CT checks as a reviewer's validator makes them (Pinnacle 21 CT2001-CT2006, SD0037/SD1228).

Small hand-made packages make each rule fail on a record we can name; the CDISC pilot SDTM, checked
against the reference SDTM CT 2025-03-28 and SDTMIG 3.4, shows that every CT finding is a real one.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from qc.rules import run_rules
from qc.terminology import CtInUse, terminology_rules
from qc.validate import validate_folder
from specs.loader import load_ct_conditions
from specs.model import Codelist, CtSource, DatasetSpec, Term, ValueLevel, Variable
from specs.terminology import Codelists, Terminology
from tests.reference import reference

SDTM = CtSource("sdtm", "2025-03-28")


def codelist(name, code, terms, extensible=False, source=SDTM, sponsor=False):
    """terms: value → C-code (or a list of values, coded C1, C2 ...)."""
    if not isinstance(terms, dict):
        terms = {value: f"C{i}" for i, value in enumerate(terms, start=1)}
    return Codelist(name, name.title(), tuple(Term(v, c) for v, c in terms.items()), c_code=code,
                    extensible=extensible, source=source, sponsor=sponsor)


# TSPARMCD with its TSPARM decodes (what makes a parameter an indicator), and a response codelist.
TSPARMCD = Codelist("TSPARMCD", "Trial Summary Parameter Test Code", tuple(
    Term(v, c, decode=d) for v, c, d in (
        ("TPHASE", "C48281", "Trial Phase Classification"), ("RANDOM", "C25196", "Trial is Randomized"),
        ("PDSTIND", "C123632", "Pediatric Study Indicator"), ("DOSFRQ", "C89081", "Dosing Frequency"),
        ("TITLE", "C49802", "Trial Title"))), c_code="C66738", extensible=True, source=SDTM)
TPHASE = Codelist("TPHASE", "Trial Phase Response", (Term("PHASE II TRIAL", "C15601"),), c_code="C66737",
                  extensible=True, source=SDTM)
PACKAGE = Terminology(SDTM, {c.name: c for c in (
    codelist("NY", "C66742", {"N": "C49487", "Y": "C49488"}),
    codelist("OUT", "C66768", ["FATAL", "RECOVERED/RESOLVED"], extensible=True),
    codelist("NCOMPLT", "C66727", ["COMPLETED", "ADVERSE EVENT"]),
    codelist("PROTMLST", "C114118", ["INFORMED CONSENT OBTAINED"], extensible=True),
    codelist("OTHEVENT", "C150811", ["TREATMENT UNBLINDED"], extensible=True),
    codelist("LBTESTCD", "C65047", {"ALT": "C64433", "AST": "C64467"}, extensible=True),
    codelist("LBTEST", "C67154", {"Alanine Aminotransferase": "C64433",
                                  "Aspartate Aminotransferase": "C64467"}, extensible=True),
    codelist("LBSTRESC", "C102580", ["NEGATIVE", "POSITIVE"], extensible=True),
    codelist("FREQ", "C71113", ["QD", "BID"], extensible=True),
    codelist("SCORE", "C99999", ["1", "2", "3"]),
    TSPARMCD, TPHASE,
)})
CT = CtInUse((PACKAGE,))


def var(name, order=1, type_="Char", **kw):
    return Variable(name=name, label=name, type=type_, order=order, **kw)


def spec(name, *variables, value_level=()):
    return DatasetSpec(name, name, "sdtm", "EVENTS", "", (), tuple(variables), value_level=tuple(value_level))


def check(frames, declared=None, standard=None, own=None, ct=CT):
    codelists = Codelists(own or {}, ct.packages)
    rules = terminology_rules(declared or {}, codelists, ct, standard or {}, load_ct_conditions())
    findings, runs, _ = run_rules({k: v.reset_index(drop=True) for k, v in frames.items()}, rules)
    return findings, runs


def rows(findings, rule):
    return sorted((f.row, f.variable, f.value) for f in findings if f.rule == rule)


def test_values_outside_a_codelist_case_and_blanks_count():
    ae = pd.DataFrame({"AESER": ["N", "Y", "X", "y", " Y", "", None],
                       "AEOUT": ["FATAL", "UNKNOWN", "", "fatal", None, "FATAL", "FATAL"]})
    standard = {"AE": spec("AE", var("AESER", codelist="NY"), var("AEOUT", codelist="OUT"))}
    findings, runs = check({"AE": ae}, standard=standard)
    # Non-extensible NY: an error each (lower case, a leading blank); missing values are not judged.
    assert rows(findings, "CT2001") == [(3, "AESER", "X"), (4, "AESER", "y"), (5, "AESER", " Y")]
    assert rows(findings, "CT2002") == [(2, "AEOUT", "UNKNOWN"), (4, "AEOUT", "fatal")]
    message = next(f.message for f in findings if f.row == 3)
    assert message == "AESER value 'X' is not in non-extensible codelist NY (C66742, SDTM CT 2025-03-28)"
    assert {(f.rule, f.severity) for f in findings} == {("CT2001", "error"), ("CT2002", "warning")}
    # A run for each rule that applies to the dataset, none for the others.
    assert {r.rule: r.status for r in runs if r.dataset == "AE"} == {"CT2001": "failed", "CT2002": "failed"}


def test_sponsor_extensions_are_declared_in_the_study_codelists():
    ae = pd.DataFrame({"AEOUT": ["FATAL", "UNKNOWN"], "AESER": ["Y", "MAYBE"]})
    out = codelist("OUT", "C66768", ["FATAL", "RECOVERED/RESOLVED", "UNKNOWN"], extensible=True, sponsor=True)
    # A define.xml may list a value for a non-extensible codelist: still an error, saying so.
    ny = codelist("NY", "C66742", ["N", "Y", "MAYBE"], source=None)
    declared = {"AE": spec("AE", var("AEOUT", codelist="OUT"), var("AESER", codelist="NY"))}
    findings, _ = check({"AE": ae}, declared=declared, own={"OUT": out, "NY": ny})
    assert rows(findings, "CT2002") == []
    assert rows(findings, "CT2001") == [(2, "AESER", "MAYBE")]
    assert "which the sponsor's codelist declares" in findings[0].message


def test_dsdecod_takes_its_codelist_by_dscat():
    ds = pd.DataFrame({
        "DOMAIN": "DS",
        "DSCAT": ["DISPOSITION EVENT", "DISPOSITION EVENT", "OTHER EVENT", "PROTOCOL MILESTONE", ""],
        "DSDECOD": ["COMPLETED", "FINAL LAB VISIT", "FINAL LAB VISIT", "RANDOMIZED", "ANYTHING"]})
    standard = {"DS": spec("DS", var("DSCAT"), var("DSDECOD", codelist="NCOMPLT"))}
    findings, _ = check({"DS": ds}, standard=standard)
    # OTHER EVENT values are judged by OTHEVENT (extensible), not the disposition reasons.
    assert rows(findings, "CT2004") == [(2, "DSDECOD", "FINAL LAB VISIT")]
    assert rows(findings, "CT2005") == [(3, "DSDECOD", "FINAL LAB VISIT"), (4, "DSDECOD", "RANDOMIZED")]
    assert next(f.message for f in findings if f.row == 3).endswith(
        "OTHEVENT (C150811, SDTM CT 2025-03-28) where DSCAT = OTHER EVENT and is not declared as a "
        "sponsor extension")
    assert not rows(findings, "CT2001") and not rows(findings, "CT2002")  # row 5: no category, no codelist


def test_the_metadata_s_value_level_codelist_wins():
    ds = pd.DataFrame({"DOMAIN": "DS", "DSCAT": ["PROTOCOL MILESTONE", "DISPOSITION EVENT"],
                       "DSDECOD": ["COMPLETED", "COMPLETED"]})
    declared = {"DS": spec("DS", var("DSCAT"), var("DSDECOD", codelist="NCOMPLT"), value_level=[
        ValueLevel("DSDECOD", {"DSCAT": ("PROTOCOL MILESTONE",)}, "Char", codelist="PROTMLST")])}
    findings, _ = check({"DS": ds}, declared=declared)
    assert [(f.rule, f.row) for f in findings] == [("CT2005", 1)]


def test_tsval_takes_its_codelist_by_tsparmcd():
    ts = pd.DataFrame({"DOMAIN": "TS",
                       "TSPARMCD": ["TPHASE", "RANDOM", "PDSTIND", "DOSFRQ", "TITLE"],
                       "TSVAL": ["Phase II Trial", "Y", "YES", "QD; 12 to 14 hours", "Any title"]})
    findings, _ = check({"TS": ts}, standard={"TS": spec("TS", var("TSPARMCD"), var("TSVAL"))})
    # TPHASE: its response codelist (case counts); RANDOM and the PDSTIND indicator: NY;
    # DOSFRQ: FREQ (conditions.yaml); TITLE: free text.
    assert rows(findings, "CT2005") == [(1, "TSVAL", "Phase II Trial"), (4, "TSVAL", "QD; 12 to 14 hours")]
    assert rows(findings, "CT2004") == [(3, "TSVAL", "YES")]


def test_paired_test_code_and_name_share_one_c_code():
    lb = pd.DataFrame({"LBTESTCD": ["ALT", "AST", "ALT", "XYZ"],
                       "LBTEST": ["Alanine Aminotransferase", "Alanine Aminotransferase",
                                  "Alanine Aminotransferase", "Xyz"]})
    standard = {"LB": spec("LB", var("LBTESTCD", codelist="LBTESTCD"), var("LBTEST", codelist="LBTEST"))}
    findings, _ = check({"LB": lb}, standard=standard)
    assert rows(findings, "CT2003") == [(2, "LBTESTCD/LBTEST", "AST/Alanine Aminotransferase")]
    (pair,) = [f for f in findings if f.rule == "CT2003"]
    assert "C64467" in pair.message and "C64433" in pair.message and pair.severity == "error"
    # XYZ is outside both codelists: CT2002 says so, the pair is not judged twice.
    assert rows(findings, "CT2002") == [(4, "LBTEST", "Xyz"), (4, "LBTESTCD", "XYZ")]


def test_character_results_only_where_the_numeric_result_is_null():
    lb = pd.DataFrame({"LBSTRESC": ["12.5", "NEGATIVE", "<2", "TRACE"],
                       "LBSTRESN": [12.5, None, None, None]})
    standard = {"LB": spec("LB", var("LBSTRESC", codelist="LBSTRESC"), var("LBSTRESN", type_="Num"))}
    findings, _ = check({"LB": lb}, standard=standard)
    assert rows(findings, "CT2005") == [(3, "LBSTRESC", "<2"), (4, "LBSTRESC", "TRACE")]
    assert "where LBSTRESN is null" in findings[0].message
    own = {"LBSTRESC": codelist("LBSTRESC", "C102580", ["NEGATIVE", "POSITIVE", "<2"], extensible=True,
                                sponsor=True)}
    findings, _ = check({"LB": lb}, standard=standard, own=own)
    assert rows(findings, "CT2005") == [(4, "LBSTRESC", "TRACE")]


def test_sponsor_codelists_and_numbers():
    qs = pd.DataFrame({"QSTESTCD": ["Q1", "Q2", "Q1", "Q2"],
                       "QSORRES": ["A little", "Often", "Always", "A little"],
                       "QSSTRESN": [1.0, 4.0, 2.0, None]})
    often = Codelist("OFTEN", "Frequency", (Term("Often"), Term("Never")), sponsor=True)
    little = Codelist("LITTLE", "Amount", (Term("A little"), Term("Very much")), sponsor=True)
    declared = {"QS": spec("QS", var("QSTESTCD"), var("QSORRES", codelist="LITTLE"),
                           var("QSSTRESN", type_="Num", codelist="SCORE"),
                           value_level=[ValueLevel("QSORRES", {"QSTESTCD": ("Q2",)}, "Char",
                                                   codelist="OFTEN")])}
    findings, _ = check({"QS": qs}, declared=declared, own={"OFTEN": often, "LITTLE": little})
    assert rows(findings, "SD0037") == [(3, "QSORRES", "Always")]
    assert rows(findings, "SD1228") == [(4, "QSORRES", "A little")]
    # A number is compared as the text the codelist holds: 1.0 is '1', 4.0 is not in 1-3.
    assert rows(findings, "CT2001") == [(2, "QSSTRESN", "4")]


def test_the_shipped_subset_cannot_judge_a_value_outside_it():
    subset = Terminology(CtSource("sdtm", "2024-03-29", complete=False),
                         {"OUT": codelist("OUT", "C66768", ["FATAL"], extensible=True,
                                          source=CtSource("sdtm", "2024-03-29", complete=False))})
    ae = pd.DataFrame({"AEOUT": ["FATAL", "RECOVERING/RESOLVING"]})
    findings, runs = check({"AE": ae}, standard={"AE": spec("AE", var("AEOUT", codelist="OUT"))},
                           ct=CtInUse((subset,)))
    assert findings == []
    (not_run,) = [r for r in runs if r.status == "not run"]
    assert (not_run.rule, not_run.dataset) == ("CT2002", "AE")
    assert "'RECOVERING/RESOLVING'" in not_run.reason and "clinforge ct import" in not_run.reason
    assert "(the subset clinforge ships)" in not_run.reason
    # All its values in the subset: passed.
    findings, runs = check({"AE": ae.head(1)}, standard={"AE": spec("AE", var("AEOUT", codelist="OUT"))},
                           ct=CtInUse((subset,)))
    assert {r.status for r in runs if r.dataset == "AE"} == {"passed"}


def test_a_codelist_the_package_lacks_is_not_run():
    ae = pd.DataFrame({"AEACN": ["DOSE NOT CHANGED"]})
    findings, runs = check({"AE": ae}, standard={"AE": spec("AE", var("AEACN", codelist="ACN"))})
    assert findings == [] and [(r.rule, r.status) for r in runs if r.status != "passed"] == [
        ("CT2001", "not run")]


# --- the CDISC pilot SDTM, as submitted ----------------------------------------------------------

# Every CT finding on the pilot against SDTM CT 2025-03-28 and SDTMIG 3.4, and why it is real.
PILOT_CT_FINDINGS = {
    # FREQ (extensible) has QAM, QPM ("every morning/night"); OTHER, Q4S, QS, TIS are no terms.
    ("CT2002", "CM", "CMDOSFRQ"): {"EVERY MORNING", "EVERY NIGHT", "OTHER", "Q4S", "QS", "TIS"},
    # UNIT (extensible) has neither '% (v/v)' nor 'IN' (the term is 'in', inch: case counts).
    ("CT2002", "CM", "CMDOSU"): {"% (v/v)", "IN"},
    # SCTESTCD/SCTEST: the CDISC term is EDULEVEL / 'Level of Education Attained'.
    ("CT2002", "SC", "SCTESTCD"): {"EDLEVEL"},
    ("CT2002", "SC", "SCTEST"): {"EDUCATION LEVEL"},
    # EPOCH terms are upper case.
    ("CT2002", "TA", "EPOCH"): {"Screening", "Treatment"},
    # TSPARMCD AGESPAN is no longer a TS parameter; the TSPARM names are outdated (INDIC is 'Trial
    # Disease/Condition Indication', TINDTP 'Trial Intent Type').
    ("CT2002", "TS", "TSPARMCD"): {"AGESPAN"},
    ("CT2002", "TS", "TSPARM"): {"Age Group", "Trial Indication", "Trial Indication Type"},
    # Other-event DS records: OTHEVENT (extensible) has neither term, and no define.xml declares them.
    ("CT2005", "DS", "DSDECOD"): {"FINAL LAB VISIT", "FINAL RETRIEVAL VISIT"},
    # TSVAL of TPHASE is upper case ('PHASE II TRIAL'); DOSFRQ is free text, not a FREQ term.
    ("CT2005", "TS", "TSVAL"): {"Phase II Trial", "QD; 12 to 14 hours transdermal application"},
}


@pytest.fixture(scope="module")
def pilot(ct_store):
    frames = {}
    for path in sorted(reference("cdisc-pilot01-sdtm").glob("*.xpt")):
        # ts.xpt holds Windows-1252 apostrophes (the reference README)
        frames[path.stem.upper()], _ = pyreadstat.read_xport(str(path), encoding="windows-1252")
    return frames, validate_folder(frames, store=ct_store)


def test_every_ct_finding_on_the_cdisc_pilot_is_a_real_one(pilot):
    _, result = pilot
    assert result.notes == ["CDISC CT: SDTM CT 2025-03-28, ADaM CT 2025-03-28"]
    found: dict[tuple[str, str, str], set[str]] = {}
    for f in result.findings:
        if f.rule.startswith(("CT", "SD0037", "SD1228")):
            found.setdefault((f.rule, f.dataset, f.variable), set()).add(f.value)
    assert found == PILOT_CT_FINDINGS
    ct = [f for f in result.findings if f.rule.startswith("CT")]
    assert len(ct) == 1064 and all("SDTM CT 2025-03-28" in f.message for f in ct)
    # Values in CDISC CT of 2025 that the shipped subset flagged before: TABLET, TOPICAL, PATCH ...
    assert not [f for f in ct if f.value in ("TABLET", "TOPICAL", "PATCH", "TRANSDERMAL", "QID")]
    # Every CT rule ran on the pilot's coded variables: none is left NOT RUN.
    assert [r for r in result.not_run() if r.rule.startswith("CT")] == []


def test_pilot_dm_country_is_not_cdisc_ct(pilot):
    # SDTMIG 3.4 names ISO 3166-1 alpha-3 for COUNTRY: no CT rule judges it.
    frames, result = pilot
    assert "USA" in set(frames["DM"]["COUNTRY"])
    assert not [r for r in result.runs if r.dataset == "DM" and "COUNTRY" in r.reason]


def test_reading_the_pilot_takes_the_reference(pilot):
    frames, _ = pilot
    assert Path(reference("cdisc-pilot01-sdtm")).is_dir() and len(frames) == 18


def test_the_pilot_with_its_define_xml(ct_store):
    # The define.xml (Define-XML 1.0) lists the sponsor's values: DSDECOD's DISCCD declares FINAL LAB
    # VISIT, CMDOSFRQ's codelist the frequencies, EPOCH the mixed-case epochs, TSVAL's value list
    # for TPHASE 'Phase II Trial' - extensions of extensible codelists, so no longer findings; what
    # it does not declare still is. MedDRA and WHODrug (ExternalCodeList) list no terms and are not
    # judged.
    folder = reference("cdisc-pilot01-sdtm")
    result = validate_folder(folder, store=ct_store, suites=False)
    assert f"define.xml {folder / 'define.xml'}" in result.metadata_source.values()
    found: dict[tuple[str, str, str], set[str]] = {}
    for f in result.findings:
        if f.rule.startswith(("CT", "SD0037", "SD1228")):
            found.setdefault((f.rule, f.dataset, f.variable), set()).add(f.value)
    assert found == {key: values for key, values in PILOT_CT_FINDINGS.items()
                     if key[2] not in ("CMDOSFRQ", "EPOCH", "DSDECOD")} | {
        ("CT2005", "TS", "TSVAL"): {"QD; 12 to 14 hours transdermal application"}}
