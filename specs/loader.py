"""Load a study's specs into the model: every file checked, every problem reported, nothing half-loaded.

A study folder holds `study.yaml`, optional `forms.yaml` (the study's own CRF forms and answer
lists, added to or overriding the shared CRF library), optional `codelists.yaml` (sponsor
codelists and extensions of CDISC ones, after those of the library codelists file it `extends:`),
`sdtm/<DOMAIN>.yaml` and `adam/<DATASET>.yaml`. A dataset spec may `extends:` a spec of the
shared library (`specs/library/sdtm`, `specs/library/adam`) and state only what differs
(specs.extends), and may leave a variable's label, type, role, core and codelist to the
implementation guide (SDTMIG 3.4 / ADaMIG 1.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from specs import extends, schema
from specs.errors import Problem, SpecError
from specs.guides import Guide, guide_variable, standard_datasets
from specs.model import (
    CHARACTER_RESULTS,
    Analysis,
    AnalysisPlan,
    Arm,
    Codelist,
    CrfField,
    CtCondition,
    CtSource,
    DatasetSpec,
    Element,
    Figure,
    Form,
    Grouping,
    Qualifier,
    Rule,
    Selection,
    SourceBlock,
    Study,
    Term,
    ValueLevel,
    Variable,
    Visit,
)
from specs.nci_evs import DATE
from specs.terminology import Choice, Codelists, Terminology, choose
from specs.yamlio import LMap, LSeq, read_yaml

SHIPPED = Path(__file__).resolve().parent
STUDIES = SHIPPED / "studies"
# The shared spec library: dataset specs by SDTMIG domain (`sdtm/`) and by ADaM dataset and
# structure (`adam/`), and sponsor codelists (`codelists/`), which study files `extends:` by name.
LIBRARY = SHIPPED / "library"
CRF_LIBRARY = SHIPPED / "crf" / "library.yaml"
STUDY_FORMS = "forms.yaml"
STUDY_CODELISTS = "codelists.yaml"
STANDARD_FILES = {"sdtm": "sdtmig-3.4.yaml", "adam": "adamig-1.3.yaml"}
STANDARD_VERSIONS = {"sdtm": "3.4", "adam": "1.3"}
CT_FILES = ("sdtm-ct.yaml", "adam-ct.yaml")
# The study's analysis plan (results/): analyses, analysis sets, groupings, figures.
ANALYSES = "analyses.yaml"
# The NCI EVS package each shipped CT file is a subset of.
CT_STANDARDS = {"SDTM CT": "sdtm", "ADaM CT": "adam"}

# What an SDTM algorithm says about the origin of the variable it fills (define.xml); any other
# algorithm derives its value. Nested rules decide for per_subject, combine and condition,
# and `arm` is Protocol (the study's arm) unless it is the actual arm (`actual: true`).
ORIGIN_BY_ALGORITHM = {
    "assign": "Collected",
    "assign_ct": "Collected",
    "iso8601": "Collected",
    "checkbox": "Collected",
    "hardcode": "Assigned",
    "visitdy": "Protocol",
    "arm": "Protocol",
}
# Identifiers whatever rule fills them: the study's identifier from study.yaml, and the domain codes.
ORIGIN_BY_VARIABLE = {"STUDYID": "Protocol", "DOMAIN": "Assigned", "RDOMAIN": "Assigned"}
# Builders whose rows restate the protocol (study.yaml and the trial design specs).
PROTOCOL_BUILDERS = ("trial_arms", "trial_elements", "trial_visits", "trial_inclusion", "trial_summary")
# ADaM dataset class → the ADaMIG variable catalogue that supplies missing metadata.
ADAM_CATALOGUE = {
    "SUBJECT LEVEL ANALYSIS DATASET": "ADSL",
    "BASIC DATA STRUCTURE": "BDS",
    "OCCURRENCE DATA STRUCTURE": "OCCDS",
}


def _validated(path: Path, kind: schema.Kind) -> Any:
    data = read_yaml(path)
    problems = schema.check(data, kind, str(path), getattr(data, "line", 1), path.stem)
    if problems:
        raise SpecError(problems)
    return data


def _line(node: Any, key: Any = None) -> int:
    return _at(node, key)[1]


def _at(node: Any, key: Any = None) -> tuple[str, int]:
    """(file, line) of a key of a parsed mapping (or of the node itself): where a value is written,
    in the study's file or the library file it extends."""
    if isinstance(node, LMap | LSeq):
        return node.where(key)
    return ("", getattr(node, "line", 0))


def study_names() -> list[str]:
    """Names of the shipped studies."""
    return sorted(p.name for p in STUDIES.iterdir() if (p / "study.yaml").is_file())


def study_folder(study: str | Path) -> Path:
    """A shipped study's folder by name, or the given path to a study spec folder."""
    path = Path(study)
    if (path / "study.yaml").is_file():
        return path.resolve()
    if (STUDIES / str(study) / "study.yaml").is_file():
        return STUDIES / str(study)
    names = study_names()
    hint = schema.closest(str(study), names)
    raise SpecError([Problem(
        str(study), 0,
        f"no such study: neither a shipped study ({', '.join(names)}) nor a folder with "
        f"study.yaml{hint}",
    )])


# --- shipped standards, controlled terminology and the CRF library ------------------------

@cache
def load_standard(kind: str) -> dict[str, DatasetSpec]:
    """The shipped SDTMIG (kind 'sdtm') or ADaMIG ('adam') metadata, by dataset or catalogue."""
    path = SHIPPED / "standards" / STANDARD_FILES[kind]
    data = _validated(path, schema.STANDARD_FILE)
    out = {}
    for name, ds in data["datasets"].items():
        variables = tuple(
            Variable(
                name=v["name"], label=v["label"], type=v["type"], order=i + 1,
                role=v.get("role"), core=v.get("core"), codelist=v.get("codelist"),
                format=v.get("format"),
            )
            for i, v in enumerate(ds["variables"])
        )
        out[name] = DatasetSpec(
            name=name, label=ds.get("label", ""), kind=kind,
            dataset_class=ds.get("class", ""), structure=ds.get("structure", ""),
            keys=tuple(ds.get("keys", ())), variables=variables, file=str(path),
        )
    return out


