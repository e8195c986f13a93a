"""The check operators of the CORE rule format, each registered once and vectorised.

An operator takes the table and one condition (`name` is the target, `value` the comparator,
other keys its parameters) and returns one boolean per row: True where the condition holds.
Where CORE defines an operator's complement as its negation, both names are registered together
(`complement=`); operators whose complement treats missing values differently are separate.
Semantics follow CORE's DataframeType (cdisc_rules_engine/check_operators): for instance
`equal_to` is False when both sides are null, `not_equal_to` True when exactly one is.
"""

from __future__ import annotations

import operator as op
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from qc.engine.ordering import sorted_by
from qc.engine.table import Grouped, Table, constant
from qc.engine.values import (
    PARTS,
    as_number,
    as_text,
    date_parts,
    holds_lists,
    is_complete_date,
    is_null,
    per_value,
    regex_part,
    timestamps,
)
from specs.vector import per_distinct

Operator = Callable[[Table, dict], pd.Series]
OPERATORS: dict[str, Operator] = {}


def operator(name: str, complement: str | None = None) -> Callable[[Operator], Operator]:
    def register(fn: Operator) -> Operator:
        OPERATORS[name] = fn
        if complement:
            OPERATORS[complement] = lambda table, condition: ~fn(table, condition)
        return fn

    return register


def _target(table: Table, condition: dict) -> pd.Series:
    return table.column(condition["name"])


def _comparator(table: Table, condition: dict) -> Any:
    return table.operand(condition.get("value"), literal=bool(condition.get("value_is_literal")))


def _series(table: Table, value: Any) -> pd.Series:
    if isinstance(value, pd.Series):
        return value
    return constant(value, table.frame.index)


def _false(table: Table) -> pd.Series:
    return pd.Series(False, index=table.frame.index)


# --- presence -----------------------------------------------------------------------------------

@operator("exists", complement="not_exists")
def exists(table: Table, condition: dict) -> pd.Series:
    return pd.Series(table.has(condition["name"]), index=table.frame.index)


@operator("empty", complement="non_empty")
def empty(table: Table, condition: dict) -> pd.Series:
    return is_null(_target(table, condition))


# --- equality and order -------------------------------------------------------------------------

