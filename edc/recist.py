"""RECIST 1.1 time-point responses computed from lesion measurements (Eisenhauer et al. 2009).

Vectorised over assessments: each argument has one row per assessment. Diameters are whole
millimetres, so the 20 % / 30 % thresholds are compared in integers (no float rounding).
"""

from __future__ import annotations

import numpy as np

# Non-target lesion status codes.
NT_NONE, NT_PRESENT, NT_ABSENT, NT_PROGRESSION, NT_NOT_ASSESSED = 0, 1, 2, 3, 4
NODE_NORMAL_MM = 10  # a node below 10 mm short axis counts as normal


def compute_target_response(diam: np.ndarray, exists: np.ndarray, node: np.ndarray,
                            baseline_sod: np.ndarray, nadir_sod: np.ndarray) -> np.ndarray:
    """CR/PR/SD/PD/NE per assessment from target diameters (NaN: not assessed)."""
    measured = exists & ~np.isnan(diam)
    missing = (exists & np.isnan(diam)).any(axis=1)
    sod = np.where(measured, diam, 0).sum(axis=1)
    # PD can be called on the lesions measured even when one is missing.
    progression = (10 * sod >= 12 * nadir_sod) & (sod - nadir_sod >= 5)
    gone = np.where(node, diam < NODE_NORMAL_MM, diam == 0)
    complete = (gone | ~exists).all(axis=1)
    partial = 10 * sod <= 7 * baseline_sod
    return np.select([progression, missing, complete, partial], ["PD", "NE", "CR", "PR"], "SD")


def compute_sod(diam: np.ndarray, exists: np.ndarray) -> np.ndarray:
    """Sum of diameters; NaN when a target lesion was not assessed."""
    sod = np.where(exists, diam, 0).sum(axis=1)
    return np.where((exists & np.isnan(diam)).any(axis=1), np.nan, sod)


def compute_nontarget_response(status: np.ndarray) -> np.ndarray:
    """CR / NON-CR/NON-PD / PD / NE per assessment; "" when there are no non-target lesions."""
    present = status != NT_NONE
    return np.select(
        [~present.any(axis=1), (status == NT_PROGRESSION).any(axis=1),
         (status == NT_NOT_ASSESSED).any(axis=1), ((status == NT_ABSENT) | ~present).all(axis=1)],
        ["", "PD", "NE", "CR"], "NON-CR/NON-PD")


def compute_overall_response(target: np.ndarray, nontarget: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Overall time-point response (RECIST 1.1 table 1, patients with target lesions)."""
    progression = (target == "PD") | (nontarget == "PD") | new
    return np.select(
        [progression,
         (target == "CR") & np.isin(nontarget, ["CR", ""]),
         target == "CR",
         target == "PR",
         target == "SD"],
        ["PD", "CR", "PR", "PR", "SD"], "NE")
