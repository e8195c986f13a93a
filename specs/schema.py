"""Declarations of what each spec file may hold, and one checker that collects every problem.

A schema is data (`Obj`, `Seq`, scalar kinds); `check` walks a parsed YAML tree against it and
returns the problems with their lines, suggesting the closest valid key or value.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from typing import Any

from specs.errors import Problem
from specs.model import CORES, ORIGINS, TYPES
from specs.yamlio import LMap, LSeq

Kind = Any  # a scalar type, a tuple of scalar types, Obj, Seq or AnyMap


@dataclass(frozen=True)
class Key:
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Obj:
    keys: dict[str, Key]
    # A bare string may stand for the object, filling this key (e.g. `AETERM: AETERM`).
    shorthand: str | None = None
    # How a file that extends another overrides it (specs.extends): key by key, or, when atomic,
    # the whole object (a mapping rule: its parameters belong to its algorithm).
    atomic: bool = False


@dataclass(frozen=True)
class Seq:
    item: Kind
    # The item keys that identify an item (a variable by `name`): an extending file's item with the
    # same identity overrides the inherited one, key by key. Without them the list is replaced whole.
    identity: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnyMap:
    """A free mapping (analysis parameters, algorithm parameters); values are any plain YAML."""

    values: Kind = None
    # An extending file's mapping overrides the inherited one key by key (each value whole), or,
    # when not `by_key`, replaces it whole (the `with:` of an algorithm).
    by_key: bool = True


NONE = type(None)
SCALAR = (str, int, float, bool, NONE, date)
_KIND_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
               NONE: "null", date: "a date (YYYY-MM-DD)"}


def closest(word: str, options: Any) -> str:
    found = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.5)
    return f"; did you mean {found[0]!r}?" if found else ""


def _shown(value: Any, limit: int = 60) -> str:
    """A value as the message shows it: its repr, cut short (a misplaced block can be huge)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f" of {len(value)}" if hasattr(value, "__len__") else ""
    return f"{text[:limit]}... ({type(value).__name__}{size})"


def _kind_name(kind: Kind) -> str:
    if isinstance(kind, tuple):
        return " or ".join(_kind_name(k) for k in kind)
    if isinstance(kind, Obj | AnyMap):
        return "a mapping"
    if isinstance(kind, Seq):
        return "a list"
    return _KIND_NAMES.get(kind, str(kind))


def _scalar_ok(value: Any, kind: Kind) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if k is bool and isinstance(value, bool):
            return True
        if k is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if k is float and isinstance(value, int | float) and not isinstance(value, bool):
            return True
        if k is str and isinstance(value, str):
            return True
        if k is NONE and value is None:
            return True
        if k is date and isinstance(value, date):
            return True
    return False


def check(value: Any, kind: Kind, file: str, line: int, where: str,
          partial: bool = False) -> list[Problem]:
    """All problems of `value` against `kind`; `where` is a readable path such as `visits[3].day`.

    Each problem names the file and line of the key or item at fault (a tree merged from several
    files knows each key's file). `partial` leaves out missing required keys: a file that extends
    another may state only what differs, and the merged result is checked whole."""
    problems: list[Problem] = []
    if isinstance(kind, Obj):
        if isinstance(value, str) and kind.shorthand:
            return problems
        if not isinstance(value, dict):
            return [Problem(file, line, f"{where}: expected a mapping, found {_shown(value)}")]
        for key, val in value.items():
            key_file, key_line = value.where(key) if isinstance(value, LMap) else (file, line)
            if key not in kind.keys:
                problems.append(Problem(
                    key_file, key_line, f"{where}: unknown key {key!r}{closest(key, kind.keys)} "
                                        f"(valid keys: {', '.join(kind.keys)})"
                ))
                continue
            problems += _check_key(val, kind.keys[key], key_file, key_line, f"{where}.{key}", partial)
        if not partial:
            problems += [Problem(file, line, f"{where}: missing required key {key!r} "
                                             f"(expected {_kind_name(spec.kind)})")
                         for key, spec in kind.keys.items() if spec.required and key not in value]
        return problems
    if isinstance(kind, Seq):
        if not isinstance(value, list):
            return [Problem(file, line, f"{where}: expected a list, found {_shown(value)}")]
        for i, item in enumerate(value):
            item_file, item_line = value.where(i) if isinstance(value, LSeq) else (file, line)
            problems += check(item, kind.item, item_file, item_line, f"{where}[{i}]", partial)
        return problems
    if isinstance(kind, AnyMap):
        if not isinstance(value, dict):
            return [Problem(file, line, f"{where}: expected a mapping, found {_shown(value)}")]
        if kind.values is not None:
            for key, val in value.items():
                key_file, key_line = value.where(key) if isinstance(value, LMap) else (file, line)
                problems += check(val, kind.values, key_file, key_line, f"{where}.{key}", partial)
        return problems
    if kind is None:
        return problems
    if isinstance(kind, tuple) and not all(k in SCALAR for k in kind):
        # A choice of shapes, e.g. one value or a list of values: check against the matching shape.
        for k in kind:
            if (isinstance(k, Seq) and isinstance(value, list)) or (
                    isinstance(k, Obj | AnyMap) and isinstance(value, dict)):
                return check(value, k, file, line, where, partial)
        kind = tuple(k for k in kind if k in SCALAR)
    if not _scalar_ok(value, kind):
        problems.append(Problem(
            file, line, f"{where}: expected {_kind_name(kind)}, found {_shown(value)}"
        ))
    return problems


