"""Adverse events: CRS and ICANS graded by ASTCT 2019, the rest by CTCAE v4.03, coded to MedDRA.

One loop over the event catalogue (not over subjects): each event type is drawn for all
subjects at once. Deaths not caused by the disease get their fatal event here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edc.calendar import UNKNOWN_DAY, UNKNOWN_MONTH, date_text, number_text, time_text
from edc.streams import pick, stream
from edc.subjects import DEATH_CRS, DEATH_EMBOLISM, DEATH_SEPSIS, LOST, Subjects

ASTCT, CTCAE = "ASTCT 2019", "CTCAE v4.03"
CRS = "Cytokine release syndrome"
RELATED = ("Not related", "Unlikely related", "Possibly related", "Probably related", "Definitely related")
# Share of AE terms that carry the narrative below, which makes them longer than 200 characters.
NARRATIVE_SHARE = 0.003
NARRATIVE = (" - started in the evening, patient seen by the on-call physician, managed as per the"
             " institutional guideline with fluids and paracetamol, vital signs every four hours until"
             " resolution, no further action taken with the study treatment, reported to the sponsor"
             " within 24 hours as agreed")


@dataclass(frozen=True)
class EventType:
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


CATALOGUE = (
    EventType(CRS, "Immune system disorders",
              ("Cytokine release syndrome", "CRS", "cytokine release syndrom", "Cytokine Release Syndrome",
               "CRS grade 2"), 0.55, (1, 7), (0.6, 0.28, 0.09, 0.03), 5, (0, 0, 0.1, 0.4, 0.5),
              scale=ASTCT, timed=0.6),
    EventType("Immune effector cell-associated neurotoxicity syndrome", "Nervous system disorders",
              ("ICANS", "Immune effector cell-associated neurotoxicity syndrome", "neurotoxicity (ICANS)",
               "Immune effector cell assoc. neurotoxicity"), 0.12, (3, 10), (0.55, 0.3, 0.12, 0.03), 4,
              (0, 0, 0.15, 0.45, 0.4), scale=ASTCT, timed=0.5),
    EventType("Neutrophil count decreased", "Investigations",
              ("Neutropenia", "neutrophil count decreased", "Neutrophils decreased", "neutropaenia"),
              0.7, (-3, 3), (0.05, 0.15, 0.45, 0.35), 14, (0.2, 0.2, 0.4, 0.15, 0.05), needs_infusion=False),
    EventType("Lymphocyte count decreased", "Investigations",
              ("Lymphopenia", "Lymphocyte count decreased", "lymphopaenia"),
              0.6, (-4, 0), (0.02, 0.08, 0.4, 0.5), 21, (0.3, 0.2, 0.35, 0.1, 0.05), needs_infusion=False),
    EventType("Anaemia", "Blood and lymphatic system disorders", ("Anemia", "Anaemia", "anaemia ", "ANEMIA"),
              0.45, (-3, 14), (0.3, 0.45, 0.25, 0.0), 20, (0.4, 0.3, 0.25, 0.05, 0.0), needs_infusion=False),
    EventType("Platelet count decreased", "Investigations",
              ("Thrombocytopenia", "Platelets decreased", "thrombocytopaenia", "Low platelets"),
              0.35, (-2, 10), (0.35, 0.3, 0.25, 0.1), 14, (0.3, 0.2, 0.35, 0.15, 0.0), needs_infusion=False),
    EventType("Febrile neutropenia", "Blood and lymphatic system disorders",
              ("Febrile neutropenia", "Neutropenic fever", "febrile neutropaenia"),
              0.1, (1, 12), (0.0, 0.0, 0.9, 0.1), 5, (0.3, 0.3, 0.3, 0.1, 0.0)),
    EventType("Pyrexia", "General disorders and administration site conditions",
              ("Fever", "Pyrexia", "fever ", "Fevers"), 0.2, (1, 60), (0.7, 0.25, 0.05, 0.0), 2,
              (0.3, 0.3, 0.3, 0.1, 0.0), recurrence=0.2),
    EventType("Fatigue", "General disorders and administration site conditions",
              ("Fatigue", "tiredness", "Fatigue ", "FATIGUE"), 0.3, (1, 120), (0.6, 0.35, 0.05, 0.0), 30,
              (0.4, 0.3, 0.25, 0.05, 0.0), recurrence=0.1),
    EventType("Nausea", "Gastrointestinal disorders", ("Nausea", "nausea", "Nausia", "Nausea "),
              0.35, (-5, -2), (0.7, 0.27, 0.03, 0.0), 3, (0.9, 0.1, 0, 0, 0), needs_infusion=False),
    EventType("Vomiting", "Gastrointestinal disorders", ("Vomiting", "vomitting", "Emesis"),
              0.15, (-5, -2), (0.7, 0.27, 0.03, 0.0), 2, (0.9, 0.1, 0, 0, 0), needs_infusion=False),
    EventType("Decreased appetite", "Metabolism and nutrition disorders",
              ("Decreased appetite", "Anorexia", "poor appetite", "Loss of appetite"),
              0.2, (-5, 60), (0.6, 0.35, 0.05, 0.0), 20, (0.5, 0.3, 0.2, 0, 0), needs_infusion=False),
    EventType("Hypokalaemia", "Metabolism and nutrition disorders",
              ("Hypokalemia", "Low potassium", "hypokalaemia"),
              0.15, (1, 30), (0.6, 0.3, 0.1, 0.0), 5, (0.5, 0.3, 0.2, 0, 0), recurrence=0.2),
    EventType("Hypotension", "Vascular disorders", ("Hypotension", "low blood pressure", "Hypotension "),
              0.12, (1, 10), (0.3, 0.5, 0.18, 0.02), 3, (0.1, 0.1, 0.4, 0.3, 0.1)),
    EventType("Headache", "Nervous system disorders", ("Headache", "headache", "Head ache"),
              0.15, (-5, 90), (0.75, 0.22, 0.03, 0.0), 2, (0.5, 0.3, 0.2, 0, 0), needs_infusion=False,
              recurrence=0.2),
    EventType("Diarrhoea", "Gastrointestinal disorders", ("Diarrhea", "Diarrhoea", "loose stools"),
              0.15, (1, 90), (0.7, 0.25, 0.05, 0.0), 4, (0.5, 0.3, 0.2, 0, 0), recurrence=0.15),
    EventType("Abdominal pain", "Gastrointestinal disorders", ("Abdominal pain", "abdo pain", "Pain abdomen"),
              0.2, (1, 300), (0.5, 0.4, 0.1, 0.0), 10, (0.7, 0.25, 0.05, 0, 0), recurrence=0.2),
    EventType("Pneumonia", "Infections and infestations", ("Pneumonia", "Lung infection", "pneumonia "),
              0.06, (10, 200), (0.0, 0.3, 0.6, 0.1), 14, (0.3, 0.3, 0.3, 0.1, 0)),
    EventType("Urinary tract infection", "Infections and infestations", ("UTI", "Urinary tract infection",
              "urinary infection"), 0.08, (5, 300), (0.3, 0.6, 0.1, 0.0), 7, (0.6, 0.3, 0.1, 0, 0)),
    EventType("Upper respiratory tract infection", "Infections and infestations",
              ("URTI", "Upper respiratory tract infection", "common cold"), 0.1, (10, 300),
              (0.6, 0.38, 0.02, 0.0), 7, (0.7, 0.25, 0.05, 0, 0), recurrence=0.2),
)
# The fatal event of each death the disease did not cause: (term, SOC, verbatim, days before death).
FATAL = {
    DEATH_SEPSIS: ("Sepsis", "Infections and infestations", "Sepsis", (1, 6)),
    DEATH_EMBOLISM: ("Pulmonary embolism", "Respiratory, thoracic and mediastinal disorders",
                     "Pulmonary embolism", (0, 1)),
}


@dataclass(frozen=True)
class Safety:
    form: dict[str, np.ndarray]
    crs_onset: np.ndarray  # protocol day of the first CRS (NaN: none)
    crs_grade: np.ndarray  # 0: none


def simulate_safety(subjects: Subjects, end: np.ndarray, death_day: np.ndarray, seed: int) -> Safety:
    """Adverse events up to each subject's end of participation; `death_day` is inf for subjects
    alive at their end."""
    rng = stream(seed, "safety")
    n = subjects.n
    parts = []
    crs_onset, crs_grade = np.full(n, np.nan), np.zeros(n, dtype=np.int64)
    dies = np.isfinite(death_day)
    crs_death = dies & (subjects.early_death == DEATH_CRS)
    for code, event in enumerate(CATALOGUE):
        eligible = subjects.infused if event.needs_infusion else subjects.ld_days > 0
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
            if event.decod == CRS and episode == 0:
                occurs |= crs_death
                grade = np.where(crs_death, 5, grade)
                onset = np.where(crs_death, np.minimum(onset, 4), onset)
                stop = np.where(crs_death, death_day, stop)
                crs_onset = np.where(occurs & (onset <= end), onset, np.nan)
                crs_grade = np.where(occurs & (onset <= end), grade, 0)
            occurs &= onset <= end
            parts.append(_Events(np.flatnonzero(occurs), code, onset, grade, stop, event))
    for cause, (decod, bodsys, verbatim, (a, b)) in FATAL.items():
        s = np.flatnonzero(dies & (subjects.early_death == cause))
        onset = death_day - rng.integers(a, b + 1, n)
        event = EventType(decod, bodsys, (verbatim,), 0, (0, 0), (1, 0, 0, 0), 1, (0.5, 0.3, 0.2, 0, 0))
        parts.append(_Events(s, len(CATALOGUE), onset, np.full(n, 5), death_day.copy(), event))
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
    # CRS of grade 2 usually means a hospital stay.
    chance = np.where((per_event("decod") == CRS) & (grade == 2), 0.5, chance)
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
