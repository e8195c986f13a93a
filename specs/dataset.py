"""Applying a dataset spec to a frame: variables, types, order, lengths, and the XPT v5 limits.

One small function per metadata attribute, after xportr: each looks at the whole frame first and
reports every problem it finds before anything is changed. `conform` chains them and returns a
new frame holding exactly what the writers put in a file, with the metadata in `frame.attrs`:
`name`, `label` (dataset), `labels`, `formats`, `lengths` (per variable). Readers give back the
same attrs, so a written and re-read dataset compare attribute by attribute.

Dates become SAS numbers here, not in the writers: days since 1960-01-01 for a date format,
seconds since 1960-01-01T00:00:00 for a datetime format, seconds since midnight for a time format.
Which one a datetime64 column becomes is decided by the variable's format in the spec alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from specs.errors import InputError
from specs.model import DatasetSpec, Variable

SAS_EPOCH = pd.Timestamp("1960-01-01")
# Without SOURCE_DATE_EPOCH the files carry this creation time (1980-01-01T00:00:00Z, the floor
# reproducible-build tools such as zip and wheel use), so that two runs give identical bytes.
DEFAULT_EPOCH = 315532800

XPT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,7}")
XPT_LABEL_MAX = 40
XPT_CHAR_MAX = 200
# XPT stores numbers as IBM System/370 doubles. Every IEEE double inside these bounds round-trips
# exactly; below IBM_MIN there is no IBM double. The upper bound is pyreadstat 1.3.7's writer's
# (used before specs.xport): from 2**249 on it saturated. specs.xport and both readers (pyreadstat,
# pandas) hold numbers up to the IBM maximum, 16**63, exactly. Numbers outside are refused.
XPT_NUM_MAX = 2.0**249
IBM_MIN = 16.0**-65
# Rows listed per variable and check before the rest are summarised in one line.
MAX_ROWS_SHOWN = 5
RECORD = "_RECORD"  # conform's temporary column: the raw record of each row, sorted with it

DATE_FORMATS = frozenset({"DATE", "E8601DA", "IS8601DA", "YYMMDD", "MMDDYY", "DDMMYY", "B8601DA"})
DATETIME_FORMATS = frozenset({"DATETIME", "E8601DT", "IS8601DT", "B8601DT"})
TIME_FORMATS = frozenset({"TIME", "TOD", "E8601TM", "IS8601TM", "B8601TM"})


class DatasetError(InputError):
    """Every problem found in one dataset, each an InputError naming dataset, row, column, value."""

    def __init__(self, dataset: str, problems: list[InputError]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in dataset {dataset}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))
        self.file = dataset


def format_kind(fmt: str | None) -> str | None:
    """'date', 'datetime' or 'time' for a SAS date/time display format (DATE9., E8601DT.), else None."""
    if not fmt:
        return None
    name = re.sub(r"\d*\.?\d*$", "", fmt.strip().upper())
    if name in DATE_FORMATS:
        return "date"
    if name in DATETIME_FORMATS:
        return "datetime"
    if name in TIME_FORMATS:
        return "time"
    return None


def build_timestamp() -> datetime:
    """Creation time written into files: SOURCE_DATE_EPOCH when set, else DEFAULT_EPOCH (UTC)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return datetime.fromtimestamp(DEFAULT_EPOCH, UTC)
    if not raw.isdigit():
        raise InputError(
            "SOURCE_DATE_EPOCH is not a whole number of seconds",
            column="SOURCE_DATE_EPOCH", value=raw, expected="seconds since 1970-01-01 UTC",
        )
    return datetime.fromtimestamp(int(raw), UTC)


