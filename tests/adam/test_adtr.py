"""ADTR on small TR/TU tables computed by hand, and the nadir convention against pharmaverseadam."""

import numpy as np
import pandas as pd
import pytest

from adam.adtr import build_adtr, derive_var_nadir

NA = np.nan
INFUSION = pd.Timestamp("2024-03-01")


def _tr(rows):
    """rows: (USUBJID, VISITNUM, VISIT, TRDTC, TRLNKID, TRSTRESN)."""
    frame = pd.DataFrame(rows, columns=["USUBJID", "VISITNUM", "VISIT", "TRDTC", "TRLNKID", "TRSTRESN"])
    return frame.assign(STUDYID="S", TRGRPID="TARGET", TRTESTCD="DIAMETER", TREVAL="INVESTIGATOR")


def _tu(lesions):
    """lesions: (USUBJID, TULNKID)."""
    frame = pd.DataFrame(lesions, columns=["USUBJID", "TULNKID"])
    return frame.assign(STUDYID="S", TUSTRESC="TARGET", TUEVAL="INVESTIGATOR")


ADSL = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2"], "TRTSDT": INFUSION, "TRT01A": "CAR-T"})
TR = _tr([
    # subject 1: baseline 30 + 20 = 50 at screening
    ("1", 1, "SCREENING", "2024-02-20", "T01", 30.0),
    ("1", 1, "SCREENING", "2024-02-21", "T02", 20.0),
    # day 28: 20 + 10 = 30 (-40 % from baseline), nadir is the baseline 50
    ("1", 12, "DAY 28", "2024-03-29", "T01", 20.0),
    ("1", 12, "DAY 28", "2024-03-29", "T02", 10.0),
    # month 2: T02 not measured: a partial sum, not analysed and never a nadir
    ("1", 14, "MONTH 2", "2024-04-29", "T01", 5.0),
    ("1", 14, "MONTH 2", "2024-04-29", "T02", NA),
    # month 3: 24 + 12 = 36: +6 mm, +20 % from the nadir 30 (day 28, not the partial 5)
    ("1", 15, "MONTH 3", "2024-05-30", "T01", 24.0),
    ("1", 15, "MONTH 3", "2024-05-30", "T02", 12.0),
    # subject 2: one lesion, no pre-infusion measurement: no baseline, no change
    ("2", 12, "DAY 28", "2024-03-29", "T01", 15.0),
])
TU = _tu([("1", "T01"), ("1", "T02"), ("2", "T01")])


@pytest.fixture(scope="module")
def adtr():
    made = build_adtr(TR, TU, ADSL)
    return made.set_index(["USUBJID", "VISIT"])


def test_sum_of_diameters_and_assessment_date(adtr):
    assert adtr.loc[("1", "SCREENING"), "AVAL"] == 50.0
    # the earliest of the visit's measurement dates
    assert adtr.loc[("1", "SCREENING"), "ADT"] == pd.Timestamp("2024-02-20")
    assert adtr.loc[("1", "MONTH 2"), "AVAL"] == 5.0
    assert set(adtr["PARAMCD"]) == {"SDIAM"}


def test_a_lesion_not_measured_leaves_the_sum_out_of_analysis(adtr):
    assert adtr.loc[("1", "MONTH 2"), "LSEXP"] == "T01, T02"
    assert adtr.loc[("1", "MONTH 2"), "LSASS"] == "T01"
    assert pd.isna(adtr.loc[("1", "MONTH 2"), "ANL01FL"])
    assert adtr.loc[("1", "DAY 28"), "ANL01FL"] == "Y"


def test_baseline_change_and_visit(adtr):
    assert adtr.loc[("1", "SCREENING"), "ABLFL"] == "Y"
    assert adtr.loc[("1", "SCREENING"), "AVISIT"] == "BASELINE"
    assert adtr.loc[("1", "DAY 28"), "CHG"] == -20.0
    assert adtr.loc[("1", "DAY 28"), "PCHG"] == pytest.approx(-40.0)
    assert adtr.loc[("1", "MONTH 3"), "PCHG"] == pytest.approx(-28.0)
    assert pd.isna(adtr.loc[("1", "SCREENING"), "CHG"])


def test_nadir_is_the_smallest_earlier_complete_sum(adtr):
    assert pd.isna(adtr.loc[("1", "SCREENING"), "NADIR"])
    assert adtr.loc[("1", "DAY 28"), "NADIR"] == 50.0
    assert adtr.loc[("1", "MONTH 2"), "NADIR"] == 30.0
    assert adtr.loc[("1", "MONTH 3"), "NADIR"] == 30.0
    assert adtr.loc[("1", "MONTH 3"), "CHGNAD"] == 6.0
    assert adtr.loc[("1", "MONTH 3"), "PCHGNAD"] == pytest.approx(20.0)


def test_without_baseline_there_is_no_change(adtr):
    row = adtr.loc[("2", "DAY 28")]
    assert row["AVAL"] == 15.0 and row["ANL01FL"] == "Y"
    assert pd.isna(row["BASE"]) and pd.isna(row["CHG"]) and pd.isna(row["NADIR"])
    assert list(adtr.loc["1", "ASEQ"]) == [1.0, 2.0, 3.0, 4.0]


def test_nadir_matches_pharmaverseadam(pharmaverseadam):
    """adtr_onco's SDIAM: NADIR is the lowest earlier sum of diameters with all lesions assessed
    (ANL01FL = Y), the baseline included; missing at baseline."""
    sums = pharmaverseadam("adtr_onco")
    sums = sums[sums["PARAMCD"] == "SDIAM"].reset_index(drop=True)
    sums["ADT"] = pd.to_datetime(sums["ADT"])
    baseline_day = sums["ADY"].where(sums["ABLFL"] == "Y").groupby(sums["USUBJID"]).transform("max")
    ours = derive_var_nadir(sums.drop(columns="NADIR").assign(_POST=sums["ADY"] > baseline_day), ["USUBJID"])
    assert len(sums) > 20 and sums["NADIR"].notna().sum() > 10
    pd.testing.assert_series_equal(ours["NADIR"], sums["NADIR"].astype(float), check_names=False)
