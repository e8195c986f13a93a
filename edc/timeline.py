"""When things happen: visit dates within their windows, lymphodepletion, infusion, visit records.

The schedule is a subjects x visits matrix of actual protocol days: the planned day plus a
jitter inside the visit's window, kept in visit order. Which visits a subject attends follows
from the end of her participation and a few missed visits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edc.calendar import date_text, number_text, time_text
from edc.streams import stream
from edc.subjects import Subjects, treatment_days
from specs.model import Study, Visit

MISSED_VISIT_SHARE = 0.03
ON_DAY_SHARE = 0.55  # visits exactly on the planned day


@dataclass(frozen=True)
class Schedule:
    visits: tuple[Visit, ...]
    day: np.ndarray  # subjects x visits: actual protocol day
    missed: np.ndarray  # subjects x visits: skipped although the subject was still on study

    def column(self, folder: str) -> int:
        return next(i for i, v in enumerate(self.visits) if v.folder == folder)

    def attended(self, end_day: np.ndarray) -> np.ndarray:
        return (self.day <= end_day[:, None]) & ~self.missed

    def with_activity(self, activity: str) -> np.ndarray:
        return np.array([activity in v.activities for v in self.visits])


def make_schedule(study: Study, subjects: Subjects, seed: int) -> Schedule:
    rng = stream(seed, "schedule")
    visits = tuple(sorted(study.visits, key=lambda v: (v.day, v.visitnum)))
    n, k = subjects.n, len(visits)
    planned = np.array([v.day for v in visits], dtype=float)
    before = np.array([v.window_before for v in visits])
    after = np.array([v.window_after for v in visits])
    jitter = np.floor(rng.random((n, k)) * (before + after + 1)) - before
    jitter = np.where(rng.random((n, k)) < ON_DAY_SHARE, 0, jitter)
    day = planned + jitter
    day[:, 0] = subjects.screening_day
    day = np.maximum.accumulate(day, axis=1)
    # Screening, lymphodepletion and infusion visits are never skipped.
    skippable = planned > 0
    missed = (rng.random((n, k)) < MISSED_VISIT_SHARE) & skippable
    return Schedule(visits=visits, day=day, missed=missed)


def end_day(subjects: Subjects, schedule: Schedule, death_day: np.ndarray) -> np.ndarray:
    """Last protocol day of participation: death, drop-out or the last visit."""
    return np.minimum(np.minimum(subjects.study_end, death_day), schedule.day[:, -1])


def lymphodepletion_form(study: Study, subjects: Subjects, seed: int) -> dict[str, np.ndarray]:
    rng = stream(seed, "lymphodepletion")
    days = treatment_days(study)
    drugs = study.treatments["lymphodepletion"]
    n = subjects.n
    # One start time per day; each drug follows the previous one.
    start = 8 * 60 + 30 + np.round(rng.normal(0, 25, size=(n, len(days))))
    rows: dict[str, list] = {k: [] for k in ("_S", "_K", "EXTRT", "EXDOSE", "EXDOSU", "EXSTDAT",
                                             "EXSTTIM", "EXENTIM", "FOLDER")}
    clock = start
    reduced = rng.random(n) < 0.05
    for j, drug in enumerate(drugs):
        duration = 30 if j == 0 else 60
        for i, d in enumerate(days):
            given = (subjects.ld_days > i) & (d in drug["days"])
            s = np.flatnonzero(given)
            dose = drug["dose"] * subjects.bsa[s] * np.where(reduced[s], 0.8, 1.0)
            end = clock[s, i] + duration + rng.integers(-3, 8, size=len(s))
            folder = next((v.folder for v in study.visits if v.day == d), "")
            rows["_S"].append(s)
            rows["_K"].append(np.full(len(s), d + j / 10))
            rows["EXTRT"].append(np.full(len(s), drug["name"].capitalize()))
            rows["EXDOSE"].append(number_text(dose, 1))
            rows["EXDOSU"].append(np.full(len(s), drug["unit"].split("/")[0]))
            rows["EXSTDAT"].append(date_text(subjects.day0[s] + d))
            rows["EXSTTIM"].append(time_text(clock[s, i]))
            rows["EXENTIM"].append(time_text(np.where(rng.random(len(s)) < 0.04, np.nan, end)))
            rows["FOLDER"].append(np.full(len(s), folder))
        clock = clock + duration + 15
    return {k: np.concatenate(v) for k, v in rows.items()}


def infusion_start(subjects: Subjects, seed: int) -> np.ndarray:
    """Minutes after midnight at which each subject's first CAR-T infusion starts."""
    return 10 * 60 + stream(seed, "infusion_start").integers(0, 240, size=subjects.n).astype(float)


def infusion_form(study: Study, subjects: Subjects, seed: int) -> dict[str, np.ndarray]:
    rng = stream(seed, "infusion")
    cart = study.treatments["cart"]
    names = [c["name"] for c in cart.get("constructs", [])] or [cart["name"]]
    n = subjects.n
    rows: dict[str, list] = {k: [] for k in ("_S", "_K", "CARTPROD", "INFDAT", "INFSTTIM",
                                             "INFENTIM", "DOSE", "DOSEU")}
    clock = infusion_start(subjects, seed)
    day0 = next((v.folder for v in study.visits if v.day == cart.get("day", 0)), "")
    for j, name in enumerate(names):
        got = subjects.infused & subjects.markers[:, j]
        s = np.flatnonzero(got)
        length = rng.integers(8, 31, size=n)
        rows["_S"].append(s)
        rows["_K"].append(np.full(len(s), j, dtype=float))
        rows["CARTPROD"].append(np.full(len(s), name))
        rows["INFDAT"].append(date_text(subjects.day0[s]))
        rows["INFSTTIM"].append(time_text(clock[s]))
        rows["INFENTIM"].append(time_text(clock[s] + length[s]))
        rows["DOSE"].append(number_text(cart["dose"] * rng.uniform(0.85, 1.1, size=n)[s], 2))
        rows["DOSEU"].append(np.full(len(s), cart["unit"]))
        clock = np.where(got, clock + length + 30, clock)
    out = {k: np.concatenate(v) for k, v in rows.items()}
    out["FOLDER"] = np.full(len(out["_S"]), day0)
    return out


def visit_form(subjects: Subjects, schedule: Schedule, end: np.ndarray,
               unscheduled: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    """Scheduled visits attended or missed while on study, then the unscheduled ones
    (subject, protocol day, folder)."""
    on_study = schedule.day <= end[:, None]
    s, v = np.nonzero(on_study)
    missed = schedule.missed[s, v]
    day = schedule.day[s, v]
    folders = np.array([x.folder for x in schedule.visits])
    us, uday, ufolder = unscheduled
    return {
        "_S": np.concatenate([s, us]),
        "_K": np.concatenate([day, uday]),
        "FOLDER": np.concatenate([folders[v], ufolder]),
        "VISDAT": np.concatenate([date_text(np.where(missed, np.nan, subjects.day0[s] + day)),
                                  date_text(subjects.day0[us] + uday)]),
        "VISND": np.concatenate([np.where(missed, "X", ""), np.full(len(us), "")]),
    }
