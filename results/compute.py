"""Run the analysis plan on ADaM datasets: one ARD record per result (ARS OperationResult).

The ARD follows the flat layout of the CDISC ARS team's reference ARD generator: the analysis,
its analysis set, data subset, dataset, variable, method and operation ids, then for each
grouping of the analysis `resultGroup<i>_groupingId` and `resultGroup<i>_groupValue` (all
groupings here are data driven, so a group is its value), and the result as `rawValue` (a number)
and `formattedValue` (text as a table shows it; NE where it is not estimable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from results.methods import METHODS, PERCENT, SUBJECT, Method, _matches
from results.plan import FORMAT_PARAMETERS
from specs.errors import InputError
from specs.model import Analysis, AnalysisPlan, Selection

NOT_ESTIMABLE = "NE"


@dataclass(frozen=True)
class AnalysisResult:
    analysis: Analysis
    method: Method
    rows: pd.DataFrame  # *grouping variables, operation, value, formatted; in the groupings' order
    groupings: tuple[str, ...]  # grouping ids, in the analysis' order
    levels: dict[str, list]  # each grouping variable's values, in order


def check_datasets(plan: AnalysisPlan, frames: Mapping[str, pd.DataFrame], folder: str) -> None:
    """Every dataset and variable the plan reads is there; else an InputError naming the first missing."""
    for dataset, variables, where in _reads(plan):
        if dataset not in frames:
            raise InputError(f"{dataset} is missing; the analysis plan reads it ({where})", file=folder,
                             expected=f"{dataset.lower()}.xpt (or Dataset-JSON / Parquet) in that folder")
        missing = [v for v in variables if v not in frames[dataset].columns]
        if missing:
            raise InputError(f"{dataset} lacks {', '.join(missing)}, which the analysis plan reads ({where})",
                             file=f"{folder}/{dataset.lower()}", column=missing[0],
                             expected=f"the variables {', '.join(missing)} in {dataset}")


def _reads(plan: AnalysisPlan):
    for selection in (*plan.analysis_sets, *plan.data_subsets):
        yield selection.dataset, [SUBJECT, *selection.where], f"{plan.file}:{selection.line}"
    for analysis in plan.analyses:
        groupings = [plan.grouping(g) for g in analysis.groupings]
        yield analysis.dataset, [SUBJECT, analysis.variable, *[g.variable for g in groupings
                                                              if g.dataset == analysis.dataset]], \
            f"{plan.file}:{analysis.line}"
        for grouping in groupings:
            yield grouping.dataset, [g for g in (grouping.variable, grouping.order_by) if g], \
                f"{plan.file}:{grouping.line}"
    from results.figures import FIGURES

    for figure in plan.figures:
        for dataset, variables in FIGURES[figure.kind].variables(figure.parameters).items():
            yield dataset, list(variables), f"{plan.file}:{figure.line}, figure {figure.id}"


def plan_reads(plan: AnalysisPlan) -> dict[str, set[str]]:
    """Every variable the plan's analyses and figures read, by dataset: all that needs reading."""
    found: dict[str, set[str]] = {}
    for dataset, variables, _ in _reads(plan):
        found.setdefault(dataset, set()).update(variables)
    return found


def select(frame: pd.DataFrame, selection: Selection) -> pd.DataFrame:
    return frame[_matches(frame, selection.where)]


def run_analysis(plan: AnalysisPlan, analysis: Analysis,
                 frames: Mapping[str, pd.DataFrame]) -> AnalysisResult:
    """One analysis: its records and subjects selected, grouped, the method applied, values formatted."""
    method = METHODS[analysis.method]
    analysis_set = plan.analysis_set(analysis.analysis_set)
    subjects = select(frames[analysis_set.dataset], analysis_set).drop_duplicates(SUBJECT)
    records = frames[analysis.dataset]
    records = records[records[SUBJECT].isin(subjects[SUBJECT])]
    if analysis.data_subset:
        records = select(records, plan.data_subset(analysis.data_subset))
    groupings = [plan.grouping(g) for g in analysis.groupings]
    of_subjects = [g for g in groupings if g.dataset == analysis_set.dataset]
    joined = [v for g in of_subjects for v in (g.variable, g.order_by) if v]
    if joined and analysis.dataset != analysis_set.dataset:
        records = records.drop(columns=[v for v in joined if v in records]).merge(
            subjects[[SUBJECT, *dict.fromkeys(joined)]], on=SUBJECT, how="left")
    by = [g.variable for g in groupings]
    parameters = {k: v for k, v in analysis.parameters.items() if k not in FORMAT_PARAMETERS}
    rows = method.compute(records, subjects, variable=analysis.variable, by=by,
                          subject_by=[g.variable for g in of_subjects], **parameters)
    listed = [*analysis.parameters.get("categories", ()), *[analysis.parameters.get("missing")] * (
        "missing" in analysis.parameters)]
    rows, levels = _ordered(rows, groupings, records, subjects, method, listed)
    decimals = analysis.parameters.get("decimals", FORMAT_PARAMETERS["decimals"])
    rows["formatted"] = [_formatted(value, method.operation(op).decimals, decimals)
                         for value, op in zip(rows["value"], rows["operation"], strict=True)]
    return AnalysisResult(analysis, method, rows.reset_index(drop=True), tuple(analysis.groupings), levels)


