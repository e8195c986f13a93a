"""TR: diameters, non-target states, new lesions, the sum of diameters, lesions not assessed."""

from __future__ import annotations

import math

from specs.loader import load_study
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms
from tests.sdtm.tumour_rows import TUMOR


def _tr():
    study = load_study("ovarian")
    tr = convert_some(study, raw_forms(study, **TREATED, tumor=TUMOR), "TR")["TR"]
    return tr.set_index(["TRLNKGRP", "TRLNKID", "TRTESTCD"])


def test_tr_target_diameters_in_mm():
    tr = _tr()
    row = tr.loc[("SCRN", "T01", "DIAMETER")]
    assert (row["TRORRES"], row["TRORRESU"], row["TRSTRESN"], row["TRGRPID"]) == ("20", "mm", 20.0, "TARGET")


def test_tr_lesion_not_assessed():
    row = _tr().loc[("D28", "T02", "DIAMETER")]
    # No result, no unit; NOT DONE with the reason from the form.
    assert (row["TRORRES"], row["TRORRESU"], row["TRSTAT"], row["TRREASND"]) == (
        "", "", "NOT DONE", "Scan not evaluable")
    assert math.isnan(row["TRSTRESN"])


def test_tr_sum_of_diameters_per_assessment():
    tr = _tr()
    assert tr.loc[("SCRN", "", "SUMDIAM"), "TRSTRESN"] == 35
    assert tr.loc[("M2", "", "SUMDIAM"), "TRORRES"] == "28"
    # Day 28: a target not measured, so no sum (not done, with the reason).
    d28 = tr.loc[("D28", "", "SUMDIAM")]
    assert (d28["TRORRES"], d28["TRSTAT"], d28["TRREASND"]) == ("", "NOT DONE", "TARGET LESION NOT ASSESSED")
    assert set(tr.xs("SUMDIAM", level="TRTESTCD")["TRTEST"]) == {"Sum of Diameter"}


def test_tr_non_target_unequivocal_progression_and_new_lesion():
    tr = _tr()
    nt = tr.loc[("M2", "NT01", "TUMSTATE")]
    assert (nt["TRORRES"], nt["TRSTRESC"], nt["TRORRESU"]) == ("Unequivocal progression",
                                                             "UNEQUIVOCAL PROGRESSION", "")
    assert tr.loc[("SCRN", "NT01", "TUMSTATE"), "TRSTRESC"] == "PRESENT"
    # A new lesion is present, and its diameter is kept where the investigator measured it.
    assert tr.loc[("M2", "NEW01", "TUMSTATE"), "TRSTRESC"] == "PRESENT"
    assert tr.loc[("M2", "NEW01", "DIAMETER"), "TRSTRESN"] == 12
    assert tr.loc[("M2", "NEW01", "TUMSTATE"), "TRGRPID"] == "NEW"


def test_tr_sequence_and_links():
    study = load_study("ovarian")
    tr = convert_some(study, raw_forms(study, **TREATED, tumor=TUMOR), "TR")["TR"]
    assert sorted(tr["TRSEQ"]) == [float(i) for i in range(1, len(tr) + 1)]
    # Every lesion record links to TU through TRLNKID; SUMDIAM has none.
    assert set(tr["TRLNKID"]) == {"T01", "T02", "NT01", "NEW01", ""}
    assert set(tr["TREVAL"]) == {"INVESTIGATOR"}
