"""How participation ends: deaths (mostly after progression), end-of-study status, death record."""

from __future__ import annotations

import numpy as np

from edc.calendar import UNKNOWN_DAY, date_text
from edc.streams import pick, stream
from edc.subjects import (
    ADVERSE_EVENT,
    LOST,
    PHYSICIAN,
    WITHDREW,
    Subjects,
)

DEATH_AFTER_PROGRESSION_SHARE = 0.55
PROGRESSION_CAUSES = ("Disease progression", "Progressive disease", "disease progression",
                      "Progression of underlying cancer", "PD")
WITHDRAWAL_TERMS = ("Subject withdrew consent", "Withdrew consent ", "patient decision",
                    "Patient withdrew consent")
PHYSICIAN_TERMS = ("Rapid disease progression before infusion", "No longer eligible",
                   "Investigator decision")
ADVERSE_EVENT_TERMS = ("Prolonged cytopenia after lymphodepletion", "Infection during lymphodepletion")


def death_day(subjects: Subjects, progression_day: np.ndarray, bound: np.ndarray, seed: int) -> np.ndarray:
    """Protocol day of death (inf: alive at the end): deaths the disease did not cause, and
    deaths some weeks after a documented progression."""
    rng = stream(seed, "death")
    later = progression_day + 7 + np.round(rng.gamma(2.0, 60.0, subjects.n))
    dies = (rng.random(subjects.n) < DEATH_AFTER_PROGRESSION_SHARE) & (later <= bound)
    return np.where(np.isfinite(subjects.early_death_day), subjects.early_death_day,
                    np.where(dies, later, np.inf))


def disposition_form(subjects: Subjects, end: np.ndarray, died: np.ndarray,
                     seed: int) -> dict[str, np.ndarray]:
    rng = stream(seed, "disposition")
    n = subjects.n
    kind = subjects.dropout_kind
    decod = np.select(
        [died, kind == WITHDREW, kind == LOST, kind == PHYSICIAN, kind == ADVERSE_EVENT],
        ["Death", "Withdrawal by subject", "Lost to follow-up", "Physician decision", "Adverse event"],
        "Completed")
    term = np.select(
        [decod == "Withdrawal by subject", decod == "Physician decision", decod == "Adverse event"],
        [pick(rng, WITHDRAWAL_TERMS, n), pick(rng, PHYSICIAN_TERMS, n), pick(rng, ADVERSE_EVENT_TERMS, n)],
        "")
    return {"_S": np.arange(n), "FOLDER": np.full(n, ""), "DSDECOD": decod,
            "DSSTDAT": date_text(subjects.day0 + end), "DSTERM": term}


def death_form(subjects: Subjects, day: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    rng = stream(seed, "death_form")
    s = np.flatnonzero(np.isfinite(day))
    causes = ("", *subjects.early_causes)
    cause = np.array([causes[c] for c in subjects.early_death[s]], dtype=object)
    cause = np.where(cause == "", pick(rng, PROGRESSION_CAUSES, len(s), p=[0.6, 0.2, 0.1, 0.05, 0.05]), cause)
    precision = np.where(rng.random(len(s)) < 0.03, UNKNOWN_DAY, 0)
    return {"_S": s, "FOLDER": np.full(len(s), ""), "DTHDAT": date_text(subjects.day0[s] + day[s], precision),
            "DTHCAUS": cause.astype(str)}
