"""PC from the qPCR form: BLQ spellings, samples not done, time points relative to the infusion."""

from __future__ import annotations

import math

import pytest

from specs.errors import InputError
from specs.loader import load_study
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms


@pytest.fixture(scope="module")
def study():
    return load_study("ovarian")


def _sample(folder, tpt, result, date="", time="08:00", lloq="50", reason=""):
    return {"SUBJID": "001", "FOLDER": folder, "SMPDAT": date, "SMPTIM": time if date else "",
            "TPT": tpt, "ANALYTE": "MESOCART", "RESULT": result, "UNIT": "copies/ug",
            "LLOQ": lloq, "NDREAS": reason}


def _pc(study, samples):
    raw = raw_forms(study, **TREATED, qpcr=samples)
    return convert_some(study, raw, "PC")["PC"].set_index("_ROW").sort_index()


def test_pc_scenarios(study):
    pc = _pc(study, [
        # 1 Screening sample, BLQ spelled <LLOQ: elapsed time is the screening visit's day.
        _sample("SCRN", "SCREENING", "<LLOQ", "01 MAR 2024"),
        # 2 Pre-infusion sample on Day 0, spelled BLQ: before the infusion, -PT1H.
        _sample("D0", "PRE-INFUSION", "BLQ", "15 MAR 2024", "09:00"),
        # 3 Day 1, spelled "< 50" with no LLOQ on the record: the limit comes from the result.
        _sample("D1", "DAY 1", "< 50", "16 MAR 2024", lloq=""),
        # 4 Day 7: a number. Protocol Day 7 is PCDY 8 but PCELTM P7D.
        _sample("D7", "DAY 7", "8123", "22 MAR 2024"),
        # 5 Sample not collected: no date, no result, a reason.
        _sample("D14", "DAY 14", "", reason="Sample not collected"),
    ])
    assert pc["PCORRES"].tolist() == ["<LLOQ", "BLQ", "< 50", "8123", ""]
    assert pc["PCSTRESC"].tolist() == ["<BLQ", "<BLQ", "<BLQ", "8123", ""]
    assert math.isnan(pc.loc[1, "PCSTRESN"]) and pc.loc[4, "PCSTRESN"] == 8123
    assert pc["PCLLOQ"].tolist() == [50.0] * 5
    assert pc["PCELTM"].tolist() == ["-P14D", "-PT1H", "P1D", "P7D", "P14D"]
    assert pc.loc[2, "PCTPTNUM"] == pytest.approx(-1 / 24, abs=1e-4)
    assert set(pc["PCTPTREF"]) == {"CAR-T INFUSION"}
    assert set(pc["PCRFTDTC"]) == {"2024-03-15T10:00"}
    assert pc.loc[4, "PCDY"] == 8 and pc.loc[4, "VISIT"] == "DAY 7"
    assert pc.loc[2, "PCDTC"] == "2024-03-15T09:00"
    # Not done: status and reason, no unit for a missing result.
    assert pc.loc[5, "PCSTAT"] == "NOT DONE"
    assert pc.loc[5, "PCREASND"] == "Sample not collected"
    assert pc.loc[5, "PCORRESU"] == "" and pc.loc[4, "PCSTRESU"] == "copies/ug"
    assert pc["PCSTAT"].iloc[:4].eq("").all()
    assert set(pc["PCTEST"]) == {"Anti-MESO CAR Transgene"} and set(pc["PCSPEC"]) == {"BLOOD"}
    assert sorted(pc["PCSEQ"]) == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_pc_result_that_is_no_number_names_the_row(study):
    with pytest.raises(InputError, match="row 2.*column RESULT"):
        _pc(study, [_sample("D1", "DAY 1", "12", "16 MAR 2024"),
                    _sample("D7", "DAY 7", "haemolysed", "22 MAR 2024")])


def test_pc_unknown_time_point_names_the_row(study):
    with pytest.raises(InputError, match="TPT"):
        _pc(study, [_sample("D1", "WHENEVER", "12", "16 MAR 2024")])


@pytest.mark.parametrize("name", ["ovarian", "cervical"])
def test_pc_test_codes_match_the_kinetics_analytes(name):
    # The sponsor codelist PCTESTCD restates study.yaml kinetics.analytes: they must agree.
    study = load_study(name)
    analytes = {a["testcd"]: a["test"] for a in study.kinetics["analytes"]}
    codes = {t.value: t.decode for t in study.codelists["PCTESTCD"].terms}
    assert codes == analytes
    assert all(len(code) <= 8 for code in codes)