def _check_key(value: Any, spec: Key, file: str, line: int, where: str,
               partial: bool = False) -> list[Problem]:
    problems = check(value, spec.kind, file, line, where, partial)
    if not problems and spec.choices and value not in spec.choices:
        problems.append(Problem(
            file, line,
            f"{where}: {value!r} is not one of {', '.join(spec.choices)}{closest(value, spec.choices)}",
        ))
    return problems


def obj(required: dict[str, Kind] | None = None, optional: dict[str, Kind] | None = None,
        choices: dict[str, tuple[str, ...]] | None = None, shorthand: str | None = None,
        atomic: bool = False) -> Obj:
    """Build an Obj from required and optional key kinds, with choices for some keys."""
    choices = choices or {}
    keys = {k: Key(v, True, choices.get(k, ())) for k, v in (required or {}).items()}
    keys |= {k: Key(v, False, choices.get(k, ())) for k, v in (optional or {}).items()}
    return Obj(keys, shorthand, atomic)


STRS = Seq(str)
NUM = (int, float)

# --- CDISC standards and controlled terminology (specs/standards, specs/ct) ---------------
STD_VARIABLE = obj(
    {"name": str, "label": str, "type": str},
    {"role": str, "core": str, "codelist": str, "format": str, "note": str},
    {"type": TYPES, "core": CORES},
)
STD_DATASET = obj(
    {"variables": Seq(STD_VARIABLE)},
    {"label": str, "class": str, "structure": str, "keys": STRS, "note": str},
)
STANDARD_FILE = obj(
    {"standard": str, "version": str, "datasets": AnyMap(STD_DATASET)}, {"note": str}
)
TERM = obj({"value": (str, int, float)},
           {"c_code": str, "decode": str, "synonyms": STRS, "note": str})
CODELIST = obj(
    {"name": str, "terms": Seq(TERM)},
    {"c_code": str, "label": str, "extensible": bool, "data_type": str, "note": str,
     "sponsor_defined": bool},
    {"data_type": ("text", "integer", "float")},
)
CT_FILE = obj({"package": str, "version": str, "codelists": Seq(CODELIST)}, {"note": str})
CT_CONDITIONS_FILE = obj({"variables": Seq(obj(
    {"domain": str, "variable": str},
    {"by": str, "codelists": AnyMap(str), "any_of": STRS, "response_codelists": bool},
))})

# --- sponsor CRF library (specs/crf) ------------------------------------------------------
# How `clinforge synth` draws a field of a form no simulator module knows (edc.fields).
# What a CRF field's `from:` can take from a subject's simulated course (edc.fields): the arm, and
# in a form with `dosing: true` the drug, dose, unit and route of the dose the record holds.
SIMULATION_FACTS = ("arm", "drug", "dose", "unit", "route")
_DRAW = {"range": Seq(NUM), "normal": Seq(NUM), "limits": Seq(NUM), "decimals": int, "values": STRS,
         "weights": Seq(NUM), "value": (str, int, float), "missing": NUM}
