"""The generic BDS builder: a findings-domain dataset from its spec's parameter declarations.

Small tables for the derivations (adam.bds_builder.build_bds), and spec errors refused at their
line with the valid choices (a copy of the pharmaverse study's ADVS spec, edited).
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from adam.bds_builder import build_bds, describe_bds
from adam.build import plan
from clinforge.cli import app
from specs.errors import SpecError
from specs.loader import STUDIES, load_study
from tests.adam.conftest import refused_plan

T = pd.Timestamp
NA = np.nan


def _adsl():
    return pd.DataFrame({"STUDYID": "S", "USUBJID": ["01"], "TRTSDT": [T("2024-01-10")],
                         "TRTEDT": [T("2024-02-10")], "TRT01A": ["Drug"]})


def _eg():
    """ECG findings of one subject: QT supine and standing, heart rate; a screening, a baseline, an
    unscheduled and two on-treatment visits."""
    rows = [
        # EGTESTCD, EGPOS, EGSTRESN, EGDTC, VISIT, VISITNUM, EGSEQ
        ("QT", "SUPINE", 400, "2024-01-02", "SCREENING", 1, 1),
        ("QT", "SUPINE", 410, "2024-01-10", "BASELINE", 2, 2),       # on TRTSDT: baseline when "on or before"
        ("QT", "STANDING", 420, "2024-01-10", "BASELINE", 2, 3),     # another position: not QTSUP
        ("QT", "SUPINE", 450, "2024-01-20", "UNSCHEDULED 2.1", 2.1, 4),  # no analysis visit
        ("QT", "SUPINE", 430, "2024-01-24", "WEEK 2", 3, 5),
        ("QT", "SUPINE", NA, "2024-02-07", "WEEK 4", 4, 6),            # not done: no value
        ("HR", "SUPINE", 60, "2024-01-10", "BASELINE", 2, 7),
        ("HR", "SUPINE", 110, "2024-01-24", "WEEK 2", 3, 8),
    ]
    columns = ["EGTESTCD", "EGPOS", "EGSTRESN", "EGDTC", "VISIT", "VISITNUM", "EGSEQ"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.assign(STUDYID="S", USUBJID="01", EGSTRESU="msec")


DECLARED = [
    {"paramcd": "QTSUP", "testcd": "QT", "where": {"EGPOS": "SUPINE"}, "range": [350, 440]},
    {"paramcd": "HR", "testcd": "HR", "range": [60, 100]},
]
NAMES = {"QTSUP": "QT Interval, Supine (msec)", "HR": "Heart Rate (beats/min)"}
VISITS = {"BASELINE": [0, "Baseline"], "WEEK 2": [2, "Week 2"], "WEEK 4": [4, "Week 4"]}


def _build(**choices):
    parameters = {"domain": "EG", "analysis_parameters": DECLARED, "param_names": NAMES,
                  "analysis_visits": VISITS, "baseline_order": ["ADT", "EGSEQ"],
                  "adsl_vars": ["TRTSDT", "TRTEDT", "TRT01A"]} | choices
    return build_bds(_eg(), _adsl(), **parameters)


def test_parameters_from_declarations_with_param_from_the_codelist_decodes():
    bds = _build()
    # the standing QT record is selected by no declaration
    assert bds["EGSEQ"].tolist() == [7, 8, 1, 2, 4, 5, 6]
    assert bds["PARAMCD"].tolist() == ["HR"] * 2 + ["QTSUP"] * 5
    assert bds["PARAM"].iloc[0] == "Heart Rate (beats/min)"
    assert bds["ASEQ"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert bds["TRT01A"].eq("Drug").all() and bds["AVALU"].eq("msec").all()


def test_visits_baseline_change_and_flags():
    qt = _build().set_index("EGSEQ")
    # screening and unscheduled visits get no analysis visit
    assert qt["AVISIT"].fillna("").to_dict() == {7: "Baseline", 8: "Week 2", 1: "", 2: "Baseline", 4: "",
                                                 5: "Week 2", 6: "Week 4"}
    assert qt.loc[2, "ABLFL"] == "Y" and qt["ABLFL"].eq("Y").sum() == 2
    assert qt.loc[5, "BASE"] == 410 and qt.loc[5, "CHG"] == 20
    assert qt.loc[5, "PCHG"] == pytest.approx(20 / 410 * 100)
    # ranges from the declaration: 450 HIGH; baseline 410 NORMAL; HR 110 HIGH against a NORMAL baseline
    assert qt.loc[4, "ANRIND"] == "HIGH" and qt.loc[4, "BNRIND"] == "NORMAL" and qt.loc[8, "ANRIND"] == "HIGH"
    # on treatment from TRTSDT (baseline day included) to TRTEDT
    assert qt["ONTRTFL"].fillna("").to_dict() == {7: "Y", 8: "Y", 1: "", 2: "Y", 4: "Y", 5: "Y", 6: "Y"}
    # one analysis record per visit; admiral's filter does not ask for a value, so Week 4's record
    # without one is flagged too, unless the spec's filter asks for AVAL
    assert qt.index[qt["ANL01FL"].eq("Y").fillna(False)].tolist() == [7, 8, 2, 5, 6]
    with_value = _build(anl01fl_filter="AVISITN.notna() and ONTRTFL == 'Y' and AVAL.notna()")
    assert with_value["EGSEQ"][with_value["ANL01FL"].eq("Y").fillna(False)].tolist() == [7, 8, 2, 5]


def test_baseline_rule_and_change_filter_from_the_spec():
    qt = _build(baseline_rule="last_before", change_filter="AVISITN > 0").set_index("EGSEQ")
    # strictly before TRTSDT: the screening value is baseline
    assert qt.loc[1, "ABLFL"] == "Y" and qt.loc[5, "BASE"] == 400
    # change only after baseline (AVISITN > 0): none on the screening or unscheduled records; HR has
    # no record before TRTSDT, hence no baseline and no change at all
    assert qt.index[qt["CHG"].notna()].tolist() == [5]


def test_summary_and_end_of_treatment_records():
    records = _build(
        summary_records={"by": ["AVISITN", "AVISIT", "ADT"], "filter": "AVAL.notna()", "statistic": "max",
                         "dtype": "MAXIMUM"},
        baseline_filter="DTYPE.isna()",
        anl01fl_by=["AVISIT", "DTYPE"],
        extreme_records=[{"order": ["ADT"], "mode": "last", "filter": "ANL01FL == 'Y' and DTYPE.isna()",
                          "set_values_to": {"AVISIT": "End of Treatment", "AVISITN": 99, "DTYPE": "LOV"}}])
    qt = records[records["PARAMCD"] == "QTSUP"]
    summary = qt[qt["DTYPE"] == "MAXIMUM"]
    # one per visit date with a value (Week 4's record has none); only the by-variables are kept
    assert summary["ADT"].tolist() == [T("2024-01-02"), T("2024-01-10"), T("2024-01-20"), T("2024-01-24")]
    assert summary["AVAL"].tolist() == [400, 410, 450, 430] and summary["EGSEQ"].isna().all()
    # a summary record is never baseline, but takes its parameter's BASE and flags
    assert summary["ABLFL"].isna().all() and summary["BASE"].eq(410).all()
    assert summary["ANL01FL"].fillna("").tolist() == ["", "Y", "", "Y"]
    # End of Treatment: a copy of the last analysis record of each parameter
    end = records[records["DTYPE"] == "LOV"]
    assert end[["PARAMCD", "EGSEQ", "AVISITN", "AVISIT"]].values.tolist() == [
        ["HR", 8, 99, "End of Treatment"], ["QTSUP", 6, 99, "End of Treatment"]]
    # ASEQ orders DTYPE after the records of the same date and visit
    assert records["ASEQ"].tolist() == list(range(1, len(records) + 1))


def test_derived_parameter_after_its_sources():
    declared = [{"paramcd": "SYSBP", "testcd": "SYSBP"}, {"paramcd": "DIABP", "testcd": "DIABP"},
                {"paramcd": "MAP", "derivation": "map"}]
    vs = pd.DataFrame({"STUDYID": "S", "USUBJID": "01", "VSTESTCD": ["SYSBP", "DIABP"], "VSSTRESN": [120, 90],
                       "VSDTC": "2024-01-10", "VISIT": "BASELINE", "VISITNUM": 2})
    bds = build_bds(vs, _adsl(), domain="VS", analysis_parameters=declared)
    mean = bds[bds["PARAMCD"] == "MAP"]
    assert mean["AVAL"].tolist() == [100.0] and mean["ADT"].tolist() == [T("2024-01-10")]
    assert mean["ABLFL"].tolist() == ["Y"]


def test_define_text_from_the_same_declarations():
    texts = describe_bds(None, {"domain": "EG", "analysis_parameters": [
        *DECLARED, {"paramcd": "QTCF", "derivation": "map", "with": {"sysbp": "QTSUP", "diabp": "HR"}}]})
    first = texts["AVAL"].split("\n\n")[0]
    assert first == "PARAMCD = QTSUP: EGSTRESN where EGTESTCD = 'QT' and EGPOS = 'SUPINE'."
    assert texts["PARAMCD"].split("\n\n")[2] == "PARAMCD = QTCF: Computed from QTSUP and HR (map)."


# ---- the spec: declarations checked at their line -------------------------------------------

def _refused(folder, old, new):
    return refused_plan(folder, "ADVS", old, new)


def test_unknown_derivation_names_the_closest_and_the_valid_ones(study_copy):
    message, place = _refused(study_copy, "derivation: map,", "derivation: mapp,")
    assert message == (f"{place}parameters.analysis_parameters[6].derivation: no derivation 'mapp'; "
                       "did you mean 'map'? (derivations: map, bmi, bsa)")


def test_unknown_argument_of_a_derivation(study_copy):
    message, place = _refused(study_copy, "with: {sysbp: SYSBP, diabp: DIABP}",
                              "with: {sysbpp: SYSBP, diabp: DIABP}")
    assert message == (f"{place}parameters.analysis_parameters[6].with: map has no argument 'sysbpp'; "
                       "did you "
                       "mean 'sysbp'? (its arguments: sysbp, diabp)")


def test_invalid_argument_value(study_copy):
    message, place = _refused(study_copy, "method: Mosteller", "method: Mosteler")
    assert message == (f"{place}parameters.analysis_parameters[8].with.method: 'Mosteler' is not one of "
                       "Mosteller, DuBois-DuBois, Haycock, Gehan-George; did you mean 'Mosteller'?")


def test_unknown_declaration_key(study_copy):
    message, place = _refused(study_copy, "{paramcd: HEIGHT, testcd: HEIGHT}",
                              "{paramcd: HEIGHT, testcode: HEIGHT}")
    where = f"{place}parameters.analysis_parameters[4]"
    assert f"{where}: unknown key 'testcode'; did you mean 'testcd'?" in message
    assert "give either testcd (a VSTESTCD) or derivation (map, bmi, bsa), not neither" in message


def test_paramcd_must_be_a_term_of_the_paramcd_codelist(study_copy):
    message, place = _refused(study_copy, "{paramcd: TEMP, testcd: TEMP,", "{paramcd: TEMPC, testcd: TEMP,")
    assert message == (f"{place}parameters.analysis_parameters[5]: PARAMCD TEMPC is not a term of codelist "
                       "PARAMCD_ADVS; did you mean 'TEMP'?")


def test_derivation_reads_a_parameter_declared_before_it(study_copy):
    message, place = _refused(study_copy, "{paramcd: WEIGHT, testcd: WEIGHT}\n", "")
    assert "parameters.analysis_parameters[6]: bmi reads PARAMCD WEIGHT (weight), which no declaration " \
           "before it makes" in message


def test_where_names_a_variable_of_the_domain(study_copy):
    # the ovarian study has an LB spec: a where variable is checked against its variables
    spec = STUDIES / "ovarian" / "adam" / "ADLB.yaml"
    assert spec.exists()
    study = load_study("ovarian")
    advs = load_study("pharmaverse").adam["ADVS"]
    declared = [{"paramcd": "CRP", "testcd": "CRP", "where": {"LBSPECC": "BLOOD"}}]
    bad = dataclasses.replace(advs, name="ADLB", parameters={**advs.parameters, "domain": "LB",
                                                             "analysis_parameters": declared})
    with pytest.raises(SpecError) as error:
        plan(dataclasses.replace(study, adam={"ADSL": study.adam["ADSL"], "ADLB": bad}))
    assert ("parameters.analysis_parameters[0].where: LBSPECC is not a variable of LB; did you mean "
            "'LBSPEC'?") in str(error.value)


def test_where_variable_not_of_the_domain_is_refused_at_its_line(study_copy):
    message, place = _refused(study_copy, "{paramcd: PULSE, testcd: PULSE,",
                              "{paramcd: PULSE, testcd: PULSE, where: {VSPOSS: SUPINE},")
    assert message.startswith(place) and message.endswith(
        "where: VSPOSS is not a variable of VS; did you mean 'VSPOS'?")


def test_where_variable_missing_from_the_sdtm_is_refused_before_building(study_copy, tmp_path):
    from adam.build import build_adam
    from specs.errors import InputError

    spec = study_copy / "adam" / "ADVS.yaml"
    # VSPOS is a VS variable of the SDTMIG (so the spec is sound), but this VS lacks it.
    spec.write_text(spec.read_text().replace("{paramcd: PULSE, testcd: PULSE,",
                                             "{paramcd: PULSE, testcd: PULSE, where: {VSPOS: SUPINE},"))
    study = load_study(study_copy)
    study = dataclasses.replace(study, adam={name: study.adam[name] for name in ("ADSL", "ADVS")})
    from tests.adam.test_build import _sdtm

    vs = pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["01"], "VSTESTCD": ["PULSE"], "VSSTRESN": [70.0],
                       "VSDTC": ["2024-01-01"]})
    with pytest.raises(InputError, match="VS lacks .*VSPOS.*, which ADVS needs"):
        build_adam(study, {**_sdtm(), "VS": vs}, sdtm_folder=tmp_path)


def test_unknown_baseline_rule(study_copy):
    message, place = _refused(study_copy, "baseline_rule: last_on_or_before",
                              "baseline_rule: last_on_or_befor")
    assert message == (f"{place}parameters.baseline_rule: no baseline rule 'last_on_or_befor'; did you mean "
                       "'last_on_or_before'? (rules: last_on_or_before, last_before)")


def test_summary_and_extreme_records_are_checked(study_copy):
    message, place = _refused(study_copy, "statistic: mean,", "statistic: average,")
    assert message == (f"{place}parameters.summary_records.statistic: 'average' is not one of mean, median, "
                       "min, max")
    spec = study_copy / "adam" / "ADVS.yaml"
    spec.write_text(spec.read_text().replace("statistic: average,", "statistic: mean,")
                    .replace("      mode: last\n", "      mode: latest\n      sort: [ADT]\n"))
    with pytest.raises(SpecError) as error:
        plan(load_study(study_copy))
    assert "parameters.extreme_records[0].mode: 'latest' is not one of first, last" in str(error.value)
    assert "parameters.extreme_records[0]: unknown key 'sort'" in str(error.value)


def _built(folder, vs):
    from adam.build import build_adam
    from tests.adam.test_build import _sdtm

    study = load_study(folder)
    study = dataclasses.replace(study, adam={name: study.adam[name] for name in ("ADSL", "ADVS")})
    columns = {"VSSTAT": "", "VSSTRESC": "", "VSSEQ": range(1, len(vs) + 1), "VISIT": "BASELINE",
               "VISITNUM": 3.0, "VSTPTNUM": vs["VSTPT"].factorize()[0] + 1.0}
    return build_adam(study, {**_sdtm(), "VS": vs.assign(STUDYID="S", USUBJID="01", VSDTC="2024-01-02",
                                                          **columns)})


def test_by_variables_that_leave_records_together_are_refused_at_their_line(study_copy):
    # two time points of the same visit date: MAP needs ATPT among its by-variables
    vs = pd.DataFrame({"VSTESTCD": ["SYSBP", "SYSBP", "DIABP", "DIABP"], "VSSTRESN": [120.0, 124, 80, 82],
                       "VSTPT": ["LYING", "STANDING", "LYING", "STANDING"]})
    mean = _built(study_copy, vs)["ADVS"].query("PARAMCD == 'MAP' and DTYPE.isna()")
    assert mean["AVAL"].tolist() == pytest.approx([280 / 3, 288 / 3])
    spec = study_copy / "adam" / "ADVS.yaml"
    text = spec.read_text()
    old = "  derived_by: [VISITNUM, VISIT, ADT, ATPTN, ATPT]"
    spec.write_text(text.replace(old, "  derived_by: [VISITNUM, VISIT, ADT]"))
    line = 1 + text.splitlines().index(old)
    with pytest.raises(SpecError) as error:
        _built(study_copy, vs)
    assert str(error.value).startswith(
        f"{spec}:{line}: ADVS: parameters.derived_by: MAP: parameter SYSBP has more than one record for ")
    # a by-variable no record has
    spec.write_text(text.replace("  baseline_by: [ATPT]", "  baseline_by: [ATPTX]"))
    with pytest.raises(SpecError, match=r"parameters.baseline_by: no variable ATPTX; did you mean 'ATPT'"):
        _built(study_copy, vs)


def test_an_unknown_structure_is_refused(study_copy):
    spec = study_copy / "adam" / "ADVS.yaml"
    spec.write_text(spec.read_text().replace("data_structure: BDS", "data_structure: BDX"))
    with pytest.raises(SpecError, match="'BDX' is not one of ADSL, OCCDS, BDS, TTE; did you mean 'BDS'"):
        load_study(study_copy)


def test_a_named_builder_is_kept_without_data_structure(study_copy):
    # without data_structure the dataset is looked up by name, as before: ADVS has no builder of its own
    message, _ = _refused(study_copy, "data_structure: BDS\n", "")
    assert "no ADaM builder for dataset ADVS" in message
    assert "data_structure (ADSL, OCCDS, BDS, TTE)" in message


def test_param_names_are_not_written_in_the_spec(study_copy):
    message, place = _refused(study_copy, "  domain: VS\n",
                              "  domain: VS\n  param_names: {SYSBP: Systolic}\n")
    assert "parameters.param_names: PARAM comes from the decodes of the PARAMCD codelist" in message


def test_bad_spec_exits_2_naming_file_and_line_without_traceback(study_copy, tmp_path):
    spec = study_copy / "adam" / "ADVS.yaml"
    spec.write_text(spec.read_text().replace("derivation: bmi,", "derivation: bmii,"))
    (tmp_path / "sdtm").mkdir()
    result = CliRunner().invoke(app, ["adam", str(study_copy), "--sdtm", str(tmp_path / "sdtm"),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"{spec}:" in result.output and "no derivation 'bmii'; did you mean 'bmi'?" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_the_named_builder_and_the_structure_builder_are_chosen_by_the_spec():
    study = load_study("pharmaverse")
    steps = {step.spec.name: step.builder.function.__name__ for step in plan(study)}
    assert steps["ADVS"] == "build_bds" and steps["ADAE"] == "build_occds"
    # PARAM decodes reach the builder as a parameter implied by the codelist
    advs = next(step for step in plan(study) if step.spec.name == "ADVS")
    assert advs.parameters["param_names"]["BMI"] == "Body Mass Index(kg/m^2)"
    renamed = dataclasses.replace(study.adam["ADVS"], name="ADEGX")
    assert plan(dataclasses.replace(study, adam={"ADSL": study.adam["ADSL"], "ADEGX": renamed}))[1].builder \
        .function is build_bds


def test_define_method_text_of_the_study_comes_from_its_declarations():
    from adam.methods import methods

    texts = methods(load_study("pharmaverse"))
    aval = texts[("ADVS", "AVAL")].split("\n\n")
    assert aval[0] == "PARAMCD = SYSBP: VSSTRESN where VSTESTCD = 'SYSBP'."
    assert aval[6] == ("PARAMCD = MAP: (SYSBP + 2 x DIABP) / 3 at the same time point "
                       "(admiral derive_param_map).")
    paramcd = texts[("ADVS", "PARAMCD")].split("\n\n")
    assert paramcd[8] == "PARAMCD = BSA: Computed from WEIGHT and HEIGHT (bsa)."
