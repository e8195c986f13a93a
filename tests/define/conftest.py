"""A small study built in the test: SDTM DM (+SUPPDM) and LB, ADaM ADSL, ADLB and ADTTE, with data.

It carries what define.xml has to express: keys, roles, a Predecessor origin, methods and
comments, a CDISC codelist, a sponsor extension of an extensible CDISC codelist (UNIT) and a
sponsor codelist, value-level metadata with EQ and IN conditions and one without data, dates
and datetimes, a float that needs SignificantDigits, a fixed length, and a time-to-event BDS.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from specs.loader import load_ct, load_standard, supplemental_spec
from specs.model import Codelist, DatasetSpec, Qualifier, Study, Term, ValueLevel, Variable


def var(name, label, order, vtype="Char", **kw):
    return Variable(name=name, label=label, type=vtype, order=order, **kw)


def _codelists() -> dict[str, Codelist]:
    ct = load_ct()
    unit = ct["UNIT"]
    extended_unit = dataclasses.replace(unit, sponsor=True,
                                        terms=unit.terms + (Term("cells/uL"), Term("pg/mL")))
    lbtestcd = Codelist(name="LBTESTCD_SP", label="Sponsor Lab Test Code", sponsor=True, terms=(
        Term("CD19CART"), Term("IL6"), Term("IFNG"), Term("GHOST")))
    paramcd = Codelist(name="PARAMCD_ADTTE", label="ADTTE Parameter Code", sponsor=True, terms=(
        Term("OS", decode="Overall Survival"), Term("PFS", decode="Progression-Free Survival")))
    standard = {name: ct[name] for name in ("NY", "SEX", "DOMAIN", "EVAL")}
    return {**standard, "UNIT": extended_unit, "LBTESTCD_SP": lbtestcd, "PARAMCD_ADTTE": paramcd}


def _sdtm() -> dict[str, DatasetSpec]:
    dm = DatasetSpec(
        name="DM", label="Demographics", kind="sdtm", dataset_class="SPECIAL PURPOSE",
        structure="One record per subject", keys=("STUDYID", "USUBJID"),
        comment="One record per enrolled subject.",
        variables=(
            var("STUDYID", "Study Identifier", 1, role="Identifier", core="Req", origin="Protocol"),
            var("DOMAIN", "Domain Abbreviation", 2, role="Identifier", core="Req", origin="Assigned"),
            var("USUBJID", "Unique Subject Identifier", 3, role="Identifier", core="Req",
                method="STUDYID, SITEID and SUBJID joined by '-'."),
            var("BRTHDTC", "Date/Time of Birth", 4, role="Record Qualifier", core="Perm", origin="Collected"),
            var("AGE", "Age", 5, "Num", role="Record Qualifier", core="Exp"),
            var("SEX", "Sex", 6, role="Record Qualifier", core="Req", origin="Collected", codelist="SEX"),
            var("RFSTDTC", "Subject Reference Start Date/Time", 7, role="Record Qualifier", core="Exp",
                origin="Collected", comment="Date and time of the CAR-T infusion."),
            var("COUNTRY", "Country", 8, role="Record Qualifier", core="Req", length=3,
                origin="Assigned", source="Vendor"),
        ),
        supplemental=(Qualifier(qnam="TUMMARK", qlabel="Tumour Marker Positive", field="TUMMARK",
                                codelist="NY"),),
    )
    lb = DatasetSpec(
        name="LB", label="Laboratory Test Results", kind="sdtm", dataset_class="FINDINGS",
        structure="One record per lab test per time point per visit per subject",
        keys=("STUDYID", "USUBJID", "LBTESTCD", "LBDTC"),
        variables=(
            var("STUDYID", "Study Identifier", 1, role="Identifier", core="Req", origin="Protocol"),
            var("DOMAIN", "Domain Abbreviation", 2, role="Identifier", core="Req", origin="Assigned"),
            var("USUBJID", "Unique Subject Identifier", 3, role="Identifier", core="Req"),
            var("LBSEQ", "Sequence Number", 4, "Num", role="Identifier", core="Req",
                method="Record number within the subject, in key order."),
            var("LBTESTCD", "Lab Test or Examination Short Name.", 5, role="Topic", core="Req",
                origin="Collected", codelist="LBTESTCD_SP"),
            var("LBORRES", "Result or Finding in Original Units", 6, role="Result Qualifier", core="Exp",
                origin="Collected", source="Vendor", comment="As reported by the central laboratory."),
            var("LBORRESU", "Original Units", 7, role="Variable Qualifier", core="Exp", origin="Collected",
                source="Vendor", codelist="UNIT"),
            var("LBSTRESN", "Numeric Result/Finding in Standard Units", 8, "Num", role="Result Qualifier",
                core="Exp", method="LBORRES as a number."),
            var("LBDTC", "Date/Time of Specimen Collection", 9, role="Timing", core="Exp",
                origin="Collected"),
        ),
        value_level=(
            ValueLevel(variable="LBORRES", where={"LBTESTCD": ("CD19CART",)}, type="Char",
                       label="CAR-T cells in blood", unit="cells/uL", origin="Collected"),
            ValueLevel(variable="LBORRES", where={"LBTESTCD": ("IL6", "IFNG")}, type="Num",
                       label="Cytokine concentration", unit="pg/mL", method="Mean of duplicate wells."),
            ValueLevel(variable="LBORRES", where={"LBTESTCD": ("GHOST",)}, type="Char",
                       label="A test planned but never done", length=20),
        ),
    )
    supp = supplemental_spec(dm, load_standard("sdtm")["SUPPQUAL"])
    return {"DM": dm, "LB": lb, supp.name: supp}


def _adam() -> dict[str, DatasetSpec]:
    adsl = DatasetSpec(
        name="ADSL", label="Subject-Level Analysis Dataset", kind="adam",
        dataset_class="SUBJECT LEVEL ANALYSIS DATASET", structure="One record per subject",
        keys=("STUDYID", "USUBJID"),
        variables=(
            var("STUDYID", "Study Identifier", 1, core="Req", origin="Predecessor", source="DM.STUDYID"),
            var("USUBJID", "Unique Subject Identifier", 2, core="Req", origin="Predecessor",
                source="DM.USUBJID"),
            var("AGE", "Age", 3, "Num", core="Req", origin="Predecessor", source="DM.AGE"),
            var("SAFFL", "Safety Population Flag", 4, core="Cond", codelist="NY",
                method="Y if the subject received any CAR-T infusion, else N."),
            var("TRTSDT", "Date of First Exposure to Treatment", 5, "Num", core="Cond", format="DATE9.",
                method="Date part of the first EX start date."),
        ),
    )
    adtte = DatasetSpec(
        name="ADTTE", label="Time-to-Event Analysis Dataset", kind="adam",
        dataset_class="BASIC DATA STRUCTURE", structure="One record per subject per parameter",
        keys=("STUDYID", "USUBJID", "PARAMCD"),
        comment="Censoring follows the FDA 2018 guidance.",
        variables=(
            var("STUDYID", "Study Identifier", 1, core="Req", origin="Predecessor", source="ADSL.STUDYID"),
            var("USUBJID", "Unique Subject Identifier", 2, core="Req", origin="Predecessor",
                source="ADSL.USUBJID"),
            var("PARAMCD", "Parameter Code", 3, core="Req", codelist="PARAMCD_ADTTE", origin="Assigned"),
            var("PARAM", "Parameter", 4, core="Req", origin="Assigned"),
            var("AVAL", "Analysis Value", 5, "Num", core="Cond", method="Days from start to event or "
                "censoring + 1."),
            var("CNSR", "Censor", 6, "Num", core="Cond", method="0 for an event, 1 for censoring."),
        ),
        value_level=(
            ValueLevel(variable="AVAL", where={"PARAMCD": ("OS",)}, type="Num", label="Overall survival",
                       unit="DAYS", method="Death date - start date + 1, or censored at last alive."),
            ValueLevel(variable="AVAL", where={"PARAMCD": ("PFS",)}, type="Num",
                       label="Progression-free survival", unit="DAYS", significant_digits=1),
        ),
    )
    return {"ADSL": adsl, "ADTTE": adtte}


def make_study() -> Study:
    return Study(
        name="mini", studyid="MINI-01", title="A small study for define.xml tests", sponsor="Test sponsor",
        phase="PHASE I TRIAL", indication="Test indication", registry_id="NCT00000000",
        planned_subjects=3, sites=("101",), countries=("USA",), age_range=(18, 99), sex_population="BOTH",
        standards={"sdtmig": "3.4", "adamig": "1.3", "define": "2.1.0"}, forms={}, arms=(), elements=(),
        visits=(), treatments={}, reference={}, kinetics={}, tumor={}, questionnaires=(), parameters={},
        codelists=_codelists(), sdtm=_sdtm(), adam=_adam(),
    )


def make_data() -> dict[str, dict[str, pd.DataFrame]]:
    usubjid = ["MINI-01-101-001", "MINI-01-101-002", "MINI-01-101-003"]
    dm = pd.DataFrame({
        "STUDYID": ["MINI-01"] * 3, "DOMAIN": ["DM"] * 3, "USUBJID": usubjid,
        "BRTHDTC": ["1960-05-01", "1971", ""], "AGE": [63.0, 52.0, np.nan], "SEX": ["F", "M", "F"],
        "RFSTDTC": ["2024-01-10T09:30", "2024-02-01", ""], "COUNTRY": ["USA"] * 3,
        "_ROW": [1, 2, 3],
    })
    suppdm = pd.DataFrame({
        "STUDYID": ["MINI-01"], "RDOMAIN": ["DM"], "USUBJID": usubjid[:1], "IDVAR": [""], "IDVARVAL": [""],
        "QNAM": ["TUMMARK"], "QLABEL": ["Tumour Marker Positive"], "QVAL": ["Y"], "QORIG": ["CRF"],
        "QEVAL": [""],
    })
    lb = pd.DataFrame({
        "STUDYID": ["MINI-01"] * 4, "DOMAIN": ["LB"] * 4, "USUBJID": usubjid[:2] * 2,
        "LBSEQ": [1.0, 1.0, 2.0, 2.0], "LBTESTCD": ["CD19CART", "IL6", "IFNG", "CD19CART"],
        "LBORRES": ["1520", "12.5", "3.25", "<5"], "LBORRESU": ["cells/uL", "pg/mL", "pg/mL", "cells/uL"],
        "LBSTRESN": [1520.0, 12.5, 3.25, np.nan],
        "LBDTC": ["2024-01-11T08:00", "2024-02-02T08:00", "2024-01-12", "2024-02-03"],
    })
    adsl = pd.DataFrame({
        "STUDYID": ["MINI-01"] * 3, "USUBJID": usubjid, "AGE": [63.0, 52.0, np.nan],
        "SAFFL": ["Y", "Y", "N"],
        "TRTSDT": pd.to_datetime(["2024-01-10", "2024-02-01", None]),
    })
    adtte = pd.DataFrame({
        "STUDYID": ["MINI-01"] * 4, "USUBJID": usubjid[:2] * 2, "PARAMCD": ["OS", "OS", "PFS", "PFS"],
        "PARAM": ["Overall Survival", "Overall Survival", "Progression-Free Survival",
                  "Progression-Free Survival"],
        "AVAL": [120.0, 45.0, 60.5, 30.0], "CNSR": [1.0, 0.0, 0.0, 1.0],
    })
    return {"sdtm": {"DM": dm, "SUPPDM": suppdm, "LB": lb}, "adam": {"ADSL": adsl, "ADTTE": adtte}}


@pytest.fixture
def study() -> Study:
    return make_study()


@pytest.fixture
def data() -> dict[str, dict[str, pd.DataFrame]]:
    return make_data()
