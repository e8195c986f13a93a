"""Running rules: scope, the rule type's table, joined datasets, operations, the check, findings.

For each dataset in a rule's scope the engine builds the table, evaluates the check tree over
every row at once and turns the rows that hold into hits, as the rule's sensitivity says:
every record (Record), the first per dataset (Dataset), per group (Group) or for the study.
A rule that cannot run on a dataset (a variable, a dataset or an engine feature is missing) gives
an outcome "not run" with the reason; nothing is counted as passed that did not run.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qc.engine.data import Dataset, Submission
from qc.engine.joins import match_datasets
from qc.engine.library import adam_structure
from qc.engine.operations import run_operations
from qc.engine.operators import OPERATORS
from qc.engine.rule import ALL, Rule, leaves
from qc.engine.rule_types import RECORD, RULE_TYPES, STUDY_LEVEL
from qc.engine.table import Missing, NotRun, Table, Unsupported, constant
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
    outcomes = [outcome for dataset in _in_scope(rule, submission)
                for outcome in _run_per_match(rule, dataset, submission)]
    if rule.sensitivity == "Study" or rule.rule_type in STUDY_LEVEL:
        outcomes = _collapse(rule, outcomes)
    spent = time.perf_counter() - started
    return [Outcome(o.rule, o.dataset, o.status, o.reason, o.variables, o.hits, spent / max(len(outcomes), 1))
            for o in outcomes]


def _run_per_match(rule: Rule, dataset: Dataset, submission: Submission) -> list[Outcome]:
    """The rule on one dataset; with `Variables Matching`, once per variable whose name matches
    (the rule's `{group}` filled in): an outcome per match that failed, else one outcome."""
    if not rule.variables_matching:
        return [_run_on(rule, dataset, submission)]
    pattern = re.compile(rule.variables_matching)
    matches = [m for m in map(pattern.fullmatch, map(str, dataset.frame.columns)) if m]
    if not matches:
        return [Outcome(rule, dataset.name, PASSED, f"no variable matches {rule.variables_matching}")]
    outcomes = [_run_on(rule.for_match(m.groupdict()), dataset, submission) for m in matches]
    failed = [o for o in outcomes if o.status == FAILED]
    return failed or [next((o for o in outcomes if o.status == NOT_RUN), outcomes[0])]


def _run_on(rule: Rule, dataset: Dataset, submission: Submission) -> Outcome:
    try:
        built = RULE_TYPES[rule.rule_type](dataset, submission, rule)
        parts = [built] if isinstance(built, pd.DataFrame) else built
        return _merged(rule, dataset, [_check(rule, dataset, submission, frame) for frame in parts])
    except NotRun as reason:
        return Outcome(rule, dataset.name, NOT_RUN, str(reason))
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as error:
        # A rule that the data does not fit (a value of an unexpected type): reported, never raised.
        return Outcome(rule, dataset.name, NOT_RUN, f"the check failed on this data: {error!r}")


def _check(rule: Rule, dataset: Dataset, submission: Submission, frame: pd.DataFrame) -> Outcome:
    table = Table(rule, dataset, submission, frame)
    if rule.rule_type == "Record Data":
        lacking = _lacking(rule, table)
        if lacking:
            # A condition of the top-level `all` on a variable that neither the dataset nor a
            # dataset it joins holds is false on every row: the join (a 10-million-record LB
            # joined to DM for an --STRF it lacks) would be work for nothing.
            return Outcome(rule, dataset.name, PASSED, f"{lacking} not in the dataset or its joins")
        table.frame = match_datasets(table)
    run_operations(table)
    if table.frame.empty:
        return Outcome(rule, dataset.name, PASSED, "no records to check")
    mask = evaluate(for_every_variable(rule.check, table), table)
    return _outcome(rule, table, mask)


def _lacking(rule: Rule, table: Table) -> str:
    """A variable named by a condition of the check's top-level `all` that no column of the
    dataset or of the datasets its Match Datasets join can supply; "" when there is none or when
    Operations, or a SUPP--, RELREC or Child join, may supply columns of other names."""
    if rule.operations:
        return ""
    sources = [set(table.frame.columns)]
    for match in rule.match_datasets:
        name = str(match.get("Name", ""))
        if match.get("Child") or name == "RELREC" or name.startswith(("SUPP", "SQ")):
            return ""
        sources += [set(d.frame.columns) for d in table.submission.by_domain(name)]
    check = rule.check
    conditions = check if isinstance(check, list) else check.get("all") if isinstance(check, dict) else None
    for condition in conditions or ():
        if not isinstance(condition, dict) or {"all", "any", "not"} & set(condition) \
                or condition.get("operator") in ("exists", "not_exists"):
            continue
        name = condition.get("name")
        if isinstance(name, str) and name and not name.startswith("$") and "." not in name:
            column = table.name(name)
            if not any(column in columns for columns in sources):
                return column
    return ""


def _merged(rule: Rule, dataset: Dataset, outcomes: list[Outcome]) -> Outcome:
    """One outcome from a table checked in parts (a long table variable by variable)."""
    if len(outcomes) == 1:
        return outcomes[0]
    failed = [o for o in outcomes if o.status == FAILED]
    if not failed:
        return outcomes[0] if outcomes else Outcome(rule, dataset.name, PASSED, "no records to check")
    hits = pd.concat([o.hits for o in failed], ignore_index=True)
    if rule.sensitivity in ("Dataset", "Study"):
        hits = hits.head(1)
    return Outcome(rule, failed[0].dataset, FAILED, variables=failed[0].variables, hits=hits)


# --- scope ---------------------------------------------------------------------------------------

def _in_scope(rule: Rule, submission: Submission) -> list[Dataset]:
    """The datasets the rule checks: a record check sees a split domain once (unless the scope
    includes split datasets), a metadata check sees each file."""
    chosen: list[Dataset] = []
    seen: set[str] = set()
    for dataset in submission.datasets.values():
        if not applies(rule, dataset, submission):
            continue
        if dataset.is_split and dataset.unsplit_name in seen and not rule.scope.include_split \
                and rule.rule_type == "Record Data":
            continue
        seen.add(dataset.unsplit_name)
        chosen.append(dataset)
    return chosen


def applies(rule: Rule, dataset: Dataset, submission: Submission) -> bool:
    """Whether the rule's scope (domains, classes, ADaM data structures) includes the dataset."""
    scope = rule.scope
    standards = {name for name, _ in rule.standards}
    if submission.standard == "ADAMIG" and not dataset.is_adam \
            or submission.standard in ("SDTMIG", "SENDIG") and dataset.is_adam and standards \
            and "ADAMIG" not in standards:
        return False  # an ADaM rule checks ADaM datasets, an SDTM rule SDTM ones, a rule of both both
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
        structure = dataset.declared_class or adam_structure(dataset)
        if not _listed(structure, scope.structures, scope.structures_excluded):
            return False
    # Only a declared subclass can be in scope: no variable tells subclasses apart.
    return not (scope.subclasses or scope.subclasses_excluded) \
        or _listed(dataset.declared_subclass, scope.subclasses, scope.subclasses_excluded)


def _listed(value: str, included: tuple[str, ...], excluded: tuple[str, ...]) -> bool:
    return (not included or ALL in included or value in included) and value not in excluded


def _supp_pattern(dataset: Dataset, listed: tuple[str, ...]) -> bool:
    """Whether a naming pattern in the scope (SUPP--, SQ--, AP--, APFA--) names the dataset."""
    kinds = {"SUPP--": dataset.is_supp and dataset.name.startswith("SUPP"),
             "SQ--": dataset.is_supp and dataset.name.startswith("SQ"),
             "AP--": dataset.is_ap and not dataset.is_supp,
             "APFA--": dataset.is_ap and not dataset.is_supp and dataset.domain == "APFA"}
    return any(kinds.get(pattern, False) for pattern in listed)


# --- the check tree ------------------------------------------------------------------------------

def for_every_variable(check: object, table: Table) -> object:
    """The check with each top-level condition that names no variable repeated for every
    variable of the table, that variable named in all its leaves (CORE's
    duplicate_conditions_for_all_targets): `all: [{operator: is_not_contained_by, value: [Y, N]}]`
    holds where every variable is outside Y, N."""
    if not isinstance(check, dict) or not any(k in check for k in ("all", "any")):
        return check
    key = "all" if "all" in check else "any"
    columns = [c for c in table.frame.columns if not str(c).startswith("_")]
    items = []
    for item in check[key]:
        if any(not leaf.get("name") for leaf in leaves(item)):
            items += [_named(item, column) for column in columns]
        else:
            items.append(item)
    return {**check, key: items}


def _named(node: object, column: str) -> object:
    if isinstance(node, list):
        return [_named(n, column) for n in node]
    if isinstance(node, dict) and any(k in node for k in ("all", "any", "not")):
        return {k: _named(v, column) if k in ("all", "any", "not") else v for k, v in node.items()}
    return {**node, "name": column} if isinstance(node, dict) else node


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

    A variable the dataset lacks is reported with the value "Not in dataset", as CORE does; an
    operation's result that lists variables of the table ($TIMING_VARIABLES) brings those
    variables along, after the others.
    """
    names = rule.output_variables or tuple(str(c.get("name", "")) for c in leaves(rule.check))
    variables = list(dict.fromkeys(table.name(n) for n in names if n))
    if not variables:
        # A check that names no variable reports the whole record, as CORE does.
        variables = [c for c in table.frame.columns if not str(c).startswith("_")]
    for name in list(variables):
        value = table.values.get(name)
        if isinstance(value, list):
            listed = [v for v in value if isinstance(v, str) and v in table.frame.columns]
            variables += [v for v in listed if v not in variables]
    return variables


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
        return shown(constant(value, rows.index))
    return pd.Series(NOT_IN_DATASET, index=rows.index)


def _collapse(rule: Rule, outcomes: list[Outcome]) -> list[Outcome]:
    """One result for the study: Study sensitivity keeps the first dataset's finding; a
    study-level rule type (run on each dataset in scope, as CORE runs it) keeps each distinct
    finding once."""
    failed = [o for o in outcomes if o.status == FAILED]
    if not failed:
        return outcomes
    first = failed[0]
    if rule.rule_type in STUDY_LEVEL:
        hits = pd.concat([o.hits for o in failed if o.variables == first.variables], ignore_index=True)
        distinct = ~hits.astype(str).duplicated()
        return [Outcome(rule, STUDY, FAILED, variables=first.variables,
                        hits=hits[distinct].reset_index(drop=True))]
    return [Outcome(rule, STUDY, FAILED, variables=first.variables, hits=first.hits.head(1))]
