import pytest

from specs.loader import load_study
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms


def ex_of(study, **rows):
    return convert_some(study, raw_forms(study, **(TREATED | rows)), "SV", "EX")["EX"]


def test_lymphodepletion_and_car_t_records():
    study = load_study("ovarian")
    ex = ex_of(study)
    assert len(ex) == 7  # 3 days x 2 drugs + 1 infusion
    flu = ex[ex["EXTRT"] == "FLUDARABINE"].sort_values("EXSTDTC")
    assert flu[["EXDOSE", "EXDOSU", "EXROUTE", "EXCAT"]].iloc[0].tolist() == [
        30.0, "mg/m2", "INTRAVENOUS", "LYMPHODEPLETING CHEMOTHERAPY"]
    # first LD dose: protocol Day -5, SDTM day -5, TREATMENT epoch
    assert flu[["EXSTDTC", "EXENDTC", "EXSTDY", "VISIT", "VISITNUM", "EPOCH"]].iloc[0].tolist() == [
        "2024-03-10T09:00", "2024-03-10T09:30", -5.0, "DAY -5", 2.0, "TREATMENT"]
    cart = ex[ex["EXCAT"] == "CAR-T CELL THERAPY"].iloc[0]
    # infusion: protocol Day 0 is study day 1; dose unit from the sponsor extension of UNIT
    assert (cart["EXTRT"], cart["EXDOSE"], cart["EXDOSU"], cart["EXSTDY"], cart["VISITDY"]) == (
        "ANTI-MESO CAR-T CELLS", 1.0, "10^6 cells/kg", 1.0, 1.0)
    assert (cart["EXSTDTC"], cart["EXENDTC"], cart["EXDOSFRM"]) == (
        "2024-03-15T10:00", "2024-03-15T10:30", "SUSPENSION")
    assert sorted(ex["EXSEQ"]) == list(range(1, 8))


@pytest.mark.parametrize("products", [["Anti-GD2 CAR-T cells", "Anti-MESO CAR-T cells"]])
def test_cervical_subject_gets_one_record_per_construct(products):
    study = load_study("cervical")
    infusion = [TREATED["infusion"][0] | {"CARTPROD": p} for p in products]
    ex = ex_of(study, infusion=infusion)
    cart = ex[ex["EXCAT"] == "CAR-T CELL THERAPY"]
    assert sorted(cart["EXTRT"]) == ["ANTI-GD2 CAR-T CELLS", "ANTI-MESO CAR-T CELLS"]
    assert not ex.duplicated(["USUBJID", "EXSEQ"]).any()
