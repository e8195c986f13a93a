"""Who the subjects are and what happens to them: identity, demography and the latent course.

Everything is an array over subjects, in output order (site, then subject number). Days are
protocol days relative to the planned Day 0 (the CAR-T infusion, or the first dose of a study
whose arms give doses on a schedule, study.yaml `treatments.arms`); calendar dates are day numbers
(days since 1970-01-01). The latent course (arm, response class, progression, drop-out, deaths
not caused by the disease) is drawn here once, so every form tells the same story.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edc.calendar import UNKNOWN_MONTH, date_text, day_number, number_text
from edc.streams import pick, planted, stream
from specs.loader import dose_days, load_simulation
from specs.model import Study

ACCRUAL_START = day_number("2023-03-01")
ACCRUAL_DAYS = 540
END_OF_STUDY_DAY = 365  # protocol day of the last visit

# Latent tumour trajectory classes and their shares (complete/partial response, stable, progressive).
CLASSES = ("CR", "PR", "SD", "PD")
CLASS_SHARES = (0.05, 0.25, 0.35, 0.35)

# How a subject's participation ends early (codes shared with disposition).
STAYS, WITHDREW, LOST, PHYSICIAN, ADVERSE_EVENT = 0, 1, 2, 3, 4
# No death the disease did not cause; such deaths are numbered from 1 in the order of the study's
# simulation file (`early_deaths`), each with its fatal adverse event (edc.safety).
NO_EARLY_DEATH = 0

NOT_INFUSED_SHARE = 0.05
WITHDRAWAL_SHARE = 0.06
LOST_SHARE = 0.04
# Race shares by country of the sites; other countries use the last entry.
RACE_BY_COUNTRY = {
    "CHN": {"Asian": 0.97, "Other": 0.01, "Not reported": 0.02},
    "JPN": {"Asian": 0.98, "Not reported": 0.02},
    "": {"White": 0.70, "Black or African American": 0.12, "Asian": 0.10, "Other": 0.04,
         "American Indian or Alaska Native": 0.01, "Not reported": 0.03},
}
SEX_TEXT = {"F": "Female", "M": "Male"}


@dataclass(frozen=True)
class Subjects:
    n: int
    studyid: str
    site: np.ndarray  # text
    subjid: np.ndarray  # text
    consent: np.ndarray  # day number
    day0: np.ndarray  # day number of (planned) protocol Day 0
    screening_day: np.ndarray  # protocol day of the screening visit
    age: np.ndarray
    birth: np.ndarray  # day number
    sex: np.ndarray  # text
    bsa: np.ndarray  # body surface area, m2
    weight: np.ndarray  # kg
    markers: np.ndarray  # bool, subjects x constructs (all True when the study has one product)
    marker_names: tuple[str, ...]
    infused: np.ndarray  # bool: received the study treatment of Day 0 (infusion or first dose)
    ld_days: np.ndarray  # lymphodepletion days received (0-3; 0 in a study without lymphodepletion)
    response_class: np.ndarray  # index into CLASSES
    progression_day: np.ndarray  # latent day the disease starts to progress (inf: never)
    dropout_kind: np.ndarray  # STAYS, WITHDREW, LOST, PHYSICIAN, ADVERSE_EVENT
    dropout_day: np.ndarray  # protocol day (inf: stays)
    early_death: np.ndarray  # NO_EARLY_DEATH, or 1 + the index of the cause in `early_causes`
    early_death_day: np.ndarray  # protocol day (inf: none)
    arm: np.ndarray  # index into study.arms of the arm randomised to
    early_causes: tuple[str, ...] = ()  # the causes of the deaths the disease did not cause

    @property
    def study_end(self) -> np.ndarray:
        """Protocol day on which each subject's participation can end at the latest."""
        return np.minimum(self.dropout_day, self.early_death_day)


