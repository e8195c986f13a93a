"""Read raw EDC exports into the in-memory raw contract, checking every value on the way in.

Formats: `<form>.csv` (comma-separated, the CRF library's field names in the header),
`<form>.sas7bdat` / `<form>.xpt` (SAS exports of the same forms), and one CDISC ODM 1.3.2
ClinicalData XML file holding all forms. The text of CSV and SAS files is read by `encoding`
(specs.encoding: by default UTF-8, a value that is not UTF-8 as Windows-1252, told to `warn`);
XML says its own encoding. Every problem of a file is collected and reported
together (the first 20 and a count) as one `InputError` naming file, row, column and value;
nothing is returned half-read.

Beyond each value's own check: a raw record (SUBJID, FOLDER, RECNUM) appears once in its file
(a repeat is refused naming both rows, even when the rows agree: only the EDC can say which is
right), and across files every row belongs to the study (STUDYID), to one of its visit folders
(or `UNS<n>`, or blank on a log form) and to a subject with enrolment and demographics records.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from edc.calendar import MONTHS
from specs.encoding import DEFAULT, LOSSLESS, STRICT_UTF8, Warn, decode_columns, read_sas, tell
from specs.errors import InputError
from specs.loader import load_crf_library
from specs.model import Form, Study
from specs.schema import closest
from specs.vector import is_in

SYSTEM_FIELDS = ("STUDYID", "SITEID", "SUBJID", "FOLDER", "RECNUM")
# (SUBJID, FOLDER, RECNUM) identifies a raw record (the CRF library's system fields).
RECORD_KEY = ("SUBJID", "FOLDER", "RECNUM")
# Answer list name → its answers (the CRF library's, or a study's: Study.form_choices).
Choices = dict[str, tuple[str, ...]]
# Forms that register a subject: a subject anywhere else must have a record in each of them
# (those the study collects), or its SDTM rows would belong to nobody in DM.
REGISTRATION_FORMS = ("enrol", "dm")
UNSCHEDULED_FOLDER = r"UNS[1-9]\d*"
SHOWN_PROBLEMS = 20
UTF8_BOM = b"\xef\xbb\xbf"
_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str" dtype
OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
_MONTH = "|".join(MONTHS)
DATE_PATTERN = rf"(?:\d{{2}} (?:{_MONTH})|UN (?:{_MONTH}|UNK)) \d{{4}}"
TIME_PATTERN = r"(?:[01]\d|2[0-3]):[0-5]\d"
PATTERNS = {
    "date": (DATE_PATTERN, "a date DD MON YYYY (UN for an unknown day, UNK for an unknown month), "
                           "e.g. 14 MAY 2024 or UN MAY 2024"),
    "time": (TIME_PATTERN, "a time HH:MM (24-hour), e.g. 09:30"),
    "integer": (r"[-+]?\d+", "a whole number"),
    "float": (r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", "a number"),
}


@dataclass(frozen=True)
class Problem:
    row: int | None  # 1-based data row (file line = row + 1 for CSV)
    column: str | None
    value: object
    message: str
    expected: str | None = None

    def __str__(self) -> str:
        where = ", ".join(p for p in (
            f"row {self.row} (line {self.row + 1})" if self.row is not None else "",
            f"column {self.column}" if self.column else "") if p)
        text = f"{where}: {self.message}" if where else self.message
        if self.value is not None:
            text += f" (value {self.value!r})"
        return text + (f"; expected {self.expected}" if self.expected else "")


def _raise(file: Path | str, problems: list[Problem]) -> None:
    lines = [str(p) for p in problems[:SHOWN_PROBLEMS]]
    more = len(problems) - SHOWN_PROBLEMS
    if more > 0:
        lines.append(f"... and {more} more problem(s) ({len(problems)} in all)")
    noun = "problem" if len(problems) == 1 else "problems"
    error = InputError(f"{len(problems)} {noun}:\n  " + "\n  ".join(lines), file=str(file))
    first = problems[0]
    # The first problem's place, for callers that want it as data.
    error.row, error.column = first.row, first.column
    error.value, error.expected = first.value, first.expected
    error.problems = problems
    raise error


# --- CSV --------------------------------------------------------------------------------------

def read_form(path: str | Path, form: Form, *, encoding: str = DEFAULT,
              warn: Warn | None = None, choices: Choices | None = None) -> pd.DataFrame:
    """One form's export (CSV, SAS7BDAT or XPT by file suffix) as text columns plus `_ROW`.

    `encoding` (specs.encoding) reads its text; `warn` is told of each value read as Windows-1252
    because it was not UTF-8. `choices` are the answer lists the values are checked against (the
    study's, Study.form_choices; default the CRF library's).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no export file for form {form.name} ({form.label})", file=str(path),
                         expected=f"{form.name}.csv in the raw folder")
    if path.suffix.lower() in (".sas7bdat", ".xpt"):
        return _read_sas(path, form, encoding, warn, choices)
    data = path.read_bytes()
    if not data.strip():
        raise InputError("the file is empty", file=str(path),
                         expected=f"a header row with the fields of form {form.name}: "
                                  f"{', '.join(form.field_names())}")
    body, per_value = _utf8_body(path, data, encoding)
    header = [h.strip() for h in next(csv.reader([body.split(b"\n", 1)[0].decode().rstrip("\r")]))]
    _check_header(path, header, form)
    problems: list[Problem] = []

    def wrong_width(row: pacsv.InvalidRow) -> str:
        problems.append(Problem(
            row.number - 1 if row.number else None, None, row.text[:80],
            f"has {row.actual_columns} fields but the header has {row.expected_columns}",
            "one value per header field (a comma inside a value must be quoted)"))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(use_threads=False, column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(invalid_row_handler=wrong_width, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header}, strings_can_be_null=False,
                quoted_strings_can_be_null=False))
    except pa.ArrowInvalid as exc:
        raise InputError(f"not a readable CSV file: {exc}", file=str(path)) from exc
    if problems:
        _raise(path, problems)
    frame = table.to_pandas(types_mapper=lambda t: _TEXT if pa.types.is_string(t) else None)
    if per_value:
        frame, recoded = decode_columns(frame, list(frame.columns), encoding, str(path))
        tell(warn, recoded)
    return _check_values(path, frame, form, choices)


