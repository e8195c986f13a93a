import dataclasses
import shutil

import pandas as pd
import pytest

from adam.build import build_adam, plan
from adam.methods import methods
from adam.params import resolve_parameters
from specs.errors import InputError, SpecError
from specs.loader import STUDIES, load_study
from specs.model import Variable


@pytest.fixture(scope="module")
def study():
    return load_study("pharmaverse")


def _only(study, *names, **replaced_specs):
    """The study with only the given ADaM specs (some replaced)."""
    specs = {name: replaced_specs.get(name, study.adam[name]) for name in names}
    return dataclasses.replace(study, adam=specs)


def _sdtm():
    """Two subjects: 01 treated (placebo) and randomised, 02 a screen failure."""
    ids = {"STUDYID": "S", "USUBJID": ["01", "02"]}
    arms = ["Placebo", "Screen Failure"]
    dm = pd.DataFrame({
        **ids, "SUBJID": ["1", "2"], "SITEID": "701", "COUNTRY": "USA", "AGE": [70.0, 16.0], "AGEU": "YEARS",
        "SEX": "F", "RACE": "WHITE", "ETHNIC": "", "ARMCD": ["Pbo", "Scrnfail"], "ARM": arms,
        "ACTARMCD": ["Pbo", "Scrnfail"], "ACTARM": arms, "DTHFL": "", "DTHDTC": "",
        "RFSTDTC": ["2024-01-02", ""],
    })
    ex = pd.DataFrame({"STUDYID": "S", "USUBJID": ["01"], "EXSEQ": [1.0], "EXTRT": ["PLACEBO"],
                       "EXDOSE": [0.0], "EXSTDTC": ["2024-01-02"], "EXENDTC": ["2024-03-01"]})
    ds = pd.DataFrame({"STUDYID": "S", "USUBJID": ["01", "01", "02"], "DSSEQ": [1.0, 2.0, 1.0],
                       "DSCAT": ["PROTOCOL MILESTONE", "DISPOSITION EVENT", "DISPOSITION EVENT"],
                       "DSDECOD": ["RANDOMIZED", "COMPLETED", "SCREEN FAILURE"],
                       "DSSTDTC": ["2024-01-01", "2024-03-05", "2023-12-20"]})
    ae = pd.DataFrame({"STUDYID": "S", "USUBJID": ["01"], "AESEQ": [1.0], "AETERM": ["HEADACHE"],
                       "AEDECOD": ["Headache"], "AEBODSYS": ["Nervous system disorders"], "AESEV": ["MILD"],
                       "AESER": ["N"], "AEREL": ["NONE"], "AESTDTC": ["2024-03-10"], "AEENDTC": [""]})
    lb = pd.DataFrame({"STUDYID": "S", "USUBJID": ["01"], "LBDTC": ["2024-03-04"]})
    return {"DM": dm, "EX": ex, "DS": ds, "AE": ae, "LB": lb}


def _with_parameters(spec, **parameters):
    return dataclasses.replace(spec, parameters={**spec.parameters, **parameters})


# ---- parameters: the {study: NAME} reference ---------------------------------------------

def test_study_reference_takes_the_study_value(study):
    # ADAE's teae_window_days is written once, in study.yaml (30 days for the template)
    assert study.adam["ADAE"].parameters["teae_window_days"] == {"study": "teae_window_days"}
    assert resolve_parameters(study.adam["ADAE"], study)["teae_window_days"] == 30
    # change the SAP value in study.yaml only: the dataset spec follows
    changed = dataclasses.replace(study, parameters={**study.parameters, "teae_window_days": 90})
    assert resolve_parameters(study.adam["ADAE"], changed)["teae_window_days"] == 90


def test_study_reference_inside_lists_and_mappings(study):
    spec = _with_parameters(study.adam["ADRS"], parcat3={"study": "response_reference_date"},
                            subject_keys=["STUDYID", {"study": "response_reference_date"}])
    resolved = resolve_parameters(spec, study)
    assert resolved["parcat3"] == "RANDDT"
    assert resolved["subject_keys"] == ["STUDYID", "RANDDT"]


def test_unknown_study_reference_names_the_closest(study):
    spec = _with_parameters(study.adam["ADAE"], teae_window_days={"study": "teae_windw_days"})
    expected = (r"ADAE.yaml:\d+: parameters.teae_window_days: 'teae_windw_days' is not among the study "
                r"parameters.*did you mean 'teae_window_days'")
    with pytest.raises(SpecError, match=expected):
        resolve_parameters(spec, study)


