"""RS: the investigator's RECIST 1.1 responses, linked to the TR measurements of the assessment."""

from __future__ import annotations

from specs.loader import load_study
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms
from tests.sdtm.tumour_rows import RESPONSE, TUMOR


def test_rs_responses_and_links():
    study = load_study("ovarian")
    done = convert_some(study, raw_forms(study, **TREATED, tumor=TUMOR, response=RESPONSE), "TR", "RS")
    rs = done["RS"].set_index(["RSLNKGRP", "RSTESTCD"])
    # Four records per assessment.
    assert len(rs) == 8
    # Day 28: a target lesion not assessed made the target and overall responses NE.
    assert rs.loc[("D28", "OVRLRESP"), "RSSTRESC"] == "NE"
    # Month 2: non-target unequivocal progression and a new lesion: PD, NEWLPROG Y.
    assert rs.loc[("M2", "NTRGRESP"), "RSSTRESC"] == "PD"
    assert (rs.loc[("M2", "NEWLPROG"), "RSORRES"], rs.loc[("M2", "NEWLPROG"), "RSSTRESC"]) == ("Y", "Y")
    assert rs.loc[("M2", "OVRLRESP"), "RSDTC"] == "2024-05-14"
    assert set(rs["RSCAT"]) == {"RECIST 1.1"} and set(rs["RSEVAL"]) == {"INVESTIGATOR"}
    assert rs.loc[("M2", "OVRLRESP"), "RSTEST"] == "Overall Response"
    # RSLNKGRP names the same assessment as TRLNKGRP.
    assert set(rs.index.get_level_values(0)) <= set(done["TR"]["TRLNKGRP"])


def test_rs_no_non_target_record_without_non_target_lesions():
    study = load_study("cervical")
    response = [dict(RESPONSE[0], NTRGRESP="")]
    rs = convert_some(study, raw_forms(study, **TREATED, response=response), "RS")["RS"]
    assert sorted(rs["RSTESTCD"]) == ["NEWLPROG", "OVRLRESP", "TRGRESP"]