CRF_FIELD = obj(
    {"name": str, "type": str, "label": str},
    {"choices": str, "required": bool,
     "simulate": obj({}, {**_DRAW, "by": str, "cases": AnyMap(obj({}, _DRAW)), "from": str, "after": str,
                          "minutes": Seq(int)})},
    {"type": ("text", "integer", "float", "date", "time", "choice")},
)
CRF_FILE = obj(
    {"system_fields": Seq(CRF_FIELD, identity=("name",)), "choices": AnyMap(STRS),
     "forms": AnyMap(obj({"label": str, "fields": Seq(CRF_FIELD, identity=("name",))},
                         {"simulate": obj({}, {"per": str, "dosing": bool})}))},
)

# --- study.yaml -----------------------------------------------------------------------------
# One treatment of an arm and its schedule in protocol days: `days` listed, or `every_days` from
# `first_day` (default 0) for `doses` doses (specs.loader checks that exactly one is given).
ARM_TREATMENT = obj(
    {"name": str, "dose": NUM, "unit": str, "route": str},
    {"days": Seq(int), "every_days": int, "doses": int, "first_day": int, "form": str},
)
STUDY_FILE = obj(
    {
        "study": obj(
            {"name": str, "studyid": str, "title": str, "sponsor": str, "phase": str,
             "indication": str, "planned_subjects": int, "sites": STRS, "countries": STRS,
             "standards": AnyMap(str)},
            {"registry_id": str, "age_range": Seq(int), "sex_population": str,
             # What the protocol states and TS reports (sdtm.trial_design.study_facts).
             "protocol": obj({}, {"therapeutic_area": str, "primary_objective": str,
                                  "secondary_objectives": STRS, "primary_outcome_measures": STRS,
                                  "stop_rules": str, "pharmacologic_class": str,
                                  "trial_length": str, "intervention_model": str,
                                  "intervention_type": str, "rare_disease": str,
                                  "randomised": str, "control": str, "trial_types": STRS},
                             {"rare_disease": ("Y", "N"), "randomised": ("Y", "N")}),
             # The CDISC CT packages (NCI EVS release dates) the study's values come from.
             "ct": obj({}, {"sdtm": (str, date), "adam": (str, date)})},
            {"sex_population": ("F", "M", "BOTH")},
        ),
        "forms": STRS,
        "arms": Seq(obj({"armcd": str, "arm": str, "elements": STRS})),
        "elements": Seq(obj({"etcd": str, "element": str, "epoch": str, "start": str,
                             "end": str}, {"duration": str})),
        "visits": Seq(obj(
            {"visitnum": NUM, "visit": str, "folder": str, "day": int, "window": Seq(int),
             "epoch": str},
            {"activities": STRS},
        )),
        "reference": AnyMap(str),
        "parameters": AnyMap(),
    },
    {
        # What synth draws for the study's kind of therapy: a file of specs/library/simulation/.
        "simulation": str,
        # What each arm gives (`arms`, by ARMCD: several doses on a schedule), and the CAR-T
        # studies' lymphodepletion and infusion (what the simulator and ADaM's lymphodepletion
        # phase read); each part is optional.
        "treatments": obj(
            {},
            {"arms": AnyMap(Seq(ARM_TREATMENT)),
             "lymphodepletion": Seq(obj(
                 {"name": str, "dose": NUM, "unit": str, "route": str, "days": Seq(int)})),
             "cart": obj({"name": str, "dose": NUM, "unit": str, "route": str, "day": int},
                         {"constructs": Seq(obj({"marker": str, "name": str}))})},
        ),
        "kinetics": obj(
            {"analytes": Seq(obj({"testcd": str, "test": str, "unit": str, "lloq": NUM},
                                 {"marker": str})),
             "specimen": str, "reference": str},
            {"cytokines": STRS},
        ),
        "tumor": obj({"criteria": str, "evaluator": str}, {"sites": STRS}),
        "questionnaires": STRS,
    },
)
STUDY_CODELISTS_FILE = obj({"codelists": Seq(obj(
    {"name": str},
    {"c_code": str, "label": str, "extensible": bool, "data_type": str, "note": str,
     "terms": Seq(TERM), "extends": str},
))}, {"extends": (str, STRS)})

# --- dataset specs (sdtm/<DOMAIN>.yaml, adam/<DATASET>.yaml) -------------------------------
RULE = obj({"algorithm": str}, {"field": str, "with": AnyMap(), "optional": bool}, shorthand="field",
           atomic=True)
