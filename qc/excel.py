"""The validation report as a workbook, in the layout reviewers read from Pinnacle 21.

Sheets: Validation Summary (data, standards, terminology, engine, totals), Dataset Summary,
Issue Summary (one row per rule × dataset × variable, × value for terminology), Details (one row
per finding), Rules (every rule meant to run: what it checks, where it ran, what it found) and,
when a dispositions file was applied, Dispositions. Written with openpyxl; the same result gives
the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from qc.dispositions import Coverage
from qc.findings import NOT_RUN, SEVERITIES, ValidationResult
from qc.summary import issues
from specs.ooxml import save_stable

HEADER = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
MAX_WIDTH = 60
# Shared by every aligned cell: openpyxl stores one style per distinct value either way.
TOP = {wrap: Alignment(vertical="top", wrap_text=wrap) for wrap in (False, True)}


def write_excel(result: ValidationResult, path: str | Path) -> Path:
    workbook = Workbook()
    _summary(workbook.active, result)
    _sheet(workbook, "Dataset Summary", ["Dataset", "Records", "Metadata", *[s.title() for s in SEVERITIES]],
           [[name, c["records"], result.metadata_source.get(name, ""), *[c[s] for s in SEVERITIES]]
            for name, c in result.count_by_dataset().items()])
    _sheet(workbook, "Issue Summary",
           ["Rule", "Rule IDs", "Severity", "Dataset", "Variable", "Value", "Message", "Count", "Open",
            "Disposition", "Change"],
           [[i.rule, i.ids(), i.severity, i.dataset, i.variable, i.value, i.message, i.count, i.open,
             i.disposition, result.changes.get(i.key, "")] for i in issues(result.findings)]
           + [[i.rule, i.ids(), i.severity, i.dataset, i.variable, i.value, i.message, 0, 0, "", "resolved"]
              for i in result.resolved])
    _sheet(workbook, "Details",
           ["Dataset", "Record", "USUBJID", "Seq", "Variables", "Values", "Rule", "Rule IDs", "Message",
            "Severity", "Disposition", "Explanation"],
           [[f.dataset, f.row, f.usubjid, f.seq, f.variable, f.value, f.rule,
             ", ".join(dict.fromkeys(i for i in (f.rule, f.core_id, f.cdisc_id, f.fda_id, f.p21_id) if i)),
             f.message, f.severity, f.disposition, f.explanation] for f in result.findings])
    _sheet(workbook, "Rules", ["Rule", "Description", "Datasets run", "Not run", "Findings", "Why not run"],
           _rule_rows(result))
    if result.coverage:
        _sheet(workbook, "Dispositions",
               ["Entry", "Rule", "Dataset", "Variable", "Value", "Subject", "Status", "Explanation", "Author",
                "Date", "Findings covered"],
               [_disposition_row(c) for c in result.coverage])
    return save_stable(workbook.save, path)


def _disposition_row(coverage: Coverage) -> list:
    d = coverage.disposition
    return [d.where, d.rule, d.dataset, d.variable, d.value, d.subject, d.status, d.explanation, d.author,
            d.date, "STALE: matched nothing" if coverage.stale else coverage.findings]


def _summary(sheet, result: ValidationResult) -> None:
    sheet.title = "Validation Summary"
    total, still_open = result.count_by_severity(), result.count_open()
    rows = [[key.title(), value] for key, value in result.context.items()]
    rows += [["Datasets", len(result.records)], ["Records", sum(result.records.values())]]
    rows += [[f"{s.title()}s", f"{total[s]} ({total[s] - still_open[s]} explained or waived)"]
             for s in SEVERITIES]
    rows += [["Rule runs not run", len(result.not_run())]]
    if result.baseline:
        rows.append(["Baseline", result.baseline])
    _fill(sheet, ["Item", "Value"], rows)


def _rule_rows(result: ValidationResult) -> list[list]:
    runs: dict[str, list] = {}
    for run in result.runs:
        runs.setdefault(run.rule, []).append(run)
    rows = []
    for rule in sorted(set(runs) | set(result.rules)):
        done = runs.get(rule, [])
        text = result.rules.get(rule)
        description = text.description if text else (done[0].description if done else "")
        skipped = [r for r in done if r.status == NOT_RUN]
        rows.append([rule, description, len(done) - len(skipped), len(skipped), sum(r.findings for r in done),
                     "; ".join(sorted({f"{r.dataset or 'study'}: {r.reason}" for r in skipped}))])
    return rows


def _sheet(workbook: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    _fill(workbook.create_sheet(title), header, rows)


def _fill(sheet, header: list[str], rows: list[list]) -> None:
    sheet.append(header)
    for cell in sheet[1]:
        cell.font, cell.fill = HEADER, HEADER_FILL
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = sheet.dimensions
    for position, title in enumerate(header, start=1):
        values = [len(str(title))] + [len(str(r[position - 1])) for r in rows[:500]
                                      if r[position - 1] is not None]
        sheet.column_dimensions[get_column_letter(position)].width = min(MAX_WIDTH, max(values) + 2)
    # Only a row with a wrapped (long) value is more than one line high, so only its cells need
    # aligning to the top; styling every cell cost most of the report's time on large results.
    for line in sheet.iter_rows(min_row=2):
        wrapped = [isinstance(cell.value, str) and len(cell.value) > MAX_WIDTH for cell in line]
        if any(wrapped):
            for cell, wrap in zip(line, wrapped, strict=True):
                cell.alignment = TOP[wrap]