def _utf8_body(path: Path, data: bytes, encoding: str) -> tuple[bytes, bool]:
    """The file's bytes as UTF-8 for the CSV parser, and whether its values are still to be
    decoded by `encoding` (the file was taken as Latin-1: one character per byte).

    A header line that is not UTF-8 is refused even by the default encoding: field names are
    ASCII, so such a file is not a CSV export in any encoding (UTF-16, a compressed file).
    """
    body = data.removeprefix(UTF8_BOM)
    if encoding in (DEFAULT, STRICT_UTF8):
        try:
            body.decode("utf-8")
            return body, False
        except UnicodeDecodeError as exc:
            if b"\n" not in body[:exc.start]:
                raise _not_utf8(path, body, exc) from exc
    return body.decode(LOSSLESS).encode("utf-8"), True


def _not_utf8(path: Path, data: bytes, exc: UnicodeDecodeError) -> InputError:
    start = data.rfind(b"\n", 0, exc.start) + 1
    return InputError(
        f"the file is not UTF-8: byte 0x{data[exc.start]:02X} at byte {exc.start - start + 1} of "
        "line 1 cannot be decoded; re-export the file as UTF-8", file=str(path),
        value=data[start:exc.start + 1][-20:].decode("utf-8", "replace"), expected="UTF-8 text")


def _check_header(path: Path, header: list[str], form: Form) -> None:
    names = form.field_names()
    if len(header) == 1:
        for sep, name in OTHER_DELIMITERS.items():
            parts = header[0].split(sep)
            if len(parts) > 1 and len(set(parts) & set(names)) >= 2:
                raise InputError(f"the file is {name}-separated ({sep!r}); export it comma-separated",
                                 file=str(path), row=None, value=header[0][:60],
                                 expected="fields separated by commas")
    problems = []
    known = set(names)
    seen: set[str] = set()
    for h in header:
        if h in seen:
            problems.append(Problem(None, h, None, "column appears more than once", "each field once"))
        seen.add(h)
        if h not in known:
            problems.append(Problem(None, h, None, f"unknown column for form {form.name}{closest(h, names)}",
                                    f"one of {', '.join(names)}"))
    required = [f.name for f in form.fields if f.required or f.name in SYSTEM_FIELDS]
    problems += [Problem(None, name, None, f"required column is missing from form {form.name}",
                         "a column with this name in the header")
                 for name in required if name not in seen]
    if problems:
        _raise(path, problems)


# --- values -----------------------------------------------------------------------------------

