"""Internal consistency of the shipped standards metadata and controlled terminology.

These files are data entry: the tests guard the rules every consumer (loader, XPT writer,
define.xml, expectation suites) relies on, so a typo fails here rather than downstream.
"""

import re
from pathlib import Path

import pytest
import yaml

SPECS = Path(__file__).resolve().parents[2] / "specs"
SDTMIG = SPECS / "standards" / "sdtmig-3.4.yaml"
ADAMIG = SPECS / "standards" / "adamig-1.3.yaml"
SDTM_CT = SPECS / "ct" / "sdtm-ct.yaml"
ADAM_CT = SPECS / "ct" / "adam-ct.yaml"

NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")
C_CODE = re.compile(r"^C\d+$")
SDTM_CLASSES = {"SPECIAL PURPOSE", "INTERVENTIONS", "EVENTS", "FINDINGS", "FINDINGS ABOUT", "TRIAL DESIGN",
                "RELATIONSHIP", "STUDY REFERENCE"}
ADAM_CLASSES = {"SUBJECT LEVEL ANALYSIS DATASET", "BASIC DATA STRUCTURE", "OCCURRENCE DATA STRUCTURE"}
SDTM_ROLES = {"Identifier", "Topic", "Timing", "Synonym Qualifier", "Grouping Qualifier", "Result Qualifier",
              "Record Qualifier", "Variable Qualifier", "Rule"}
CORES = {"SDTMIG": {"Req", "Exp", "Perm"}, "ADaMIG": {"Req", "Cond", "Perm"}}
REQUIRED_SDTM_DOMAINS = {"DM", "SUPPQUAL", "RELREC", "CM", "EX", "AE", "DS", "MH", "LB", "PC", "PP", "QS",
                         "TU", "TR", "RS", "SV", "SE", "TA", "TE", "TV", "TI", "TS"}
# Test-code codelists and the test-name codelist that shares each term's C-code.
CODE_NAME_PAIRS = [("LBTESTCD", "LBTEST"), ("PKPARMCD", "PKPARM"), ("TUTESTCD", "TUTEST"),
                   ("TRTESTCD", "TRTEST"), ("ONCRTSCD", "ONCRTS"), ("TSPARMCD", "TSPARM")]


def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def standards() -> dict[str, dict]:
    return {"SDTMIG": _load(SDTMIG), "ADaMIG": _load(ADAMIG)}


@pytest.fixture(scope="module")
def ct() -> dict[str, dict]:
    return {"SDTM CT": _load(SDTM_CT), "ADaM CT": _load(ADAM_CT)}


@pytest.fixture(scope="module")
def codelists(ct) -> dict[str, dict]:
    merged = {}
    for package in ct.values():
        for codelist in package["codelists"]:
            merged[codelist["name"]] = codelist
    return merged


def _variables(standards):
    for standard, doc in standards.items():
        for dataset, meta in doc["datasets"].items():
            for variable in meta["variables"]:
                yield standard, dataset, variable


def test_headers_name_the_standard_and_version(standards, ct):
    # the loader keys on these fields; a renamed file would otherwise load silently
    assert (standards["SDTMIG"]["standard"], standards["SDTMIG"]["version"]) == ("SDTMIG", "3.4")
    assert (standards["ADaMIG"]["standard"], standards["ADaMIG"]["version"]) == ("ADaMIG", "1.3")
    for name, package in ct.items():
        assert package["package"] == name
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", package["version"]), package["version"]


def test_sdtm_covers_every_domain_clinforge_writes(standards):
    # a domain missing here would make every study spec repeat its metadata
    assert set(standards["SDTMIG"]["datasets"]) >= REQUIRED_SDTM_DOMAINS


def test_dataset_class_structure_and_keys(standards):
    # keys must be variables of the dataset, or sorting and --SEQ derivation break
    for standard, doc in standards.items():
        classes = SDTM_CLASSES if standard == "SDTMIG" else ADAM_CLASSES
        for dataset, meta in doc["datasets"].items():
            assert meta["class"] in classes, (standard, dataset, meta["class"])
            assert meta["structure"].strip(), (standard, dataset)
            names = [variable["name"] for variable in meta["variables"]]
            assert len(names) == len(set(names)), (standard, dataset, "duplicate variable")
            assert set(meta["keys"]) <= set(names), (standard, dataset, set(meta["keys"]) - set(names))
            if standard == "SDTMIG":
                assert len(meta["label"]) <= 40, (dataset, meta["label"])


