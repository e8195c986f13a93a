"""Which metadata describes each dataset of a folder: the study specs, a define.xml, or the standard.

The order is: a study's specs when given; else a define.xml (given, or `define.xml` in the folder);
else the shipped SDTMIG 3.4 / ADaMIG 1.3 metadata. A dataset the chosen source does not describe
falls back to the standard, and the source of every dataset is recorded, so a report says what
each dataset was checked against.

The CDISC CT packages: `--ct VERSION` when given (it must be imported), else those the study
specs or the define.xml name (or the nearest imported release), else the newest imported, else
the subset clinforge ships; `Metadata.ct` says which, and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from qc.frames import domain_of, is_adam
from qc.terminology import CtInUse
from specs.guides import GUIDES, LABELS, Guide
from specs.loader import (
    CT_STANDARDS,
    STANDARD_VERSIONS,
    load_ct,
    load_standard,
    load_study,
    shipped_subsets,
    study_guide,
    study_terminology,
)
from specs.model import Codelist, DatasetSpec, Study
from specs.terminology import Choice, Codelists, choose, require

DECLARED = ("study ", "define.xml ")  # how the source of a sponsor-declared dataset begins


@dataclass(frozen=True)
class Metadata:
    datasets: dict[str, DatasetSpec]  # by dataset name as it appears in the folder
    codelists: Mapping[str, Codelist]
    # dataset → "study ovarian", "define.xml path", "SDTMIG 3.4 (shipped)", "SDTMIG 3.4 (imported)", "none"
    sources: dict[str, str]
    ct: CtInUse = CtInUse(())
    # The implementation guide's spec of each dataset (for the codelists the guide names).
    standard: dict[str, DatasetSpec | None] = field(default_factory=dict)
    guides: dict[str, Guide] = field(default_factory=dict)  # by kind (sdtm, adam)

    def is_declared(self, name: str) -> bool:
        """Whether the study or a define.xml describes the dataset (not the standard)."""
        return self.sources.get(name, "").startswith(DECLARED)

    def declared(self) -> dict[str, DatasetSpec]:
        """The specs of the datasets the study or define.xml describes."""
        return {n: s for n, s in self.datasets.items() if self.is_declared(n)}


def folder_metadata(
    frames: Mapping[str, pd.DataFrame],
    *,
    specs: Study | str | Path | None = None,
    define: str | Path | None = None,
    folder: str | Path | None = None,
    store: str | Path | None = None,
    ct_version: str | None = None,
) -> Metadata:
    """Metadata for every dataset in `frames`, from specs, define.xml or the shipped standard,
    and the CDISC CT packages to check them against (see the module's note)."""
    declared: dict[str, DatasetSpec] = {}
    own: Mapping[str, Codelist] = {n: c for n, c in load_ct().items() if c.source is None}
    label = ""
    choices: tuple[Choice, ...] = ()
    versions: dict[str, str | None] = {"sdtm": None, "adam": None}
    if specs is not None:
        study = specs if isinstance(specs, Study) else load_study(specs, store)
        declared = {**study.sdtm, **study.adam}
        own = study.codelists.own if isinstance(study.codelists, Codelists) else study.codelists
        label = f"study {study.name}"
        choices = study.terminology
        versions = {"sdtm": study.standards.get("sdtmig"), "adam": study.standards.get("adamig")}
    else:
        define_path = Path(define) if define else define_in(folder)
        named: dict[str, str] = {}
        if define_path is not None:
            from define.reader import read_ct_versions, read_define

            declared, define_codelists = read_define(define_path)
            own = {**own, **define_codelists}
            named = read_ct_versions(define_path)
            label = f"define.xml {define_path}"
        choices = study_terminology(named, store)[1]
    ct = ct_in_use(choices, store, ct_version)
    codelists = Codelists(own, ct.packages)
    guides = {kind: study_guide(kind, load_standard(kind), version, store)
              for kind, version in versions.items()}

    datasets: dict[str, DatasetSpec] = {}
    sources: dict[str, str] = {}
    standard: dict[str, DatasetSpec | None] = {}
    for name, frame in frames.items():
        standard[name], guide_label = standard_spec(name, frame, guides)
        spec = declared.get(name.upper())
        source = label
        if spec is None:
            spec, source = standard[name], guide_label
        if spec is not None:
            datasets[name] = spec
        sources[name] = source if spec is not None else "none"
    return Metadata(datasets=datasets, codelists=codelists, sources=sources, ct=ct, standard=standard,
                    guides=guides)


def ct_in_use(choices: tuple[Choice, ...], store: str | Path | None, version: str | None) -> CtInUse:
    """The packages chosen for the study or folder, or those of release `version` (`--ct`): the
    SDTM package must then be imported (InputError), the ADaM one is used when it is."""
    if version is None:
        return CtInUse(tuple(c.terminology for c in choices), tuple(c.note for c in choices if c.note))
    packages = [require("sdtm", version, store)]
    notes = []
    for standard in CT_STANDARDS.values():
        if standard == "sdtm":
            continue
        chosen = choose(standard, version, store, shipped_subsets().get(standard))
        if chosen is not None:
            packages.append(chosen.terminology)
            notes += [chosen.note] if chosen.note else []
    return CtInUse(tuple(packages), tuple(notes))


def standard_spec(name: str, frame: pd.DataFrame, guides: dict[str, Guide] | None = None
                  ) -> tuple[DatasetSpec | None, str]:
    """The implementation guide's metadata for a dataset (`guides` by kind; default the shipped
    standards), and the guide's label."""
    upper = name.upper()
    kind = "adam" if is_adam(upper) else "sdtm"
    guide = (guides or {}).get(kind) or Guide(LABELS[GUIDES[kind]], STANDARD_VERSIONS[kind],
                                              load_standard(kind), imported=False)
    standard, label = guide.datasets, guide.label
    if kind == "adam":
        catalogue = "ADSL" if upper == "ADSL" else "BDS" if "PARAMCD" in frame.columns else "OCCDS"
    else:
        catalogue = "SUPPQUAL" if upper.startswith("SUPP") else domain_of(upper, frame)
    spec = standard.get(catalogue)
    if spec is None:
        return None, ""
    if catalogue in ("BDS", "OCCDS"):
        # A class catalogue lists variables of many datasets; only its keys and Req ones bind.
        spec = replace(spec, keys=())
    return replace(spec, name=upper), label


def define_in(folder: str | Path | None) -> Path | None:
    if folder is None:
        return None
    candidate = Path(folder) / "define.xml"
    return candidate if candidate.is_file() else None
