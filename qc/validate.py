"""Validate a folder (or a dict of frames) of SDTM and/or ADaM datasets: suites plus rules."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from qc.conformance import RULES
from qc.findings import ValidationResult, severity_rank
from qc.metadata import folder_metadata
from qc.rules import ConformanceRule, run_rules
from qc.suites import run_suites, write_suites
from qc.terminology import terminology_rules
from specs.loader import load_ct_conditions
from specs.model import Study

SUITES_FOLDER = "expectations"


def validate_folder(
    data: str | Path | Mapping[str, pd.DataFrame],
    *,
    specs: Study | str | Path | None = None,
    define: str | Path | None = None,
    suites_dir: str | Path | None = None,
    rules: Iterable[ConformanceRule] = RULES,
    store: str | Path | None = None,
    ct_version: str | None = None,
) -> ValidationResult:
    """Run every dataset's expectation suite, every conformance rule and the CDISC CT checks
    (`qc.terminology`, against the packages `qc.metadata` chooses); collect all findings.

    `data` is a folder of XPT / Dataset-JSON / Parquet files or a dict name → frame. Metadata
    comes from `specs` (a Study, a shipped study name or a spec folder), else `define`
    (or define.xml in the folder), else the shipped standards. The suites are written as JSON to
    `suites_dir`, by default `<folder>/expectations/` when `data` is a folder; for frames only
    when `suites_dir` is given. `store` is the folder of imported CT packages and IG metadata,
    `ct_version` a CT release to use instead of the one the metadata names. Raises InputError when
    a dataset file cannot be read, or `ct_version` is not imported.
    """
    folder = Path(data) if isinstance(data, str | Path) else None
    if folder is not None:
        from specs.readers import read_folder

        frames = read_folder(folder)
    else:
        frames = dict(data)
    frames = {name.upper(): frame.reset_index(drop=True) for name, frame in frames.items()}
    metadata = folder_metadata(frames, specs=specs, define=define, folder=folder, store=store,
                               ct_version=ct_version)
    ct_rules = terminology_rules(metadata.declared(), metadata.codelists, metadata.ct, metadata.standard,
                                 load_ct_conditions())

    suite_run = run_suites(frames, metadata)
    if suites_dir is not None or folder is not None:
        write_suites(suite_run.suites, suites_dir if suites_dir is not None else folder / SUITES_FOLDER)
    started = time.perf_counter()
    rule_findings, rule_runs, rule_seconds = run_rules(frames, [*rules, *ct_rules])
    timings = {f"suite {k}": v for k, v in suite_run.seconds.items()}
    timings |= {f"rule {k}": v for k, v in rule_seconds.items()}
    timings["rules total"] = time.perf_counter() - started

    findings = sorted(
        suite_run.findings + rule_findings,
        key=lambda f: (severity_rank(f.severity), f.rule, f.dataset, f.row or 0, f.variable),
    )
    runs = sorted(suite_run.runs + rule_runs, key=lambda r: (r.rule, r.dataset))
    return ValidationResult(
        findings=findings,
        runs=runs,
        records={name: len(frame) for name, frame in sorted(frames.items())},
        metadata_source=dict(sorted(metadata.sources.items())),
        timings=timings,
        notes=[f"CDISC CT: {metadata.ct.labels()}", *metadata.ct.notes],
        gx_results=suite_run.gx_results,
    )
