"""ADLB cytokines on small LB tables: baseline around the infusion, change, peak and fold change."""

import numpy as np
import pandas as pd
import pytest

from adam.adlb import build_adlb, compute_anrind, compute_derived_paramcd

NA = np.nan
INFUSION = pd.Timestamp("2024-03-01 10:00")


def _lb(rows):
    """rows: (USUBJID, LBTESTCD, VISITNUM, VISIT, LBDTC, LBSTRESN)."""
    frame = pd.DataFrame(rows, columns=["USUBJID", "LBTESTCD", "VISITNUM", "VISIT", "LBDTC", "LBSTRESN"])
    return frame.assign(
        STUDYID="S", DOMAIN="LB", LBCAT="CYTOKINES",
        LBSEQ=frame.groupby("USUBJID").cumcount().astype(float) + 1,
        LBTEST=frame["LBTESTCD"].map({"INTLK6": "Interleukin 6", "FERRITIN": "Ferritin"}),
        LBSTRESU=frame["LBTESTCD"].map({"INTLK6": "pg/mL", "FERRITIN": "ug/L"}),
        LBSTNRLO=0.0, LBSTNRHI=7.0,
    )


def _adsl(*subjects):
    return pd.DataFrame({"STUDYID": "S", "USUBJID": list(subjects), "TRTSDTM": INFUSION,
                         "TRTSDT": INFUSION.normalize(), "TRT01A": "CAR-T"})


ROWS = [
    # subject 1: screening, then a day-0 sample before the 10:00 infusion (baseline), one after
    ("1", "INTLK6", 1, "SCREENING", "2024-02-16T09:00", 5.0),
    ("1", "INTLK6", 5, "DAY 0", "2024-03-01T08:00", 6.0),
    ("1", "INTLK6", 5, "DAY 0", "2024-03-01T14:00", 20.0),
    # the peak is reached twice: its first time (day 4) is kept
    ("1", "INTLK6", 7, "DAY 4", "2024-03-05T09:00", 300.0),
    ("1", "INTLK6", 8, "DAY 7", "2024-03-08T09:00", 300.0),
    ("1", "INTLK6", 99.1, "UNSCHEDULED 1", "2024-03-09T09:00", 12.0),
    # subject 2: baseline 0: no percent change, no fold change
    ("2", "INTLK6", 5, "DAY 0", "2024-03-01T08:00", 0.0),
    ("2", "INTLK6", 7, "DAY 4", "2024-03-05T09:00", 40.0),
    # subject 3: no pre-infusion sample: no baseline, fold change missing
    ("3", "INTLK6", 7, "DAY 4", "2024-03-05T09:00", 40.0),
    # subject 4: day-0 sample without time counts as pre-infusion; the ferritin code is cut
    ("4", "FERRITIN", 5, "DAY 0", "2024-03-01", 100.0),
    ("4", "FERRITIN", 7, "DAY 4", "2024-03-05T09:00", 450.0),
]


@pytest.fixture(scope="module")
def adlb():
    return build_adlb(_lb(ROWS), _adsl("1", "2", "3", "4"))


def _rows(adlb, subject, paramcd):
    return adlb[(adlb["USUBJID"] == subject) & (adlb["PARAMCD"] == paramcd)]


def test_baseline_change_and_visits(adlb):
    il6 = _rows(adlb, "1", "INTLK6")
    assert il6["ABLFL"].tolist() == [pd.NA, "Y", pd.NA, pd.NA, pd.NA, pd.NA]
    assert il6["BASE"].unique().tolist() == [6.0]
    np.testing.assert_allclose(il6["CHG"], [NA, NA, 14, 294, 294, 6])
    np.testing.assert_allclose(il6["PCHG"], [NA, NA, 14 / 6 * 100, 4900, 4900, 100])
    assert il6["AVISIT"].tolist() == [pd.NA, "BASELINE", "DAY 0", "DAY 4", "DAY 7", pd.NA]
    assert il6["ANL01FL"].tolist() == [pd.NA, "Y", "Y", "Y", "Y", pd.NA]
    assert il6["ANRIND"].tolist() == ["NORMAL", "NORMAL", "HIGH", "HIGH", "HIGH", "HIGH"]
    assert il6["PARAM"].iloc[0] == "Interleukin 6 (pg/mL)"
    assert _rows(adlb, "2", "INTLK6")["PCHG"].isna().all()
    assert _rows(adlb, "4", "FERRITIN")["ABLFL"].tolist() == ["Y", pd.NA]


