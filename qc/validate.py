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
from specs.encoding import DEFAULT
from specs.model import Study

SUITES_FOLDER = "expectations"


def validate_folder(
    data: str | Path | Mapping[str, pd.DataFrame],
    *,
    specs: Study | str | Path | None = None,
    define: str | Path | None = None,
    suites_dir: str | Path | None = None,
    rules: Iterable[ConformanceRule] = RULES,
    encoding: str = DEFAULT,
) -> ValidationResult:
    """Run every dataset's expectation suite and every conformance rule; collect all findings.

    `data` is a folder of XPT / Dataset-JSON / Parquet files or a dict name → frame. Metadata
    comes from `specs` (a Study, a shipped study name or a spec folder), else `define`
    (or define.xml in the folder), else the shipped standards. The suites are written as JSON to
    `suites_dir`, by default `<folder>/expectations/` when `data` is a folder; for frames only
    when `suites_dir` is given. XPT files are read by `encoding` (specs.encoding); what reading
    them had to say (values read as Windows-1252) is in the result's `warnings`. Raises
    InputError when a dataset file cannot be read.
    """
    folder = Path(data) if isinstance(data, str | Path) else None
    warnings: list[str] = []
    if folder is not None:
        from specs.readers import read_folder

        frames = read_folder(folder, encoding=encoding, warn=warnings.append)
    else:
        frames = dict(data)
    frames = {name.upper(): frame.reset_index(drop=True) for name, frame in frames.items()}
    metadata = folder_metadata(frames, specs=specs, define=define, folder=folder)

    suite_run = run_suites(frames, metadata)
    if suites_dir is not None or folder is not None:
        write_suites(suite_run.suites, suites_dir if suites_dir is not None else folder / SUITES_FOLDER)
    started = time.perf_counter()
    rule_findings, rule_runs, rule_seconds = run_rules(frames, rules)
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
        gx_results=suite_run.gx_results,
        warnings=warnings,
    )
