"""Tumour assessments (RECIST 1.1): lesions at baseline, their diameters over time, responses.

Each subject's disease follows a latent ratio r(t) of tumour size to baseline: it shrinks to a
depth set by her response class, then grows after her latent progression day. Lesion
diameters are drawn around r(t); the response form is computed from them (edc.recist), never
drawn, so the two forms always agree. Assessments stop after the first overall PD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edc import recist
from edc.calendar import date_text, number_text
from edc.streams import pick, stream
from edc.subjects import Subjects
from edc.timeline import Schedule
from specs.model import Study

MAX_TARGETS, MAX_PER_ORGAN, MAX_NONTARGETS, MAX_NEW = 5, 2, 3, 2
NOT_ASSESSED_SHARE = 0.012  # per lesion and assessment
NOT_ASSESSED_REASONS = ("Not imaged", "Scan not evaluable", "Lesion not visualised")
UNSCHEDULED_SHARE = 0.25  # progressions first seen at an unscheduled scan
NEW_LESION_SHARE = 0.4
UNEQUIVOCAL_SHARE = 0.12
# (depth low, depth high, days to nadir low, high) per response class CR, PR, SD, PD.
DEPTH = ((0.0, 0.0, 28, 100), (0.25, 0.62, 28, 90), (0.78, 1.08, 28, 60), (1.0, 1.0, 1, 1))


@dataclass(frozen=True)
class Tumour:
    forms: dict[str, dict[str, np.ndarray]]
    progression_day: np.ndarray  # protocol day of the first overall PD (NaN: none)
    last_assessment_day: np.ndarray


def simulate_tumour(study: Study, subjects: Subjects, schedule: Schedule, bound: np.ndarray,
                    seed: int) -> Tumour:
    rng = stream(seed, "tumour")
    n = subjects.n
    sites = np.asarray(study.tumor["sites"])
    nodal_site = np.char.find(np.char.upper(sites), "NODE") >= 0

    # Baseline lesions: targets at most two per organ, measurable by RECIST size rules.
    n_target = rng.choice(np.arange(1, MAX_TARGETS + 1), size=n, p=[0.15, 0.3, 0.3, 0.15, 0.1])
    slots = np.repeat(np.arange(len(sites)), MAX_PER_ORGAN)
    shuffled = slots[np.argsort(rng.random((n, len(slots))), axis=1)][:, :MAX_TARGETS]
    target_site = shuffled
    exists = np.arange(MAX_TARGETS) < n_target[:, None]
    node = nodal_site[target_site]
    base = np.where(node, 15 + rng.lognormal(np.log(6), 0.6, (n, MAX_TARGETS)),
                    10 + rng.lognormal(np.log(14), 0.6, (n, MAX_TARGETS)))
    base = np.where(exists, np.round(base), np.nan)
    sensitivity = rng.uniform(0.75, 1.25, (n, MAX_TARGETS))
    node_floor = rng.uniform(4, 9.4, (n, MAX_TARGETS))
    n_nontarget = rng.choice(MAX_NONTARGETS + 1, size=n, p=[0.3, 0.35, 0.25, 0.1])
    nt_site = rng.integers(0, len(sites), (n, MAX_NONTARGETS))
    nt_exists = np.arange(MAX_NONTARGETS) < n_nontarget[:, None]
    method = pick(rng, ["CT", "MRI"], n, p=[0.88, 0.12])

    cls = subjects.response_class
    depth_table = np.array(DEPTH, dtype=float)[cls]
    depth = rng.uniform(depth_table[:, 0], depth_table[:, 1])
    to_nadir = rng.uniform(depth_table[:, 2], depth_table[:, 3])
    growth = rng.uniform(0.006, 0.016, n)
    pd_latent = subjects.progression_day

    def ratio(t: np.ndarray) -> np.ndarray:
        before = np.minimum(t, pd_latent)
        shrink = 1 + (depth - 1) * np.minimum(before / to_nadir, 1)
        known = np.isfinite(pd_latent)
        growing = np.where(known, np.maximum(t - np.where(known, pd_latent, 0), 0), 0)
        return shrink * np.exp(growth * growing)

    # Only a relapse after a complete response needs a new lesion to show.
    new_lesions = np.where(ratio(pd_latent) < 0.05, 1.0, rng.random(n) < NEW_LESION_SHARE)
    n_new = np.where(new_lesions > 0, rng.integers(1, MAX_NEW + 1, size=n), 0)
    unequivocal = rng.random(n) < UNEQUIVOCAL_SHARE

    day, folder = _assessment_days(schedule, bound, pd_latent, rng)
    n_assess = day.shape[1]
    rows: dict[str, list] = {k: [] for k in ("_S", "_K", "FOLDER", "TUDAT", "LESID", "LESTYPE", "LESLOC",
                                             "LESNODE", "METHOD", "DIAM", "NTSTAT", "NDREAS")}
    resp: dict[str, list] = {k: [] for k in ("_S", "_K", "FOLDER", "RSDAT", "TRGRESP", "NTRGRESP",
                                             "NEWLES", "OVRLRESP")}
    baseline_sod = np.nansum(base, axis=1)
    nadir = baseline_sod.copy()
    active = np.ones(n, dtype=bool)
    progression_day = np.full(n, np.nan)
    last_day = np.full(n, np.nan)
    reasons = pick(rng, NOT_ASSESSED_REASONS, (n_assess, n))
    for j in range(n_assess):
        t = day[:, j]
        done = active & np.isfinite(t)
        if j == 0:
            diam, nt_status = base, np.where(nt_exists, recist.NT_PRESENT, recist.NT_NONE)
            not_assessed = np.zeros((n, MAX_TARGETS + MAX_NONTARGETS), dtype=bool)
            new_here = np.zeros(n, dtype=bool)
        else:
            r = ratio(np.where(done, t, 0))[:, None]
            noise = np.exp(rng.normal(0, 0.06, (n, MAX_TARGETS)))
            size = base * r ** sensitivity * noise
            diam = np.where(node, np.maximum(size, node_floor),
                            np.where(size < 2.5, 0, np.maximum(size, 5)))
            diam = np.round(diam)
            not_assessed = rng.random((n, MAX_TARGETS + MAX_NONTARGETS)) < NOT_ASSESSED_SHARE
            diam = np.where(not_assessed[:, :MAX_TARGETS], np.nan, diam)
            progressing = t >= pd_latent + 14
            nt_status = np.select(
                [~nt_exists, not_assessed[:, MAX_TARGETS:], (progressing & unequivocal)[:, None],
                 r < 0.1], [recist.NT_NONE, recist.NT_NOT_ASSESSED, recist.NT_PROGRESSION,
                            recist.NT_ABSENT], recist.NT_PRESENT)
            new_here = progressing & (n_new > 0)
            target = recist.compute_target_response(diam, exists, node, baseline_sod, nadir)
            nontarget = recist.compute_nontarget_response(nt_status)
            overall = recist.compute_overall_response(target, nontarget, new_here)
            s = np.flatnonzero(done)
            resp["_S"].append(s)
            resp["_K"].append(t[s])
            resp["FOLDER"].append(folder[s, j])
            resp["RSDAT"].append(date_text(subjects.day0[s] + t[s]))
            resp["TRGRESP"].append(target[s])
            resp["NTRGRESP"].append(nontarget[s])
            resp["NEWLES"].append(np.where(new_here[s], "Yes", "No"))
            resp["OVRLRESP"].append(overall[s])
            sod = recist.compute_sod(diam, exists)
            nadir = np.where(done & ~np.isnan(sod), np.fmin(nadir, sod), nadir)
            progression_day = np.where(done & (overall == "PD"), t, progression_day)

        # Lesion rows, in lesion order within an assessment.
        date = date_text(subjects.day0 + np.where(done, t, 0))
        lesions = (
            [("T", k, "Target", exists[:, k], target_site[:, k], diam[:, k], "", not_assessed[:, k])
             for k in range(MAX_TARGETS)]
            + [("NT", k, "Non-target", nt_exists[:, k], nt_site[:, k], np.full(n, np.nan),
                _status_text(nt_status[:, k]), not_assessed[:, MAX_TARGETS + k])
               for k in range(MAX_NONTARGETS)]
            + [("NEW", k, "New", new_here & (n_new > k), rng.integers(0, len(sites), n),
                np.where(rng.random(n) < 0.7, np.round(rng.uniform(6, 25, n)), np.nan), "",
                np.zeros(n, dtype=bool)) for k in range(MAX_NEW)]
        )
        for prefix, k, kind, present, site, value, status, missing in lesions:
            s = np.flatnonzero(done & present)
            rows["_S"].append(s)
            rows["_K"].append(t[s])
            rows["FOLDER"].append(folder[s, j])
            rows["TUDAT"].append(date[s])
            rows["LESID"].append(np.full(len(s), f"{prefix}{k + 1:02d}"))
            rows["LESTYPE"].append(np.full(len(s), kind))
            rows["LESLOC"].append(sites[site[s]])
            rows["LESNODE"].append(np.where(nodal_site[site[s]], "Yes", "No"))
            rows["METHOD"].append(method[s])
            rows["DIAM"].append(number_text(value[s]))
            rows["NTSTAT"].append(np.broadcast_to(status, (n,))[s])
            rows["NDREAS"].append(np.where(missing[s], reasons[j, s], ""))
        last_day = np.where(done, t, last_day)
        active &= ~(done & (progression_day == t))

    forms = {"tumor": _join(rows), "response": _join(resp)}
    return Tumour(forms=forms, progression_day=progression_day, last_assessment_day=last_day)


def _status_text(code: np.ndarray) -> np.ndarray:
    return np.array(["", "Present", "Absent", "Unequivocal progression", ""])[code]


def _join(rows: dict[str, list]) -> dict[str, np.ndarray]:
    return {k: np.concatenate(v) if v else np.array([], dtype=str) for k, v in rows.items()}


def _assessment_days(schedule: Schedule, bound: np.ndarray, pd_latent: np.ndarray,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Assessment days (inf: none) and folders, subjects x assessments in date order: the scheduled
    tumour visits attended, plus an unscheduled scan where progression was suspected early."""
    cols = np.flatnonzero(schedule.with_activity("tumor"))
    day = np.where(schedule.attended(bound)[:, cols], schedule.day[:, cols], np.inf)
    folders = np.array([schedule.visits[c].folder for c in cols])
    n = len(bound)
    extra = np.round(pd_latent + rng.uniform(10, 30, n))
    known = np.isfinite(extra)
    gap = np.abs(day - np.where(known, extra, 0)[:, None]).min(axis=1)
    wanted = (rng.random(n) < UNSCHEDULED_SHARE) & known & (gap >= 7) & (extra <= bound) & (extra > day[:, 0])
    day = np.column_stack([day, np.where(wanted, extra, np.inf)])
    folder = np.column_stack([np.broadcast_to(folders, (n, len(cols))), np.full(n, "UNS")])
    order = np.argsort(day, axis=1, kind="stable")
    return np.take_along_axis(day, order, axis=1), np.take_along_axis(folder, order, axis=1)
