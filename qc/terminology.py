"""CDISC Controlled Terminology checks, as a reviewer's validator makes them (Pinnacle 21 CT2001-CT2006).

A value outside a non-extensible CDISC codelist is an error (CT2001); outside an extensible one a
warning (CT2002), unless the sponsor declares it: a term the study's codelist adds, or a value the
define.xml codelist of the variable lists. Paired variables (--TESTCD/--TEST, --PARMCD/--PARM,
PARAMCD/PARAM) take terms with one C-code (CT2003). CT2004-CT2006 are the same where a value-level
condition chose the codelist (DSDECOD by DSCAT, TSVAL by TSPARMCD, the value lists of the specs or
define.xml). A value outside a sponsor's own codelist is SD0037 (SD1228 under a value-level
condition). Case and leading or trailing blanks count; a missing value is not checked.

Which codelist applies: the metadata's (study specs or define.xml: value-level slices first, the
variable's codelist for the records no slice covers), else the implementation guide's
(specs/ct/conditions.yaml, else the IG variable's codelist, through the CT package in use). A
sponsor codelist on a variable for which the IG names a CDISC codelist is checked as the sponsor's
declaration of extensions to that codelist.

Each variable is judged once per distinct combination of its value and the values its conditions
read (pandas factorizes each column once per dataset); only the records of the combinations that
fail are looked up. With the shipped subset of CT (no package imported) a value outside the
subset cannot be judged: the rule is reported NOT RUN for those values, saying how to import the
package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import pandas as pd

from qc.frames import Datasets, blank, domain_of, is_adam, text
from qc.rules import ConformanceRule, Offence
from specs.guides import guide_variable
from specs.model import CHARACTER_RESULTS, Codelist, CtCondition, DatasetSpec
from specs.terminology import Terminology, how_to_import
from specs.vector import is_in

# rule → (severity, description); the value-level twin of each variable-level rule.
RULES = {
    "CT2001": ("error", "Value in its non-extensible CDISC codelist"),
    "CT2002": ("warning", "Value in its extensible CDISC codelist, or declared as a sponsor extension"),
    "CT2003": ("error", "Paired coded and decoded values (TESTCD/TEST) share one C-code in CDISC CT"),
    "CT2004": ("error", "Value in its non-extensible CDISC codelist, chosen by a value-level condition"),
    "CT2005": ("warning", "Value in its extensible CDISC codelist, chosen by a value-level condition"),
    "CT2006": ("error", "Paired values share one C-code, within a value-level condition"),
    "SD0037": ("warning", "Value in the sponsor's codelist of the variable"),
    "SD1228": ("warning", "Value in the sponsor's codelist, chosen by a value-level condition"),
}
VALUE_LEVEL = {"CT2001": "CT2004", "CT2002": "CT2005", "CT2003": "CT2006", "SD0037": "SD1228"}



@dataclass(frozen=True)
class CtInUse:
    """The CDISC CT packages a validation uses (SDTM, ADaM) and what to tell about them."""

    packages: tuple[Terminology, ...]
    notes: tuple[str, ...] = ()

    def codelist(self, key: str) -> Codelist | None:
        for package in self.packages:
            found = package.codelist(key)
            if found is not None:
                return found
        return None

    def labels(self) -> str:
        return ", ".join(p.source.label for p in self.packages) or "no CDISC CT"


@dataclass(frozen=True)
class Slice:
    """What the values of one variable on some records are checked against."""

    variable: str
    where: Mapping[str, tuple[str, ...]] | None  # None: no value-level condition
    cdisc: tuple[Codelist, ...] = ()  # a value from any of these is CDISC CT
    declared: frozenset[str] = frozenset()  # values the sponsor declares (its codelist's terms)
    sponsor: Codelist | None = None  # the sponsor's own codelist, when it is not CDISC CT
    unknown: tuple[str, ...] = ()  # CDISC codelists named that the CT in use does not hold
    null: str | None = None  # only records where this variable is null (see CHARACTER_RESULTS)

    @property
    def value_level(self) -> bool:
        return self.where is not None or self.null is not None


@dataclass
class _Result:
    rows: dict[str, list[pd.DataFrame]] = field(default_factory=dict)  # rule → offending rows
    unchecked: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # rule → variable → values


def terminology_rules(metadata_specs: Mapping[str, DatasetSpec], codelists: Mapping[str, Codelist],
                      ct: CtInUse, standard: Mapping[str, DatasetSpec | None],
                      conditions: Mapping[tuple[str, str], CtCondition]) -> list[ConformanceRule]:
    """The CT rules as conformance rules over the datasets they will be given.

    `metadata_specs` are the specs the study or define.xml declares, by dataset; `codelists` the
    codelists they name; `standard` the implementation guide's spec of each dataset (for the IG's
    codelists); `conditions` specs/ct/conditions.yaml. The datasets are judged once, on the first
    rule's call. A rule with values it could not judge on a dataset is NOT RUN there (beside its
    findings, if any), never passed.
    """
    cache: dict[str, dict[str, _Result]] = {}

    def offences(rule: str, data: Datasets) -> list[Offence]:
        if "results" not in cache:
            cache["results"] = {
                name: _judge(name, frame, metadata_specs.get(name), standard.get(name), codelists, ct,
                             conditions)
                for name, frame in sorted(data.items())}
        out = []
        for name, result in cache["results"].items():
            rows = result.rows.get(rule)
            unchecked = result.unchecked.get(rule)
            if rows or (rows is not None and not unchecked):
                found = pd.concat(rows) if rows else None
                out.append(Offence(name, found, note=f"checked against {ct.labels()}"))
            if unchecked:
                out.append(Offence(name, not_run=_not_run_reason(unchecked, ct)))
        return out

    return [ConformanceRule(id=rule, severity=severity, message="{message}", description=description,
                            needs=("--.* with a codelist",), check=partial(offences, rule), p21_id=rule)
            for rule, (severity, description) in RULES.items()]


def _not_run_reason(unchecked: Mapping[str, set[str]], ct: CtInUse) -> str:
    shown = "; ".join(f"{variable}: {', '.join(repr(v) for v in sorted(values)[:5])}"
                      + (f" and {len(values) - 5} more" if len(values) > 5 else "")
                      for variable, values in sorted(unchecked.items()))
    hint = next((how_to_import(p.source.standard) for p in ct.packages if not p.source.complete),
                "import a CDISC CT package that holds the codelist (clinforge ct import)")
    return f"values not in {ct.labels()} could not be checked ({shown}). {hint}"


# --- which codelists apply ------------------------------------------------------------------

def slices(name: str, frame: pd.DataFrame, spec: DatasetSpec | None, standard: DatasetSpec | None,
           codelists: Mapping[str, Codelist], ct: CtInUse,
           conditions: Mapping[tuple[str, str], CtCondition]) -> dict[str, tuple[list[Slice], list[Slice]]]:
    """By variable: the metadata's value-level slices, and the slices of the records they leave."""
    columns = set(frame.columns)
    domain = domain_of(name, frame)
    out: dict[str, tuple[list[Slice], list[Slice]]] = {}
    for variable in frame.columns:
        if str(variable).startswith("_"):
            continue
        levels: list[Slice] = []
        for level in (spec.value_level if spec else ()):
            if level.variable == variable and level.codelist and set(level.where) <= columns:
                levels += _declared(variable, dict(level.where), level.codelist, (), codelists, ct)
        declared = spec.variable(variable) if spec else None
        guide = _guide_slices(variable, domain, name, frame, standard, codelists, ct, conditions)
        rest = (_declared(variable, None, declared.codelist, guide, codelists, ct)
                if declared is not None and declared.codelist else guide)
        numeric = variable[:-len(CHARACTER_RESULTS[0])] + CHARACTER_RESULTS[1]
        if variable.endswith(CHARACTER_RESULTS[0]) and numeric in columns:
            rest = [replace(piece, null=numeric) for piece in rest]
        if levels or rest:
            out[variable] = (levels, rest)
    return out