def test_the_window_reaches_the_derivation(study):
    # AE starting 9 days after TRTEDT: emergent with a 30-day window, not with a 5-day one
    frames = _sdtm()
    built = build_adam(_only(study, "ADSL", "ADAE"), frames)
    assert built["ADAE"]["TRTEMFL"].tolist() == ["Y"]
    short = dataclasses.replace(study, parameters={**study.parameters, "teae_window_days": 5})
    built = build_adam(_only(short, "ADSL", "ADAE"), frames)
    assert built["ADAE"]["TRTEMFL"].isna().tolist() == [True]


# ---- parameters checked against the builder's signature ----------------------------------


def test_unknown_parameter_names_file_line_and_closest(study_copy):
    spec_file = study_copy / "adam" / "ADAE.yaml"
    text = spec_file.read_text()
    spec_file.write_text(text.replace("  severity: AESEV", "  severety: AESEV"))
    line = 1 + text.splitlines().index("  severity: AESEV")
    with pytest.raises(SpecError) as error:
        build_adam(load_study(study_copy), _sdtm())
    from adam.occds import build_occds
    from adam.params import keyword_parameters

    assert str(error.value) == (
        f"{spec_file}:{line}: parameters.severety: build_occds has no parameter 'severety'; "
        f"did you mean 'severity'? (its parameters: {', '.join(keyword_parameters(build_occds))})"
    )


def test_missing_required_parameter(study_copy):
    # build_occds's window has no default: leaving it out is a spec error, not a silent choice
    spec_file = study_copy / "adam" / "ADAE.yaml"
    spec_file.write_text(spec_file.read_text().replace("  teae_window_days: {study: teae_window_days}\n", ""))
    with pytest.raises(SpecError, match="build_occds needs 'teae_window_days', which has no default"):
        build_adam(load_study(study_copy), _sdtm())


def test_a_dataset_argument_is_not_a_parameter(study):
    spec = _with_parameters(study.adam["ADAE"], supp="SUPPAE")
    with pytest.raises(SpecError, match="supp is a dataset that build_occds reads, not a parameter"):
        plan(_only(study, "ADSL", "ADAE", ADAE=spec))


def test_dataset_without_builder_and_missing_upstream_spec(study):
    orphan = dataclasses.replace(study.adam["ADAE"], name="ADAEX")
    with pytest.raises(SpecError) as error:
        plan(dataclasses.replace(study, adam={"ADAE": study.adam["ADAE"], "ADAEX": orphan}))
    message = str(error.value)
    assert "no ADaM builder for dataset ADAEX" in message and "did you mean 'ADAE'" in message
    assert "ADAE reads ADSL, but the study has no ADaM spec for ADSL" in message


def test_datasets_run_in_dependency_order(study):
    order = [step.spec.name for step in plan(study)]
    assert order[0] == "ADSL"
    assert order.index("ADRS") < order.index("ADTTE")


# ---- SDTM inputs -----------------------------------------------------------------------

def test_missing_sdtm_dataset_names_dataset_and_folder(study, tmp_path):
    # DS and AE missing: every ADaM dataset that lacks an input is named, before anything is built
    frames = {k: v for k, v in _sdtm().items() if k not in ("DS", "AE")}
    with pytest.raises(InputError) as error:
        build_adam(_only(study, "ADSL", "ADAE"), frames, sdtm_folder=tmp_path)
    assert str(error.value) == (
        f"{tmp_path}: SDTM datasets missing from the SDTM folder {tmp_path}: ADSL needs DS, AE; "
        "ADAE needs AE; expected ae.xpt, ds.xpt (or Dataset-JSON / Parquet) in that folder"
    )


def test_parameters_decide_whether_an_optional_dataset_is_needed(study):
    # the template's last known alive date reads LB: without LB, ADSL cannot be built
    frames = {k: v for k, v in _sdtm().items() if k != "LB"}
    with pytest.raises(InputError, match="ADSL needs LB"):
        build_adam(_only(study, "ADSL"), frames)
    # with AE dates only, LB is not needed
    spec = _with_parameters(study.adam["ADSL"], last_alive_dtc=[["ae", "AESTDTC"]])
    built = build_adam(_only(study, "ADSL", ADSL=spec), frames)
    assert built["ADSL"]["LSTALVDT"].tolist() == [pd.Timestamp("2024-03-10"), pd.NaT]