def _pair(table: Table, condition: dict) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Target and comparator as comparable columns, and where both are null."""
    target = _target(table, condition)
    other = _comparator(table, condition)
    if condition.get("value_is_reference"):
        # The comparator column holds variable names (IDVAR): compare with the named variable,
        # null where the record names none or a variable the table lacks.
        names = as_text(table.column(condition["value"]))
        other = pd.Series(None, index=target.index, dtype=object)
        for name in names[names != ""].unique():
            if table.has(name):
                rows = names == name
                other[rows] = table.column(name)[rows]
    # A literal is prepared once, as a one-row column, and compared as a scalar: broadcast to
    # every row it would cost a text conversion per record.
    scalar = not isinstance(other, pd.Series | list | tuple | set | dict)
    other = pd.Series([other], dtype=object) if scalar else _series(table, other)
    both_null = is_null(target) & (bool(is_null(other).iloc[0]) if scalar else is_null(other))
    if condition.get("round_values"):
        target, other = as_number(target).round(), as_number(other).round()
    if condition.get("type_insensitive") or _mixed(target, other):
        target, other = _normal_text(target), _normal_text(other)
    elif not _numeric(target):
        target, other = as_text(target), as_text(other)
    else:
        other = as_number(other)
    return target, (other.iloc[0] if scalar else other), both_null


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values)


def _mixed(target: pd.Series, other: pd.Series) -> bool:
    """A number against text (VISITNUM = 1 in text data): compared as text, as CORE's str()
    conversion of both sides does for type-insensitive comparisons."""
    return _numeric(target) != _numeric(other)


def _normal_text(values: pd.Series) -> pd.Series:
    """Text without trailing zeros of decimals ('1.0' and '1' alike), for type-insensitive tests.
    A number padded with blanks ('   2', as XPT IDVARVAL often is) is the number, as CORE's
    float() conversion reads it."""
    out = as_text(values)
    stripped = out.str.strip()
    out = out.where(~stripped.str.fullmatch(r"-?\d+(\.\d*)?"), stripped)
    return out.str.replace(r"^(-?\d+)\.0*$", r"\1", regex=True).str.replace(r"^(-?\d+\.\d*?)0+$", r"\1",
                                                                            regex=True)


def _equality(case_insensitive: bool, negate: bool) -> Operator:
    def check(table: Table, condition: dict) -> pd.Series:
        target, other, both_null = _pair(table, condition)
        if case_insensitive:
            target = as_text(target).str.lower()
            other = as_text(other).str.lower() if isinstance(other, pd.Series) else str(other).lower()
        same = pd.Series(target == other, index=target.index).fillna(False).astype(bool)
        return ~both_null & (~same if negate else same)

    return check


OPERATORS["equal_to"] = _equality(False, False)
OPERATORS["not_equal_to"] = _equality(False, True)
OPERATORS["equal_to_case_insensitive"] = _equality(True, False)
OPERATORS["not_equal_to_case_insensitive"] = _equality(True, True)


def _order(compare: Callable) -> Operator:
    def check(table: Table, condition: dict) -> pd.Series:
        target = as_number(_target(table, condition))
        other = _comparator(table, condition)
        other = as_number(other) if isinstance(other, pd.Series) else pd.to_numeric(other, errors="coerce")
        return pd.Series(compare(target, other), index=table.frame.index).fillna(False).astype(bool)

    return check


for _name, _compare in (("less_than", op.lt), ("less_than_or_equal_to", op.le),
                        ("greater_than", op.gt), ("greater_than_or_equal_to", op.ge)):
    OPERATORS[_name] = _order(_compare)


# --- text ---------------------------------------------------------------------------------------

def _regex(table: Table, condition: dict, part: Callable[[pd.Series], pd.Series], negate: bool
           ) -> pd.Series:
    target = _target(table, condition)
    pattern = str(condition.get("value"))
    # once per distinct value: a column of a large dataset holds few
    matched = per_value(lambda values: part(as_text(values)).str.match(pattern, na=False), target)
    present = ~target.isna()
    return present & (~matched if negate else matched)


def _prefix(condition: dict) -> Callable[[pd.Series], pd.Series]:
    return lambda text: text.str[: int(condition["prefix"])]


def _suffix(condition: dict) -> Callable[[pd.Series], pd.Series]:
    return lambda text: text.str[-int(condition["suffix"]):]


def _search_part(part: Callable[[dict], Callable], negate: bool) -> Operator:
    def check(table: Table, condition: dict) -> pd.Series:
        # CORE searches the prefix/suffix (re.search), where matches_regex anchors at the start.
        pattern = str(condition.get("value"))
        cond = {**condition, "value": f".*?(?:{pattern})"}
        return _regex(table, cond, part(condition), negate)

    return check


OPERATORS["matches_regex"] = lambda t, c: _regex(t, c, lambda s: s, False)
OPERATORS["not_matches_regex"] = lambda t, c: _regex(t, c, lambda s: s, True)
OPERATORS["prefix_matches_regex"] = _search_part(_prefix, False)
OPERATORS["not_prefix_matches_regex"] = _search_part(_prefix, True)
OPERATORS["suffix_matches_regex"] = _search_part(_suffix, False)
OPERATORS["not_suffix_matches_regex"] = _search_part(_suffix, True)


def _text_operand(table: Table, condition: dict) -> pd.Series:
    return as_text(_series(table, _comparator(table, condition)))


@operator("starts_with")
def starts_with(table: Table, condition: dict) -> pd.Series:
    """The target starts with the comparator; a comparator column offers all its values at once
    (CORE passes them to str.startswith as a tuple)."""
    target, other = as_text(_target(table, condition)), _comparator(table, condition)
    prefixes = set(as_text(other)) - {""} if isinstance(other, pd.Series) else {_literal_text(other)}
    return _starts_with_any(target, {str(p) for p in prefixes})


def _starts_with_any(target: pd.Series, prefixes: set[str]) -> pd.Series:
    found = pd.Series(False, index=target.index)
    for length in {len(p) for p in prefixes}:
        found |= target.str[:length].isin({p for p in prefixes if len(p) == length})
    return found


@operator("ends_with")
def ends_with(table: Table, condition: dict) -> pd.Series:
    target, other = as_text(_target(table, condition)), _text_operand(table, condition)
    return target.str.endswith(other.iloc[0] if len(other) else "")


def _part_equal(part: Callable[[dict], Callable], negate: bool) -> Operator:
    def check(table: Table, condition: dict) -> pd.Series:
        target = part(condition)(as_text(_target(table, condition)))
        same = target == _text_operand(table, condition)
        return ~same if negate else same

    return check


OPERATORS["prefix_equal_to"] = _part_equal(_prefix, False)
OPERATORS["prefix_not_equal_to"] = _part_equal(_prefix, True)
OPERATORS["suffix_equal_to"] = _part_equal(_suffix, False)
OPERATORS["suffix_not_equal_to"] = _part_equal(_suffix, True)


def _length(compare: Callable) -> Operator:
    def check(table: Table, condition: dict) -> pd.Series:
        target = as_text(_target(table, condition)).str.len()
        other = _comparator(table, condition)
        if isinstance(other, pd.Series):
            other = as_number(other) if _numeric(other) else as_text(other).str.len()
        else:
            other = float(other)
        return pd.Series(compare(target, other), index=target.index).fillna(False).astype(bool)

    return check


for _name, _compare in (("longer_than", op.gt), ("longer_than_or_equal_to", op.ge),
                        ("shorter_than", op.lt), ("shorter_than_or_equal_to", op.le),
                        ("has_equal_length", op.eq), ("has_not_equal_length", op.ne)):
    OPERATORS[_name] = _length(_compare)


def _string_part(negate: bool) -> Operator:
    def check(table: Table, condition: dict) -> pd.Series:
        target = as_text(_target(table, condition))
        source = as_text(_series(table, _comparator(table, condition)))
        part = source.str.extract(f"({condition['regex']})" if "(" not in condition["regex"]
                                  else condition["regex"], expand=False)
        if isinstance(part, pd.DataFrame):
            part = part.iloc[:, 0]
        both_null = (target == "") & part.isna()
        same = (target == part).fillna(False).astype(bool)
        return ~both_null & (~same if negate else same)

    return check


OPERATORS["equals_string_part"] = _string_part(False)
OPERATORS["does_not_equal_string_part"] = _string_part(True)


# --- membership ---------------------------------------------------------------------------------

def _contained(table: Table, condition: dict, *, lower: bool = False,
               part: Callable[[pd.Series], pd.Series] | None = None) -> pd.Series:
    target = _target(table, condition)
    other = _comparator(table, condition)
    values = as_text(target) if not _numeric(target) else target
    if part is not None:
        values = part(as_text(target))
    if lower:
        values = as_text(values).str.lower()
    if isinstance(other, Grouped):
        return other.contains(table.frame, values)
    if isinstance(other, pd.Series) and holds_lists(other):
        # A list per row (an operation's result per group): membership row by row, exploded.
        members = _exploded(other)
        if lower or not _numeric(values):
            members = as_text(members).str.lower() if lower else as_text(members)
        return _row_has(values, members) & ~is_null(target)
    if isinstance(other, pd.Series):
        members = as_text(other).str.lower() if lower else (other if _numeric(values) else as_text(other))
        return values.isin(set(members))
    if isinstance(other, str | int | float):
        other = [other]
    members = [str(m).lower() if lower else m for m in (other or [])]
    if not _numeric(values):
        members = [_literal_text(m) for m in members]
    return values.isin(members) & ~target.isna()


def _literal_text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int | float) else value


def _exploded(values: pd.Series) -> pd.Series:
    """One row per list item, indexed by the row it came from (a non-list is one item)."""
    return values.explode().dropna()


def _row_has(values: pd.Series, members: pd.Series) -> pd.Series:
    """For each row: is its value among its own members (`members` indexed by row)?"""
    pairs = pd.MultiIndex.from_arrays([members.index, members.to_numpy()])
    rows = pd.MultiIndex.from_arrays([values.index, values.to_numpy()])
    return pd.Series(rows.isin(pairs), index=values.index)


OPERATORS["is_contained_by"] = lambda t, c: _contained(t, c)
OPERATORS["is_not_contained_by"] = lambda t, c: ~_contained(t, c)
OPERATORS["is_contained_by_case_insensitive"] = lambda t, c: _contained(t, c, lower=True)
OPERATORS["is_not_contained_by_case_insensitive"] = lambda t, c: ~_contained(t, c, lower=True)
OPERATORS["prefix_is_contained_by"] = lambda t, c: _contained(t, c, part=_prefix(c))
OPERATORS["prefix_is_not_contained_by"] = lambda t, c: ~_contained(t, c, part=_prefix(c))
OPERATORS["suffix_is_contained_by"] = lambda t, c: _contained(t, c, part=_suffix(c))
OPERATORS["suffix_is_not_contained_by"] = lambda t, c: ~_contained(t, c, part=_suffix(c))


def _list_operand(table: Table, value: Any) -> Any:
    """A comparator list with the operation results it names (`[$expected_variables]`) spliced in."""
    if not isinstance(value, list):
        return value
    out: list = []
    for item in value:
        resolved = table.values.get(item) if isinstance(item, str) and item.startswith("$") else item
        out += list(resolved) if isinstance(resolved, list | tuple | set) else [resolved]
    return out


@operator("contains", complement="does_not_contain")
def contains(table: Table, condition: dict) -> pd.Series:
    """The comparator is one of the target's items (a list per row), a substring of the target
    (a literal), or equals the target (a column)."""
    target = _target(table, condition)
    other = _comparator(table, condition)
    if holds_lists(target):
        items = as_text(_exploded(target))
        wanted = as_text(other).reindex(items.index) if isinstance(other, pd.Series) else _literal_text(other)
        return (items == wanted).groupby(level=0).any().reindex(target.index, fill_value=False)
    if isinstance(other, pd.Series):
        return as_text(target) == as_text(other)
    return as_text(target).str.contains(str(_literal_text(other)), regex=False)


@operator("contains_all", complement="not_contains_all")
def contains_all(table: Table, condition: dict) -> pd.Series:
    """Every comparator value occurs among the target's values in the whole column (CORE)."""
    target = _target(table, condition)
    other = _list_operand(table, _comparator(table, condition))
    wanted = set(as_text(other)) if isinstance(other, pd.Series) else {
        str(_literal_text(v)) for v in (other if isinstance(other, list) else [other])}
    present = set(as_text(_exploded(target) if holds_lists(target) else target).unique())
    return pd.Series(wanted <= present, index=table.frame.index)


