"""Expectation suites generated from metadata, run with Great Expectations, turned into findings.

One suite per dataset, built from its DatasetSpec: required variables present and populated (a
null is an error in SDTM and in ADaM keys, a warning elsewhere in ADaM), expected variables
present, types, lengths, key uniqueness, ISO 8601 --DTC, value ranges and one record per subject
in DM/ADSL. Codelist values are checked by `qc.terminology` (CDISC CT rules CT2001-CT2006). Each
expectation carries in `meta` the clinforge rule id and the message a failure becomes. All
expectations of a dataset run in one validation definition, so Great Expectations computes the
metrics of a dataset in one pass (see `run_suites`).

Great Expectations sees a copy of each frame in which missing character values ("" or NA) are
null, so "" counts as null: text columns stay Arrow-backed text (vectorised checks, type checked
by dtype), object columns of unknown content hold None (element types are checked one by one).
The copy is indexed 0…n-1 so that a failure's index is the record's position.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.validator.v1_validator import Validator

from qc.findings import FAILED, NOT_RUN, PASSED, Finding, RuleRun
from qc.frames import blank, seq_column, text
from qc.metadata import Metadata
from specs.model import DatasetSpec, Variable

XPT_CHAR_MAX = 200
# Every expectation first runs for a pass/fail answer only; the failed ones run again for their
# rows (most pass, and listing unexpected rows costs GX several metrics more per expectation).
# Unexpected rows come back as index labels (0-based positions, the frame has a RangeIndex):
# naming an index column instead makes Great Expectations look up every row one by one.
FIRST_PASS = {"result_format": "BOOLEAN_ONLY"}
RESULT_FORMAT = {"result_format": "COMPLETE", "partial_unexpected_count": 0}
TEXT = pd.StringDtype("pyarrow", na_value=pd.NA)  # the text dtype GX checks as "StringDtype"
GX_SEVERITY = {"error": "critical", "warning": "warning", "notice": "info"}

# SDTMIG 3.4 section 4.4: complete or right-truncated ISO 8601 date/times, a hyphen for each
# unknown middle component (2003---15, --12-15, -----T07:15, 2003-12-15T-:15), an optional time
# zone, and an interval of two such values. A trailing hyphen is refused: truncate instead.
_Y, _M, _D = r"(?:\d{4}|-)", r"(?:0[1-9]|1[0-2]|-)", r"(?:0[1-9]|[12]\d|3[01]|-)"
_HH, _MM, _SS = r"(?:[01]\d|2[0-3]|-)", r"(?:[0-5]\d|-)", r"[0-5]\d(?:\.\d+)?"
_TIME = rf"T{_HH}(?::{_MM}(?::{_SS})?)?(?:Z|[+-](?:[01]\d|2[0-3])(?::[0-5]\d)?)?"
_DTC = rf"{_Y}(?:-{_M}(?:-{_D}(?:{_TIME})?)?)?"
ISO8601 = rf"^(?!.*-$)(?!-$){_DTC}(?:/(?!.*-$){_DTC})?$"

# "str" for the elements of an object column, "StringDtype" for a text column (checked by dtype).
CHAR_TYPES = ["str", "StringDtype"]
NUM_TYPES = [
    "float64", "float32", "int64", "int32", "int16", "int8", "Float64", "Int64", "float", "int",
    "datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]",
    "timedelta64[ns]", "timedelta64[us]",
]


@dataclass(frozen=True)
class RangeRule:
    """A value range that holds whatever the spec says (grades, censoring, response coding)."""

    variable: str
    low: float
    high: float | None
    datasets: str = ".*"  # regex on the dataset name
    why: str = ""
    where: tuple[str, tuple[str, ...]] | None = None  # only records whose variable holds these values


RESPONSES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING")
RANGES = (
    RangeRule("AETOXGR", 1, 5, why="CTCAE/ASTCT grades are 1 to 5"),
    RangeRule("CNSR", 0, None, why="CNSR is 0 for an event, a positive integer when censored"),
    # Y/N parameters of ADRS (RSP, CB …) code AVAL 1/0; the 1-7 coding is that of responses.
    RangeRule("AVAL", 1, 7, datasets=r"ADRS",
              why="response coding CR 1 … MISSING 7 (docs/clinical.md section 4)",
              where=("AVALC", RESPONSES)),
)


@dataclass(frozen=True)
class Suite:
    dataset: str
    suite: gx.ExpectationSuite
    not_run: tuple[RuleRun, ...] = ()


@dataclass
class SuiteRun:
    findings: list[Finding] = field(default_factory=list)
    runs: list[RuleRun] = field(default_factory=list)
    suites: dict[str, Suite] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    gx_results: dict[str, Any] = field(default_factory=dict)  # GX validation results, for Data Docs


def _expect(expectation_cls, rule: str, severity: str, message: str, *, per_variable: bool = False,
            **kwargs) -> Any:
    """An expectation whose meta names the rule; `per_variable` reports one finding, not one per record."""
    meta = {"rule": rule, "severity": severity, "message": message}
    if per_variable:
        meta["per_variable"] = True
    return expectation_cls(**kwargs, severity=GX_SEVERITY[severity], meta=meta)


def _variable_expectations(var: Variable) -> list:
    """Type and length of one variable."""
    out = []
    expected_type = "Char" if var.type == "Char" else "Num"
    out.append(_expect(
        gxe.ExpectColumnValuesToBeInTypeList, "DS-TYPE", "error",
        f"{var.name} should be {expected_type}", column=var.name, per_variable=True,
        type_list=CHAR_TYPES if var.type == "Char" else NUM_TYPES,
    ))
    if var.type == "Char":
        limit = var.length or XPT_CHAR_MAX
        source = "the metadata" if var.length else "the XPT v5 limit"
        out.append(_expect(
            gxe.ExpectColumnValueLengthsToBeBetween, "DS-LENGTH", "error",
            f"{var.name} value is longer than {limit} ({source})", column=var.name, max_value=limit,
        ))
    return out


def build_suite(
    name: str,
    frame: pd.DataFrame,
    spec: DatasetSpec | None,
    *,
    keys_binding: bool = True,
) -> Suite:
    """The expectation suite of one dataset; parts that cannot apply are returned as NOT RUN.

    `keys_binding` is False when the keys are the standard's suggestion rather than the sponsor's
    declaration (spec or define.xml): duplicates are then warnings.
    """
    columns = [c for c in frame.columns if not str(c).startswith("_")]
    present = set(columns)
    # The FDA's conformance guide asks that empty datasets not be submitted.
    expectations: list = [_expect(gxe.ExpectTableRowCountToBeBetween, "DS-HAS-RECORDS", "error",
                                  f"{name.upper()} has no records; empty datasets are not submitted",
                                  min_value=1)]
    not_run: list[RuleRun] = []

    def skip(rule: str, severity: str, reason: str, description: str) -> None:
        not_run.append(RuleRun(rule=rule, dataset=name, severity=severity, status=NOT_RUN,
                               reason=reason, description=description, source="suite"))

    if spec is None:
        skip("DS-REQ-PRESENT", "error", "no metadata for this dataset (not in the specs, define.xml "
             "or the shipped standard)", "Required variables present")
    for var in spec.variables if spec else ():
        if var.core == "Req":
            expectations.append(_expect(gxe.ExpectColumnToExist, "DS-REQ-PRESENT", "error",
                                        f"required variable {var.name} is missing", column=var.name))
            if var.name in present:
                expectations.append(_required_not_null(spec, var.name))
        elif var.core == "Exp":
            expectations.append(_expect(gxe.ExpectColumnToExist, "DS-EXP-PRESENT", "warning",
                                        f"expected variable {var.name} is missing", column=var.name))
        if var.name in present:
            expectations += _variable_expectations(var)

    keys = tuple(spec.keys) if spec else ()
    key_severity = "error" if keys_binding else "warning"
    missing_keys = [k for k in keys if k not in present]
    if missing_keys:
        skip("DS-KEY-UNIQUE", key_severity, f"key variable(s) {', '.join(missing_keys)} missing",
             "Records unique by the dataset keys")
    elif keys:
        expectations.append(_expect(
            gxe.ExpectCompoundColumnsToBeUnique, "DS-KEY-UNIQUE", key_severity,
            f"records are not unique by the keys {', '.join(keys)}", column_list=list(keys),
        ) if len(keys) > 1 else _expect(
            gxe.ExpectColumnValuesToBeUnique, "DS-KEY-UNIQUE", key_severity,
            f"records are not unique by the key {keys[0]}", column=keys[0]))
    elif spec is not None:
        skip("DS-KEY-UNIQUE", key_severity, "the metadata declares no keys",
             "Records unique by the dataset keys")

    for column in columns:
        if column.endswith("DTC") and not pd.api.types.is_numeric_dtype(frame[column]):
            expectations.append(_expect(
                gxe.ExpectColumnValuesToMatchRegex, "DS-ISO8601", "error",
                f"{column} is not an ISO 8601 date/time (SDTMIG 4.4)", column=column, regex=ISO8601))

    for rng in RANGES:
        if rng.variable in present and re.match(rng.datasets, name.upper()):
            condition = None
            if rng.where and rng.where[0] in present:
                condition = f"`{rng.where[0]}` in {list(rng.where[1])!r}"
            expectations.append(_range_expectation(rng, frame[rng.variable], condition))

    if name.upper() in ("DM", "ADSL"):
        if "USUBJID" in present:
            expectations.append(_expect(
                gxe.ExpectColumnValuesToBeUnique, "DS-ONE-PER-SUBJECT", "error",
                f"{name.upper()} has more than one record for this subject", column="USUBJID"))
        else:
            skip("DS-ONE-PER-SUBJECT", "error", "USUBJID missing", "One record per subject")

    suite = gx.ExpectationSuite(name=name.lower(), expectations=expectations)
    return Suite(dataset=name, suite=suite, not_run=tuple(not_run))


def _required_not_null(spec: DatasetSpec, name: str) -> Any:
    """A Req variable's nulls: refused in SDTM, reported in ADaM (except in a key variable).

    SDTMIG 3.4 section 4.1.5: a Required variable cannot be null for any record. ADaMIG 1.3
    section 3: Req means the variable must be included in the dataset; its values follow their
    source, e.g. ADSL.AGE = DM.AGE, which SDTMIG makes Expected (may be null). A null there is a
    data issue to review (warning), while a null key cannot identify its record (error).
    """
    if spec.kind == "adam" and name not in spec.keys:
        return _expect(gxe.ExpectColumnValuesToNotBeNull, "DS-ADAM-REQ-NULL", "warning",
                       f"required variable {name} is null", column=name)
    return _expect(gxe.ExpectColumnValuesToNotBeNull, "DS-REQ-NOTNULL", "error",
                   f"required variable {name} is null", column=name)


def _range_expectation(rng: RangeRule, values: pd.Series, condition: str | None = None) -> Any:
    bounds = f"{rng.low:g} to {rng.high:g}" if rng.high is not None else f"at least {rng.low:g}"
    message = f"{rng.variable} outside {bounds}: {rng.why}"
    if pd.api.types.is_numeric_dtype(values):
        extra = {"row_condition": condition, "condition_parser": "pandas"} if condition else {}
        return _expect(gxe.ExpectColumnValuesToBeBetween, "DS-RANGE", "error", message,
                       column=rng.variable, min_value=rng.low, max_value=rng.high, **extra)
    # A character grade ('1'…'5') can only be checked as a set of allowed texts.
    high = rng.high if rng.high is not None else rng.low + 9
    allowed = [f"{v:g}" for v in range(int(rng.low), int(high) + 1)]
    return _expect(gxe.ExpectColumnValuesToBeInSet, "DS-RANGE", "error", message,
                   column=rng.variable, value_set=allowed)


def suite_json(suite: gx.ExpectationSuite) -> str:
    """The suite as readable, deterministic JSON: sorted keys, no generated ids."""
    return json.dumps(_without_ids(suite.to_json_dict()), indent=2, sort_keys=True) + "\n"


def _without_ids(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_ids(v) for k, v in node.items() if k != "id"}
    if isinstance(node, list):
        return [_without_ids(v) for v in node]
    return node


def write_suites(suites: Mapping[str, Suite], folder: str | Path) -> list[Path]:
    """Each suite as `<folder>/<dataset>.json`, written only when its content changed."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in sorted(suites):
        path = target / f"{name.lower()}.json"
        content = suite_json(suites[name].suite)
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
        paths.append(path)
    return paths


