"""qc/dispositions.py: known findings explained, waived or to fix; stale entries; bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from qc.dispositions import apply_dispositions, load_dispositions
from qc.findings import Finding, ValidationResult
from specs.errors import SpecError

ENTRIES = """\
dispositions:
  - rule: XD-AESER-CRITERION
    dataset: AE
    variable: AESER
    status: explained
    explanation: The criterion was not collected on the CRF.
    author: J. Smith
    date: 2026-11-30
  - rule: CT*
    variable: CMROUTE
    value: "ORAL(LY)?"
    subject: S-2
    status: waived
    explanation: Sponsor term agreed with the FDA.
    author: J. Smith
    date: 2026-11-30
  - rule: XD-DY
    status: to fix
    explanation: Study day off by one, data management ticket 42.
    author: A. Lee
    date: 2026-12-01
  - rule: SD9999
    status: explained
    explanation: Matches nothing any more.
    author: A. Lee
    date: 2026-12-01
"""


def _finding(rule: str, dataset: str, variable: str, value: str, subject: str = "S-1") -> Finding:
    return Finding(rule=rule, severity="error", dataset=dataset, variable=variable, usubjid=subject,
                   row=1, value=value, message="")


@pytest.fixture
def entries(tmp_path: Path):
    path = tmp_path / "dispositions.yaml"
    path.write_text(ENTRIES)
    return load_dispositions(path)


def test_findings_are_marked_by_the_first_matching_entry(entries):
    findings, coverage = apply_dispositions([
        _finding("XD-AESER-CRITERION", "AE", "AESER", "Y"),  # explained
        # waived: a rule pattern, a value expression and a subject
        _finding("CT2002", "CM", "CMROUTE", "ORALLY", subject="S-2"),
        _finding("CT2002", "CM", "CMROUTE", "ORALLY", subject="S-3"),  # another subject: open
        _finding("CT2002", "CM", "CMROUTE", "ORALLYX", subject="S-2"),  # the whole value must match: open
        _finding("XD-DY", "LB", "LBDY", "3"),  # to fix
    ], entries)
    assert [f.disposition for f in findings] == ["explained", "waived", "", "", "to fix"]
    assert findings[0].explanation == "The criterion was not collected on the CRF."
    assert [(c.disposition.rule, c.findings, c.stale) for c in coverage] == [
        ("XD-AESER-CRITERION", 1, False), ("CT*", 1, False), ("XD-DY", 1, False), ("SD9999", 0, True)]


def test_only_open_and_to_fix_findings_count_for_the_exit_status(entries):
    findings, _ = apply_dispositions([_finding("XD-AESER-CRITERION", "AE", "AESER", "Y")], entries)
    result = ValidationResult(findings=findings, runs=[], records={}, metadata_source={})
    assert not result.fails("error") and result.count_open()["error"] == 0
    findings, _ = apply_dispositions([_finding("XD-DY", "LB", "LBDY", "3")], entries)
    assert ValidationResult(findings=findings, runs=[], records={}, metadata_source={}).fails("error")


def test_csv_form(tmp_path: Path):
    path = tmp_path / "d.csv"
    path.write_text("rule,dataset,status,explanation,author,date\nXD-DY,AE,waived,Known.,A. Lee,2026-12-01\n")
    (entry,) = load_dispositions(path)
    assert (entry.rule, entry.dataset, entry.variable, entry.status, entry.line) == ("XD-DY", "AE", "*",
                                                                                     "waived", 2)


@pytest.mark.parametrize(("text", "says"), [
    # A status that is not one of the three.
    ("  - rule: X\n    status: maybe\n    explanation: e\n    author: a\n    date: 2026-12-01\n",
     "d.yaml:3: status 'maybe'"),
    # A key the file does not know, at its own line.
    ("  - rule: X\n    status: waived\n    explanation: e\n    author: a\n    date: 2026-12-01\n"
     "    who: b\n", "d.yaml:7: unknown key 'who'"),
    # No explanation.
    ("  - rule: X\n    status: waived\n    author: a\n    date: 2026-12-01\n",
     "d.yaml:2: explanation is missing"),
    # A date that is no date.
    ("  - rule: X\n    status: waived\n    explanation: e\n    author: a\n    date: 2026-13-01\n",
     "d.yaml:6: '2026-13-01' is not a valid date"),
    # A value pattern that is not a regular expression.
    ("  - rule: X\n    value: '(('\n    status: waived\n    explanation: e\n    author: a\n"
     "    date: 2026-12-01\n", "d.yaml:3: value '((' is not a regular expression"),
])
def test_malformed_file_names_the_line(tmp_path: Path, text: str, says: str):
    path = tmp_path / "d.yaml"
    path.write_text("dispositions:\n" + text)
    with pytest.raises(SpecError) as error:
        load_dispositions(path)
    assert says in str(error.value)
