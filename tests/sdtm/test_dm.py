import pytest

from specs.loader import load_study
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms


@pytest.fixture(scope="module")
def study():
    return load_study("ovarian")


def dm_of(study, **rows):
    return convert_some(study, raw_forms(study, **(TREATED | rows)))["DM"].set_index("SUBJID")


def test_treated_subject_reference_dates_and_demography(study):
    s = dm_of(study).loc["001"]
    assert s["USUBJID"] == "MESO-OV-101-001"
    # RFSTDTC = CAR-T infusion start; RFXSTDTC = first lymphodepletion dose; RFXENDTC = infusion end
    assert (s["RFSTDTC"], s["RFXSTDTC"], s["RFXENDTC"], s["RFENDTC"]) == (
        "2024-03-15T10:00", "2024-03-10T09:00", "2024-03-15T10:30", "2024-03-15T10:30")
    assert s["RFICDTC"] == "2024-03-01" and s["RFPENDTC"] == "2024-05-14"  # last visit
    assert (s["SEX"], s["RACE"], s["ETHNIC"], s["AGE"], s["AGEU"]) == (
        "F", "ASIAN", "NOT HISPANIC OR LATINO", 53.0, "YEARS")
    assert s["BRTHDTC"] == "1970"  # birth date with unknown day and month
    assert (s["ARMCD"], s["ACTARMCD"], s["ARMNRS"], s["COUNTRY"], s["SITEID"]) == (
        "MESOCART", "MESOCART", "", "CHN", "101")
    assert s["DTHFL"] == "" and s["DTHDTC"] == ""


def test_subject_not_treated_has_arm_but_no_actual_arm(study):
    # enrolled, never lymphodepleted nor infused
    dm = dm_of(study, enrol=TREATED["enrol"] + [{"SUBJID": "002", "ICDAT": "05 MAR 2024"}],
               dm=TREATED["dm"] + [{"SUBJID": "002", "AGE": "61", "SEX": "Female"}])
    s = dm.loc["002"]
    assert (s["ARMCD"], s["ACTARMCD"], s["ACTARM"], s["ARMNRS"]) == (
        "MESOCART", "", "", "ASSIGNED, NOT TREATED")
    assert s["RFSTDTC"] == s["RFXSTDTC"] == ""


def test_subject_lymphodepleted_but_not_infused_keeps_the_actual_arm(study):
    dm = dm_of(study, infusion=[])
    s = dm.loc["001"]
    assert s["RFSTDTC"] == "" and s["RFXSTDTC"] == "2024-03-10T09:00"
    assert (s["ACTARMCD"], s["ARMNRS"]) == ("MESOCART", "")


def test_death_sets_dthdtc_dthfl_and_end_of_participation(study):
    dm = dm_of(study, death=[{"SUBJID": "001", "DTHDAT": "UN SEP 2024", "DTHCAUS": "Progression"}])
    s = dm.loc["001"]
    assert (s["DTHDTC"], s["DTHFL"], s["RFPENDTC"]) == ("2024-09", "Y", "2024-09")  # partial death date


def test_missing_age_leaves_ageu_blank(study):
    s = dm_of(study, dm=[TREATED["dm"][0] | {"AGE": ""}]).loc["001"]
    assert s["AGEU"] == "" and s["AGE"] != s["AGE"]  # NaN
