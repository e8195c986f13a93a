"""Rules every SDTM domain shares: --SEQ, --DY, EPOCH, VISITNUM/VISIT/VISITDY, --LOBXFL, --STRES*.

Each rule is a pure function in admiral's grammar (`derive_var_*` adds a column to a copy,
`compute_*` maps values to values), and a registered algorithm of the same name that a spec
variable names (`algorithm: seq`, `with: {...}`); the algorithm reads the spec parameters and
the domains converted before (DM, SV) and calls the function.

Decisions (docs/clinical.md section 1 and the study.yaml elements):
* --DY = date − reference + 1 on or after the reference date, else date − reference; no day 0;
  only when both are complete to the day; times are ignored.
* EPOCH comes from the subject's elements in SE (SDTMIG 3.4 section 5.3: SE is where EPOCH is
  defined; SE places screening at consent, treatment at the first lymphodepletion dose and
  follow-up on day 29 after infusion, see SE.yaml). A record's EPOCH is that of the last element
  started on or before its date, compared by day; blank when the date is partial or earlier than
  the first element (e.g. history before consent).
* VISITNUM: scheduled folders from study.yaml; the n-th unscheduled visit (`UNS<n>`) of a
  subject gets the number of the last scheduled visit on or before it plus 0.01·n and
  VISIT `UNSCHEDULED <VISITNUM>`. Domains other than SV take an unscheduled visit's number
  from SV (same subject and folder) so that all domains agree with SV.
* --LOBXFL: the last record with a result on or before the reference (RFXSTDTC by default) per
  subject and test; when both carry a time, it must be strictly before the reference time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sdtm.algorithms import Call, Context, algorithm, rows_of, text
from sdtm.dates import compute_date
from specs.errors import InputError
from specs.model import DatasetSpec, Visit
from specs.vector import per_distinct

_DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"
_UNSCHEDULED = r"^UNS(\d+)$"


# --- --SEQ -----------------------------------------------------------------------------------

def derive_var_seq(dataset: pd.DataFrame, by_vars: Sequence[str], order: Sequence[str],
                   new_var: str) -> pd.DataFrame:
    """1, 2, ... within `by_vars` after a stable sort on `by_vars` + `order`; rows keep their place."""
    ordered = dataset.sort_values([*by_vars, *order], kind="stable")
    out = dataset.copy()
    out[new_var] = (ordered.groupby(list(by_vars), sort=False).cumcount() + 1).astype("float64")
    return out


def _seq_order(call: Call, spec: DatasetSpec) -> list[str]:
    """`with: {order:}`, by default the dataset keys other than `by` and the --SEQ itself."""
    by = list(call.params.get("by", ["USUBJID"]))
    return list(call.params.get("order", [k for k in spec.keys if k not in (*by, call.target)]))


@algorithm("seq", params={"by": "the variables numbered within (default [USUBJID])",
                          "order": "the sort order within `by` (default the dataset keys but `by` and --SEQ; "
                                   "`_ROW` is the raw record's row)"},
           implicit_reads=_seq_order)
def seq(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """--SEQ: 1, 2 ... within `by`, in `order` (dataset level)."""
    by = list(call.params.get("by", ["USUBJID"]))
    order = _seq_order(call, ctx.spec)
    missing = [c for c in (*by, *order) if c not in data.columns]
    if missing:
        raise ctx.spec_error(f"{call.target}: seq orders by {missing}, which are not derived before it")
    return derive_var_seq(data[[*by, *order]], by, order, call.target)[call.target]


# --- --DY --------------------------------------------------------------------------------------

def compute_study_day(dtc: pd.Series, reference: pd.Series) -> pd.Series:
    """SDTM study day of --DTC against the reference --DTC; NaN unless both are complete dates."""
    days = (compute_date(dtc) - compute_date(reference)).dt.days
    return days.where(days < 0, days + 1).astype("float64")


def _by_subject(data: pd.DataFrame, subjects: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """`columns` of a one-row-per-USUBJID frame, aligned with `data` rows."""
    keyed = subjects[["USUBJID", *columns]].drop_duplicates("USUBJID").set_index("USUBJID")
    return per_distinct(lambda u: keyed.reindex(u.to_numpy()).reset_index(drop=True), data["USUBJID"])


def _dm_dates(data: pd.DataFrame, column: str, ctx: Context, call: Call) -> pd.Series:
    dm = data if ctx.spec.name == "DM" else ctx.domain("DM")
    if column not in dm.columns:
        raise ctx.spec_error(f"{call.target}: DM has no {column}")
    return _by_subject(data, dm, [column])[column].astype("string").fillna("")


@algorithm("study_day", params={"date": "the --DTC variable",
                                "reference": "the DM date it counts from (default RFSTDTC)"},
           required=("date",))
def study_day(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """--DY: date − reference + 1 on or after the reference day, else date − reference (no day 0);
    blank unless both are complete to the day (dataset level)."""
    date = call.params.get("date")
    if not date:
        raise ctx.spec_error(f"{call.target}: study_day needs `with: {{date: --DTC}}`")
    reference = _dm_dates(data, call.params.get("reference", "RFSTDTC"), ctx, call)
    return compute_study_day(text(data, date, call, ctx), reference)


# --- EPOCH -------------------------------------------------------------------------------------

def compute_epoch(usubjid: pd.Series, dtc: pd.Series, elements: pd.DataFrame) -> pd.Series:
    """EPOCH of the last element (SE: USUBJID, SESTDTC, EPOCH) started on or before each
    complete date, per subject; "" for partial dates and dates before the first element."""
    return per_distinct(lambda u, d: _epoch(u, d, elements), usubjid, dtc)


def _epoch(usubjid: pd.Series, dtc: pd.Series, elements: pd.DataFrame) -> pd.Series:
    dates = pd.DataFrame({"USUBJID": usubjid.astype("string").to_numpy(),
                          "_date": compute_date(dtc).astype("datetime64[us]").to_numpy(),
                          "_i": np.arange(len(dtc))}).astype({"USUBJID": "string"})
    starts = elements.assign(_date=compute_date(elements["SESTDTC"]).astype("datetime64[us]"))
    starts = starts[["USUBJID", "_date", "EPOCH"]].dropna(subset=["_date"])
    starts["USUBJID"] = starts["USUBJID"].astype("string")
    known = dates.dropna(subset=["_date"]).sort_values("_date")
    found = pd.merge_asof(known, starts.sort_values("_date"), on="_date", by="USUBJID",
                          direction="backward")
    epoch = pd.Series("", index=range(len(dtc)), dtype="string")
    epoch[found["_i"].to_numpy()] = found["EPOCH"].astype("string").fillna("").to_numpy()
    return epoch.set_axis(dtc.index)


@algorithm("epoch", params={"date": "the --DTC variable"}, required=("date",))
def epoch(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """EPOCH of the subject's element (SE) started last on or before the date, by day; blank for
    a partial date or one before the first element (dataset level)."""
    date = call.params.get("date")
    if not date:
        raise ctx.spec_error(f"{call.target}: epoch needs `with: {{date: --DTC}}`")
    return compute_epoch(text(data, "USUBJID", call, ctx), text(data, date, call, ctx),
                         ctx.domain("SE"))


# --- VISITNUM / VISIT / VISITDY ---------------------------------------------------------------

def _schedule(visits: Sequence[Visit]) -> pd.DataFrame:
    return pd.DataFrame({
        "_FOLDER": [v.folder for v in visits],
        "VISITNUM": [float(v.visitnum) for v in visits],
        "VISIT": [v.visit for v in visits],
        "VISITDY": [float(v.study_day) for v in visits],
    }).astype({"_FOLDER": "string", "VISIT": "string"})


def derive_vars_visit(dataset: pd.DataFrame, visits: Sequence[Visit], *, date: str | None = None,
                      sv: pd.DataFrame | None = None) -> pd.DataFrame:
    """VISITNUM, VISIT, VISITDY from the EDC folder (`_FOLDER`), on a copy of `dataset`.

    Unscheduled folders (`UNS<n>`) take VISITNUM/VISIT from `sv` for the same subject and
    folder; failing that, from the last scheduled visit on or before the record's `date`
    (in `sv`, or else in `dataset` itself) plus 0.01·n. A blank folder gives blank visit
    variables; a folder that is neither scheduled nor `UNS<n>` is an InputError.
    """
    out = dataset.drop(columns=[c for c in ("VISITNUM", "VISIT", "VISITDY") if c in dataset])
    folder, found, n = _scheduled(dataset, visits)
    unscheduled = n.notna()
    if unscheduled.any():
        subjects = dataset["USUBJID"].astype("string")
        if sv is not None:
            done = sv[["USUBJID", "_FOLDER", "VISITNUM", "SVSTDTC"]]
            dated = done[_unscheduled_number(done["_FOLDER"]).isna().to_numpy()]
            dated = pd.DataFrame({"USUBJID": dated["USUBJID"].astype("string"),
                                  "_num": dated["VISITNUM"], "_date": compute_date(dated["SVSTDTC"])})
        else:
            done = None
            own = found["VISITNUM"].notna()
            dated = pd.DataFrame({"USUBJID": subjects[own], "_num": found.loc[own, "VISITNUM"],
                                  "_date": compute_date(dataset.loc[own, date]) if date else pd.NaT})
        record_dates = compute_date(dataset.loc[unscheduled, date]) if date else None
        number = compute_unscheduled_visitnum(
            subjects[unscheduled], folder[unscheduled], n[unscheduled], record_dates, dated, done)
        found.loc[unscheduled, "VISITNUM"] = number.to_numpy()
        found.loc[unscheduled, "VISIT"] = ("UNSCHEDULED " + number.map("{:.2f}".format)).to_numpy()
    out["VISITNUM"] = found["VISITNUM"].astype("float64")
    out["VISIT"] = found["VISIT"].astype("string").fillna("")
    out["VISITDY"] = found["VISITDY"].astype("float64")
    return out


def _scheduled(dataset: pd.DataFrame, visits: Sequence[Visit]) -> tuple[pd.Series, pd.DataFrame, pd.Series]:
    """The records' EDC folders, their scheduled VISITNUM/VISIT/VISITDY (NaN when unscheduled)
    and n of the unscheduled folders `UNS<n>`; any other folder is an InputError."""
    schedule = _schedule(visits)
    folder = dataset["_FOLDER"].astype("string").fillna("").str.strip()
    found = per_distinct(lambda f: f.to_frame("_FOLDER").merge(schedule, on="_FOLDER", how="left"), folder)
    n = _unscheduled_number(folder)
    unknown = (folder != "") & found["VISITNUM"].isna() & n.isna()
    if unknown.any():
        raise InputError(
            f"unknown EDC folder(s) {sorted(folder[unknown].unique())}",
            file=f"{dataset.loc[unknown, '_FORM'].iloc[0]}.csv" if "_FORM" in dataset else None,
            row=rows_of(dataset, unknown)[0], column="FOLDER", value=folder[unknown].iloc[0],
            expected=f"a folder of study.yaml visits ({', '.join(schedule['_FOLDER'])}) or UNS<n>",
        )
    return folder, found, n


def _unscheduled_number(folder: pd.Series) -> pd.Series:
    """n of `UNS<n>` folders, NaN for others; each distinct folder is parsed once."""
    codes, folders = pd.factorize(folder.astype("string").fillna(""))
    n = pd.to_numeric(pd.Series(folders, dtype="string").str.extract(_UNSCHEDULED)[0], errors="coerce")
    return pd.Series(n.to_numpy(dtype="float64")[codes], index=folder.index)


def compute_unscheduled_visitnum(usubjid: pd.Series, folder: pd.Series, n: pd.Series,
                                 dates: pd.Series | None, scheduled: pd.DataFrame,
                                 known: pd.DataFrame | None = None) -> pd.Series:
    """VISITNUM of unscheduled visits: as in `known` (USUBJID, _FOLDER, VISITNUM) when it has the
    visit, else the last of the subject's `scheduled` visits (USUBJID, _num, _date) on or before
    the record's date, plus 0.01·n (0 + 0.01·n when there is none or the date is unknown)."""
    number = pd.Series(np.nan, index=usubjid.index)
    if known is not None and len(known):
        keyed = known[["USUBJID", "_FOLDER", "VISITNUM"]].astype({"USUBJID": "string", "_FOLDER": "string"})
        match = pd.DataFrame({"USUBJID": usubjid, "_FOLDER": folder}).merge(
            keyed.drop_duplicates(["USUBJID", "_FOLDER"]), on=["USUBJID", "_FOLDER"], how="left")
        number[:] = match["VISITNUM"].to_numpy()
    todo = number.isna().to_numpy()
    previous = pd.Series(0.0, index=usubjid.index)
    if dates is not None and todo.any():
        wanted = pd.DataFrame({"USUBJID": usubjid.to_numpy(), "_date": dates.to_numpy(),
                               "_i": np.arange(len(usubjid))})[todo].dropna(subset=["_date"])
        wanted = wanted.astype({"USUBJID": "string"})
        table = scheduled.dropna(subset=["_date", "_num"]).sort_values(["_date", "_num"])
        table = table.astype({"USUBJID": "string"})
        hit = pd.merge_asof(wanted.sort_values("_date"), table.astype({"_date": wanted["_date"].dtype}),
                            on="_date", by="USUBJID", direction="backward")
        previous.iloc[hit["_i"].to_numpy()] = hit["_num"].fillna(0.0).to_numpy()
    return number.where(~todo, (previous + 0.01 * n.astype("float64")).round(2))


