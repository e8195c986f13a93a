"""Adverse events, coded to MedDRA, as the study's simulation file lists them
(specs/library/simulation/<name>.yaml; for CAR-T: CRS and ICANS graded by ASTCT 2019, the rest by
CTCAE v4.03).

One loop over the event catalogue (not over subjects): each event type is drawn for all
subjects at once. Deaths not caused by the disease get their fatal event here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edc.calendar import UNKNOWN_DAY, UNKNOWN_MONTH, date_text, number_text, time_text
from edc.streams import pick, stream
from edc.subjects import LOST, Subjects

ASTCT, CTCAE = "ASTCT 2019", "CTCAE v4.03"
RELATED = ("Not related", "Unlikely related", "Possibly related", "Probably related", "Definitely related")
# Share of AE terms that carry the narrative below, which makes them longer than 200 characters.
NARRATIVE_SHARE = 0.003
NARRATIVE = (" - started in the evening, patient seen by the on-call physician, managed as per the"
             " institutional guideline with fluids and paracetamol, vital signs every four hours until"
             " resolution, no further action taken with the study treatment, reported to the sponsor"
             " within 24 hours as agreed")


@dataclass(frozen=True)
class EventType:
    """One adverse event of the simulation file (specs/library/simulation/*.yaml explains each)."""

    decod: str  # MedDRA preferred term
    bodsys: str  # MedDRA system organ class
    verbatim: tuple[str, ...]  # as sites write it, typos included
    share: float  # subjects with a first episode
    onset: tuple[int, int]  # protocol days
    grades: tuple[float, float, float, float]  # shares of grades 1-4
    days: float  # median duration
    related: tuple[float, float, float, float, float]  # shares over RELATED
    scale: str = CTCAE
    needs_infusion: bool = True
    recurrence: float = 0.0  # share of subjects with the event who have a second episode
    timed: float = 0.15  # share with a start time recorded
    cytokine_release: bool = False  # the CRS event: its first episode drives cytokines and QLQ
    serious: tuple[tuple[int, float], ...] = ()  # (grade, share serious) where the default differs


def catalogue(profile: dict) -> tuple[EventType, ...]:
    """The adverse events of a simulation file, in its order (the order the draws are made in)."""
    return tuple(
        EventType(**{**event, "verbatim": tuple(event["verbatim"]), "onset": tuple(event["onset"]),
                     "grades": tuple(event["grades"]), "related": tuple(event["related"]),
                     "serious": tuple((int(g), float(v)) for g, v in event.get("serious", {}).items())})
        for event in profile["adverse_events"])


@dataclass(frozen=True)
class Safety:
    form: dict[str, np.ndarray]
    crs_onset: np.ndarray  # protocol day of the first CRS (NaN: none)
    crs_grade: np.ndarray  # 0: none


def simulate_safety(subjects: Subjects, end: np.ndarray, death_day: np.ndarray, seed: int,
                    profile: dict) -> Safety:
    """Adverse events up to each subject's end of participation, drawn from `profile` (a simulation
    file); `death_day` is inf for subjects alive at their end."""
    rng = stream(seed, "safety")
    n = subjects.n
    events = catalogue(profile)
    early = profile["early_deaths"]
    parts = []
    crs_onset, crs_grade = np.full(n, np.nan), np.zeros(n, dtype=np.int64)
    dies = np.isfinite(death_day)
    for code, event in enumerate(events):
        eligible = subjects.infused if event.needs_infusion else subjects.ld_days > 0
        # Deaths whose fatal event this is: its first episode, at grade 5, ending in death.
        fatal = [(i + 1, d.get("latest_onset")) for i, d in enumerate(early) if d["event"] == event.decod]
        for episode in (0, 1):
            share = event.share if episode == 0 else event.share * event.recurrence
            occurs = eligible & (rng.random(n) < share)
            lo, hi = event.onset
            onset = rng.integers(lo, hi + 1, n).astype(float)
            if episode == 1:
                onset = onset + rng.integers(20, 90, n)
            grade = rng.choice(np.arange(1, 5), size=n, p=event.grades)
            length = np.maximum(1, np.round(rng.lognormal(np.log(event.days), 0.6, n)))
            stop = onset + length
            if episode == 0:
                for cause, latest in fatal:
                    died = dies & (subjects.early_death == cause)
                    occurs |= died
                    grade = np.where(died, 5, grade)
                    onset = np.where(died, np.minimum(onset, latest), onset) if latest is not None else onset
                    stop = np.where(died, death_day, stop)
                if event.cytokine_release:
                    crs_onset = np.where(occurs & (onset <= end), onset, np.nan)
                    crs_grade = np.where(occurs & (onset <= end), grade, 0)
            occurs &= onset <= end
            parts.append(_Events(np.flatnonzero(occurs), code, onset, grade, stop, event))
    for cause, death in enumerate(early, start=1):
        own = death["event"]
        if not isinstance(own, dict):
            continue
        s = np.flatnonzero(dies & (subjects.early_death == cause))
        a, b = own["before"]
        onset = death_day - rng.integers(a, b + 1, n)
        event = EventType(own["decod"], own["bodsys"], (own["verbatim"],), 0, (0, 0), (1, 0, 0, 0), 1,
                          (0.5, 0.3, 0.2, 0, 0))
        parts.append(_Events(s, len(events), onset, np.full(n, 5), death_day.copy(), event))
    form = _ae_rows(parts, subjects, end, death_day, rng)
    return Safety(form=form, crs_onset=crs_onset, crs_grade=crs_grade)


@dataclass(frozen=True)
class _Events:
    s: np.ndarray
    code: int
    onset: np.ndarray  # all subjects; read at s
    grade: np.ndarray
    stop: np.ndarray
    event: EventType


def _ae_rows(parts: list[_Events], subjects: Subjects, end: np.ndarray, death_day: np.ndarray,
             rng: np.random.Generator) -> dict[str, np.ndarray]:
    s = np.concatenate([p.s for p in parts])
    m = len(s)
    onset = np.concatenate([p.onset[p.s] for p in parts])
    grade = np.concatenate([p.grade[p.s] for p in parts])
    stop = np.concatenate([p.stop[p.s] for p in parts])
    code = np.concatenate([np.full(len(p.s), p.code) for p in parts])

    def per_event(attr):
        return np.concatenate([np.full(len(p.s), getattr(p.event, attr), dtype=object) for p in parts])

    verbatim = np.concatenate([pick(rng, p.event.verbatim, len(p.s)) for p in parts]).astype(object)
    # Free text as typed: some lower case, some with a trailing space, and now and then the
    # clinical course typed into the term field, over 200 characters (SDTMIG 4.5.3.2 splits it).
    u = rng.random(m)
    verbatim = np.where(u < 0.06, np.char.lower(verbatim.astype(str)).astype(object), verbatim)
    verbatim = np.where((u >= 0.06) & (u < 0.11), verbatim + " ", verbatim)
    verbatim = np.where(u >= 1 - NARRATIVE_SHARE, verbatim + NARRATIVE, verbatim)
    related = np.concatenate([pick(rng, RELATED, len(p.s), p=p.event.related) for p in parts])
    related = np.where(onset < 0, "Not related", related)

    fatal = grade == 5
    ongoing = ~fatal & (stop > end[s])
    lost = subjects.dropout_kind[s] == LOST
    u = rng.random(m)
    outcome = np.select(
        [fatal, ongoing & lost & (u < 0.3), ongoing & (u < 0.6), ongoing, u < 0.93],
        ["Fatal", "Unknown", "Not recovered/Not resolved", "Recovering/Resolving", "Recovered/Resolved"],
        "Recovered/Resolved with sequelae")

    chance = np.array([0.0, 0.02, 0.15, 0.6, 0.9, 1.0])[grade]
    # Events whose grades are serious more or less often than the default (CRS of grade 2 usually
    # means a hospital stay).
    decod = per_event("decod")
    for event in dict.fromkeys(p.event for p in parts if p.event.serious):
        for level, share in event.serious:
            chance = np.where((decod == event.decod) & (grade == level), share, chance)
    serious = rng.random(m) < chance
    u = rng.random((6, m))
    # A few serious events come without any criterion ticked: a query the data manager must raise.
    unticked = serious & ~fatal & (u[5] < 0.015)
    tick = serious & ~unticked
    criteria = {
        "AESDTH": tick & fatal,
        "AESLIFE": tick & (grade == 4) & (u[0] < 0.7),
        "AESHOSP": tick & ~fatal & (u[1] < 0.85),
        "AESDISAB": tick & (u[2] < 0.01),
        "AESCONG": np.zeros(m, dtype=bool),
        "AESMIE": tick & ~fatal & (u[3] < 0.15),
    }
    named = criteria["AESLIFE"] | criteria["AESHOSP"] | criteria["AESDISAB"] | criteria["AESMIE"]
    criteria["AESHOSP"] |= tick & ~fatal & ~named

    start_precision = np.where(fatal, 0, np.select([u[4] < 0.005, u[4] < 0.035],
                                                   [UNKNOWN_MONTH, UNKNOWN_DAY], 0))
    end_precision = np.where(fatal, 0, np.where(rng.random(m) < 0.03, UNKNOWN_DAY, 0))
    timed = rng.random(m) < per_event("timed").astype(float)
    clock = rng.integers(0, 1440, m).astype(float)
    out = {
        "_S": s, "_K": onset + code / 100, "FOLDER": np.full(m, ""),
        "AETERM": verbatim.astype(str), "AEDECOD": per_event("decod").astype(str),
        "AEBODSYS": per_event("bodsys").astype(str),
        "AESTDAT": date_text(subjects.day0[s] + onset, start_precision),
        "AESTTIM": time_text(np.where(timed & (start_precision == 0), clock, np.nan)),
        "AEENDAT": date_text(
            np.where(ongoing, np.nan, subjects.day0[s] + np.where(fatal, death_day[s], stop)), end_precision),
        "AEONGO": np.where(ongoing, "Yes", "No"),
        "AEGRSCL": per_event("scale").astype(str),
        "AEGRADE": number_text(grade),
        "AESER": np.where(serious, "Yes", "No"),
    }
    out |= {k: np.where(v, "X", "") for k, v in criteria.items()}
    out |= {
        "AEREL": related,
        "AEACN": pick(rng, ["Not applicable", "Dose not changed", "Unknown"], m, p=[0.93, 0.05, 0.02]),
        "AEOUT": outcome,
    }
    return out
