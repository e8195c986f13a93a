"""SE: subject elements from DM reference dates (rules in SE.yaml)."""

from __future__ import annotations

import pandas as pd
import pytest

from sdtm.trial_design import build_se
from specs.loader import load_study


@pytest.fixture(scope="module")
def study():
    return load_study("ovarian")


def _dm(rows):
    cols = ["USUBJID", "ARMCD", "RFICDTC", "RFXSTDTC", "RFSTDTC", "RFPENDTC"]
    dm = pd.DataFrame(rows, columns=cols)
    dm.insert(0, "STUDYID", "MESO-OV-101")
    return dm


def _elements(se, subject):
    rows = se[se["USUBJID"] == subject]
    return list(zip(rows["ETCD"], rows["SESTDTC"], rows["SEENDTC"], strict=True))


def test_se_scenarios(study):
    dm = _dm([
        # Full course: consent, lymphodepletion, infusion, follow-up from protocol Day 29.
        ("S1", "MESOCART", "2024-01-02", "2024-01-10", "2024-01-15T09:30", "2025-01-20"),
        # Lymphodepleted, never infused: stops at LD, which ends at end of participation.
        ("S2", "MESOCART", "2024-02-01", "2024-02-08", "", "2024-02-20"),
        # Screen failure: screening only.
        ("S3", "SCRNFAIL", "2024-03-01", "", "", "2024-03-05"),
        # Died on protocol Day 20: no follow-up element (it would start after the end).
        ("S4", "MESOCART", "2024-04-01", "2024-04-05", "2024-04-10", "2024-04-30"),
        # Ongoing, no end of participation yet: last element open.
        ("S5", "MESOCART", "2024-05-01", "2024-05-05", "2024-05-10", ""),
    ])
    se = build_se(dm, study)
    assert _elements(se, "S1") == [
        ("SCRN", "2024-01-02", "2024-01-10"),
        ("LD", "2024-01-10", "2024-01-15T09:30"),
        ("CART", "2024-01-15T09:30", "2024-02-13"),
        ("FU", "2024-02-13", "2025-01-20"),
    ]
    assert _elements(se, "S2") == [("SCRN", "2024-02-01", "2024-02-08"),
                                   ("LD", "2024-02-08", "2024-02-20")]
    assert _elements(se, "S3") == [("SCRN", "2024-03-01", "2024-03-05")]
    assert [e for e, _, _ in _elements(se, "S4")] == ["SCRN", "LD", "CART"]
    assert _elements(se, "S4")[-1] == ("CART", "2024-04-10", "2024-04-30")
    assert _elements(se, "S5")[-1] == ("FU", "2024-06-08", "")


def test_se_epoch_element_and_planned_order(study):
    dm = _dm([("S1", "MESOCART", "2024-01-02", "2024-01-10", "2024-01-15", "2025-01-20"),
              ("S3", "SCRNFAIL", "2024-03-01", "", "", "2024-03-05")])
    se = build_se(dm, study)
    s1 = se[se["USUBJID"] == "S1"]
    assert s1["EPOCH"].tolist() == ["SCREENING", "TREATMENT", "TREATMENT", "FOLLOW-UP"]
    assert s1["TAETORD"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert s1["ELEMENT"].iloc[0] == "Screening"
    # A screen failure's arm is not planned: TAETORD is blank, the element is still recorded.
    assert se.loc[se["USUBJID"] == "S3", "TAETORD"].isna().all()
    assert (se["DOMAIN"] == "SE").all()