def test_lower_case_sdtm_names_are_accepted(study):
    frames = {name.lower(): frame for name, frame in _sdtm().items()}
    assert len(build_adam(_only(study, "ADSL"), frames)["ADSL"]) == 2


# ---- the variable-set contract ------------------------------------------------------------

def test_output_has_exactly_the_spec_variables_in_spec_order(study):
    built = build_adam(_only(study, "ADSL", "ADAE"), _sdtm())
    for name, frame in built.items():
        assert tuple(frame.columns) == study.adam[name].variable_names()
    # builder columns the spec does not declare (DM.RFSTDTC, ADAE's AOCCFL inputs) are dropped
    assert "RFSTDTC" not in built["ADSL"] and "DTHDT" not in built["ADAE"]
    assert built["ADSL"]["RANDDT"].tolist() == [pd.Timestamp("2024-01-01"), pd.NaT]


def test_declared_variable_the_builder_does_not_make(study):
    extra = Variable(name="RANDFL", label="Randomized Population Flag", type="Char", order=99)
    spec = dataclasses.replace(study.adam["ADSL"], variables=(*study.adam["ADSL"].variables, extra))
    with pytest.raises(SpecError, match="ADSL: variable RANDFL is declared, but build_adsl does not make it; "
                                        "did you mean 'RANDDT'"):
        build_adam(_only(study, "ADSL", ADSL=spec), _sdtm())


def test_progress_names_each_dataset(study):
    seen = []
    build_adam(_only(study, "ADSL", "ADAE"), _sdtm(), progress=seen.append)
    assert seen == ["ADSL", "ADAE"]


# ---- method text from the same rule objects, with the study's parameters ----------------

def test_methods_follow_the_study_parameters(study):
    texts = methods(study)
    assert "on or before TRTEDT + 30 days" in texts[("ADAE", "TRTEMFL")]
    assert "PARAMCD = CBOR" in texts[("ADRS", "AVALC")]
    assert "at least 28 days later" in texts[("ADRS", "AVALC")]
    assert "Censored (CNSR = 1): Randomization, date ADSL.RANDDT" in texts[("ADTTE", "CNSR")]
    changed = dataclasses.replace(study, parameters={**study.parameters, "confirmation_days": 35})
    assert "at least 35 days later" in methods(changed)[("ADRS", "AVALC")]


# ---- the shipped CAR-T studies: their specs fit their builders and their SDTM ---------------

