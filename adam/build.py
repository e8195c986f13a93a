"""Build a study's ADaM datasets from SDTM: each by its builder, with the parameters its spec sets.

`BUILDERS` maps an ADaM dataset name to its builder. A builder's DataFrame arguments are the
datasets it reads, named in lower case (`dm`, `suppae`, `adsl`); its other keyword arguments
are analysis parameters, set by the dataset spec's `parameters:` (see adam.params for the
`{study: NAME}` reference to study.yaml). A spec that names its ADaM data structure
(`data_structure: BDS`) is built by that structure's generic builder (`STRUCTURES`) instead,
whatever its name. Datasets run in dependency order (ADSL first), and
each later dataset reads the earlier ones as published: with exactly their spec's variables
(plus internal `_` columns, which are never written).

Everything that can be checked before building is checked first (every spec parameter,
every SDTM dataset needed, and each variable a builder reads: present, of its type, with
values it can use, see adam.inputs), so a bad spec or damaged SDTM stops the build before any
dataset is made, naming the file, row, variable and value.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import pandas as pd

from adam.adlb import build_adlb
from adam.adpc import build_adpc
from adam.adpp import build_adpp
from adam.adqs import build_adqs
from adam.adrs import build_adrs, check_adrs
from adam.adsl import ADMIRAL_LAST_ALIVE_DTC, adsl_needs, build_adsl, check_adsl
from adam.adtr import build_adtr
from adam.adtte import build_tte, check_tte, describe_tte
from adam.bds_builder import bds_datasets, bds_reads, build_bds, check_bds, describe_bds
from adam.inputs import (
    ADLB_READS,
    ADPC_READS,
    ADQS_READS,
    ADRS_READS,
    ADSL_READS,
    ADTR_READS,
    NO_SDTM,
    Reads,
    Use,
    checked_inputs,
    occds_reads,
)
from adam.occds import build_occds, occds_datasets
from adam.params import (
    ParameterError,
    adsl_reads,
    check_parameters,
    dataset_inputs,
    keyword_parameters,
    resolve_parameters,
)
from specs.errors import InputError, Problem, SpecError
from specs.model import DatasetSpec, Study
from specs.schema import closest


def _adsl_needs(parameters: Mapping[str, Any]) -> set[str]:
    """Optional datasets of build_adsl that its parameters make necessary."""
    return adsl_needs(
        parameters.get("last_alive_dtc", ADMIRAL_LAST_ALIVE_DTC),
        parameters.get("new_therapy_filter"),
        parameters.get("evaluable_filter"),
        parameters.get("dates"),
        parameters.get("flags"),
    )


@dataclass(frozen=True)
class Builder:
    function: Callable[..., pd.DataFrame]
    # Optional dataset arguments that some parameter values require (from the resolved parameters).
    needs: Callable[[Mapping[str, Any]], set[str]] | None = None
    # The SDTM variables it reads (adam.inputs), checked before any dataset is built.
    reads: Reads = NO_SDTM
    # A builder by structure: the dataset each argument reads, which its parameters name (BDS:
    # `findings` is the `domain`), and what it reads from it. None: the argument names the dataset.
    datasets_of: Callable[[Mapping[str, Any]], dict[str, str]] | None = None
    reads_of: Callable[[Mapping[str, Any]], Reads] | None = None
    # Checks of the spec beyond the signature, and the parameters the spec implies (PARAM decodes).
    prepare: Callable[[DatasetSpec, Study, Mapping[str, Any]],
                      tuple[dict[str, Any], list[Problem]]] | None = None
    # define.xml method text by variable, from the same declarations the builder runs (adam.methods).
    describe: Callable[[DatasetSpec, Mapping[str, Any]], dict[str, str]] | None = None

    def inputs(self, parameters: Mapping[str, Any]) -> dict[str, bool]:
        """Dataset arguments by lower-case name, True where this run cannot do without it."""
        needed = self.needs(parameters) if self.needs else set()
        return {name: required or name in needed for name, required in dataset_inputs(self.function).items()}

    def datasets(self, parameters: Mapping[str, Any]) -> dict[str, str]:
        """The dataset (upper-case name) each dataset argument reads."""
        named = self.datasets_of(parameters) if self.datasets_of else {}
        return {arg: named.get(arg, arg.upper()) for arg in self.inputs(parameters)}

    def reads_for(self, parameters: Mapping[str, Any]) -> Reads:
        return self.reads_of(parameters) if self.reads_of else self.reads


# One builder each for the subject-level and occurrence structures: a spec selects it by
# `data_structure:` whatever its name, and the names ADSL and ADAE select it as before.
ADSL_BUILDER = Builder(build_adsl, needs=_adsl_needs, reads=ADSL_READS, prepare=check_adsl)
# `reads` is what the default domain (AE) reads, for listings of every builder's value rules.
OCCDS_BUILDER = Builder(build_occds, reads=occds_reads({}), datasets_of=occds_datasets, reads_of=occds_reads)
BUILDERS: dict[str, Builder] = {
    "ADSL": ADSL_BUILDER,
    "ADAE": OCCDS_BUILDER,
    "ADRS": Builder(build_adrs, reads=ADRS_READS, prepare=check_adrs),
    "ADTR": Builder(build_adtr, reads=ADTR_READS),
    "ADPC": Builder(build_adpc, reads=ADPC_READS),
    "ADPP": Builder(build_adpp),
    "ADQS": Builder(build_adqs, reads=ADQS_READS),
    "ADLB": Builder(build_adlb, reads=ADLB_READS),
}
# Generic builders by ADaM data structure (a spec's `data_structure:`): every structure of
# specs.schema.DATA_STRUCTURES.
STRUCTURES: dict[str, Builder] = {
    "ADSL": ADSL_BUILDER,
    "OCCDS": OCCDS_BUILDER,
    "BDS": Builder(build_bds, datasets_of=bds_datasets, reads_of=bds_reads, prepare=check_bds,
                   describe=describe_bds),
    "TTE": Builder(build_tte, prepare=check_tte, describe=describe_tte),
}


def builder_for(spec: DatasetSpec) -> Builder | None:
    """The builder of a dataset spec: its structure's, when it names one, else its name's."""
    if spec.data_structure:
        return STRUCTURES.get(spec.data_structure)
    return BUILDERS.get(spec.name)


@dataclass(frozen=True)
class Step:
    spec: DatasetSpec
    builder: Builder
    parameters: dict[str, Any]


def plan(study: Study) -> list[Step]:
    """The study's ADaM datasets in dependency order, each with its resolved parameters.

    Raises SpecError listing every spec problem: a dataset without a builder, an unknown or
    missing parameter, a `{study: NAME}` reference to no study parameter, a dataset that
    reads an ADaM dataset the study has no spec for.
    """
    problems: list[Problem] = []
    steps: dict[str, Step] = {}
    for name, spec in study.adam.items():
        builder = builder_for(spec)
        if builder is None:
            problems.append(Problem(spec.file, 0, f"no ADaM builder for dataset {name}; clinforge builds "
                                                  f"{', '.join(BUILDERS)}{closest(name, BUILDERS)}, and any "
                                                  f"dataset whose spec names its data_structure "
                                                  f"({', '.join(STRUCTURES)})"))
            continue
        found = check_parameters(spec, builder.function)
        if found:
            problems += found
            continue
        try:
            parameters = resolve_parameters(spec, study)
        except SpecError as error:
            problems += error.problems
            continue
        if builder.prepare:
            implied, found = builder.prepare(spec, study, parameters)
            if found:
                problems += found
                continue
            parameters |= implied
        steps[name] = Step(spec, builder, parameters)
    problems += _adsl_problems(study, steps.values())
    graph: dict[str, set[str]] = {}
    for name, step in steps.items():
        datasets = step.builder.datasets(step.parameters)
        upstream = {dataset for dataset in datasets.values() if dataset in BUILDERS}
        required = {datasets[arg] for arg, needed in step.builder.inputs(step.parameters).items() if needed}
        problems += [
            Problem(step.spec.file, 0, f"{name} reads {other}, but the study has no ADaM spec for {other}")
            for other in sorted(upstream & required) if other not in study.adam
        ]
        graph[name] = upstream & set(study.adam)
    if problems:
        raise SpecError(problems)
    return [steps[name] for name in TopologicalSorter(graph).static_order()]


def _adsl_problems(study: Study, steps: Collection[Step]) -> list[Problem]:
    """A builder parameter naming an ADSL variable the study's ADSL spec leaves out (a CAR-T date
    in a study without lymphodepletion, say) is a spec problem at the parameter, not a failed build."""
    adsl = study.adam.get("ADSL")
    if adsl is None:
        return []
    known = adsl.variable_names()
    problems = []
    for step in steps:
        function = step.builder.function
        for parameter, names in adsl_reads(function, step.parameters).items():
            missing = [n for n in names if n not in known]
            optional = type(None) in typing.get_args(typing.get_type_hints(function)[parameter])
            problems += [Problem(
                *step.spec.place(f"parameters.{parameter}"),
                f"parameters.{parameter}: {function.__name__} reads ADSL.{name}, which the study's ADSL spec "
                f"({adsl.file}) does not have: add it there or name another ADSL variable"
                + (f" (`{parameter}: null` does without it)" if optional else ""))
                for name in missing]
    return problems


def build_adam(
    study: Study,
    sdtm: Mapping[str, pd.DataFrame],
    progress: Callable[[str], None] | None = None,
    *,
    sdtm_folder: str | Path | None = None,
) -> dict[str, pd.DataFrame]:
    """Every ADaM dataset the study specifies, built from `sdtm` (dataset name → frame).

    `sdtm_folder` only names where the SDTM came from in error messages. Raises SpecError
    for spec problems and InputError when an SDTM dataset that a build needs is missing;
    `progress` is called with each dataset's name before it is built.
    """
    steps = plan(study)
    frames = {name.upper(): _without_attrs(frame) for name, frame in sdtm.items()}
    _check_sdtm(steps, frames, sdtm_folder)
    frames = checked_inputs(study, uses(steps, frames), frames, sdtm_folder)
    adam: dict[str, pd.DataFrame] = {}
    for step in steps:
        name = step.spec.name
        if progress:
            progress(name)
        available = frames | adam
        arguments = {
            arg: available[dataset] for arg, dataset in step.builder.datasets(step.parameters).items()
            if dataset in available
        }
        try:
            made = step.builder.function(**arguments, **step.parameters)
        except ParameterError as error:
            raise SpecError([Problem(*step.spec.place(f"parameters.{error.parameter}"),
                                     f"{name}: parameters.{error.parameter}: {error}")]) from None
        adam[name] = select_variables(made, step.spec, step.builder.function.__name__)
    return adam


def _without_attrs(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without `attrs` (e.g. labels from a reader), not copying its data.

    pandas deep-copies `attrs` into the result of every operation; on SDTM read with its
    metadata that copying took a tenth of the build time.
    """
    bare = frame.copy(deep=False)
    bare.attrs = {}
    return bare


