"""edc.kinetics: CAR-T expansion after infusion, BLQ before it, cytokines peaking with CRS."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.edc.conftest import edc_date, infusion_dates

BLQ = ("<LLOQ", "BLQ")


def _numeric(result: pd.Series) -> pd.Series:
    return pd.to_numeric(result.where(~result.str.startswith("<") & ~result.isin(BLQ)), errors="coerce")


def _qpcr_days(raw):
    q = raw["qpcr"]
    day = (edc_date(q["SMPDAT"]) - q["SUBJID"].map(infusion_dates(raw))).dt.days
    return q.assign(DAY=day, VALUE=_numeric(q["RESULT"]))


def test_blq_before_infusion(raw_a):
    q = _qpcr_days(raw_a)
    before = q[q["TPT"].isin(["SCREENING", "PRE-INFUSION"]) & (q["NDREAS"] == "")]
    assert len(before) > 0 and before["VALUE"].isna().all()


def test_expansion_peaks_after_infusion(raw_a, raw_b):
    # Median day of the peak lies in days 7-14, never before the infusion.
    for raw in (raw_a, raw_b):
        q = _qpcr_days(raw).dropna(subset=["VALUE", "DAY"])
        peak = q.loc[q.groupby(["SUBJID", "ANALYTE"])["VALUE"].idxmax(), "DAY"]
        assert (peak > 0).all()
        assert 7 <= peak.median() <= 14


def test_contraction_after_peak(raw_a):
    # Day 90 levels are far below day 14 levels (median over subjects).
    q = _qpcr_days(raw_a)
    level = q.pivot_table(index="SUBJID", columns="TPT", values="VALUE", aggfunc="first")
    assert level["DAY 90"].fillna(0).median() < 0.2 * level["DAY 14"].median()


def test_schedule_by_study(raw_a, raw_b):
    # Study A samples pre-infusion and days 1..90; Study B days 7, 14, 21, 28, 60, 90 only.
    a = set(raw_a["qpcr"]["TPT"])
    assert {"PRE-INFUSION", "DAY 1", "DAY 4", "DAY 7", "DAY 10", "DAY 30", "DAY 90"} <= a
    assert set(raw_b["qpcr"]["TPT"]) == {f"DAY {d}" for d in (7, 14, 21, 28, 60, 90)}


def test_study_b_measures_the_constructs_infused(raw_b, cervical):
    analyte = {a["marker"]: a["testcd"] for a in cervical.kinetics["analytes"]}
    markers = raw_b["enrol"].set_index("SUBJID")["MARKER"].str.split(";")
    got = raw_b["qpcr"].groupby("SUBJID")["ANALYTE"].agg(set)
    assert all(got[s] <= {analyte[m] for m in markers[s]} for s in got.index)
    assert got.map(len).max() == 2


def test_il6_peaks_with_crs_grade(raw_a):
    ae = raw_a["ae"]
    crs = ae[ae["AEDECOD"] == "Cytokine release syndrome"].groupby("SUBJID")["AEGRADE"].max().astype(int)
    c = raw_a["cytokine"]
    il6 = c[c["LBTEST"] == "IL-6"].assign(VALUE=lambda d: _numeric(d["RESULT"]))
    peak = il6.groupby("SUBJID")["VALUE"].max()
    grade = crs.reindex(peak.index).fillna(0)
    medians = peak.groupby(np.minimum(grade, 3)).median()
    assert medians.is_monotonic_increasing and medians[3] > 5 * medians[0]
    assert set(c["LBTEST"]) == {"IL-6", "IFN-gamma", "Ferritin", "C-reactive protein"}
    assert (c["UNIT"] != "").all() and (c["NRHI"] != "").all()