def make_subjects(study: Study, n: int, seed: int) -> Subjects:
    rng = stream(seed, "subjects")
    site_weights = rng.dirichlet(np.full(len(study.sites), 4.0))
    site_index = np.sort(rng.choice(len(study.sites), size=n, p=site_weights))
    consent = ACCRUAL_START + rng.integers(0, ACCRUAL_DAYS, size=n)
    # Subject numbers are given in order of consent within a site.
    order = np.lexsort((consent, site_index))
    consent = consent[order]
    first = np.searchsorted(site_index, site_index)
    number = np.arange(n) - first + 1
    width = max(3, len(str(int(number.max(initial=1)))))
    site = np.asarray(study.sites)[site_index]
    subjid = np.char.add(np.char.add(site, "-"), np.char.zfill(number.astype(str), width))

    screening = min(study.visits, key=lambda v: v.day)
    latest = min(screening.day + screening.window_after, first_treatment_day(study) - 1)
    screening_day = rng.integers(screening.day - screening.window_before, latest + 1, size=n)
    consent_day = screening_day - rng.integers(0, 8, size=n)
    day0 = consent - consent_day

    lo, hi = study.age_range
    age = np.clip(np.round(rng.normal(54, 10, size=n)), lo, hi).astype(np.int64)
    birth = _birth_date(consent, age, rng)
    sex = (np.full(n, SEX_TEXT[study.sex_population]) if study.sex_population in SEX_TEXT
           else pick(rng, list(SEX_TEXT.values()), n))
    bsa = np.clip(rng.normal(1.62, 0.14, size=n), 1.2, 2.2)
    weight = np.clip(bsa ** 2 * 3600 / 160 + rng.normal(0, 4, size=n), 35, 120)

    constructs = study.treatments.get("cart", {}).get("constructs", [])
    marker_names = tuple(c["marker"] for c in constructs)
    if marker_names:
        k = len(marker_names)
        first_marker = rng.integers(0, k, size=n)
        second_marker = (first_marker + rng.integers(1, max(k, 2), size=n)) % k
        markers = np.zeros((n, k), dtype=bool)
        markers[np.arange(n), first_marker] = True
        markers[np.arange(n), second_marker] |= rng.random(n) < 0.3
    else:
        markers = np.ones((n, 1), dtype=bool)

    infused = rng.random(n) >= NOT_INFUSED_SHARE
    # Subjects never infused withdraw during screening or lymphodepletion (never dosed: in screening).
    n_ld = len(treatment_days(study))
    ld_days = np.where(infused, n_ld, np.where(rng.random(n) < 0.6, 0,
                                               np.minimum(rng.integers(1, max(n_ld, 1) + 1, size=n), n_ld)))
    response_class = rng.choice(len(CLASSES), size=n, p=CLASS_SHARES)
    progression_day = _progression_day(response_class, rng)

    kind = pick(rng, [STAYS, WITHDREW, LOST], n, p=[1 - WITHDRAWAL_SHARE - LOST_SHARE,
                                                    WITHDRAWAL_SHARE, LOST_SHARE])
    dropout_day = np.where(kind == WITHDREW, rng.integers(10, END_OF_STUDY_DAY, size=n),
                           np.where(kind == LOST, rng.integers(45, END_OF_STUDY_DAY, size=n), np.inf))
    before_infusion = pick(rng, [WITHDREW, PHYSICIAN, ADVERSE_EVENT], n, p=[0.5, 0.3, 0.2])
    before_infusion = np.where((ld_days == 0) & (before_infusion == ADVERSE_EVENT), PHYSICIAN,
                               before_infusion)
    kind = np.where(infused, kind, before_infusion)
    dropout_day = np.where(infused, dropout_day, first_treatment_day(study) - 1 + ld_days)

    early = load_simulation(study.simulation)["early_deaths"]
    shares = [d["share"] for d in early]
    cause = pick(rng, np.arange(len(early) + 1), n, p=[1 - sum(shares), *shares])
    cause = np.where(infused, cause, NO_EARLY_DEATH)
    death_day = np.select(
        [cause == code for code in range(1, len(early) + 1)],
        [rng.integers(d["days"][0], d["days"][1] + 1, size=n) for d in early], np.inf).astype(float)
    death_day = np.where(death_day < dropout_day, death_day, np.inf)
    cause = np.where(np.isfinite(death_day), cause, NO_EARLY_DEATH)

    return Subjects(
        n=n, studyid=study.studyid, site=site, subjid=subjid, consent=consent.astype(float),
        day0=day0.astype(float), screening_day=screening_day, age=age, birth=birth, sex=sex,
        bsa=bsa, weight=weight, markers=markers, marker_names=marker_names, infused=infused,
        ld_days=ld_days, response_class=response_class, progression_day=progression_day,
        dropout_kind=kind, dropout_day=dropout_day.astype(float), early_death=cause,
        early_death_day=death_day, early_causes=tuple(d["cause"] for d in early),
        arm=_randomise(len(study.arms), n, stream(seed, "arms")),
    )


