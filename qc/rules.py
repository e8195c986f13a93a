"""Conformance rules as declared objects, and the runner that turns their results into findings.

A rule declares what must hold (id, severity, message, the datasets and variables it needs, the
matching CDISC conformance rule and Pinnacle 21 ids where one exists) apart from how it is
checked: its `check` takes every dataset and returns, per dataset, the offending records or the
reason it could not run. The runner adds subject, sequence number and row to each record.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from qc.findings import FAILED, NOT_RUN, PASSED, Finding, RuleRun
from qc.frames import Datasets, seq_column, text


@dataclass(frozen=True)
class Offence:
    """What a check found in one dataset: offending rows, or why it could not run.

    `rows` is indexed by the records' 0-based positions and has columns `variable` and `value`,
    plus any field the rule's message names. `note` tells which part could not be checked when
    the rest could.
    """

    dataset: str
    rows: pd.DataFrame | None = None
    not_run: str = ""
    note: str = ""


@dataclass(frozen=True)
class ConformanceRule:
    id: str
    severity: str
    message: str  # format template over {dataset}, {variable}, {value} and the check's columns
    description: str
    needs: tuple[str, ...]  # e.g. ("DM.USUBJID", "--.USUBJID"): documentation and reports
    check: Callable[[Datasets], list[Offence]]
    cdisc_id: str = ""  # CDISC SDTM/ADaM conformance rule (CORE) id
    p21_id: str = ""  # Pinnacle 21 validator rule id


def hits(mask: pd.Series, variable: str | pd.Series, value: pd.Series | str, **extra) -> pd.DataFrame:
    """The offending rows of one dataset: where `mask` holds, with the variable, value and extras."""
    selected = mask.fillna(False).astype(bool)
    columns = {"variable": variable, "value": value, **extra}
    out = pd.DataFrame(
        {k: (v[selected] if isinstance(v, pd.Series) else v) for k, v in columns.items()},
        index=selected.index[selected],
    )
    return out


def run_rules(
    data: Mapping[str, pd.DataFrame], rules: Iterable[ConformanceRule]
) -> tuple[list[Finding], list[RuleRun], dict[str, float]]:
    """Run each rule on all datasets; every (rule, dataset) gets a run record, findings per record."""
    findings: list[Finding] = []
    runs: list[RuleRun] = []
    seconds: dict[str, float] = {}
    for rule in rules:
        started = time.perf_counter()
        try:
            offences = rule.check(dict(data))
        except (KeyError, ValueError, TypeError) as error:
            offences = [Offence("", not_run=f"the check failed on this data: {error!r}")]
        for offence in offences:
            new = _findings(rule, offence, data.get(offence.dataset))
            findings += new
            status = NOT_RUN if offence.not_run else (FAILED if new else PASSED)
            runs.append(RuleRun(
                rule=rule.id, dataset=offence.dataset, severity=rule.severity, status=status,
                findings=len(new), reason=offence.not_run or offence.note,
                description=rule.description, source="rule", cdisc_id=rule.cdisc_id, p21_id=rule.p21_id,
            ))
        seconds[rule.id] = time.perf_counter() - started
    return findings, runs, seconds


def _findings(rule: ConformanceRule, offence: Offence, frame: pd.DataFrame | None) -> list[Finding]:
    rows = offence.rows
    if offence.not_run or rows is None or rows.empty or frame is None:
        return []
    positions = rows.index.to_numpy()
    subjects = (text(frame["USUBJID"]).to_numpy()[positions] if "USUBJID" in frame.columns
                else [""] * len(rows))
    seq = seq_column(offence.dataset, frame)
    seqs = (pd.to_numeric(frame[seq], errors="coerce").to_numpy()[positions] if seq
            else [None] * len(rows))
    records = rows.assign(dataset=offence.dataset).to_dict("records")
    out = []
    for position, subject, number, fields in zip(positions, subjects, seqs, records, strict=True):
        fields = {k: _plain(v) for k, v in fields.items()}
        out.append(Finding(
            rule=rule.id, severity=rule.severity, dataset=offence.dataset,
            variable=str(fields["variable"]), usubjid=str(subject),
            seq=None if number is None or pd.isna(number) else float(number),
            row=int(position) + 1, value=str(fields["value"]),
            message=rule.message.format(**fields), cdisc_id=rule.cdisc_id, p21_id=rule.p21_id,
        ))
    return out


def _plain(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value