@operator("shares_no_elements_with")
def shares_no_elements_with(table: Table, condition: dict) -> pd.Series:
    """The target's items (a list or one value per row) and the comparator's have none in common."""
    target = _raw(table, condition["name"])
    other = _raw(table, condition.get("value"))
    if isinstance(target, list) and isinstance(other, list):
        return pd.Series(not {str(t) for t in target} & {str(o) for o in other}, index=table.frame.index)
    if isinstance(target, list):
        target, other = other, target
    items = _items(table, target)
    if isinstance(other, list):
        common = items.isin({str(o) for o in other}).to_numpy()
    else:
        others = _items(table, other)
        common = pd.MultiIndex.from_arrays([items.index, items.to_numpy()]).isin(
            pd.MultiIndex.from_arrays([others.index, others.to_numpy()]))
    shared = pd.Series(common, index=items.index).groupby(level=0).any()
    return ~shared.reindex(table.frame.index, fill_value=False)


def _items(table: Table, value: Any) -> pd.Series:
    """A list-per-row or value-per-row operand as text items, indexed by row; blanks left out."""
    values = _series(table, value)
    items = as_text(_exploded(values) if holds_lists(values) else values)
    return items[items != ""]


@operator("is_ordered_subset_of", complement="is_not_ordered_subset_of")
def is_ordered_subset_of(table: Table, condition: dict) -> pd.Series:
    """Every item of the target list occurs in the comparator list, in the same order (CORE)."""
    target = _raw(table, condition["name"])
    other = _raw(table, condition.get("value"))
    if isinstance(target, list) and isinstance(other, list):
        # The same two lists on every row (dataset and library orders): decided once.
        return pd.Series(_ordered_subset(target, other), index=table.frame.index)
    left = _exploded(_series(table, target))
    right = _exploded(_series(table, other))
    left = pd.DataFrame({"row": left.index, "item": as_text(left).to_numpy(),
                         "at": left.groupby(level=0).cumcount().to_numpy()})
    right = pd.DataFrame({"row": right.index, "item": as_text(right).to_numpy(),
                          "position": right.groupby(level=0).cumcount().to_numpy()})
    right = right.drop_duplicates(["row", "item"])
    found = left.merge(right, on=["row", "item"], how="left").sort_values(["row", "at"])
    rising = found.groupby("row")["position"].diff().fillna(0) >= 0
    good = (found["position"].notna() & rising).groupby(found["row"]).all()
    return good.reindex(table.frame.index, fill_value=True)