VARIABLE = obj(
    {"name": str},
    {"label": str, "type": str, "length": int, "origin": str, "source": str, "codelist": (str, NONE),
     "role": str, "core": str, "format": str, "significant_digits": int, "method": str,
     "comment": str, "algorithm": str, "with": AnyMap(by_key=False)},
    {"type": TYPES, "core": CORES, "origin": ORIGINS},
)
VALUE_LEVEL = obj(
    {"variable": str, "where": AnyMap((str, Seq((str, int, float)))), "type": str},
    {"label": str, "length": int, "codelist": str, "origin": str, "unit": str, "method": str,
     "significant_digits": int},
    {"type": TYPES, "origin": ORIGINS},
)
QUALIFIER = obj(
    {"qnam": str, "qlabel": str, "field": str},
    {"qorig": str, "qeval": str, "codelist": str, "optional": bool},
)
# ADaM data structures (ADaMIG 1.3 section 2): a dataset spec that names one is built by the generic
# builder of that structure (adam.build.STRUCTURES) from the spec alone. `structure:` stays the
# define.xml def:Structure text ("One record per subject per parameter per analysis date").
DATA_STRUCTURES = ("ADSL", "OCCDS", "BDS", "TTE")
# What a file that extends another may remove from it (specs.extends): items by name, parameters.
DROP = obj({}, {"variables": STRS, "supplemental": STRS, "sources": STRS, "value_level": STRS,
                "parameters": STRS})
DATASET_FILE = obj(
    {"dataset": str, "variables": Seq(VARIABLE, identity=("name",))},
    {"label": str, "class": str, "structure": str, "keys": STRS, "comment": str,
     "sources": Seq(obj({"form": str, "map": AnyMap(RULE)}, {"where": str, "distinct": STRS}),
                    identity=("form", "where", "distinct")),
     "value_level": Seq(VALUE_LEVEL, identity=("variable", "where")),
     "supplemental": Seq(QUALIFIER, identity=("qnam",)), "parameters": AnyMap(),
     "extends": str, "drop": DROP, "data_structure": str},
    {"data_structure": DATA_STRUCTURES},
)

# --- analyses.yaml: the analysis plan as data (ARS-shaped) -----------------------------------
WHERE = AnyMap((str, int, float, Seq((str, int, float))))
SELECTION = obj({"id": str, "name": str, "dataset": str, "where": WHERE})
ANALYSIS_PURPOSES = ("PRIMARY OUTCOME MEASURE", "SECONDARY OUTCOME MEASURE", "EXPLORATORY OUTCOME MEASURE")
ANALYSES_FILE = obj(
    {
        "reporting_event": obj({"id": str, "name": str}),
        "analysis_sets": Seq(SELECTION),
        "groupings": Seq(obj({"id": str, "name": str, "dataset": str, "variable": str},
                             {"order_by": str})),
        "analyses": Seq(obj(
            {"id": str, "name": str, "outcome": str, "purpose": str, "dataset": str, "variable": str,
             "analysis_set": str, "method": str},
            {"data_subset": str, "groupings": STRS, "parameters": AnyMap(), "columns": str},
            {"purpose": ANALYSIS_PURPOSES},
        )),
    },
    {
        "data_subsets": Seq(SELECTION),
        "figures": Seq(obj({"id": str, "kind": str}, {"parameters": AnyMap()})),
    },
)


# --- specs/library/simulation/<name>.yaml: what synth draws for a kind of therapy (edc.safety) -------
_EVENT = {"decod": str, "bodsys": str}
SIMULATION_FILE = obj({
    "adverse_events": Seq(obj(
        {**_EVENT, "verbatim": STRS, "share": NUM, "onset": Seq(int), "grades": Seq(NUM), "days": NUM,
         "related": Seq(NUM)},
        {"scale": str, "needs_infusion": bool, "recurrence": NUM, "timed": NUM, "cytokine_release": bool,
         "serious": AnyMap(NUM)})),
    # The fatal event: an adverse event of the list (its decod), or one of its own with `before`.
    "early_deaths": Seq(obj(
        {"cause": str, "share": NUM, "days": Seq(int),
         "event": obj({"decod": str}, {"bodsys": str, "verbatim": str, "before": Seq(int)},
                      shorthand="decod")},
        {"latest_onset": int})),
})
