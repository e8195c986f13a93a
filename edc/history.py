"""Disease background: cancer history and prior anticancer therapies before consent, and the
therapies started after the study treatment. Terms depend on the study's indication."""

from __future__ import annotations

import numpy as np

from edc.calendar import UNKNOWN_DAY, UNKNOWN_MONTH, date_text, number_text
from edc.streams import pick, stream
from edc.subjects import Subjects
from specs.model import Study

# Verbatim terms as sites write them, by a keyword of the study's indication.
INDICATIONS = {
    "ovarian": {
        "diagnosis": ["Ovarian cancer", "Epithelial ovarian cancer", "High grade serous ovarian cancer",
                      "ovarian carcinoma"],
        "histology": {"High-grade serous carcinoma": 0.7, "Endometrioid carcinoma": 0.1,
                      "Clear cell carcinoma": 0.1, "Low-grade serous carcinoma": 0.06,
                      "Mucinous carcinoma": 0.04},
        "stage": {"IIB": 0.05, "IIIA": 0.1, "IIIB": 0.15, "IIIC": 0.45, "IVA": 0.1, "IVB": 0.15},
        "first_line": ["Carboplatin + paclitaxel", "Carboplatin/Paclitaxel", "carboplatin and paclitaxel"],
        "later_lines": ["Carboplatin + pegylated liposomal doxorubicin", "Olaparib", "Niraparib",
                        "Bevacizumab + carboplatin + gemcitabine", "Weekly paclitaxel", "Topotecan",
                        "Gemcitabine"],
        "subsequent": ["Pegylated liposomal doxorubicin", "Gemcitabine", "Weekly paclitaxel",
                       "Bevacizumab + paclitaxel", "Mirvetuximab soravtansine", "Topotecan"],
    },
    "cervical": {
        "diagnosis": ["Cervical cancer", "Carcinoma of cervix", "cervical squamous cell carcinoma",
                      "Cervical Cancer"],
        "histology": {"Squamous cell carcinoma": 0.75, "Adenocarcinoma": 0.2,
                      "Adenosquamous carcinoma": 0.05},
        "stage": {"IB3": 0.1, "IIB": 0.25, "IIIB": 0.2, "IIIC1": 0.2, "IVA": 0.1, "IVB": 0.15},
        "first_line": ["Cisplatin-based chemoradiotherapy", "Concurrent chemoradiation (cisplatin)",
                       "CCRT with weekly cisplatin"],
        "later_lines": ["Paclitaxel + cisplatin + bevacizumab", "Pembrolizumab", "Carboplatin + paclitaxel",
                        "Tisotumab vedotin", "Topotecan", "Cadonilimab"],
        "subsequent": ["Pembrolizumab", "Tisotumab vedotin", "Gemcitabine", "Cemiplimab",
                       "Carboplatin + paclitaxel"],
    },
}
GENERIC = {
    "diagnosis": None, "histology": {"Carcinoma": 1.0}, "stage": {"III": 0.5, "IV": 0.5},
    "first_line": ["Platinum-based chemotherapy"], "later_lines": ["Chemotherapy", "Immunotherapy"],
    "subsequent": ["Chemotherapy", "Investigational agent"],
}
MAX_PRIOR_LINES = 4


def indication_terms(study: Study) -> dict:
    text = study.indication.lower()
    terms = next((v for k, v in INDICATIONS.items() if k in text), GENERIC)
    return terms if terms["diagnosis"] else {**terms, "diagnosis": [study.indication]}


def _precision(rng: np.random.Generator, shape, unknown_day: float, unknown_month: float) -> np.ndarray:
    u = rng.random(shape)
    return np.where(u < unknown_month, UNKNOWN_MONTH, np.where(u < unknown_month + unknown_day,
                                                                UNKNOWN_DAY, 0))


def diagnosis_day(subjects: Subjects, seed: int) -> np.ndarray:
    rng = stream(seed, "diagnosis")
    return subjects.consent - np.round(rng.uniform(300, 3000, subjects.n))


def cancer_history_form(study: Study, subjects: Subjects, seed: int) -> dict[str, np.ndarray]:
    rng = stream(seed, "cancer_history")
    terms = indication_terms(study)
    n = subjects.n
    return {
        "_S": np.arange(n), "FOLDER": np.full(n, "SCRN"),
        "MHTERM": pick(rng, terms["diagnosis"], n),
        "MHSTDAT": date_text(diagnosis_day(subjects, seed), _precision(rng, n, 0.2, 0.05)),
        "HISTYPE": pick(rng, list(terms["histology"]), n, p=list(terms["histology"].values())),
        "STAGE": pick(rng, list(terms["stage"]), n, p=list(terms["stage"].values())),
    }


def prior_therapy_form(study: Study, subjects: Subjects, seed: int) -> dict[str, np.ndarray]:
    """1-4 lines between diagnosis and four weeks before consent, one after the other."""
    rng = stream(seed, "prior_therapy")
    terms = indication_terms(study)
    n = subjects.n
    lines = rng.choice(np.arange(1, MAX_PRIOR_LINES + 1), size=n, p=[0.25, 0.35, 0.25, 0.15])
    first = diagnosis_day(subjects, seed) + 14
    span = subjects.consent - 28 - first
    k = np.arange(MAX_PRIOR_LINES)
    start = first[:, None] + np.floor(span[:, None] * k / lines[:, None])
    length = span[:, None] / lines[:, None]
    end = start + np.floor(length * rng.uniform(0.3, 0.9, (n, MAX_PRIOR_LINES)))
    given = k < lines[:, None]
    s, line = np.nonzero(given)
    therapy = np.where(line == 0, pick(rng, terms["first_line"], len(s)),
                       pick(rng, terms["later_lines"], len(s)))
    end_known = rng.random(len(s)) >= 0.05
    return {
        "_S": s, "_K": start[s, line], "FOLDER": np.full(len(s), "SCRN"),
        "PRTRT": therapy, "PRLINE": number_text(line + 1),
        "PRSTDAT": date_text(start[s, line], _precision(rng, len(s), 0.12, 0.03)),
        "PRENDAT": date_text(np.where(end_known, end[s, line], np.nan),
                             _precision(rng, len(s), 0.12, 0.03)),
    }


def subsequent_therapy_form(study: Study, subjects: Subjects, progression_day: np.ndarray,
                            end: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """New anticancer therapy after progression for most progressors; a few start one without
    documented progression (a case PFS censoring has to handle)."""
    rng = stream(seed, "subsequent_therapy")
    terms = indication_terms(study)
    n = subjects.n
    after_pd = progression_day + rng.integers(7, 41, n)
    without_pd = rng.uniform(60, 330, n).round()
    start = np.where(np.isfinite(progression_day), np.where(rng.random(n) < 0.65, after_pd, np.nan),
                     np.where((rng.random(n) < 0.03) & subjects.infused, without_pd, np.nan))
    stop = start + rng.integers(42, 150, n)
    s = np.flatnonzero(start <= end)
    stop_s = np.where((stop[s] <= end[s]) & (rng.random(len(s)) < 0.6), stop[s], np.nan)
    return {
        "_S": s, "_K": start[s], "FOLDER": np.full(len(s), ""),
        "CMTRT": pick(rng, terms["subsequent"], len(s)),
        "CMSTDAT": date_text(subjects.day0[s] + start[s], _precision(rng, len(s), 0.05, 0.0)),
        "CMENDAT": date_text(subjects.day0[s] + stop_s),
    }
