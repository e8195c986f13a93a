"""The steps the command line chains: each reads its input, writes one folder atomically, and reports."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from clinforge.atomic import atomic_folder
from clinforge.console import Output
from clinforge.package import Layout, hash_tree, write_manifest
from specs.encoding import DEFAULT
from specs.errors import InputError
from specs.loader import load_study, study_folder
from specs.model import Study

# Demo sizes: the registered enrolment of the two seed studies.
DEMO_STUDIES = {"ovarian": 30, "cervical": 24, "melanoma": 40}
# The study's own dispositions file, applied by `run` when the study folder has one.
DISPOSITIONS = "dispositions.yaml"


@dataclass(frozen=True)
class StepResult:
    study: str
    step: str
    folder: Path
    counts: dict[str, int]  # dataset or form → records
    # The datasets as reading the written files gives them, for the next step of `run`; those left
    # out for having no records as reading an empty file would give them.
    datasets: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)


def synth(study_name: str | Path, out: Path, *, subjects: int, seed: int,
          output: Output) -> StepResult:
    """Simulate the study's EDC exports into `out` (replaced only when complete)."""
    from edc.design import check_simulable
    from edc.simulator import simulate
    from edc.writer import write_raw

    study = load_study(study_name)
    check_simulable(study)
    output.info(f"Simulating {subjects} subjects of {study.studyid} (seed {seed})")
    frames = simulate(study, subjects, seed)
    with atomic_folder(out) as work:
        write_raw(frames, work)
    return StepResult(study.name, "synth", Path(out), {k: len(v) for k, v in frames.items()})


def sdtm(study_name: str | Path, raw: Path, out: Path, *, output: Output,
         formats: tuple[str, ...] = ("xpt",), encoding: str = DEFAULT, store: Path | None = None
         ) -> StepResult:
    """Convert the raw exports in `raw` (their text read by `encoding`, specs.encoding) to SDTM
    datasets in `out` (replaced only when complete). `store` holds the imported CDISC packages
    (default: specs.store.store_root)."""
    from edc.readers import read_raw
    from sdtm.engine import convert
    from specs.textsplit import with_text_splits

    study = load_study(study_name, store)
    _say_terminology(study, output)
    frames = read_raw(raw, study, encoding=encoding, warn=output.warning)
    later = {name for name, spec in study.sdtm.items() if spec.parameters.get("from_analysis")}
    collected = replace(study, sdtm={k: v for k, v in study.sdtm.items() if k not in later})
    with output.progress("SDTM", len(collected.sdtm)) as step:
        datasets = convert(collected, frames, progress=step)
    # PP and RELREC come from the NCA, computed on the second core while the rest is written.
    analysis = Child(lambda out: analysis_sdtm(study, datasets)) if later else None
    try:
        with atomic_folder(out) as work:
            written = _write_into(work, datasets, with_text_splits(study, datasets).sdtm, formats, output)
            if analysis is not None:
                made = analysis.result(output)
                datasets |= made
                written |= _write_into(work, made, study.sdtm, formats, output)
    finally:
        if analysis is not None:
            analysis.stop()
    return StepResult(study.name, "sdtm", Path(out), {k: len(v) for k, v in datasets.items()}, written)