def _ordered_subset(items: list, reference: list) -> bool:
    positions = {name: i for i, name in enumerate(reference)}
    found = [positions.get(i) for i in items]
    return None not in found and found == sorted(found)


def _raw(table: Table, name: Any) -> Any:
    """An operation's result as computed (a list stays one list), else the column or literal."""
    if isinstance(name, str) and table.name(name) in table.values:
        return table.values[table.name(name)]
    return table.operand(name)


# --- dates --------------------------------------------------------------------------------------

def _dates(compare: Callable, name: str) -> Operator:
    def compared(target: pd.Series, other: pd.Series, component: str | None) -> pd.Series:
        target, other = date_parts(target), date_parts(other)
        comparable = target["valid"] & other["valid"] & (target["precision"] > 0) & (other["precision"] > 0)
        if component and component != "auto":
            left, right = target[component], other[component]
            result = compare(left, right) & left.notna() & right.notna()
            return (comparable & result).fillna(False).astype(bool)
        # "auto" compares at the precision both values have; otherwise a partial value stands for
        # its first instant (2018-04 is 2018-04-01T00:00), as CORE's operator documentation says
        # ("compares partial dates if date_component is specified") and its test cases
        # (CORE-000711, 000714, 000866) expect, though its code has truncated since 2026-01.
        full = pd.Series(len(PARTS), index=target.index)
        common = np.minimum(target["precision"], other["precision"]) if component == "auto" else full
        left, right = timestamps(target, common), timestamps(other, common)
        result = compare(left, right)
        if component is None and name in ("eq", "ne"):
            # Without a component, dates of different precision are never equal (CORE).
            differs = target["precision"] != other["precision"]
            result = (result & ~differs) if name == "eq" else (result | differs)
        return (comparable & result.fillna(False)).astype(bool)

    def check(table: Table, condition: dict) -> pd.Series:
        # Judged once per distinct pair of values: a large dataset holds few distinct dates, and
        # its parsed parts and instants would otherwise be laid out per record.
        component = condition.get("date_component")
        target, other = as_text(_target(table, condition)), _comparator(table, condition)
        if isinstance(other, pd.Series):
            return per_distinct(lambda t, o: compared(t, o, component), target, as_text(other))
        return per_distinct(lambda t: compared(t, as_text(constant(other, t.index)), component), target)

    return check