def _declared(variable: str, where: Mapping[str, tuple[str, ...]] | None, name: str,
              guide: Sequence[Slice], codelists: Mapping[str, Codelist], ct: CtInUse) -> list[Slice]:
    """Slices of a codelist the metadata names: CDISC CT (with the sponsor's added terms), or a
    sponsor codelist, checked as such and as the sponsor's extensions of the IG's CDISC codelists."""
    codelist = codelists.get(name)
    if codelist is None:
        return [Slice(variable, where, unknown=(name,))]
    base = None
    if codelist.source is not None or codelist.c_code:
        base = ct.codelist(codelist.c_code or codelist.name)
    if base is not None:
        return [Slice(variable, where, cdisc=(base,), declared=frozenset(codelist.values()))]
    if codelist.source is not None:
        return [Slice(variable, where, unknown=(codelist.name,))]
    if not codelist.terms:
        # An external dictionary (MedDRA, WHODrug: define.xml ExternalCodeList) lists no terms.
        return [] if where is not None else list(guide)
    values = frozenset(codelist.values())
    own = [Slice(variable, where, sponsor=codelist)]
    if where is not None:
        return own
    return own + [Slice(g.variable, g.where, g.cdisc, values, None, g.unknown) for g in guide]


def _guide_slices(variable: str, domain: str, name: str, frame: pd.DataFrame, standard: DatasetSpec | None,
                  codelists: Mapping[str, Codelist], ct: CtInUse,
                  conditions: Mapping[tuple[str, str], CtCondition]) -> list[Slice]:
    """The implementation guide's CDISC codelists of a variable (none for a variable it does not
    define, or for which the shipped standard names a sponsor codelist, e.g. TOXGR)."""
    condition = None if is_adam(name) else conditions.get((domain, variable))
    if condition is not None and condition.by:
        if condition.by not in frame.columns:
            return []
        choices = dict(condition.codelists)
        if condition.response_codelists:
            choices = _response_codelists(frame, condition.by, ct) | choices
        return [_cdisc(variable, {condition.by: (value,)}, (codelist,), codelists, ct)
                for value, codelist in sorted(choices.items())]
    if condition is not None and condition.any_of:
        return [_cdisc(variable, None, condition.any_of, codelists, ct)]
    guide = guide_variable(standard, variable)
    if guide is None or not guide.codelist:
        return []
    named = codelists.get(guide.codelist)
    if ct.codelist(guide.codelist) is None and named is not None and named.source is None:
        return []
    return [_cdisc(variable, None, (guide.codelist,), codelists, ct)]