def _codelist(entry: dict, sponsor: bool, source: CtSource | None = None) -> Codelist:
    return Codelist(
        name=entry["name"],
        label=entry.get("label", entry["name"]),
        c_code=entry.get("c_code"),
        extensible=entry.get("extensible", False),
        sponsor=entry.get("sponsor_defined", sponsor),
        data_type=entry.get("data_type", "text"),
        note=entry.get("note"),
        source=None if entry.get("sponsor_defined", sponsor) else source,
        terms=tuple(
            Term(value=str(t["value"]), c_code=t.get("c_code"), decode=t.get("decode"),
                 synonyms=tuple(t.get("synonyms", ())))
            for t in entry.get("terms", ())
        ),
    )


@cache
def load_ct() -> dict[str, Codelist]:
    """The codelists clinforge ships, by name: subsets of CDISC CT (the terms clinforge writes,
    with the release they were checked against as `source`) and shared sponsor codelists."""
    out: dict[str, Codelist] = {}
    for name in CT_FILES:
        data = _validated(SHIPPED / "ct" / name, schema.CT_FILE)
        source = CtSource(CT_STANDARDS[data["package"]], data["version"], complete=False)
        out |= {c["name"]: _codelist(c, sponsor=False, source=source) for c in data["codelists"]}
    return out


SIMULATION = LIBRARY / "simulation"


def simulation_file(name: str, folder: Path) -> Path:
    """The simulation file a study names: one of specs/library/simulation/ by name, or a .yaml
    path relative to the study folder (a sponsor's own)."""
    return folder / name if name.endswith((".yaml", ".yml")) else SIMULATION / f"{name}.yaml"


@cache
def load_simulation(file: str | Path) -> dict[str, Any]:
    """A simulation file as plain values: what synth draws for a kind of therapy (edc.safety)."""
    path = Path(file)
    data = _validated(path, schema.SIMULATION_FILE)
    events = {e["decod"] for e in data["adverse_events"]}
    problems = []
    for death in data["early_deaths"]:
        event = death["event"]
        own = isinstance(event, dict) and "before" in event
        if own and not {"bodsys", "verbatim"} <= set(event):
            problems.append(Problem(*_at(death, "event"), "an event of its own (`before`) also gives bodsys "
                                                          "and verbatim"))
        if not own and (event if isinstance(event, str) else event["decod"]) not in events:
            problems.append(Problem(*_at(death, "event"), f"{event!r} is no adverse event of this file; "
                                                          "name one, or give the event with bodsys, "
                                                          "verbatim and before"))
    if problems:
        raise SpecError(problems)
    plain = _plain(data)
    for death in plain["early_deaths"]:  # an event of the list stands as its decod
        if isinstance(death["event"], dict) and "before" not in death["event"]:
            death["event"] = death["event"]["decod"]
    return plain


@cache
def load_ct_conditions() -> dict[tuple[str, str], CtCondition]:
    """specs/ct/conditions.yaml by (domain, variable)."""
    data = _validated(SHIPPED / "ct" / "conditions.yaml", schema.CT_CONDITIONS_FILE)
    return {(v["domain"], v["variable"]): CtCondition(
        domain=v["domain"], variable=v["variable"], by=v.get("by"), codelists=dict(v.get("codelists", {})),
        any_of=tuple(v.get("any_of", ())), response_codelists=v.get("response_codelists", False),
    ) for v in data["variables"]}


@cache
def shipped_subsets() -> dict[str, Terminology]:
    """The shipped CDISC CT subsets as packages, by standard (sdtm, adam)."""
    by_standard: dict[CtSource, dict[str, Codelist]] = {}
    for name, codelist in load_ct().items():
        if codelist.source is not None:
            by_standard.setdefault(codelist.source, {})[name] = codelist
    return {source.standard: Terminology(source, codelists) for source, codelists in by_standard.items()}


def study_terminology(named: Mapping[str, str], store: str | Path | None = None,
                      ) -> tuple[Codelists, tuple[Choice, ...]]:
    """The codelists a study may use: the shipped sponsor codelists, then the SDTM and ADaM CT
    packages it names (`specs.terminology.choose`: imported, nearest, newest, or the shipped subset)."""
    subsets = shipped_subsets()
    choices = tuple(c for standard in CT_STANDARDS.values()
                    if (c := choose(standard, named.get(standard), store, subsets.get(standard))))
    sponsor = {n: c for n, c in load_ct().items() if c.source is None}
    return Codelists(sponsor, [c.terminology for c in choices]), choices


@cache
def _crf_library_tree() -> LMap:
    return _validated(CRF_LIBRARY, schema.CRF_FILE)


def load_crf_library() -> tuple[dict[str, Form], dict[str, tuple[str, ...]]]:
    """The sponsor's CRF library: forms (with the system fields first) and the EDC answer lists."""
    return _forms(_crf_library_tree())


def _study_forms(folder: Path, read: list[Path]) -> tuple[dict[str, Form], dict[str, tuple[str, ...]]]:
    """The CRF library with the study's own `forms.yaml` over it: a form or answer list of the same
    name overrides the library's (a form key by key, its fields by name), others are added."""
    path = folder / STUDY_FORMS
    if not path.is_file():
        return load_crf_library()
    data = read_yaml(path)
    problems = schema.check(data, schema.CRF_FILE, str(path), getattr(data, "line", 1), path.stem,
                            partial=True)
    if problems:
        raise SpecError(problems)
    read.append(CRF_LIBRARY)
    merged = extends.merge(_crf_library_tree(), data, schema.CRF_FILE)
    problems = schema.check(merged, schema.CRF_FILE, *_at(merged), path.stem)
    if problems:
        raise SpecError(problems)
    return _forms(merged)


