"""Trial design datasets built from the shipped study specs."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from sdtm.trial_design import build_ta, build_te, build_ti, build_ts, build_tv
from specs.errors import InputError
from specs.loader import load_study


@pytest.fixture(scope="module")
def ovarian():
    return load_study("ovarian")


@pytest.fixture(scope="module")
def cervical():
    return load_study("cervical")


def _with_ts(study, summary):
    """The study with its TS spec's summary entries replaced."""
    spec = dataclasses.replace(study.sdtm["TS"], parameters={"ct_version": "2024-03-29",
                                                             "summary": summary})
    return dataclasses.replace(study, sdtm={**study.sdtm, "TS": spec})


def test_ta_one_row_per_element_in_arm_order(ovarian):
    ta = build_ta(ovarian)
    assert ta["ETCD"].tolist() == ["SCRN", "LD", "CART", "FU"]
    assert ta["TAETORD"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert ta["EPOCH"].tolist() == ["SCREENING", "TREATMENT", "TREATMENT", "FOLLOW-UP"]
    assert set(ta["ARMCD"]) == {"MESOCART"}


def test_te_rules_and_durations(cervical):
    te = build_te(cervical).set_index("ETCD")
    assert te.loc["LD", "TEDUR"] == "P5D"
    # Screening has no planned duration: blank, not "None".
    assert te.loc["SCRN", "TEDUR"] == ""
    assert te.loc["CART", "TESTRL"] == "CAR-T infusion"


def test_tv_visitdy_has_no_day_zero(ovarian):
    tv = build_tv(ovarian).set_index("VISIT")
    # Protocol Day 7 is study day 8; Day 0 (infusion) is study day 1; before Day 0 unchanged.
    assert tv.loc["DAY 7", "VISITDY"] == 8
    assert tv.loc["DAY 0", "VISITDY"] == 1
    assert tv.loc["DAY -5", "VISITDY"] == -5
    assert tv.loc["SCREENING", "VISITDY"] == -14
    assert 0 not in tv["VISITDY"].tolist()


def test_tv_windows_in_start_and_end_rules(ovarian):
    tv = build_tv(ovarian).set_index("VISIT")
    # Window [1, 1] around Day 7.
    assert tv.loc["DAY 7", "TVSTRL"].startswith("1 day before protocol Day 7")
    assert tv.loc["DAY 7", "TVENRL"] == "1 day after protocol Day 7"
    # Window [0, 0]: the visit is the day itself.
    assert tv.loc["DAY -5", "TVENRL"] == "End of protocol Day -5"


def test_ti_codes_by_category_in_protocol_order(ovarian):
    ti = build_ti(ovarian)
    incl = ti[ti["IECAT"] == "INCLUSION"]["IETESTCD"].tolist()
    excl = ti[ti["IECAT"] == "EXCLUSION"]["IETESTCD"].tolist()
    assert incl[:2] == ["INCL01", "INCL02"]
    assert excl[0] == "EXCL01"
    assert ti["IETESTCD"].str.len().max() <= 8
    assert ti["IETEST"].str.len().max() <= 200
    assert set(ti["TIVERS"]) == {"1.0"}


def test_ti_explicit_testcd_kept(ovarian):
    spec = dataclasses.replace(ovarian.sdtm["TI"], parameters={"eligibility": [
        {"category": "INCLUSION", "text": "Adult", "testcd": "AGE18"},
        {"category": "INCLUSION", "text": "Consent"},
    ]})
    ti = build_ti(dataclasses.replace(ovarian, sdtm={**ovarian.sdtm, "TI": spec}))
    # An explicit code wins; the generated one still counts the entry's position.
    assert ti["IETESTCD"].tolist() == ["AGE18", "INCL02"]


def test_ts_core_parameters(ovarian):
    ts = build_ts(ovarian).set_index("TSPARMCD")
    assert ts.loc["TPHASE", "TSVAL"] == "PHASE I/II TRIAL"
    assert ts.loc["TPHASE", "TSVALCD"] == "C15693"
    assert ts.loc["TPHASE", "TSVCDREF"] == "CDISC CT"
    assert ts.loc["TPHASE", "TSPARM"] == "Trial Phase Classification"
    # Ages as ISO 8601 durations.
    assert ts.loc["AGEMIN", "TSVAL"] == "P18Y"
    assert ts.loc["AGEMAX", "TSVAL"] == "P75Y"
    assert ts.loc["AGEMIN", "TSVCDREF"] == "ISO 8601"
    # Coded through the shipped NY codelist.
    assert ts.loc["RANDOM", "TSVALCD"] == "C49487"
    assert ts.loc["PLANSUB", "TSVAL"] == "30"
    assert ts.loc["NARMS", "TSVAL"] == "1"
    # The registry number is its own code.
    assert ts.loc["REGID", "TSVALCD"] == "NCT00000001"


def test_ts_one_record_per_construct(cervical):
    ts = build_ts(cervical)
    trt = ts[ts["TSPARMCD"] == "TRT"]
    assert trt["TSSEQ"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert "ANTI-GD2 CAR-T CELLS" in trt["TSVAL"].tolist()


def test_ts_study_start_from_data(ovarian):
    dm = pd.DataFrame({"USUBJID": ["A", "B", "C"],
                       "RFICDTC": ["2024-03-02", "2024-02-10T09:00", "2024-02"],
                       "RFPENDTC": ["2025-01-01", "", "2024-06-30"]})
    ts = build_ts(ovarian, dm).set_index("TSPARMCD")
    # Earliest complete consent date; a partial date cannot be the earliest for sure.
    assert ts.loc["SSTDTC", "TSVAL"] == "2024-02-10"
    assert ts.loc["SSTDTC", "TSVALNF"] == ""
    assert ts.loc["ACTSUB", "TSVAL"] == "3"


def test_ts_without_data_uses_null_flavor(ovarian):
    ts = build_ts(ovarian).set_index("TSPARMCD")
    # No DM: study start unknown (null flavour NI), ACTSUB optional and left out.
    assert ts.loc["SSTDTC", "TSVAL"] == ""
    assert ts.loc["SSTDTC", "TSVALNF"] == "NI"
    assert "ACTSUB" not in ts.index


def test_ts_value_outside_codelist_is_an_error(ovarian):
    study = _with_ts(ovarian, [{"parmcd": "RANDOM", "value": "MAYBE", "codelist": "NY"}])
    with pytest.raises(InputError, match="MAYBE"):
        build_ts(study)


def test_ts_unknown_parameter_needs_parm(ovarian):
    study = _with_ts(ovarian, [{"parmcd": "XYZ", "value": "1"}])
    with pytest.raises(InputError, match="TSPARMCD"):
        build_ts(study)
    # A sponsor-defined parameter names its TSPARM.
    ok = build_ts(_with_ts(ovarian, [{"parmcd": "XYZ", "parm": "Sponsor Parameter", "value": "1"}]))
    assert ok["TSPARM"].tolist() == ["Sponsor Parameter"]


def test_ts_holds_every_parameter_the_fda_expects(ovarian):
    ts = build_ts(ovarian).set_index("TSPARMCD")
    # Protocol facts from study.yaml; the design from the arms; pediatric from the minimum age.
    assert ts.loc["THERAREA", "TSVAL"] == "ONCOLOGY"
    assert ts.loc["LENGTH", "TSVAL"] == "P13M"
    assert (ts.loc["INTMODEL", "TSVAL"], ts.loc["INTMODEL", "TSVALCD"]) == ("SINGLE GROUP", "C82640")
    assert ts.loc["PDSTIND", "TSVAL"] == "N"
    assert (ts.loc["FCNTRY", "TSVAL"], ts.loc["FCNTRY", "TSVCDREF"]) == ("CHN", "ISO 3166")
    assert len(ts.loc[["OBJSEC"]]) == 4
    # a fact the study does not state is a record with a null flavour, not a missing parameter
    bare = dataclasses.replace(ovarian, protocol={}, arms=ovarian.arms * 2, age_range=(12, 75))
    ts = build_ts(bare).set_index("TSPARMCD")
    assert (ts.loc["STOPRULE", "TSVAL"], ts.loc["STOPRULE", "TSVALNF"]) == ("", "NI")
    assert ts.loc["INTMODEL", "TSVAL"] == "PARALLEL"
    assert ts.loc["PDSTIND", "TSVAL"] == "Y"
