"""The algorithm registry and the mapping algorithms a domain spec names.

A spec names an algorithm in two places, and both dispatch through this one registry:

* a source rule, `sources[].map.<TARGET>: {algorithm: NAME, field: RAW_FIELD, with: {...}}`
  (a bare `TARGET: FIELD` means `assign`): the algorithm gets the raw records of that source
  block (after `where`) and returns the target column;
* a variable, `variables[]: {name: TARGET, algorithm: NAME, with: {...}}`: a dataset-level
  derivation run after every source block is mapped and concatenated, after the variables it
  reads (`reads`: those its parameters name, and `implicit_reads` of its algorithm); the
  algorithm gets the domain frame built so far (with its `_FORM`/`_ROW`/`_FOLDER` trace
  columns) and returns the target column.

Signature of every algorithm (register with `@algorithm("name", params={...})`)::

    def fn(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series

`data` is the raw block or the domain frame; `call` carries the target variable, the raw
`field`, the `with:` parameters and the source `form` (None for dataset-level calls); `ctx`
gives the study, the domain spec, the raw forms and the SDTM domains converted so far. The
result is aligned on `data.index`: text ("" for missing) or numbers (NaN); the engine casts it
to the variable's type. Bad data raises `InputError` naming file, rows, column and value.

A dataset without sources (trial design, RELREC) gets its rows from a builder, registered with
`@builder("name", params={...})` as `def fn(ctx: Context) -> pd.DataFrame` and named in the spec's
`parameters: {builder: name}`.

Each registration declares the algorithm's `with:` parameters (name → what it is, and which
are required): the engine refuses an unknown or missing one at the rule's line, listing the valid
ones, and docs/reference.md (generated from the registrations, `make reference`) documents every
algorithm and builder with its docstring and parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as _default
from typing import Any

import pandas as pd

from sdtm.dates import compute_iso8601
from specs.errors import InputError, Problem, SpecError
from specs.model import Codelist, DatasetSpec, Rule, Study
from specs.schema import closest

SUBJECT_KEYS = ("SITEID", "SUBJID")


@dataclass(frozen=True)
class Call:
    """One use of an algorithm: which variable it fills, from what, with which parameters."""

    target: str
    algorithm: str
    field: str | None = None
    params: Mapping[str, Any] = _default(default_factory=dict)
    form: str | None = None  # the raw form of a source rule; None for a dataset-level derivation

    @property
    def file(self) -> str:
        return f"{self.form}.csv" if self.form else ""


@dataclass(frozen=True)
class Context:
    """What an algorithm may read: the study, the domain spec, raw forms, domains done so far."""

    study: Study
    spec: DatasetSpec
    raw: Mapping[str, pd.DataFrame]
    sdtm: Mapping[str, pd.DataFrame] = _default(default_factory=dict)
    # Results several calls share (e.g. VISITNUM, VISIT, VISITDY from one derivation), by the
    # identity of the frame they were computed on and a key; the frame is held so that its
    # identity cannot be reused while the context lives (one domain).
    _shared: dict[tuple[int, Any], tuple[pd.DataFrame, Any]] = _default(default_factory=dict)

    def shared(self, data: pd.DataFrame, key: Any, compute: Callable[[], Any]) -> Any:
        """`compute()` once per `data` frame and `key` within this context."""
        slot = (id(data), key)
        if slot not in self._shared:
            self._shared[slot] = (data, compute())
        return self._shared[slot][1]

    def codelist(self, name: str) -> Codelist:
        found = self.study.codelists.get(name)
        if found is None:
            raise self.spec_error(f"unknown codelist {name!r}")
        return found

    def spec_error(self, message: str) -> SpecError:
        return SpecError([Problem(self.spec.file, 0, f"{self.spec.name}: {message}")])

    def domain(self, name: str) -> pd.DataFrame:
        """A domain converted earlier in this run (DM is always first)."""
        if name not in self.sdtm:
            raise self.spec_error(f"needs domain {name}, which is not converted before it")
        return self.sdtm[name]


Algorithm = Callable[[pd.DataFrame, Call, Context], pd.Series]
Builder = Callable[[Context], pd.DataFrame]
Reads = Callable[[Call, DatasetSpec], Iterable[str]]


@dataclass(frozen=True)
class Parameters:
    """The parameters an algorithm takes in `with:` (or a builder in the spec's `parameters:`)."""

    described: Mapping[str, str]  # name → what it is, for the reference and messages
    required: tuple[str, ...] = ()

    def problems(self, given: Mapping[str, Any], what: str) -> list[str]:
        """Unknown parameters (listing the valid ones) and missing required ones."""
        valid = ", ".join(self.described) or "none"
        found = [f"{what} has no parameter {name!r}{closest(name, self.described)} "
                 f"(its parameters: {valid})" for name in given if name not in self.described]
        return found + [f"{what} needs parameter {name!r} ({self.described[name]})"
                        for name in self.required if name not in given]


REGISTRY: dict[str, Algorithm] = {}
PARAMETERS: dict[str, Parameters] = {}
BUILDERS: dict[str, Builder] = {}
BUILDER_PARAMETERS: dict[str, Parameters] = {}
IMPLICIT_READS: dict[str, Reads] = {}
_WORD = re.compile(r"[A-Za-z_]\w*")


def algorithm(name: str, *, params: Mapping[str, str], required: tuple[str, ...] = (),
              implicit_reads: Reads | None = None) -> Callable[[Algorithm], Algorithm]:
    """Register `fn` under the name a spec uses for it, with the `with:` parameters it takes
    (`params`: name → what it is; `field` when it reads the rule's raw field); `implicit_reads(call,
    spec)` names the columns it reads that its `with:` does not name (for the derivation order)."""

    def register(fn: Algorithm) -> Algorithm:
        if name in REGISTRY and REGISTRY[name] is not fn:
            raise ValueError(f"algorithm {name!r} is registered twice")
        REGISTRY[name] = fn
        PARAMETERS[name] = Parameters(dict(params), required)
        if implicit_reads:
            IMPLICIT_READS[name] = implicit_reads
        return fn

    return register


def reads(call: Call, spec: DatasetSpec) -> set[str]:
    """The spec variables a call may read: those named anywhere in its parameters (whole
    values, list items, words of a query), and its algorithm's implicit inputs."""
    names = set(spec.variable_names())
    found = {w for text in _texts(call.params) for w in _WORD.findall(text)} & names
    if call.field in names:
        found.add(call.field)
    implicit = IMPLICIT_READS.get(call.algorithm)
    return found | (set(implicit(call, spec)) & names if implicit else set())


def _texts(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _texts(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _texts(v)
    elif isinstance(value, Rule):
        yield from _texts([value.field or "", value.params])


def builder(name: str, *, params: Mapping[str, str], required: tuple[str, ...] = ()
            ) -> Callable[[Builder], Builder]:
    """Register `fn(ctx) -> DataFrame`, the rows of a dataset without sources (trial design, RELREC),
    with the parameters it reads from the spec's `parameters:` (name → what it is)."""

    def register(fn: Builder) -> Builder:
        if name in BUILDERS and BUILDERS[name] is not fn:
            raise ValueError(f"builder {name!r} is registered twice")
        BUILDERS[name] = fn
        BUILDER_PARAMETERS[name] = Parameters(dict(params), required)
        return fn

    return register


def run(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """Dispatch `call` to its registered algorithm."""
    fn = REGISTRY.get(call.algorithm)
    if fn is None:
        raise ctx.spec_error(f"{call.target}: unknown algorithm {call.algorithm!r}"
                             f"{closest(call.algorithm, REGISTRY)}")
    return fn(data, call, ctx)


def nested(rule: Any, parent: Call, form: str | None = None) -> Call:
    """A Call from a nested rule in `with:` (a mapping like a source rule, or a bare field name)."""
    if isinstance(rule, Rule):
        return Call(parent.target, rule.algorithm, rule.field, rule.params, form or parent.form)
    if isinstance(rule, str):
        return Call(parent.target, "assign", rule, {}, form or parent.form)
    return Call(parent.target, rule["algorithm"], rule.get("field"), rule.get("with", {}),
                form or parent.form)


# --- helpers shared by algorithms ----------------------------------------------------------

def text(data: pd.DataFrame, column: str, call: Call, ctx: Context) -> pd.Series:
    """A column as stripped text with "" for missing; a missing column is a clear error."""
    if column not in data.columns:
        where = f"form {call.form}" if call.form else f"domain {ctx.spec.name}"
        raise InputError(
            f"{ctx.spec.name}.{call.target} needs column {column!r}, which {where} does not have "
            f"(spec {ctx.spec.file})",
            file=call.file or None, column=column,
        )
    return data[column].astype("string").fillna("").str.strip()


def rows_of(data: pd.DataFrame, mask: pd.Series) -> list[int]:
    """The raw row numbers (`_ROW`) of the masked records, for error messages."""
    if "_ROW" not in data.columns:
        return [int(i) + 1 for i in data.index[mask.to_numpy()]]
    return [int(r) for r in pd.to_numeric(data.loc[mask.to_numpy(), "_ROW"])]


def _field_name(call: Call, ctx: Context) -> str:
    name = call.field or call.params.get("field")
    if not name:
        raise ctx.spec_error(f"{call.target}: algorithm {call.algorithm} needs a field")
    return name


def blank(index: pd.Index) -> pd.Series:
    return pd.Series("", index=index, dtype="string")


# --- mapping algorithms ---------------------------------------------------------------------

@algorithm("assign", params={"field": "the raw field (the rule's `field:`; a bare `TARGET: FIELD` rule)",
                             "upper": "true: the value in upper case"})
def assign(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """The field as collected, stripped of blanks at either end."""
    values = text(data, _field_name(call, ctx), call, ctx)
    return values.str.upper() if call.params.get("upper") else values


@algorithm("hardcode", params={"value": "the value of every row: text, or a number for a Num variable"},
           required=("value",))
def hardcode(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """The same value on every row (DOMAIN, --CAT, --SPEC ...)."""
    if "value" not in call.params:
        raise ctx.spec_error(f"{call.target}: hardcode needs `with: {{value: ...}}`")
    value = call.params["value"]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return pd.Series(float(value), index=data.index)
    return pd.Series(str(value), index=data.index, dtype="string")


@algorithm("checkbox", params={"field": "the CHECK field: `X` or blank",
                               "answered": "a field whose answer makes an unticked box N (AESER for "
                                           "the seriousness criteria); without it, unticked is N"})
def checkbox(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """A ticked box (`X`) is Y; an unticked one N where `answered` has an answer, else blank.
    Any other value in the box is an error naming the row."""
    column = _field_name(call, ctx)
    ticked = text(data, column, call, ctx).str.upper()
    odd = (ticked != "") & (ticked != "X")
    if odd.any():
        raise InputError(f"{ctx.spec.name}.{call.target}: a checkbox holds X or nothing",
                         file=call.file or None, row=rows_of(data, odd)[0], column=column,
                         value=ticked[odd].iloc[0], expected="X or blank")
    answered = call.params.get("answered")
    unticked = text(data, answered, call, ctx) != "" if answered else ticked.where(False, True) == ""
    out = pd.Series("N", index=data.index, dtype="string").where(unticked, "")
    return out.where(ticked != "X", "Y")


def _lookup(codelist: Codelist) -> dict[str, str]:
    """Upper-cased value, decode and synonyms → submission value."""
    table: dict[str, str] = {}
    for term in codelist.terms:
        for key in (term.value, term.decode, *term.synonyms):
            if key:
                table.setdefault(str(key).strip().upper(), term.value)
    return table


def compute_ct(values: pd.Series, codelist: Codelist,
               extra: Mapping[str, str] | None = None) -> tuple[pd.Series, pd.Series]:
    """Collected terms → submission values; returns the mapped values and a mask of unmapped terms."""
    table = _lookup(codelist)
    for raw, value in (extra or {}).items():
        table.setdefault(str(raw).strip().upper(), str(value))
    key = values.astype("string").fillna("").str.strip()
    mapped = key.str.upper().map(table).astype("string")
    unmapped = (key != "") & mapped.isna()
    return mapped.fillna("").where(~unmapped, ""), unmapped


@algorithm("assign_ct", params={
    "field": "the raw field",
    "codelist": "the codelist (default the target variable's)",
    "map": "{collected wording: term} for sponsor wordings that are neither a term, decode nor synonym"})
def assign_ct(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """The collected value through the codelist: a term, its decode or one of its synonyms
    (matched ignoring case and surrounding blanks) gives the term. Any other non-blank value is an
    error listing the values, rows, codelist and its terms."""
    name = call.params.get("codelist")
    if name is None:
        variable = ctx.spec.variable(call.target)
        name = variable.codelist if variable else None
    if not name:
        raise ctx.spec_error(f"{call.target}: assign_ct needs a codelist on the variable or in `with`")
    codelist = ctx.codelist(name)
    extra = {str(k): str(v) for k, v in call.params.get("map", {}).items()}
    not_in_list = sorted(v for v in set(extra.values()) if codelist.term(v) is None)
    if not_in_list:
        raise ctx.spec_error(f"{call.target}: `map` targets {not_in_list} are not in codelist {name}")
    column = _field_name(call, ctx)
    values = text(data, column, call, ctx)
    mapped, unmapped = compute_ct(values, codelist, extra)
    if unmapped.any():
        bad = values[unmapped]
        listing = "; ".join(
            f"{term!r} (rows {', '.join(map(str, rows_of(data, values == term)[:10]))})"
            for term in sorted(bad.unique())
        )
        raise InputError(
            f"{ctx.spec.name}.{call.target}: terms not in codelist {name}: {listing}",
            file=call.file or None, row=rows_of(data, unmapped)[0], column=column,
            value=bad.iloc[0], expected=f"one of {', '.join(codelist.values())} "
                                        f"(or add a synonym / `map` entry in the spec)",
        )
    return mapped


@algorithm("iso8601", params={"field": "the date field (or `date`)",
                              "date": "the date field, `DD MON YYYY` with UN/UNK for an unknown day/month",
                              "time": "the time field, `HH:MM`"})
def iso8601(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """An EDC date (and time) as ISO 8601 text, cut to what was collected (`2024-05`, `2024---14`);
    an impossible date is an error naming the row."""
    date_field = call.params.get("date") or _field_name(call, ctx)
    time_field = call.params.get("time")
    date = text(data, date_field, call, ctx)
    time = text(data, time_field, call, ctx) if time_field else None
    out, bad = compute_iso8601(date, time)
    if bad.any():
        first = bad.to_numpy().nonzero()[0][0]
        value = date.iloc[first] if time is None else f"{date.iloc[first]} {time.iloc[first]}".strip()
        raise InputError(
            f"{ctx.spec.name}.{call.target}: {int(bad.sum())} unparseable or impossible date/time "
            f"value(s), rows {', '.join(map(str, rows_of(data, bad)[:10]))}",
            file=call.file or None, row=rows_of(data, bad)[0],
            column=date_field if time_field is None else f"{date_field}/{time_field}",
            value=value, expected="a real date as DD MON YYYY (UN/UNK for unknown day/month) and HH:MM",
        )
    return out


@algorithm("usubjid", params={"parts": "the raw system fields joined (default [STUDYID, SUBJID])",
                              "sep": "the separator (default `-`)"})
def usubjid(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """USUBJID from the raw system fields: `<STUDYID>-<SUBJID>` by default, the sponsor's subject
    numbers carrying the site (`101-001`); `parts: [STUDYID, SITEID, SUBJID]` for an EDC whose
    numbers restart per site. Every domain uses the same convention."""
    parts = call.params.get("parts", ["STUDYID", "SUBJID"])
    sep = call.params.get("sep", "-")
    out = text(data, parts[0], call, ctx)
    for part in parts[1:]:
        out = out + sep + text(data, part, call, ctx)
    return out


@algorithm("condition", params={"when": "a pandas query on the raw record (or the domain frame)",
                                "then": "the rule where it holds: a nested rule or a bare field name",
                                "else": "the rule elsewhere (default blank, or null for a number)"},
           required=("when", "then"))
def condition(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """`then` where the query holds, `else` elsewhere; each branch runs on its own rows only, so
    it may fail on, or not apply to, the others."""
    when = call.params.get("when")
    if not when or "then" not in call.params:
        raise ctx.spec_error(f"{call.target}: condition needs `with: {{when: ..., then: ...}}`")
    try:
        mask = data.eval(when, engine="python") if len(data) else pd.Series(dtype=bool)
    except Exception as exc:  # a bad query is a spec problem, whatever pandas raised
        raise ctx.spec_error(f"{call.target}: condition `{when}` cannot be evaluated: {exc}") from exc
    mask = pd.Series(mask, index=data.index).fillna(False).astype(bool)
    # Each branch runs on its own rows only, so a rule that would fail on the other rows
    # (a term outside its codelist, a field blank there) does not.
    branches = [(mask, call.params["then"])]
    if "else" in call.params:
        branches.append((~mask, call.params["else"]))
    parts = [run(_rows(data, rows), nested(rule, call), ctx) for rows, rule in branches]
    if all(pd.api.types.is_numeric_dtype(p) for p in parts):
        return pd.concat(parts).astype("float64").reindex(data.index)
    texts = [p.astype("string").fillna("") for p in parts]
    return pd.concat(texts).reindex(data.index).fillna("").astype("string")


def _rows(data: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    """The rows of `data` where `rows` holds (`data` itself when that is all of them)."""
    return data if rows.all() else data[rows.to_numpy()]


@algorithm("decode", params={"field": "the variable (or raw field) holding the codes",
                             "codelist": "the codelist whose decodes are the names"},
           required=("codelist",))
def decode(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """The decode (name) of each code in `field`, from the codelist (--TEST from --TESTCD).

    A code outside the codelist is an error; a code whose term has no decode is too, since a
    test name cannot be blank."""
    name = call.params.get("codelist")
    column = call.field or call.params.get("field")
    if not name or not column:
        raise ctx.spec_error(f"{call.target}: decode needs `with: {{field: CODE, codelist: NAME}}`")
    codelist = ctx.codelist(name)
    codes = text(data, column, call, ctx)
    table = {t.value: t.decode for t in codelist.terms if t.decode}
    names = codes.map(table).astype("string")
    bad = (codes != "") & names.isna()
    if bad.any():
        raise InputError(
            f"{ctx.spec.name}.{call.target}: codes without a decode in codelist {name}: "
            f"{sorted(codes[bad].unique())}", file=call.file or None, row=rows_of(data, bad)[0],
            column=column, value=codes[bad].iloc[0],
            expected=f"one of {', '.join(table)}")
    return names.fillna("")


def _pick(values: pd.DataFrame, by: list[str], pick: str, ctx: Context, call: Call) -> pd.DataFrame:
    """One value per `by` group from the non-blank `value` column, by `pick`."""
    present = values[values["value"].astype("string").fillna("") != ""]
    if pick in ("first", "last"):
        chosen = present.groupby(by, sort=False).nth(0 if pick == "first" else -1)
    elif pick in ("min", "max"):
        order = present.sort_values("value", kind="stable", ascending=pick == "min")
        chosen = order.groupby(by, sort=False).nth(0)
    else:
        raise ctx.spec_error(f"{call.target}: pick must be first, last, min or max, not {pick!r}")
    return chosen[[*by, "value"]]


@algorithm("per_subject", params={"form": "the other raw form",
                                  "field": "the field of that form, assigned (without `rule`)",
                                  "rule": "the rule on that form (default: the rule's field, assigned)",
                                  "pick": "first, last (form row order), min or max (compare the values); "
                                          "default first"},
           required=("form",))
def per_subject(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """A value taken from another form, one per subject (joined on SITEID and SUBJID): e.g. the
    infusion start of every sample (PCRFTDTC). ISO dates compare as text for min and max."""
    form = call.params.get("form")
    if form not in ctx.raw:
        raise InputError(f"{ctx.spec.name}.{call.target} needs form {form!r}, which is not in the raw "
                         f"data (spec {ctx.spec.file})", file=f"{form}.csv")
    other = ctx.raw[form]
    inner = nested(call.params.get("rule", call.field), call, form=form)
    values = pd.DataFrame({k: text(other, k, inner, ctx) for k in SUBJECT_KEYS})
    values["value"] = run(other, inner, ctx).to_numpy()
    chosen = _pick(values, list(SUBJECT_KEYS), call.params.get("pick", "first"), ctx, call)
    keys = pd.DataFrame({k: text(data, k, call, ctx) for k in SUBJECT_KEYS})
    joined = keys.merge(chosen, on=list(SUBJECT_KEYS), how="left", validate="many_to_one")
    out = pd.Series(joined["value"].to_numpy(), index=data.index)
    if pd.api.types.is_numeric_dtype(out):
        return out.astype(float)
    return out.astype("string").fillna("")


@algorithm("combine", params={"rules": "the nested rules, each a rule mapping or a bare field name",
                              "pick": "first (the first non-blank result in rule order), min or max; "
                                      "default first"},
           required=("rules",))
def combine(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """One value from several rules on the same record (e.g. the earliest of two dates)."""
    rules = call.params.get("rules") or []
    if not rules:
        raise ctx.spec_error(f"{call.target}: combine needs `with: {{rules: [...]}}`")
    results = pd.DataFrame({i: run(data, nested(r, call), ctx).astype("string").fillna("")
                            for i, r in enumerate(rules)}, index=data.index)
    pick = call.params.get("pick", "first")
    stacked = results.where(results != "").stack().rename("value").reset_index()
    stacked.columns = ["row", "rule", "value"]
    chosen = _pick(stacked, ["row"], pick, ctx, call)
    return chosen.set_index("row")["value"].reindex(data.index).astype("string").fillna("")
