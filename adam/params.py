"""A builder's keyword parameters from a dataset spec's `parameters:`, checked against its signature.

A spec sets a builder's analysis choices by name (`teae_window_days: 365`). A value that the
SAP fixes for the whole study lives once, in study.yaml `parameters:`, and a dataset spec
refers to it as `{study: NAME}`:

    parameters:
      teae_window_days: {study: teae_window_days}
      lymphodepletion_start: LDSTDT

The reference may stand anywhere a value stands (inside lists and mappings too) and is
replaced by the study value as it is, so `{study: auc_interval_days}` gives `[0, 30]`.
`{codelist: NAME}` stands for the decodes of one of the study's codelists, term → decode
(`{codelist: PKPARMCD}` gives CMAX → "Max Conc" ...), so names come from the CT package in use.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Annotated, Any

import pandas as pd

from specs.errors import Problem, SpecError
from specs.model import DatasetSpec, Study
from specs.schema import closest

STUDY_REFERENCE = "study"


class _ReadsAdsl:
    """Marks a builder parameter whose value names ADSL variables the builder reads, so that a
    spec whose ADSL lacks them is refused before anything is built."""


ADSL_VARIABLE = _ReadsAdsl()
AdslVar = Annotated[str, ADSL_VARIABLE]
OptionalAdslVar = Annotated[str | None, ADSL_VARIABLE]  # None: the builder does without it
AdslVars = Annotated[Sequence[str], ADSL_VARIABLE]
CODELIST_REFERENCE = "codelist"


class ParameterError(ValueError):
    """A builder parameter the data cannot be derived with (a by-variable no record has, by-groups
    that do not tell records apart): adam.build reports it at the parameter's spec line."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


@cache
def dataset_inputs(function: Callable[..., pd.DataFrame]) -> dict[str, bool]:
    """The builder's dataset arguments (annotated DataFrame) by name, True where required.

    The argument name is the dataset's name in lower case: `dm`, `suppae`, `adsl`.
    """
    hints = typing.get_type_hints(function)
    inputs = {}
    for name, parameter in inspect.signature(function).parameters.items():
        hint = hints.get(name)
        if hint is pd.DataFrame or pd.DataFrame in typing.get_args(hint):
            inputs[name] = parameter.default is inspect.Parameter.empty
    return inputs


def keyword_parameters(function: Callable[..., pd.DataFrame]) -> dict[str, Any]:
    """The builder's analysis parameters with their defaults (`inspect.Parameter.empty`: none)."""
    inputs = dataset_inputs(function)
    return {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()
        if name not in inputs
    }