for _name, _compare, _short in (("date_equal_to", op.eq, "eq"), ("date_not_equal_to", op.ne, "ne"),
                                ("date_less_than", op.lt, "lt"), ("date_less_than_or_equal_to", op.le, "le"),
                                ("date_greater_than", op.gt, "gt"),
                                ("date_greater_than_or_equal_to", op.ge, "ge")):
    OPERATORS[_name] = _dates(_compare, _short)


@operator("is_complete_date", complement="is_incomplete_date")
def complete_date(table: Table, condition: dict) -> pd.Series:
    return is_complete_date(_target(table, condition))


@operator("invalid_date")
def invalid_date(table: Table, condition: dict) -> pd.Series:
    parts = date_parts(_target(table, condition))
    return ~parts["valid"]


_DURATION = re.compile(r"^-?P(?!$)(?:(?:\d+(?:[.,]\d*)?Y)?(?:\d+(?:[.,]\d*)?M)?(?:\d+(?:[.,]\d*)?D)?"
                       r"(?:T(?=\d)(?:\d+(?:[.,]\d*)?H)?(?:\d+(?:[.,]\d*)?M)?(?:\d+(?:[.,]\d*)?S)?)?"
                       r"|\d+(?:[.,]\d*)?W)$")


@operator("invalid_duration")
def invalid_duration(table: Table, condition: dict) -> pd.Series:
    text = as_text(_target(table, condition))
    valid = text.str.match(_DURATION, na=False)
    if condition.get("negative") is False:
        valid &= ~text.str.startswith("-")
    # A decimal fraction only on the smallest unit given (ISO 8601).
    valid &= ~text.str.contains(r"[.,]\d*[A-Z].*\d", regex=True, na=False)
    return ~valid


# --- uniqueness and relationships within a dataset ---------------------------------------------

def _columns(table: Table, names: Any) -> list[str]:
    return table.columns_named(names)


