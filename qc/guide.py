"""The data conformance tables of the study data reviewer's guides (cSDRG for SDTM, ADRG for ADaM).

The PHUSE templates ask, in the conformance section, for every validator issue that remains:
its rule id, the dataset, the message, the severity, how many records, and the sponsor's
explanation. The rows are the run's issues (rule × dataset × variable); the explanation is the
disposition's. An issue nobody explained says so in the table, so that no reviewer's question
is answered by silence. Written as Markdown and as Word (python-docx), the form the guides are
written in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.shared import Pt

from qc.findings import Finding
from qc.summary import issues
from specs.ooxml import save_stable

GUIDES = {"csdrg": "Clinical Study Data Reviewer's Guide (SDTM)",
          "adrg": "Analysis Data Reviewer's Guide (ADaM)"}
COLUMNS = ("Rule ID", "Dataset", "Diagnostic message", "Severity", "Count", "Explanation")
NOT_EXPLAINED = "NOT EXPLAINED: add a disposition before submission"


@dataclass(frozen=True)
class Row:
    rule: str
    dataset: str
    message: str
    severity: str
    count: int
    explanation: str

    def cells(self) -> tuple[str, ...]:
        return self.rule, self.dataset, self.message, self.severity, str(self.count), self.explanation


def guide_rows(findings: list[Finding]) -> dict[str, list[Row]]:
    """The table rows of each guide: ADaM datasets' issues for the ADRG, the others for the cSDRG."""
    out: dict[str, list[Row]] = {name: [] for name in GUIDES}
    for issue in issues(findings):
        explanations = list(dict.fromkeys(f.explanation for f in issue.examples if f.explanation))
        if issue.disposition in ("explained", "waived", "to fix"):
            status = "" if issue.disposition == "explained" else f"[{issue.disposition}] "
            explanation = status + " ".join(explanations)
        elif issue.disposition == "mixed":
            explanation = f"{issue.count - issue.open} of {issue.count} explained: " + " ".join(explanations)
        else:
            explanation = NOT_EXPLAINED
        guide = "adrg" if issue.dataset.upper().startswith("AD") else "csdrg"
        out[guide].append(Row(rule=issue.ids(), dataset=issue.dataset, message=issue.message,
                              severity=issue.severity.title(), count=issue.count, explanation=explanation))
    return out


def write_markdown(rows: list[Row], title: str, path: str | Path) -> Path:
    lines = [f"# {title}: data conformance", "",
             "Issues remaining after validation, with the sponsor's explanation.", ""]
    if rows:
        lines += ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(_cell(c) for c in row.cells()) + " |" for row in rows]
    else:
        lines.append("No issues remain.")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(path)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_docx(rows: list[Row], title: str, path: str | Path) -> Path:
    document = Document()
    document.add_heading(f"{title}: data conformance", level=1)
    document.add_paragraph("Issues remaining after validation, with the sponsor's explanation.")
    if rows:
        table = document.add_table(rows=1, cols=len(COLUMNS))
        table.style = "Table Grid"
        for cell, name in zip(table.rows[0].cells, COLUMNS, strict=True):
            cell.text = name
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in rows:
            for cell, text in zip(table.add_row().cells, row.cells(), strict=True):
                cell.text = text
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(8)
    else:
        document.add_paragraph("No issues remain.")
    return save_stable(document.save, path)


def guides_for(folder: Path, findings: list[Finding]) -> set[str]:
    """Which guides a report folder feeds: by its name (reports/sdtm, reports/adam), else by the
    datasets its findings name."""
    name = folder.name.lower()
    if "adam" in name:
        return {"adrg"}
    if "sdtm" in name:
        return {"csdrg"}
    return {"adrg" if f.dataset.upper().startswith("AD") else "csdrg" for f in findings} or {"csdrg"}


def write_guides(findings: list[Finding], guides: set[str], folder: str | Path) -> list[Path]:
    """<guide>-conformance.md and .docx for each guide asked for (a table of "no issues" when clean)."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in guide_rows(findings).items():
        if name in guides:
            written.append(write_markdown(rows, GUIDES[name], target / f"{name}-conformance.md"))
            written.append(write_docx(rows, GUIDES[name], target / f"{name}-conformance.docx"))
    return written