def conform(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """The frame as the spec says it is written: spec variables in spec order, SAS types, sorted by keys.

    Internal `_*` columns are dropped. A spec variable missing from the frame is an error unless it
    is Permissible, a column the spec does not know is an error. Char values become text with ""
    for missing, Num values float64 (dates as SAS numbers). Raises DatasetError with every problem.
    Rows named in problems are 1-based: of the input frame for type problems, of the sorted output
    for length problems.
    """
    ordered, problems = apply_order(frame, spec)
    typed, type_problems = apply_types(ordered, spec)
    problems += type_problems
    if problems:
        raise DatasetError(spec.name, problems)
    records = _raw_records(frame)
    if records is not None:
        # Sorted along with the rows, so that later checks can name a row's raw record.
        typed = typed.assign(**{RECORD: records})
    result = apply_sort(typed, spec)
    if records is not None:
        records = RawRecords(result.pop(RECORD))
    lengths, problems = compute_lengths(result, spec)
    if problems:
        raise DatasetError(spec.name, problems)
    result.attrs = {
        "name": spec.name,
        "label": spec.label,
        "labels": {v.name: v.label for v in _present(spec, result)},
        "formats": {v.name: v.format for v in _present(spec, result) if v.format},
        "lengths": lengths,
    }
    if records is not None:
        result.attrs["records"] = records
    return result


class RawRecords(tuple):
    """The raw record of each row, kept in `frame.attrs`. pandas deep-copies `attrs` into every
    frame or column derived from the frame; these are immutable, so the copy is the same object
    (a plain tuple of two million strings made column access cost a second each)."""

    def __deepcopy__(self, memo: dict) -> RawRecords:
        return self


def _raw_records(frame: pd.DataFrame) -> list[str] | None:
    """`<form>.csv row <n>` per row, from the engine's trace columns `_FORM`, `_ROW` ("" where a
    row has no raw record); None when the frame has no trace."""
    if "_FORM" not in frame.columns or "_ROW" not in frame.columns:
        return None
    rows = pd.to_numeric(frame["_ROW"], errors="coerce").round().astype("Int64").astype("string")
    forms = frame["_FORM"].astype("string").str.strip()
    named = (forms + ".csv row " + rows).where((forms.ne("") & rows.notna()).fillna(False))
    return named.fillna("").tolist()


def apply_order(frame: pd.DataFrame, spec: DatasetSpec) -> tuple[pd.DataFrame, list[InputError]]:
    """Keep the spec's variables in spec order; missing non-Perm variables and extra columns are errors."""
    problems = []
    columns = [c for c in frame.columns if not str(c).startswith("_")]
    known = set(spec.variable_names())
    for column in columns:
        if column not in known:
            problems.append(InputError(
                "column is not a variable of the dataset spec", file=spec.name, column=str(column),
                expected=f"one of the {len(known)} variables in {spec.file or 'the spec'}",
            ))
    keep = []
    for variable in sorted(spec.variables, key=lambda v: v.order):
        if variable.name in frame.columns:
            keep.append(variable.name)
        elif variable.core != "Perm":
            problems.append(InputError(
                f"{variable.core or 'spec'} variable is missing from the data", file=spec.name,
                column=variable.name, expected="a column for every variable that is not Permissible",
            ))
    return frame.loc[:, keep].reset_index(drop=True), problems


def apply_types(frame: pd.DataFrame, spec: DatasetSpec) -> tuple[pd.DataFrame, list[InputError]]:
    """Char → text ("" for missing), Num → float64; datetime64/timedelta64 → SAS numbers by format."""
    problems: list[InputError] = []
    columns = {}
    for variable in _present(spec, frame):
        series = frame[variable.name]
        if variable.type == "Char":
            values, found = _to_text(series, variable, frame, spec)
        else:
            values, found = _to_number(series, variable, frame, spec)
        columns[variable.name] = values
        problems += found
    return pd.DataFrame(columns, index=frame.index), problems


def apply_sort(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """Rows in key order (the keys present in the frame), stable, missing numbers last."""
    keys = [k for k in spec.keys if k in frame.columns]
    if not keys:
        return frame.reset_index(drop=True)
    return frame.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)


def compute_lengths(frame: pd.DataFrame, spec: DatasetSpec) -> tuple[dict[str, int], list[InputError]]:
    """Char length = the spec's fixed length, else the longest value in bytes (at least 1); Num = 8."""
    lengths: dict[str, int] = {}
    problems: list[InputError] = []
    for variable in _present(spec, frame):
        if variable.type != "Char":
            lengths[variable.name] = 8
            continue
        sizes = _byte_lengths(frame[variable.name])
        longest = max(int(sizes.max()) if len(sizes) else 0, 1)
        if variable.length is None:
            lengths[variable.name] = longest
            continue
        lengths[variable.name] = variable.length
        problems += _row_problems(
            frame, spec, variable.name, sizes > variable.length,
            f"value is longer than the spec length {variable.length}",
            expected=f"at most {variable.length} bytes, or a longer length in the spec",
        )
    return lengths, problems


def check_xpt_limits(frame: pd.DataFrame, spec: DatasetSpec) -> None:
    """Refuse what SAS XPT v5 cannot hold, so nothing is cut or mangled on the way to the file.

    Expects a conformed frame. Checks names (≤ 8: letters, digits, underscore, no leading digit),
    labels (≤ 40 ASCII), character values (≤ 200 bytes, ASCII), spec lengths (≤ 200) and numbers
    (within the IBM floating-point range). Raises DatasetError listing every violation.
    """
    problems = []
    if not XPT_NAME.fullmatch(spec.name):
        problems.append(InputError(
            "dataset name is not a valid XPT v5 name", file=spec.name, value=spec.name,
            expected="1-8 letters, digits or underscores, not starting with a digit",
        ))
    problems += _label_problems(spec.label, spec.name, None, "dataset label")
    for variable in _present(spec, frame):
        name = variable.name
        if not XPT_NAME.fullmatch(name):
            problems.append(InputError(
                "variable name is not a valid XPT v5 name", file=spec.name, column=name, value=name,
                expected="1-8 letters, digits or underscores, not starting with a digit",
            ))
        problems += _label_problems(variable.label, spec.name, name, "variable label")
        series = frame[name]
        if variable.type == "Char":
            if variable.length is not None and variable.length > XPT_CHAR_MAX:
                problems.append(InputError(
                    "spec length is over the XPT v5 limit", file=spec.name, column=name,
                    value=variable.length, expected=f"at most {XPT_CHAR_MAX}",
                ))
            problems += _row_problems(
                frame, spec, name, _byte_lengths(series) > XPT_CHAR_MAX,
                f"value is longer than {XPT_CHAR_MAX} bytes", expected=f"at most {XPT_CHAR_MAX} bytes",
            )
            problems += _row_problems(
                frame, spec, name, ~series.str.isascii(),
                "value has non-ASCII characters", expected="ASCII text only",
            )
        else:
            size = series.abs()
            problems += _row_problems(
                frame, spec, name, (size >= XPT_NUM_MAX) | ((size > 0) & (size < IBM_MIN)),
                "number is outside the range XPT (IBM floating point) can store",
                expected=f"0 or a magnitude from {IBM_MIN:.4g} to below {XPT_NUM_MAX:.4g}",
            )
    problems += _blank_row_problems(frame, spec)
    if problems:
        raise DatasetError(spec.name, problems)


def _blank_row_problems(frame: pd.DataFrame, spec: DatasetSpec) -> list[InputError]:
    """In an all-character dataset a blank row is all spaces, which XPT readers take for padding.

    pyreadstat 1.3.7 drops such rows at the end of the file and pandas miscounts the rows, so a
    row with no value at all is refused rather than lost.
    """
    variables = list(_present(spec, frame))
    if not variables or any(v.type != "Char" for v in variables):
        return []
    blank = pd.concat([frame[v.name].str.strip().eq("") for v in variables], axis=1).all(axis=1)
    return _row_problems(
        frame, spec, variables[0].name, blank, "every value of the row is blank",
        expected="a value in at least one variable (XPT cannot tell a blank row from padding)",
    )


def _present(spec: DatasetSpec, frame: pd.DataFrame) -> Iterable[Variable]:
    return (v for v in sorted(spec.variables, key=lambda v: v.order) if v.name in frame.columns)


def _label_problems(label: str, dataset: str, column: str | None, what: str) -> list[InputError]:
    problems = []
    if len(label) > XPT_LABEL_MAX:
        problems.append(InputError(
            f"{what} is {len(label)} characters", file=dataset, column=column, value=label,
            expected=f"at most {XPT_LABEL_MAX} characters",
        ))
    if not label.isascii():
        problems.append(InputError(
            f"{what} has non-ASCII characters", file=dataset, column=column, value=label,
            expected="ASCII text only",
        ))
    return problems


def _byte_lengths(series: pd.Series) -> pd.Series:
    """Each value's length in UTF-8 bytes (0 for missing), counted by Arrow without encoding anything."""
    lengths = pc.binary_length(pa.array(series, type=pa.large_string(), from_pandas=True))
    return pd.Series(pc.fill_null(lengths, 0).to_numpy(), index=series.index)


def _row_problems(
    frame: pd.DataFrame, spec: DatasetSpec, column: str, mask: pd.Series, message: str, *, expected: str,
) -> list[InputError]:
    """One problem per offending row (the first few), naming USUBJID when the dataset has it."""
    rows = np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool))
    records = frame.attrs.get("records") or ()
    problems = []
    for position in rows[:MAX_ROWS_SHOWN]:
        text = message
        if "USUBJID" in frame.columns:
            text = f"USUBJID {frame['USUBJID'].iat[position]}: {message}"
        if position < len(records) and records[position]:
            text = f"{text} (raw record {records[position]})"
        problems.append(InputError(
            text, file=spec.name, row=int(position) + 1, column=column,
            value=frame[column].iat[position], expected=expected,
        ))
    if len(rows) > MAX_ROWS_SHOWN:
        problems.append(InputError(
            f"{message}: {len(rows) - MAX_ROWS_SHOWN} more rows", file=spec.name, column=column,
        ))
    return problems


