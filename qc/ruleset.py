"""Conformance rules in the CDISC CORE format, run over a validation's datasets.

Which rules run: clinforge's own catalogue (`qc/catalogue/`) by default, or the folders and files
a user names (a checkout of cdisc-open-rules, a sponsor's own rules). SDTM rules (SDTMIG,
SENDIG, TIG) see the SDTM datasets with the SDTM implementation guide; ADaMIG rules see the
ADaM datasets with the ADaM guide; both see every dataset when they join or count across them.
Each outcome becomes findings (one per offending record, every id the rule has) and a rule run.
"""

from __future__ import annotations

import multiprocessing
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
                   define: DefineMetadata | None = None, jobs: int = 1,
                   ) -> tuple[list[Finding], list[RuleRun], dict[str, float]]:
    """Every rule on the datasets of its standard: findings, one run per rule and dataset, seconds.

    `jobs` > 1 spreads the rules over that many forked processes (where the platform forks), each
    seeing the datasets as already read; the results are the same as in one process, in the same
    order. One process is the default: forked workers share the datasets' memory only until they
    touch it, so a very large folder can need up to `jobs` times the memory."""
    global _SHARED
    subs = submissions(frames, files=files, libraries=libraries, define=define)
    active = [r for r in rules if not r.is_define]  # define.xml rules: qc.define_validation
    if jobs <= 1 or len(active) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return _run_some(active, subs)
    _SHARED = (active, subs)
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            # Small interleaved slices balance the load: slice i holds rules i, i + n, i + 2n ….
            n = min(len(active), jobs * 8)
            slices = pool.map(_run_slice, [(i, n) for i in range(n)])
    finally:
        _SHARED = None
    results = sorted(result for part in slices for result in part)
    findings = [f for _, (new, _, _) in results for f in new]
    runs = [r for _, (_, new_runs, _) in results for r in new_runs]
    seconds = {k: v for _, (_, _, timed) in results for k, v in timed.items()}
    return findings, runs, seconds


# The rules and datasets a forked worker inherits (set only while its pool runs).
_SHARED: tuple[list[Rule], dict[str, Submission]] | None = None


def _run_slice(task: tuple[int, int]) -> list[tuple[int, tuple]]:
    start, step = task
    rules, subs = _SHARED
    return [(index, _run_some([rules[index]], subs)) for index in range(start, len(rules), step)]


def _run_some(rules: list[Rule], subs: Mapping[str, Submission],
              ) -> tuple[list[Finding], list[RuleRun], dict[str, float]]:
    findings: list[Finding] = []
    runs: list[RuleRun] = []
    seconds: dict[str, float] = {}
    for rule in rules:
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
