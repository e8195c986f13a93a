"""Validation reports: JSON (one object per finding), a JSON summary (counts, the notes on how it
was checked, e.g. the CDISC CT packages used, and the rules not run with why), JUnit XML (one test
case per rule and dataset), one summary HTML page (findings by rule and by dataset, with the
offending records), and Great Expectations' own validation pages (Data Docs renderer) per dataset.

The first three are deterministic: the same result gives the same bytes. The GX pages carry
GX's run metadata (time stamps) and are meant for reading, not for diffing.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from html import escape
from pathlib import Path

from qc.baseline import NEW, RESOLVED
from qc.dispositions import Coverage
from qc.excel import write_excel
from qc.findings import NOT_RUN, SEVERITIES, Finding, ValidationResult
from qc.summary import Issue, by_value, example_text, issues

# Records listed per rule and dataset in the HTML page and a JUnit failure; JSON has them all.
RECORDS_SHOWN = 50


def write_reports(result: ValidationResult, folder: str | Path) -> dict[str, Path]:
    """findings.json, issues.json, summary.json, junit.xml, report.html and report.xlsx in `folder`;
    returns the paths by kind."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    paths = {"json": target / "findings.json", "issues": target / "issues.json",
             "summary": target / "summary.json", "junit": target / "junit.xml",
             "html": target / "report.html", "excel": target / "report.xlsx"}
    write_json(result, paths["json"])
    write_issues(result, paths["issues"])
    write_summary(result, paths["summary"])
    write_junit(result, paths["junit"])
    write_html(result, paths["html"])
    write_excel(result, paths["excel"])
    return paths