def _check_values(file: Path | str, frame: pd.DataFrame, form: Form,
                  choices: Choices | None = None) -> pd.DataFrame:
    """Check every value against its field; return the frame in library column order with `_ROW`.

    A field the file lacks stays absent: the SDTM engine refuses an export without a column its
    spec maps (sdtm.raw_columns), rather than reading it as blank.
    """
    choices = load_crf_library()[1] if choices is None else choices
    frame = frame[[name for name in form.field_names() if name in frame.columns]].copy()
    rows = np.arange(1, len(frame) + 1)
    problems: list[Problem] = []
    for field in form.fields:
        if field.name not in frame.columns:
            continue
        values = frame[field.name].fillna("")
        blank = (values.str.strip() == "").to_numpy()
        if field.required or field.name in ("SUBJID",):
            problems += [Problem(int(r), field.name, "", "required value is blank", f"a {field.type} value")
                         for r in rows[blank]]
        if field.type == "choice":
            allowed = choices[field.choices]
            bad = ~values.isin(allowed).to_numpy() & ~blank
            expected = f"one of {', '.join(allowed)}"
            message = f"value is not one of the choices {field.choices}"
        elif field.type in PATTERNS:
            pattern, expected = PATTERNS[field.type]
            bad = ~values.str.fullmatch(pattern).to_numpy(dtype=bool) & ~blank
            if field.type == "date":
                full = values.str.fullmatch(r"\d{2} [A-Z]{3} \d{4}").to_numpy(dtype=bool) & ~bad
                parsed = pd.to_datetime(values.where(full, None), format="%d %b %Y", errors="coerce")
                bad |= full & parsed.isna().to_numpy()
            message = f"not a valid {field.type}"
        else:
            continue
        problems += [Problem(int(r), field.name, v, message, expected)
                     for r, v in zip(rows[bad], values.to_numpy()[bad], strict=True)]
    if problems:
        problems.sort(key=lambda p: (p.row or 0, form.field_names().index(p.column)))
        _raise(file, problems)
    frame["_ROW"] = rows.astype(np.int64)
    _check_unique(file, frame)
    return frame


def _check_unique(file: Path | str, frame: pd.DataFrame) -> None:
    """One row per raw record: a repeated (SUBJID, FOLDER, RECNUM) names both rows.

    A repeat is refused rather than dropped, even when the two rows agree: an export that
    repeats a record may have lost another, and only the EDC can say which row is right.
    """
    key = frame[list(RECORD_KEY)].apply(lambda c: c.fillna("").str.strip())
    repeated = key.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    first = frame["_ROW"].groupby([key[c] for c in RECORD_KEY], sort=False).transform("first")
    problems = [
        Problem(None, "RECNUM", None,
                f"rows {a} and {b} (lines {a + 1} and {b + 1}) are the same record: SUBJID {s!r}, "
                f"FOLDER {f!r}, RECNUM {n!r}",
                "one row per SUBJID, FOLDER and RECNUM: remove the repeated row, or give it its "
                "own RECNUM if it is a different record")
        for a, b, s, f, n in zip(first.to_numpy()[repeated], frame["_ROW"].to_numpy()[repeated],
                                 *(key[c].to_numpy()[repeated] for c in RECORD_KEY), strict=True)
    ]
    _raise(file, problems)


# --- SAS exports ------------------------------------------------------------------------------

def _read_sas(path: Path, form: Form, encoding: str, warn: Warn | None,
              choices: Choices | None = None) -> pd.DataFrame:
    import pyreadstat

    reader = pyreadstat.read_sas7bdat if path.suffix.lower() == ".sas7bdat" else pyreadstat.read_xport
    try:
        data, meta, undecoded = read_sas(reader, path, encoding, dates_as_pandas_datetime=True)
    except Exception as exc:  # pyreadstat raises its own error types for unreadable files
        raise InputError(f"not a readable SAS file: {exc}", file=str(path)) from exc
    if undecoded:
        strings = [c for c, kind in meta.readstat_variable_types.items() if kind == "string"]
        data, recoded = decode_columns(data, strings, encoding, str(path))
        tell(warn, recoded)
    data.columns = [c.upper() for c in data.columns]
    _check_header(path, list(data.columns), form)
    text = {c: _sas_text(data[c]) for c in data.columns}
    frame = pd.DataFrame({c: pd.array(v, dtype="str") for c, v in text.items()}, index=range(len(data)))
    return _check_values(path, frame, form, choices)


