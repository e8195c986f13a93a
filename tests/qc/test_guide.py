"""qc/guide.py: the cSDRG and ADRG conformance tables, in Markdown and Word."""

from __future__ import annotations

from pathlib import Path

from docx import Document

from qc.findings import Finding
from qc.guide import NOT_EXPLAINED, guide_rows, guides_for, write_guides


def _f(rule: str, dataset: str, row: int, disposition: str = "", explanation: str = "") -> Finding:
    return Finding(rule=rule, severity="error", dataset=dataset, variable="X", row=row, value="v",
                   message=f"{rule} message", p21_id="SD0001" if rule == "R1" else "",
                   disposition=disposition, explanation=explanation)


FINDINGS = [
    _f("R1", "AE", 1, "explained", "Known and agreed."), _f("R1", "AE", 2, "explained", "Known and agreed."),
    _f("R2", "LB", 3),  # nobody explained it
    _f("R3", "ADSL", 1, "waived", "Agreed with the FDA."),
]


def test_rows_per_guide_with_explanations():
    rows = guide_rows(FINDINGS)
    assert [(r.rule, r.dataset, r.count, r.explanation) for r in rows["csdrg"]] == [
        ("R1, SD0001", "AE", 2, "Known and agreed."), ("R2", "LB", 1, NOT_EXPLAINED)]
    assert [(r.rule, r.dataset, r.explanation) for r in rows["adrg"]] == [
        ("R3", "ADSL", "[waived] Agreed with the FDA.")]


def test_markdown_and_word(tmp_path: Path):
    written = write_guides(FINDINGS, {"csdrg", "adrg"}, tmp_path)
    assert sorted(p.name for p in written) == ["adrg-conformance.docx", "adrg-conformance.md",
                                                "csdrg-conformance.docx", "csdrg-conformance.md"]
    markdown = (tmp_path / "csdrg-conformance.md").read_text()
    assert "| R1, SD0001 | AE | R1 message | Error | 2 | Known and agreed. |" in markdown
    table = Document(str(tmp_path / "csdrg-conformance.docx")).tables[0]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == ["Rule ID", "Dataset", "Diagnostic message", "Severity", "Count", "Explanation"]
    assert cells[2] == ["R2", "LB", "R2 message", "Error", "1", NOT_EXPLAINED]
    # The same findings give the same bytes.
    again = write_guides(FINDINGS, {"csdrg"}, tmp_path / "again")
    assert again[1].read_bytes() == (tmp_path / "csdrg-conformance.docx").read_bytes()


def test_clean_guide_says_no_issues_remain(tmp_path: Path):
    (path, _) = write_guides([], {"adrg"}, tmp_path)
    assert "No issues remain." in path.read_text()


def test_which_guide_a_report_feeds(tmp_path: Path):
    assert guides_for(tmp_path / "reports" / "adam", []) == {"adrg"}
    assert guides_for(tmp_path / "qc", FINDINGS) == {"csdrg", "adrg"}
