"""Running rules: scope, the rule type's table, joined datasets, operations, the check, findings.

For each dataset in a rule's scope the engine builds the table, evaluates the check tree over
every row at once and turns the rows that hold into hits, as the rule's sensitivity says:
every record (Record), the first per dataset (Dataset), per group (Group) or for the study.
A rule that cannot run on a dataset (a variable, a dataset or an engine feature is missing) gives
an outcome "not run" with the reason; nothing is counted as passed that did not run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qc.engine.data import Dataset, Submission
from qc.engine.library import adam_structure
from qc.engine.operations import run_operations
from qc.engine.operators import OPERATORS
from qc.engine.rule import ALL, Rule, expand, leaves
from qc.engine.rule_types import RECORD, RULE_TYPES, STUDY_LEVEL
from qc.engine.table import Missing, NotRun, Table, Unsupported
from qc.engine.values import as_text, shown

PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"
STUDY = "STUDY"
NOT_IN_DATASET = "Not in dataset"


@dataclass(frozen=True)
class Outcome:
    """One rule on one dataset: its status and, when it failed, the offending records.

    `hits` has one row per finding: `record` (1-based, NA for dataset-level findings), `usubjid`,
    `seq`, and a text column per reported variable, in `variables` order.
    """

    rule: Rule
    dataset: str
    status: str
    reason: str = ""
    variables: tuple[str, ...] = ()
    hits: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: float = 0.0


def run_rules(rules: Iterable[Rule], submission: Submission) -> list[Outcome]:
    out: list[Outcome] = []
    for rule in rules:
        out += run_rule(rule, submission)
    return out


def run_rule(rule: Rule, submission: Submission) -> list[Outcome]:
    """The rule on every dataset in its scope (or once for the study, by rule type)."""
    started = time.perf_counter()
    if rule.rule_type not in RULE_TYPES:
        return [Outcome(rule, "", NOT_RUN, f"rule type {rule.rule_type!r} is not supported")]
    missing = sorted({c.get("operator") for c in leaves(rule.check)
                      if isinstance(c, dict) and c.get("operator") not in OPERATORS})
    if missing:
        return [Outcome(rule, "", NOT_RUN, f"operator {', '.join(map(repr, missing))} is not supported")]
    study_level = rule.rule_type in STUDY_LEVEL
    datasets = [_study_dataset(submission)] if study_level else _in_scope(rule, submission)
    outcomes = [_run_on(rule, dataset, submission) for dataset in datasets]
    if rule.sensitivity == "Study":
        outcomes = _collapse(rule, outcomes)
    spent = time.perf_counter() - started
    return [Outcome(o.rule, o.dataset, o.status, o.reason, o.variables, o.hits, spent / max(len(outcomes), 1))
            for o in outcomes]


def _study_dataset(submission: Submission) -> Dataset:
    return Dataset(name=STUDY, frame=pd.DataFrame(index=range(1)))


def _run_on(rule: Rule, dataset: Dataset, submission: Submission) -> Outcome:
    try:
        frame = RULE_TYPES[rule.rule_type](dataset, submission)
        table = Table(rule, dataset, submission, frame)
        if rule.rule_type == "Record Data":
            table.frame = _match_datasets(table)
        run_operations(table)
        if table.frame.empty:
            return Outcome(rule, dataset.name, PASSED, "no records to check")
        mask = evaluate(rule.check, table)
        return _outcome(rule, table, mask)
    except NotRun as reason:
        return Outcome(rule, dataset.name, NOT_RUN, str(reason))
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as error:
        # A rule that the data does not fit (a value of an unexpected type): reported, never raised.
        return Outcome(rule, dataset.name, NOT_RUN, f"the check failed on this data: {error!r}")


# --- scope ---------------------------------------------------------------------------------------

def _in_scope(rule: Rule, submission: Submission) -> list[Dataset]:
    chosen: list[Dataset] = []
    seen: set[str] = set()
    for dataset in submission.datasets.values():
        if not applies(rule, dataset, submission):
            continue
        if dataset.is_split and dataset.unsplit_name in seen and not rule.scope.include_split:
            continue
        seen.add(dataset.unsplit_name)
        chosen.append(dataset)
    return chosen


def applies(rule: Rule, dataset: Dataset, submission: Submission) -> bool:
    """Whether the rule's scope (domains, classes, ADaM data structures) includes the dataset."""
    scope = rule.scope
    if submission.standard == "ADAMIG" and not dataset.is_adam \
            or submission.standard in ("SDTMIG", "SENDIG") and dataset.is_adam and rule.standards:
        return False  # an ADaM rule checks ADaM datasets, an SDTM rule SDTM ones
    names = {dataset.domain, dataset.name, dataset.unsplit_name} - {""}
    if scope.domains and ALL not in scope.domains and not names & set(scope.domains) \
            and not _supp_pattern(dataset, scope.domains):
        return False
    if scope.domains_excluded and (ALL in scope.domains_excluded or names & set(scope.domains_excluded)
                                   or _supp_pattern(dataset, scope.domains_excluded)):
        return False
    if scope.include_split is False and dataset.is_split:
        return False
    if scope.classes or scope.classes_excluded:
        found = submission.library.dataset_class(dataset) if submission.library is not None else ""
        if not found:
            from qc.engine.library import infer_class

            found = infer_class(dataset)
        related = {found} | ({"FINDINGS"} if found == "FINDINGS ABOUT" else set())
        if scope.classes and ALL not in scope.classes and not related & set(scope.classes):
            return False
        if found and related & set(scope.classes_excluded):
            return False
    if scope.structures or scope.structures_excluded:
        structure = adam_structure(dataset) if dataset.is_adam else ""
        if scope.structures and ALL not in scope.structures and structure not in scope.structures:
            return False
        if structure in scope.structures_excluded:
            return False
    return True