def _sas_text(column: pd.Series) -> np.ndarray:
    """A SAS column as the EDC would have exported it: dates as DD MON YYYY, numbers plainly."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return np.where(column.isna(), "", column.dt.strftime("%d %b %Y").str.upper().fillna(""))
    if not pd.api.types.is_numeric_dtype(column):
        return column.fillna("").astype(str).str.rstrip().to_numpy(dtype=str)
    values = pd.to_numeric(column, errors="coerce")
    whole = values.notna() & (values == values.round())
    out = np.where(whole, values.fillna(0).round().astype(np.int64).astype(str), values.astype(str))
    return np.where(values.isna(), "", out)


# --- CDISC ODM 1.3.2 --------------------------------------------------------------------------

ODM_NS = "{http://www.cdisc.org/ns/odm/v1.3}"
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def read_odm(path: str | Path, study: Study) -> dict[str, pd.DataFrame]:
    """Forms from an ODM 1.3.2 ClinicalData file. FormOID / ItemOID name the library's forms and
    fields (an `F.`/`IT.` prefix and a `<FORM>.` qualifier are allowed); StudyEventOID is the
    folder; ISO 8601 dates are turned into the EDC's DD MON YYYY."""
    from lxml import etree

    path = Path(path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"not well-formed XML: {exc}", file=str(path)) from exc
    if tree.docinfo.doctype:
        raise InputError("a DOCTYPE declaration is not accepted in ODM files", file=str(path),
                         value=tree.docinfo.doctype, expected="an ODM file without DOCTYPE")
    root = tree.getroot()
    records: dict[str, list[dict[str, str]]] = {name: [] for name in study.forms}
    by_oid = {name.upper(): name for name in study.forms}
    problems = []
    for clinical in root.iter(f"{ODM_NS}ClinicalData"):
        studyid = clinical.get("StudyOID", "")
        for subject in clinical.iter(f"{ODM_NS}SubjectData"):
            site = subject.find(f"{ODM_NS}SiteRef")
            base = {"STUDYID": studyid, "SUBJID": subject.get("SubjectKey", ""),
                    "SITEID": site.get("LocationOID", "") if site is not None else ""}
            for event in subject.iter(f"{ODM_NS}StudyEventData"):
                folder = event.get("StudyEventOID", "")
                for form_el in event.iter(f"{ODM_NS}FormData"):
                    oid = _strip(form_el.get("FormOID", ""), "F.")
                    name = by_oid.get(oid.upper())
                    if name is None:
                        problems.append(Problem(None, "FormOID", form_el.get("FormOID"),
                                                f"line {form_el.sourceline}: unknown form"
                                                f"{closest(oid, study.forms)}",
                                                f"one of {', '.join(study.forms)}"))
                        continue
                    for group in form_el.iter(f"{ODM_NS}ItemGroupData"):
                        row = dict(base, FOLDER=folder, RECNUM=group.get("ItemGroupRepeatKey", "1"))
                        for item in group.iter(f"{ODM_NS}ItemData"):
                            field = _strip(_strip(item.get("ItemOID", ""), "IT."), f"{name.upper()}.")
                            row[field] = _edc_value(item.get("Value", ""), study.forms[name], field)
                        records[name].append(row)
    if problems:
        _raise(path, problems)
    out = {}
    for name, form in study.forms.items():
        frame = pd.DataFrame(records[name], columns=None if records[name] else list(form.field_names()))
        # ODM leaves out empty values, so a field no record has is blank, not a missing column.
        absent = [field for field in form.field_names() if field not in frame.columns]
        frame = frame.assign(**dict.fromkeys(absent, "")).fillna("").astype(str)
        _check_header(path, list(frame.columns), form)
        out[name] = _check_values(f"{path} [{name}]", frame, form, study.form_choices or None)
    return out


def _strip(text: str, prefix: str) -> str:
    return text[len(prefix):] if text.upper().startswith(prefix.upper()) else text


def _edc_value(value: str, form: Form, field: str) -> str:
    kind = next((f.type for f in form.fields if f.name == field), "text")
    match = _ISO_DATE.match(value) if kind == "date" else None
    if not match:
        return value
    year, month, day = match.groups()
    mon = MONTHS[int(month) - 1] if month and 1 <= int(month) <= 12 else "UNK"
    return f"{day or 'UN'} {mon} {year}"


# --- a whole raw folder -----------------------------------------------------------------------