VISIT_PARAMETERS = {"date": "the --DTC variable that places an unscheduled visit after the last "
                            "scheduled one, when SV does not have it"}


@algorithm("visitnum", params=VISIT_PARAMETERS)
def visitnum(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """VISITNUM of the record's EDC folder (study.yaml visits); the n-th unscheduled visit
    (`UNS<n>`) of a subject: that of SV, else the last scheduled visit's number + 0.01·n."""
    return _visit_part(data, call, ctx)


@algorithm("visit", params=VISIT_PARAMETERS)
def visit(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """VISIT of the record's EDC folder; `UNSCHEDULED <VISITNUM>` for an unscheduled visit."""
    return _visit_part(data, call, ctx)


@algorithm("visitdy", params={})
def visitdy(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """The scheduled visit's planned study day: unscheduled visits have none, so no date is needed."""
    return _scheduled(data, ctx.study.visits)[1]["VISITDY"].astype("float64")


def _visit_part(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """The visit variable the algorithm is named for (`visitnum` fills VISITNUM, ...)."""
    sv = None if ctx.spec.name == "SV" else ctx.sdtm.get("SV")
    date = call.params.get("date")
    if date is not None and date not in data.columns:
        raise ctx.spec_error(f"{call.target}: date {date} is not derived before it")
    needed = [c for c in ("USUBJID", "_FOLDER", "_FORM", "_ROW", date) if c in data.columns]
    visits = ctx.shared(data, ("visit", date), lambda: derive_vars_visit(
        data[needed], ctx.study.visits, date=date, sv=sv))
    return visits[call.algorithm.upper()]


# --- --LOBXFL ----------------------------------------------------------------------------------

def derive_var_lobxfl(dataset: pd.DataFrame, by_vars: Sequence[str], new_var: str, *,
                      result: str, dtc: str, reference: pd.Series) -> pd.DataFrame:
    """"Y" on the last record with a result on or before the reference, per `by_vars`.

    `reference` is aligned with `dataset` (the subject's first exposure). Dates compare by day,
    or by time when both record and reference carry one (then strictly before).
    """
    out = dataset.copy()
    when = per_distinct(_moment, dataset[dtc])
    ref = per_distinct(_moment, reference.reindex(dataset.index))
    both_timed = when["timed"] & ref["timed"]
    moment = when["moment"].where(both_timed)
    day = when["day"]
    before = (both_timed & (moment < ref["moment"])) | (~both_timed & (day <= ref["day"]))
    has_result = dataset[result].astype("string").fillna("").str.strip() != ""
    eligible = (before & has_result).fillna(False).to_numpy()
    candidates = dataset[eligible].assign(_day=day[eligible], _moment=moment[eligible])
    last = candidates.sort_values(["_day", "_moment"], kind="stable", na_position="first")
    chosen = last.groupby(list(by_vars), sort=False).tail(1).index
    out[new_var] = ""
    out.loc[chosen, new_var] = "Y"
    return out


def _moment(dtc: pd.Series) -> pd.DataFrame:
    """--DTC as its day, its minute when it has a time (`timed`), for comparing with a reference."""
    text = dtc.astype("string").fillna("")
    timed = text.str.match(_DATETIME).fillna(False).astype(bool)
    moment = pd.to_datetime(text.str.slice(0, 16).where(timed), format="%Y-%m-%dT%H:%M", errors="coerce")
    return pd.DataFrame({"day": compute_date(text), "moment": moment, "timed": timed})


@algorithm("lobxfl", params={"by": "the variables of one test (e.g. [USUBJID, LBTESTCD])",
                             "result": "the result variable: a record without one is never flagged",
                             "date": "the --DTC variable",
                             "reference": "the DM date (default RFXSTDTC)"},
           required=("by", "result", "date"))
def lobxfl(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """--LOBXFL: Y on the last record with a result on or before the reference, per `by`; by
    time (strictly before) when record and reference both have one, else by day (dataset level)."""
    params = call.params
    missing = [k for k in ("by", "result", "date") if k not in params]
    if missing:
        raise ctx.spec_error(f"{call.target}: lobxfl needs `with:` {missing}")
    reference = _dm_dates(data, params.get("reference", "RFXSTDTC"), ctx, call)
    needed = list(dict.fromkeys([*params["by"], params["result"], params["date"]]))
    flagged = derive_var_lobxfl(data[needed], params["by"], call.target, result=params["result"],
                                dtc=params["date"], reference=reference)
    return flagged[call.target]


# --- --STRESC / --STRESN / --STRESU -------------------------------------------------------------

def compute_stresc(result: pd.Series, unit: pd.Series,
                   conversions: Sequence[Mapping[str, Any]] = ()) -> tuple[pd.Series, pd.Series]:
    """Standard result and unit: numbers converted by `conversions` ({from, to, factor}) and
    written without trailing zeros; other results (e.g. `<BLQ`, text) kept as collected."""
    res = result.astype("string").fillna("").str.strip()
    unit = unit.astype("string").fillna("").str.strip()
    numbers = pd.to_numeric(res.where(res != ""), errors="coerce")
    factor = pd.Series(1.0, index=res.index)
    std_unit = unit.copy()
    for c in conversions:
        here = unit == str(c["from"])
        factor = factor.where(~here, float(c["factor"]))
        std_unit = std_unit.where(~here, str(c["to"]))
    converted = (numbers * factor).round(10)
    as_text = converted.map("{:.12g}".format, na_action="ignore").astype("string")
    stresc = as_text.where(numbers.notna(), res)
    return stresc.fillna(""), std_unit.where(res != "", "")


STANDARD_PARAMETERS = {"result": "the --ORRES variable", "unit": "the --ORRESU variable",
                       "conversions": "[{from: UNIT, to: UNIT, factor: NUMBER}]: original unit → standard"}


@algorithm("stresc", params=STANDARD_PARAMETERS, required=("result",))
def stresc(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """--STRESC: a number converted by `conversions` and written without trailing zeros; any
    other result (text, `<BLQ`) as collected (dataset level)."""
    return _standard(data, call, ctx)[0]


@algorithm("stresu", params=STANDARD_PARAMETERS, required=("result",))
def stresu(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """--STRESU: the standard unit of a converted result, else the original unit; blank without a
    result (dataset level)."""
    return _standard(data, call, ctx)[1]


def _standard(data: pd.DataFrame, call: Call, ctx: Context) -> tuple[pd.Series, pd.Series]:
    params = call.params
    if "result" not in params:
        raise ctx.spec_error(f"{call.target}: {call.algorithm} needs `with: {{result: --ORRES}}`")
    result = text(data, params["result"], call, ctx)
    unit = text(data, params["unit"], call, ctx) if params.get("unit") else result.where(False, "")
    standard = per_distinct(lambda r, u: pd.DataFrame(dict(zip(
        ("STRESC", "STRESU"), compute_stresc(r, u, params.get("conversions", ())), strict=True))),
        result, unit)
    return standard["STRESC"], standard["STRESU"]


@algorithm("stresn", params={"from": "the --STRESC variable"}, required=("from",))
def stresn(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """The numeric value of --STRESC (`with: {from: --STRESC}`); NaN for text such as `<BLQ`."""
    column = call.params.get("from")
    if not column:
        raise ctx.spec_error(f"{call.target}: stresn needs `with: {{from: --STRESC}}`")
    values = text(data, column, call, ctx)
    return per_distinct(lambda v: pd.to_numeric(v.where(v != ""), errors="coerce").astype("float64"), values)