def _supp_pattern(dataset: Dataset, listed: tuple[str, ...]) -> bool:
    patterns = {f"{p}--" for p in ("SUPP", "SQ", "AP", "APFA")}
    return bool(patterns & set(listed)) and (dataset.is_supp or dataset.is_ap)


# --- joined datasets -----------------------------------------------------------------------------

def _match_datasets(table: Table) -> pd.DataFrame:
    frame = table.frame
    referenced = {str(c.get("name", "")) for c in leaves(table.rule.check)} | {
        str(c.get("value", "")) for c in leaves(table.rule.check) if isinstance(c.get("value"), str)}
    for match in table.rule.match_datasets:
        name = str(match.get("Name", ""))
        keys = match.get("Keys") or []
        if match.get("Child"):
            frame = _child_merge(table, frame, name, keys)
            continue
        others = [d for d in table.submission.by_domain(name) if d.name != table.dataset.name]
        if name.startswith("SUPP") or not others:
            continue
        other = pd.concat([d.frame for d in others], ignore_index=True)
        wanted = {r.split(".", 1)[1] for r in referenced if r.startswith(f"{name}.")}
        other = other.rename(columns={c: f"{name}.{c}" for c in other.columns if c in wanted})
        left = [_side(k, "left", table.wildcard) for k in keys]
        right = [_side(k, "right", others[0].wildcard) for k in keys]
        for key in left:
            if key not in frame.columns:
                raise NotRun(f"{key} not in {table.dataset.name} (to join {name})")
        for key in right:
            if key not in other.columns:
                raise NotRun(f"{key} not in {name} (to join it)")
        how = str(match.get("Join Type", "inner")).lower()
        left_keys = pd.DataFrame({f"_k{i}": as_text(frame[k]) for i, k in enumerate(left)})
        right_keys = pd.DataFrame({f"_k{i}": as_text(other[k]) for i, k in enumerate(right)})
        merged = pd.concat([frame.reset_index(drop=True), left_keys], axis=1).merge(
            pd.concat([other.reset_index(drop=True), right_keys], axis=1),
            how="left" if how == "left" else "inner", on=list(left_keys.columns), suffixes=("", f".{name}"))
        frame = merged.drop(columns=list(left_keys.columns)).reset_index(drop=True)
    return frame


def _side(key: object, side: str, wildcard: str) -> str:
    if isinstance(key, dict):
        key = key.get(side) or key.get("left")
    return expand(str(key), wildcard)


def _child_merge(table: Table, frame: pd.DataFrame, name: str, keys: list) -> pd.DataFrame:
    """A relationship dataset (SUPP--, CO, RELREC) joined to its parent records by IDVAR/IDVARVAL.

    Each child row gets the columns of the parent record of its subject whose IDVAR variable
    holds IDVARVAL (compared as text, 1.0 and 1 alike); none where no such record exists.
    """
    dataset = table.dataset
    if not (name == dataset.name or (name == "SUPP--" and dataset.is_supp) or name == dataset.domain
            or name == dataset.unsplit_name):
        return frame
    if "IDVAR" not in frame.columns or "IDVARVAL" not in frame.columns:
        return frame
    rdomain = (pd.Series(dataset.rdomain, index=frame.index) if dataset.is_supp
               else as_text(frame["RDOMAIN"]) if "RDOMAIN" in frame.columns else None)
    if rdomain is None:
        return frame
    idvar, idvarval = as_text(frame["IDVAR"]), _plain_number(as_text(frame["IDVARVAL"]))
    subjects = as_text(frame["USUBJID"]) if "USUBJID" in frame.columns else pd.Series("", index=frame.index)
    pieces = []
    for (domain, variable), rows in frame.groupby([rdomain, idvar], sort=False).groups.items():
        parents = table.submission.by_domain(domain)
        part = frame.loc[rows]
        if not parents or not variable:
            pieces.append(part)
            continue
        parent = pd.concat([p.frame for p in parents], ignore_index=True)
        if variable not in parent.columns:
            pieces.append(part)
            continue
        lookup = parent.assign(_subject=as_text(parent["USUBJID"]) if "USUBJID" in parent.columns else "",
                               _value=_plain_number(as_text(parent[variable])))
        lookup = lookup.drop_duplicates(["_subject", "_value"])
        extra = [c for c in lookup.columns if c not in part.columns or c in ("_subject", "_value")]
        joined = part.assign(_subject=subjects[rows], _value=idvarval[rows]).merge(
            lookup[extra], on=["_subject", "_value"], how="left")
        joined.index = part.index
        pieces.append(joined.drop(columns=["_subject", "_value"]))
    return pd.concat(pieces).sort_index() if pieces else frame


