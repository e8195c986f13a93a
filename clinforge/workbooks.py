"""`clinforge spec export` and `spec import`: a study's specs, or a define.xml, to the P21 define-spec
workbook, and a workbook back to a study spec folder (specs.workbook)."""

from __future__ import annotations

from pathlib import Path

from clinforge.atomic import atomic_folder
from specs.errors import InputError, Problem, SpecError
from specs.workbook import write_workbook


def export_spec(source: str | Path, out: Path, store: Path | None = None) -> tuple[Path, dict[str, int]]:
    """Write the workbook of a study (a shipped name or a spec folder) or of a define.xml file;
    the workbook's path and its rows by sheet."""
    from specs.workbook_export import define_tables, study_tables

    if str(source).lower().endswith(".xml"):
        if not Path(source).is_file():
            raise InputError(f"{source}: no such define.xml file")
        from define.reader import read_define, read_study_header

        datasets, codelists = read_define(source)
        header, documents = read_study_header(source)
        tables = define_tables(datasets, codelists, header, documents)
    else:
        from specs.loader import load_study

        tables = study_tables(load_study(source, store))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target, then moved: a failed export leaves no half-written workbook.
    partial = out.with_name(f".{out.name}.partial")
    try:
        write_workbook(tables, partial)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out, {sheet: len(rows) for sheet, rows in tables.items()}


def import_spec(workbook: Path, out: Path, store: Path | None = None) -> dict[str, int]:
    """Write the study spec folder a workbook describes, flat (no `extends:`), and load it before
    moving it into place: files by folder (sdtm, adam, the study's own)."""
    from specs.loader import load_study
    from specs.workbook_import import study_files, write_files

    files = study_files(workbook, store)
    out = Path(out)
    with atomic_folder(out) as work:
        write_files(files, work)
        try:
            load_study(work, store)
        except SpecError as exc:
            # Name the files where they were to be written, not the temporary folder.
            raise SpecError([Problem(p.file.replace(str(work), str(out.absolute())), p.line,
                                     f"{p.message} (from workbook {workbook})")
                             for p in exc.problems]) from None
    counts: dict[str, int] = {}
    for name in files:
        folder = name.split("/")[0] if "/" in name else "study"
        counts[folder] = counts.get(folder, 0) + 1
    return counts
