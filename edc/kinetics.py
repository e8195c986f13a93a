"""Cellular kinetics and cytokines: CAR transgene by qPCR and the CRS cytokine panel.

qPCR: expansion to a peak around day 7-14 (log-normal between subjects), then a bi-exponential
decline; values under the analyte's LLOQ come back in the lab's own spellings. Cytokines: a
baseline level per subject and a peak that follows the CRS onset, higher with the CRS grade.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edc.calendar import date_text, number_text, time_text
from edc.streams import pick, stream
from edc.subjects import Subjects
from edc.timeline import Schedule, infusion_start
from specs.model import Study

MISSING_SAMPLE_SHARE = 0.02
# Reasons a sample has no result; the first one means nothing was drawn (no date or time).
NOT_DONE = ("Sample not collected", "Sample haemolysed", "Insufficient DNA")
NON_EXPANDER_SHARE = 0.1


@dataclass(frozen=True)
class Cytokine:
    test: str  # the EDC's answer text
    unit: str
    normal: tuple[float, float]
    baseline: float  # median in subjects with cancer
    spread: float  # sd of log baseline
    fold: tuple[float, ...]  # peak fold change by CRS grade 0-5
    lag: float  # days from CRS onset to the peak
    width: float  # days
    decimals: int
    lloq: float | None = None


CYTOKINES = {
    "IL6": Cytokine("IL-6", "pg/mL", (0, 7), 4, 0.6, (1.5, 8, 30, 100, 250, 400), 1, 1.5, 1, lloq=1.5),
    "IFNG": Cytokine("IFN-gamma", "pg/mL", (0, 15.6), 5, 0.6, (1.2, 4, 12, 30, 60, 80), 1, 1.5, 1, lloq=2),
    "FERRITIN": Cytokine("Ferritin", "ng/mL", (13, 150), 250, 0.7, (1.2, 2, 4, 8, 15, 20), 3, 5, 0),
    "CRP": Cytokine("C-reactive protein", "mg/L", (0, 10), 8, 0.8, (1.5, 6, 12, 20, 25, 30), 1.5, 3, 1),
}


def timepoint_text(day: float) -> str:
    if day < 0:
        return "SCREENING"
    return "PRE-INFUSION" if day == 0 else f"DAY {int(day)}"


def _sample_time(day: np.ndarray, s: np.ndarray, start: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Morning draws; on the infusion day the sample is taken before the infusion starts."""
    morning = 7 * 60 + 30 + rng.integers(0, 210, len(s))
    return np.where(day == 0, start[s] - rng.integers(30, 91, len(s)), morning).astype(float)


def qpcr_form(study: Study, subjects: Subjects, schedule: Schedule, end: np.ndarray,
              seed: int) -> dict[str, np.ndarray]:
    rng = stream(seed, "qpcr")
    n = subjects.n
    cols = np.flatnonzero(schedule.with_activity("qpcr"))
    attended = schedule.attended(end)[:, cols]
    day = schedule.day[:, cols]
    start = infusion_start(subjects, seed)
    parts = []
    for analyte in study.kinetics["analytes"]:
        marker = analyte.get("marker")
        has = (subjects.markers[:, subjects.marker_names.index(marker)] if marker
               else np.ones(n, dtype=bool))
        cmax = rng.lognormal(np.log(8000), 1.2, n) * np.where(rng.random(n) < NON_EXPANDER_SHARE, 0.005, 1)
        tmax = np.clip(rng.lognormal(np.log(10), 0.25, n), 5, 20)
        floor = analyte["lloq"] / 10
        rise = np.log(np.maximum(cmax / floor, 1.01)) / tmax
        fast = rng.uniform(0.85, 0.97, n)
        alpha = np.log(2) / rng.uniform(2, 5, n)
        beta = np.log(2) / rng.uniform(20, 80, n)
        t = day - tmax[:, None]
        level = np.where(t < 0, cmax[:, None] * np.exp(rise[:, None] * t),
                         cmax[:, None] * (fast[:, None] * np.exp(-alpha[:, None] * t)
                                          + (1 - fast[:, None]) * np.exp(-beta[:, None] * t)))
        level = level * rng.lognormal(0, 0.25, level.shape)
        # Before the infusion there are no CAR-T cells to find.
        level = np.where((day <= 0) | ~subjects.infused[:, None], 0, level)
        s, v = np.nonzero(attended & has[:, None])
        parts.append((s, v, level[s, v], analyte))
    s = np.concatenate([p[0] for p in parts])
    v = np.concatenate([p[1] for p in parts])
    value = np.concatenate([p[2] for p in parts])
    lloq = np.concatenate([np.full(len(p[0]), float(p[3]["lloq"])) for p in parts])
    m = len(s)
    sample_day = day[s, v]
    reason = np.where(rng.random(m) < MISSING_SAMPLE_SHARE, pick(rng, NOT_DONE, m), "")
    drawn = reason != NOT_DONE[0]
    lloq_text = np.array([format(x, "g") for x in lloq]) if m else np.array([], dtype=str)
    below = pick(rng, ["<LLOQ", "BLQ", "< "], m, p=[0.6, 0.25, 0.15]).astype(object)
    below = np.where(below == "< ", below + lloq_text.astype(object), below).astype(str)
    result = np.where(value >= lloq, number_text(value), below)
    times = _sample_time(sample_day, s, start, rng)
    return {
        "_S": s,
        "_K": sample_day + np.concatenate([np.full(len(p[0]), i / 100) for i, p in enumerate(parts)]),
        "FOLDER": np.asarray([schedule.visits[c].folder for c in cols])[v] if m else np.array([], dtype=str),
        "SMPDAT": date_text(np.where(drawn, subjects.day0[s] + sample_day, np.nan)),
        "SMPTIM": time_text(np.where(drawn, times, np.nan)),
        "TPT": np.array([timepoint_text(d) for d in [schedule.visits[c].day for c in cols]])[v] if m
        else np.array([], dtype=str),
        "ANALYTE": np.concatenate([np.full(len(p[0]), p[3]["testcd"]) for p in parts]),
        "RESULT": np.where(reason == "", result, ""),
        "UNIT": np.concatenate([np.full(len(p[0]), p[3]["unit"]) for p in parts]),
        "LLOQ": lloq_text,
        "NDREAS": reason,
    }