def write_data_docs(result: ValidationResult, folder: str | Path) -> Path:
    """One GX validation-result page per dataset (the renderer Data Docs uses) and an index."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    renderer, view = ValidationResultsPageRenderer(), DefaultJinjaPageView()
    links = []
    for name in sorted(result.gx_results):
        page = target / f"{name.lower()}.html"
        page.write_text(view.render(renderer.render(result.gx_results[name])), encoding="utf-8")
        status = "passed" if result.gx_results[name].success else "failed"
        links.append(f"<li><a href='{page.name}'>{escape(name)}</a> "
                     f"<span class='{status}'>{status}</span></li>")
    index = target / "index.html"
    index.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Expectation suites</title><style>{STYLE}"
        "</style></head><body><h1>Great Expectations validation by dataset</h1><ul>"
        + "".join(links) + "</ul></body></html>\n", encoding="utf-8")
    return index


def write_json(result: ValidationResult, path: str | Path) -> Path:
    """A JSON array with one finding object per line (rule, severity, dataset, variable, usubjid,
    seq, row, value, message), so it reads as JSON and greps as lines."""
    lines = [json.dumps(f.to_dict(), sort_keys=True, ensure_ascii=False) for f in result.findings]
    body = "[\n" + ",\n".join(lines) + ("\n" if lines else "") + "]\n"
    Path(path).write_text(body, encoding="utf-8")
    return Path(path)


def write_summary(result: ValidationResult, path: str | Path) -> Path:
    """Counts by severity and rule, the notes, and every rule run not run with its reason."""
    summary = {"findings": result.count_by_severity(), "by_rule": result.count_by_rule(),
               "notes": result.notes, "not_run": [r.to_dict() for r in result.not_run()]}
    Path(path).write_text(json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    return Path(path)


def write_issues(result: ValidationResult, path: str | Path) -> Path:
    """issues.json: the issues of this run (with their disposition and, against a baseline, whether
    new or persisting), the resolved ones, and what each disposition covered."""
    body = {
        "baseline": result.baseline,
        "issues": [i.to_dict(result.changes.get(i.key, "")) for i in issues(result.findings)],
        "resolved": [i.to_dict(RESOLVED) for i in result.resolved],
        "dispositions": [_coverage_dict(c) for c in result.coverage],
    }
    Path(path).write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return Path(path)


def _coverage_dict(coverage: Coverage) -> dict:
    entry = coverage.disposition
    return {"where": entry.where, "rule": entry.rule, "dataset": entry.dataset, "variable": entry.variable,
            "value": entry.value, "subject": entry.subject, "status": entry.status,
            "explanation": entry.explanation, "author": entry.author, "date": entry.date,
            "findings": coverage.findings, "stale": coverage.stale}


def _grouped(findings: list[Finding]) -> dict[tuple[str, str], list[Finding]]:
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        groups[(f.rule, f.dataset)].append(f)
    return groups


def _line(f: Finding) -> str:
    where = f"row {f.row}" if f.row else "dataset"
    subject = f" {f.usubjid}" if f.usubjid else ""
    seq = f" seq {f.seq:g}" if f.seq is not None else ""
    status = f" [{f.disposition}]" if f.disposition else ""
    return f"{where}{subject}{seq} {f.variable}={f.value!r}: {f.message}{status}"


def write_junit(result: ValidationResult, path: str | Path) -> Path:
    """JUnit XML: a test case per rule and dataset; NOT RUN is skipped.

    A case fails for findings no disposition explained or waived, and, when the run has a
    baseline, only for those of new issues: persisting and settled findings are listed in the
    case's output instead, so CI shows what changed.
    """
    groups = _grouped(result.findings)
    runs = result.runs
    failing = {key: [f for f in found if _fails(result, f)] for key, found in groups.items()}
    failures = sum(1 for r in runs if failing.get((r.rule, r.dataset)))
    skipped = sum(1 for r in runs if r.status == NOT_RUN)
    root = ET.Element("testsuites", name="clinforge validate", tests=str(len(runs)),
                      failures=str(failures), skipped=str(skipped), errors="0")
    suite = ET.SubElement(root, "testsuite", name="clinforge validate", tests=str(len(runs)),
                          failures=str(failures), skipped=str(skipped), errors="0")
    if result.notes:
        properties = ET.SubElement(suite, "properties")
        for number, note in enumerate(result.notes, start=1):
            ET.SubElement(properties, "property", name=f"note {number}", value=note)
    for run in runs:
        case = ET.SubElement(suite, "testcase", classname=run.rule, name=run.dataset or "(study)")
        found = groups.get((run.rule, run.dataset), [])
        bad = failing.get((run.rule, run.dataset), [])
        if bad:
            failure = ET.SubElement(case, "failure", type=run.severity,
                                    message=f"{len(bad)} finding(s): {run.description}")
            failure.text = _listing(bad)
        elif run.status == NOT_RUN:
            ET.SubElement(case, "skipped", message=f"NOT RUN: {run.reason}")
        failed = {id(f) for f in bad}  # by identity: comparing findings field by field is quadratic
        rest = [f for f in found if id(f) not in failed]
        notes = [run.reason] if run.reason and run.status != NOT_RUN else []
        if rest:
            notes.append(_listing(rest))
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(notes)
    ET.indent(root)
    Path(path).write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")
    return Path(path)


def _fails(result: ValidationResult, finding: Finding) -> bool:
    if finding.settled:
        return False
    if not result.baseline:
        return True
    key = (finding.rule, finding.dataset, finding.variable, finding.value if by_value(finding.rule) else "")
    return result.changes.get(key) == NEW


def _listing(found: list[Finding]) -> str:
    shown = "\n".join(_line(f) for f in found[:RECORDS_SHOWN])
    more = len(found) - RECORDS_SHOWN
    return shown + (f"\n… and {more} more (see findings.json)" if more > 0 else "")


STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f0f0f0}.error{color:#b00020}.warning{color:#a05a00}.notice{color:#555}
.passed{color:#2e7d32}.notrun{color:#6a1b9a}details{margin:.5em 0}code{font-size:90%}
"""


