"""edc.disposition: deaths end follow-up, death and disposition records agree."""

from __future__ import annotations

import pandas as pd

from tests.edc.conftest import edc_date

DATED = {"ae": "AESTDAT", "qpcr": "SMPDAT", "cytokine": "SMPDAT", "tumor": "TUDAT", "response": "RSDAT",
         "qlq": "QSDAT", "visit": "VISDAT", "subsequent_therapy": "CMSTDAT"}


def test_nothing_happens_after_death(raw_a):
    death = edc_date(raw_a["death"].set_index("SUBJID")["DTHDAT"])
    for form, column in [*DATED.items(), ("ae", "AEENDAT"), ("subsequent_therapy", "CMENDAT")]:
        frame = raw_a[form]
        when = edc_date(frame[column])
        dead = frame["SUBJID"].map(death)
        assert not (when > dead).any(), form


def test_death_rows_match_disposition(raw_a):
    disp = raw_a["disposition"].set_index("SUBJID")
    assert set(raw_a["death"]["SUBJID"]) == set(disp.index[disp["DSDECOD"] == "Death"])
    assert disp.index.is_unique and len(disp) == len(raw_a["dm"])
    death = raw_a["death"].set_index("SUBJID")
    full = ~death["DTHDAT"].str.startswith("UN")
    assert (death.loc[full, "DTHDAT"] == disp.loc[death.index[full], "DSSTDAT"]).all()


def test_deaths_mostly_after_progression(raw_a):
    response = raw_a["response"]
    progressed = set(response.loc[response["OVRLRESP"] == "PD", "SUBJID"])
    dead = set(raw_a["death"]["SUBJID"])
    assert len(dead & progressed) > 0.7 * len(dead)


def test_fatal_adverse_event_for_deaths_not_from_disease(raw_a):
    ae = raw_a["ae"]
    fatal = ae[ae["AEOUT"] == "Fatal"]
    assert (fatal["AESDTH"] == "X").all() and (fatal["AESER"] == "Yes").all()
    assert (fatal["AEGRADE"] == "5").all()
    death = raw_a["death"].set_index("SUBJID")
    not_disease = set(death.index[~death["DTHCAUS"].str.lower().str.contains("progress|^pd$")])
    assert not_disease and not_disease <= set(fatal["SUBJID"])
    assert (ae.loc[ae["AESDTH"] == "X", "AEOUT"] == "Fatal").all()
    # The fatal event ends on the day of death (where the death date is complete).
    died = death.loc[fatal["SUBJID"], "DTHDAT"].to_numpy()
    full = ~pd.Series(died).str.startswith("UN").to_numpy()
    assert full.sum() > 0 and (fatal["AEENDAT"].to_numpy()[full] == died[full]).all()


def test_follow_up_ends_with_a_status(raw_a):
    statuses = set(raw_a["disposition"]["DSDECOD"])
    assert {"Completed", "Death", "Withdrawal by subject", "Lost to follow-up"} <= statuses
