"""The SDTM mapping engine: every domain spec of a study, applied to the raw EDC forms.

For one domain: each source block keeps the raw rows its `where` holds for (then, with
`distinct: [FIELD, ...]`, only the first of them per value of those fields, in the form's row
order: e.g. a lesion's first assessment) and fills its target columns with the algorithms its
rules name; the blocks are concatenated; then the variables'
dataset-level algorithms run, each after the variables it reads (`derivation_order`: --SEQ
after its keys, --DY after --DTC ...); variables no
rule fills are blank; each variable is cast to its type; rows are sorted by the spec keys; and
SUPP-- is built from the spec's `supplemental` qualifiers. Every row keeps the key of its raw
record in the internal columns `_FORM`, `_ROW` (and `_FOLDER`, the EDC visit folder) until export.

Order: DM first (others need RFSTDTC), SE (EPOCH comes from the subject's elements), SV (other
domains take unscheduled VISITNUM from it), then the rest by name, except that a spec may list
domains it needs converted before it in `parameters: {needs: [EX, ...]}`. A spec without
sources builds its rows with a builder registered with `@builder(NAME)` (sdtm.algorithms) and
named in `parameters: {builder: NAME}` (trial design, RELREC); its variables' algorithms then
run as for any domain.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

import pandas as pd

from sdtm.algorithms import (
    BUILDER_PARAMETERS,
    BUILDERS,
    PARAMETERS,
    REGISTRY,
    Call,
    Context,
    compute_ct,
    reads,
    rows_of,
    run,
)
from sdtm.raw_columns import with_optional_columns
from specs.errors import InputError, Problem, SpecError
from specs.model import DatasetSpec, Rule, SourceBlock, Study, Variable
from specs.schema import closest

# Modules whose import registers algorithms; the engine imports each one explicitly.
ALGORITHM_MODULES = ("sdtm.algorithms", "sdtm.derivations", "sdtm.dm", "sdtm.relrec", "sdtm.findings",
                     "sdtm.trial_design")
TRACE = ("_FORM", "_ROW", "_FOLDER")
FIRST = ("DM", "SE", "SV")
# The `with:` keys whose value names a field of the rule's raw form (sdtm.algorithms reads them
# with `text`); a nested rule's fields belong to the form its parent names in `form:`, if any.
FIELD_KEYS = ("field", "date", "time", "answered")


def load_algorithms() -> None:
    for name in ALGORITHM_MODULES:
        importlib.import_module(name)


def domain_order(study: Study) -> list[str]:
    """Domains in conversion order: DM, SV, then by name with declared `needs` first."""
    names = sorted(_converted(study), key=lambda n: (n not in FIRST, FIRST.index(n) if n in FIRST else 0, n))
    done: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done or name not in study.sdtm:
            return
        if name in path:
            raise Context(study, study.sdtm[name], {}).spec_error(
                f"circular `needs`: {' -> '.join((*path, name))}")
        for need in study.sdtm[name].parameters.get("needs", ()):
            visit(need, (*path, name))
        done.append(name)

    for name in names:
        visit(name, ())
    return done


def _converted(study: Study) -> list[str]:
    """Datasets the engine builds from specs; SUPP-- come with their parent domain."""
    parents = {f"SUPP{s.name}" for s in study.sdtm.values() if s.supplemental}
    return [n for n in study.sdtm if n not in parents]


def convert(study: Study, raw: Mapping[str, pd.DataFrame],
            progress: Callable[[str], None] | None = None) -> dict[str, pd.DataFrame]:
    """All SDTM domains of `study` (with their SUPP-- datasets) from the raw forms."""
    from sdtm.supp import derive_supp, split_long_text

    load_algorithms()
    problems = check_rules(study)
    if problems:
        raise SpecError(problems)
    raw = with_optional_columns(study, raw)
    out: dict[str, pd.DataFrame] = {}
    for name in domain_order(study):
        if progress:
            progress(name)
        spec = study.sdtm[name]
        # Text over 200 characters continues in SUPP-- (SDTMIG 4.5.3.2), also of a domain that
        # declares no qualifier.
        frame = split_long_text(convert_domain(study, spec, raw, out), spec)
        supp = derive_supp(frame, spec, study.studyid)
        if spec.supplemental or len(supp):
            out[f"SUPP{name}"] = supp
        out[name] = frame.drop(columns=[c for c in frame.columns if c.startswith("_Q_")])
    return out


def check_rules(study: Study) -> list[Problem]:
    """Every SDTM rule's algorithm is registered, takes the parameters its `with:` gives (and is
    given those it needs), and every field its `with:` names is on its form: found before anything
    is converted, each problem at the rule's line in its spec (a library spec's when inherited)."""
    load_algorithms()
    problems: list[Problem] = []
    for spec in study.sdtm.values():
        for block in spec.sources:
            for target, rule in block.map.items():
                problems += [Problem(rule.file or spec.file, rule.line, f"{spec.name}.{target}: {message}")
                             for message in _rule_problems(rule, block.form, study)]
        for variable in spec.variables:
            if not variable.algorithm:
                continue
            messages = ([f"unknown algorithm {variable.algorithm!r}{closest(variable.algorithm, REGISTRY)}"]
                        if variable.algorithm not in REGISTRY else
                        PARAMETERS[variable.algorithm].problems(variable.params, variable.algorithm))
            where = (variable.file or spec.file, variable.line)
            problems += [Problem(*where, f"{spec.name}.{variable.name}: {m}") for m in messages]
        name = spec.parameters.get("builder")
        if name in BUILDER_PARAMETERS:
            # `parameters:` also holds keys that are no builder's (needs, from_analysis, shared maps),
            # so only what the builder needs can be checked here.
            needed = BUILDER_PARAMETERS[name].required
            problems += [Problem(*spec.place("parameters"), f"{spec.name}: builder {name} needs parameter "
                                 f"{key!r} ({BUILDER_PARAMETERS[name].described[key]})")
                         for key in needed if key not in spec.parameters]
    return problems


def _rule_problems(rule: Rule | Mapping, form: str, study: Study) -> list[str]:
    """What is wrong with one source rule (a Rule, or a nested rule mapping in `with:`)."""
    if isinstance(rule, Rule):
        algorithm, params = rule.algorithm, rule.params
    else:
        algorithm, params = rule["algorithm"], rule.get("with") or {}
        params = {**params, "field": rule["field"]} if rule.get("field") else params
    problems = []
    if algorithm not in REGISTRY:
        problems.append(f"unknown algorithm {algorithm!r}{closest(algorithm, REGISTRY)}")
    else:
        given = {**params, "field": True} if isinstance(rule, Rule) and rule.field else params
        problems += PARAMETERS[algorithm].problems(given, algorithm)
    fields = study.forms[form].field_names() if form in study.forms else None
    for key in FIELD_KEYS:
        name = params.get(key)
        if fields is not None and isinstance(name, str) and name not in fields:
            problems.append(f"with: {key} {name!r} is not a field of form {form}{closest(name, fields)}")
    inner_form = params.get("form") if isinstance(params.get("form"), str) else form
    for value in params.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping) and "algorithm" in item:
                problems += _rule_problems(item, inner_form, study)
    return problems


def convert_domain(study: Study, spec: DatasetSpec, raw: Mapping[str, pd.DataFrame],
                   done: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One domain from the raw forms; `done` holds the domains converted before it."""
    load_algorithms()
    ctx = Context(study, spec, raw, dict(done or {}))
    blocks = [map_block(block, ctx) for block in spec.sources]
    if blocks:
        frame = pd.concat(blocks, ignore_index=True) if len(blocks) > 1 else blocks[0]
    elif spec.parameters.get("builder"):
        name = spec.parameters["builder"]
        if name not in BUILDERS:
            raise ctx.spec_error(f"unknown builder {name!r}; registered: {', '.join(sorted(BUILDERS))}")
        frame = BUILDERS[name](ctx)
    else:
        frame = pd.DataFrame(index=pd.RangeIndex(0))
    frame = frame.reset_index(drop=True)
    for variable in derivation_order(spec):
        call = Call(variable.name, variable.algorithm, None, variable.params)
        frame[variable.name] = run(frame, call, ctx).array
    frame = _typed(frame, spec)
    keys = [k for k in spec.keys if k in frame.columns]
    if keys:
        frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    extra = [c for c in frame.columns if c.startswith("_")]
    return frame[[*spec.variable_names(), *extra]]


