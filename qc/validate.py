"""Validate a folder (or a dict of frames) of SDTM and/or ADaM datasets: suites, rules and CDISC CT."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from qc.baseline import changes, load_baseline
from qc.dispositions import Disposition, apply_dispositions, load_dispositions
from qc.engine.library import Library
from qc.engine.rule import load_rules
from qc.findings import Finding, RuleText, ValidationResult, severity_rank
from qc.metadata import define_in, folder_metadata
from qc.rules import run_rules
from qc.ruleset import default_rules, rule_text, run_rule_files
from qc.summary import issues
from qc.terminology import terminology_rules
from specs.encoding import DEFAULT
from specs.guides import Guide
from specs.loader import load_ct_conditions
from specs.model import Study

if TYPE_CHECKING:
    from qc.engine.define_meta import DefineMetadata

SUITES_FOLDER = "expectations"


def validate_folder(
    data: str | Path | Mapping[str, pd.DataFrame],
    *,
    specs: Study | str | Path | None = None,
    define: str | Path | None = None,
    suites_dir: str | Path | None = None,
    rule_files: Iterable[str | Path] | None = None,
    suites: bool = True,
    encoding: str = DEFAULT,
    dispositions: str | Path | None = None,
    baseline: str | Path | None = None,
    store: str | Path | None = None,
    ct_version: str | None = None,
    jobs: int = 1,
) -> ValidationResult:
    """Run every dataset's expectation suite, every conformance rule and the CDISC CT checks
    (`qc.terminology`, against the packages `qc.metadata` chooses); collect all findings.

    `data` is a folder of XPT / Dataset-JSON / Parquet files or a dict name → frame. Metadata
    comes from `specs` (a Study, a shipped study name or a spec folder), else `define`
    (or define.xml in the folder), else the implementation guides (imported into `store`, the
    folder of imported CDISC packages, else shipped). `ct_version` is a CT release to use instead
    of the one the metadata names (InputError when it is not imported). The suites are written as JSON to
    `suites_dir`, by default `<folder>/expectations/` when `data` is a folder; for frames only
    when `suites_dir` is given; `suites=False` runs the rules alone (Great Expectations is not
    even imported). `rule_files` are CORE-format rule files or folders to run instead of the
    default rules (clinforge's catalogue and the CT checks). XPT files are
    read by `encoding` (specs.encoding); what reading them had to say (values read as
    Windows-1252) is in the result's `warnings`. `dispositions` (qc.dispositions)
    marks known findings explained, waived or to fix; `baseline` (an earlier findings.json)
    marks each issue new or persisting and lists the resolved ones. `jobs` processes run the
    conformance rules (qc.ruleset.run_rule_files). Raises InputError when a
    dataset file or the baseline cannot be read, SpecError when a rule or dispositions file is
    malformed; all files are read before any check runs.
    """
    folder = Path(data) if isinstance(data, str | Path) else None
    warnings: list[str] = []
    files: dict[str, Path] = {}
    if folder is not None:
        from specs.readers import dataset_files, read_folder

        files = dataset_files(folder)
        frames = read_folder(folder, encoding=encoding, warn=warnings.append)
    else:
        frames = dict(data)
    frames = {name.upper(): frame.reset_index(drop=True) for name, frame in frames.items()}
    # Rule files named by the user replace the whole default rule set (the catalogue and the
    # CT checks): a run of CORE's rules is a run of CORE's rules.
    catalogue = load_rules(default_rules() if rule_files is None else rule_files)
    decisions = Decisions.read(dispositions, baseline)
    metadata = folder_metadata(frames, specs=specs, define=define, folder=folder, store=store,
                               ct_version=ct_version)
    rules = () if rule_files is not None else tuple(terminology_rules(
        metadata.declared(), metadata.codelists, metadata.ct, metadata.standard, load_ct_conditions()))

    timings: dict[str, float] = {}
    suite_findings, suite_runs, gx_results = [], [], {}
    if suites:
        from qc.suites import run_suites, write_suites

        suite_run = run_suites(frames, metadata)
        if suites_dir is not None or folder is not None:
            write_suites(suite_run.suites, suites_dir if suites_dir is not None else folder / SUITES_FOLDER)
        suite_findings, suite_runs, gx_results = suite_run.findings, suite_run.runs, suite_run.gx_results
        timings |= {f"suite {k}": v for k, v in suite_run.seconds.items()}
    started = time.perf_counter()
    rule_findings, rule_runs, rule_seconds = run_rules(frames, rules)
    guides = libraries(metadata.guides)
    core_findings, core_runs, core_seconds = run_rule_files(catalogue, frames, files=files, libraries=guides,
                                                            define=_define_metadata(define, folder),
                                                            jobs=jobs)
    timings |= {f"rule {k}": v for k, v in (rule_seconds | core_seconds).items()}
    timings["rules total"] = time.perf_counter() - started

    findings = sorted(
        suite_findings + rule_findings + core_findings,
        key=lambda f: (severity_rank(f.severity), f.rule, f.dataset, f.row or 0, f.variable),
    )
    runs = sorted(suite_runs + rule_runs + core_runs, key=lambda r: (r.rule, r.dataset))
    result = ValidationResult(
        findings=findings,
        runs=runs,
        records={name: len(frame) for name, frame in sorted(frames.items())},
        metadata_source=dict(sorted(metadata.sources.items())),
        timings=timings,
        gx_results=gx_results,
        rules={r.id: RuleText(r.id, r.description, r.message) for r in rules}
        | {r.id: rule_text(r) for r in catalogue},
        context=_context(folder, guides, catalogue, rule_files, rules, suites, metadata.ct.labels()),
        warnings=warnings,
        notes=[f"CDISC CT: {metadata.ct.labels()}", *metadata.ct.notes],
    )
    return decisions.applied(result)


def _define_metadata(define: str | Path | None, folder: Path | None) -> DefineMetadata | None:
    """The define.xml given, else the folder's, for the rules that compare it with the datasets."""
    path = Path(define) if define else define_in(folder)
    if path is None:
        return None
    from qc.engine.define_meta import read_define_metadata  # lxml: only when there is a define.xml

    return read_define_metadata(path)


def libraries(guides: Mapping[str, Guide]) -> dict[str, Library]:
    """The implementation guides rules consult: imported (complete), else the shipped SDTMIG 3.4 /
    ADaMIG 1.3 subsets."""
    return {name: Library(name, guides[kind].version, guides[kind].datasets, complete=guides[kind].imported)
            for name, kind in (("SDTMIG", "sdtm"), ("ADAMIG", "adam"))}


def _context(folder: Path | None, guides: dict[str, Library], catalogue: list, rule_files, rules: tuple,
             suites: bool, terminology: str) -> dict[str, str]:
    """What a report states about the run: data, standards, terminology, engine."""
    from importlib.metadata import version

    sources = ", ".join(str(p) for p in rule_files) if rule_files is not None else "clinforge's catalogue"
    engine = [f"clinforge {version('clinforge')}",
              f"{len(catalogue)} CORE-format rules ({sources})", f"{len(rules)} CT rules"]
    if suites:
        engine.append(f"expectation suites (Great Expectations {version('great-expectations')})")
    return {
        "data": str(folder) if folder is not None else "datasets given in memory",
        "standards": "; ".join(f"{g.name} {g.version}" + ("" if g.complete else " (subset clinforge ships)")
                               for g in guides.values()),
        "terminology": f"CDISC CT: {terminology}",
        "engine": "; ".join(engine),
    }


@dataclass(frozen=True)
class Decisions:
    """The dispositions and the baseline of a run, read before any check runs."""

    entries: list[Disposition]
    previous: list[Finding] | None
    baseline: str

    @classmethod
    def read(cls, dispositions: str | Path | None, baseline: str | Path | None) -> Decisions:
        return cls(load_dispositions(dispositions) if dispositions else [],
                   load_baseline(baseline) if baseline else None, str(baseline or ""))

    def applied(self, result: ValidationResult) -> ValidationResult:
        """The result with its findings marked by the dispositions and its issues by the baseline."""
        findings, coverage = apply_dispositions(result.findings, self.entries)
        marks, resolved = changes(issues(findings), self.previous) if self.previous is not None else ({}, [])
        return replace(result, findings=findings, coverage=coverage, changes=marks, resolved=resolved,
                       baseline=self.baseline)
