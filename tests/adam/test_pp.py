"""SDTM PP and RELREC from ADPP/ADPC on small profiles."""

import numpy as np
import pandas as pd
import pytest

from adam.adpc import build_adpc
from adam.adpp import build_adpp
from adam.pp import build_pp, build_pp_relrec, compute_iso_duration, compute_result_text

INFUSION = pd.Timestamp("2024-03-01 10:00")


def _pc(rows):
    frame = pd.DataFrame(rows, columns=["USUBJID", "PCTESTCD", "DAY", "PCSTRESC"])
    moments = INFUSION + pd.to_timedelta(frame["DAY"], unit="D")
    return frame.drop(columns="DAY").assign(
        STUDYID="S", PCDTC=moments.dt.strftime("%Y-%m-%dT%H:%M"),
        PCSEQ=frame.groupby("USUBJID").cumcount().astype(float) + 1,
        PCTEST=frame["PCTESTCD"].map({"GD2CART": "Anti-GD2 CAR Transgene",
                                      "MUC1CART": "Anti-MUC1 CAR Transgene"}),
        PCSPEC="BLOOD", PCSTRESU="copies/ug", PCLLOQ=50.0, PCTPTREF="CAR-T INFUSION",
        PCRFTDTC="2024-03-01T10:00", PCSTRESN=pd.to_numeric(frame["PCSTRESC"], errors="coerce"),
    )


@pytest.fixture(scope="module")
def frames():
    pc = _pc([
        # subject 1, two constructs (Study B): two profiles, two relationships
        ("1", "GD2CART", 7, "800"), ("1", "GD2CART", 14, "<BLQ"), ("1", "GD2CART", 21, "300"),
        ("1", "GD2CART", 28, "<BLQ"),
        ("1", "MUC1CART", 7, "100"), ("1", "MUC1CART", 14, "60"),
        # subject 2: all BLQ, parameters not estimable
        ("2", "GD2CART", 7, "<BLQ"), ("2", "GD2CART", 14, "<BLQ"),
    ])
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2"], "TRTSDTM": INFUSION,
                         "TRTSDT": INFUSION.normalize()})
    adpc = build_adpc(pc, adsl)
    adpp = build_adpp(adpc, auc_interval=(0, 28))
    pp = build_pp(adpp, adpc)
    return pc, adpc, adpp, pp, build_pp_relrec(pp, adpc)


def test_pp_records(frames):
    _, _, adpp, pp, _ = frames
    assert len(pp) == len(adpp) == 18
    first = pp[(pp["USUBJID"] == "1") & (pp["PPCAT"] == "Anti-GD2 CAR Transgene")].set_index("PPTESTCD")
    assert first.loc["CMAX", "PPORRES"] == "800" and first.loc["CMAX", "PPSTRESN"] == 800
    assert first.loc["CMAX", "PPTEST"] == "Max Conc"
    assert first.loc["TLST", "PPSTRESC"] == "21" and first.loc["TLST", "PPSTRESU"] == "day"
    assert first.loc["AUCINT", "PPTEST"] == "AUC from T1 to T2"
    # only AUCINT carries the interval, as ISO 8601 durations from the reference
    assert first.loc["AUCINT", ["PPSTINT", "PPENINT"]].tolist() == ["P0D", "P28D"]
    assert first.loc["CMAX", ["PPSTINT", "PPENINT"]].tolist() == ["", ""]
    assert first["PPRFTDTC"].unique().tolist() == ["2024-03-01T10:00"]
    assert first["PPTPTREF"].unique().tolist() == ["CAR-T INFUSION"]
    assert first["PPSPEC"].unique().tolist() == ["BLOOD"]
    assert first["PPGRPID"].unique().tolist() == ["GD2CART-BLOOD"]
    assert pp.loc[pp["USUBJID"] == "1", "PPSEQ"].tolist() == list(range(1, 13))
    assert (pp["DOMAIN"] == "PP").all()
    # not estimable: PPSTAT NOT DONE with the reason, no result
    blq = pp[pp["USUBJID"] == "2"]
    assert blq["PPSTAT"].unique().tolist() == ["NOT DONE"]
    assert blq["PPREASND"].unique().tolist() == ["ALL BLQ"]
    assert blq["PPORRES"].unique().tolist() == [""] and blq["PPSTRESN"].isna().all()


def test_relrec_links_each_profile_to_its_analysed_pc_records(frames):
    _, adpc, _, pp, relrec = frames
    gd2 = relrec[(relrec["USUBJID"] == "1") & (relrec["RELID"] == "GD2CART-BLOOD")]
    # six PP records, then the PC records the NCA used: the middle BLQ (PCSEQ 2) is not one
    assert gd2["RDOMAIN"].tolist() == ["PP"] * 6 + ["PC"] * 3
    assert gd2.loc[gd2["RDOMAIN"] == "PC", "IDVARVAL"].tolist() == ["1", "3", "4"]
    assert gd2.loc[gd2["RDOMAIN"] == "PP", "IDVARVAL"].tolist() == ["1", "2", "3", "4", "5", "6"]
    assert set(gd2["IDVAR"]) == {"PPSEQ", "PCSEQ"}
    # subject-level relationships: RELTYPE blank (SDTMIG: only for dataset-level ones)
    assert (relrec["RELTYPE"] == "").all()
    assert relrec.groupby("USUBJID")["RELID"].nunique().to_dict() == {"1": 2, "2": 1}
    # every PP record is in exactly one relationship
    pp_side = relrec[relrec["RDOMAIN"] == "PP"]
    assert len(pp_side) == len(pp) and not pp_side.duplicated(["USUBJID", "IDVARVAL"]).any()


def test_interval_from_parameter_when_adpp_was_read_back(frames):
    _, adpc, adpp, _, _ = frames
    written = adpp.drop(columns=[c for c in adpp if c.startswith("_")])
    pp = build_pp(written, adpc, auc_interval=(0, 28))
    assert pp.loc[pp["PPTESTCD"] == "AUCINT", "PPENINT"].unique().tolist() == ["P28D"]
    assert pp.loc[pp["PPTESTCD"] == "CMAX", "PPENINT"].unique().tolist() == [""]


def test_text_helpers():
    durations = compute_iso_duration(pd.Series([0, 30, -1, 0.5, np.nan]))
    assert durations.fillna("").tolist() == ["P0D", "P30D", "-P1D", "P0.5D", ""]
    assert compute_iso_duration(pd.Series([12.0]), "HOURS").tolist() == ["PT12H"]
    text = compute_result_text(pd.Series([800.0, 1 / 3, 123456789.0, 1e-7, np.nan]))
    assert text.fillna("").tolist() == ["800", "0.3333333333", "123456789", "0.0000001", ""]


def test_text_helpers_repeated_values_keep_their_rows():
    # each distinct value is formatted once; rows (with a non-default index) get their own text
    values = pd.Series([30.0, np.nan, 30.0, 0.0, 30.0], index=[10, 11, 12, 13, 14])
    durations = compute_iso_duration(values)
    assert durations.index.tolist() == [10, 11, 12, 13, 14]
    assert durations.fillna("").tolist() == ["P30D", "", "P30D", "P0D", "P30D"]
    assert compute_result_text(values).fillna("").tolist() == ["30", "", "30", "0", "30"]
