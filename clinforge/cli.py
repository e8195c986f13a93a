"""The `clinforge` command line: thin argument parsing over `clinforge.pipeline`.

Exit status: 0 clean, 1 validation findings at or above the failing severity, 2 bad input or usage.
"""

from __future__ import annotations

import functools
import inspect
import json as _json
import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from clinforge import pipeline
from clinforge.console import Output
from define.odm import DefineError
from qc.summary import issues
from specs.encoding import DEFAULT, STRICT_UTF8, check_encoding
from specs.errors import InputError, SpecError

app = typer.Typer(
    help="Collected clinical-trial data to CDISC SDTM and ADaM, with define.xml and checks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary, only errors.")]
Json = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout (for CI).")]
Seed = Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical files.")]


class Severity(StrEnum):
    error = "error"
    warning = "warning"
    notice = "notice"


FailOn = Annotated[Severity, typer.Option(
    "--fail-on", help="Exit 1 when findings reach this severity.")]
Formats = Annotated[str, typer.Option("--format", help="Output formats: xpt, json or xpt,json.")]
StudyArg = Annotated[str, typer.Argument(
    help="A shipped study (ovarian, cervical, melanoma) or a study spec folder.")]
CtDir = Annotated[Path | None, typer.Option(
    "--ct-dir", help="Store of imported CDISC packages (default: $CLINFORGE_DATA, else the user data "
                     "folder).")]


def _encoding(name: str) -> str:
    try:
        return check_encoding(name)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


Encoding = Annotated[str, typer.Option(
    "--encoding", callback=_encoding,
    help=f"Text encoding of XPT, SAS7BDAT and CSV files: {DEFAULT} (a value that is not UTF-8 is "
         f"read as Windows-1252, with a warning), {STRICT_UTF8} (such a value is an error), or any "
         "ASCII-compatible encoding Python knows, e.g. latin-1.")]


