"""LB: the cytokine panel with CDISC test codes and units, normal ranges and the baseline flag."""

from __future__ import annotations

import math

from specs.loader import load_study
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms


def _row(folder, date, test, result, unit, lo, hi):
    return {"SUBJID": "001", "FOLDER": folder, "SMPDAT": date, "SMPTIM": "08:00", "LBTEST": test,
            "RESULT": result, "UNIT": unit, "NRLO": lo, "NRHI": hi}


def test_lb_cytokines():
    study = load_study("cervical")
    rows = [
        # Screening IL-6 below the limit: kept as text, no number, no range indicator.
        _row("SCRN", "02 MAR 2024", "IL-6", "<1.5", "pg/mL", "0", "7"),
        # Day 0 before the infusion but after lymphodepletion: not the baseline.
        _row("D0", "15 MAR 2024", "IL-6", "6.5", "pg/mL", "0", "7"),
        # Day 7: high, in the CDISC unit for pg/mL (ng/L).
        _row("D7", "22 MAR 2024", "IL-6", "250.0", "pg/mL", "0", "7"),
        # Ferritin in ng/mL -> ug/L; a normal value at screening is the baseline.
        _row("SCRN", "02 MAR 2024", "Ferritin", "120", "ng/mL", "13", "150"),
        # CRP below the range.
        _row("D7", "22 MAR 2024", "C-reactive protein", "0.2", "mg/L", "0.5", "10"),
        # Sample without a result.
        _row("D14", "29 MAR 2024", "IFN-gamma", "", "pg/mL", "0", "15.6"),
    ]
    lb = convert_some(study, raw_forms(study, **TREATED, cytokine=rows), "LB")["LB"]
    lb = lb.set_index("_ROW").sort_index()
    assert lb["LBTESTCD"].tolist() == ["INTLK6", "INTLK6", "INTLK6", "FERRITIN", "CRP", "IFNG"]
    assert lb.loc[1, "LBTEST"] == "Interleukin 6"
    assert set(lb["LBCAT"]) == {"CYTOKINES"}
    assert lb.loc[3, "LBORRESU"] == "ng/L" and lb.loc[4, "LBSTRESU"] == "ug/L"
    assert lb.loc[1, "LBSTRESC"] == "<1.5" and math.isnan(lb.loc[1, "LBSTRESN"])
    assert lb.loc[3, "LBSTRESC"] == "250" and lb.loc[3, "LBSTRESN"] == 250
    assert lb["LBNRIND"].tolist() == ["", "NORMAL", "HIGH", "NORMAL", "LOW", ""]
    assert lb.loc[4, "LBSTNRHI"] == 150 and lb.loc[4, "LBORNRLO"] == "13"
    # Baseline = last result on or before the first lymphodepletion dose (10 MAR), per test.
    assert lb["LBLOBXFL"].tolist() == ["Y", "", "", "Y", "", ""]
    assert lb.loc[6, "LBSTAT"] == "NOT DONE" and lb.loc[6, "LBORRESU"] == ""
    assert lb.loc[3, "LBDY"] == 8 and lb.loc[3, "VISIT"] == "DAY 7"
