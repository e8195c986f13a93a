"""The metadata model: what a study, its CRF forms, datasets, variables and codelists are.

Every object is frozen: a loaded study is a value that every layer reads and none changes.
The same objects feed the SDTM engine, the ADaM builders, the XPT writer, define.xml and the
expectation suites, so a label or a codelist is written once, in the YAML specs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any

# A --STRESC codelist (LBSTRESC, EGSTRESC ...) holds the character results: it applies where
# --STRESN is null, since a numeric result in its text form is no term (as Pinnacle 21 conditions
# it). A variable-level codelist reference cannot say so: specs leave it to the CT check.
CHARACTER_RESULTS = ("STRESC", "STRESN")
ORIGINS = ("Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available")
CORES = ("Req", "Exp", "Perm", "Cond")
TYPES = ("Char", "Num")


@dataclass(frozen=True)
class Term:
    value: str
    c_code: str | None = None
    decode: str | None = None
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class CtSource:
    """The CDISC CT package a codelist comes from: an imported NCI EVS package, or the subset
    clinforge ships (only the terms it writes, so a value outside it may still be CDISC CT)."""

    standard: str  # the NCI EVS package: sdtm, adam, define-xml ...
    version: str  # its release date
    complete: bool = True

    @property
    def publishing_set(self) -> str:
        return PUBLISHING_SETS.get(self.standard, self.standard.upper())

    @property
    def label(self) -> str:
        text = f"{self.publishing_set} CT {self.version}"
        return text if self.complete else f"{text} (the subset clinforge ships)"


# Define-XML's def:Standard PublishingSet names for the NCI EVS packages.
PUBLISHING_SETS = {"sdtm": "SDTM", "adam": "ADaM", "define-xml": "DEFINE-XML", "send": "SEND",
                   "cdash": "CDASH", "protocol": "PROTOCOL", "mrct": "MRCT"}


@dataclass(frozen=True)
class Codelist:
    name: str
    label: str
    terms: tuple[Term, ...]
    c_code: str | None = None
    extensible: bool = False
    sponsor: bool = False  # sponsor-defined, or a standard codelist the sponsor extended
    data_type: str = "text"
    note: str | None = None
    source: CtSource | None = None  # None: a sponsor codelist, or one read from a define.xml

    def values(self) -> tuple[str, ...]:
        return tuple(t.value for t in self.terms)

    def term(self, value: str) -> Term | None:
        return next((t for t in self.terms if t.value == value), None)


@dataclass(frozen=True)
class CtCondition:
    """The CDISC codelist(s) of a variable where the implementation guide decides it: by the value
    of another variable (`by` → `codelists`), or any of several (`any_of`). specs/ct/conditions.yaml."""

    domain: str
    variable: str
    by: str | None = None
    codelists: dict[str, str] = _field(default_factory=dict)  # value of `by` → codelist
    any_of: tuple[str, ...] = ()
    # TS: a parameter's values take the package's "<TSPARM> Response" codelist, or NY for an indicator.
    response_codelists: bool = False


@dataclass(frozen=True)
class CrfField:
    name: str
    type: str  # text, integer, float, date, time, choice
    label: str
    choices: str | None = None
    required: bool = False
    # How `clinforge synth` draws it when no simulator module writes its form (edc.fields).
    simulate: Mapping[str, Any] = _field(default_factory=dict)


@dataclass(frozen=True)
class Form:
    name: str
    label: str
    fields: tuple[CrfField, ...]  # system fields first, then the form's own
    # `per: FIELD`: one record per answer of FIELD at each visit, when synth simulates the form;
    # `dosing: true`: one record per dose of the subject's arm (edc.fields).
    simulate: Mapping[str, Any] = _field(default_factory=dict)

    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class Visit:
    visitnum: float
    visit: str
    folder: str
    day: int  # protocol day: Day 0 is the CAR-T infusion
    window_before: int
    window_after: int
    epoch: str
    activities: tuple[str, ...] = ()

    @property
    def study_day(self) -> int:
        """Planned SDTM study day (VISITDY): there is no day 0 in SDTM."""
        return self.day + 1 if self.day >= 0 else self.day


@dataclass(frozen=True)
class Element:
    etcd: str
    element: str
    epoch: str
    start: str
    end: str
    duration: str | None = None


@dataclass(frozen=True)
class Arm:
    armcd: str
    arm: str
    elements: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """How one target variable is filled from one raw form: an algorithm named in the spec."""

    algorithm: str
    field: str | None = None
    params: dict[str, Any] = _field(default_factory=dict)
    line: int = 0  # where the rule is in its spec file, for messages; 0 when unknown
    # The raw columns it reads may be missing from an export (then read as blank); otherwise a
    # missing column is refused.
    optional: bool = False
    file: str = ""  # the spec file the rule is written in (a library file when inherited)


@dataclass(frozen=True)
class SourceBlock:
    """One raw form feeding a dataset; `where` keeps only the raw rows it holds for, then
    `distinct` only the first of those rows (in the form's row order) per value of its fields."""

    form: str
    map: dict[str, Rule]
    where: str | None = None
    distinct: tuple[str, ...] = ()
    line: int = 0  # of `form:` in the spec file
    file: str = ""


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    type: str  # Char or Num
    order: int
    length: int | None = None  # None: the longest value in the data (Num is always 8)
    origin: str = "Derived"
    source: str | None = None  # origin source, e.g. Investigator, Sponsor, ADSL.TRTSDT
    codelist: str | None = None
    role: str | None = None
    core: str | None = None
    format: str | None = None  # display format, e.g. DATE9.
    significant_digits: int | None = None
    method: str | None = None  # derivation text for define.xml
    comment: str | None = None
    algorithm: str | None = None  # dataset-level derivation run after the sources are mapped
    params: dict[str, Any] = _field(default_factory=dict)
    line: int = 0  # in the spec file; 0 for standard metadata
    file: str = ""  # the spec file the variable is written in (a library file when inherited)


@dataclass(frozen=True)
class ValueLevel:
    """Metadata of one variable where other variables hold given values (e.g. PCORRES where PCTESTCD = X)."""

    variable: str
    where: dict[str, tuple[str, ...]]
    type: str
    label: str | None = None
    length: int | None = None
    codelist: str | None = None
    origin: str | None = None
    unit: str | None = None
    method: str | None = None
    significant_digits: int | None = None


@dataclass(frozen=True)
class Qualifier:
    """A supplemental qualifier (SUPP--) declared by the parent domain's spec."""

    qnam: str
    qlabel: str
    field: str
    qorig: str = "CRF"
    qeval: str = ""
    codelist: str | None = None
    optional: bool = False  # the raw column may be missing from an export (then no qualifier)
    line: int = 0
    file: str = ""
    # The variable (or QNAM) whose text beyond 200 characters this qualifier holds (SDTMIG
    # 4.5.3.2, specs.textsplit); empty for a qualifier the spec declares.
    continues: str = ""


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    label: str
    kind: str  # sdtm or adam
    dataset_class: str
    structure: str
    keys: tuple[str, ...]
    variables: tuple[Variable, ...]
    sources: tuple[SourceBlock, ...] = ()
    value_level: tuple[ValueLevel, ...] = ()
    supplemental: tuple[Qualifier, ...] = ()
    parameters: dict[str, Any] = _field(default_factory=dict)
    comment: str | None = None
    file: str = ""  # the study's spec file (it may extend a library spec: `places` says where)
    # Where parts of the spec are written, as (file, line): "parameters", "parameters.<NAME>",
    # "variables", "keys" ...; a part inherited through `extends:` names the library file.
    places: dict[str, tuple[str, int]] = _field(default_factory=dict)
    # The ADaM data structure (BDS ...) whose generic builder makes the dataset; None: the
    # dataset's own builder (by name).
    data_structure: str | None = None

    def place(self, part: str) -> tuple[str, int]:
        """(file, line) of `part` ("parameters.teae_window_days"), else of the nearest part that
        holds it ("parameters"), else the spec's file."""
        while part:
            if part in self.places:
                return self.places[part]
            part = part.rpartition(".")[0]
        return (self.file, 0)

    def variable(self, name: str) -> Variable | None:
        return next((v for v in self.variables if v.name == name), None)

    def variable_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    @property
    def repeating(self) -> bool:
        return self.name not in ("DM", "ADSL")

    @property
    def is_reference_data(self) -> bool:
        return self.dataset_class.upper() == "TRIAL DESIGN"


@dataclass(frozen=True)
class Selection:
    """A named set of subjects or records of one ADaM dataset: every `where` variable holds one of its
    values (ARS AnalysisSet / DataSubset; one value is the comparator EQ, several IN)."""

    id: str
    name: str
    dataset: str
    where: dict[str, tuple[Any, ...]]
    line: int = 0


@dataclass(frozen=True)
class Grouping:
    """An ARS grouping factor whose groups are the values found in the data (dataDriven), ordered by
    `order_by` (e.g. AVISITN for AVISIT), else by value."""

    id: str
    name: str
    dataset: str
    variable: str
    order_by: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Analysis:
    """One planned analysis (ARS Analysis): a method applied to a variable of a dataset, for an
    analysis set, optionally a data subset, grouped by groupings; `parameters` are the method's."""

    id: str
    name: str
    outcome: str  # the registered outcome measure it answers
    purpose: str  # ARS AnalysisPurpose: PRIMARY OUTCOME MEASURE, SECONDARY ..., EXPLORATORY ...
    dataset: str
    variable: str
    analysis_set: str
    method: str
    data_subset: str | None = None
    groupings: tuple[str, ...] = ()
    parameters: dict[str, Any] = _field(default_factory=dict)
    columns: str | None = None  # the grouping whose groups the report's table shows as columns
    line: int = 0


@dataclass(frozen=True)
class Figure:
    """A figure of the study review report: a registered kind of picture and its parameters."""

    id: str
    kind: str
    parameters: dict[str, Any] = _field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class AnalysisPlan:
    """The study's analyses as data (specs/studies/<study>/analyses.yaml), ARS-shaped."""

    id: str
    name: str
    analysis_sets: tuple[Selection, ...]
    data_subsets: tuple[Selection, ...]
    groupings: tuple[Grouping, ...]
    analyses: tuple[Analysis, ...]
    figures: tuple[Figure, ...] = ()
    file: str = ""

    def analysis_set(self, id: str) -> Selection:
        return next(s for s in self.analysis_sets if s.id == id)

    def data_subset(self, id: str) -> Selection:
        return next(s for s in self.data_subsets if s.id == id)

    def grouping(self, id: str) -> Grouping:
        return next(g for g in self.groupings if g.id == id)


@dataclass(frozen=True)
class Study:
    name: str
    studyid: str
    title: str
    sponsor: str
    phase: str
    indication: str
    registry_id: str
    planned_subjects: int
    sites: tuple[str, ...]
    countries: tuple[str, ...]
    age_range: tuple[int, int]
    sex_population: str
    standards: dict[str, str]
    forms: dict[str, Form]
    arms: tuple[Arm, ...]
    elements: tuple[Element, ...]
    visits: tuple[Visit, ...]
    treatments: dict[str, Any]
    reference: dict[str, str]
    kinetics: dict[str, Any]
    tumor: dict[str, Any]
    questionnaires: tuple[str, ...]
    parameters: dict[str, Any]
    codelists: Mapping[str, Codelist]  # by name or C-code (specs.terminology.Codelists)
    sdtm: dict[str, DatasetSpec]
    adam: dict[str, DatasetSpec]
    folder: str = ""
    ct: dict[str, str] = _field(default_factory=dict)  # CT packages study.yaml names: sdtm → date
    protocol: dict[str, Any] = _field(default_factory=dict)  # protocol facts TS reports
    terminology: tuple = ()  # specs.terminology.Choice per standard: the packages used, and why
    # The implementation guides the specs were completed from (imported, else shipped), by kind.
    guides: dict[str, dict[str, DatasetSpec]] = _field(default_factory=dict)
    analysis_plan: AnalysisPlan | None = None  # analyses.yaml, when the study has one
    # The file of what synth draws for the study's kind of therapy (specs.loader.simulation_file).
    simulation: str = ""
    # The EDC answer lists its forms use (the CRF library's, with the study's forms.yaml over them).
    form_choices: dict[str, tuple[str, ...]] = _field(default_factory=dict)
    # Every spec file the study was loaded from: its own, the library files its specs extend, and
    # the shared CRF library, standards and CT (what the package manifest's specs hash covers).
    spec_files: tuple[str, ...] = ()

    def visit_by_folder(self, folder: str) -> Visit | None:
        return next((v for v in self.visits if v.folder == folder), None)

    def visits_with(self, activity: str) -> tuple[Visit, ...]:
        return tuple(v for v in self.visits if activity in v.activities)