def treatment_days(study: Study) -> list[int]:
    """Protocol days with lymphodepletion doses (none in a study without lymphodepletion)."""
    return sorted({d for t in study.treatments.get("lymphodepletion", ()) for d in t["days"]})


def first_treatment_day(study: Study) -> int:
    """The first protocol day with study treatment: lymphodepletion, else the first dose of any arm."""
    days = treatment_days(study) or [min(dose_days(t)) for ts in study.treatments.get("arms", {}).values()
                                     for t in ts]
    return min(days, default=0)


def _randomise(n_arms: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Arm indices by permuted blocks of two per arm, as an IRT system allocates 1:1."""
    if n_arms < 2:
        return np.zeros(n, dtype=np.int64)
    blocks = -(-n // (2 * n_arms))
    return np.concatenate([rng.permutation(np.repeat(np.arange(n_arms), 2)) for _ in range(blocks)])[:n]


def _birth_date(consent: np.ndarray, age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A birth date that makes the subject exactly `age` years old at consent."""
    dates = consent.astype("datetime64[D]")
    month_start = dates.astype("datetime64[M]")
    day_of_month = np.minimum((dates - month_start).astype(np.int64), 27)
    anniversary = (month_start - 12 * age).astype("datetime64[D]") + day_of_month
    return (anniversary - rng.integers(0, 365, size=len(age))).astype(np.int64).astype(float)


def _progression_day(response_class: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(response_class)
    by_class = np.stack([
        np.where(rng.random(n) < 0.1, 200 + rng.exponential(300, n), np.inf),  # CR: rare relapse
        90 + rng.exponential(250, n),  # PR
        40 + rng.exponential(150, n),  # SD
        np.zeros(n),  # PD: from the start
    ])
    return by_class[response_class, np.arange(n)]


def enrol_form(subjects: Subjects, seed: int) -> dict[str, np.ndarray]:
    rng = stream(seed, "enrol")
    screening = subjects.day0 + subjects.screening_day
    enrolled = np.minimum(screening + rng.integers(0, 5, size=subjects.n), subjects.day0 - 6)
    marker = np.full(subjects.n, "", dtype=object)
    for j, name in enumerate(subjects.marker_names):
        has = subjects.markers[:, j]
        marker = np.where(has, np.where(marker == "", name, marker + ";" + name), marker)
    return {"_S": np.arange(subjects.n), "FOLDER": np.full(subjects.n, "SCRN"),
            "ICDAT": date_text(subjects.consent), "ENRLDAT": date_text(enrolled), "MARKER": marker}


def dm_form(subjects: Subjects, study: Study, seed: int) -> dict[str, np.ndarray]:
    rng = stream(seed, "dm")
    n = subjects.n
    year_only = rng.random(n) < 0.12
    races = RACE_BY_COUNTRY.get(study.countries[0] if study.countries else "", RACE_BY_COUNTRY[""])
    ethnic = pick(rng, ["Not Hispanic or Latino", "Not reported", "Unknown", "Hispanic or Latino"], n,
                  p=[0.95, 0.03, 0.015, 0.005])
    return {
        "_S": np.arange(n), "FOLDER": np.full(n, "SCRN"),
        "BRTHDAT": date_text(subjects.birth, np.where(year_only, UNKNOWN_MONTH, 0)),
        "AGE": np.where(planted(rng, n, 0.02), "", number_text(subjects.age)),
        "SEX": subjects.sex,
        "RACE": pick(rng, list(races), n, p=list(races.values())),
        "ETHNIC": ethnic,
    }
