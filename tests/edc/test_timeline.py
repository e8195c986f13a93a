"""edc.timeline: visits within their windows, lymphodepletion and infusion on protocol days."""

from __future__ import annotations

import pandas as pd

from tests.edc.conftest import edc_date, infusion_dates


def _visit_days(raw, study):
    visits = raw["visit"]
    done = visits[visits["VISDAT"] != ""]
    day = (edc_date(done["VISDAT"]) - done["SUBJID"].map(infusion_dates(raw))).dt.days
    return done.assign(DAY=day).dropna(subset=["DAY"])


def test_scheduled_visits_within_windows(raw_a, raw_b, ovarian, cervical):
    # Every attended scheduled visit falls inside [day - before, day + after] from the infusion.
    for raw, study in ((raw_a, ovarian), (raw_b, cervical)):
        days = _visit_days(raw, study)
        scheduled = days[~days["FOLDER"].str.startswith("UNS")]
        for visit in study.visits:
            got = scheduled.loc[scheduled["FOLDER"] == visit.folder, "DAY"]
            assert len(got) > 0, visit.folder
            assert got.between(visit.day - visit.window_before, visit.day + visit.window_after).all(), \
                (visit.folder, got.min(), got.max())


def test_visit_dates_follow_the_schedule_order(raw_a, ovarian):
    days = _visit_days(raw_a, ovarian)
    order = {v.folder: v.visitnum for v in ovarian.visits}
    scheduled = days[days["FOLDER"].isin(order)].assign(NUM=lambda d: d["FOLDER"].map(order))
    scheduled = scheduled.sort_values(["SUBJID", "NUM"])
    assert (scheduled.groupby("SUBJID")["DAY"].diff().dropna() >= 0).all()


def test_lymphodepletion_on_protocol_days_with_bsa_doses(raw_a, ovarian):
    # Fludarabine and cyclophosphamide on days -5..-3; doses near mg/m2 x BSA (1.2-2.2 m2).
    ld = raw_a["lymphodepletion"]
    day = (edc_date(ld["EXSTDAT"]) - ld["SUBJID"].map(infusion_dates(raw_a))).dt.days.dropna()
    assert set(day.unique()) == {-5, -4, -3}
    for drug in ovarian.treatments["lymphodepletion"]:
        dose = ld.loc[ld["EXTRT"] == drug["name"].capitalize(), "EXDOSE"].astype(float)
        assert dose.between(drug["dose"] * 1.2 * 0.8, drug["dose"] * 2.2).all()
        assert dose.std() > 0


def test_infusion_matches_markers(raw_b, cervical):
    # Study B: one infusion row per marker in enrol.MARKER, product named after the marker.
    markers = raw_b["enrol"].set_index("SUBJID")["MARKER"].str.split(";")
    assert markers.str.len().between(1, 2).all() and (markers.str.len() == 2).any()
    names = {c["name"]: c["marker"] for c in cervical.treatments["cart"]["constructs"]}
    got = raw_b["infusion"].groupby("SUBJID")["CARTPROD"].agg(lambda s: sorted(names[x] for x in s))
    assert all(sorted(markers[s]) == got[s] for s in got.index)


def test_not_infused_subjects_have_no_post_infusion_data(raw_a):
    infused = set(raw_a["infusion"]["SUBJID"])
    missing = set(raw_a["dm"]["SUBJID"]) - infused
    assert missing
    before_infusion = {"SCRN", "LD1", "LD2", "LD3"}
    for name in ("qpcr", "cytokine", "tumor", "visit"):
        frame = raw_a[name]
        assert set(frame.loc[frame["SUBJID"].isin(missing), "FOLDER"]) <= before_infusion, name
    assert not set(raw_a["response"]["SUBJID"]) & missing


def test_consent_precedes_everything(raw_a):
    consent = edc_date(raw_a["enrol"].set_index("SUBJID")["ICDAT"])
    visits = raw_a["visit"]
    first = edc_date(visits["VISDAT"]).groupby(visits["SUBJID"]).min()
    assert (first >= consent.reindex(first.index)).all()
    assert pd.notna(consent).all()
