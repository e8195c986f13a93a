"""Build a study's ADaM datasets from SDTM: each by its builder, with the parameters its spec sets.

`BUILDERS` maps an ADaM dataset name to its builder. A builder's DataFrame arguments are the
datasets it reads, named in lower case (`dm`, `suppae`, `adsl`); its other keyword arguments
are analysis parameters, set by the dataset spec's `parameters:` (see adam.params for the
`{study: NAME}` reference to study.yaml). Datasets run in dependency order (ADSL first), and
each later dataset reads the earlier ones as published: with exactly their spec's variables
(plus internal `_` columns, which are never written).

Everything that can be checked before building is checked first (every spec parameter,
every SDTM dataset needed), so a bad spec or a missing SDTM file stops the build before any
dataset is made, with all problems listed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import pandas as pd

from adam.adae import build_adae
from adam.adlb import build_adlb
from adam.adpc import build_adpc
from adam.adpp import build_adpp
from adam.adqs import build_adqs
from adam.adrs import build_adrs
from adam.adsl import ADMIRAL_LAST_ALIVE_DTC, adsl_needs, build_adsl
from adam.adtte import build_adtte
from adam.dates import invalid_dtc
from adam.params import check_parameters, dataset_inputs, parameter_line, resolve_parameters
from specs.errors import InputError, Problem, SpecError
from specs.model import DatasetSpec, Study
from specs.readers import PREFERENCE
from specs.schema import closest


def _adsl_needs(parameters: Mapping[str, Any]) -> set[str]:
    """Optional datasets of build_adsl that its parameters make necessary."""
    return adsl_needs(
        parameters.get("last_alive_dtc", ADMIRAL_LAST_ALIVE_DTC),
        parameters.get("new_therapy_filter"),
        parameters.get("evaluable_filter"),
    )


@dataclass(frozen=True)
class Builder:
    function: Callable[..., pd.DataFrame]
    # Optional dataset arguments that some parameter values require (from the resolved parameters).
    needs: Callable[[Mapping[str, Any]], set[str]] | None = None

    def inputs(self, parameters: Mapping[str, Any]) -> dict[str, bool]:
        """Dataset arguments by lower-case name, True where this run cannot do without it."""
        needed = self.needs(parameters) if self.needs else set()
        return {name: required or name in needed for name, required in dataset_inputs(self.function).items()}


# SDTM variables a builder derives from (beyond the Predecessor sources its spec declares), by
# SDTM dataset. DM.RFSTDTC is the subject's reference start (Expected in SDTMIG DM): a DM without
# it is not the SDTM the ADSL derivations were written for.
READS: dict[str, dict[str, tuple[str, ...]]] = {
    "ADSL": {"DM": ("STUDYID", "USUBJID", "ARM", "ACTARM", "RFSTDTC"),
             "EX": ("STUDYID", "USUBJID", "EXSTDTC", "EXENDTC"),
             "DS": ("STUDYID", "USUBJID", "DSDECOD", "DSSTDTC")},
    "ADAE": {"AE": ("STUDYID", "USUBJID", "AESTDTC", "AEENDTC")},
}

BUILDERS: dict[str, Builder] = {
    "ADSL": Builder(build_adsl, needs=_adsl_needs),
    "ADAE": Builder(build_adae),
    "ADRS": Builder(build_adrs),
    "ADTTE": Builder(build_adtte),
    "ADPC": Builder(build_adpc),
    "ADPP": Builder(build_adpp),
    "ADQS": Builder(build_adqs),
    "ADLB": Builder(build_adlb),
}


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
        builder = BUILDERS.get(name)
        if builder is None:
            problems.append(Problem(spec.file, 0, f"no ADaM builder for dataset {name}; clinforge builds "
                                                  f"{', '.join(BUILDERS)}{closest(name, BUILDERS)}"))
            continue
        found = check_parameters(spec, builder.function)
        if found:
            problems += found
            continue
        try:
            steps[name] = Step(spec, builder, resolve_parameters(spec, study))
        except SpecError as error:
            problems += error.problems
    graph: dict[str, set[str]] = {}
    for name, step in steps.items():
        upstream = {arg.upper() for arg in step.builder.inputs(step.parameters) if arg.upper() in BUILDERS}
        required = {arg.upper() for arg, needed in step.builder.inputs(step.parameters).items() if needed}
        problems += [
            Problem(step.spec.file, 0, f"{name} reads {other}, but the study has no ADaM spec for {other}")
            for other in sorted(upstream & required) if other not in study.adam
        ]
        graph[name] = upstream & set(study.adam)
    if problems:
        raise SpecError(problems)
    return [steps[name] for name in TopologicalSorter(graph).static_order()]


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
    _check_sdtm_variables(study, steps, frames, sdtm_folder)
    adam: dict[str, pd.DataFrame] = {}
    for step in steps:
        name = step.spec.name
        if progress:
            progress(name)
        available = frames | adam
        arguments = {
            arg: available[arg.upper()] for arg in step.builder.inputs(step.parameters)
            if arg.upper() in available
        }
        made = step.builder.function(**arguments, **step.parameters)
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
        for arg, required in step.builder.inputs(step.parameters).items():
            if required and arg.upper() not in BUILDERS and arg.upper() not in frames:
                missing.setdefault(step.spec.name, []).append(arg.upper())
    if missing:
        where = f"the SDTM folder {folder}" if folder else "the SDTM given"
        needs = "; ".join(f"{name} needs {', '.join(domains)}" for name, domains in missing.items())
        files = sorted({f"{d.lower()}.xpt" for domains in missing.values() for d in domains})
        raise InputError(
            f"SDTM datasets missing from {where}: {needs}",
            file=str(folder) if folder else None,
            expected=f"{', '.join(files)} (or Dataset-JSON / Parquet) in that folder",
        )


def required_variables(step: Step) -> dict[str, set[str]]:
    """SDTM variables the step's builder needs, by SDTM dataset: READS and the spec's Predecessors."""
    needed = {dataset: set(names) for dataset, names in READS.get(step.spec.name, {}).items()}
    for variable in step.spec.variables:
        if variable.origin == "Predecessor" and variable.source and "." in variable.source:
            dataset, name = variable.source.split(".", 1)
            if dataset not in BUILDERS:
                needed.setdefault(dataset, set()).add(name)
    return needed


def _source_file(name: str, folder: str | Path | None) -> str:
    """The file an SDTM dataset was read from (as specs.readers.read_folder chooses it)."""
    if folder:
        for suffix in PREFERENCE:
            path = Path(folder) / f"{name.lower()}{suffix}"
            if path.is_file():
                return str(path)
    return f"SDTM dataset {name}"


def _check_sdtm_variables(
    study: Study, steps: list[Step], frames: Mapping[str, pd.DataFrame], folder: str | Path | None
) -> None:
    """Refuse SDTM that lacks a variable a builder needs, or holds a value of the wrong type.

    Checked before any dataset is built, so a damaged input is named instead of failing
    deep inside a derivation: Num variables (per the SDTM spec) must hold numbers, --DTC
    variables ISO 8601 (partial dates allowed).
    """
    needed: dict[str, dict[str, list[str]]] = {}
    for step in steps:
        for dataset, names in required_variables(step).items():
            for name in names:
                needed.setdefault(dataset, {}).setdefault(name, []).append(step.spec.name)
    for dataset in sorted(set(needed) | set(frames)):
        frame = frames.get(dataset)
        if frame is None:
            continue
        file = _source_file(dataset, folder)
        missing = sorted(name for name in needed.get(dataset, {}) if name not in frame.columns)
        if missing:
            users = sorted({user for name in missing for user in needed[dataset][name]})
            raise InputError(
                f"{dataset} lacks {', '.join(missing)}, which {' and '.join(users)} "
                f"{'needs' if len(users) == 1 else 'need'}",
                file=file, expected=f"the variables {', '.join(missing)} in {dataset}",
            )
        spec = study.sdtm.get(dataset)
        numeric = {v.name for v in spec.variables if v.type == "Num"} if spec else set()
        for name in frame.columns:
            _check_values(dataset, frame[name], file, numeric=name in numeric)


def _check_values(dataset: str, values: pd.Series, file: str, *, numeric: bool) -> None:
    """A Num variable (per the SDTM spec) must hold numbers, a --DTC variable ISO 8601."""
    if numeric and not pd.api.types.is_numeric_dtype(values):
        text = values.astype("string").str.strip()
        bad = text.notna() & (text != "") & pd.to_numeric(text, errors="coerce").isna()
        expected = "a number (Num in the SDTM spec)"
    elif str(values.name).endswith("DTC") and not pd.api.types.is_numeric_dtype(values):
        bad = invalid_dtc(values)
        expected = "ISO 8601 (partial dates such as 2024-05 allowed)"
    else:
        return
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise InputError(
            f"{dataset}.{values.name} holds a value that is not valid", file=file, row=row + 1,
            column=str(values.name), value=values.iloc[row], expected=expected,
        )


def select_variables(frame: pd.DataFrame, spec: DatasetSpec, builder: str = "the builder") -> pd.DataFrame:
    """Exactly the spec's variables, in spec order; a declared variable not made is a SpecError.

    Internal columns (names starting with `_`, never written) are kept after them: ADPP's
    _PPREASND/_INTSTART/_INTEND are what SDTM PP is made from.
    """
    missing = [name for name in spec.variable_names() if name not in frame.columns]
    if missing:
        made = [c for c in frame.columns if not str(c).startswith("_")]
        raise SpecError([
            Problem(spec.file, parameter_line(spec.file, name, section="variables"),
                    f"{spec.name}: variable {name} is declared, but {builder} does not make it"
                    f"{closest(name, made)}")
            for name in missing
        ])
    internal = [c for c in frame.columns if str(c).startswith("_")]
    return frame[[*spec.variable_names(), *internal]].reset_index(drop=True)