def _forms(data: LMap) -> tuple[dict[str, Form], dict[str, tuple[str, ...]]]:
    def fields(entries: list) -> tuple[CrfField, ...]:
        return tuple(
            CrfField(name=f["name"], type=f["type"], label=f["label"],
                     choices=f.get("choices"), required=f.get("required", False),
                     simulate=_plain(f.get("simulate") or {}))
            for f in entries
        )

    system = fields(data["system_fields"])
    choices = {k: tuple(v) for k, v in data["choices"].items()}
    problems = [
        Problem(*_at(f), f"forms.{name}: field {f['name']} uses unknown choices "
                f"{f['choices']!r}{schema.closest(f['choices'], choices)}")
        for name, form in data["forms"].items() for f in form["fields"]
        if f.get("choices") and f["choices"] not in choices
    ]
    if not problems:
        problems = [p for name, form in data["forms"].items()
                    for p in _simulation_problems(name, form, choices)]
    if problems:
        raise SpecError(problems)
    forms = {
        name: Form(name=name, label=form["label"], fields=system + fields(form["fields"]),
                   simulate=_plain(form.get("simulate") or {}))
        for name, form in data["forms"].items()
    }
    return forms, choices


def _simulation_problems(name: str, form: LMap, choices: Mapping[str, tuple[str, ...]]) -> list[Problem]:
    """What makes a form's `simulate:` declarations impossible to draw from (edc.fields)."""
    fields = {f["name"]: f for f in form["fields"]}
    problems: list[Problem] = []

    def answers_of(node: LMap, key: str) -> tuple[str, ...] | None:
        target = fields.get(node[key])
        if target is None or not target.get("choices"):
            listed = ", ".join(sorted(n for n, f in fields.items() if f.get("choices"))) or "(none)"
            problems.append(Problem(*_at(node, key), f"forms.{name}: {key}: {node[key]!r} is not a field "
                                    f"of this form with an answer list; one of {listed}"))
            return None
        return choices[target["choices"]]

    def check_draw(field: LMap, draw: LMap, where: str) -> None:
        def problem(key: str, text: str) -> None:
            problems.append(Problem(*_at(draw, key),
                                    f"forms.{name}: field {field['name']}: {where}{key} {text}"))

        kinds = [k for k in ("range", "normal", "values", "value", "from", "after") if k in draw]
        if len(kinds) > 1:
            problem(kinds[1], f"and {kinds[0]} both given; a draw is one of range, normal, values, value, "
                              "from, after")
        facts = schema.SIMULATION_FACTS if dosing else schema.SIMULATION_FACTS[:1]
        if "from" in draw and draw["from"] not in facts:
            also = "" if dosing else " (drug, dose, unit and route in a form with dosing: true)"
            problem("from", f"{draw['from']!r} is not a fact of this form's records; one of "
                            f"{', '.join(facts)}{also}")
        if "after" in draw:
            base = fields.get(draw["after"])
            if field["type"] != "time" or base is None or base["type"] != "time" or base is field:
                times = ", ".join(n for n, f in fields.items() if f["type"] == "time" and f is not field)
                problem("after", f"{draw['after']!r}: a time field takes `after:` another time field of the "
                                 f"form ({times or 'none'})")
            if len(draw.get("minutes", ())) != 2 or draw["minutes"][0] > draw["minutes"][1]:
                problem("after", "goes with `minutes: [lo, hi]`, the low end first")
        for key in ("range", "normal", "limits"):
            if key in draw and len(draw[key]) != 2:
                problem(key, f"takes two numbers, got {list(draw[key])}")
        if "range" in draw and len(draw["range"]) == 2 and draw["range"][0] > draw["range"][1]:
            problem("range", f"{list(draw['range'])}: the low end comes first")
        if "normal" in draw and len(draw["normal"]) == 2 and draw["normal"][1] < 0:
            problem("normal", f"{list(draw['normal'])}: [mean, standard deviation ≥ 0]")
        if ("range" in draw or "normal" in draw) and field["type"] not in ("integer", "float"):
            problem(kinds[0], f"draws numbers, but the field's type is {field['type']} (integer or float)")
        listed = draw.get("values") or (choices.get(field.get("choices"), ()) if not kinds else ())
        if field.get("choices") and "values" in draw:
            outside = [v for v in draw["values"] if v not in choices[field["choices"]]]
            if outside:
                problem("values", f"{outside} not in the answer list {field['choices']}")
        if "weights" in draw and len(draw["weights"]) != len(listed):
            problem("weights", f"gives {len(draw['weights'])} weights for {len(listed)} values")
        if "missing" in draw and not 0 <= draw["missing"] <= 1:
            problem("missing", f"{draw['missing']} is not a share between 0 and 1")

    dosing = bool(form.get("simulate", {}).get("dosing"))
    if "simulate" in form and "per" in form["simulate"]:
        answers_of(form["simulate"], "per")
    for field in form["fields"]:
        declared = field.get("simulate")
        if not declared:
            continue
        if ("by" in declared) != ("cases" in declared):
            problems.append(Problem(*_at(declared), f"forms.{name}: field {field['name']}: `by` and `cases` "
                                    "go together (the draw of each answer of another field)"))
            continue
        if "by" in declared:
            answers = answers_of(declared, "by")
            for case, draw in declared["cases"].items():
                if answers is not None and case not in answers:
                    problems.append(Problem(*_at(declared["cases"], case),
                                            f"forms.{name}: field {field['name']}: case {case!r} is not "
                                            f"an answer of {declared['by']}{schema.closest(case, answers)}"))
                check_draw(field, draw, f"case {case}: ")
        check_draw(field, declared, "")
    return problems


# --- one study ------------------------------------------------------------------------------