def _cdisc(variable: str, where, names: Sequence[str], codelists: Mapping[str, Codelist],
           ct: CtInUse) -> Slice:
    """CDISC codelists, with the terms the study's codelists add to them as declared extensions."""
    found = [(n, ct.codelist(n)) for n in names]
    declared = set()
    for _, codelist in found:
        extended = codelists.get(codelist.name) if codelist is not None else None
        if extended is not None and extended.sponsor:
            declared |= set(extended.values())
    return Slice(variable, where, cdisc=tuple(c for _, c in found if c is not None),
                 declared=frozenset(declared), unknown=tuple(n for n, c in found if c is None))


def _response_codelists(frame: pd.DataFrame, by: str, ct: CtInUse) -> dict[str, str]:
    """TS: parameter → the package's response codelist of the same short name (TPHASE → TPHASE,
    'Trial Phase Response'), or NY for an indicator (its TSPARM ends 'Indicator' or 'Ind')."""
    parameters = ct.codelist("TSPARMCD")
    out = {}
    for value in text(frame[by]).drop_duplicates():
        term = parameters.term(value) if parameters is not None else None
        if term is None:
            continue
        response = ct.codelist(value)
        if response is not None and response.name == value and response.label.endswith(" Response"):
            out[value] = value
        elif re.search(r" (Indicator|Ind)$", term.decode or ""):
            out[value] = "NY"
    return out


# --- judging the values -------------------------------------------------------------------