def analysis_sdtm(study: Study, sdtm: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """SDTM PP and its RELREC from the NCA, which lives in the ADaM layer (ADSL → ADPC → ADPP).

    `sdtm` never imports `adam`; the pipeline joins them, so SDTM PP and ADPP hold the same results.
    """
    from adam.build import build_adam
    from adam.pp import build_pp, build_pp_relrec

    nca = replace(study, adam={k: study.adam[k] for k in ("ADSL", "ADPC", "ADPP")})
    adam_frames = build_adam(nca, sdtm)
    names = {t.value: t.decode or t.value for t in study.codelists["PKPARMCD"].terms}
    adpc = adam_frames["ADPC"]
    pc = sdtm.get("PC")
    if pc is not None and "PCTPTREF" in pc and "PCTPTREF" not in adpc:
        # PPRFTDTC is the reference point PC names in PCTPTREF (SDTMIG: --RFTDTC goes with --TPTREF).
        adpc = adpc.assign(PCTPTREF=adpc["USUBJID"].map(pc.groupby("USUBJID")["PCTPTREF"].first()))
    pp = build_pp(adam_frames["ADPP"], adpc, parameter_names=names)
    return {"PP": pp, "RELREC": build_pp_relrec(pp, adpc)}


def adam(study_name: str | Path, sdtm_dir: Path, out: Path, *, output: Output,
         formats: tuple[str, ...] = ("xpt",), sdtm: Mapping[str, pd.DataFrame] | None = None,
         encoding: str = DEFAULT, store: Path | None = None) -> StepResult:
    """Build the study's ADaM datasets from the SDTM datasets in `sdtm_dir` (XPT text read by
    `encoding`; or `sdtm`, the datasets as read from it), into `out`."""
    from adam.build import build_adam

    study = load_study(study_name, store)
    if not study.adam:
        raise InputError(f"study {study.name} has no ADaM specs, so there is no ADaM to build",
                         file=str(Path(study.folder) / "adam"),
                         expected="one adam/<DATASET>.yaml per analysis dataset (`extends: ADSL` ...), "
                                  "as in specs/studies/ovarian/adam")
    frames = _read(sdtm_dir, sdtm, encoding, output)
    with output.progress("ADaM", len(study.adam)) as step:
        datasets = build_adam(study, frames, progress=step, sdtm_folder=sdtm_dir)
    with atomic_folder(out) as work:
        written = _write_into(work, datasets, study.adam, formats, output)
    return StepResult(study.name, "adam", Path(out), {k: len(v) for k, v in datasets.items()}, written)


def define(study_name: str | Path, data_dir: Path, out_file: Path, *, output: Output,
           frames: Mapping[str, pd.DataFrame] | None = None, encoding: str = DEFAULT,
           store: Path | None = None) -> StepResult:
    """define.xml (Define-XML 2.1, XSD-checked) and define.html for the datasets in `data_dir`
    (XPT text read by `encoding`; or `frames`, the datasets as read from it)."""
    from define.html import write_html
    from define.inputs import check_datasets, not_described
    from define.writer import write_define
    from specs.textsplit import with_text_splits

    frames = _read(data_dir, frames, encoding, output)
    # The SUPP-- pieces of text over 200 characters are described as the data has them.
    study = with_text_splits(load_study(study_name, store), frames)
    _say_terminology(study, output)
    kind = "adam" if frames and set(frames) <= set(study.adam) else "sdtm"
    specs = study.adam if kind == "adam" else study.sdtm
    check_datasets(specs, frames, data_dir)
    others = not_described(specs, frames)
    if others:
        output.info(f"Not in the study's {kind.upper()} specs, not described: {', '.join(others)}")
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    output.info(f"Writing {kind.upper()} define.xml for {len(frames)} datasets of {study.studyid}")
    write_define(study, kind, frames, out_file, methods=methods(study, kind))
    write_html(out_file, out_file.with_name("define.html"))
    return StepResult(study.name, "define", out_file.parent, {k: len(v) for k, v in frames.items()})


def analyse(study_name: str | Path, adam_dir: Path, out: Path, *, output: Output,
            frames: Mapping[str, pd.DataFrame] | None = None, encoding: str = DEFAULT,
            store: Path | None = None, label: str | None = None) -> StepResult:
    """The results of the study's analysis plan from the ADaM datasets in `adam_dir` (or `frames`,
    the datasets as read from it): ARD (Dataset-JSON, CSV), ARS metadata and the study review report
    (HTML, PDF), into `out`. `label` names the datasets' folder in the outputs (the package must not
    name temporary paths)."""
    from results.compute import plan_reads
    from results.plan import study_plan
    from results.write import FILES, study_results
    from specs.readers import read_folder

    study = load_study(study_name, store)
    plan = study_plan(study)
    if frames is None:
        frames = read_folder(adam_dir, encoding=encoding, warn=output.warning, columns=plan_reads(plan))
    with output.progress("figures", len(plan.figures)) as step:
        made = study_results(study, frames, label or str(adam_dir), progress=step)
    with atomic_folder(out) as work:
        for name in FILES:
            (work / name).write_bytes(made.files[name])
    output.info(f"Results of {study.studyid}: {made.analyses} analyses, {made.records} results, "
                f"{made.figures} figures")
    return StepResult(study.name, "results", Path(out), {"ARD": made.records})


def validate(data_dir: Path, *, output: Output, study_name: str | Path | None = None,
             define_file: Path | None = None, report: Path | None = None, data_docs: bool = True,
             label: str | None = None, frames: Mapping[str, pd.DataFrame] | None = None,
             encoding: str = DEFAULT, rules: list[Path] | None = None, suites: bool = True,
             dispositions: Path | None = None, baseline: Path | None = None, store: Path | None = None,
             ct_version: str | None = None, jobs: int = 1):
    """Expectation suites, conformance rules and CDISC CT checks over a folder (XPT text read by
    `encoding`; or `frames`, the datasets as read from it); reports into `report` when given.

    `rules` are CORE-format rule files or folders (default: clinforge's catalogue); `suites=False`
    leaves out the expectation suites; `dispositions` marks known findings, `baseline` (an earlier
    findings.json) marks what changed. `store` holds the imported CDISC packages, `ct_version` is
    a CT release to check against instead of the one the metadata names, `jobs` the processes
    that run the conformance rules. `label` names the folder
    in messages (the package log must not name temporary paths).
    """
    from qc.reports import write_data_docs, write_reports
    from qc.validate import validate_folder

    label = label or str(data_dir)
    output.info(f"Validating {label}")
    result = validate_folder(data_dir if frames is None else frames, specs=study_name, define=define_file,
                             suites_dir=Path(report) / "expectations" if report and suites else None,
                             encoding=encoding, rule_files=rules, suites=suites,
                             dispositions=dispositions, baseline=baseline, store=store,
                             ct_version=ct_version, jobs=jobs)
    for warning in result.warnings:
        output.warning(warning)
    for note in result.notes:
        output.info(f"{label}: {note}")
    if report:
        write_reports(result, report)
        if data_docs and suites:
            write_data_docs(result, Path(report) / "data_docs")
    _tell(result, label, output)
    return result


def _tell(result, label: str, output: Output) -> None:
    """Stale dispositions as warnings, then the totals (with what dispositions settled)."""
    for coverage in result.coverage:
        if coverage.stale:
            entry = coverage.disposition
            output.warning(f"{entry.where}: disposition for {entry.rule} matched no finding (stale); "
                           "remove it or correct its rule, dataset, variable or value")
    counts, still_open = result.count_by_severity(), result.count_open()
    output.info(f"{label}: " + (", ".join(
        f"{n} {s}" + (f" ({n - still_open[s]} explained or waived)" if n != still_open[s] else "")
        for s, n in counts.items() if n) or "no findings"))


def validate_define(define_file: Path, *, output: Output, report: Path | None = None,
                    rules: list[Path] | None = None, dispositions: Path | None = None,
                    baseline: Path | None = None):
    """A define.xml on its own (no datasets): file name and version, XSD, Define-XML rules."""
    from qc.define_validation import validate_define_file
    from qc.reports import write_reports
    from qc.validate import Decisions

    output.info(f"Validating {define_file} on its own")
    decisions = Decisions.read(dispositions, baseline)
    result = decisions.applied(validate_define_file(define_file, rule_files=rules))
    _tell(result, str(define_file), output)
    if report:
        write_reports(result, report)
    return result


def guide(reports: list[Path], out_dir: Path, *, dispositions: Path | None, output: Output) -> list[Path]:
    """Reviewer's guide conformance tables from validation reports (findings.json) and dispositions."""
    from qc.baseline import load_baseline
    from qc.dispositions import apply_dispositions, load_dispositions
    from qc.guide import guides_for, write_guides

    entries = load_dispositions(dispositions) if dispositions else []
    folders = []
    for folder in map(Path, reports):
        nested = [folder / "reports" / kind for kind in ("sdtm", "adam")]
        folders += [n for n in nested if n.is_dir()] or [folder]
    findings, guides = [], set()
    for folder in folders:
        found = load_baseline(folder / "findings.json")
        if entries:
            fresh = [replace(f, disposition="", explanation="") for f in found]
            found, _ = apply_dispositions(fresh, entries)
        findings += found
        guides |= guides_for(folder, found)
    written = write_guides(findings, guides, out_dir)
    output.info(f"Wrote {len(written)} files into {out_dir}")
    return written


def _say_terminology(study: Study, output: Output) -> None:
    """Which CDISC CT packages the study's codelists come from, and why when not the named ones
    (once per command: `run` loads the study in several steps)."""
    for choice in study.terminology:
        note = f" ({choice.note})" if choice.note else ""
        line = f"{study.studyid} uses CDISC CT {choice.source.label}{note}"
        if line not in output.lines:
            output.info(line)


def methods(study: Study, kind: str) -> dict[tuple[str, str], str]:
    """Method text that derivation objects supply for define.xml, beside the specs' own."""
    if kind == "adam":
        from adam.methods import methods as adam_methods

        return adam_methods(study)
    from sdtm.methods import methods as sdtm_methods

    return sdtm_methods(study)


def _read(folder: Path, frames: Mapping[str, pd.DataFrame] | None, encoding: str,
          output: Output) -> dict[str, pd.DataFrame]:
    from specs.readers import read_folder

    return read_folder(folder, encoding=encoding, warn=output.warning) if frames is None else dict(frames)


def _write_into(folder: Path, datasets: dict, specs: dict, formats: tuple[str, ...],
                output: Output) -> dict[str, pd.DataFrame]:
    """Write the non-empty datasets into `folder`; returns every dataset as reading the files gives
    them (those not written, without records, as an empty file would give them)."""
    from specs.dataset import conform
    from specs.readers import as_read
    from specs.xpt import write_conformed

    # The FDA's conformance guide asks that empty datasets not be submitted.
    empty = sorted(name for name, frame in datasets.items() if frame.empty)
    if empty:
        output.info(f"Not written, no records: {', '.join(empty)}")
    written = {}
    with output.progress("writing", len(datasets)) as step:
        for name in sorted(datasets):
            step(name)
            conformed = conform(datasets[name], specs[name])
            if name not in empty:
                write_conformed(conformed, specs[name], folder, formats)
            written[name] = as_read(conformed, "xpt" if "xpt" in formats else "json")
    return written


@dataclass(frozen=True)
class RunResult:
    study: str
    steps: list[StepResult]
    validations: list  # qc ValidationResult of SDTM, then ADaM

    def fails(self, at: str) -> bool:
        return any(v.fails(at) for v in self.validations)


class Child:
    """`action(output)` running in a forked process from now on; `result` waits for it.

    The child sees the parent's data as it was at the fork (nothing is copied or pickled on the
    way in); its result, or its exception, comes back pickled. Its messages are collected and
    said by the parent's `output` when the result is taken, so the log's order does not depend
    on timing. `stop` ends a child whose result is no longer wanted.
    """

    def __init__(self, action: Callable[[Output], Any]):
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)

        def main() -> None:
            quiet = Output(quiet=True)
            try:
                outcome = (True, action(quiet), quiet.lines)
            except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
                outcome = (False, exc, quiet.lines)
            try:
                send.send(outcome)
            except Exception as exc:  # noqa: BLE001 - e.g. an exception that cannot be pickled
                send.send((False, RuntimeError(f"{outcome[1]} ({exc})"), quiet.lines))

        self._process = context.Process(target=main, daemon=True)
        self._process.start()
        send.close()

    def result(self, output: Output) -> Any:
        try:
            ok, value, lines = self._receive.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(f"the worker process ended without a result (exit code "
                               f"{self._process.exitcode})") from None
        self._process.join()
        for line in lines:
            output.info(line)
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()


