"""Forms no simulator module knows, simulated from their CRF fields' `simulate:` declarations.

The seed studies' forms (adverse events, kinetics, tumours ...) are written by modules that tell
one story per subject. A form a study adds (vital signs, an ECG, a lab panel) is simulated here
from its declaration alone: one record at every visit whose `activities` name the form and that
the subject attended (one record per answer of the form's `per:` field, for a form with one test
per record), each field drawn as declared:

- a number: `range: [lo, hi]` (uniform) or `normal: [mean, sd]` (clipped to `limits: [lo, hi]`),
  written with `decimals:` decimals (0 for an integer field);
- a choice or text field: one of `values:` (the field's answer list when it has one), with
  `weights:`; or the constant `value:`;
- any field: `missing:`, the share of records left blank (an EDC export is never complete);
- `by: FIELD` with `cases: {ANSWER: draw}`: the draw depends on another field's answer (the
  result of each test its own range, the unit of each test its own value);
- `from: FACT`: a fact of the subject's simulated course (specs.schema.SIMULATION_FACTS): the
  arm randomised to, or the drug, dose, unit and route of the dose a dosing record holds; an
  answer list's own spelling is kept when the fact matches an answer but for case;
- a time field: `after: FIELD` with `minutes: [lo, hi]`, a time that many minutes after another
  time field of the record (an infusion's end after its start).

A date field without a declaration is the visit's date, a time field a time of day between 08:00
and 17:59; other undeclared fields stay blank. A field a study adds to a form a module writes (its
`forms.yaml` over the CRF library) is drawn the same way, on the module's records (`fill_fields`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from edc.calendar import date_text, number_text, time_text
from edc.streams import pick, stream
from edc.subjects import Subjects
from edc.timeline import Schedule
from specs.loader import dose_days
from specs.model import CrfField, Form, Study
from specs.schema import SIMULATION_FACTS

# Fields the simulator's frame writes for every form (edc.simulator._frame).
SYSTEM = ("STUDYID", "SITEID", "SUBJID", "FOLDER", "RECNUM")
DAY_START, DAY_MINUTES = 8 * 60, 10 * 60
# The study.yaml treatment key of each dose fact a field can take (`from:`).
DOSE_FACTS = {"drug": "name", "dose": "dose", "unit": "unit", "route": "route"}


def simulate_form(form: Form, study: Study, subjects: Subjects, schedule: Schedule, end: np.ndarray,
                  seed: int) -> dict[str, np.ndarray]:
    """The records of `form` (text columns plus `_S`, `_K`, `FOLDER`). The records of one visit
    share what is not drawn per answer (one ECG's time and position serve all its measurements).
    A dosing form's `end` is the day each subject's treatment stops."""
    choices = study.form_choices
    rng = stream(seed, f"form {form.name}")
    attended = schedule.attended(end) & schedule.with_activity(form.name)[None, :]
    s, v = np.nonzero(attended)
    facts = {"arm": np.asarray([a.armcd for a in study.arms])[subjects.arm[s]]}
    order = np.zeros(len(s))
    if form.simulate.get("dosing"):
        s, v, order, facts = _doses(study, subjects, schedule, s, v)
    per = form.simulate.get("per")
    answers = choices[_field(form, per).choices] if per else ("",)
    k = len(answers)
    day = schedule.day[s, v]
    rows: dict[str, np.ndarray] = {
        "_S": np.repeat(s, k), "_K": ((day + order)[:, None] + np.arange(k) / (k + 1)).ravel(),
        "FOLDER": np.repeat(np.array([x.folder for x in schedule.visits])[v], k),
    }
    if per:
        rows[per] = np.tile(np.asarray(answers), len(s))
    dates = subjects.day0[s] + day
    facts = {name: np.repeat(values, k) for name, values in facts.items()}
    # A field drawn `by` or `after` another comes after it: the others first, in their order.
    for field in sorted(form.fields, key=lambda f: "by" in f.simulate or "after" in f.simulate):
        if field.name in rows or field.name in SYSTEM:
            continue
        if "by" in field.simulate or "from" in field.simulate or "after" in field.simulate:
            rows[field.name] = _field_values(field, choices, rows, np.repeat(dates, k), rng, facts)
        else:
            rows[field.name] = np.repeat(_field_values(field, choices, rows, dates, rng, facts), k)
    return rows


def _doses(study: Study, subjects: Subjects, schedule: Schedule, s: np.ndarray, v: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The attended visits (s, v) expanded to one record per dose the subject's arm gives on the
    visit's planned day, for treated subjects; with each record's order within the visit and its
    facts (arm, drug, dose, unit, route)."""
    planned = np.array([x.day for x in schedule.visits])
    parts = []
    for index, arm in enumerate(study.arms):
        for j, treatment in enumerate(study.treatments.get("arms", {}).get(arm.armcd, ())):
            given = ((subjects.arm[s] == index) & subjects.infused[s]
                     & np.isin(planned[v], dose_days(treatment)))
            facts = {"arm": arm.armcd, **{fact: treatment[key] for fact, key in DOSE_FACTS.items()}}
            parts.append((s[given], v[given], j, facts))
    empty = [(np.empty(0, np.int64), np.empty(0, np.int64), 0, dict.fromkeys(SIMULATION_FACTS, ""))]
    parts = parts or empty  # the records' order is set when the frame is written (edc.simulator)
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            np.concatenate([np.full(len(p[0]), p[2] / 10) for p in parts]),
            {fact: np.concatenate([np.full(len(p[0]), str(p[3][fact])) for p in parts])
             for fact in SIMULATION_FACTS})


