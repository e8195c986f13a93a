"""A define.xml on its own, checked as a reviewer's tools check it, without any dataset.

Three layers, all findings of one result:
- the file: its name and Define-XML version, as the FDA's technical rejection criteria and
  Data Standards Catalog ask (define.xml; Define-XML 2.0 or 2.1);
- the official XSD of its version (odmlib's copies of the Define-XML 2.0 and 2.1 schemas);
- the Define-XML conformance rules, written as CORE-format rule files (`qc/catalogue/define/`)
  over the define.xml read as tables (`define.tables`): references resolve, OIDs are unique and
  used, codelists and value-level metadata are consistent, leaves are there.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from define.odm import DEF_PREFIX, DefineError, define_schema, safe_parse
from define.tables import define_tables
from qc.engine.data import Submission, dataset_from_frame
from qc.engine.rule import load_rules
from qc.engine.run import run_rule
from qc.findings import Finding, RuleRun, RuleText, ValidationResult
from qc.ruleset import CATALOGUE, findings_of, rule_run, rule_text

DEFINE_RULES = CATALOGUE / "define"
SUPPORTED = ("2.0", "2.1")  # the Define-XML versions the FDA Data Standards Catalog lists
FILE = "define.xml"
CHECKS = {
    "DEF-FILENAME": ("error", "The file is named define.xml (FDA technical rejection criterion 1736)"),
    "DEF-VERSION": ("error", "Define-XML 2.0 or 2.1, the versions the FDA Data Standards Catalog lists"),
    "DEF-XSD": ("error", "The document is valid against the official XSD of its Define-XML version"),
}


def validate_define_file(path: str | Path, rule_files: Iterable[str | Path] | None = None
                         ) -> ValidationResult:
    """Every finding on one define.xml; DefineError when it is not XML or not Define-XML at all."""
    source = Path(path)
    tree = safe_parse(source)
    root = tree.getroot()
    version = _version(root)
    rules = load_rules([DEFINE_RULES] if rule_files is None else rule_files)
    findings: list[Finding] = []
    runs: list[RuleRun] = []

    def record(rule: str, problems: list[tuple[int | None, str, str]], reason: str = "") -> None:
        severity, description = CHECKS[rule]
        new = [Finding(rule=rule, severity=severity, dataset=FILE, variable=variable, row=line,
                       value=value, message=value) for line, variable, value in problems]
        findings.extend(new)
        status = "not run" if reason else ("failed" if new else "passed")
        runs.append(RuleRun(rule=rule, dataset=FILE, severity=severity, status=status, findings=len(new),
                            reason=reason, description=description, source="define"))

    record("DEF-FILENAME", [] if source.name == FILE else
           [(None, "file name", f"the file is named {source.name!r}; FDA expects {FILE}")])
    record("DEF-VERSION", [] if version in SUPPORTED else
           [(None, "Define-XML version", f"Define-XML {version}; the FDA accepts {', '.join(SUPPORTED)}")])
    if version in SUPPORTED:
        schema = define_schema(version)
        record("DEF-XSD", [] if schema.validate(tree) else
               [(e.line, "XSD", e.message) for e in schema.error_log])
    else:
        record("DEF-XSD", [], reason=f"no schema for Define-XML {version}")

    started = time.perf_counter()
    tables = define_tables(tree, file=source)
    datasets = {name: dataset_from_frame(name, frame, filename=source.name) for name, frame in tables.items()}
    submission = Submission(datasets, standard="DEFINE-XML", version=version)
    seconds = {}
    for rule in rules:
        begun = time.perf_counter()
        if version not in SUPPORTED:  # the rules read Define-XML 2.x (def:Origin, KeySequence …)
            runs.append(RuleRun(rule=rule.id, dataset=FILE, severity=rule.severity, status="not run",
                                reason=f"a rule for Define-XML {' and '.join(SUPPORTED)}, not {version}",
                                description=rule.description, source="rule"))
            continue
        for outcome in run_rule(rule, submission):
            new = findings_of(outcome, submission)
            findings.extend(new)
            runs.append(rule_run(outcome, len(new)))
        seconds[rule.id] = time.perf_counter() - begun
    return ValidationResult(
        findings=findings, runs=sorted(runs, key=lambda r: (r.rule, r.dataset)),
        records={name: len(frame) for name, frame in tables.items()},
        metadata_source={name: f"define.xml {source}" for name in tables},
        timings={"define rules": time.perf_counter() - started}
        | {f"rule {k}": v for k, v in seconds.items()},
        rules={k: RuleText(k, d) for k, (_, d) in CHECKS.items()} | {r.id: rule_text(r) for r in rules},
        context={"data": f"define.xml on its own: {source}", "standards": f"Define-XML {version}",
                 "engine": f"{len(rules)} Define-XML rules"},
    )


def _version(root: etree._Element) -> str:
    namespace = next((ns for ns in root.nsmap.values() if ns and ns.startswith(DEF_PREFIX)), None)
    if etree.QName(root).localname != "ODM" or namespace is None:
        raise DefineError(f"not a Define-XML document: the root element is {etree.QName(root).localname!r} "
                          "with no Define-XML namespace")
    return namespace.rsplit("/v", 1)[-1]