class _Distinct:
    """The distinct combinations of some columns of a dataset (`rows`, one per combination), and
    which records each stands for: the values are judged once per combination, not per record."""

    def __init__(self, frame: pd.DataFrame, columns: Sequence[str], codes_of):
        combined = codes_of(columns[0])
        for column in columns[1:]:
            part = codes_of(column)
            combined, _ = pd.factorize(combined.astype(np.int64) * (int(part.max(initial=0)) + 1) + part)
        self.codes = combined
        first = pd.Series(combined).drop_duplicates().index.to_numpy()
        self.rows = frame[list(columns)].iloc[first].reset_index(drop=True)

    def records(self, combinations) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the records of these combinations, and the combination of each."""
        positions = np.flatnonzero(np.isin(self.codes, np.asarray(list(combinations))))
        return positions, self.codes[positions]


def _judge(name: str, frame: pd.DataFrame, spec: DatasetSpec | None, standard: DatasetSpec | None,
           codelists: Mapping[str, Codelist], ct: CtInUse,
           conditions: Mapping[tuple[str, str], CtCondition]) -> _Result:
    result = _Result()
    # pandas deep-copies a frame's attrs (dataset labels ...) into every column taken from it.
    frame = frame.copy(deep=False)
    frame.attrs = {}
    by_variable = slices(name, frame, spec, standard, codelists, ct, conditions)
    factorized: dict[str, np.ndarray] = {}

    def codes_of(column: str) -> np.ndarray:
        if column not in factorized:
            factorized[column] = pd.factorize(frame[column], use_na_sentinel=False)[0]
        return factorized[column]

    for variable, (levels, rest) in by_variable.items():
        columns = dict.fromkeys([variable, *(c for p in levels + rest for c in (p.where or ())),
                                 *(p.null for p in rest if p.null)])
        distinct = _Distinct(frame, list(columns), codes_of)
        rows = distinct.rows
        values = _values(rows[variable])
        present = ~blank(rows[variable])
        covered = pd.Series(False, index=rows.index)
        for piece in levels:
            where = _where(rows, piece.where)
            _judge_slice(result, variable, values, present & where, piece, distinct)
            covered |= where
        left = present & ~covered
        for piece in rest:
            mask = left if piece.where is None else left & _where(rows, piece.where)
            if piece.null is not None:
                mask &= blank(rows[piece.null])
            _judge_slice(result, variable, values, mask, piece, distinct)
    _judge_pairs(result, frame, {v: levels + rest for v, (levels, rest) in by_variable.items()}, codes_of)
    return result


def _where(frame: pd.DataFrame, where: Mapping[str, tuple[str, ...]]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, values in where.items():
        mask &= is_in(text(frame[column]), values)
    return mask


def _values(values: pd.Series) -> pd.Series:
    """Values as the text compared with the codelist: as they are (case and blanks count), numbers
    without a trailing .0."""
    if pd.api.types.is_numeric_dtype(values):
        return text(values)
    return values.astype("str")


def _judge_slice(result: _Result, variable: str, values: pd.Series, mask: pd.Series, piece: Slice,
                 distinct: _Distinct) -> None:
    seen = set(values[mask].drop_duplicates())
    if not seen:
        return
    level = piece.value_level
    if piece.sponsor is not None:
        rule = VALUE_LEVEL["SD0037"] if level else "SD0037"
        allowed = set(piece.sponsor.values())
        bad = {v: f"{variable} value {v!r} is not in the sponsor's codelist {piece.sponsor.name}"
                  f"{_condition(piece)}" for v in seen - allowed}
        _record(result, rule, variable, values, mask, bad, distinct)
        return
    if not piece.cdisc and not piece.unknown:
        return
    in_ct = set().union(*(c.values() for c in piece.cdisc)) if piece.cdisc else set()
    outside = seen - in_ct
    extensible = any(c.extensible for c in piece.cdisc)
    judgeable = not piece.unknown and all(c.source is None or c.source.complete for c in piece.cdisc)
    strict = "CT2004" if level else "CT2001"
    loose = "CT2005" if level else "CT2002"
    strict_bad, loose_bad, unchecked = {}, {}, set()
    for value in sorted(outside):
        declared = value in piece.declared
        if declared and not extensible and piece.cdisc:
            strict_bad[value] = (f"{variable} value {value!r}, which the sponsor's codelist declares, is "
                                 f"not in non-extensible codelist {_names(piece)}{_condition(piece)}")
        elif declared and extensible:
            continue
        elif not judgeable:
            unchecked.add(value)
        elif extensible:
            loose_bad[value] = (f"{variable} value {value!r} is not in extensible codelist "
                                f"{_names(piece)}{_condition(piece)} and is not declared as a sponsor "
                                f"extension")
        else:
            strict_bad[value] = (f"{variable} value {value!r} is not in non-extensible codelist "
                                 f"{_names(piece)}{_condition(piece)}")
    rule = loose if extensible else strict
    result.rows.setdefault(rule, [])
    _record(result, strict, variable, values, mask, strict_bad, distinct)
    _record(result, loose, variable, values, mask, loose_bad, distinct)
    if unchecked:
        result.unchecked.setdefault(rule, {}).setdefault(variable, set()).update(unchecked)


def _names(piece: Slice) -> str:
    named = [f"{c.name} ({c.c_code}, {c.source.label})" if c.source else f"{c.name} ({c.c_code})"
             for c in piece.cdisc]
    return " or ".join(named)


def _condition(piece: Slice) -> str:
    parts = [f"{k} = {' or '.join(v)}" for k, v in (piece.where or {}).items()]
    parts += [f"{piece.null} is null"] if piece.null else []
    return " where " + " and ".join(parts) if parts else ""


def _record(result: _Result, rule: str, variable: str, values: pd.Series, mask: pd.Series,
            bad: Mapping[str, str], distinct: _Distinct) -> None:
    """The records whose (distinct) values `bad` names, within `mask`, as offending rows."""
    result.rows.setdefault(rule, [])
    if not bad:
        return
    found = values[mask & values.isin(list(bad))]
    positions, combination = distinct.records(found.index)
    value = found.loc[combination].to_numpy()
    result.rows[rule].append(pd.DataFrame(
        {"variable": variable, "value": value, "message": [bad[v] for v in value]}, index=positions))


def _judge_pairs(result: _Result, frame: pd.DataFrame, by_variable: Mapping[str, list[Slice]],
                 codes_of) -> None:
    """CT2003/CT2006: each distinct (code, name) pair's terms have one C-code."""
    for coded, pieces in by_variable.items():
        decoded = coded[:-2]
        if not coded.endswith("CD") or decoded not in by_variable:
            continue
        coded_lists = [c for p in pieces for c in p.cdisc]
        decoded_lists = [c for p in by_variable[decoded] for c in p.cdisc]
        if not coded_lists or not decoded_lists:
            continue
        level = any(p.value_level for p in pieces + by_variable[decoded])
        rule = VALUE_LEVEL["CT2003"] if level else "CT2003"
        result.rows.setdefault(rule, [])
        distinct = _Distinct(frame, [coded, decoded], codes_of)
        rows = distinct.rows
        present = ~blank(rows[coded]) & ~blank(rows[decoded])
        x_values, y_values = _values(rows[coded]), _values(rows[decoded])
        bad = {}
        for number in np.flatnonzero(present.to_numpy()):
            x, y = x_values.iloc[number], y_values.iloc[number]
            x_codes = {t.c_code for c in coded_lists if (t := c.term(x)) and t.c_code}
            y_codes = {t.c_code for c in decoded_lists if (t := c.term(y)) and t.c_code}
            if x_codes and y_codes and not x_codes & y_codes:
                bad[number] = (f"{x}/{y}", f"{coded} {x!r} ({'/'.join(sorted(x_codes))}) and {decoded} "
                                           f"{y!r} ({'/'.join(sorted(y_codes))}) are not one term of "
                                           f"CDISC CT ({_pair_names(coded_lists)} / "
                                           f"{_pair_names(decoded_lists)})")
        if bad:
            positions, combination = distinct.records(bad)
            result.rows[rule].append(pd.DataFrame(
                {"variable": f"{coded}/{decoded}", "value": [bad[c][0] for c in combination],
                 "message": [bad[c][1] for c in combination]}, index=positions))


def _pair_names(codelists: Sequence[Codelist]) -> str:
    return " or ".join(f"{c.name} {c.c_code}" for c in codelists)