def cytokine_form(study: Study, subjects: Subjects, schedule: Schedule, end: np.ndarray,
                  crs_onset: np.ndarray, crs_grade: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Scheduled panels, plus an unscheduled panel on the day a CRS of grade 2+ starts."""
    rng = stream(seed, "cytokine")
    n = subjects.n
    cols = np.flatnonzero(schedule.with_activity("cytokine"))
    scheduled = np.where(schedule.attended(end)[:, cols], schedule.day[:, cols], np.nan)
    extra = np.where((crs_grade >= 2) & (rng.random(n) < 0.6), crs_onset, np.nan)
    extra = np.where((extra <= end) & ~(scheduled == extra[:, None]).any(axis=1), extra, np.nan)
    day = np.column_stack([scheduled, extra])
    folder = np.append(np.asarray([schedule.visits[c].folder for c in cols]), "UNS")
    s, v = np.nonzero(~np.isnan(day))
    t = day[s, v]
    start = infusion_start(subjects, seed)
    peak_day = np.where(np.isnan(crs_onset), 2, crs_onset)[s]
    rows: dict[str, list] = {k: [] for k in ("_S", "_K", "FOLDER", "SMPDAT", "SMPTIM", "LBTEST",
                                             "RESULT", "UNIT", "NRLO", "NRHI")}
    date = date_text(subjects.day0[s] + t)
    clock = time_text(_sample_time(t, s, start, rng))
    for i, code in enumerate(study.kinetics.get("cytokines", [])):
        c = CYTOKINES[code]
        base = rng.lognormal(np.log(c.baseline), c.spread, n)[s]
        fold = np.asarray(c.fold)[crs_grade[s]]
        bump = np.exp(-((t - peak_day - c.lag) ** 2) / (2 * c.width ** 2))
        value = base * (1 + (fold - 1) * bump * (t > 0)) * rng.lognormal(0, 0.15, len(s))
        result = number_text(value, c.decimals)
        if c.lloq is not None:
            result = np.where(value < c.lloq, f"<{c.lloq:g}", result)
        rows["_S"].append(s)
        rows["_K"].append(t + i / 100)
        rows["FOLDER"].append(folder[v])
        rows["SMPDAT"].append(date)
        rows["SMPTIM"].append(clock)
        rows["LBTEST"].append(np.full(len(s), c.test))
        rows["RESULT"].append(result)
        rows["UNIT"].append(np.full(len(s), c.unit))
        rows["NRLO"].append(np.full(len(s), f"{c.normal[0]:g}"))
        rows["NRHI"].append(np.full(len(s), f"{c.normal[1]:g}"))
    return {k: np.concatenate(x) if x else np.array([], dtype=str) for k, x in rows.items()}
