"""Conformance rules in the CDISC CORE format, run over a validation's datasets.

Which rules run: clinforge's own catalogue (`qc/catalogue/`) by default, or the folders and files
a user names (a checkout of cdisc-open-rules, a sponsor's own rules). SDTM rules (SDTMIG,
SENDIG, TIG) see the SDTM datasets with the SDTM implementation guide; ADaMIG rules see the
ADaM datasets with the ADaM guide; both see every dataset when they join or count across them.
Each outcome becomes findings (one per offending record, every id the rule has) and a rule run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from qc.engine.data import Dataset, Submission, dataset_from_frame
from qc.engine.library import Library
from qc.engine.rule import Rule
from qc.engine.run import FAILED, NOT_RUN, Outcome, run_rule
from qc.findings import Finding, RuleRun, RuleText

if TYPE_CHECKING:
    from qc.engine.define_meta import DefineMetadata

CATALOGUE = Path(__file__).with_name("catalogue")


def default_rules() -> list[Path]:
    """clinforge's own catalogue, when it holds rules."""
    return [CATALOGUE] if any(CATALOGUE.rglob("rule.yml")) else []


def submissions(frames: Mapping[str, pd.DataFrame], *, files: Mapping[str, Path] | None = None,
                libraries: Mapping[str, Library | None] | None = None,
                define: DefineMetadata | None = None) -> dict[str, Submission]:
    """The datasets as the engine sees them, once with the SDTM guide and once with the ADaM guide
    (and the define.xml's metadata, for the rules that compare the two)."""
    files = files or {}
    libraries = libraries or {}
    datasets: dict[str, Dataset] = {}
    for name, frame in frames.items():
        path = files.get(name)
        datasets[name] = dataset_from_frame(
            name, frame, filename=path.name if path else "", size=path.stat().st_size if path else 0)
    return {
        "SDTMIG": Submission(datasets, standard="SDTMIG", library=libraries.get("SDTMIG"), define=define),
        "ADAMIG": Submission(datasets, standard="ADAMIG", library=libraries.get("ADAMIG"), define=define),
    }


def run_rule_files(rules: Iterable[Rule], frames: Mapping[str, pd.DataFrame], *,
                   files: Mapping[str, Path] | None = None,
                   libraries: Mapping[str, Library | None] | None = None,
                   define: DefineMetadata | None = None,
                   ) -> tuple[list[Finding], list[RuleRun], dict[str, float]]:
    """Every rule on the datasets of its standard: findings, one run per rule and dataset, seconds."""
    subs = submissions(frames, files=files, libraries=libraries, define=define)
    findings: list[Finding] = []
    runs: list[RuleRun] = []
    seconds: dict[str, float] = {}
    for rule in (r for r in rules if not r.is_define):  # define.xml rules: qc.define_validation
        standard = "ADAMIG" if rule.is_adam else "SDTMIG"
        started = time.perf_counter()
        for outcome in run_rule(rule, subs[standard]):
            new = findings_of(outcome, subs[standard])
            findings += new
            runs.append(rule_run(outcome, len(new)))
        seconds[rule.id] = time.perf_counter() - started
    return findings, runs, seconds


def _ids(rule: Rule) -> dict[str, str]:
    ids = rule.ids()
    return {"core_id": ids.get("core", ""), "cdisc_id": ids.get("cdisc", ""),
            "fda_id": ids.get("fda", ""), "p21_id": ids.get("p21", "")}


def findings_of(outcome: Outcome, submission: Submission) -> list[Finding]:
    """One finding per offending record (or per dataset), naming the variables and their values."""
    if outcome.status != FAILED or outcome.hits.empty:
        return []
    rule = outcome.rule
    dataset = submission.datasets.get(outcome.dataset)
    wildcard = dataset.wildcard if dataset is not None else ""
    message = rule.message.replace("--", wildcard) if wildcard else rule.message
    names = list(outcome.variables)
    ids = _ids(rule)
    out = []
    for hit in outcome.hits.to_dict("records"):
        variable, shown = _shown(names, hit)
        value = shown[0][1] if len(shown) == 1 else "; ".join(f"{n}={v}" for n, v in shown)
        record = hit["record"]
        seq = hit["seq"]
        out.append(Finding(
            rule=rule.id, severity=rule.severity, dataset=outcome.dataset, variable=variable,
            usubjid=str(hit["usubjid"] or ""), seq=None if pd.isna(seq) else float(seq),
            row=None if pd.isna(record) else int(record), value=value, message=message, **ids,
        ))
    return out


def _shown(names: list[str], hit: dict) -> tuple[str, list[tuple[str, str]]]:
    """The finding's variable and its (name, value) pairs. A value check reports the variable
    whose value it judged (variable_name) and that value under its own name, not the names of
    the engine's long table."""
    if "variable_name" in names:
        variable = str(hit["variable_name"])
        return variable, [(variable if n == "variable_value" else n, str(hit[n]))
                          for n in names if n != "variable_name"]
    return ", ".join(names), [(n, str(hit[n])) for n in names]


def rule_run(outcome: Outcome, findings: int) -> RuleRun:
    rule = outcome.rule
    status = outcome.status if outcome.status in (FAILED, NOT_RUN) else "passed"
    return RuleRun(rule=rule.id, dataset=outcome.dataset, severity=rule.severity, status=status,
                   findings=findings, reason=outcome.reason, description=rule.description or rule.message,
                   source="rule", **_ids(rule))


def rule_text(rule: Rule) -> RuleText:
    folder = rule.folder
    cases = tuple(sorted(str(p.relative_to(folder)) for kind in ("positive", "negative")
                         for p in (folder / kind).glob("*") if p.is_dir())) if folder else ()
    return RuleText(id=rule.id, description=rule.description or rule.message, message=rule.message,
                    path=rule.path, cases=cases)