def _to_text(
    series: pd.Series, variable: Variable, frame: pd.DataFrame, spec: DatasetSpec,
) -> tuple[pd.Series, list[InputError]]:
    missing = series.isna()
    if series.dtype.kind in "biufcmM" and not missing.all():
        # Numbers or dates in a Char variable have no single right text form (65.0 or 65?
        # which date format?): the code that made them must say, so this is an error.
        problem = _row_problems(
            frame, spec, variable.name, ~missing, f"Char variable holds {series.dtype} values",
            expected="text (format numbers and dates before writing)",
        )
        return series, problem
    # Arrow converts text of any string dtype; other values (object columns) are passed through
    # str(), as an f-string would show them.
    return series.astype("str").fillna(""), []


def _to_number(
    series: pd.Series, variable: Variable, frame: pd.DataFrame, spec: DatasetSpec,
) -> tuple[pd.Series, list[InputError]]:
    kind = format_kind(variable.format)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    elif series.dtype == object and kind and series.dropna().map(_is_date).all():
        # datetime.date objects, as parquet and pyreadstat give them
        series = pd.to_datetime(series)
    if series.dtype.kind == "M" and kind is None:
        return series, [_format_problem(variable, spec, "datetime64", "DATE9., DATETIME20. or TIME8.")]
    if series.dtype.kind == "m" and kind != "time":
        return series, [_format_problem(variable, spec, "timedelta64", "TIME8.")]
    if series.dtype.kind == "M":
        # microseconds: nanosecond arithmetic overflows 292 years from 1960, and a SAS datetime
        # (float seconds) cannot hold finer than a microsecond for present-day dates anyway
        numbers = _datetimes_to_sas(series.astype("datetime64[us]"), kind)
    elif series.dtype.kind == "m":
        numbers = series / pd.Timedelta(seconds=1)
    elif series.dtype.kind in "biuf":
        numbers = series.astype("float64")
    else:
        text = series.map(str, na_action="ignore").str.strip().replace("", None)
        numbers = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = numbers.isna() & text.notna()
        if bad.any():
            return series, _row_problems(
                frame, spec, variable.name, bad, "value is not a number", expected="a number or blank",
            )
    problems = _row_problems(
        frame, spec, variable.name, np.isinf(numbers), "number is infinite", expected="a finite number",
    )
    if kind == "date":
        problems += _row_problems(
            frame, spec, variable.name, numbers.notna() & (numbers != np.floor(numbers)),
            "date has a time of day", expected="a whole day (or a DATETIME format in the spec)",
        )
    return numbers, problems


def _datetimes_to_sas(series: pd.Series, kind: str) -> pd.Series:
    if kind == "time":
        return (series - series.dt.normalize()) / pd.Timedelta(seconds=1)
    if kind == "datetime":
        return (series - SAS_EPOCH) / pd.Timedelta(seconds=1)
    return (series - SAS_EPOCH) / pd.Timedelta(days=1)


def _is_date(value: object) -> bool:
    return isinstance(value, date)


def _format_problem(variable: Variable, spec: DatasetSpec, dtype: str, formats: str) -> InputError:
    return InputError(
        f"{dtype} column needs a date/time display format in the spec", file=spec.name,
        column=variable.name, value=variable.format, expected=formats,
    )
