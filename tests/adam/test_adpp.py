"""ADPP from ADPC: parameters checked against values worked out by hand, and against the engine."""

import math

import numpy as np
import pandas as pd
import pytest

from adam.adpc import build_adpc
from adam.adpp import build_adpp
from adam.nca import derive_nca_parameters

NA = np.nan
INFUSION = pd.Timestamp("2024-03-01 10:00")

# Profile of subject 1 (days from the infusion, copies/ug); "<BLQ" below the LLOQ.
PROFILE = [
    (1, "<BLQ"),   # BLQ before the first quantifiable: 0
    (4, "1000"),
    (7, "2000"),   # Cmax, Tmax
    (10, "500"),
    (14, "<BLQ"),  # BLQ between quantifiable values: dropped
    (21, "250"),
    (28, "200"),
    (35, "100"),   # Clast, Tlast; crosses the AUC(0-30) end between 28 and 35
    (60, "<BLQ"),  # BLQ after Tlast: 0, ends persistence
]


def _log_area(width, c1, c2):
    return width * (c1 - c2) / math.log(c1 / c2)


# lin up/log down by hand: a zero at the dose, linear while rising, log while falling.
HAND_AUCLST = (
    0  # 0 -> 1 day: 0 to 0
    + 3 * (0 + 1000) / 2  # 1 -> 4: rising, linear
    + 3 * (1000 + 2000) / 2  # 4 -> 7: rising, linear
    + _log_area(3, 2000, 500)  # 7 -> 10: falling, log
    + _log_area(11, 500, 250)  # 10 -> 21: the day-14 BLQ is dropped
    + _log_area(7, 250, 200)
    + _log_area(7, 200, 100)
)
C30 = 200 * 0.5 ** (2 / 7)  # log interpolation between day 28 (200) and day 35 (100)
HAND_AUCINT = HAND_AUCLST - _log_area(7, 200, 100) + _log_area(2, 200, C30)
HAND_LINEAR_AUCLST = 1500 + 4500 + 3 * 2500 / 2 + 11 * 750 / 2 + 7 * 450 / 2 + 7 * 300 / 2


def _pc(profiles):
    rows = []
    for subject, samples in profiles.items():
        for day, result in samples:
            moment = INFUSION + pd.Timedelta(days=day)
            rows.append((subject, moment.strftime("%Y-%m-%dT%H:%M"), result, f"P{day}D"))
    frame = pd.DataFrame(rows, columns=["USUBJID", "PCDTC", "PCSTRESC", "PCELTM"])
    return frame.assign(
        STUDYID="S", PCSEQ=np.arange(1, len(frame) + 1, dtype=float), PCTESTCD="MESOCART",
        PCTEST="Anti-MESO CAR Transgene", PCSPEC="BLOOD", PCSTRESU="copies/ug", PCLLOQ=50.0,
        PCSTRESN=pd.to_numeric(frame["PCSTRESC"], errors="coerce"),
    )


def _adsl(subjects):
    return pd.DataFrame({"STUDYID": "S", "USUBJID": subjects, "TRTSDTM": INFUSION,
                         "TRTSDT": INFUSION.normalize(), "TRT01A": "CAR-T"})


def _values(adpp, subject):
    rows = adpp[adpp["USUBJID"] == subject]
    return dict(zip(rows["PARAMCD"], rows["AVAL"], strict=True))


@pytest.fixture(scope="module")
def adpc():
    profiles = {
        "1": PROFILE,
        # every sample BLQ: nothing is estimable
        "2": [(4, "<BLQ"), (7, "<BLQ")],
        # still quantifiable at the last sample (day 28): persistence not ended, AUC(0-30)
        # would need the curve after the last sample, so it is not estimable
        "3": [(7, "800"), (14, "400"), (28, "100")],
    }
    return build_adpc(_pc(profiles), _adsl(list(profiles)))


