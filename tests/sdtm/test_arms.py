"""A randomised two-arm study with repeated dosing (the README walk-through's): DM arms, SE with
each subject's own arm's elements, EX with a record per dose, EPOCH from the subject's elements."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from edc.readers import read_raw
from sdtm.engine import convert
from specs.errors import InputError, SpecError
from specs.loader import load_study

WALK = Path(__file__).resolve().parents[1] / "clinforge" / "walkthrough"


@pytest.fixture(scope="module")
def study():
    return load_study(WALK / "melanoma")


@pytest.fixture(scope="module")
def raw(study):
    return read_raw(WALK / "raw", study)


@pytest.fixture(scope="module")
def sdtm(study, raw):
    return convert(study, raw)


def _subject(frame: pd.DataFrame, subjid: str) -> pd.DataFrame:
    return frame[frame["USUBJID"] == f"PD1-MEL-301-{subjid}"]


def test_randomised_subjects_get_the_arm_collected(sdtm):
    dm = sdtm["DM"].set_index("SUBJID")
    assert dm.loc["101-001", ["ARMCD", "ARM", "ACTARMCD", "ACTARM", "ARMNRS"]].tolist() == [
        "PD1", "Anti-PD-1 200 mg every 3 weeks", "PD1", "Anti-PD-1 200 mg every 3 weeks", ""]
    assert dm.loc["101-002", ["ARMCD", "ACTARMCD"]].tolist() == ["DTIC", "DTIC"]
    # Randomised to dacarbazine, withdrew before the first dose: SDTMIG 3.4 leaves the actual arm
    # null and says why in ARMNRS (not the NOTTRT code of SDTMIG 3.2).
    assert dm.loc["101-004", ["ARMCD", "ACTARMCD", "ACTARM", "ARMNRS"]].tolist() == [
        "DTIC", "", "", "ASSIGNED, NOT TREATED"]
    assert sorted(dm["COUNTRY"].unique()) == ["DEU", "FRA"]


def test_a_subject_never_randomised_is_not_assigned(study, raw):
    no_arm = dict(raw) | {"randomisation": raw["randomisation"][raw["randomisation"]["SUBJID"] != "101-004"]}
    dm = convert(study, no_arm)["DM"].set_index("SUBJID")
    assert dm.loc["101-004", ["ARMCD", "ARM", "ACTARMCD", "ARMNRS"]].tolist() == ["", "", "", "NOT ASSIGNED"]


def test_an_arm_the_study_does_not_have_names_file_row_and_value(study, raw):
    bad = raw["randomisation"].copy()
    bad.loc[bad.index[2], "RANDARM"] = "PLACEBO"
    with pytest.raises(InputError) as error:
        convert(study, dict(raw) | {"randomisation": bad})
    message = str(error.value)
    assert "randomisation.csv" in message and "row 3" in message and "RANDARM" in message
    assert "'PLACEBO'" in message and "PD1 (Anti-PD-1 200 mg every 3 weeks)" in message


def test_several_arms_need_the_form_the_arm_is_collected_on(study, raw):
    from dataclasses import replace

    dm_spec = study.sdtm["DM"]
    variables = tuple(replace(v, params={k: p for k, p in v.params.items() if k not in ("form", "field")})
                      if v.algorithm == "arm" else v for v in dm_spec.variables)
    bare = replace(study, sdtm=study.sdtm | {"DM": replace(dm_spec, variables=variables)})
    with pytest.raises(SpecError, match="this study has 2 arms .PD1, DTIC.; say where each subject's arm"):
        convert(bare, raw)


def test_each_subject_has_only_its_own_arms_elements(sdtm):
    se = sdtm["SE"]
    dm = sdtm["DM"].set_index("USUBJID")
    own = {"PD1": {"SCRN", "PD1", "FU"}, "DTIC": {"SCRN", "DTIC", "FU"}}
    for subject, elements in se.groupby("USUBJID")["ETCD"]:
        arm = dm.loc[subject, "ACTARMCD"] or dm.loc[subject, "ARMCD"]
        assert set(elements) <= own[arm], subject
        assert elements.is_unique, subject
    assert _subject(se, "101-001").sort_values("SESEQ")["ETCD"].tolist() == ["SCRN", "PD1", "FU"]
    assert _subject(se, "102-004").sort_values("SESEQ")["ETCD"].tolist() == ["SCRN", "DTIC", "FU"]
    # Not treated: screening only.
    assert _subject(se, "101-004")["ETCD"].tolist() == ["SCRN"]


def test_no_element_has_zero_length(sdtm):
    se = sdtm["SE"]
    assert not (se["SESTDTC"] == se["SEENDTC"]).any()
    # 101-003 left the study on the day its follow-up would have started (last dose + 21 days): no FU.
    assert _subject(se, "101-003").sort_values("SESEQ")["ETCD"].tolist() == ["SCRN", "PD1"]
    ends = _subject(se, "101-003").sort_values("SESEQ")["SEENDTC"].tolist()
    assert ends == ["2024-01-29T09:30", "2024-03-11"]


def test_ex_has_a_record_per_dose_in_the_treatment_epoch(sdtm):
    ex = sdtm["EX"]
    counts = ex.groupby("USUBJID").size()
    assert counts["PD1-MEL-301-101-001"] == 4 and counts["PD1-MEL-301-101-003"] == 2
    assert "PD1-MEL-301-101-004" not in counts
    one = _subject(ex, "101-001").sort_values("EXSEQ")
    assert one["EXSTDY"].tolist() == [1.0, 22.0, 43.0, 64.0]
    assert one["VISIT"].tolist() == ["CYCLE 1 DAY 1", "CYCLE 2 DAY 1", "CYCLE 3 DAY 1", "CYCLE 4 DAY 1"]
    assert set(ex["EPOCH"]) == {"TREATMENT"}
    assert set(_subject(ex, "102-002")["EXTRT"]) == {"DACARBAZINE"}


def test_epoch_comes_from_the_subjects_own_elements(sdtm):
    # Compared by day (sdtm.derivations): the pre-dose vitals of Cycle 1 Day 1 are in TREATMENT.
    vs = _subject(sdtm["VS"], "101-001").drop_duplicates("VISIT").set_index("VISIT")["EPOCH"]
    assert vs.to_dict() == {"SCREENING": "SCREENING", "CYCLE 1 DAY 1": "TREATMENT",
                            "CYCLE 2 DAY 1": "TREATMENT", "CYCLE 3 DAY 1": "TREATMENT",
                            "CYCLE 4 DAY 1": "TREATMENT", "FOLLOW-UP": "FOLLOW-UP"}


def test_trial_summary_states_the_randomised_design(sdtm):
    ts = sdtm["TS"].groupby("TSPARMCD")["TSVAL"].apply(list)
    assert ts["RANDOM"] == ["Y"] and ts["TCNTRL"] == ["ACTIVE"] and ts["NARMS"] == ["2"]
    assert ts["TRT"] == ["ANTI-PD-1 ANTIBODY", "DACARBAZINE"]
    assert ts["SEXPOP"] == ["BOTH"] and ts["TTYPE"] == ["EFFICACY", "SAFETY"]
    assert ts["INTMODEL"] == ["PARALLEL"]


@pytest.mark.parametrize(("spec", "parameters", "says"), [
    ("SE", {"elements": [{"etcd": "SCRN", "start": "RFICDT"}]},
     "SE.parameters.elements[0]: start 'RFICDT' is not a DM variable; did you mean 'RFICDTC'?"),
    ("SE", {"elements": [{"etcd": "SCREEN", "start": "RFICDTC"}]},
     "SE.parameters.elements[0]: etcd 'SCREEN' is not an element of study.yaml; did you mean 'SCRN'?"),
    ("SE", {"elements": [{"start": "RFICDTC"}]},
     "SE.parameters.elements[0]: missing required key 'etcd' (expected an ETCD of study.yaml elements)"),
    ("TS", {"summary": [{"parmcd": "TTYPE", "study": "trial_typs"}]},
     "TS.parameters.summary[0] (TTYPE): unknown study fact 'trial_typs'; did you mean 'trial_types'?"),
    ("TS", {"summary": [{"parmcd": "TTYPE"}]},
     "TS.parameters.summary[0] (TTYPE): give exactly one of value, study, data; found none"),
    ("TI", {"eligibility": [{"category": "INCLUDE", "text": "Adults"}]},
     "TI.parameters.eligibility[0]: category 'INCLUDE' is not INCLUSION or EXCLUSION"),
    ("TI", {"eligibility": [{"category": "INCLUSION"}]},
     "TI.parameters.eligibility[0]: missing required key 'text'"),
])
def test_a_wrong_builder_input_names_the_spec_and_what_is_expected(study, raw, spec, parameters, says):
    from dataclasses import replace

    changed = replace(study.sdtm[spec], parameters=study.sdtm[spec].parameters | parameters)
    with pytest.raises(SpecError) as error:
        convert(replace(study, sdtm=study.sdtm | {spec: changed}), raw)
    assert any(says in str(p) for p in error.value.problems), error.value.problems
    assert all(p.file.endswith(f"{spec}.yaml") for p in error.value.problems)