def gx_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The copy Great Expectations validates: blanks null (NA in text columns, None in object
    columns), internal `_` columns dropped, a 0-based RangeIndex."""
    columns = {}
    for column in frame.columns:
        if str(column).startswith("_"):
            continue
        values = frame[column].reset_index(drop=True)
        if _holds_dates(values):
            # ADaM dates read from parquet can be datetime.date objects: they are numeric dates.
            values = pd.to_datetime(values)
        elif values.dtype == object:
            values = values.where(~blank(values), None)
        elif pd.api.types.is_string_dtype(values):
            values = values.astype(TEXT).where(~blank(values))
        columns[column] = values
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))


def _holds_dates(values: pd.Series) -> bool:
    if values.dtype != object:
        return False
    present = values.dropna()
    return bool(len(present)) and bool(present.map(lambda v: isinstance(v, date)).all())


def run_suites(frames: Mapping[str, pd.DataFrame], metadata: Metadata) -> SuiteRun:
    """Build and run every dataset's suite: one validation definition per dataset, one GX context."""
    result = SuiteRun()
    started = time.perf_counter()
    context = gx.get_context(mode="ephemeral")
    _quiet(context)
    source = context.data_sources.add_pandas("clinforge")
    result.seconds["gx_setup"] = time.perf_counter() - started
    for name in sorted(frames):
        frame = frames[name]
        binding = metadata.is_declared(name)
        built = build_suite(name, frame, metadata.datasets.get(name), keys_binding=binding)
        result.suites[name] = built
        begun = time.perf_counter()
        findings, runs, result.gx_results[name] = _validate(source, name, frame, built)
        result.seconds[name] = time.perf_counter() - begun
        result.findings += findings
        result.runs += runs
    result.seconds["total"] = time.perf_counter() - started
    return result


