"""Which metadata describes each dataset of a folder: the study specs, a define.xml, or the standard.

The order is: a study's specs when given; else a define.xml (given, or `define.xml` in the folder);
else the shipped SDTMIG 3.4 / ADaMIG 1.3 metadata with the shipped CDISC CT. A dataset the chosen
source does not describe falls back to the standard, and the source of every dataset is recorded,
so a report says what each dataset was checked against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from qc.frames import domain_of, is_adam
from specs.loader import load_ct, load_standard, load_study
from specs.model import Codelist, DatasetSpec, Study

STANDARD_SOURCE = {"sdtm": "SDTMIG 3.4 (shipped)", "adam": "ADaMIG 1.3 (shipped)"}


@dataclass(frozen=True)
class Metadata:
    datasets: dict[str, DatasetSpec]  # by dataset name as it appears in the folder
    codelists: dict[str, Codelist]
    sources: dict[str, str]  # dataset → "study ovarian", "define.xml path", "SDTMIG 3.4 (shipped)", "none"


def folder_metadata(
    frames: Mapping[str, pd.DataFrame],
    *,
    specs: Study | str | Path | None = None,
    define: str | Path | None = None,
    folder: str | Path | None = None,
) -> Metadata:
    """Metadata for every dataset in `frames`, from specs, define.xml or the shipped standard."""
    declared: dict[str, DatasetSpec] = {}
    codelists = dict(load_ct())
    label = ""
    if specs is not None:
        study = specs if isinstance(specs, Study) else load_study(specs)
        declared = {**study.sdtm, **study.adam}
        codelists = dict(study.codelists)
        label = f"study {study.name}"
    else:
        define_path = Path(define) if define else _define_in(folder)
        if define_path is not None:
            from define.reader import read_define

            declared, define_codelists = read_define(define_path)
            codelists |= define_codelists
            label = f"define.xml {define_path}"

    datasets: dict[str, DatasetSpec] = {}
    sources: dict[str, str] = {}
    for name, frame in frames.items():
        spec = declared.get(name.upper())
        source = label
        if spec is None:
            spec, source = standard_spec(name, frame)
        if spec is not None:
            datasets[name] = spec
        sources[name] = source if spec is not None else "none"
    return Metadata(datasets=datasets, codelists=codelists, sources=sources)


def standard_spec(name: str, frame: pd.DataFrame) -> tuple[DatasetSpec | None, str]:
    """The shipped standard's metadata for a dataset the study does not describe."""
    upper = name.upper()
    if is_adam(upper):
        standard = load_standard("adam")
        catalogue = "ADSL" if upper == "ADSL" else "BDS" if "PARAMCD" in frame.columns else "OCCDS"
        kind = "adam"
    else:
        standard = load_standard("sdtm")
        catalogue = "SUPPQUAL" if upper.startswith("SUPP") else domain_of(upper, frame)
        kind = "sdtm"
    spec = standard.get(catalogue)
    if spec is None:
        return None, ""
    if catalogue in ("BDS", "OCCDS"):
        # A class catalogue lists variables of many datasets; only its keys and Req ones bind.
        spec = replace(spec, keys=())
    return replace(spec, name=upper), STANDARD_SOURCE[kind]


def _define_in(folder: str | Path | None) -> Path | None:
    if folder is None:
        return None
    candidate = Path(folder) / "define.xml"
    return candidate if candidate.is_file() else None