def derivation_order(spec: DatasetSpec) -> list[Variable]:
    """The variables with a dataset-level algorithm, each after the ones it reads.

    What a call reads: every spec variable named in its `with:` (a value, a list item, or a
    word of a query such as `when: "QSTESTCD == 'QSALL'"`), plus what its algorithm reads
    implicitly (`seq` orders by the dataset keys). Variables that do not depend on each other
    keep spec order, so the spec lists variables in SDTMIG order whatever they need.
    """
    derived = {v.name: v for v in spec.variables if v.algorithm}
    needs = {name: (reads(Call(name, v.algorithm, None, v.params), spec) & derived.keys()) - {name}
             for name, v in derived.items()}
    done: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in path:
            cycle = " -> ".join((*path[path.index(name):], name))
            raise SpecError([Problem(spec.file, 0, f"{spec.name}: variables read each other: {cycle}")])
        for need in sorted(needs[name], key=list(derived).index):
            visit(need, (*path, name))
        done.append(name)

    for name in derived:
        visit(name, ())
    return [derived[name] for name in done]


def map_block(block: SourceBlock, ctx: Context) -> pd.DataFrame:
    """The target columns one source block fills, with the trace of each raw record."""
    spec = ctx.spec
    if block.form not in ctx.raw:
        raise InputError(f"form {block.form!r} is missing from the raw data; {spec.name} needs it "
                         f"(spec {spec.file})", file=f"{block.form}.csv")
    records = ctx.raw[block.form]
    if block.where:
        try:
            keep = records.eval(block.where, engine="python") if len(records) else []
        except Exception as exc:  # a bad query is a spec problem, whatever pandas raised
            raise ctx.spec_error(f"source {block.form}: where `{block.where}` cannot be evaluated: "
                                 f"{exc}") from exc
        records = records[pd.Series(keep, index=records.index, dtype=bool)]
    if block.distinct:
        unknown = [f for f in block.distinct if f not in records.columns]
        if unknown:
            raise ctx.spec_error(f"source {block.form}: distinct names {unknown}, which the form "
                                 f"does not have")
        records = records[~records.duplicated(list(block.distinct), keep="first")]
    columns = {
        target: run(records, Call(target, rule.algorithm, rule.field, rule.params, block.form), ctx)
        for target, rule in block.map.items()
    }
    frame = pd.DataFrame(columns, index=records.index)
    frame["_FORM"] = block.form
    frame["_ROW"] = (pd.to_numeric(records["_ROW"]).astype("int64") if "_ROW" in records
                     else pd.Series(range(1, len(records) + 1), index=records.index))
    frame["_FOLDER"] = (records["FOLDER"].astype("string").fillna("").str.strip()
                        if "FOLDER" in records else "")
    for q in spec.supplemental:
        if q.field in records.columns:
            values = records[q.field].astype("string").fillna("").str.strip()
            if q.codelist:
                values = _qualifier_ct(values, records, q.codelist, q.qnam, block.form, ctx)
            frame[f"_Q_{q.qnam}"] = values
    return frame