def _check_sdtm(steps: list[Step], frames: Mapping[str, pd.DataFrame], folder: str | Path | None) -> None:
    """One InputError naming every ADaM dataset whose SDTM input is missing, and the folder."""
    missing: dict[str, list[str]] = {}
    for step in steps:
        datasets = step.builder.datasets(step.parameters)
        for arg, required in step.builder.inputs(step.parameters).items():
            if required and datasets[arg] not in BUILDERS and datasets[arg] not in frames:
                missing.setdefault(step.spec.name, []).append(datasets[arg])
    if missing:
        where = f"the SDTM folder {folder}" if folder else "the SDTM given"
        needs = "; ".join(f"{name} needs {', '.join(domains)}" for name, domains in missing.items())
        files = sorted({f"{d.lower()}.xpt" for domains in missing.values() for d in domains})
        raise InputError(
            f"SDTM datasets missing from {where}: {needs}",
            file=str(folder) if folder else None,
            expected=f"{', '.join(files)} (or Dataset-JSON / Parquet) in that folder",
        )


def uses(steps: list[Step], available: Collection[str]) -> list[Use]:
    """What each step reads from the SDTM datasets in `available` (upper-case names), with every
    parameter its builder runs with (its defaults where the spec sets none)."""
    found = []
    for step in steps:
        defaults = {name: value for name, value in keyword_parameters(step.builder.function).items()
                    if value is not inspect.Parameter.empty}
        datasets = step.builder.datasets(step.parameters).values()
        given = [dataset for dataset in datasets if dataset in available]
        reads = step.builder.reads_for(step.parameters)
        found.append(Use(reads, defaults | step.parameters, step.spec, given))
    return found


def select_variables(frame: pd.DataFrame, spec: DatasetSpec, builder: str = "the builder") -> pd.DataFrame:
    """Exactly the spec's variables, in spec order; a declared variable not made is a SpecError.

    Internal columns (names starting with `_`, never written) are kept after them: ADPP's
    _PPREASND/_INTSTART/_INTEND are what SDTM PP is made from.
    """
    missing = [name for name in spec.variable_names() if name not in frame.columns]
    if missing:
        made = [c for c in frame.columns if not str(c).startswith("_")]
        raise SpecError([
            Problem(*spec.place(f"variables.{name}"),
                    f"{spec.name}: variable {name} is declared, but {builder} does not make it"
                    f"{closest(name, made)}")
            for name in missing
        ])
    internal = [c for c in frame.columns if str(c).startswith("_")]
    return frame[[*spec.variable_names(), *internal]].reset_index(drop=True)
