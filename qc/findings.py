"""What validation produces: findings (one per offending record), rule runs, and the whole result.

A rule run is recorded for every rule and dataset it was meant for, so a rule that could not run
(a dataset or variable is missing, an expectation raised) is reported as NOT RUN with the reason,
never silently counted as passed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

SEVERITIES = ("error", "warning", "notice")
PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"


def severity_rank(severity: str) -> int:
    """0 for error, 1 for warning, 2 for notice: lower is worse."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    dataset: str
    variable: str = ""
    usubjid: str = ""
    seq: float | None = None  # the record's --SEQ (or ASEQ) when the dataset has one
    row: int | None = None  # 1-based record number in the dataset; None for dataset-level findings
    value: str = ""
    message: str = ""
    # Every id the rule has: CDISC CORE, CDISC conformance (CGxxxx), FDA business rule, Pinnacle 21.
    core_id: str = ""
    cdisc_id: str = ""
    fda_id: str = ""
    p21_id: str = ""
    disposition: str = ""  # explained, waived or to fix, when a disposition matched it
    explanation: str = ""

    @property
    def settled(self) -> bool:
        """Explained or waived: shown in every report, but not counted for the exit status."""
        return self.disposition in ("explained", "waived")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RuleRun:
    """One rule (or suite expectation family) on one dataset: passed, failed or not run."""

    rule: str
    dataset: str
    severity: str
    status: str
    findings: int = 0
    reason: str = ""  # why NOT RUN, or which part could not be checked
    description: str = ""
    source: str = "rule"  # "suite" (Great Expectations) or "rule" (a CORE-format rule)
    core_id: str = ""
    cdisc_id: str = ""
    fda_id: str = ""
    p21_id: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RuleText:
    """What a report says about a rule: its text, where it is written, and its test cases."""

    id: str
    description: str
    message: str = ""
    path: str = ""  # the rule file, when the rule is one
    cases: tuple[str, ...] = ()  # its test-case folders (positive/01, negative/01 …)


@dataclass
class ValidationResult:
    findings: list[Finding]
    runs: list[RuleRun]
    records: dict[str, int]  # dataset → number of records
    metadata_source: dict[str, str]  # dataset → where its metadata came from
    timings: dict[str, float] = field(default_factory=dict)  # seconds: suites, rules, per dataset
    gx_results: dict = field(default_factory=dict, repr=False)  # dataset → GX validation result
    warnings: list[str] = field(default_factory=list)  # what reading the files had to say
    rules: dict[str, RuleText] = field(default_factory=dict)  # every rule that was meant to run
    coverage: list = field(default_factory=list)  # qc.dispositions.Coverage of each disposition
    changes: dict = field(default_factory=dict)  # issue key → new / persisting, against a baseline
    resolved: list = field(default_factory=list)  # qc.summary.Issue of the baseline no longer found
    baseline: str = ""  # the baseline's findings.json, when one was given
    context: dict[str, str] = field(default_factory=dict)  # data, standards, terminology, engine

    def not_run(self) -> list[RuleRun]:
        return [r for r in self.runs if r.status == NOT_RUN]

    def count_by_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(f.rule for f in self.findings).items()))

    def count_by_dataset(self) -> dict[str, dict[str, int]]:
        """dataset → {records, error, warning, notice} (every dataset validated, even clean ones)."""
        out = {name: {"records": n, **dict.fromkeys(SEVERITIES, 0)} for name, n in self.records.items()}
        for f in self.findings:
            out.setdefault(f.dataset, {"records": 0, **dict.fromkeys(SEVERITIES, 0)})[f.severity] += 1
        return dict(sorted(out.items()))

    def count_by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.findings)
        return {s: counts.get(s, 0) for s in SEVERITIES}

    def count_open(self) -> dict[str, int]:
        """Findings per severity that no disposition explained or waived."""
        counts = Counter(f.severity for f in self.findings if not f.settled)
        return {s: counts.get(s, 0) for s in SEVERITIES}

    def fails(self, at: str = "error") -> bool:
        """True when a finding not explained or waived is at or above the severity `at`
        (error > warning > notice)."""
        limit = severity_rank(at)
        return any(severity_rank(f.severity) <= limit and not f.settled for f in self.findings)