def _qualifier_ct(values: pd.Series, records: pd.DataFrame, codelist: str, qnam: str, form: str,
                  ctx: Context) -> pd.Series:
    mapped, unmapped = compute_ct(values, ctx.codelist(codelist))
    if unmapped.any():
        cl = ctx.codelist(codelist)
        raise InputError(
            f"SUPP{ctx.spec.name}.{qnam}: terms not in codelist {codelist}: "
            f"{sorted(values[unmapped].unique())}", file=f"{form}.csv",
            row=rows_of(records, unmapped)[0], value=values[unmapped].iloc[0],
            expected=f"one of {', '.join(cl.values())}",
        )
    return mapped


def _typed(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """Every spec variable present and of its type: Char text with "", Num float64 with NaN."""
    out = {}
    for v in spec.variables:
        if v.name not in frame.columns:
            out[v.name] = (pd.Series(float("nan"), index=frame.index) if v.type == "Num"
                           else pd.Series("", index=frame.index, dtype="str"))
            continue
        column = frame[v.name]
        if v.type == "Num":
            if pd.api.types.is_numeric_dtype(column):
                out[v.name] = column.astype("float64")
                continue
            textual = column.astype("string").fillna("").str.strip()
            numbers = pd.to_numeric(textual.where(textual != ""), errors="coerce")
            bad = (textual != "") & numbers.isna()
            if bad.any():
                i = bad.to_numpy().nonzero()[0][0]
                raise InputError(
                    f"{spec.name}.{v.name} must be numeric", file=_file_of(frame, i),
                    row=int(frame["_ROW"].iloc[i]) if "_ROW" in frame else None,
                    value=textual.iloc[i], expected="a number",
                )
            out[v.name] = numbers.astype("float64")
        else:
            out[v.name] = column.astype("string").fillna("").astype("str")
    rest = frame[[c for c in frame.columns if c not in out]]
    return pd.concat([pd.DataFrame(out, index=frame.index), rest], axis=1)


def _file_of(frame: pd.DataFrame, i: int) -> str | None:
    return f"{frame['_FORM'].iloc[i]}.csv" if "_FORM" in frame and frame["_FORM"].iloc[i] else None
