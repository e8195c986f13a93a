"""edc.tumour: lesion rules at baseline and a response form that follows from the measurements.

The RECIST 1.1 check below is written independently of edc.recist: one assessment at a time.
"""

from __future__ import annotations

from itertools import groupby

import pandas as pd

from tests.edc.conftest import edc_date


def _target_response(targets: list[dict], baseline: float, nadir: float) -> str:
    measured = [t for t in targets if t["DIAM"] != ""]
    total = sum(float(t["DIAM"]) for t in measured)
    # Whole millimetres: compare in integers, so that exactly -30 % is PR and exactly +20 % is PD.
    if 10 * total >= 12 * nadir and total - nadir >= 5:
        return "PD"
    if len(measured) < len(targets):
        return "NE"
    if all(float(t["DIAM"]) < 10 if t["LESNODE"] == "Yes" else float(t["DIAM"]) == 0 for t in targets):
        return "CR"
    return "PR" if 10 * total <= 7 * baseline else "SD"


def _nontarget_response(nontargets: list[dict]) -> str:
    if not nontargets:
        return ""
    if any(n["NTSTAT"] == "Unequivocal progression" for n in nontargets):
        return "PD"
    if any(n["NDREAS"] != "" for n in nontargets):
        return "NE"
    return "CR" if all(n["NTSTAT"] == "Absent" for n in nontargets) else "NON-CR/NON-PD"


def _overall(target: str, nontarget: str, new: bool) -> str:
    if target == "PD" or nontarget == "PD" or new:
        return "PD"
    if target == "CR":
        return "CR" if nontarget in ("CR", "") else "PR"
    return {"PR": "PR", "SD": "SD"}.get(target, "NE")


def recompute(tumor: pd.DataFrame) -> pd.DataFrame:
    """Responses from lesion rows, one subject and one assessment date at a time."""
    ordered = tumor.assign(_D=edc_date(tumor["TUDAT"])).sort_values(["SUBJID", "_D"], kind="stable")
    rows = []
    for subject, lesions in groupby(ordered.to_dict("records"), key=lambda r: r["SUBJID"]):
        assessments = [list(g) for _, g in groupby(lesions, key=lambda r: r["_D"])]
        baseline = nadir = sum(float(r["DIAM"]) for r in assessments[0] if r["LESTYPE"] == "Target")
        for at in assessments[1:]:
            targets = [r for r in at if r["LESTYPE"] == "Target"]
            target = _target_response(targets, baseline, nadir)
            nontarget = _nontarget_response([r for r in at if r["LESTYPE"] == "Non-target"])
            new = any(r["LESTYPE"] == "New" for r in at)
            if all(t["DIAM"] != "" for t in targets):
                nadir = min(nadir, sum(float(t["DIAM"]) for t in targets))
            rows.append({"SUBJID": subject, "RSDAT": at[0]["TUDAT"], "TRGRESP": target, "NTRGRESP": nontarget,
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
    is_pd = (order["OVRLRESP"] == "PD").astype(int)
    earlier_pd = is_pd.groupby(order["SUBJID"]).cumsum() - is_pd
    assert (earlier_pd == 0).all()


def test_new_lesions_only_at_progression(raw_a):
    tumor = raw_a["tumor"]
    new = tumor[tumor["LESTYPE"] == "New"][["SUBJID", "TUDAT"]].drop_duplicates()
    response = raw_a["response"].merge(new, left_on=["SUBJID", "RSDAT"], right_on=["SUBJID", "TUDAT"])
    assert len(response) > 0 and (response["OVRLRESP"] == "PD").all()