@pytest.mark.parametrize("name", ["ovarian", "cervical"])
def test_car_t_study_builds_from_its_synthetic_sdtm(name, tmp_path):
    from edc.readers import read_raw
    from edc.simulator import simulate
    from edc.writer import write_raw
    from sdtm.engine import convert

    car_t = load_study(name)
    write_raw(simulate(car_t, 12, 7), tmp_path)
    sdtm = convert(car_t, read_raw(tmp_path, car_t))
    built = build_adam(car_t, sdtm)
    assert sorted(built) == sorted(car_t.adam)
    for dataset, frame in built.items():
        published = [c for c in frame.columns if not c.startswith("_")]
        assert published == list(car_t.adam[dataset].variable_names())
    adsl = built["ADSL"]
    # TRTSDT is the infusion day, lymphodepletion (protocol days -5 to -3) ends before it
    infusion = sdtm["EX"].loc[sdtm["EX"]["EXCAT"] == "CAR-T CELL THERAPY", ["USUBJID", "EXSTDTC"]]
    first = pd.to_datetime(infusion["EXSTDTC"].str[:10]).groupby(infusion["USUBJID"]).min()
    assert adsl.set_index("USUBJID")["TRTSDT"].loc[first.index].tolist() == first.tolist()
    assert (adsl["LDENDT"] < adsl["TRTSDT"]).any() and not (adsl["LDENDT"] >= adsl["TRTSDT"]).any()
    # the AUC interval of study.yaml reaches the NCA: 0-30 days (Study A), 0-28 (Study B)
    aucint = built["ADPP"][built["ADPP"]["PARAMCD"] == "AUCINT"]
    assert set(aucint["_INTEND"]) == {car_t.parameters["auc_interval_days"][1]}
    # every infused subject has one PFS record a Kaplan-Meier estimate at day 365 can use:
    # a start date, an analysis date not before it, AVAL in days and CNSR 0 or 1
    pfs = built["ADTTE"][built["ADTTE"]["PARAMCD"] == "PFS"].set_index("USUBJID")
    infused = adsl.loc[adsl["SAFFL"] == "Y", "USUBJID"]
    assert sorted(pfs.index) == sorted(infused)
    assert pfs["STARTDT"].notna().all() and (pfs["ADT"] >= pfs["STARTDT"]).all()
    assert ((pfs["ADT"] - pfs["STARTDT"]).dt.days + 1 == pfs["AVAL"]).all()
    assert set(pfs["CNSR"]) <= {0, 1}
    # response over the whole follow-up and again up to the ORR window, for every subject
    adrs = built["ADRS"]
    for paramcd in ("BOR", "BOR3M", "CBOR", "CBOR3M", "RSP", "RSP3M", "CRSP", "CRSP3M"):
        assert sorted(adrs.loc[adrs["PARAMCD"] == paramcd, "USUBJID"]) == sorted(adsl["USUBJID"])
    # PARAM of every parameter dataset is the decode of its PARAMCD in the spec's codelist
    for dataset in ("ADRS", "ADTTE"):
        codelist = car_t.codelists[car_t.adam[dataset].variable("PARAMCD").codelist]
        decodes = {t.value: t.decode for t in codelist.terms}
        frame = built[dataset]
        assert (frame["PARAM"] == frame["PARAMCD"].map(decodes)).all(), dataset
    # response-evaluable subjects are infused
    assert set(adsl.loc[adsl["RSEVALFL"] == "Y", "SAFFL"]) <= {"Y"}
    # value-level metadata: per variable, the where clauses of a BDS dataset do not overlap and
    # cover every PARAMCD built; a declared unit is the unit of those records
    for dataset, spec in car_t.adam.items():
        frame = built[dataset]
        by_variable: dict[str, list] = {}
        for vl in spec.value_level:
            by_variable.setdefault(vl.variable, []).extend(vl.where["PARAMCD"])
            rows = frame[frame["PARAMCD"].isin(vl.where["PARAMCD"])]
            if vl.unit and "AVALU" in frame:
                assert set(rows["AVALU"].dropna()) - {""} <= {vl.unit}, (dataset, vl.where)
        for variable, codes in by_variable.items():
            assert len(codes) == len(set(codes)), (dataset, variable)
            assert set(frame["PARAMCD"]) <= set(codes), (dataset, variable)
    assert {"ADPC", "ADLB", "ADPP", "ADRS", "ADTTE"} <= {d for d, s in car_t.adam.items() if s.value_level}


def test_melanoma_response_and_time_to_event_from_the_walkthrough_exports():
    from pathlib import Path

    from edc.readers import read_raw
    from sdtm.engine import convert

    melanoma = load_study("melanoma")
    raw = Path(__file__).resolve().parents[1] / "clinforge" / "walkthrough" / "raw"
    built = build_adam(melanoma, convert(melanoma, read_raw(raw, melanoma)))
    adtte = built["ADTTE"].set_index(["USUBJID", "PARAMCD"])
    # data_structure: TTE under the name ADTTE: OS and PFS from randomisation for the 8 randomised
    # subjects, 101-004 (randomised, never dosed) included
    assert sorted(set(adtte.index.get_level_values(1))) == ["OS", "PFS"] and len(adtte) == 16
    got = {key: (row.AVAL, row.CNSR, row.EVNTDESC) for key, row in adtte.iterrows()}
    # (each subject was randomised 2 days before the first dose)
    # death on day 60 after the first dose without a tumour assessment: an event for OS and PFS (under
    # 2 x 42 + 7 days)
    assert got[("PD1-MEL-301-102-002", "PFS")] == (62, 0, "Death")
    assert got[("PD1-MEL-301-102-002", "OS")] == (62, 0, "Death")
    # PD at follow-up; no assessment at all (stopped for an adverse event after 2 doses): censored at
    # randomisation
    assert got[("PD1-MEL-301-102-001", "PFS")] == (108, 0, "Disease Progression")
    assert got[("PD1-MEL-301-101-003", "PFS")] == (1, 1, "Randomization")
    # never dosed: censored at randomisation for PFS, alive at the last contact (the disposition) for OS
    assert got[("PD1-MEL-301-101-004", "PFS")] == (1, 1, "Randomization")
    assert got[("PD1-MEL-301-101-004", "OS")] == (3, 1, "Alive")
    # confirmed PR (Cycle 4 Day 1 and follow-up, 42 days apart) and SD, without any 3-month window
    adrs = built["ADRS"]
    cbor = adrs[adrs["PARAMCD"] == "CBOR"].set_index("USUBJID")["AVALC"]
    assert cbor["PD1-MEL-301-101-001"] == "PR" and cbor["PD1-MEL-301-101-002"] == "SD"
    assert not any(code.endswith("3M") for code in adrs["PARAMCD"])
    # PARAM of every record is its PARAMCD's decode in the study's codelist
    for dataset in ("ADRS", "ADTTE"):
        codelist = melanoma.codelists[melanoma.adam[dataset].variable("PARAMCD").codelist]
        frame = built[dataset]
        assert (frame["PARAM"] == frame["PARAMCD"].map({t.value: t.decode for t in codelist.terms})).all()