def load_study(study: str | Path, store: str | Path | None = None) -> Study:
    """Load and check every spec file of a study; raise SpecError listing all problems.

    Codelists come from the CDISC CT packages study.yaml names (`ct:`), imported into `store`
    (default: specs.store.store_root), or the shipped subset when none is imported."""
    folder = study_folder(study)
    problems: list[Problem] = []
    read: list[Path] = []

    def attempt(fn, *args):
        try:
            return fn(*args)
        except SpecError as exc:
            problems.extend(exc.problems)
            return None

    meta = attempt(_validated, folder / "study.yaml", schema.STUDY_FILE)
    named = attempt(_named_ct, meta, folder / "study.yaml") if meta is not None else None
    ct, choices = study_terminology(named or {}, store)
    codelists = attempt(_study_codelists, folder, ct, read)
    library = attempt(_study_forms, folder, read)
    shipped_sdtm = attempt(load_standard, "sdtm")
    shipped_adam = attempt(load_standard, "adam")
    if problems:
        raise SpecError(problems)
    standards = meta["study"]["standards"]
    sdtm_std = study_guide("sdtm", shipped_sdtm, standards.get("sdtmig"), store).datasets
    adam_std = study_guide("adam", shipped_adam, standards.get("adamig"), store).datasets

    forms, form_choices = library
    path = str(folder / "study.yaml")
    study_forms = {}
    for i, name in enumerate(meta["forms"]):
        if name in forms:
            study_forms[name] = forms[name]
        else:
            problems.append(Problem(path, meta["forms"].line_of(i),
                                    f"forms: {name!r} is neither in the CRF library nor in the "
                                    f"study's {STUDY_FORMS}{schema.closest(name, forms)}"))
    problems += _check_study_meta(meta, path, codelists)
    simulation = simulation_file(meta.get("simulation", "car-t"), folder)
    if simulation.is_file():
        attempt(load_simulation, simulation)
        read.append(simulation)

    datasets: dict[str, dict[str, DatasetSpec]] = {}
    for kind, std in (("sdtm", sdtm_std), ("adam", adam_std)):
        datasets[kind] = {}
        for file in sorted((folder / kind).glob("*.yaml")):
            spec = attempt(_dataset, file, kind, std, study_forms, codelists, read)
            if spec is not None:
                datasets[kind][spec.name] = spec
    for parent in [s for s in datasets["sdtm"].values() if s.supplemental]:
        supp = supplemental_spec(parent, sdtm_std["SUPPQUAL"], codelists)
        datasets["sdtm"][supp.name] = supp
    plan_file = folder / ANALYSES
    plan = attempt(_analysis_plan, plan_file, datasets["adam"]) if plan_file.is_file() else None
    if problems:
        raise SpecError(problems)

    s = meta["study"]
    return Study(
        name=s["name"], studyid=s["studyid"], title=" ".join(s["title"].split()),
        sponsor=s["sponsor"], phase=s["phase"], indication=s["indication"],
        registry_id=s.get("registry_id", ""), planned_subjects=s["planned_subjects"],
        sites=tuple(s["sites"]), countries=tuple(s["countries"]),
        age_range=tuple(s.get("age_range", (18, 99))), sex_population=s.get("sex_population", "BOTH"),
        protocol=dict(s.get("protocol", {})),
        standards=dict(s["standards"]), forms=study_forms,
        arms=tuple(Arm(a["armcd"], a["arm"], tuple(a["elements"])) for a in meta["arms"]),
        elements=tuple(
            Element(e["etcd"], e["element"], e["epoch"], e["start"], e["end"], e.get("duration"))
            for e in meta["elements"]
        ),
        visits=tuple(
            Visit(visitnum=v["visitnum"], visit=v["visit"], folder=v["folder"], day=v["day"],
                  window_before=v["window"][0], window_after=v["window"][1], epoch=v["epoch"],
                  activities=tuple(v.get("activities", ())))
            for v in meta["visits"]
        ),
        treatments=_plain(meta.get("treatments", {})), reference=dict(meta["reference"]),
        kinetics=_plain(meta.get("kinetics", {})), tumor=_plain(meta.get("tumor", {})),
        questionnaires=tuple(meta.get("questionnaires", ())), simulation=str(simulation),
        parameters=_plain(meta["parameters"]), codelists=codelists,
        sdtm=datasets["sdtm"], adam=datasets["adam"], folder=str(folder),
        ct=named or {}, terminology=choices, guides={"sdtm": sdtm_std, "adam": adam_std},
        analysis_plan=plan, form_choices=form_choices, spec_files=_spec_files(folder, read),
    )


