"""The implementation guide as rules consult it: classes, labels and variables of each domain.

Built from `DatasetSpec` objects, whichever source gave them: an IG imported from a CDISC
Library export (`specs.library_csv`), or the standards clinforge ships (a subset).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from qc.engine.data import Dataset
from specs.model import DatasetSpec, Variable

GENERAL_CLASSES = ("EVENTS", "FINDINGS", "INTERVENTIONS", "FINDINGS ABOUT")
# Datasets the SDTM model defines but SDTMIG 3.4 does not, whose class no variable reveals:
# TX (Trial Sets, used by SENDIG) is a Trial Design dataset of SDTM v2.0. CORE looks such
# datasets up in the model after the IG.
MODEL_CLASSES = {"TX": "TRIAL DESIGN"}
IDENTIFIER, TIMING = "Identifier", "Timing"
# SDTM v2.0 Associated Persons identifiers (SDTMIG-AP 1.0), which replace USUBJID in AP datasets.
AP_IDENTIFIERS = ("APID", "RSUBJID", "RDEVID", "SREL")


class ModelVariable(NamedTuple):
    name: str  # --TERM, VISITNUM ...
    role: str  # Identifier, Topic, ... Qualifier, Timing


def _generic(variable: str, domain: str) -> str:
    """AETERM in AE is --TERM; variables without the domain prefix stay as they are."""
    return "--" + variable[len(domain):] if len(domain) == 2 and variable.startswith(domain) else variable


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

    def guide_variables(self, dataset: Dataset) -> tuple[Variable, ...]:
        """The IG's variables of the dataset's domain (SUPPQUAL's for a SUPP-- dataset)."""
        return self.variables("SUPPQUAL" if dataset.is_supp else dataset.unsplit_name)

    def is_custom(self, domain: str) -> bool:
        return domain not in self.datasets

    @cached_property
    def wildcard_variables(self) -> frozenset[str]:
        """Variables of the SDTM model's general classes as `--` names (--TERM, --DECOD ...):
        the IG's domain variables with their domain prefix replaced (the IG export lists no model)."""
        return frozenset(f"--{v.name[len(name):]}" for name, spec in self.datasets.items()
                         for v in spec.variables if len(name) == 2 and v.name.startswith(name))

    def model_variables(self, dataset: Dataset) -> list[ModelVariable]:
        """The variables the SDTM model allows in the dataset, in model order, `--` unexpanded.

        The IG export has no model, so a general-class dataset gets the model as derived from
        the IG (`_class_variables`): the identifiers, then its class's topic and qualifiers, then
        the timing variables. Other datasets get their IG domain's variables (SUPP-- those of
        SUPPQUAL). An associated-persons dataset trades USUBJID for the AP identifiers.
        CORE reads the model (get_variables_metadata_from_standard_model), which also lists
        variables no IG domain uses (--XDY, --CHDY ...); those are missing here.
        """
        name = dataset.unsplit_name
        if dataset.is_supp:
            name = "SUPPQUAL"
        elif dataset.is_ap and len(name) == 4:
            name = name[2:]
        dataset_class = self.dataset_class(dataset)
        if dataset_class in GENERAL_CLASSES:
            variables = self._class_variables[dataset_class]
        else:
            spec = self.spec(name)
            variables = [ModelVariable(_generic(v.name, name), v.role or "") for v in spec.variables] \
                if spec is not None else []
        if dataset.is_ap and not dataset.is_supp:
            identifiers = [v for v in variables if v.role == IDENTIFIER and v.name != "USUBJID"]
            variables = identifiers + [ModelVariable(v, IDENTIFIER) for v in AP_IDENTIFIERS] + \
                [v for v in variables if v.role != IDENTIFIER]
        return variables

    @cached_property
    def _class_variables(self) -> dict[str, list[ModelVariable]]:
        """Each general class's variables as the SDTM model orders them, derived from the IG's
        domains: the identifiers and timing variables of all general-class domains (the model's
        General Observations class), around the class's own variables; Findings About puts its
        own (--OBJ) after the Findings variables up to --TEST, as CORE merges the two classes."""
        general = {name: spec for name, spec in self.datasets.items()
                   if spec.dataset_class in GENERAL_CLASSES}
        roles: dict[str, str] = {}
        sequences: dict[str, list[str]] = {}
        for name, spec in general.items():
            sequences[name] = [_generic(v.name, name) for v in spec.variables]
            for v in spec.variables:
                roles.setdefault(_generic(v.name, name), v.role or "")

        def ordered(domains: list[str], keep) -> list[ModelVariable]:
            names = vote_order([[n for n in sequences[d] if keep(roles[n])] for d in domains])
            return [ModelVariable(n, roles[n]) for n in names]

        identifiers = ordered(list(general), lambda role: role == IDENTIFIER)
        timing = ordered(list(general), lambda role: role == TIMING)
        own = {c: ordered([n for n, s in general.items() if s.dataset_class == c],
                          lambda role: role not in (IDENTIFIER, TIMING)) for c in GENERAL_CLASSES}
        findings = own["FINDINGS"]
        names = [v.name for v in findings]
        cut = names.index("--TEST") + 1 if "--TEST" in names else len(names)
        about = [v for v in own["FINDINGS ABOUT"] if v.name not in names]
        own["FINDINGS ABOUT"] = findings[:cut] + about + findings[cut:]
        return {c: identifiers + own[c] + timing for c in GENERAL_CLASSES}

    def class_domains(self, dataset_class: str) -> list[str]:
        return [name for name, spec in self.datasets.items() if spec.dataset_class == dataset_class]


def vote_order(sequences: list[list[str]]) -> list[str]:
    """One order of all names that agrees best with each sequence's order (each domain's
    variables are a sub-order of the model's): a name goes before another when more sequences
    have it first; greedily, the name the fewest remaining ones should precede comes next,
    ties broken by first appearance. Recovers --STDTC before --ENDTC and VISITNUM before --DTC."""
    names = list(dict.fromkeys(n for sequence in sequences for n in sequence))
    votes: Counter = Counter()
    for sequence in sequences:
        for i, first in enumerate(sequence):
            for second in sequence[i + 1:]:
                votes[(first, second)] += 1
    out: list[str] = []
    remaining = dict.fromkeys(names)
    while remaining:
        def beaten(name: str) -> int:
            return sum(votes[(other, name)] > votes[(name, other)] for other in remaining if other != name)
        best = min(remaining, key=beaten)  # min keeps the first of equals: first appearance
        out.append(best)
        del remaining[best]
    return out


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
