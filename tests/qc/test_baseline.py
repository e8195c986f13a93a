"""qc/baseline.py: issues new or persisting against an earlier findings.json, and resolved ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qc.baseline import NEW, PERSISTING, changes, load_baseline
from qc.findings import Finding
from qc.summary import issues
from specs.errors import InputError


def _f(rule: str, variable: str, row: int) -> Finding:
    return Finding(rule=rule, severity="error", dataset="AE", variable=variable, row=row, value="x")


def test_issues_compared_by_rule_dataset_variable_not_by_record(tmp_path: Path):
    before = [_f("XD-DY", "AESTDY", 3), _f("XD-SEQ-UNIQUE", "AESEQ", 9)]
    path = tmp_path / "findings.json"
    path.write_text(json.dumps([f.to_dict() for f in before]))
    # XD-DY now at another record (a record was added before it): persisting, not new.
    now = issues([_f("XD-DY", "AESTDY", 4), _f("XD-AESER-CRITERION", "AESER", 1)])
    marks, resolved = changes(now, load_baseline(path))
    assert marks == {("XD-DY", "AE", "AESTDY", ""): PERSISTING,
                     ("XD-AESER-CRITERION", "AE", "AESER", ""): NEW}
    assert [i.rule for i in resolved] == ["XD-SEQ-UNIQUE"]


@pytest.mark.parametrize(("body", "says"), [("{not json", "not a findings.json"),
                                            ('{"rule": "X"}', "expected a list of findings")])
def test_a_baseline_that_is_not_findings_json_is_refused(tmp_path: Path, body: str, says: str):
    path = tmp_path / "findings.json"
    path.write_text(body)
    with pytest.raises(InputError, match=says):
        load_baseline(path)
