"""CDISC ARS: the analysis metadata (ReportingEvent JSON, ARS v1.0 class and slot names) and the ARD's
dataset metadata, both from the analysis plan and the registered methods."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from results.compute import AnalysisResult
from results.methods import METHODS
from specs.model import AnalysisPlan, DatasetSpec, Selection, Variable

ARS_VERSION = "https://www.cdisc.org/ars/1-0"
REASON = "SPECIFIED IN SAP"  # ARS AnalysisReason: every analysis here is planned in the study spec


def _condition(dataset: str, variable: str, values: tuple[Any, ...]) -> dict[str, Any]:
    return {"dataset": dataset, "variable": variable, "comparator": "EQ" if len(values) == 1 else "IN",
            "value": [str(v) for v in values]}


def _where(selection: Selection) -> dict[str, Any]:
    """An ARS condition for one variable, a compound AND expression for several."""
    clauses = [_condition(selection.dataset, name, values) for name, values in selection.where.items()]
    if len(clauses) == 1:
        return {"condition": clauses[0]}
    return {"compoundExpression": {"logicalOperator": "AND", "whereClauses": [
        {"level": 2, "order": i, "condition": clause} for i, clause in enumerate(clauses, 1)]}}


def reporting_event(plan: AnalysisPlan, results: list[AnalysisResult], source: str) -> dict[str, Any]:
    """The ARS ReportingEvent: analysis sets, data subsets, groupings, the methods used with their
    operations, and the analyses (their results are the ARD's records)."""
    used = list(dict.fromkeys(r.method.name for r in results))
    return {
        "id": plan.id,
        "name": plan.name,
        "version": 1,
        "referenceDocuments": [{"id": "ADAM", "name": "ADaM datasets analysed", "location": source}],
        "analysisSets": [{"id": s.id, "name": s.name, "level": 1, "order": i, **_where(s)}
                         for i, s in enumerate(plan.analysis_sets, 1)],
        "dataSubsets": [{"id": s.id, "name": s.name, "level": 1, "order": i, **_where(s)}
                        for i, s in enumerate(plan.data_subsets, 1)],
        "analysisGroupings": [{"id": g.id, "name": g.name, "groupingDataset": g.dataset,
                               "groupingVariable": g.variable, "dataDriven": True} for g in plan.groupings],
        "methods": [{
            "id": name, "name": METHODS[name].label, "description": METHODS[name].description,
            "operations": [{"id": f"{name}_{op.id}", "name": op.name, "label": op.label, "order": i,
                            "resultPattern": _pattern(op.decimals)}
                           for i, op in enumerate(METHODS[name].operations, 1)],
        } for name in used],
        "analyses": [_analysis(r) for r in results],
    }


def _pattern(decimals: int | None) -> str:
    return "XX" if decimals == 0 else "XX.X" if decimals is None or decimals == 1 else "XX." + "X" * decimals


def _analysis(result: AnalysisResult) -> dict[str, Any]:
    a = result.analysis
    entry: dict[str, Any] = {
        "id": a.id, "name": a.name, "version": 1,
        "description": f"Registered outcome: {a.outcome}",
        "reason": {"controlledTerm": REASON},
        "purpose": {"controlledTerm": a.purpose},
        "dataset": a.dataset, "variable": a.variable, "analysisSetId": a.analysis_set,
    }
    if a.data_subset:
        entry["dataSubsetId"] = a.data_subset
    entry["orderedGroupings"] = [{"order": i, "groupingId": g, "resultsByGroup": True}
                                 for i, g in enumerate(result.groupings, 1)]
    entry["methodId"] = a.method
    entry["programmingCode"] = {
        "context": "Python (clinforge results)",
        "code": f"results.methods.{result.method.compute.__name__}",
        "parameters": [{"name": k, "value": [json.dumps(v, sort_keys=True)]}
                       for k, v in sorted(a.parameters.items())],
    }
    return entry


def ars_json(event: dict[str, Any]) -> bytes:
    return (json.dumps(event, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def ard_spec(ard: pd.DataFrame) -> DatasetSpec:
    """Metadata of the ARD as the writers need it (Dataset-JSON and the CSV's header)."""
    labels = {
        "STUDYID": "Study Identifier", "analysisId": "Analysis Identifier", "analysisName": "Analysis Name",
        "analysisSetId": "Analysis Set Identifier", "dataSubsetId": "Data Subset Identifier",
        "analysisDataset": "Analysis Dataset", "analysisVariable": "Analysis Variable",
        "methodId": "Method Identifier", "operationId": "Operation (Statistic) Identifier",
        "rawValue": "Raw Result Value", "formattedValue": "Formatted Result Value",
    }
    variables = []
    for order, name in enumerate(ard.columns, 1):
        label = labels.get(name) or _group_label(name)
        variables.append(Variable(name=name, label=label, type="Num" if name == "rawValue" else "Char",
                                  order=order))
    return DatasetSpec(name="ARD", label="Analysis Results Data", kind="ard",
                       dataset_class="ANALYSIS RESULTS", structure="One record per analysis result",
                       keys=(), variables=tuple(variables))


def _group_label(name: str) -> str:
    number, part = name.removeprefix("resultGroup").split("_")
    return f"Result Group {number} " + ("Grouping Identifier" if part == "groupingId" else "Value")