def _quiet(context) -> None:
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context.variables.progress_bars = ProgressBarsConfig(globally=False)


def _validate(source, name: str, frame: pd.DataFrame, built: Suite):
    # One validator for both passes: it loads (and fingerprints) the batch once. Validating the
    # suite directly, not through a ValidationDefinition, keeps the COMPLETE result out of the
    # context's result store, whose serialising cost more than the validation itself on the CDISC
    # pilot LB datasets (22 s of 38 s for LBCH).
    definition = source.add_dataframe_asset(name=name.lower()).add_batch_definition_whole_dataframe(
        name.lower())
    validator = Validator(definition, result_format=FIRST_PASS,
                          batch_parameters={"dataframe": gx_frame(frame)})
    outcome = validator.validate_expectation_suite(built.suite)
    failed = [i for i, item in enumerate(outcome.results) if not item.success]
    if failed:
        again = gx.ExpectationSuite(name=f"{name.lower()}_failed",
                                    expectations=[copy.copy(outcome.results[i].expectation_config
                                                            .to_domain_obj()) for i in failed])
        validator.result_format = RESULT_FORMAT
        detailed = validator.validate_expectation_suite(again)
        for i, item in zip(failed, detailed.results, strict=True):
            outcome.results[i] = item
    seq = seq_column(name, frame)
    findings: list[Finding] = []
    tally: dict[str, dict] = {}
    for item in outcome.results:
        meta = item.expectation_config.meta
        rule, severity = meta["rule"], meta["severity"]
        entry = tally.setdefault(rule, {"severity": severity, "findings": 0, "errors": [],
                                        "description": meta["message"]})
        if item.exception_info.get("raised_exception"):
            entry["errors"].append(item.exception_info.get("exception_message") or "raised")
            continue
        if item.success:
            continue
        new = _findings(name, frame, seq, item, meta)
        entry["findings"] += len(new)
        findings += new
    runs = [
        RuleRun(rule=rule, dataset=name, severity=t["severity"],
                status=FAILED if t["findings"] else (NOT_RUN if t["errors"] else PASSED),
                findings=t["findings"], reason="; ".join(t["errors"]), source="suite",
                description=_family(rule))
        for rule, t in sorted(tally.items())
    ]
    return findings, runs + list(built.not_run), outcome