def _ordered(rows: pd.DataFrame, groupings, records: pd.DataFrame, subjects: pd.DataFrame,
             method: Method, listed: list[str]) -> tuple[pd.DataFrame, dict[str, list]]:
    """Rows by each grouping's order (its order_by variable, else the value as it sorts; the last
    grouping by the categories the analysis lists, when it does), then by the method's operations."""
    keys = {}
    for grouping in groupings:
        values = rows[grouping.variable]
        if listed and grouping is groupings[-1]:
            keys[grouping.variable] = values.map({v: i for i, v in enumerate(listed)}).astype(float)
        elif grouping.order_by:
            source = pd.concat([records, subjects], ignore_index=True) if grouping.order_by in subjects \
                else records
            order = source.dropna(subset=[grouping.order_by]).groupby(grouping.variable)[
                grouping.order_by].min()
            keys[grouping.variable] = values.map(order).astype(float)
        keys[f"_{grouping.variable}"] = values.astype("string")
    operations = {op.id: i for i, op in enumerate(method.operations)}
    keys["_operation"] = rows["operation"].map(operations)
    order = pd.DataFrame(keys, index=rows.index).sort_values(list(keys), kind="stable", na_position="last")
    levels = {}
    for grouping in groupings:
        own = [k for k in (grouping.variable, f"_{grouping.variable}") if k in order]
        ranked = order[own].assign(_value=rows[grouping.variable]).sort_values(own, kind="stable",
                                                                               na_position="last")
        levels[grouping.variable] = list(dict.fromkeys(ranked["_value"]))
    return rows.loc[order.index], levels


def _formatted(value: float, fixed: int | None, decimals: int) -> str:
    if value is None or not np.isfinite(value):
        return NOT_ESTIMABLE
    places = decimals if fixed is None else fixed
    if fixed == PERCENT:
        places = 1
    return f"{value:.{places}f}"


def compute_results(plan: AnalysisPlan, frames: Mapping[str, pd.DataFrame]) -> list[AnalysisResult]:
    """Every analysis of the plan, in its order."""
    return [run_analysis(plan, analysis, frames) for analysis in plan.analyses]


def group_value(value: object) -> str:
    """A group's value as the ARD writes it: text as is, a whole number without decimals."""
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return ""
        return f"{value:.0f}" if float(value).is_integer() else repr(float(value))
    return "" if value is None or value is pd.NA else str(value)


def ard_frame(plan: AnalysisPlan, results: list[AnalysisResult], studyid: str) -> pd.DataFrame:
    """The ARD: one record per result of every analysis."""
    depth = max((len(r.groupings) for r in results), default=0)
    parts = []
    for result in results:
        a, rows = result.analysis, result.rows
        part = pd.DataFrame({
            "STUDYID": studyid,
            "analysisId": a.id,
            "analysisName": a.name,
            "analysisSetId": a.analysis_set,
            "dataSubsetId": a.data_subset or "",
            "analysisDataset": a.dataset,
            "analysisVariable": a.variable,
            "methodId": result.method.name,
            "operationId": result.method.name + "_" + rows["operation"],
        }, index=rows.index)
        for i in range(depth):
            grouping = plan.grouping(result.groupings[i]) if i < len(result.groupings) else None
            part[f"resultGroup{i + 1}_groupingId"] = grouping.id if grouping else ""
            part[f"resultGroup{i + 1}_groupValue"] = (rows[grouping.variable].map(group_value) if grouping
                                                       else "")
        part["rawValue"] = rows["value"].astype(float)
        part["formattedValue"] = rows["formatted"]
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