def resolve_parameters(spec: DatasetSpec, study: Study) -> dict[str, Any]:
    """The spec's parameters with every `{study: NAME}` replaced by study.yaml's value."""
    problems: list[Problem] = []

    def resolve(value: Any, top: str, where: str) -> Any:
        if isinstance(value, Mapping) and set(value) == {STUDY_REFERENCE}:
            name = value[STUDY_REFERENCE]
            if name in study.parameters:
                return study.parameters[name]
            problems.append(Problem(
                *spec.place(f"parameters.{top}"),
                f"parameters.{where}: {name!r} is not among the study parameters of study.yaml"
                f"{closest(name, study.parameters)}",
            ))
            return None
        if isinstance(value, Mapping) and set(value) == {CODELIST_REFERENCE}:
            name = value[CODELIST_REFERENCE]
            if name in study.codelists:
                return {t.value: t.decode or t.value for t in study.codelists[name].terms}
            problems.append(Problem(
                *spec.place(f"parameters.{top}"),
                f"parameters.{where}: no codelist {name!r}{closest(name, study.codelists)}",
            ))
            return None
        if isinstance(value, Mapping):
            return {k: resolve(v, top, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v, top, f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    resolved = {name: resolve(value, name, name) for name, value in spec.parameters.items()}
    if problems:
        raise SpecError(problems)
    return resolved


def check_parameters(spec: DatasetSpec, function: Callable[..., pd.DataFrame]) -> list[Problem]:
    """Problems of the spec's parameter names against the builder's signature."""
    accepted = keyword_parameters(function)
    inputs = dataset_inputs(function)
    builder = function.__name__
    problems = []
    for name in spec.parameters:
        if name in inputs:
            problems.append(Problem(
                *spec.place(f"parameters.{name}"),
                f"parameters.{name}: {name} is a dataset that {builder} reads, not a parameter",
            ))
        elif name not in accepted:
            problems.append(Problem(
                *spec.place(f"parameters.{name}"),
                f"parameters.{name}: {builder} has no parameter {name!r}{closest(name, accepted)} "
                f"(its parameters: {', '.join(accepted)})",
            ))
    problems += [
        Problem(*spec.place("parameters"),
                f"parameters: {builder} needs {name!r}, which has no default; set it")
        for name, default in accepted.items()
        if default is inspect.Parameter.empty and name not in spec.parameters
    ]
    return problems


def effective_parameters(spec: DatasetSpec, study: Study,
                         function: Callable[..., pd.DataFrame]) -> dict[str, Any]:
    """Every analysis parameter the builder runs with: its defaults overridden by the spec."""
    problems = check_parameters(spec, function)
    if problems:
        raise SpecError(problems)
    defaults = {k: v for k, v in keyword_parameters(function).items() if v is not inspect.Parameter.empty}
    return defaults | resolve_parameters(spec, study)


def adsl_reads(function: Callable[..., pd.DataFrame], parameters: Mapping[str, Any]
               ) -> dict[str, tuple[str, ...]]:
    """The ADSL variables the builder reads, by parameter (the spec's value, else the default)."""
    hints = typing.get_type_hints(function, include_extras=True)
    found = {}
    for name, default in keyword_parameters(function).items():
        if ADSL_VARIABLE not in getattr(hints.get(name), "__metadata__", ()):
            continue
        value = parameters.get(name, default)
        if value is not None and value is not inspect.Parameter.empty:
            found[name] = (value,) if isinstance(value, str) else tuple(value)
    return found


# A builder parameter that the spec implies and never writes: PARAM of each PARAMCD.
PARAM_NAMES = "param_names"


def compute_mapping_problems(value: Any, where: str, valid: Sequence[str], required: Sequence[str] = ()
                             ) -> list[tuple[str, str]]:
    """(spec part, message) for a declaration that must be a mapping of `valid` keys holding the
    `required` ones: not a mapping, an unknown key (the valid ones listed), a missing key."""
    if not isinstance(value, Mapping):
        return [(where, f"{where}: expected a mapping with keys {', '.join(valid)}, found {value!r}")]
    return [(f"{where}.{key}", f"{where}: unknown key {key!r}{closest(key, valid)} "
                               f"(valid keys: {', '.join(valid)})") for key in value if key not in valid] + [
        (where, f"{where}: missing {key}") for key in required if key not in value]


def compute_declaration_problems(entry: Any, where: str, valid: Sequence[str]) -> list[tuple[str, str]]:
    """(spec part, message) common to every parameter declaration (BDS, TTE): a mapping of `valid`
    keys whose PARAMCD is given and at most 8 characters long."""
    found = compute_mapping_problems(entry, where, valid)
    if not isinstance(entry, Mapping):
        return found
    code = entry.get("paramcd")
    if not isinstance(code, str) or not code:
        found.append((where, f"{where}: missing paramcd (the PARAMCD this declaration makes)"))
    elif len(code) > 8:
        found.append((f"{where}.paramcd", f"{where}.paramcd: {code!r} is over 8 characters"))
    return found


def compute_param_names(spec: DatasetSpec, study: Study, codes: Mapping[str, str]
                        ) -> tuple[dict[str, str], list[Problem]]:
    """PARAM of each PARAMCD a builder makes: its decode in the codelist of the spec's PARAMCD variable.

    `codes` maps each PARAMCD to the spec part that makes it (a declaration, a parameter), where a
    code that is not a term with a decode is reported. PARAM is written once, in the codelist that
    define.xml also shows, so the data and define.xml cannot drift (metatools' create_var_from_codelist).
    """
    problems: list[Problem] = []
    if PARAM_NAMES in spec.parameters:
        problems.append(Problem(*spec.place(f"parameters.{PARAM_NAMES}"),
                                f"parameters.{PARAM_NAMES}: PARAM comes from the decodes of the PARAMCD "
                                "codelist; declare the names there, not here"))
    variable = spec.variable("PARAMCD")
    if variable is None or not variable.codelist:
        problems.append(Problem(*spec.place("variables.PARAMCD" if variable else "variables"),
                                f"{spec.name}: a dataset with parameters needs a PARAMCD variable with a "
                                "codelist: PARAM is its decode"))
        return {}, problems
    codelist = study.codelists.get(variable.codelist)
    if codelist is None:  # an unknown codelist is the spec loader's finding
        return {}, problems
    names: dict[str, str] = {}
    for code, part in codes.items():
        term = codelist.term(code)
        if term is not None and term.decode:
            names[code] = term.decode
            continue
        problems.append(Problem(*spec.place(part), f"{part}: PARAMCD {code} " + (
            f"has no decode in codelist {codelist.name}: PARAM is the decode" if term else
            f"is not a term of codelist {codelist.name}{closest(code, codelist.values())}")))
    return names, problems