def write_html(result: ValidationResult, path: str | Path) -> Path:
    """One self-contained page: totals, what reading the files warned of, findings by rule, by
    dataset, rules not run, the issues with example records, and the text of every rule."""
    severity, still_open = result.count_by_severity(), result.count_open()
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>clinforge validation</title>",
        f"<style>{STYLE}</style></head><body><h1>clinforge validation</h1>",
        "<p>" + ", ".join(f"<span class='{s}'>{severity[s]} {s}(s)"
                          + (f" ({severity[s] - still_open[s]} explained or waived)"
                             if severity[s] != still_open[s] else "") + "</span>" for s in SEVERITIES)
        + f" in {len(result.records)} dataset(s); {len(result.not_run())} rule run(s) NOT RUN.</p>",
        *(f"<p class='notrun'>{escape(note)}</p>" for note in result.notes),
    ]
    if result.warnings:
        parts.append("<h2>Reading the files</h2><ul>"
                     + "".join(f"<li class='warning'>{escape(w)}</li>" for w in result.warnings) + "</ul>")
    parts.append(_by_rule(result))
    parts.append(_by_dataset(result))
    not_run = result.not_run()
    if not_run:
        parts.append("<h2>Not run</h2><table><tr><th>rule</th><th>dataset</th><th>reason</th></tr>")
        parts += [f"<tr><td>{escape(r.rule)}</td><td>{escape(r.dataset)}</td><td>{escape(r.reason)}</td></tr>"
                  for r in not_run]
        parts.append("</table>")
    parts.append(_issues(result))
    parts.append(_dispositions(result))
    parts.append(_rule_texts(result))
    parts.append("</body></html>\n")
    Path(path).write_text("\n".join(parts), encoding="utf-8")
    return Path(path)


def _issues(result: ValidationResult) -> str:
    """One row per rule × dataset × variable (× value for terminology) with examples, its
    disposition and, against a baseline, whether it is new; then the issues resolved since."""
    head = ("<tr><th>rule</th><th>ids</th><th>severity</th><th>dataset</th><th>variable</th><th>value</th>"
            "<th>count</th><th>open</th><th>disposition</th><th>change</th><th>message</th><th>examples</th></tr>")
    rows = [_issue_row(i, result.changes.get(i.key, "")) for i in issues(result.findings)]
    html = "<h2>Issues</h2><table>" + head + "".join(rows) + "</table>"
    if result.baseline:
        resolved = [_issue_row(i, RESOLVED) for i in result.resolved]
        html += (f"<h2>Resolved since the baseline</h2><p>Baseline: {escape(result.baseline)}</p>"
                 + ("<table>" + head + "".join(resolved) + "</table>" if resolved else "<p>None.</p>"))
    return html


def _issue_row(issue: Issue, change: str) -> str:
    examples = "<br>".join(escape(example_text(f)) for f in issue.examples)
    more = f"<br>… {issue.count - len(issue.examples)} more in findings.json" \
        if issue.count > len(issue.examples) else ""
    return (f"<tr><td><a href='#rule-{escape(issue.rule)}'>{escape(issue.rule)}</a></td>"
            f"<td>{escape(issue.ids())}</td><td class='{issue.severity}'>{issue.severity}</td>"
            f"<td>{escape(issue.dataset)}</td><td>{escape(issue.variable)}</td><td>{escape(issue.value)}</td>"
            f"<td>{issue.count}</td><td>{issue.open}</td><td>{escape(issue.disposition)}</td>"
            f"<td class='{change}'>{change}</td><td>{escape(issue.message)}</td>"
            f"<td><small>{examples}{more}</small></td></tr>")


