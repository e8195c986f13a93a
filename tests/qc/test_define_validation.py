"""qc/define_validation.py: a define.xml on its own — file, version, XSD and Define-XML rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from define.odm import ODM, serialize
from define.writer import write_define
from qc.define_validation import validate_define_file
from qc.engine.cases import check_rule
from qc.summary import issues
from tests.bad_inputs.cli import invoke
from tests.define.conftest import make_data, make_study
from tests.reference import reference

RULES = Path(__file__).resolve().parents[2] / "qc" / "catalogue" / "define"


@pytest.fixture
def written(tmp_path: Path) -> Path:
    return write_define(make_study(), "sdtm", make_data()["sdtm"], tmp_path / "define.xml")


@pytest.mark.parametrize("rule", sorted(p.name for p in RULES.iterdir() if (p / "rule.yml").is_file()))
def test_define_rule_cases(rule: str):
    results = check_rule(RULES / rule)
    assert [r for r in results if r.status != "passed"] == []
    assert {r.case.split("/")[0] for r in results} == {"positive", "negative"}


def test_a_define_written_from_test_specs_says_what_they_lack(written: Path):
    found = issues(validate_define_file(written).findings)
    # The datasets are not beside this define.xml (only the leaves name them), and the test specs
    # give no method for some derived variables (DM.AGE): both are true of this file.
    assert {i.rule for i in found} == {"DEF-LEAF-FILE", "DEF-DERIVED-METHOD"}
    derived = next(i for i in found if i.rule == "DEF-DERIVED-METHOD")
    assert "parent_OID=IG.DM; Variable=AGE" in [e.value.rsplit(";", 1)[0] for e in derived.examples]


def test_a_broken_reference_is_found_at_its_definition(written: Path, tmp_path: Path):
    tree = etree.parse(str(written))
    ref = tree.find(f".//{{{ODM}}}ItemRef")
    ref.set("ItemOID", "IT.NOWHERE")
    broken = tmp_path / "broken" / "define.xml"
    broken.parent.mkdir()
    broken.write_bytes(serialize(tree))
    found = {i.rule: i for i in issues(validate_define_file(broken).findings)}
    assert "DEF-REF" in found and "DEF-UNUSED" in found
    assert "value=IT.NOWHERE" in found["DEF-REF"].examples[0].value
    assert found["DEF-REF"].examples[0].value.startswith("where=ValueListDef VL.")


def test_pilot3_define_20_passes_xsd_and_rules_but_misses_two_datasets():
    result = validate_define_file(reference("pilot3-adam", "define.xml"))
    missing = {"ID=LF.ADADAS", "ID=LF.ADLBC", "ID=LF.Suppdoc"}
    found = {(f.rule, f.value.split(";")[0]) for f in result.findings}
    assert found == {("DEF-LEAF-FILE", m) for m in missing}
    assert next(r for r in result.runs if r.rule == "DEF-XSD").status == "passed"


def test_define_10_is_not_what_the_fda_takes_and_its_rules_do_not_run():
    result = validate_define_file(reference("cdisc-pilot01-sdtm", "define.xml"))
    assert [(f.rule, f.severity) for f in result.findings] == [("DEF-VERSION", "error")]
    not_run = {r.rule for r in result.not_run()}
    assert "DEF-XSD" in not_run and "DEF-REF" in not_run


def test_cli_checks_a_define_alone(written: Path, tmp_path: Path):
    renamed = tmp_path / "mydefine.xml"
    renamed.write_bytes(written.read_bytes())
    result = invoke("validate", "--define", renamed, "--report", tmp_path / "qc")
    assert result.exit_code == 1, result.output  # named otherwise: FDA rejection criterion
    assert "DEF-FILENAME" in result.output
    assert (tmp_path / "qc" / "report.xlsx").is_file()
    assert invoke("validate").exit_code == 2