def test_parameters_match_hand_calculation(adpc):
    adpp = build_adpp(adpc, auc_interval=(0, 30))
    values = _values(adpp, "1")
    assert values["CMAX"] == 2000 and values["TMAX"] == 7
    assert values["CLST"] == 100 and values["TLST"] == 35
    assert values["AUCLST"] == pytest.approx(HAND_AUCLST, rel=1e-12)
    assert values["AUCINT"] == pytest.approx(HAND_AUCINT, rel=1e-12)
    rows = adpp[adpp["USUBJID"] == "1"]
    assert rows["PARCAT1"].unique().tolist() == ["Anti-MESO CAR Transgene"]
    assert rows.set_index("PARAMCD")["AVALU"].to_dict() == {
        "CMAX": "copies/ug", "TMAX": "day", "CLST": "copies/ug", "TLST": "day",
        "AUCLST": "day*copies/ug", "AUCINT": "day*copies/ug"}
    assert rows.set_index("PARAMCD").loc["AUCINT", "PARAM"] == "AUC from 0 to 30 days"
    assert rows["PERSNEFL"].unique().tolist() == ["N"]
    assert rows["ANL01FL"].unique().tolist() == ["Y"]
    assert rows["ASEQ"].tolist() == [1, 2, 3, 4, 5, 6]


def test_linear_method_and_other_interval(adpc):
    linear = _values(build_adpp(adpc, auc_method="linear"), "1")
    assert linear["AUCLST"] == pytest.approx(HAND_LINEAR_AUCLST, rel=1e-12)
    # AUC(0-28) ends on a sample: the sum of the segments up to day 28
    study_b = _values(build_adpp(adpc, auc_interval=(0, 28)), "1")
    assert study_b["AUCINT"] == pytest.approx(HAND_AUCLST - _log_area(7, 200, 100), rel=1e-12)


def test_all_blq_and_persisting_profiles(adpc):
    adpp = build_adpp(adpc)
    all_blq = adpp[adpp["USUBJID"] == "2"]
    assert all_blq["AVAL"].isna().all() and all_blq["ANL01FL"].isna().all()
    assert all_blq["_PPREASND"].unique().tolist() == ["ALL BLQ"]
    persisting = adpp[adpp["USUBJID"] == "3"].set_index("PARAMCD")
    assert persisting["PERSNEFL"].unique().tolist() == ["Y"]
    assert persisting.loc["TLST", "AVAL"] == 28
    assert np.isnan(persisting.loc["AUCINT", "AVAL"])
    assert persisting.loc["AUCINT", "ANL01FL"] is pd.NA


def test_adpc_analysis_records_give_the_same_parameters(adpc):
    # The NCA run on ADPC's ANL01FL records and their AVAL alone (BLQ already resolved)
    # gives ADPP's values: ADPC shows exactly what the NCA used.
    used = adpc[adpc["ANL01FL"] == "Y"]
    direct = derive_nca_parameters(used, ["USUBJID"], time_var="AFRLT", conc_var="AVAL")
    adpp = build_adpp(adpc)
    np.testing.assert_allclose(direct["PPSTRESN"].to_numpy(), adpp["AVAL"].to_numpy(), rtol=1e-12)


def test_unit_when_the_first_sample_was_not_done():
    # the screening sample was not collected (no result, no unit): the unit of the
    # profile's other samples still names AVALU of every parameter
    pc = _pc({"4": [(-1, ""), (7, "800"), (14, "<BLQ")]})
    pc["PCSTRESU"] = pc["PCSTRESU"].where(pc["PCSTRESC"] != "", "")
    adpp = build_adpp(build_adpc(pc, _adsl(["4"])))
    assert adpp.set_index("PARAMCD").loc["CMAX", "AVALU"] == "copies/ug"
    assert adpp.set_index("PARAMCD").loc["AUCLST", "AVALU"] == "day*copies/ug"


def test_repeated_sample_time_enters_the_nca_once():
    # day 28 and day 30 drawn at the same moment (934 and 562): the NCA takes the first
    # scheduled one, as ADPC's ANL01FL does, instead of refusing the profile
    pc = _pc({"5": [(7, "2000"), (28, "934"), (28, "562")]})
    pc.loc[2, "PCELTM"] = "P30D"
    adpp = build_adpp(build_adpc(pc, _adsl(["5"])))
    values = _values(adpp, "5")
    assert values["CLST"] == 934 and values["TLST"] == 28
