"""The datasets define.xml is written for, checked against the study's specs before writing.

define.xml describes the files beside it by the specs: lengths, data types and codelist terms
are measured on the data, everything else comes from the spec. So data that contradict the
spec are refused, not described, with every problem named at once (file, row, variable, value,
what was expected):

- a dataset without records: nothing to measure, and empty datasets are not submitted (FDA
  Study Data Technical Conformance Guide); remove the file;
- a variable of the spec that the file lacks: define.xml would describe a variable the file
  does not have, or leave out one the spec declares;
- a variable whose values are not of its spec type (text in a Num variable, numbers in a Char
  one).

A dataset the study has no spec for is not described, and that is said (`not_described`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from specs.errors import InputError
from specs.model import DatasetSpec
from specs.readers import dataset_file
from specs.value_types import as_numbers, check_char


def check_datasets(specs: Mapping[str, DatasetSpec], frames: Mapping[str, pd.DataFrame],
                   folder: str | Path | None) -> None:
    """Refuse datasets define.xml cannot describe (see the module docstring), naming every problem."""
    problems: list[InputError] = []
    for name in sorted(set(frames) & set(specs)):
        frame, spec, file = frames[name], specs[name], dataset_file(folder, name)
        if frame.empty:
            problems.append(InputError(f"{name} has no records, so define.xml cannot describe it", file=file,
                                       expected="records, or no file: empty datasets are not submitted"))
            continue
        missing = [v.name for v in spec.variables if v.name not in frame.columns]
        if missing:
            problems.append(InputError(f"{name} lacks {', '.join(missing)}, which its spec declares",
                                       file=file, expected=f"every variable of the {name} spec in the file"))
        for variable in spec.variables:
            if variable.name not in frame.columns:
                continue
            check = as_numbers if variable.type == "Num" else check_char
            try:
                check(name, frame[variable.name], file)
            except InputError as problem:
                problems.append(problem)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise InputError(f"{len(problems)} problems:\n  " + "\n  ".join(str(p) for p in problems))


def not_described(specs: Mapping[str, DatasetSpec], frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """Datasets of the folder that the study has no spec for."""
    return sorted(set(frames) - set(specs))
