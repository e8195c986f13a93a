"""Patient-reported outcomes: EORTC QLQ-C15-PAL at the visits with a `qlq` activity.

Answers follow one latent health state per subject and visit (worse after infusion with CRS,
and after progression), so items correlate the way a real questionnaire's do.
"""

from __future__ import annotations

import numpy as np

from edc.calendar import date_text, number_text
from edc.streams import pick, stream
from edc.subjects import Subjects
from edc.timeline import Schedule
from specs.model import Form

# Instrument → (form, highest rating of each item in field order; a global item rises with health).
INSTRUMENTS = {"QLQ-C15-PAL": ("qlq", (4,) * 14 + (7,), (False,) * 14 + (True,))}
NOT_DONE_SHARE = 0.05
NOT_DONE_REASONS = ("Patient too unwell", "Missed by site", "Patient refused", "patient unwell ")
MISSING_ITEM_SHARE = 0.03


def qlq_form(instrument: str, form: Form, subjects: Subjects, schedule: Schedule, end: np.ndarray,
             progression_day: np.ndarray, crs_grade: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    rng = stream(seed, "questionnaire")
    _, highest, rising = INSTRUMENTS[instrument]
    items = [f.name for f in form.fields if f.type == "integer" and f.name != "RECNUM"]
    cols = np.flatnonzero(schedule.with_activity("qlq"))
    s, v = np.nonzero(schedule.attended(end)[:, cols])
    m = len(s)
    t = schedule.day[s, cols[v]]
    # Health in [0, 1]: 1 is best. Lower at baseline for some, lower after CRS and after progression.
    baseline = rng.beta(5, 2.5, subjects.n)[s]
    after_crs = np.where((t > 0) & (t <= 40), 0.05 * crs_grade[s], 0)
    after_pd = np.where(t > progression_day[s], np.minimum((t - progression_day[s]) / 200, 0.4), 0)
    health = np.clip(baseline - after_crs - after_pd + rng.normal(0, 0.08, m), 0, 1)
    not_done = rng.random(m) < NOT_DONE_SHARE
    out = {
        "_S": s, "_K": t, "FOLDER": np.asarray([schedule.visits[c].folder for c in cols])[v],
        "QSDAT": date_text(subjects.day0[s] + t),
        "QSND": np.where(not_done, "X", ""),
        "QSREASND": np.where(not_done, pick(rng, NOT_DONE_REASONS, m), ""),
    }
    for name, top, up in zip(items, highest, rising, strict=True):
        severity = health if up else 1 - health
        rating = 1 + np.floor(np.clip(severity + rng.normal(0, 0.18, m), 0, 0.999) * top)
        answered = ~not_done & (rng.random(m) >= MISSING_ITEM_SHARE)
        out[name] = number_text(np.where(answered, rating, np.nan))
    return out
