"""Findings grouped as reviewers read them: one issue per rule × dataset × variable.

Pinnacle 21 and CORE reports list an issue once with its count and a few example records, and
every record in a details listing. Controlled-terminology findings are grouped by value too
(one issue per term outside the codelist), since each term is its own decision for the sponsor.
Every report (HTML, console, Excel, reviewer's guide tables, run diffs) uses these groups.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qc.findings import Finding, severity_rank

EXAMPLES = 5


def by_value(rule: str) -> bool:
    """Findings of this rule are grouped by their value as well (terminology rules)."""
    return rule.startswith(("CT", "DS-CT"))


@dataclass(frozen=True)
class Issue:
    rule: str
    severity: str
    dataset: str
    variable: str
    value: str  # the value for terminology issues, else ""
    message: str
    count: int
    examples: tuple[Finding, ...]
    open: int = 0  # findings no disposition explained or waived
    disposition: str = ""  # explained / waived / to fix when all its findings have it, "mixed" else
    core_id: str = ""
    cdisc_id: str = ""
    fda_id: str = ""
    p21_id: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What identifies the issue from one run to the next."""
        return self.rule, self.dataset, self.variable, self.value

    def to_dict(self, change: str = "") -> dict:
        """The issue for issues.json: ids, where, count, disposition, change and example records."""
        return {"rule": self.rule, "ids": self.ids(), "severity": self.severity, "dataset": self.dataset,
                "variable": self.variable, "value": self.value, "message": self.message, "count": self.count,
                "open": self.open, "disposition": self.disposition, "change": change,
                "examples": [example_text(f) for f in self.examples]}

    def ids(self) -> str:
        return ", ".join(dict.fromkeys(i for i in (self.rule, self.core_id, self.cdisc_id, self.fda_id,
                                                   self.p21_id) if i))


def issues(findings: Iterable[Finding]) -> list[Issue]:
    """The findings grouped, worst severity first, then by rule, dataset and variable."""
    groups: dict[tuple[str, str, str, str], list[Finding]] = {}
    for f in findings:
        key = (f.rule, f.dataset, f.variable, f.value if by_value(f.rule) else "")
        groups.setdefault(key, []).append(f)
    out = []
    for (rule, dataset, variable, value), found in groups.items():
        first = found[0]
        statuses = {f.disposition for f in found}
        out.append(Issue(rule=rule, severity=first.severity, dataset=dataset, variable=variable, value=value,
                         message=first.message, count=len(found), examples=tuple(found[:EXAMPLES]),
                         open=sum(not f.settled for f in found),
                         disposition=statuses.pop() if len(statuses) == 1 else "mixed",
                         core_id=first.core_id, cdisc_id=first.cdisc_id, fda_id=first.fda_id,
                         p21_id=first.p21_id))
    return sorted(out, key=lambda i: (severity_rank(i.severity), i.rule, i.dataset, i.variable, i.value))


def example_text(finding: Finding) -> str:
    """One record as a short line: row, subject, sequence and the value."""
    where = f"row {finding.row}" if finding.row else "dataset"
    subject = f" {finding.usubjid}" if finding.usubjid else ""
    seq = f" seq {finding.seq:g}" if finding.seq is not None else ""
    return f"{where}{subject}{seq}: {finding.value}"
