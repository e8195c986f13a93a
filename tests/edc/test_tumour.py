"""edc.tumour: lesion rules at baseline and a response form that follows from the measurements.

The RECIST 1.1 check below is written independently of edc.recist: one assessment at a time.
"""

from __future__ import annotations

import pandas as pd

from tests.edc.conftest import edc_date


def _target_response(targets: pd.DataFrame, baseline: float, nadir: float) -> str:
    measured = targets[targets["DIAM"] != ""]
    total = measured["DIAM"].astype(float).sum()
    # Whole millimetres: compare in integers, so that exactly -30 % is PR and exactly +20 % is PD.
    if 10 * total >= 12 * nadir and total - nadir >= 5:
        return "PD"
    if len(measured) < len(targets):
        return "NE"
    diam = targets["DIAM"].astype(float)
    nodal = targets["LESNODE"] == "Yes"
    if ((nodal & (diam < 10)) | (~nodal & (diam == 0))).all():
        return "CR"
    return "PR" if 10 * total <= 7 * baseline else "SD"


def _nontarget_response(nontargets: pd.DataFrame) -> str:
    if nontargets.empty:
        return ""
    status = nontargets["NTSTAT"]
    if (status == "Unequivocal progression").any():
        return "PD"
    if (nontargets["NDREAS"] != "").any():
        return "NE"
    return "CR" if (status == "Absent").all() else "NON-CR/NON-PD"


def _overall(target: str, nontarget: str, new: bool) -> str:
    if target == "PD" or nontarget == "PD" or new:
        return "PD"
    if target == "CR":
        return "CR" if nontarget in ("CR", "") else "PR"
    return {"PR": "PR", "SD": "SD"}.get(target, "NE")


def recompute(tumor: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for subject, lesions in tumor.groupby("SUBJID", sort=False):
        by_date = sorted(lesions.groupby("TUDAT", sort=False), key=lambda g: edc_date(pd.Series([g[0]]))[0])
        baseline_rows = by_date[0][1]
        targets0 = baseline_rows[baseline_rows["LESTYPE"] == "Target"]
        baseline = nadir = targets0["DIAM"].astype(float).sum()
        for date, at in by_date[1:]:
            targets = at[at["LESTYPE"] == "Target"]
            target = _target_response(targets, baseline, nadir)
            nontarget = _nontarget_response(at[at["LESTYPE"] == "Non-target"])
            new = (at["LESTYPE"] == "New").any()
            if (targets["DIAM"] != "").all():
                nadir = min(nadir, targets["DIAM"].astype(float).sum())
            rows.append({"SUBJID": subject, "RSDAT": date, "TRGRESP": target, "NTRGRESP": nontarget,
                         "NEWLES": "Yes" if new else "No", "OVRLRESP": _overall(target, nontarget, new)})
    return pd.DataFrame(rows)


def test_response_form_follows_from_measurements(raw_a, raw_b):
    for raw in (raw_a, raw_b):
        expected = recompute(raw["tumor"]).set_index(["SUBJID", "RSDAT"]).sort_index()
        got = raw["response"].set_index(["SUBJID", "RSDAT"])[expected.columns].sort_index()
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_baseline_lesions_follow_recist_rules(raw_a, ovarian):
    tumor = raw_a["tumor"]
    base = tumor[(tumor["FOLDER"] == "SCRN")]
    targets = base[base["LESTYPE"] == "Target"]
    per_subject = targets.groupby("SUBJID").size()
    assert per_subject.between(1, 5).all() and set(per_subject) == {1, 2, 3, 4, 5}
    assert targets.groupby(["SUBJID", "LESLOC"]).size().max() <= 2
    diam = targets["DIAM"].astype(float)
    nodal = targets["LESNODE"] == "Yes"
    assert (diam[nodal] >= 15).all() and (diam[~nodal] >= 10).all()
    assert base.groupby("SUBJID")["LESTYPE"].apply(lambda s: (s == "Non-target").sum()).between(0, 3).all()
    assert set(targets["LESLOC"]) <= set(ovarian.tumor["sites"])
    assert (base["NTSTAT"][base["LESTYPE"] == "Non-target"] == "Present").all()


def test_response_mix_and_assessments_stop_after_progression(raw_a):
    response = raw_a["response"]
    best = set(response["OVRLRESP"])
    assert {"CR", "PR", "SD", "PD", "NE"} <= best
    order = response.assign(D=edc_date(response["RSDAT"])).sort_values(["SUBJID", "D"])
    after_pd = order.groupby("SUBJID")["OVRLRESP"].transform(
        lambda s: (s == "PD").cumsum().shift(fill_value=0))
    assert (after_pd == 0).all()


def test_new_lesions_only_at_progression(raw_a):
    tumor = raw_a["tumor"]
    new = tumor[tumor["LESTYPE"] == "New"][["SUBJID", "TUDAT"]].drop_duplicates()
    response = raw_a["response"].merge(new, left_on=["SUBJID", "RSDAT"], right_on=["SUBJID", "TUDAT"])
    assert len(response) > 0 and (response["OVRLRESP"] == "PD").all()
