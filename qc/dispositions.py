"""Dispositions: the sponsor's word on known findings, kept with the study and reviewed in git.

A dispositions file (YAML, or CSV with the same columns) lists entries; each matches findings
by rule, dataset and variable (`*` and `?` wildcards), optionally by a value pattern (a regular
expression the whole value must match) and a subject, and says what the finding is:

    dispositions:
      - rule: XD-AESER-CRITERION
        dataset: AE
        variable: AESER
        status: explained          # explained | waived | to fix
        explanation: The site confirmed the SAE; the criterion was not collected on the CRF.
        author: J. Smith
        date: 2026-11-30

The first entry that matches a finding decides it. Explained and waived findings stay in every
report, marked so, but no longer count for the exit status; "to fix" findings still count. An
entry that matches nothing is reported as stale, so that nothing is explained silently.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path

from qc.findings import Finding
from specs.errors import Problem, SpecError
from specs.yamlio import LMap, LSeq, read_yaml

STATUSES = ("explained", "waived", "to fix")
SETTLED = ("explained", "waived")  # no longer count for the exit status
FIELDS = ("rule", "dataset", "variable", "value", "subject", "status", "explanation", "author", "date")
REQUIRED = ("rule", "status", "explanation", "author", "date")


@dataclass(frozen=True)
class Disposition:
    rule: str
    status: str
    explanation: str
    author: str
    date: str
    dataset: str = "*"
    variable: str = "*"
    value: str = ""  # a regular expression the whole value must match; "" matches any value
    subject: str = ""  # a USUBJID; "" matches any subject
    file: str = ""
    line: int = 0

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def matches(self, finding: Finding) -> bool:
        return (fnmatchcase(finding.rule, self.rule) and fnmatchcase(finding.dataset, self.dataset)
                and fnmatchcase(finding.variable, self.variable)
                and (not self.value or re.fullmatch(self.value, finding.value) is not None)
                and (not self.subject or finding.usubjid == self.subject))


@dataclass(frozen=True)
class Coverage:
    """What one disposition covered in a run (0 findings: the entry is stale)."""

    disposition: Disposition
    findings: int

    @property
    def stale(self) -> bool:
        return self.findings == 0


def load_dispositions(path: str | Path) -> list[Disposition]:
    """The entries of a YAML or CSV dispositions file; SpecError naming file and line for any problem."""
    source = Path(path)
    if not source.is_file():
        raise SpecError([Problem(str(source), 0, "dispositions file not found")])
    rows = _csv_rows(source) if source.suffix.lower() == ".csv" else _yaml_rows(source)
    problems, out = [], []
    for line, row in rows:
        entry, found = _entry(row, str(source), line)
        problems += found
        if entry is not None:
            out.append(entry)
    if problems:
        raise SpecError(problems)
    return out


def _yaml_rows(source: Path) -> list[tuple[int, dict]]:
    data = read_yaml(source)
    entries = data.get("dispositions") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        line = data.line if isinstance(data, LMap) else 1
        raise SpecError([Problem(str(source), line, "expected a mapping with a list `dispositions:`")])
    rows = []
    for index, entry in enumerate(entries):
        line = entries.line_of(index) if isinstance(entries, LSeq) else 0
        if not isinstance(entry, dict):
            raise SpecError([Problem(str(source), line, "each disposition is a mapping (rule:, status: …)")])
        rows.append((line, entry))
    return rows


def _csv_rows(source: Path) -> list[tuple[int, dict]]:
    try:
        with open(source, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            unknown = [c for c in reader.fieldnames or () if c not in FIELDS]
            if unknown:
                raise SpecError([Problem(str(source), 1, f"unknown column {unknown[0]!r}; the columns are "
                                         + ", ".join(FIELDS))])
            return [(number, {k: v for k, v in row.items() if v not in (None, "")})
                    for number, row in enumerate(reader, start=2)]
    except UnicodeDecodeError as error:
        raise SpecError([Problem(str(source), 0, f"not UTF-8 text (byte {error.start})")]) from None


def _entry(row: dict, file: str, line: int) -> tuple[Disposition | None, list[Problem]]:
    def at(key: str) -> int:  # the key's own line in YAML, the row's in CSV
        return row.line_of(key) if isinstance(row, LMap) else line

    problems = [Problem(file, at(k), f"unknown key {k!r}; the keys are {', '.join(FIELDS)}")
                for k in row if k not in FIELDS]
    problems += [Problem(file, line, f"{k} is missing")
                 for k in REQUIRED if not str(row.get(k) or "").strip()]
    status = str(row.get("status", "")).strip().lower()
    if status and status not in STATUSES:
        problems.append(Problem(file, at("status"),
                                f"status {status!r}: expected one of {', '.join(STATUSES)}"))
    written = row.get("date", "")
    day = written.isoformat() if isinstance(written, date) else str(written).strip()
    if day:
        try:
            date.fromisoformat(day)
        except ValueError:
            problems.append(Problem(file, at("date"), f"date {day!r}: expected YYYY-MM-DD"))
    pattern = str(row.get("value") or "")
    if pattern:
        try:
            re.compile(pattern)
        except re.error as error:
            problems.append(Problem(file, at("value"),
                                    f"value {pattern!r} is not a regular expression: {error}"))
    if problems:
        return None, problems
    return Disposition(
        rule=str(row["rule"]).strip(), status=status, explanation=str(row["explanation"]).strip(),
        author=str(row["author"]).strip(), date=day, dataset=str(row.get("dataset") or "*").strip(),
        variable=str(row.get("variable") or "*").strip(), value=pattern,
        subject=str(row.get("subject") or "").strip(), file=file, line=line,
    ), []


def apply_dispositions(findings: Iterable[Finding], dispositions: list[Disposition]
                       ) -> tuple[list[Finding], list[Coverage]]:
    """Each finding marked with the first disposition that matches it, and what each one covered."""
    counts = [0] * len(dispositions)
    out = []
    for finding in findings:
        for index, entry in enumerate(dispositions):
            if entry.matches(finding):
                counts[index] += 1
                finding = replace(finding, disposition=entry.status, explanation=entry.explanation)
                break
        out.append(finding)
    return out, [Coverage(d, n) for d, n in zip(dispositions, counts, strict=True)]