def fill_fields(form: Form, study: Study, rows: dict[str, np.ndarray], subjects: Subjects,
                seed: int) -> dict[str, np.ndarray]:
    """`rows` of a form a simulator module wrote, with the fields it does not know (a study's
    own additions to a library form) drawn as declared; a date is the record's protocol day."""
    missing = [f for f in form.fields if f.name not in rows and f.name not in SYSTEM]
    if not missing:
        return rows
    rng = stream(seed, f"fields {form.name}")
    s = np.asarray(rows["_S"], dtype=np.int64)
    dates = subjects.day0[s] + np.floor(np.asarray(rows.get("_K", np.zeros(len(s))), dtype=float))
    facts = {"arm": np.asarray([a.armcd for a in study.arms])[subjects.arm[s]]}
    out = dict(rows)
    for field in sorted(missing, key=lambda f: "by" in f.simulate or "after" in f.simulate):
        out[field.name] = _field_values(field, study.form_choices, out, dates, rng, facts)
    return out


def _field(form: Form, name: str) -> CrfField:
    return next(f for f in form.fields if f.name == name)


def _field_values(field: CrfField, choices: Mapping[str, tuple[str, ...]], rows: dict[str, np.ndarray],
                  dates: np.ndarray, rng: np.random.Generator,
                  facts: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    declared = field.simulate
    n = len(dates)
    if "from" in declared:
        values = _spelled(np.asarray(facts[declared["from"]]), choices.get(field.choices, ()))
    elif "after" in declared:
        low, high = declared["minutes"]
        base = _minutes(np.asarray(rows[declared["after"]]))
        values = time_text(base + rng.integers(low, high + 1, size=n))
    elif not declared:
        if field.type == "date":
            return date_text(dates)
        if field.type == "time":
            return time_text(DAY_START + rng.integers(0, DAY_MINUTES, size=n))
        return np.full(n, "")
    elif "by" in declared:
        out = np.full(n, "", dtype=object)
        answer = rows[declared["by"]]
        for case, draw in declared["cases"].items():
            chosen = answer == case
            out[chosen] = _draw(field, draw, choices, int(chosen.sum()), rng)
        values = out.astype(str)
    else:
        values = _draw(field, declared, choices, n, rng)
    blank = rng.random(n) < float(declared.get("missing", 0))
    return np.where(blank, "", values)


def _spelled(values: np.ndarray, answers: tuple[str, ...]) -> np.ndarray:
    """Facts in the answer list's own spelling where one matches but for case."""
    spelling = {answer.upper(): answer for answer in answers}
    return np.asarray([spelling.get(value.upper(), value) for value in values.tolist()], dtype=str)


def _minutes(times: np.ndarray) -> np.ndarray:
    """`HH:MM` texts as minutes after midnight (NaN for a blank)."""
    known = np.char.str_len(times.astype(str)) == 5
    text = np.where(known, times.astype(str), "00:00")
    hours = np.char.partition(text, ":")
    clock = hours[:, 0].astype(float) * 60 + hours[:, 2].astype(float)
    return np.where(known, clock, np.nan)


def _draw(field: CrfField, draw: Mapping[str, Any], choices: Mapping[str, tuple[str, ...]], n: int,
          rng: np.random.Generator) -> np.ndarray:
    if "value" in draw:
        return np.full(n, str(draw["value"]))
    if "range" in draw or "normal" in draw:
        if "range" in draw:
            low, high = draw["range"]
            numbers = rng.uniform(low, high, size=n)
        else:
            mean, sd = draw["normal"]
            low, high = draw.get("limits", (-np.inf, np.inf))
            numbers = np.clip(rng.normal(mean, sd, size=n), low, high)
        decimals = 0 if field.type == "integer" else int(draw.get("decimals", 1))
        return number_text(numbers, decimals)
    values = draw.get("values") or (choices[field.choices] if field.choices else ())
    if not values:
        return np.full(n, "")
    return pick(rng, list(values), n, draw.get("weights"))