def _key_frame(table: Table, names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({n: as_text(table.column(n)) for n in names}, index=table.frame.index)


@operator("is_unique_set", complement="is_not_unique_set")
def is_unique_set(table: Table, condition: dict) -> pd.Series:
    """No other row has the same values of the target and comparator columns (a `regex` cuts
    text columns first: dates to the day)."""
    names = list(dict.fromkeys(_columns(table, condition["name"]) + _columns(table, condition.get("value"))))
    regex = condition.get("regex")
    keys = pd.DataFrame({n: as_text(regex_part(table.column(n), regex)) for n in names if table.has(n)},
                        index=table.frame.index)
    return ~keys.duplicated(keep=False)


def _joined(keys: pd.DataFrame, columns: list[str]) -> pd.Series:
    """The key columns as one text per row (a row-wise join took 50 s on 3 million ADQS records)."""
    first = keys[columns[0]]
    return first.str.cat([keys[c] for c in columns[1:]], sep="\x1f") if len(columns) > 1 else first


@operator("is_not_unique_relationship", complement="is_unique_relationship")
def is_not_unique_relationship(table: Table, condition: dict) -> pd.Series:
    """A non-null value of either side maps to more than one value (null included) of the other;
    with `within` (a variable or list), within each group of those variables' values (AVALC and
    AVAL within PARAMCD); with `ignore_null: true`, records with a null on either side are left
    out (AVAL 3 with AVALC "3" here and no AVALC there is no conflict). Both are clinforge's."""
    left = _columns(table, condition["name"])
    right = _columns(table, condition.get("value"))
    within = _columns(table, condition.get("within"))
    keys = _key_frame(table, left + right)
    left_key, right_key = _joined(keys, left), _joined(keys, right)
    if within:
        group = _joined(_key_frame(table, within), within)
        left_key, right_key = group + "\x1e" + left_key, group + "\x1e" + right_key
    left_null = (keys[left] == "").any(axis=1)
    right_null = (keys[right] == "").any(axis=1)
    both_null = (left_null | right_null) if condition.get("ignore_null") else left_null & right_null

    def violations(key: pd.Series, key_null: pd.Series, other: pd.Series) -> pd.Series:
        pairs = pd.DataFrame({"key": key, "other": other})[~key_null & ~both_null].drop_duplicates()
        counts = pairs.groupby("key")["other"].nunique()
        bad = set(counts[counts > 1].index)
        return key.isin(bad) & ~key_null

    return violations(left_key, left_null, right_key) | violations(right_key, right_null, left_key)


@operator("is_inconsistent_across_dataset")
def is_inconsistent_across_dataset(table: Table, condition: dict) -> pd.Series:
    """Within groups of the comparator columns, rows whose target differs from the group's most
    common value (all rows of the group when no value is the most common), as CORE's code does
    since 2025 (#1269) and its newest baseline (CORE-000142) confirms; the older baselines of
    CORE-000612 and CORE-000699 report every row of such a group."""
    target = table.name(condition["name"])
    groups = [g for g in _columns(table, condition.get("value")) if table.has(g)]
    frame = _key_frame(table, [*groups, target])
    regex = condition.get("regex")
    if isinstance(regex, list):
        regex = regex[0] if regex else None
    if regex:
        pattern = regex if re.compile(regex).groups else f"({regex})"
        extracted = frame[target].str.extract(pattern, expand=True)[0]
        frame[target] = extracted.fillna(frame[target])
    frame["_all"] = ""  # one group when the rule names none
    groups = [*groups, "_all"]
    counts = frame.groupby([*groups, target], dropna=False).size().rename("n").reset_index()
    by_group = counts.groupby(groups, dropna=False)
    counts["top"] = counts["n"] == by_group["n"].transform("max")
    counts["ties"] = counts.groupby(groups, dropna=False)["top"].transform("sum")
    counts["values"] = by_group[target].transform("size")
    counts["flag"] = (counts["values"] > 1) & (~counts["top"] | (counts["ties"] > 1))
    merged = frame.reset_index().merge(counts[[*groups, target, "flag"]], on=[*groups, target], how="left")
    return merged.set_index("index")["flag"].reindex(table.frame.index).fillna(False).astype(bool)


@operator("present_on_multiple_rows_within", complement="not_present_on_multiple_rows_within")
def present_on_multiple_rows_within(table: Table, condition: dict) -> pd.Series:
    """The target value occurs on more than `value` (default 1) rows within its `within` group."""
    target = table.name(condition["name"])
    within = _columns(table, condition.get("within"))
    frame = _key_frame(table, [*within, target])
    sizes = frame.groupby([*within, target], dropna=False)[target].transform("size")
    return sizes > int(condition.get("value") or 1)


def _grouped_order(table: Table, condition: dict) -> pd.DataFrame:
    within = _columns(table, condition.get("within"))
    ordering = table.name(condition.get("ordering")) if condition.get("ordering") else None
    names = [*within] + ([ordering] if ordering else [])
    frame = pd.DataFrame({n: table.column(n) for n in names}, index=table.frame.index)
    frame["_position"] = range(len(frame))
    return frame.sort_values([*names, "_position"], kind="stable"), within


@operator("has_next_corresponding_record", complement="does_not_have_next_corresponding_record")
def has_next_corresponding_record(table: Table, condition: dict) -> pd.Series:
    """The target equals the comparator of the next record within the group (the last record holds)."""
    order, within = _grouped_order(table, condition)
    target = as_text(table.column(condition["name"])).reindex(order.index)
    following = as_text(table.column(condition["value"])).reindex(order.index)
    following = following.groupby([order[w] for w in within], sort=False).shift(-1) if within \
        else following.shift(-1)
    result = (target == following) | following.isna()
    return result.reindex(table.frame.index).astype(bool)


def _within_except_last(negate: bool) -> Operator:
    def check(table: Table, condition: dict) -> pd.Series:
        group = table.name(condition["value"])
        ordering = condition.get("ordering")
        frame = pd.DataFrame({"g": as_text(table.column(group)),
                              "null": is_null(table.column(condition["name"]))})
        frame["o"] = table.column(ordering) if ordering else 0
        frame["_position"] = range(len(frame))
        ordered = frame.sort_values(["g", "o", "_position"], kind="stable")
        last = ~ordered.duplicated("g", keep="last")
        # The last row of each group is never reported (CORE leaves it out of the result).
        held = (ordered["null"] if not negate else ~ordered["null"]) & ~last
        return held.reindex(table.frame.index).astype(bool)

    return check


OPERATORS["empty_within_except_last_row"] = _within_except_last(False)
OPERATORS["non_empty_within_except_last_row"] = _within_except_last(True)


@operator("inconsistent_enumerated_columns")
def inconsistent_enumerated_columns(table: Table, condition: dict) -> pd.Series:
    """VARIABLEn+1 populated while VARIABLEn (or VARIABLE) is not."""
    base = table.name(condition["name"])
    pattern = re.compile(rf"^{re.escape(base)}(\d*)$")
    columns = sorted((c for c in table.frame.columns if pattern.match(c)), key=lambda c: (len(c), c))
    result = _false(table)
    for previous, current in zip(columns, columns[1:], strict=False):
        result |= ~is_null(table.frame[current]) & is_null(table.frame[previous])
    return result


@operator("target_is_sorted_by", complement="target_is_not_sorted_by")
def target_is_sorted_by(table: Table, condition: dict) -> pd.Series:
    """Within each `within` group, the target (--SEQ) follows the order of each comparator in
    `value` ({name, sort_order, null_position}); see qc.engine.ordering."""
    target = table.name(condition["name"])
    within = _columns(table, condition.get("within"))
    frame = pd.DataFrame({n: table.column(n) for n in within}, index=table.frame.index)
    frame[target] = as_number(table.column(target))
    result = pd.Series(True, index=table.frame.index)
    for key in condition.get("value") or []:
        name = table.name(key["name"])
        frame[name] = table.column(name)
        result &= sorted_by(frame, target, within, name,
                            ascending=str(key.get("sort_order", "asc")).lower() != "desc",
                            nulls_last=str(key.get("null_position", "last")).lower() == "last")
    return result


@operator("is_ordered_set", complement="is_not_ordered_set")
def is_ordered_set(table: Table, condition: dict) -> pd.Series:
    """The target ascends within each group of the comparator columns."""
    target = table.column(condition["name"])
    within = _columns(table, condition.get("value"))
    frame = _key_frame(table, within).assign(_t=as_number(target))
    previous = frame.groupby(within, sort=False)["_t"].shift(1)
    return ~(previous > frame["_t"]).fillna(False)


@operator("is_numeric", complement="is_not_numeric")
def is_numeric(table: Table, condition: dict) -> pd.Series:
    target = _target(table, condition)
    if _numeric(target):
        return target.notna()
    return per_value(lambda values: as_text(values).str.strip().str.match(
        r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$", na=False), target)