def _plain_number(values: pd.Series) -> pd.Series:
    return values.str.replace(r"^(-?\d+)\.0*$", r"\1", regex=True)


# --- the check tree ------------------------------------------------------------------------------

def evaluate(node: object, table: Table) -> pd.Series:
    """True for the rows where the check holds (the rows to report)."""
    if isinstance(node, list):
        node = {"all": node}
    if not isinstance(node, dict):
        raise Unsupported(f"check node {node!r} is not a condition")
    if "all" in node:
        result = pd.Series(True, index=table.frame.index)
        for child in node["all"]:
            result &= evaluate(child, table)
            if not result.any():  # CORE evaluates every branch; none can turn rows back on
                break
        return result
    if "any" in node:
        result = pd.Series(False, index=table.frame.index)
        for child in node["any"]:
            result |= evaluate(child, table)
        return result
    if "not" in node:
        return ~evaluate(node["not"], table)
    operator = OPERATORS.get(node.get("operator"))
    if operator is None:
        raise Unsupported(f"operator {node.get('operator')!r} is not supported")
    condition = dict(node)
    condition["name"] = table.name(str(node.get("name", "")))
    try:
        result = operator(table, condition)
    except Missing as missing:
        # CORE: a condition on a variable the dataset lacks is false (exists/not_exists aside).
        table.notes.add(str(missing))
        return pd.Series(False, index=table.frame.index)
    return pd.Series(np.asarray(result, dtype=bool), index=table.frame.index)


# --- findings ------------------------------------------------------------------------------------

def reported_variables(rule: Rule, table: Table) -> list[str]:
    """Output Variables, else the check's targets, with `--` expanded, each once, in order.

    A variable the dataset lacks is reported with the value "Not in dataset", as CORE does.
    """
    names = rule.output_variables or tuple(str(c.get("name", "")) for c in leaves(rule.check))
    return list(dict.fromkeys(table.name(n) for n in names if n))


def _outcome(rule: Rule, table: Table, mask: pd.Series) -> Outcome:
    dataset = table.dataset
    variables = reported_variables(rule, table)
    if not mask.any():
        return Outcome(rule, dataset.name, PASSED, variables=tuple(variables))
    rows = table.frame[mask.to_numpy()]
    if rule.sensitivity in ("Dataset", "Study"):
        rows = rows.head(1)
    elif rule.sensitivity == "Group" and rule.grouping_variables:
        groups = [table.name(g) for g in rule.grouping_variables]
        missing = [g for g in groups if g not in rows.columns]
        if missing:
            raise NotRun(f"grouping variables {', '.join(missing)} not in dataset")
        rows = rows.drop_duplicates(groups)
    hits = pd.DataFrame(index=rows.index)
    record = rows[RECORD] if RECORD in rows.columns else pd.Series(pd.NA, index=rows.index)
    hits["record"] = pd.array(record if rule.sensitivity not in ("Dataset", "Study")
                              else [pd.NA] * len(rows), dtype="Int64")
    hits["usubjid"] = as_text(rows["USUBJID"]) if "USUBJID" in rows.columns else ""
    seq = f"{dataset.domain}SEQ"
    hits["seq"] = pd.to_numeric(rows[seq], errors="coerce") if seq in rows.columns else np.nan
    for name in variables:
        hits[name] = _shown(table, rows, name)
    name = STUDY if rule.rule_type in STUDY_LEVEL else dataset.name
    return Outcome(rule, name, FAILED, variables=tuple(variables), hits=hits.reset_index(drop=True))


def _shown(table: Table, rows: pd.DataFrame, name: str) -> pd.Series:
    if name in rows.columns:
        return shown(rows[name])
    value = table.values.get(name)
    if isinstance(value, pd.Series):
        return shown(value.loc[rows.index])
    if name in table.values:
        return shown(pd.Series([value] * len(rows), index=rows.index, dtype=object))
    return pd.Series(NOT_IN_DATASET, index=rows.index)


def _collapse(rule: Rule, outcomes: list[Outcome]) -> list[Outcome]:
    """Study sensitivity: one result for the study, from the first dataset that failed."""
    failed = [o for o in outcomes if o.status == FAILED]
    if not failed:
        return outcomes
    first = failed[0]
    return [Outcome(rule, STUDY, FAILED, variables=first.variables, hits=first.hits.head(1))]
