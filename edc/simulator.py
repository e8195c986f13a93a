"""The EDC export simulator: one frame per form the study collects, as the EDC exports it.

`simulate(study, n_subjects, seed)` draws the subjects and their course once, lets each module
write the forms the study collects from that shared story (a form no module knows is drawn as its
fields declare, edc.fields), then adds the system fields, numbers unscheduled visits, sorts and
numbers the records. Same study, N and seed → the same frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from edc import disposition, fields, history, kinetics, questionnaire, safety, subjects, timeline, tumour
from specs.loader import load_simulation
from specs.model import Study

MAX_SUBJECTS = 20_000


def simulate(study: Study, n_subjects: int, seed: int) -> dict[str, pd.DataFrame]:
    """Raw EDC data of `n_subjects` subjects: form name → frame of text columns (the library's
    fields in order, "" for blank) plus `_ROW`, the 1-based data row of the export file."""
    if not 1 <= n_subjects <= MAX_SUBJECTS:
        raise ValueError(f"n_subjects must be between 1 and {MAX_SUBJECTS}, got {n_subjects}")
    subj = subjects.make_subjects(study, n_subjects, seed)
    schedule = timeline.make_schedule(study, subj, seed)
    bound = np.minimum(subj.study_end, schedule.day[:, -1])
    tum = tumour.simulate_tumour(study, subj, schedule, bound, seed)
    death = disposition.death_day(subj, tum.progression_day, bound, seed)
    end = timeline.end_day(subj, schedule, death)
    died = np.isfinite(death) & (death <= end)
    death = np.where(died, death, np.inf)
    ae = safety.simulate_safety(subj, end, death, seed, load_simulation(study.simulation))
    # What each library form's module writes; only the forms the study collects are drawn (a study
    # without CAR-T has no kinetics to draw), each from its own stream, so the others are unchanged.
    modules = {
        "enrol": lambda: subjects.enrol_form(subj, seed),
        "dm": lambda: subjects.dm_form(subj, study, seed),
        "cancer_history": lambda: history.cancer_history_form(study, subj, seed),
        "prior_therapy": lambda: history.prior_therapy_form(study, subj, seed),
        "lymphodepletion": lambda: timeline.lymphodepletion_form(study, subj, seed),
        "infusion": lambda: timeline.infusion_form(study, subj, seed),
        "ae": lambda: ae.form,
        "qpcr": lambda: kinetics.qpcr_form(study, subj, schedule, end, seed),
        "cytokine": lambda: kinetics.cytokine_form(study, subj, schedule, end, ae.crs_onset, ae.crs_grade,
                                                   seed),
        "tumor": lambda: tum.forms["tumor"],
        "response": lambda: tum.forms["response"],
        "subsequent_therapy": lambda: history.subsequent_therapy_form(study, subj, tum.progression_day, end,
                                                                      seed),
        "disposition": lambda: disposition.disposition_form(subj, end, died, seed),
        "death": lambda: disposition.death_form(subj, death, seed),
    }
    rows = {name: module() for name, module in modules.items() if name in study.forms}
    for instrument in study.questionnaires:
        form_name = questionnaire.INSTRUMENTS[instrument][0]
        if form_name in study.forms:
            rows[form_name] = questionnaire.qlq_form(instrument, study.forms[form_name], subj, schedule, end,
                                                     tum.progression_day, ae.crs_grade, seed)
    # Study treatment stops at the documented progression.
    treated_until = np.fmin(end, tum.progression_day)
    for name, form in study.forms.items():  # the study's own forms, as their fields declare
        if name not in rows and name != "visit":
            until = treated_until if form.simulate.get("dosing") else end
            rows[name] = fields.simulate_form(form, study, subj, schedule, until, seed)
    unscheduled = _number_unscheduled(rows)
    rows["visit"] = timeline.visit_form(subj, schedule, end, unscheduled)
    return {name: _frame(fields.fill_fields(form, study, rows[name], subj, seed), form, subj)
            for name, form in study.forms.items() if name in rows}


def _number_unscheduled(rows: dict[str, dict[str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Name the unscheduled visits UNS1, UNS2 … per subject in date order, in every form that has
    them; return (subject, protocol day, folder) of each."""
    found = [(r["_S"][r["FOLDER"] == "UNS"], np.floor(_key(r)[r["FOLDER"] == "UNS"])) for r in rows.values()]
    s = np.concatenate([f[0] for f in found]).astype(np.int64)
    day = np.concatenate([f[1] for f in found])
    visits = np.unique(np.column_stack([s, day]), axis=0) if len(s) else np.empty((0, 2))
    us, uday = visits[:, 0].astype(np.int64), visits[:, 1]
    first = np.searchsorted(us, us)
    folder = np.char.add("UNS", (np.arange(len(us)) - first + 1).astype(str))
    for r in rows.values():
        mask = r["FOLDER"] == "UNS"
        if mask.any():
            key = r["_S"][mask] * 100_000 + np.floor(_key(r)[mask])
            index = np.searchsorted(us * 100_000 + uday, key)
            r["FOLDER"] = np.where(mask, "", r["FOLDER"]).astype(object)
            r["FOLDER"][mask] = folder[index]
            r["FOLDER"] = r["FOLDER"].astype(str)
    return us, uday, folder


def _key(rows: dict[str, np.ndarray]) -> np.ndarray:
    """Order of a subject's records in a form (protocol day, with fractions for ties)."""
    return np.asarray(rows.get("_K", np.zeros(len(rows["_S"]))), dtype=float)


def _frame(rows: dict[str, np.ndarray], form, subj: subjects.Subjects) -> pd.DataFrame:
    s = np.asarray(rows["_S"], dtype=np.int64)
    key = _key(rows)
    order = np.lexsort((np.arange(len(s)), key, s))
    s = s[order]
    folder = np.asarray(rows["FOLDER"])[order]
    # RECNUM: position of the record among the subject's records of this form in the same folder.
    frame = pd.DataFrame({"_s": s, "_f": folder})
    recnum = frame.groupby(["_s", "_f"], sort=False).cumcount().to_numpy() + 1
    system = {
        "STUDYID": np.full(len(s), subj.studyid),
        "SITEID": subj.site[s],
        "SUBJID": subj.subjid[s],
        "FOLDER": folder,
        "RECNUM": recnum.astype(str),
    }
    columns = {}
    for name in form.field_names():
        values = system[name] if name in system else np.asarray(rows[name])[order]
        columns[name] = pd.array(values.astype(str), dtype="str")
    columns["_ROW"] = np.arange(1, len(s) + 1, dtype=np.int64)
    return pd.DataFrame(columns)