def guarded(command: Callable) -> Callable:
    """Turn bad input into a one-paragraph message and exit status 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        out = Output(quiet=kwargs.get("quiet", False), as_json=kwargs.get("json", False))
        try:
            return command(*args, out=out, **kwargs)
        except SpecError as exc:
            out.error("these files have problems; nothing was written.\n" + str(exc))
        except pipeline.StepFailed as exc:
            out.error(f"{exc}. The package was not written; a previous package is left as it was.")
        except DefineError as exc:
            out.error(f"{exc}")
        except InputError as exc:
            out.error(f"{exc}. Nothing was written; correct the input and run again.")
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            out.error(f"{exc.strerror or exc}{where}. Nothing was written; check the path and run again.")
        raise typer.Exit(2)

    # typer reads the signature: hide the injected `out` parameter from it.
    wrapper.__signature__ = _without_out(command)
    return wrapper


def _without_out(command: Callable) -> inspect.Signature:
    sig = inspect.signature(command, eval_str=True)
    return sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "out"])


@app.command()
@guarded
def synth(
    study: StudyArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the raw CSV exports.")],
    subjects: Annotated[int, typer.Option(min=1, max=20000, help="Number of subjects.")] = 30,
    seed: Seed = 20261122,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """Simulate a study's EDC exports (one CSV per CRF form).

    Example: `clinforge synth ovarian --out raw/ovarian --subjects 100 --seed 7`
    """
    _report(out, pipeline.synth(study, out_dir, subjects=subjects, seed=seed, output=out))


@app.command()
@guarded
def sdtm(
    study: StudyArg,
    raw: Annotated[Path, typer.Option("--raw", help="Folder of raw EDC exports (<form>.csv).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the SDTM datasets.")],
    formats: Formats = "xpt",
    encoding: Encoding = DEFAULT,
    ct_dir: CtDir = None,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """Convert raw EDC exports to SDTM by the study's mapping specs.

    Example: `clinforge sdtm ovarian --raw raw/ovarian --out sdtm/ovarian`
    """
    result = pipeline.sdtm(study, raw, out_dir, output=out, formats=_formats(formats), encoding=encoding,
                           store=ct_dir)
    _report(out, result)


@app.command()
@guarded
def adam(
    study: StudyArg,
    sdtm_dir: Annotated[Path, typer.Option("--sdtm", help="Folder of SDTM datasets (XPT, JSON, Parquet).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the ADaM datasets.")],
    formats: Formats = "xpt",
    encoding: Encoding = DEFAULT,
    ct_dir: CtDir = None,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """Build the study's ADaM datasets from SDTM (written by clinforge or anyone else).

    Example: `clinforge adam ovarian --sdtm sdtm/ovarian --out adam/ovarian`
    """
    result = pipeline.adam(study, sdtm_dir, out_dir, output=out, formats=_formats(formats), encoding=encoding,
                           store=ct_dir)
    _report(out, result)


@app.command()
@guarded
def results(
    study: StudyArg,
    adam_dir: Annotated[Path, typer.Option("--adam", help="Folder of ADaM datasets (XPT, JSON, Parquet).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the results and the report.")],
    encoding: Encoding = DEFAULT,
    ct_dir: CtDir = None,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """Results of every analysis of the study's analysis plan (analyses.yaml) from ADaM datasets:
    ARS results data (ard.json, ard.csv), ARS metadata (ars.json) and the study review report
    (report.html, report.pdf).

    Example: `clinforge results ovarian --adam adam/ovarian --out results/ovarian`
    """
    _report(out, pipeline.analyse(study, adam_dir, out_dir, output=out, encoding=encoding, store=ct_dir))


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    unknown = [f for f in formats if f not in ("xpt", "json")]
    if unknown or not formats:
        raise typer.BadParameter(f"{text!r}: give xpt, json or xpt,json", param_hint="--format")
    return formats


def _report(out: Output, result: pipeline.StepResult) -> None:
    out.summary(f"{result.step} of {result.study} in {result.folder}", ["dataset", "records"],
                [[k, v] for k, v in sorted(result.counts.items())],
                {"study": result.study, "step": result.step, "folder": str(result.folder)})


@app.command()
@guarded
def define(
    study: StudyArg,
    data: Annotated[Path, typer.Option("--data", help="Folder of SDTM or ADaM datasets.")],
    out_file: Annotated[Path, typer.Option("--out", help="Path of the define.xml to write.")],
    encoding: Encoding = DEFAULT,
    ct_dir: CtDir = None,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """Write define.xml (Define-XML 2.1, checked against the XSD) and define.html beside it.

    Example: `clinforge define ovarian --data sdtm/ovarian --out sdtm/ovarian/define.xml`
    """
    _report(out, pipeline.define(study, data, out_file, output=out, encoding=encoding, store=ct_dir))


@app.command()
@guarded
def run(
    study: StudyArg,
    raw: Annotated[Path, typer.Option("--raw", help="Folder of raw EDC exports (<form>.csv).")],
    package: Annotated[Path, typer.Option("--out", help="Package folder (replaced only on success).")],
    formats: Formats = "xpt",
    encoding: Encoding = DEFAULT,
    fail_on: FailOn = Severity.error,
    ct_dir: CtDir = None,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """All steps into an eCTD module 5 package: SDTM, ADaM, define.xml/html, manifest.json.

    Example: `clinforge run ovarian --raw raw/ovarian --out package/ovarian --format xpt,json`
    """
    result = pipeline.run(study, raw, package, output=out, formats=_formats(formats), encoding=encoding,
                          store=ct_dir)
    out.summary(f"Package of {study} in {package}", ["step", "output", "datasets", "records"],
                [[r.step, os.path.relpath(r.folder, package), len(r.counts), sum(r.counts.values())]
                 for r in result.steps],
                {"study": study, "package": str(package), "findings": _severities(result.validations)})
    _exit_on_findings(out, result.validations, fail_on)


@app.command()
@guarded
def validate(
    data: Annotated[Path | None, typer.Argument(
        help="Folder of SDTM or ADaM datasets (XPT, JSON, Parquet); none to check --define alone.")] = None,
    define_file: Annotated[Path | None, typer.Option("--define", help="define.xml with metadata.")] = None,
    study: Annotated[str | None, typer.Option("--study", help="Study whose specs give the metadata.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Folder for the reports.")] = None,
    rules: Annotated[list[Path] | None, typer.Option(
        "--rules", help="CORE-format rule file or folder (repeatable); default: the catalogue.")] = None,
    suites: Annotated[bool, typer.Option(
        "--suites/--no-suites", help="Run the expectation suites generated from the metadata.")] = True,
    dispositions: Annotated[Path | None, typer.Option(
        "--dispositions", help="YAML or CSV of known findings: explained, waived or to fix.")] = None,
    baseline: Annotated[Path | None, typer.Option(
        "--baseline", help="findings.json of an earlier run: mark issues new, persisting, resolved.")] = None,
    fail_on: FailOn = Severity.error,
    encoding: Encoding = DEFAULT,
    ct: Annotated[str | None, typer.Option(
        "--ct", help="CDISC CT release (YYYY-MM-DD) to check against, instead of the one the metadata names.")
    ] = None,
    ct_dir: CtDir = None,
    jobs: Annotated[int, typer.Option(
        "--jobs", min=1, help="Processes that run the conformance rules (forked; each may need the "
                              "datasets' memory again on very large folders).")] = 1,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """Check any SDTM or ADaM folder: expectation suites from metadata, conformance rules and CDISC
    controlled terminology (Pinnacle 21 CT2001-CT2006).

    Metadata comes from `--study`, else `--define` (or a define.xml in the folder), else the
    SDTMIG / ADaMIG (imported, else the shipped subset). CT comes from `--ct`, else the packages the
    study or define.xml names, else the newest imported, else the shipped subset. Rules in the
    CDISC CORE format come from `--rules` (e.g. a checkout of cdisc-open-rules), else clinforge's
    own catalogue. Rules that could not run are listed as not run.

    With `--define FILE` and no folder, the define.xml is checked on its own: its file name and
    Define-XML version (FDA), the official XSD, and the Define-XML conformance rules.

    Example: `clinforge validate package/ovarian/m5/datasets/meso-ov-101/tabulations/sdtm --report qc`
    """
    if data is None and define_file is None:
        raise typer.BadParameter("give a folder of datasets, or --define FILE to check a define.xml alone",
                                 param_hint="DATA")
    if data is None:
        result = pipeline.validate_define(define_file, output=out, report=report, rules=rules or None,
                                          dispositions=dispositions, baseline=baseline)
    else:
        result = pipeline.validate(data, output=out, study_name=study, define_file=define_file, report=report,
                                   encoding=encoding, rules=rules or None, suites=suites,
                                   dispositions=dispositions, baseline=baseline, store=ct_dir,
                                   ct_version=ct, jobs=jobs)
    found = issues(result.findings)
    rows = [[i.rule, i.dataset, i.variable + (f" = {i.value}" if i.value else ""), i.count,
             i.disposition or ("open" if i.open else ""), result.changes.get(i.key, "")] for i in found]
    rows += [[i.rule, i.dataset, i.variable, 0, "", "resolved"] for i in result.resolved]
    rows += [[r.rule, r.dataset, f"NOT RUN: {r.reason}", "-", "", ""] for r in result.not_run()]
    title = data if data is not None else define_file
    columns = ["rule", "dataset", "variable", "findings", "disposition", "change"]
    out.summary(f"Validation of {title}", columns, rows, {
        "folder": str(title), "findings": _severities([result]), "open": result.count_open(),
        "issues": [i.to_dict(result.changes.get(i.key, "")) for i in found],
        "resolved": [i.to_dict("resolved") for i in result.resolved], "notes": result.notes,
        "not_run": [r.to_dict() for r in result.not_run()]})
    _exit_on_findings(out, [result], fail_on)


@app.command()
@guarded
def guide(
    reports: Annotated[list[Path], typer.Argument(
        help="Validation report folders (findings.json), or packages (reports/sdtm, reports/adam).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the tables.")],
    dispositions: Annotated[Path | None, typer.Option(
        "--dispositions", help="YAML or CSV of known findings; their explanations fill the tables.")] = None,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """The data conformance tables of the cSDRG (SDTM) and the ADRG (ADaM), in Markdown and Word.

    One row per remaining issue: rule ids, dataset, message, severity, count and the explanation
    from the dispositions; an issue nobody explained says NOT EXPLAINED.

    Example: `clinforge guide package/ovarian --dispositions specs/ovarian/dispositions.yaml --out guides`
    """
    written = pipeline.guide(reports, out_dir, dispositions=dispositions, output=out)
    out.summary(f"Reviewer's guide tables in {out_dir}", ["file"], [[str(p)] for p in written],
                {"files": [str(p) for p in written]})


@app.command()
@guarded
def compare(
    base: Annotated[Path, typer.Argument(help="Base dataset file or folder (production).")],
    qc: Annotated[Path, typer.Argument(help="Compare dataset file or folder (QC programming).")],
    keys: Annotated[str, typer.Option("--keys", help="Key variables, e.g. USUBJID,PARAMCD,AVISITN.")],
    tolerance: Annotated[float, typer.Option(help="Numbers closer than this are equal.")] = 1e-9,
    encoding: Encoding = DEFAULT,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """PROC COMPARE for double programming: datasets, variables, attributes, records and values.

    Exit status 1 when anything differs.

    Example: `clinforge compare prod/adam qc/adam --keys USUBJID,PARAMCD,AVISITN`
    """
    from qc.compare import compare as compare_sides

    comparison = compare_sides(base, qc, keys, tolerance=tolerance, encoding=encoding, warn=out.warning)
    if json:
        warned = {"warnings": out.warnings} if out.warnings else {}
        print(_json.dumps({"differences": comparison.has_differences, **warned,
                           "report": comparison.report()}))
    elif not quiet:
        print(comparison.report())
    if comparison.has_differences:
        raise typer.Exit(1)


def _severities(results: list) -> dict[str, int]:
    total: dict[str, int] = {}
    for result in results:
        for severity, n in result.count_by_severity().items():
            total[severity] = total.get(severity, 0) + n
    return total


def _exit_on_findings(out: Output, results: list, fail_on: Severity) -> None:
    if any(r.fails(fail_on.value) for r in results):
        out.info(f"Findings at or above {fail_on.value}: exit status 1.")
        raise typer.Exit(1)


@app.command()
@guarded
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo output.")] = Path("out/demo"),
    subjects: Annotated[int | None, typer.Option(
        min=1, max=20000,
        help="Subjects per study (default: 30 for ovarian, 24 for cervical, 40 for melanoma).")] = None,
    seed: Seed = 20261122,
    fail_on: FailOn = Severity.error,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """Run the shipped studies end to end: raw exports in OUT/raw, packages in OUT/<study>.

    Example: `clinforge demo --out out/demo`
    """
    runs = pipeline.demo(out_dir, subjects=subjects, seed=seed, output=out)
    out.summary(f"clinforge demo in {out_dir}", ["study", "step", "output", "datasets", "records"],
                [[r.study, s.step, os.path.relpath(s.folder, out_dir), len(s.counts), sum(s.counts.values())]
                 for r in runs for s in r.steps],
                {"folder": str(out_dir), "findings": {r.study: _severities(r.validations) for r in runs}})
    _exit_on_findings(out, [v for r in runs for v in r.validations], fail_on)


ct_app = typer.Typer(help="CDISC Controlled Terminology packages (NCI EVS files) in the local store.",
                     no_args_is_help=True)
app.add_typer(ct_app, name="ct")
standards_app = typer.Typer(help="SDTMIG / ADaMIG metadata (CDISC Library CSV export) in the local store.",
                            no_args_is_help=True)
app.add_typer(standards_app, name="standards")


spec_app = typer.Typer(help="Study specs as a Pinnacle 21 define-spec workbook (Excel) and back.",
                       no_args_is_help=True)
app.add_typer(spec_app, name="spec")


@spec_app.command("export")
@guarded
def spec_export(
    source: Annotated[str, typer.Argument(
        help="A shipped study, a study spec folder, or a define.xml file.")],
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Path of the workbook to write (default: <study>.xlsx here).")] = None,
    ct_dir: CtDir = None,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """Write the P21 define-spec workbook of a study (its resolved specs, mapping rules and study
    design) or of a define.xml (the P21 sheets it can fill).

    Example: `clinforge spec export ovarian --out ovarian.xlsx` or
    `clinforge spec export sdtm/ovarian/define.xml --out ovarian-define.xlsx`
    """
    from clinforge.workbooks import export_spec

    target = out_file or Path(f"{Path(source).stem if source.endswith('.xml') else Path(source).name}.xlsx")
    path, counts = export_spec(source, target, ct_dir)
    out.summary(f"Spec workbook {path}", ["sheet", "rows"], [[k, v] for k, v in counts.items()],
                {"workbook": str(path), "sheets": counts})


@spec_app.command("import")
@guarded
def spec_import(
    workbook: Annotated[Path, typer.Argument(help="A workbook `clinforge spec export` wrote (or edited).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the study's spec files.")],
    ct_dir: CtDir = None,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """Write the study spec folder a P21 define-spec workbook describes (flat: no `extends:`).

    Example: `clinforge spec import ovarian.xlsx --out specs/ovarian-edited`
    """
    from clinforge.workbooks import import_spec

    counts = import_spec(workbook, out_dir, ct_dir)
    out.summary(f"Study specs in {out_dir}", ["folder", "files"], [[k, v] for k, v in sorted(counts.items())],
                {"folder": str(out_dir), "files": counts})


@ct_app.command("import")
@guarded
def ct_import(
    files: Annotated[list[Path], typer.Argument(help="NCI EVS terminology files (.txt, .xls, .xlsx).")],
    standard: Annotated[str | None, typer.Option(
        help="The package (sdtm, adam, define-xml ...) when the file name does not say.")] = None,
    version: Annotated[str | None, typer.Option(
        help="The release date (YYYY-MM-DD) when the file name does not say.")] = None,
    ct_dir: CtDir = None,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """Import CDISC CT packages as NCI EVS publishes them; importing the same file again changes nothing.

    Example: `clinforge ct import "SDTM Terminology 2025-03-28.txt" "ADaM Terminology 2025-03-28.txt"`
    """
    from specs.store import store_root
    from specs.terminology import import_ct

    done = import_ct(files, ct_dir, standard=standard, version=version)
    for result in done:
        for skipped in result.skipped:
            out.info(f"{result.file}: {skipped}: a term without a submission value, left out")
    out.summary(f"CDISC CT in {store_root(ct_dir)}",
                ["file", "package", "release", "codelists", "terms", "action"],
                [[Path(r.file).name, r.standard, r.version, r.codelists, r.terms, r.action] for r in done],
                {"store": str(store_root(ct_dir))})


@ct_app.command("list")
@guarded
def ct_list(ct_dir: CtDir = None, quiet: Quiet = False, json: Json = False, *, out: Output) -> None:
    """The imported CT packages.

    Example: `clinforge ct list`
    """
    from specs.store import store_root
    from specs.terminology import imported

    packages = imported(ct_dir)
    if not packages:
        from specs.terminology import how_to_import

        out.info(f"No CDISC CT package is imported in {store_root(ct_dir)}. {how_to_import('sdtm')}")
    out.summary(f"CDISC CT in {store_root(ct_dir)}", ["package", "release", "codelists", "terms", "source"],
                [[p.standard, p.version, p.manifest.get("codelists"), p.manifest.get("terms"),
                  p.manifest.get("source")] for p in packages], {"store": str(store_root(ct_dir))})


@ct_app.command("show")
@guarded
def ct_show(
    codelist: Annotated[str, typer.Argument(
        help="Short name (NY), name (No Yes Response) or C-code (C66742).")],
    ct: Annotated[str | None, typer.Option("--ct", help="Release (YYYY-MM-DD); default the newest.")] = None,
    standard: Annotated[str | None, typer.Option(help="Package (sdtm, adam ...); default any.")] = None,
    ct_dir: CtDir = None,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """One codelist of an imported package: its C-code, extensibility and terms.

    Example: `clinforge ct show NY` or `clinforge ct show C66742 --ct 2025-03-28`
    """
    from specs.terminology import find_codelist

    found, package = find_codelist(codelist, ct_dir, standard=standard, version=ct)
    kind = "extensible" if found.extensible else "non-extensible"
    out.summary(f"{found.name} ({found.c_code}) {found.label}: {kind}, {len(found.terms)} terms, "
                f"{package.label}", ["term", "C-code", "decode"],
                [[t.value, t.c_code, t.decode or ""] for t in found.terms],
                {"codelist": found.name, "c_code": found.c_code, "label": found.label,
                 "extensible": found.extensible, "package": package.label})


@standards_app.command("import")
@guarded
def standards_import(
    folders: Annotated[list[Path], typer.Argument(
        help="CDISC Library CSV export folders (Datasets.csv or DataStructures.csv, and Variables.csv).")],
    ct_dir: CtDir = None,
    quiet: Quiet = False,
    json: Json = False,
    *,
    out: Output,
) -> None:
    """Import SDTMIG / ADaMIG variable metadata; importing the same files again changes nothing.

    Example: `clinforge standards import exports/sdtmig-3.4 exports/adamig-1.3`
    """
    from specs.guides import import_guides
    from specs.store import store_root

    done = import_guides(folders, ct_dir)
    out.summary(f"Implementation guides in {store_root(ct_dir)}",
                ["folder", "guide", "version", "datasets", "variables", "action"],
                [[r.folder, r.guide, r.version, r.datasets, r.variables, r.action] for r in done],
                {"store": str(store_root(ct_dir))})


@standards_app.command("list")
@guarded
def standards_list(ct_dir: CtDir = None, quiet: Quiet = False, json: Json = False, *, out: Output) -> None:
    """The imported implementation guides.

    Example: `clinforge standards list`
    """
    from specs.guides import imported_guides
    from specs.store import store_root

    out.summary(f"Implementation guides in {store_root(ct_dir)}",
                ["guide", "version", "datasets", "variables"],
                [[p.standard, p.version, p.manifest.get("datasets"), p.manifest.get("variables")]
                 for p in imported_guides(ct_dir)], {"store": str(store_root(ct_dir))})


if __name__ == "__main__":
    app()