def read_raw(folder: str | Path, study: Study, *, encoding: str = DEFAULT,
             warn: Warn | None = None) -> dict[str, pd.DataFrame]:
    """Every form the study collects, from `<form>.csv` (or `.sas7bdat` / `.xpt`), or from a single
    ODM XML file in the folder. Problems of all files are reported together; then every row must
    belong to the study, to one of its visit folders and to an enrolled subject. `encoding` and
    `warn` as for `read_form`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("raw data folder not found", file=str(folder), expected="a folder of EDC exports")
    if not any(folder.glob("*.csv")) and not any(folder.glob("*.sas7bdat")) and not any(folder.glob("*.xpt")):
        odm = sorted(folder.glob("*.xml"))
        if len(odm) == 1:
            frames = read_odm(odm[0], study)
            _raise_all(folder, _check_across_forms(frames, study, {n: f"{odm[0]} [{n}]" for n in frames}))
            return frames
    frames, errors, sources = {}, [], {}
    for name, form in study.forms.items():
        path = next((p for p in (folder / f"{name}.{ext}" for ext in ("csv", "sas7bdat", "xpt"))
                     if p.is_file()), folder / f"{name}.csv")
        sources[name] = str(path)
        try:
            frames[name] = read_form(path, form, encoding=encoding, warn=warn,
                                     choices=study.form_choices or None)
        except InputError as exc:
            errors.append(exc)
    _raise_all(folder, errors or _check_across_forms(frames, study, sources))
    return frames


def _raise_all(folder: Path, errors: list[InputError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        combined = InputError(f"{len(errors)} raw files have problems:\n" + "\n".join(str(e) for e in errors),
                              file=str(folder))
        combined.errors = errors
        raise combined


def _check_across_forms(frames: dict[str, pd.DataFrame], study: Study,
                        sources: dict[str, str]) -> list[InputError]:
    """What no single file can show: the study, the visit folder and the subject of every row."""
    registers = [name for name in REGISTRATION_FORMS if name in frames]
    registered = {name: set(frames[name]["SUBJID"].str.strip()) for name in registers}
    scheduled = [v.folder for v in study.visits]
    known_folder = "|".join(re.escape(f) for f in scheduled) + f"|{UNSCHEDULED_FOLDER}|"
    errors = []
    for name, frame in frames.items():
        rows = frame["_ROW"].to_numpy()
        studyid = frame["STUDYID"].str.strip()
        problems = _where(rows, (studyid != study.studyid).to_numpy(), "STUDYID", studyid,
                          f"the row belongs to another study than {study.name}",
                          f"STUDYID {study.studyid!r}")
        folder = frame["FOLDER"].str.strip()
        problems += _where(rows, ~folder.str.fullmatch(known_folder).to_numpy(dtype=bool), "FOLDER",
                           folder, "not a visit folder of the study",
                           f"one of {', '.join(scheduled)}, UNS<n> for the n-th unscheduled visit, "
                           "or blank on a log form")
        subjects = frame["SUBJID"].str.strip()
        missing = pd.DataFrame({r: ~is_in(subjects, registered[r]) for r in registers}, index=frame.index)
        # One problem per unregistered subject, not per row: a mistyped number repeats on every row.
        orphans = missing[missing.any(axis=1)].assign(_subject=subjects, _row=frame["_ROW"])
        for (subject, *absent), group in orphans.groupby(["_subject", *registers], sort=False):
            forms = [r for r, gone in zip(registers, absent, strict=True) if gone]
            shown = ", ".join(str(r) for r in group["_row"].head(10)) + (", ..." if len(group) > 10 else "")
            also = f"; on {len(group)} rows: {shown}" if len(group) > 1 else ""
            problems.append(Problem(
                int(group["_row"].iloc[0]), "SUBJID", subject,
                "the subject has no record in " + " or ".join(
                    f"{r} ({study.forms[r].label.lower()})" for r in forms) + also,
                f"a subject of {' and '.join(forms)}: export the subject's {' and '.join(forms)} "
                "form, or correct the subject number"))
        if problems:
            problems.sort(key=lambda p: p.row or 0)
            try:
                _raise(sources[name], problems)
            except InputError as error:
                errors.append(error)
    return errors


def _where(rows: np.ndarray, bad: np.ndarray, column: str, values: pd.Series, message: str,
           expected: str) -> list[Problem]:
    return [Problem(int(r), column, v, message, expected)
            for r, v in zip(rows[bad], values.to_numpy()[bad], strict=True)]