def test_variable_names_labels_types_and_core(standards):
    # SAS V5 transport: names <= 8 chars, labels <= 40 ASCII chars
    for standard, dataset, variable in _variables(standards):
        where = (standard, dataset, variable.get("name"))
        assert NAME.match(variable["name"]), where
        label = variable["label"]
        assert label and len(label) <= 40 and label.isascii(), (where, label)
        assert variable["type"] in {"Char", "Num"}, where
        assert variable["core"] in CORES[standard], where
        if standard == "SDTMIG":
            assert variable["role"] in SDTM_ROLES, where


def test_sdtm_sequence_and_test_code_prefixes(standards):
    # a --SEQ or --TESTCD carrying another domain's prefix is a copy-paste slip (TI uses IETESTCD)
    for dataset, meta in standards["SDTMIG"]["datasets"].items():
        prefix = "IE" if dataset == "TI" else dataset
        for variable in meta["variables"]:
            if variable["name"].endswith(("SEQ", "TESTCD")):
                assert variable["name"][: len(prefix)] == prefix, (dataset, variable["name"])


def test_every_referenced_codelist_is_shipped(standards, codelists):
    # the loader resolves 'codelist' by name; a dangling name would fail at study load time
    missing = {(standard, dataset, variable["name"], variable["codelist"])
               for standard, dataset, variable in _variables(standards)
               if "codelist" in variable and variable["codelist"] not in codelists}
    assert not missing


def test_codelist_names_are_unique_across_packages(ct):
    # one name must mean one codelist, whichever package the loader reads first
    names = [codelist["name"] for package in ct.values() for codelist in package["codelists"]]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


def test_codelist_codes_and_terms(ct):
    # C-codes well formed and unique; term values unique; codeless terms only where documented
    for package_name, package in ct.items():
        for codelist in package["codelists"]:
            where = (package_name, codelist["name"])
            assert NAME.match(codelist["name"]), where
            assert isinstance(codelist["extensible"], bool), where
            if "c_code" in codelist:
                assert C_CODE.match(codelist["c_code"]), where
            else:
                assert codelist.get("sponsor_defined") or codelist.get("note"), where
            values = [term["value"] for term in codelist["terms"]]
            assert all(isinstance(value, str) and value for value in values), where
            assert len(values) == len(set(values)), (where, "duplicate term value")
            codes = [term["c_code"] for term in codelist["terms"] if "c_code" in term]
            assert all(C_CODE.match(code) for code in codes), where
            assert len(codes) == len(set(codes)), (where, "duplicate term C-code")
            if len(codes) < len(values) or not values:
                assert codelist.get("sponsor_defined") or codelist.get("note"), (where, "undocumented gap")


def test_sdtm_ct_codelists_carry_nci_codes(ct):
    # every CDISC codelist in the SDTM package must be traceable to NCI EVS
    for codelist in ct["SDTM CT"]["codelists"]:
        if not codelist.get("sponsor_defined"):
            assert "c_code" in codelist, codelist["name"]


def test_test_codes_and_names_pair_up(codelists):
    # --TESTCD and --TEST terms share a C-code; the decode of the code is the name
    for code_list, name_list in CODE_NAME_PAIRS:
        names = {term["c_code"]: term["value"] for term in codelists[name_list]["terms"]}
        codes = {term["c_code"]: term for term in codelists[code_list]["terms"]}
        assert set(codes) == set(names), (code_list, name_list, set(codes) ^ set(names))
        for c_code, term in codes.items():
            assert NAME.match(term["value"]), (code_list, term["value"])
            assert len(names[c_code]) <= 40, (name_list, names[c_code])
            if "decode" in term:
                assert term["decode"] == names[c_code], (code_list, term["value"], term["decode"])