def _dispositions(result: ValidationResult) -> str:
    """What each disposition covered; an entry that matched nothing is stale."""
    if not result.coverage:
        return ""
    rows = "".join(
        f"<tr><td>{escape(c.disposition.where)}</td><td>{escape(c.disposition.rule)}</td>"
        f"<td>{escape(c.disposition.dataset)}</td><td>{escape(c.disposition.variable)}</td>"
        f"<td>{escape(c.disposition.value)}</td><td>{escape(c.disposition.subject)}</td>"
        f"<td>{escape(c.disposition.status)}</td><td>{escape(c.disposition.explanation)}</td>"
        f"<td>{escape(c.disposition.author)}, {escape(c.disposition.date)}</td>"
        + ("<td class='warning'>STALE: matched nothing</td>" if c.stale else f"<td>{c.findings}</td>")
        + "</tr>" for c in result.coverage)
    return ("<h2>Dispositions</h2><table><tr><th>entry</th><th>rule</th><th>dataset</th><th>variable</th>"
            "<th>value</th><th>subject</th><th>status</th><th>explanation</th><th>by</th><th>findings</th>"
            "</tr>" + rows + "</table>")


def _rule_texts(result: ValidationResult) -> str:
    """Each rule's text, with links to its rule file and test cases when it is a rule file."""
    items = []
    for rule in sorted(result.rules.values(), key=lambda r: r.id):
        links = ""
        if rule.path:
            path = Path(rule.path).resolve()  # rules named by a relative path
            cases = " ".join(f"<a href='{(path.parent / c).as_uri()}'>{escape(c)}</a>" for c in rule.cases)
            links = (f"<br><a href='{path.as_uri()}'>rule file</a>"
                     + (f" · test cases: {cases}" if cases else ""))
        shown = rule.message and rule.message != rule.description
        message = f"<br>Message: {escape(rule.message)}" if shown else ""
        items.append(f"<li id='rule-{escape(rule.id)}'><b>{escape(rule.id)}</b>: {escape(rule.description)}"
                     f"{message}{links}</li>")
    return "<h2>Rules</h2><ul>" + "".join(items) + "</ul>"


def _by_rule(result: ValidationResult) -> str:
    per_rule: dict[str, dict] = {}
    for run in result.runs:
        entry = per_rule.setdefault(run.rule, {"run": run, "findings": 0, "datasets": 0, "not_run": 0})
        entry["findings"] += run.findings
        entry["datasets"] += run.status != NOT_RUN
        entry["not_run"] += run.status == NOT_RUN
    rows = []
    for rule, e in sorted(per_rule.items()):
        run = e["run"]
        ids = " ".join(i for i in (run.cdisc_id, run.p21_id) if i)
        status = ("notrun", "NOT RUN") if not e["datasets"] else (
            (run.severity, "findings") if e["findings"] else ("passed", "passed"))
        rows.append(
            f"<tr><td>{escape(rule)}</td><td class='{run.severity}'>{run.severity}</td>"
            f"<td>{escape(run.description)}</td><td>{escape(ids)}</td><td>{e['datasets']}</td>"
            f"<td>{e['not_run']}</td><td class='{status[0]}'>{e['findings']} {status[1]}</td></tr>"
        )
    return ("<h2>By rule</h2><table><tr><th>rule</th><th>severity</th><th>description</th>"
            "<th>CDISC / P21</th><th>datasets run</th><th>not run</th><th>findings</th></tr>"
            + "".join(rows) + "</table>")


def _by_dataset(result: ValidationResult) -> str:
    rows = [
        f"<tr><td>{escape(name)}</td><td>{c['records']}</td>"
        f"<td>{escape(result.metadata_source.get(name, ''))}</td>"
        + "".join(f"<td class='{s}'>{c[s]}</td>" for s in SEVERITIES) + "</tr>"
        for name, c in result.count_by_dataset().items()
    ]
    return ("<h2>By dataset</h2><table><tr><th>dataset</th><th>records</th><th>metadata</th>"
            + "".join(f"<th>{s}</th>" for s in SEVERITIES) + "</tr>" + "".join(rows) + "</table>")