@pytest.mark.parametrize("name", ["ovarian", "cervical"])
def test_car_t_sap_values_come_from_study_yaml(name):
    car_t = load_study(name)
    # the PFS missed-assessment window and the ORR window are SAP values of study.yaml
    adtte = resolve_parameters(car_t.adam["ADTTE"], car_t)
    assert car_t.adam["ADTTE"].parameters["assessment_window_days"] == {"study": "pfs_assessment_window_days"}
    assert adtte["assessment_window_days"] == car_t.parameters["pfs_assessment_window_days"]
    adrs = resolve_parameters(car_t.adam["ADRS"], car_t)
    assert adrs["response_windows"] == {"3M": car_t.parameters["orr_window_days"]}


# ---- the SDTM input check -------------------------------------------------------------------

def test_missing_sdtm_variable_is_named_with_the_file(study, tmp_path):
    # DM without ARM: ADSL's TRT01P comes from it; the file the folder holds is named.
    (tmp_path / "dm.parquet").write_bytes(b"")
    frames = _sdtm() | {"DM": _sdtm()["DM"].drop(columns=["ARM"])}
    with pytest.raises(InputError, match=r"dm\.parquet: DM lacks ARM, which ADSL needs"):
        build_adam(_only(study, "ADSL", "ADAE"), frames, sdtm_folder=tmp_path)


@pytest.mark.parametrize(("column", "value", "says"), [
    # Month 13: the pattern matches, the date does not exist.
    ("RFSTDTC", ["2023-13-45", ""], r"row 1, column RFSTDTC.*'2023-13-45'.*ISO 8601"),
    # 31 April.
    ("DTHDTC", ["", "2024-04-31"], r"row 2, column DTHDTC.*'2024-04-31'.*ISO 8601"),
])
def test_wrong_typed_sdtm_value_is_refused(study, column, value, says):
    frames = _sdtm() | {"DM": _sdtm()["DM"].assign(**{column: value})}
    with pytest.raises(InputError, match=says):
        build_adam(_only(study, "ADSL"), frames)


def test_text_in_a_num_variable_is_refused(study):
    # AGE is Num in the ovarian SDTM DM spec: text in it is named with its row and value.
    with_dm_spec = dataclasses.replace(_only(study, "ADSL"), sdtm={"DM": load_study("ovarian").sdtm["DM"]})
    frames = _sdtm() | {"DM": _sdtm()["DM"].assign(AGE=["70", "sixty"])}
    with pytest.raises(InputError, match=r"row 2, column AGE.*'sixty'.*a number"):
        build_adam(with_dm_spec, frames)


def test_partial_dates_are_accepted(study):
    # Partial dates are ISO 8601: the build goes on (DTHDT imputed to the month).
    frames = _sdtm() | {"DM": _sdtm()["DM"].assign(DTHDTC=["2024-05", "2024---14"])}
    assert len(build_adam(_only(study, "ADSL"), frames)["ADSL"]) == 2


def test_a_parameter_naming_an_adsl_variable_the_adsl_spec_leaves_out_is_a_spec_problem(tmp_path):
    # A study without lymphodepletion drops LDSTDT from ADSL but keeps the library's ADAE, whose
    # lymphodepletion_start reads it: refused at that parameter, before anything is built.
    study = tmp_path / "ovarian"
    shutil.copytree(STUDIES / "ovarian", study)
    (study / "adam" / "ADSL.yaml").write_text(
        "extends: ADSL\ndrop: {parameters: [lymphodepletion_filter], variables: [LDSTDT, LDENDT]}\n")
    with pytest.raises(SpecError) as error:
        plan(load_study(study))
    assert [p.message for p in error.value.problems] == [
        "parameters.lymphodepletion_start: build_occds reads ADSL.LDSTDT, which the study's ADSL spec "
        f"({study / 'adam' / 'ADSL.yaml'}) does not have: add it there or name another ADSL variable "
        "(`lymphodepletion_start: null` does without it)"]
    assert error.value.problems[0].file.endswith("specs/library/adam/ADAE.yaml")