def _analysis_plan(path: Path, adam: Mapping[str, DatasetSpec]) -> AnalysisPlan:
    """analyses.yaml checked against itself and the study's ADaM specs: every id is unique, every
    reference resolves, every dataset is one of the study's ADaM datasets and every variable one of
    that dataset's. Which methods exist is the results layer's to check (results.plan)."""
    data = _validated(path, schema.ANALYSES_FILE)
    file = str(path)
    problems: list[Problem] = []

    def unique(section: str) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for item in data.get(section, ()):
            if item["id"] in seen:
                problems.append(Problem(file, _line(item, "id"), f"{section}: id {item['id']!r} repeats "
                                                                 f"line {_line(seen[item['id']], 'id')}"))
            seen[item["id"]] = item
        return seen

    def variables(node: LMap, key: str, dataset: str, names: list[str]) -> None:
        spec = adam.get(dataset)
        if spec is None:
            return
        known = spec.variable_names()
        problems.extend(Problem(file, _line(node, key), f"{key}: {name!r} is not a variable of {dataset}"
                                                        f"{schema.closest(name, known)}")
                        for name in names if name not in known)

    def dataset_known(node: LMap, where: str) -> None:
        name = node["dataset"]
        if name not in adam:
            problems.append(Problem(file, _line(node, "dataset"),
                                    f"{where}: dataset {name!r} is not among the study's ADaM datasets "
                                    f"({', '.join(sorted(adam))}){schema.closest(name, adam)}"))

    sets, subsets, groupings = unique("analysis_sets"), unique("data_subsets"), unique("groupings")
    unique("analyses")
    unique("figures")
    for section in ("analysis_sets", "data_subsets"):
        for item in data.get(section, ()):
            dataset_known(item, f"{section}.{item['id']}")
            variables(item, "where", item["dataset"], list(item["where"]))
    for item in data["groupings"]:
        dataset_known(item, f"groupings.{item['id']}")
        variables(item, "variable", item["dataset"], [item["variable"]])
        if "order_by" in item:
            variables(item, "order_by", item["dataset"], [item["order_by"]])
    for item in data["analyses"]:
        where = f"analyses.{item['id']}"
        dataset_known(item, where)
        variables(item, "variable", item["dataset"], [item["variable"]])
        chosen = sets.get(item["analysis_set"])
        if chosen is None:
            problems.append(Problem(file, _line(item, "analysis_set"), f"{where}: no analysis set "
                                    f"{item['analysis_set']!r}{schema.closest(item['analysis_set'], sets)}"))
        subset = item.get("data_subset")
        if subset is not None and subset not in subsets:
            problems.append(Problem(file, _line(item, "data_subset"), f"{where}: no data subset "
                                    f"{subset!r}{schema.closest(subset, subsets)}"))
        elif subset is not None and subsets[subset]["dataset"] != item["dataset"]:
            problems.append(Problem(file, _line(item, "data_subset"), f"{where}: data subset {subset} "
                                    f"selects {subsets[subset]['dataset']} records, the analysis reads "
                                    f"{item['dataset']}"))
        for name in item.get("groupings", ()):
            grouping = groupings.get(name)
            if grouping is None:
                problems.append(Problem(file, _line(item, "groupings"), f"{where}: no grouping "
                                        f"{name!r}{schema.closest(name, groupings)}"))
            elif grouping["dataset"] not in (item["dataset"], chosen and chosen["dataset"]):
                problems.append(Problem(file, _line(item, "groupings"), f"{where}: grouping {name} is of "
                                        f"{grouping['dataset']}, neither the analysis dataset nor the "
                                        f"analysis set's"))
        if "columns" in item and item["columns"] not in item.get("groupings", ()):
            problems.append(Problem(file, _line(item, "columns"), f"{where}: columns {item['columns']!r} is "
                                    f"not one of the analysis' groupings"))
    if problems:
        raise SpecError(problems)

    def selection(item: LMap) -> Selection:
        return Selection(item["id"], item["name"], item["dataset"], {
            k: tuple(v) if isinstance(v, list) else (v,) for k, v in _plain(item["where"]).items()},
            _line(item))

    event = data["reporting_event"]
    return AnalysisPlan(
        id=event["id"], name=event["name"], file=file,
        analysis_sets=tuple(selection(i) for i in data["analysis_sets"]),
        data_subsets=tuple(selection(i) for i in data.get("data_subsets", ())),
        groupings=tuple(Grouping(i["id"], i["name"], i["dataset"], i["variable"], i.get("order_by"),
                                 _line(i)) for i in data["groupings"]),
        analyses=tuple(Analysis(
            id=i["id"], name=i["name"], outcome=i["outcome"], purpose=i["purpose"], dataset=i["dataset"],
            variable=i["variable"], analysis_set=i["analysis_set"], method=i["method"],
            data_subset=i.get("data_subset"), groupings=tuple(i.get("groupings", ())),
            parameters=_plain(i.get("parameters", {})), columns=i.get("columns"), line=_line(i))
            for i in data["analyses"]),
        figures=tuple(Figure(i["id"], i["kind"], _plain(i.get("parameters", {})), _line(i))
                      for i in data.get("figures", ())),
    )


def _spec_files(folder: Path, read: list[Path]) -> tuple[str, ...]:
    shared = [p for sub in ("standards", "ct", "crf") for p in (SHIPPED / sub).rglob("*.yaml")]
    files = {str(p.resolve()) for p in (*folder.rglob("*.yaml"), *read, *shared)}
    return tuple(sorted(files))


