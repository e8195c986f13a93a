"""The implementation guide as rules consult it: classes, labels and variables of each domain.

Built from `DatasetSpec` objects, whichever source gave them: an IG imported from a CDISC
Library export (`specs.library_csv`), or the standards clinforge ships (a subset).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from qc.engine.data import Dataset
from specs.model import DatasetSpec, Variable

GENERAL_CLASSES = ("EVENTS", "FINDINGS", "INTERVENTIONS", "FINDINGS ABOUT")
# Datasets the SDTM model defines but SDTMIG 3.4 does not, whose class no variable reveals:
# TX (Trial Sets, used by SENDIG) is a Trial Design dataset of SDTM v2.0. CORE looks such
# datasets up in the model after the IG.
MODEL_CLASSES = {"TX": "TRIAL DESIGN"}


@dataclass(frozen=True)
class Library:
    name: str  # SDTMIG, ADAMIG
    version: str
    datasets: Mapping[str, DatasetSpec]
    complete: bool = True  # False for the shipped subset: "not in the IG" cannot be decided

    def spec(self, domain: str) -> DatasetSpec | None:
        return self.datasets.get(domain)

    def dataset_class(self, dataset: Dataset) -> str:
        """The dataset's class: the IG's for a standard domain, else inferred from its topic
        variable (--TERM events, --TRT interventions, QNAM relationship, --TESTCD findings)."""
        if dataset.is_adam:
            return _adam_class(dataset)
        spec = self.spec(dataset.unsplit_name) or self.spec(dataset.domain)
        if spec is None and dataset.is_supp:
            spec = self.spec("SUPPQUAL")
        if spec is not None and spec.dataset_class:
            return spec.dataset_class
        return MODEL_CLASSES.get(dataset.unsplit_name) or infer_class(dataset)

    def variables(self, domain: str) -> tuple[Variable, ...]:
        spec = self.spec(domain)
        return spec.variables if spec is not None else ()

    def is_custom(self, domain: str) -> bool:
        return domain not in self.datasets

    @cached_property
    def wildcard_variables(self) -> frozenset[str]:
        """Variables of the SDTM model's general classes as `--` names (--TERM, --DECOD ...):
        the IG's domain variables with their domain prefix replaced (the IG export lists no model)."""
        return frozenset(f"--{v.name[len(name):]}" for name, spec in self.datasets.items()
                         for v in spec.variables if len(name) == 2 and v.name.startswith(name))

    def class_domains(self, dataset_class: str) -> list[str]:
        return [name for name, spec in self.datasets.items() if spec.dataset_class == dataset_class]


def infer_class(dataset: Dataset) -> str:
    columns = set(dataset.frame.columns)
    prefix = dataset.wildcard
    if f"{prefix}TERM" in columns:
        return "EVENTS"
    if f"{prefix}TRT" in columns:
        return "INTERVENTIONS"
    if "QNAM" in columns:
        return "RELATIONSHIP"
    if f"{prefix}TESTCD" in columns:
        return "FINDINGS ABOUT" if f"{prefix}OBJ" in columns else "FINDINGS"
    return ""


def _adam_class(dataset: Dataset) -> str:
    return adam_structure(dataset)


def adam_structure(dataset: Dataset) -> str:
    """The ADaM data structure as CORE detects it (no define.xml): ADSL by name, BDS by PARAM,
    AVAL or AVALC (CORE lists "ARAMCD" among its indicators, a typo for PARAMCD, which never
    matters since BDS datasets hold PARAM), OCCDS by a variable ending in TERM or TRT, else
    ADaM other."""
    columns = {c.upper() for c in dataset.frame.columns}
    if dataset.name == "ADSL":
        return "SUBJECT LEVEL ANALYSIS DATASET"
    if columns & {"PARAMCD", "PARAM", "AVAL", "AVALC"}:
        return "BASIC DATA STRUCTURE"
    if any(c.endswith(("TERM", "TRT")) for c in columns):
        return "OCCURRENCE DATA STRUCTURE"
    return "ADAM OTHER"