DESCRIPTIONS = {
    "DS-HAS-RECORDS": "Dataset has records",
    "DS-REQ-PRESENT": "Required variables present",
    "DS-REQ-NOTNULL": "Required variables populated",
    "DS-ADAM-REQ-NULL": "ADaM required variables populated (a null is reported for review)",
    "DS-EXP-PRESENT": "Expected variables present",
    "DS-TYPE": "Variable types as in the metadata",
    "DS-LENGTH": "Character values within the declared length",
    "DS-KEY-UNIQUE": "Records unique by the dataset keys",
    "DS-ISO8601": "--DTC values in ISO 8601 format",
    "DS-RANGE": "Values within their range (grades, CNSR, response coding)",
    "DS-ONE-PER-SUBJECT": "One record per subject",
}


def _family(rule: str) -> str:
    return DESCRIPTIONS.get(rule, rule)


def _findings(name: str, frame: pd.DataFrame, seq: str | None, item, meta: dict) -> list[Finding]:
    kwargs = item.expectation_config.kwargs
    variable = kwargs.get("column") or ",".join(kwargs.get("column_list", ()))
    base = {"rule": meta["rule"], "severity": meta["severity"], "dataset": name, "variable": variable}
    rows = [int(i) + 1 for i in item.result.get("unexpected_index_list") or ()]
    if not rows:
        observed = item.result.get("observed_value")
        message = meta["message"] + (f" (found {observed})" if observed not in (None, "") else "")
        return [Finding(**base, value="" if observed is None else str(observed), message=message)]
    if meta.get("per_variable"):
        first = frame[variable].iloc[rows[0] - 1]
        return [Finding(**base, value=str(first), row=None,
                        message=f"{meta['message']} ({len(rows)} records, the first at row {rows[0]})")]
    positions = [r - 1 for r in rows]
    subjects = text(frame["USUBJID"]).iloc[positions].tolist() if "USUBJID" in frame else [""] * len(rows)
    seqs = frame[seq].iloc[positions].tolist() if seq else [None] * len(rows)
    columns = [c for c in variable.split(",") if c in frame.columns]
    values = [""] * len(rows)
    if columns:
        joined = text(frame[columns[0]]).iloc[positions].reset_index(drop=True)
        for column in columns[1:]:
            joined = joined.str.cat(text(frame[column]).iloc[positions].reset_index(drop=True), sep="/")
        values = joined.tolist()
    return [
        Finding(**base, usubjid=s, seq=_number(q), row=r, value=v, message=meta["message"])
        for r, s, q, v in zip(rows, subjects, seqs, values, strict=True)
    ]


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(number) else number
