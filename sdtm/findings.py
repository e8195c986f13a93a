"""Algorithms of the findings domains (PC, LB, TU, TR, RS, QS) that the shared ones do not cover.

* `wide_to_long` (builder): one record per item of a wide form (a questionnaire page), or one
  `--ALL` record where the whole form was not done.
* `blq`: bioanalytical results: numbers, and every spelling of "below the limit of quantitation"
  the labs use (`<LLOQ`, `BLQ`, `< 50` …) → --STRESC `<BLQ`, --STRESN null, --LLOQ set.
* `elapsed_time`: planned time points (`PRE-INFUSION`, `DAY 7`, `4H POST-INFUSION`) →
  --TPT, --TPTNUM (days), --ELTM (ISO 8601 duration from the reference, `P7D`, `-PT1H`).
* `sum_of_diameters`: RECIST sum of target lesion diameters per assessment (TR SUMDIAM).
* `nrind`: LOW / NORMAL / HIGH against the normal range.

Each algorithm is a thin adapter around a pure `compute_*` function, which the tests call
directly with small tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sdtm.algorithms import Call, Context, algorithm, builder, rows_of, text
from specs.errors import InputError
from specs.vector import per_distinct

BLQ_TEXT = "<BLQ"
# Spellings of a result below the lower limit of quantitation, whole value, case-insensitive:
# `<LLOQ`, `< LLOQ`, `<LOQ`, `BLQ`, `<BLQ`, `BLOQ`, `BQL`, `NQ`, `below LLOQ`, `< 50`, `<50.0`.
BLQ_PATTERN = (
    r"^(?:<\s*(?:L?LOQ|BLQ|(?P<limit>\d+(?:\.\d*)?|\.\d+))"
    r"|BLQ|BLOQ|BQL|NQ|BELOW\s+(?:THE\s+)?(?:L?LOQ|LIMIT\s+OF\s+QUANTI[FT]\w*))$"
)
_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"


def _floats(values: pd.Series) -> pd.Series:
    """Text to float64 (NaN for blank or non-numeric), never a nullable integer type."""
    text_values = values.astype("string").str.strip()
    return pd.to_numeric(text_values.where(text_values != ""), errors="coerce").astype("float64")


# --- wide → long (questionnaires) ------------------------------------------------------------

def compute_wide_to_long(records: pd.DataFrame, items: Sequence[Mapping[str, Any]], *,
                         not_done: pd.Series | None = None,
                         not_done_code: str = "ALL") -> pd.DataFrame:
    """One row per record and item: the record's columns plus `_TESTCD`, `_ITEM` (the raw
    field) and `_VALUE` (its text), and a `_<KEY>` column for any other key of an item
    (e.g. `evlint` → `_EVLINT`). Records where `not_done` holds give one row instead, with
    `_TESTCD` = `not_done_code` and blank item columns. Rows come record by record, items in
    the given order; the index is the record's, so the raw row stays traceable."""
    items = list(items)
    skipped = (pd.Series(False, index=records.index) if not_done is None
               else not_done.reindex(records.index).fillna(False).astype(bool))
    done = records[~skipped]
    extra = sorted({k for item in items for k in item if k not in ("field", "testcd")})
    per_item = []
    for position, item in enumerate(items):
        part = done.assign(_TESTCD=item["testcd"], _ITEM=item["field"],
                           _VALUE=done[item["field"]].astype("string").fillna("").str.strip(),
                           _POS=position)
        for key in extra:
            part[f"_{key.upper()}"] = str(item.get(key, ""))
        per_item.append(part)
    whole = records[skipped].assign(_TESTCD=not_done_code, _ITEM="", _VALUE="", _POS=-1,
                                    **{f"_{k.upper()}": "" for k in extra})
    long = pd.concat([*per_item, whole])
    long["_ORDER"] = np.arange(len(long))
    long = long.rename_axis("_INDEX").sort_values(["_INDEX", "_POS", "_ORDER"], kind="stable")
    return long.drop(columns=["_POS", "_ORDER"]).rename_axis(None)


