"""Small rules and submissions for the engine's unit tests, built in code (no files)."""

from __future__ import annotations

import pandas as pd

from qc.engine.data import Submission, dataset_from_frame
from qc.engine.library import Library
from qc.engine.rule import Rule, Scope
from qc.engine.run import FAILED, Outcome, run_rule
from specs.model import DatasetSpec, Variable


def submission(library: Library | None = None, standard: str = "SDTMIG", **frames: pd.DataFrame
               ) -> Submission:
    return Submission({name: dataset_from_frame(name, frame) for name, frame in frames.items()},
                      standard=standard, library=library)


def rule(check: object, *, rule_type: str = "Record Data", sensitivity: str = "Record",
         operations: tuple = (), match: tuple = (), output: tuple = (), scope: Scope | None = None) -> Rule:
    return Rule(id="TEST", rule_type=rule_type, sensitivity=sensitivity, check=check, message="test",
                scope=scope or Scope(), operations=tuple(operations), match_datasets=tuple(match),
                output_variables=tuple(output))


def outcomes(check: object, data: Submission, **kwargs) -> list[Outcome]:
    return run_rule(rule(check, **kwargs), data)


def flagged(check: object, data: Submission, dataset: str = "AE", **kwargs) -> list[int]:
    """The 1-based records of `dataset` the rule reports."""
    found = [o for o in outcomes(check, data, **kwargs) if o.dataset == dataset]
    assert found, f"the rule did not run on {dataset}"
    assert found[0].status in (FAILED, "passed"), found[0].reason
    return [] if found[0].status != FAILED else sorted(int(r) for r in found[0].hits["record"])


def library(*specs: tuple[str, str, list[tuple[str, str, str]]]) -> Library:
    """A guide of (dataset, class, [(variable, role, core)]) entries."""
    datasets = {name: DatasetSpec(name=name, label=name, kind="sdtm", dataset_class=dataset_class,
                                  structure="", keys=(),
                                  variables=tuple(Variable(name=v, label=v, type="Char", order=i, role=role,
                                                           core=core)
                                                  for i, (v, role, core) in enumerate(variables, start=1)))
                for name, dataset_class, variables in specs}
    return Library("SDTMIG", "3.4", datasets)
