"""The study's analysis plan checked against the methods clinforge has, before anything is computed.

specs.loader checks analyses.yaml against itself and the study's ADaM specs; what only this layer
knows is which methods and figures exist and which parameters each takes. Every problem is
reported with its file and line, and the names that would have been valid.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from results.figures import FIGURES
from results.methods import METHODS
from specs.errors import Problem, SpecError
from specs.model import AnalysisPlan, Study
from specs.schema import closest
from specs.yamlio import LMap, read_yaml

# Taken by every analysis, for its results' formatting (not passed to the method): the decimals
# of statistics that are neither counts nor percentages.
FORMAT_PARAMETERS = {"decimals": 1}


def study_plan(study: Study) -> AnalysisPlan:
    """The study's analysis plan, every method, figure and parameter known; SpecError otherwise."""
    plan = study.analysis_plan
    if plan is None:
        raise SpecError([Problem(f"{study.folder}/analyses.yaml", 0,
                                 f"study {study.name} has no analysis plan: write analyses.yaml (see "
                                 "specs/studies/ovarian/analyses.yaml)")])
    problems: list[Problem] = []
    for analysis in plan.analyses:
        method = METHODS.get(analysis.method)
        if method is None:
            problems.append(Problem(plan.file, _line(plan.file, "analyses", analysis.line, "method"),
                                    f"analyses.{analysis.id}: unknown method {analysis.method!r}"
                                    f"{closest(analysis.method, METHODS)}; the methods are "
                                    f"{', '.join(METHODS)}"))
            continue
        problems += _parameter_problems(plan.file, f"analyses.{analysis.id}", analysis.line,
                                        analysis.parameters, method.parameters() | FORMAT_PARAMETERS)
    for figure in plan.figures:
        kind = FIGURES.get(figure.kind)
        if kind is None:
            problems.append(Problem(plan.file, _line(plan.file, "figures", figure.line, "kind"),
                                    f"figures.{figure.id}: unknown kind {figure.kind!r}"
                                    f"{closest(figure.kind, FIGURES)}; the kinds are {', '.join(FIGURES)}"))
            continue
        problems += _parameter_problems(plan.file, f"figures.{figure.id}", figure.line, figure.parameters,
                                        kind.parameters())
    if problems:
        raise SpecError(problems)
    return plan


def _parameter_problems(file: str, where: str, line: int, given: dict[str, Any],
                        accepted: dict[str, Any]) -> list[Problem]:
    problems = [Problem(file, line, f"{where}: parameter {name!r} is not taken here"
                                    f"{closest(name, accepted)}; the parameters are {', '.join(accepted)}")
                for name in given if name not in accepted]
    problems += [Problem(file, line, f"{where}: parameter {name!r} has no default; set it")
                 for name, default in accepted.items()
                 if default is inspect.Parameter.empty and name not in given]
    return problems


def _line(file: str, section: str, item_line: int, key: str) -> int:
    """The line of `key` in the item of `section` starting at `item_line` (else the item's line)."""
    data = read_yaml(Path(file))
    for item in data.get(section, ()):
        if isinstance(item, LMap) and item.line == item_line:
            return item.line_of(key)
    return item_line