def test_peak_and_fold_change(adlb):
    peak = _rows(adlb, "1", "INTLK6PK")
    assert peak["AVAL"].tolist() == [300.0]
    assert peak["ADT"].tolist() == [pd.Timestamp("2024-03-05")]
    assert peak[["DTYPE", "ANL01FL"]].iloc[0].tolist() == ["MAXIMUM", "Y"]
    assert peak["PARAM"].iloc[0] == "Peak post-infusion Interleukin 6 (pg/mL)"
    assert _rows(adlb, "1", "INTLK6FC")["AVAL"].tolist() == [50.0]
    # baseline 0 or missing: the fold change row exists without a value or analysis flag
    for subject in ("2", "3"):
        fold = _rows(adlb, subject, "INTLK6FC")
        assert len(fold) == 1 and np.isnan(fold["AVAL"].iloc[0]) and fold["ANL01FL"].isna().all()
    assert _rows(adlb, "4", "FERRITFC")["AVAL"].tolist() == [4.5]
    assert set(adlb["PARAMCD"]) == {"INTLK6", "INTLK6PK", "INTLK6FC", "FERRITIN", "FERRITPK", "FERRITFC"}


def test_peak_window_and_codes():
    # a 3-day window keeps only the day-0 post-infusion sample of subject 1
    adlb = build_adlb(_lb(ROWS), _adsl("1", "2", "3", "4"), peak_window_days=3,
                      derived_paramcd={"FERRITIN": ("FERRPK", "FERRFC")})
    assert _rows(adlb, "1", "INTLK6PK")["AVAL"].tolist() == [20.0]
    assert len(_rows(adlb, "3", "INTLK6PK")) == 0
    # subject 4 has no ferritin sample within 3 days after the infusion: no peak, no fold change
    assert _rows(adlb, "4", "FERRFC")["AVAL"].tolist() == []
    assert _rows(adlb, "4", "FERRPK")["AVAL"].tolist() == []
    with pytest.raises(ValueError, match="clash"):
        compute_derived_paramcd(["ABCDEFGH", "ABCDEFXY"], "PK")


def test_compute_anrind():
    result = compute_anrind(pd.Series([1.0, 5.0, 9.0, NA]), pd.Series([2.0] * 4), pd.Series([8.0] * 4))
    assert result.tolist() == ["LOW", "NORMAL", "HIGH", pd.NA]


def test_subject_never_infused_has_no_post_infusion_records():
    # subject 5 is in ADSL without an infusion (TRTSDT missing): its samples are neither
    # baseline nor post-infusion, so no change, no analysis visit and no peak parameters
    adsl = _adsl("1", "5")
    adsl.loc[1, ["TRTSDTM", "TRTSDT"]] = pd.NaT
    rows = [("5", "INTLK6", 1, "SCREENING", "2024-02-16T09:00", 5.0),
            ("5", "INTLK6", 7, "DAY 4", "2024-03-05T09:00", 40.0)]
    adlb = build_adlb(_lb(ROWS[:1] + rows), adsl)
    never = adlb[adlb["USUBJID"] == "5"]
    assert never["PARAMCD"].tolist() == ["INTLK6", "INTLK6"]
    assert never["CHG"].isna().all() and never["AVISIT"].isna().all()