# ---- builders by structure: ADSL and OCCDS -----------------------------------------------

@pytest.fixture
def melanoma_copy(tmp_path):
    copy = tmp_path / "melanoma"
    shutil.copytree(STUDIES / "melanoma", copy)
    return copy


def test_a_spec_picks_its_builder_by_data_structure_whatever_its_name(melanoma_copy, melanoma_sdtm,
                                                                       melanoma_adam):
    from adam.build import ADSL_BUILDER, BUILDERS, OCCDS_BUILDER, STRUCTURES

    # one builder per structure, the same one the dataset names ADSL and ADAE select
    assert STRUCTURES["ADSL"] is BUILDERS["ADSL"] is ADSL_BUILDER
    assert STRUCTURES["OCCDS"] is BUILDERS["ADAE"] is OCCDS_BUILDER
    # an occurrence dataset of another name: built by OCCDS from its spec, after ADSL
    adae = melanoma_copy / "adam" / "ADAE.yaml"
    renamed = adae.read_text().replace("dataset: ADAE", "dataset: ADAEX")
    (melanoma_copy / "adam" / "ADAEX.yaml").write_text(renamed)
    adae.unlink()
    (melanoma_copy / "analyses.yaml").unlink()  # the analysis plan names ADAE
    study = load_study(melanoma_copy)
    steps = {step.spec.name: step.builder for step in plan(study)}
    assert list(steps)[0] == "ADSL" and "ADAE" not in steps and steps["ADAEX"] is OCCDS_BUILDER
    built = build_adam(study, melanoma_sdtm)
    pd.testing.assert_frame_equal(built["ADAEX"], melanoma_adam["ADAE"])
    # the define.xml method text of TRTEMFL follows the dataset built by OCCDS
    assert "30 days" in methods(study)[("ADAEX", "TRTEMFL")]


def test_unknown_parameter_of_a_structure_builder_lists_the_valid_ones(melanoma_copy):
    from adam.occds import build_occds
    from adam.params import keyword_parameters

    spec = melanoma_copy / "adam" / "ADAE.yaml"
    text = spec.read_text()
    spec.write_text(text.replace("  toxicity_grade: AETOXGR", "  toxicity_grde: AETOXGR"))
    line = 1 + text.splitlines().index("  toxicity_grade: AETOXGR")
    with pytest.raises(SpecError) as error:
        plan(load_study(melanoma_copy))
    assert str(error.value) == (
        f"{spec}:{line}: parameters.toxicity_grde: build_occds has no parameter 'toxicity_grde'; did you "
        f"mean 'toxicity_grade'? (its parameters: {', '.join(keyword_parameters(build_occds))})")


def test_a_declared_flag_or_date_with_an_unknown_key_or_dataset_is_refused_at_its_line(melanoma_copy):
    spec = melanoma_copy / "adam" / "ADSL.yaml"
    text = spec.read_text()
    old = "    ITTFL: {dataset: ds, condition: \"DSDECOD == 'RANDOMIZED'\"}"
    spec.write_text(text.replace(old, old.replace("condition", "conditon") + "\n    XXFL: {dataset: dss}\n"
                                 "  dates:\n    RANDDT: {dataset: ds, date: DSSTDTC, mode: middle}"))
    line = 1 + text.splitlines().index(old)
    with pytest.raises(SpecError) as error:
        plan(load_study(melanoma_copy))
    assert [(p.line, p.message) for p in error.value.problems] == [
        (line + 3, "parameters.dates.RANDDT.mode: 'middle' is not one of first, last"),
        (line, "parameters.flags.ITTFL: unknown key 'conditon'; did you mean 'condition'? "
               "(valid keys: dataset, condition)"),
        (line + 1, "parameters.flags.XXFL.dataset: build_adsl reads no dataset 'dss'; did you mean 'ds'? "
                   "(it reads ae, lb, ds, cm, ex, rs, sv, qs, pc, tu, dm)"),
    ]