def _plain(value: Any) -> Any:
    """Line-tracking containers to plain dicts and lists (the model holds plain values)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _check_study_meta(meta: LMap, path: str, codelists: dict[str, Codelist]) -> list[Problem]:
    problems = []
    if "simulation" in meta and not simulation_file(meta["simulation"], Path(path).parent).is_file():
        names = sorted(p.stem for p in SIMULATION.glob("*.yaml"))
        problems.append(Problem(path, _line(meta, "simulation"),
                                f"simulation: {meta['simulation']!r} is neither a file of the library "
                                f"({', '.join(names)}{schema.closest(meta['simulation'], names)}) nor a "
                                ".yaml file beside study.yaml"))
    etcds = {e["etcd"] for e in meta["elements"]}
    for arm in meta["arms"]:
        problems += [
            Problem(path, _line(arm, "elements"),
                    f"arms.{arm['armcd']}: element {e!r} is not declared{schema.closest(e, etcds)}")
            for e in arm["elements"] if e not in etcds
        ]
    problems += _check_arm_treatments(meta, path)
    epochs = codelists.get("EPOCH")
    seen_num, seen_folder = {}, {}
    for v in meta["visits"]:
        line = _line(v)
        if len(v["window"]) != 2 or min(v["window"]) < 0:
            problems.append(Problem(path, _line(v, "window"),
                                    f"visits.{v['visit']}: window must be [days before, days "
                                    f"after], both ≥ 0, found {list(v['window'])}"))
        if epochs and v["epoch"] not in epochs.values():
            problems.append(Problem(path, _line(v, "epoch"),
                                    f"visits.{v['visit']}: epoch {v['epoch']!r} is not in codelist "
                                    f"EPOCH{schema.closest(v['epoch'], epochs.values())}"))
        for key, seen in (("visitnum", seen_num), ("folder", seen_folder)):
            if v[key] in seen:
                problems.append(Problem(path, line, f"visits: {key} {v[key]!r} repeats line "
                                                    f"{seen[v[key]]}"))
            seen[v[key]] = line
    return problems


def _check_arm_treatments(meta: LMap, path: str) -> list[Problem]:
    """`treatments.arms`: each key an ARMCD of `arms`, each treatment with one schedule, either
    `days` or `every_days` with `doses`."""
    given = meta.get("treatments", {}).get("arms", {})
    armcds = [a["armcd"] for a in meta["arms"]]
    problems = [Problem(path, _line(given, armcd),
                        f"treatments.arms: {armcd!r} is not an ARMCD of arms ({', '.join(armcds)})"
                        f"{schema.closest(armcd, armcds)}")
                for armcd in given if armcd not in armcds]
    for armcd, treatments in given.items():
        for i, t in enumerate(treatments):
            where = f"treatments.arms.{armcd}[{i}] ({t['name']})"
            listed, repeated = "days" in t, "every_days" in t or "doses" in t
            if listed == repeated:
                both = "both" if listed else "neither"
                problems.append(Problem(path, _line(treatments, i),
                                        f"{where}: give its schedule as `days: [protocol days]` or as "
                                        f"`every_days: N` with `doses: N`, not {both}"))
            elif repeated and not ("every_days" in t and "doses" in t):
                missing = "doses" if "every_days" in t else "every_days"
                problems.append(Problem(path, _line(treatments, i),
                                        f"{where}: missing required key {missing!r} (expected a whole "
                                        f"number) beside {'every_days' if missing == 'doses' else 'doses'}"))
            elif repeated and (t["every_days"] < 1 or t["doses"] < 1):
                problems.append(Problem(path, _line(treatments, i),
                                        f"{where}: every_days and doses must be 1 or more, found "
                                        f"{t['every_days']} and {t['doses']}"))
    return problems


def study_yaml_place(study: Study, *keys: str) -> tuple[str, int]:
    """(file, line) of the deepest of `keys` (a path such as `treatments`, `cart`) that study.yaml
    holds, for messages about a key a step needs and the study lacks (line 1: none of them)."""
    path = Path(study.folder) / "study.yaml"
    node, line = read_yaml(path), 1
    for key in keys:
        if not isinstance(node, LMap) or key not in node:
            break
        line, node = _line(node, key), node[key]
    return str(path), line


def dose_days(treatment: Mapping[str, Any]) -> tuple[int, ...]:
    """The protocol days of one arm treatment of study.yaml: `days`, or `doses` doses
    `every_days` apart from `first_day` (default 0)."""
    if "days" in treatment:
        return tuple(treatment["days"])
    first = treatment.get("first_day", 0)
    return tuple(first + i * treatment["every_days"] for i in range(treatment["doses"]))


def _named_ct(meta: LMap, path: Path) -> dict[str, str]:
    """study.yaml `ct:` as standard → release date text (YAML reads an unquoted date as a date)."""
    named = meta["study"].get("ct") or {}
    out, problems = {}, []
    for standard, version in named.items():
        text = version.isoformat() if isinstance(version, date) else str(version)
        if not DATE.fullmatch(text):
            problems.append(Problem(str(path), _line(named, standard),
                                    f"study.ct.{standard}: {text!r} is not a release date (YYYY-MM-DD)"))
        out[standard] = text
    if problems:
        raise SpecError(problems)
    return out


def _study_codelists(folder: Path, ct: Codelists, read: list[Path]) -> Codelists:
    """CDISC CT plus the study's sponsor codelists and its extensions of CDISC ones.

    `codelists.yaml` may `extends:` a codelists file of the library (`specs/library/codelists`)
    or a path: that file's entries come first, then the study's, in order. An entry names a new
    codelist, or replaces an earlier one of its name; with `extends: NAME` it adds terms (or
    synonyms of existing terms) to the codelist of that name as it stands so far, CDISC or not.
    """
    path = folder / STUDY_CODELISTS
    if not path.is_file():
        return ct
    entries = list(_codelist_entries(path, read))
    problems = []
    own: dict[str, Codelist] = {}
    for entry in entries:
        base_name = entry.get("extends")
        if base_name is None:
            own[entry["name"]] = _codelist(entry, sponsor=True)
            continue
        base = own.get(base_name) or ct.get(base_name)
        if base is None:
            problems.append(Problem(*_at(entry, "extends"),
                                    f"codelist {entry['name']}: extends unknown codelist "
                                    f"{base_name!r}{schema.closest(base_name, ct)}"))
            continue
        added = _codelist(entry, sponsor=True).terms
        new_values = [t for t in added if base.term(t.value) is None]
        # The shipped subset of a CDISC package lists only the terms clinforge writes: a study may
        # add the package's other terms to it (they are checked once the package is imported).
        subset = base.source is not None and not base.source.complete
        if new_values and not base.extensible and not subset:
            source = f" ({base.source.label})" if base.source else ""
            problems += [Problem(*_at(entry["terms"], i),
                                 f"codelist {base_name} ({base.c_code or 'sponsor'}){source} is not "
                                 f"extensible: cannot add {t.value!r}")
                         for i, t in enumerate(added) if t in new_values]
            continue
        # An existing term may gain synonyms (collected values that map to it).
        merged = tuple(
            Term(t.value, t.c_code, t.decode, t.synonyms + next(
                (a.synonyms for a in added if a.value == t.value), ()))
            for t in base.terms
        ) + tuple(new_values)
        own[base.name] = Codelist(
            name=base.name, label=base.label, c_code=base.c_code, extensible=base.extensible,
            # A term with its NCI code is the package's own (the shipped subset lacked it), not an extension.
            sponsor=base.sponsor or (any(t.c_code is None for t in new_values) and base.extensible),
            data_type=base.data_type,
            note=base.note, terms=merged, source=base.source,
        )
    if problems:
        raise SpecError(problems)
    return ct.with_own(own)


def _codelist_entries(path: Path, read: list[Path], library: Path = LIBRARY / "codelists",
                      seen: tuple[Path, ...] = ()) -> list:
    """The entries of a codelists file, after those of the files it `extends:` (each in turn)."""
    data = _validated(path, schema.STUDY_CODELISTS_FILE)
    named = data.get("extends", ())
    entries = []
    for i, name in enumerate([named] if isinstance(named, str) else named):
        at = _at(data, "extends") if isinstance(named, str) else _at(named, i)
        source = extends.base_file(name, path, library)
        if source in (*seen, path.resolve()):
            raise SpecError([Problem(*at, f"extends: {name!r} extends itself")])
        if not source.is_file():
            names = extends.library_names(library)
            raise SpecError([Problem(*at, f"extends: {name!r} is neither a codelists file of the library "
                                          f"({library}: {', '.join(names)}) nor a file"
                                          f"{schema.closest(name, names)}")])
        read.append(source)
        entries += _codelist_entries(source, read, source.parent, (*seen, path.resolve()))
    return entries + list(data["codelists"])


def _dataset(path: Path, kind: str, standard: dict[str, DatasetSpec],
             forms: dict[str, Form], codelists: dict[str, Codelist], read: list[Path]) -> DatasetSpec:
    data = extends.read_resolved(path, schema.DATASET_FILE, LIBRARY / kind, read)
    name = data["dataset"]
    problems: list[Problem] = []
    if name.lower() != path.stem.lower():
        problems.append(Problem(*_at(data, "dataset"),
                                f"dataset {name!r} does not match the file name {path.name!r}"))
    if kind == "sdtm":
        std = standard.get("SUPPQUAL" if name.startswith("SUPP") else name)
    else:
        std = standard.get(ADAM_CATALOGUE.get(data.get("class", ""), name))

    sources = []
    mapped_origin: dict[str, str] = {}
    for block in data.get("sources", ()):
        form = forms.get(block["form"])
        if form is None:
            problems.append(Problem(*_at(block, "form"),
                                    f"source form {block['form']!r} is not collected in this "
                                    f"study{schema.closest(block['form'], forms)}"))
            continue
        rules = {}
        for target, raw in block["map"].items():
            file, line = _at(block["map"], target)
            rule = Rule("assign", raw, line=line, file=file) if isinstance(raw, str) else Rule(
                raw["algorithm"], raw.get("field"), _plain(raw.get("with", {})), line,
                optional=raw.get("optional", False), file=file)
            if rule.field is not None and rule.field not in form.field_names():
                problems.append(Problem(file, line,
                                        f"{target}: field {rule.field!r} is not on form "
                                        f"{form.name}{schema.closest(rule.field, form.field_names())}"))
            rules[target] = rule
            mapped_origin.setdefault(target, rule_origin(rule))
        sources.append(SourceBlock(form=form.name, map=rules, where=block.get("where"),
                                   distinct=tuple(block.get("distinct", ())), line=_line(block, "form"),
                                   file=_at(block, "form")[0]))

    variables = []
    for i, v in enumerate(data["variables"]):
        file, line = _at(data["variables"], i)
        base = guide_variable(std, v["name"])
        label = v.get("label") or (base.label if base else None)
        vtype = v.get("type") or (base.type if base else None)
        if label is None or vtype is None:
            problems.append(Problem(file, line, f"variable {v['name']}: not in the standard "
                                                f"for {name}, so it needs label and type"))
            continue
        codelist = v["codelist"] if "codelist" in v else _inherited(base, codelists)
        origin = v.get("origin") or (_variable_origin(v, mapped_origin.get(v["name"]), data)
                                     if kind == "sdtm" else mapped_origin.get(v["name"], "Derived"))
        variables.append(Variable(
            name=v["name"], label=label, type=vtype, order=i + 1, length=v.get("length"),
            origin=origin, source=v.get("source"), codelist=codelist,
            role=v.get("role", base.role if base else None),
            core=v.get("core", base.core if base else None),
            format=v.get("format", base.format if base else None),
            significant_digits=v.get("significant_digits"), method=v.get("method"),
            comment=v.get("comment"), algorithm=v.get("algorithm"),
            params=_plain(v.get("with", {})), line=line, file=file,
        ))
    names = [v.name for v in variables]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(*_at(data, "variables"), f"variable {dup} is declared more than once"))
    for block in sources:
        problems += [Problem(rule.file, rule.line, f"sources map {target}, which is not among the "
                                                   f"variables{schema.closest(target, names)}")
                     for target, rule in block.map.items() if target not in names]
    keys = tuple(data.get("keys", std.keys if std else ()))
    problems += [Problem(*_at(data, "keys"), f"key {k} is not among the variables"
                                             f"{schema.closest(k, names)}")
                 for k in keys if k not in names]

    value_level = []
    for vl in data.get("value_level", ()):
        if vl["variable"] not in names:
            problems.append(Problem(*_at(vl, "variable"),
                                    f"value_level: unknown variable {vl['variable']!r}"
                                    f"{schema.closest(vl['variable'], names)}"))
        problems += [Problem(*_at(vl, "where"), f"value_level: where names unknown "
                                                f"variable {w!r}{schema.closest(w, names)}")
                     for w in vl["where"] if w not in names]
        value_level.append(ValueLevel(
            variable=vl["variable"],
            where={k: tuple(str(x) for x in (w if isinstance(w, list) else [w]))
                   for k, w in vl["where"].items()},
            type=vl["type"], label=vl.get("label"), length=vl.get("length"),
            codelist=vl.get("codelist"), origin=vl.get("origin"), unit=vl.get("unit"),
            method=vl.get("method"), significant_digits=vl.get("significant_digits"),
        ))
    supplemental = tuple(
        Qualifier(qnam=q["qnam"], qlabel=q["qlabel"], field=q["field"],
                  qorig=q.get("qorig", "CRF"), qeval=q.get("qeval", ""), codelist=q.get("codelist"),
                  optional=q.get("optional", False), line=_at(data["supplemental"], i)[1],
                  file=_at(data["supplemental"], i)[0])
        for i, q in enumerate(data.get("supplemental", ()))
    )
    problems += [Problem(q.file, q.line, f"supplemental qualifier {q.qnam}: QNAM over 8 characters")
                 for q in supplemental if len(q.qnam) > 8]
    problems += [Problem(*at, f"{where}: unknown codelist {named!r}{schema.closest(named, codelists)}")
                 for where, named, at in _codelists_named(data, name) if named not in codelists]
    if problems:
        raise SpecError(problems)
    return DatasetSpec(
        name=name, label=data.get("label") or (std.label if std else name), kind=kind,
        dataset_class=data.get("class") or (std.dataset_class if std else ""),
        structure=data.get("structure") or (std.structure if std else ""), keys=keys,
        variables=tuple(variables), sources=tuple(sources), value_level=tuple(value_level),
        supplemental=supplemental, parameters=_plain(data.get("parameters", {})),
        comment=data.get("comment"), file=str(path), places=_places(data),
        data_structure=data.get("data_structure"),
    )


def _places(data: LMap) -> dict[str, tuple[str, int]]:
    """Where the parts of a dataset spec are written: each top-level key, each parameter, each
    variable (by name), for messages of the layers that read the spec."""
    places = {key: _at(data, key) for key in data}
    places |= _nested_places(data.get("parameters", {}), "parameters")
    places |= {f"variables.{v['name']}": _at(data["variables"], i) for i, v in enumerate(data["variables"])}
    return places


def _nested_places(node: Any, where: str) -> dict[str, tuple[str, int]]:
    """Where each key and list item under `node` is written: `parameters.NAME`,
    `parameters.NAME[2].with.KEY` (a builder's declarations are checked item by item)."""
    places: dict[str, tuple[str, int]] = {}
    if isinstance(node, LMap):
        for key, value in node.items():
            places[f"{where}.{key}"] = _at(node, key)
            places |= _nested_places(value, f"{where}.{key}")
    elif isinstance(node, LSeq):
        for i, value in enumerate(node):
            places[f"{where}[{i}]"] = _at(node, i)
            places |= _nested_places(value, f"{where}[{i}]")
    return places


def _codelists_named(node: Any, where: str, at: tuple[str, int] = ("", 0)):
    """Every `codelist: NAME` in a spec (variables, value level, qualifiers, the `with:` of
    rules and builders), as (path, name, (file, line))."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = _at(node, key) if isinstance(node, LMap) else at
            if key == "codelist" and isinstance(value, str):
                yield f"{where}.{key}", value, here
            else:
                yield from _codelists_named(value, f"{where}.{key}", here)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _codelists_named(item, f"{where}[{i}]", _at(node, i) if isinstance(node, LSeq) else at)


def _inherited(base: Variable | None, codelists: Mapping[str, Codelist]) -> str | None:
    """The standard's codelist of a variable, by its name in the CT in use (an imported guide
    names codelists by C-code); None when the CT in use lacks it (a spec may name one), and for
    --STRESC (model.CHARACTER_RESULTS)."""
    if base is None or not base.codelist or base.codelist not in codelists:
        return None
    if base.name.endswith(CHARACTER_RESULTS[0]):
        return None
    return codelists[base.codelist].name


def study_guide(kind: str, shipped: dict[str, DatasetSpec], version: str | None,
                store: str | Path | None = None) -> Guide:
    """The implementation guide a study's specs complete themselves from (specs.guides)."""
    return standard_datasets(kind, shipped, STANDARD_VERSIONS[kind], version, store)