@builder("wide_to_long", params={
    "form": "the wide raw form (one record per page)",
    "items": "one entry per item: {field, testcd, ...}, the item's field and the values of its record",
    "not_done": "a query on the raw record meaning the whole form was not done",
    "not_done_code": "the --TESTCD of the not-done record (default <DOMAIN>ALL)"},
    required=("form", "items"))
def wide_to_long(ctx: Context) -> pd.DataFrame:
    """One record per item of a wide form (a questionnaire page), or one `--ALL` record where the
    whole form was not done; the records keep the raw record's key (`_FORM`, `_ROW`, `_FOLDER`)."""
    params = ctx.spec.parameters
    form = params.get("form")
    if form not in ctx.raw:
        raise InputError(f"form {form!r} is missing from the raw data; {ctx.spec.name} needs it "
                         f"(spec {ctx.spec.file})", file=f"{form}.csv")
    records = ctx.raw[form]
    items = params.get("items") or []
    missing = [i["field"] for i in items if i["field"] not in records.columns]
    if missing:
        raise InputError(f"{ctx.spec.name}: items {missing} are not columns of form {form} "
                         f"(spec {ctx.spec.file})", file=f"{form}.csv", column=missing[0])
    not_done = None
    if params.get("not_done"):
        try:
            not_done = pd.Series(records.eval(params["not_done"], engine="python"), index=records.index)
        except Exception as exc:  # a bad query is a spec problem, whatever pandas raised
            raise ctx.spec_error(f"not_done `{params['not_done']}` cannot be evaluated: {exc}") from exc
    long = compute_wide_to_long(records, items, not_done=not_done,
                                not_done_code=params.get("not_done_code", f"{ctx.spec.name}ALL"))
    long["_FORM"] = form
    long["_ROW"] = (pd.to_numeric(long["_ROW"]).astype("int64") if "_ROW" in long
                    else np.arange(1, len(long) + 1))
    long["_FOLDER"] = long["FOLDER"].astype("string").fillna("").str.strip() if "FOLDER" in long else ""
    return long.reset_index(drop=True)


# --- BLQ ---------------------------------------------------------------------------------------

def compute_blq(result: pd.Series, lloq: pd.Series | float | None = None, *,
                blq_text: str = BLQ_TEXT) -> pd.DataFrame:
    """Standardise bioanalytical results.

    Returns, aligned with `result`: STRESC (the number as text without thousands separators,
    `blq_text` for any BLQ spelling, "" for no result), STRESN (NaN unless a number), LLOQ
    (the given limit, else the number of a `< 50` result, else NaN), BLQ (bool) and INVALID
    (bool: a result that is neither a number nor a BLQ spelling)."""
    res = result.astype("string").fillna("").str.strip()
    plain = res.str.replace(r"(?<=\d),(?=\d{3}\b)", "", regex=True)
    found = plain.str.upper().str.extract(BLQ_PATTERN)
    blq = plain.str.upper().str.match(BLQ_PATTERN).fillna(False).astype(bool)
    numeric = plain.str.match(_NUMBER).fillna(False).astype(bool)
    number = _floats(plain.where(numeric))
    given = _floats(lloq if isinstance(lloq, pd.Series) else pd.Series(lloq, index=res.index))
    limit = given.where(given.notna(), _floats(found["limit"]))
    # Numbers written as the shared --STRESC rule writes them (no trailing zeros).
    as_text = number.map("{:.12g}".format, na_action="ignore").astype("string")
    stresc = as_text.where(numeric, "").where(~blq, blq_text)
    return pd.DataFrame({
        "STRESC": stresc.astype("string"),
        "STRESN": number.astype("float64"),
        "LLOQ": limit.astype("float64"),
        "BLQ": blq,
        "INVALID": (res != "") & ~blq & ~numeric,
    }, index=res.index)


@algorithm("blq", params={"field": "the result field",
                          "part": "stresc, stresn or lloq: which of the standardised values (default stresc)",
                          "lloq": "the field with the limit reported with the result",
                          "analyte": "the field with the analyte (its LLOQ in study.yaml kinetics.analytes "
                                     "when the record has none)",
                          "blq_text": "--STRESC of a result below the limit (default `<BLQ`)"})
