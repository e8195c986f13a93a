"""edc.recist: time-point responses, one scenario per row."""

from __future__ import annotations

import numpy as np

from edc import recist

NAN = np.nan


def test_target_response_scenarios():
    diam = np.array([
        [0, 8, NAN],     # non-nodal gone, node 8 mm: CR
        [10, 15, NAN],   # 25 from 50: PR (<= 70 %)
        [20, 20, NAN],   # 40 from 50: SD
        [30, 31, NAN],   # 61 vs nadir 50 (+22 %, +11 mm): PD
        [NAN, 20, NAN],  # one not measured, no PD on the rest: NE
        [NAN, 70, NAN],  # one not measured but the rest already PD: PD
        [27, 27, NAN],   # 54 vs nadir 45: exactly +20 % and +9 mm: PD
        [13, 10, NAN],   # 23 vs nadir 20: +15 %, not PD; still <= 70 % of baseline 50: PR
    ])
    exists = np.array([[True, True, False]] * 8)
    node = np.array([[False, True, False]] * 8)
    baseline = np.full(8, 50.0)
    nadir = np.array([50, 50, 50, 50, 50, 50, 45, 20.0])
    got = recist.compute_target_response(diam, exists, node, baseline, nadir)
    assert got.tolist() == ["CR", "PR", "SD", "PD", "NE", "PD", "PD", "PR"]


def test_small_absolute_increase_is_not_progression():
    # +25 % over a 12 mm nadir is only 3 mm: not PD.
    got = recist.compute_target_response(np.array([[15.0]]), np.array([[True]]), np.array([[False]]),
                                         np.array([20.0]), np.array([12.0]))
    assert got.tolist() == ["SD"]


def test_nontarget_response_scenarios():
    status = np.array([
        [recist.NT_NONE, recist.NT_NONE],             # no non-targets: blank
        [recist.NT_ABSENT, recist.NT_NONE],           # all absent: CR
        [recist.NT_PRESENT, recist.NT_ABSENT],        # some present: NON-CR/NON-PD
        [recist.NT_PRESENT, recist.NT_PROGRESSION],   # unequivocal progression: PD
        [recist.NT_NOT_ASSESSED, recist.NT_PRESENT],  # one not assessed: NE
    ])
    assert recist.compute_nontarget_response(status).tolist() == ["", "CR", "NON-CR/NON-PD", "PD", "NE"]


def test_overall_response_table():
    target = np.array(["CR", "CR", "CR", "PR", "SD", "NE", "SD", "CR"])
    nontarget = np.array(["CR", "", "NON-CR/NON-PD", "NE", "NON-CR/NON-PD", "CR", "PD", "NE"])
    new = np.array([False, False, False, False, False, False, False, True])
    got = recist.compute_overall_response(target, nontarget, new)
    assert got.tolist() == ["CR", "CR", "PR", "PR", "SD", "NE", "PD", "PD"]
