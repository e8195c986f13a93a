"""qc/summary.py: findings grouped into issues, as reviewers' reports list them."""

from __future__ import annotations

from qc.findings import Finding
from qc.summary import example_text, issues


def _f(rule: str, dataset: str, variable: str, value: str, row: int, severity: str = "error") -> Finding:
    return Finding(rule=rule, severity=severity, dataset=dataset, variable=variable, usubjid=f"S-{row}",
                   seq=float(row), row=row, value=value, message=f"{variable} is wrong")


def test_one_issue_per_rule_dataset_variable():
    found = issues([
        _f("SD0001", "AE", "AESER", "X", 1), _f("SD0001", "AE", "AESER", "Z", 2),  # one issue, 2 records
        _f("SD0001", "CM", "CMSER", "X", 1),  # another dataset
        _f("SD0002", "AE", "AESER", "X", 3, severity="warning"),  # another rule, a warning
    ])
    assert [(i.rule, i.dataset, i.variable, i.value, i.count) for i in found] == [
        ("SD0001", "AE", "AESER", "", 2), ("SD0001", "CM", "CMSER", "", 1), ("SD0002", "AE", "AESER", "", 1)]


def test_terminology_issues_are_grouped_by_value_too():
    found = issues([_f("CT2002", "CM", "CMROUTE", "ORALLY", 1), _f("CT2002", "CM", "CMROUTE", "ORALLY", 2),
                    _f("CT2002", "CM", "CMROUTE", "IV", 3)])
    assert [(i.value, i.count) for i in found] == [("IV", 1), ("ORALLY", 2)]


def test_examples_are_the_first_five_records():
    found = issues([_f("SD0001", "AE", "AESER", "X", row) for row in range(1, 9)])
    assert found[0].count == 8
    assert [f.row for f in found[0].examples] == [1, 2, 3, 4, 5]
    assert example_text(found[0].examples[0]) == "row 1 S-1 seq 1: X"