def blq(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """Bioanalytical results: numbers, and every spelling of "below the limit of quantitation" the
    labs use (`<LLOQ`, `BLQ`, `< 50` ...) → --STRESC `<BLQ`, --STRESN null, --LLOQ the limit
    reported, else the number of a `< 50` result, else the analyte's. Anything else is an error."""
    part = call.params.get("part", "stresc")
    if part not in ("stresc", "stresn", "lloq"):
        raise ctx.spec_error(f"{call.target}: blq part must be stresc, stresn or lloq, not {part!r}")
    column = call.field or call.params.get("field")
    if not column:
        raise ctx.spec_error(f"{call.target}: blq needs the result field")
    result = text(data, column, call, ctx)
    lloq = (text(data, call.params["lloq"], call, ctx),) if call.params.get("lloq") else ()
    blq_text = call.params.get("blq_text", BLQ_TEXT)
    # The parts (stresc, stresn, lloq) of one result share one standardisation.
    out = ctx.shared(data, ("blq", column, call.params.get("lloq"), blq_text), lambda: per_distinct(
        lambda r, *limit: compute_blq(r, *limit, blq_text=blq_text), result, *lloq))
    if out["INVALID"].any():
        bad = out["INVALID"]
        raise InputError(
            f"{ctx.spec.name}.{call.target}: {int(bad.sum())} result(s) neither a number nor a "
            f"BLQ value, rows {', '.join(map(str, rows_of(data, bad)[:10]))}",
            file=call.file or None, row=rows_of(data, bad)[0], column=column,
            value=result[bad].iloc[0], expected="a number, or <LLOQ / BLQ / < limit")
    if part == "lloq" and call.params.get("analyte"):
        limits = {a["testcd"]: float(a["lloq"]) for a in ctx.study.kinetics.get("analytes", ())}
        default = text(data, call.params["analyte"], call, ctx).map(limits).astype("float64")
        return out["LLOQ"].fillna(default)
    return out[part.upper()]


# --- planned time points -----------------------------------------------------------------------

_UNIT_DAYS = {"D": 1.0, "H": 1 / 24, "M": 1 / 1440}
_TIMEPOINT = (
    r"^(?:(?:DAY|D)\s*(?P<day>-?\d+)"
    r"|(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>DAYS?|D|HOURS?|HRS?|H|MINUTES?|MINS?)\s*"
    r"(?P<side>PRE|POST|AFTER|BEFORE)?[- ]?\w*)$"
)


def compute_elapsed_time(tpt: pd.Series, *, aliases: Mapping[str, str] | None = None,
                         visit_day: pd.Series | None = None,
                         visit_names: Sequence[str] = ()) -> pd.DataFrame:
    """Planned time point text → TPT (upper case, single spaces), ELTM (ISO 8601 duration from
    the reference), TPTNUM (the same in days) and INVALID.

    Recognised: `aliases` (text → duration, e.g. PRE-INFUSION → -PT1H); `DAY 7` / `D7` → P7D;
    `4H POST-INFUSION`, `30 MIN PRE-DOSE` → PT4H, -PT30M; a visit name (SCREENING) or a
    blank text with a scheduled `visit_day` → that protocol day. Day 0 of the protocol is the
    reference itself, so protocol day d is `P<d>D` (no day-0 shift, unlike --DY)."""
    label = tpt.astype("string").fillna("").str.strip().str.upper().str.replace(r"\s+", " ", regex=True)
    table = {str(k).strip().upper(): str(v) for k, v in (aliases or {}).items()}
    eltm = label.map(table).astype("string")
    parts = label.str.extract(_TIMEPOINT)
    days = parts["day"].astype("string")
    eltm = eltm.fillna(("-P" + days.str.lstrip("-") + "D").where(days.str.startswith("-"), "P" + days + "D"))
    unit = parts["unit"].str.slice(0, 1).map({"D": "D", "H": "H", "M": "M"})
    amount = parts["n"].str.replace(r"\.0+$", "", regex=True)
    sign = parts["side"].isin(["PRE", "BEFORE"]).map({True: "-", False: ""})
    clock = (sign + "P" + unit.map({"D": "", "H": "T", "M": "T"}) + amount + unit).astype("string")
    eltm = eltm.fillna(clock)
    if visit_day is not None:
        day = visit_day.reindex(label.index)
        by_visit = (label == "") | label.isin([v.upper() for v in visit_names])
        whole = day.abs().astype("Int64").astype("string")
        visit_eltm = ("P" + whole + "D").where(day >= 0, "-P" + whole + "D")
        eltm = eltm.where(~(by_visit & eltm.isna() & day.notna()), visit_eltm)
    invalid = (label != "") & eltm.isna()
    eltm = eltm.fillna("")
    return pd.DataFrame({"TPT": label, "ELTM": eltm, "TPTNUM": compute_duration_days(eltm),
                         "INVALID": invalid}, index=label.index)


def compute_duration_days(duration: pd.Series) -> pd.Series:
    """ISO 8601 durations of days, hours and minutes (`P7D`, `-PT1H`, `P1DT12H`) in days;
    NaN for blanks. Rounded to 4 decimals so that the value is stable in transport files."""
    parts = duration.astype("string").fillna("").str.extract(
        r"^(?P<sign>-)?P(?:(?P<D>\d+(?:\.\d+)?)D)?(?:T(?:(?P<H>\d+(?:\.\d+)?)H)?(?:(?P<M>\d+(?:\.\d+)?)M)?)?$")
    total = sum(_floats(parts[u]).fillna(0) * f for u, f in _UNIT_DAYS.items())
    known = parts[["D", "H", "M"]].notna().any(axis=1)
    signed = total.where(parts["sign"].isna(), -total)
    return signed.where(known).round(4).astype("float64")


@algorithm("elapsed_time", params={"field": "the planned time point field",
                                   "part": "tpt, tptnum (days), eltm (ISO 8601) or tptref (default eltm)",
                                   "aliases": "{time point text: ISO 8601 duration}, e.g. "
                                              "PRE-INFUSION: -PT1H",
                                   "reference": "--TPTREF, given where an elapsed time exists (part tptref)"})
def elapsed_time(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """Planned time points (`PRE-INFUSION`, `DAY 7`, `4H POST-INFUSION`) → --TPT, --TPTNUM (days),
    --ELTM (`P7D`, `-PT1H`) or --TPTREF. A blank time point or one named like a visit takes the
    visit's protocol day (from FOLDER); protocol day d is `PdD` (no day-0 shift, unlike --DY)."""
    part = call.params.get("part", "eltm")
    if part not in ("tpt", "tptnum", "eltm", "tptref"):
        raise ctx.spec_error(f"{call.target}: elapsed_time part must be tpt, tptnum, eltm or tptref")
    column = call.field or call.params.get("field")
    if not column:
        raise ctx.spec_error(f"{call.target}: elapsed_time needs the time point field")
    tpt = text(data, column, call, ctx)
    days = {v.folder: v.day for v in ctx.study.visits}
    folder = (data["FOLDER"].astype("string").fillna("").str.strip(),) if "FOLDER" in data else ()
    # The parts (tpt, tptnum, eltm, tptref) of one time point share one parse.
    aliases = call.params.get("aliases") or {}
    out = ctx.shared(data, ("elapsed_time", column, tuple(aliases.items())), lambda: per_distinct(
        lambda t, *f: compute_elapsed_time(
            t, aliases=aliases, visit_day=f[0].map(days).astype("float64") if f else None,
            visit_names=[v.visit for v in ctx.study.visits]),
        tpt, *folder))
    if out["INVALID"].any():
        bad = out["INVALID"]
        raise InputError(
            f"{ctx.spec.name}.{call.target}: planned time point(s) not understood: "
            f"{sorted(tpt[bad].unique())}", file=call.file or None, row=rows_of(data, bad)[0],
            column=column, value=tpt[bad].iloc[0],
            expected="DAY <n>, <n>H/MIN PRE/POST-<event>, a visit name, or an alias in the spec")
    if part == "tptref":
        reference = call.params.get("reference")
        if not reference:
            raise ctx.spec_error(f"{call.target}: elapsed_time part tptref needs `reference`")
        return pd.Series(reference, index=data.index, dtype="string").where(out["ELTM"] != "", "")
    return out[part.upper()]


# --- RECIST sum of diameters --------------------------------------------------------------------

def compute_sum_of_diameters(lesions: pd.DataFrame, by: Sequence[str], *, diameter: str,
                             is_target: pd.Series) -> pd.DataFrame:
    """Per `by` group (subject and assessment): SUM of target diameters and MISSING, the number
    of target lesions without a diameter (then the sum is NaN: RECIST cannot add a lesion that
    was not measured)."""
    targets = lesions[is_target.reindex(lesions.index).fillna(False).astype(bool)]
    size = _floats(targets[diameter])
    grouped = pd.DataFrame({**{k: targets[k] for k in by}, "_d": size}).groupby(list(by), sort=False)["_d"]
    out = pd.DataFrame({"SUM": grouped.sum(min_count=1), "MISSING": grouped.size() - grouped.count()})
    out.loc[out["MISSING"] > 0, "SUM"] = np.nan
    return out.reset_index()


@algorithm("sum_of_diameters", params={
    "part": "value (the sum) or reasnd (why there is none); default value",
    "diameter": "the diameter field", "type": "the lesion type field",
    "target": "the lesion type value of a target lesion",
    "by": "the fields of one assessment (default [SITEID, SUBJID, FOLDER])",
    "reason": "the reason not done when a target lesion was not measured "
              "(default TARGET LESION NOT ASSESSED)"},
    required=("diameter", "type", "target"))
def sum_of_diameters(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """RECIST sum of the target lesions' diameters per assessment, on one anchor row per assessment
    of the lesion form (text; blank when a target lesion was not measured: RECIST cannot add a
    lesion that was not measured)."""
    params = call.params
    part = params.get("part", "value")
    missing = [k for k in ("diameter", "type", "target") if k not in params]
    if missing or part not in ("value", "reasnd"):
        raise ctx.spec_error(f"{call.target}: sum_of_diameters needs `with:` diameter, type, target "
                             f"and part value or reasnd")
    by = list(params.get("by", ["SITEID", "SUBJID", "FOLDER"]))
    lesions = ctx.raw[call.form] if call.form else data
    kind = text(lesions, params["type"], call, ctx)
    sums = compute_sum_of_diameters(lesions, by, diameter=params["diameter"],
                                    is_target=kind.str.upper() == str(params["target"]).upper())
    keys = pd.DataFrame({k: text(data, k, call, ctx) for k in by})
    sums = sums.astype({k: "string" for k in by})
    joined = keys.merge(sums, on=by, how="left", validate="many_to_one").set_axis(data.index)
    if part == "reasnd":
        reason = str(params.get("reason", "TARGET LESION NOT ASSESSED"))
        return pd.Series(reason, index=data.index, dtype="string").where(joined["MISSING"] > 0, "")
    return joined["SUM"].map("{:g}".format, na_action="ignore").astype("string").fillna("")


# --- reference range indicator ---------------------------------------------------------------------

def compute_nrind(value: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """LOW below `low`, HIGH above `high`, NORMAL within; "" without a value or without a range."""
    v, lo, hi = (pd.to_numeric(s, errors="coerce") for s in (value, low, high))
    out = pd.Series("", index=value.index, dtype="string")
    ranged = v.notna() & (lo.notna() | hi.notna())
    out[ranged] = "NORMAL"
    out[(v < lo).fillna(False)] = "LOW"
    out[(v > hi).fillna(False)] = "HIGH"
    return out


@algorithm("nrind", params={"value": "the --STRESN variable", "low": "the --STNRLO variable",
                            "high": "the --STNRHI variable"},
           required=("value", "low", "high"))
def nrind(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """--NRIND: LOW below the range, HIGH above it, NORMAL within; blank without a value or a range
    (dataset level)."""
    missing = [k for k in ("value", "low", "high") if k not in call.params]
    if missing:
        raise ctx.spec_error(f"{call.target}: nrind needs `with:` {missing}")
    value, low, high = (data[call.params[k]] for k in ("value", "low", "high"))
    return compute_nrind(value, low, high)