class StepFailed(Exception):
    """A step of `run` failed; the package being built was discarded."""

    def __init__(self, step: str, error: Exception):
        self.step, self.error = step, error
        super().__init__(f"step '{step}' failed: {error}")


def run(study_name: str | Path, raw: Path, package: Path, *, output: Output,
        formats: tuple[str, ...] = ("xpt",), seed: int | None = None, encoding: str = DEFAULT,
        store: Path | None = None) -> RunResult:
    """SDTM → ADaM → define.xml → results → validation, laid out as an eCTD module 5 package with a
    manifest; the results (ARD, ARS metadata, review report) go into reports/results.
    The raw exports' text is read by `encoding`.

    The package is built beside `package` and moved into place only when every step succeeded;
    a failure leaves the previous package as it was and names the step.
    """
    study = load_study(study_name, store)
    command = f"clinforge run {study.name} --format {','.join(formats)}" + (
        f" --encoding {encoding}" if encoding != DEFAULT else "")
    first_line = len(output.lines)
    results, findings = [], []
    with atomic_folder(package) as work:
        layout = Layout(work, study.studyid)
        # Each step after `sdtm` takes the datasets of the step before as they read back from its
        # files (StepResult.datasets), rather than reading the files again.
        made: dict[str, dict[str, pd.DataFrame]] = {}

        kept = study_folder(study_name) / DISPOSITIONS

        def files(kind: str) -> dict[str, pd.DataFrame]:
            """What the step's folder holds: its datasets with records."""
            return {name: frame for name, frame in made[kind].items() if not frame.empty}

        def check(kind: str, folder: Path, out: Output = output):
            return validate(folder, output=out, study_name=study_name, report=layout.reports / kind,
                            data_docs=False, label=kind.upper(), frames=files(kind),
                            dispositions=kept if kept.is_file() else None, store=store)

        def step(name: str, action: Callable[[], Any]) -> None:
            output.info(f"{study.studyid}: {name}")
            try:
                done = action()
            except Exception as exc:  # noqa: BLE001 - re-raised with the step's name
                raise StepFailed(name, exc) from exc
            if isinstance(done, StepResult):
                if done.datasets:
                    made[done.step] = done.datasets
                results.append(replace(done, folder=Path(package) / done.folder.relative_to(work),
                                       datasets={}))
            else:
                findings.append(done)

        step("sdtm", lambda: sdtm(study_name, raw, layout.sdtm, output=output, formats=formats,
                                  encoding=encoding, store=store))
        # A study without ADaM specs (adam/*.yaml) gets an SDTM package: define.xml and validation.
        with_adam = bool(study.adam)
        if not with_adam:
            output.info(f"{study.studyid}: no ADaM specs (adam/*.yaml): the package holds SDTM only")
        # ADaM is built also from SDTM datasets without records (a study without adverse events).
        if with_adam:
            step("adam", lambda: adam(study_name, layout.sdtm, layout.adam, output=output, formats=formats,
                                      sdtm=made["sdtm"], store=store))
        # The SDTM validation needs nothing the later steps make: it runs on the second core
        # meanwhile, and its messages join the log after the ADaM validation's.
        sdtm_check = Child(lambda out: replace(check("sdtm", layout.sdtm, out), gx_results={}))
        try:
            step("define sdtm", lambda: define(study_name, layout.sdtm, layout.sdtm / "define.xml",
                                               output=output, frames=files("sdtm"), store=store))
            if with_adam:
                step("define adam", lambda: define(study_name, layout.adam, layout.adam / "define.xml",
                                                   output=output, frames=files("adam"), store=store))
            if with_adam and study.analysis_plan is not None:
                step("results", lambda: analyse(study_name, layout.adam, layout.results, output=output,
                                                frames=files("adam"), store=store,
                                                label=layout.adam.relative_to(work).as_posix()))
            if with_adam:
                step("validate adam", lambda: check("adam", layout.adam))
            step("validate sdtm", lambda: sdtm_check.result(output))
        finally:
            sdtm_check.stop()
        findings.reverse()  # SDTM first, then ADaM, as RunResult promises
        layout.log.parent.mkdir(parents=True, exist_ok=True)
        layout.log.write_text("".join(f"{line}\n" for line in output.lines[first_line:]))
        write_manifest(layout, study, command=command, raw_sha256=hash_tree(
            [p for p in Path(raw).rglob("*") if p.is_file()], Path(raw)), seed=seed)
    return RunResult(study.name, results, findings)