def rule_origin(rule: Rule | str | dict) -> str:
    """The define.xml origin of what a rule (source rule, or nested `with:` rule) fills."""
    if isinstance(rule, str):
        return "Collected"  # a bare field name: assign as collected
    if isinstance(rule, dict):
        rule = Rule(rule["algorithm"], rule.get("field"), rule.get("with", {}))
    params = rule.params
    if rule.algorithm == "per_subject":
        return rule_origin(params.get("rule", rule.field or ""))
    if rule.algorithm in ("combine", "condition"):
        nested = params.get("rules", []) if rule.algorithm == "combine" else [
            params[k] for k in ("then", "else") if k in params]
        origins = {rule_origin(r) for r in nested}
        return "Collected" if origins == {"Collected"} else "Derived"
    if rule.algorithm == "arm" and params.get("actual"):
        return "Derived"
    return ORIGIN_BY_ALGORITHM.get(rule.algorithm, "Derived")


def _variable_origin(variable: dict, mapped: str | None, data: dict) -> str:
    """Origin of a variable whose spec does not state one: STUDYID is Protocol and the domain
    codes Assigned; a `method:` text means it is Derived; otherwise its dataset-level
    algorithm, its source rules (the first block's), or the builder of a dataset without
    sources decide."""
    if variable["name"] in ORIGIN_BY_VARIABLE:
        return ORIGIN_BY_VARIABLE[variable["name"]]
    if variable.get("method"):
        return "Derived"
    if variable.get("algorithm"):
        return rule_origin(Rule(variable["algorithm"], None, _plain(variable.get("with", {}))))
    if mapped:
        return mapped
    if data.get("parameters", {}).get("builder") in PROTOCOL_BUILDERS:
        return "Protocol"
    return "Derived"


def supplemental_spec(parent: DatasetSpec, suppqual: DatasetSpec,
                      codelists: Mapping[str, Codelist] | None = None) -> DatasetSpec:
    """SUPP-- of a domain: the standard SUPPQUAL variables (their codelists by the name `codelists`
    give them), with QVAL described per QNAM."""
    value_level = tuple(
        ValueLevel(variable="QVAL", where={"QNAM": (q.qnam,)}, type="Char", label=q.qlabel,
                   codelist=q.codelist, origin="Collected" if q.qorig == "CRF" else "Derived")
        for q in parent.supplemental
    )
    return DatasetSpec(
        name=f"SUPP{parent.name}", label=f"Supplemental Qualifiers for {parent.name}", kind="sdtm",
        dataset_class=suppqual.dataset_class, structure=suppqual.structure, keys=suppqual.keys,
        variables=tuple(replace(v, codelist=_inherited(v, codelists)) for v in suppqual.variables)
        if codelists is not None else suppqual.variables, value_level=value_level, file=parent.file,
    )