def demo(out: Path, *, subjects: int | None, seed: int, output: Output) -> list[RunResult]:
    """The shipped studies end to end: raw exports in `out/raw/<study>`, packages in `out/<study>`;
    then the first study's known findings explained in `out/review/<study>/dispositions.yaml` and
    its package validated again with them (reports beside it), as a submission team works."""
    runs = []
    for name in DEMO_STUDIES:
        raw = Path(out) / "raw" / name
        synthesised = synth(name, raw, subjects=subjects or DEMO_STUDIES[name], seed=seed, output=output)
        done = run(name, raw, Path(out) / name, output=output, seed=seed)
        runs.append(replace(done, steps=[synthesised, *done.steps]))
    runs.append(review(runs[0], Path(out), output=output))
    return runs


def review(first: RunResult, out: Path, *, output: Output) -> RunResult:
    """The package of `first` validated again, its planted findings explained by dispositions and
    the first validation as the baseline: what the exit status becomes once they are explained."""
    import yaml

    from specs.dataset import build_timestamp

    study = load_study(first.study)
    folder = out / "review" / first.study
    folder.mkdir(parents=True, exist_ok=True)
    planted = yaml.safe_load((Path(__file__).parents[1] / "edc" / "planted.yaml").read_text())["planted"]
    day = build_timestamp().date().isoformat()
    entries = [{**p, "status": "explained", "author": "clinforge demo", "date": day} for p in planted]
    dispositions = folder / DISPOSITIONS
    dispositions.write_text(yaml.safe_dump({"dispositions": entries}, sort_keys=False, width=100))
    layout = Layout(out / first.study, study.studyid)
    # SDTM and ADaM validated together, so that one dispositions file covers both.
    frames = _read(layout.sdtm, None, DEFAULT, output) | _read(layout.adam, None, DEFAULT, output)
    previous = folder / "baseline-findings.json"
    previous.write_text(_joined_findings([layout.reports / k / "findings.json" for k in ("sdtm", "adam")]))
    check = validate(folder, output=output, study_name=first.study, report=folder / "reports",
                     data_docs=False, label=f"{study.studyid} with {dispositions.name}", frames=frames,
                     dispositions=dispositions, baseline=previous)
    explained = sum(f.settled for f in check.findings)
    output.info(f"{first.study}: {explained} findings explained by {dispositions}; validated again, "
                f"the exit status is {1 if check.fails('error') else 0}")
    return RunResult(f"{first.study} (reviewed)", [], [check])


def _joined_findings(paths: list[Path]) -> str:
    """One findings.json from several (the package's SDTM and ADaM reports)."""
    import json

    findings = [f for path in paths for f in json.loads(path.read_text(encoding="utf-8"))]
    return "[\n" + ",\n".join(json.dumps(f, sort_keys=True, ensure_ascii=False) for f in findings) + "\n]\n"
