import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from edc.simulator import simulate
from sdtm.engine import check_rules, convert_domain, derivation_order, domain_order
from specs.errors import InputError, SpecError
from specs.loader import load_study, study_folder
from specs.model import Rule, SourceBlock, Variable
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms

MINE = ("SV", "AE", "EX", "DS", "CM", "MH")
ISO8601 = r"^\d{4}(-(\d{2}|-)(-(\d{2}|-)(T\d{2}:\d{2})?)?)?$"


@pytest.fixture(scope="module")
def ovarian():
    return load_study("ovarian")


def test_order_puts_dm_se_sv_first_and_leaves_supp_to_the_parent(ovarian):
    order = domain_order(ovarian)
    assert order[:3] == ["DM", "SE", "SV"]
    assert not [n for n in order if n.startswith("SUPP")]
    assert set(order) >= {"AE", "EX", "DS", "CM", "MH", "TA", "TS"}


def test_domain_columns_follow_the_spec_and_keep_the_raw_key(ovarian):
    dm = convert_some(ovarian, raw_forms(ovarian, **TREATED))["DM"]
    spec_names = list(ovarian.sdtm["DM"].variable_names())
    assert list(dm.columns[: len(spec_names)]) == spec_names
    assert dm[["_FORM", "_ROW"]].iloc[0].tolist() == ["enrol", 1]
    assert dm["AGE"].dtype == "float64" and dm["DTHFL"].tolist() == [""]  # Num float, Char ""


def test_where_keeps_only_the_rows_it_holds_for(ovarian):
    # visit not done: no SV record
    rows = TREATED | {"visit": TREATED["visit"] + [{"SUBJID": "001", "FOLDER": "M3", "VISND": "X"}]}
    sv = convert_some(ovarian, raw_forms(ovarian, **rows), "SV")["SV"]
    assert sv["VISIT"].tolist() == ["SCREENING", "DAY 0", "DAY 28", "MONTH 2"]


def test_missing_form_names_the_spec(ovarian):
    raw = raw_forms(ovarian, **TREATED)
    del raw["death"]
    with pytest.raises(InputError, match="needs form 'death'"):
        convert_domain(ovarian, ovarian.sdtm["DM"], raw)


def test_non_numeric_value_for_a_num_variable_names_file_and_row(ovarian):
    rows = TREATED | {"dm": [TREATED["dm"][0] | {"AGE": "fifty"}]}
    with pytest.raises(InputError) as err:
        convert_domain(ovarian, ovarian.sdtm["DM"], raw_forms(ovarian, **rows))
    assert err.value.file == "enrol.csv" and err.value.row == 1 and err.value.value == "fifty"


# --- integration: simulated EDC exports of both studies -------------------------------------

@pytest.fixture(scope="module", params=["ovarian", "cervical"])
def converted(request):
    study = load_study(request.param)
    raw = simulate(study, 40, seed=7)
    return study, raw, convert_some(study, raw, *MINE)


def _study_day(dtc: str, ref: str) -> float:
    try:
        days = (dt.date.fromisoformat(dtc[:10]) - dt.date.fromisoformat(ref[:10])).days
    except ValueError:  # partial or missing date: no study day
        return float("nan")
    return float(days + 1 if days >= 0 else days)


def test_every_subject_in_dm_and_every_record_traces_back(converted):
    study, raw, done = converted
    subjects = set(done["DM"]["USUBJID"])
    assert len(subjects) == len(raw["enrol"]) == len(done["DM"])
    for name in MINE:
        frame = done[name]
        assert set(frame["USUBJID"]) <= subjects, name
        # the raw record behind each row belongs to the same subject
        for form, rows in frame.groupby("_FORM"):
            source = raw[form].set_index("_ROW").loc[rows["_ROW"]]
            assert (study.studyid + "-" + source["SUBJID"]).tolist() == rows["USUBJID"].tolist()


def test_seq_unique_within_subject(converted):
    _, _, done = converted
    for name in MINE:
        seq = f"{name}SEQ"
        if seq in done[name]:
            assert not done[name].duplicated(["USUBJID", seq]).any(), name
            assert (done[name][seq] >= 1).all()


def test_study_days_agree_with_dates_and_rfstdtc(converted):
    _, _, done = converted
    ref = done["DM"].set_index("USUBJID")["RFSTDTC"]
    checked = 0
    for name in MINE:
        frame = done[name]
        for dy, dtc in (("STDY", "STDTC"), ("ENDY", "ENDTC")):
            if f"{name}{dy}" not in frame:
                continue
            expected = [_study_day(d, ref[u]) for u, d in zip(frame["USUBJID"], frame[f"{name}{dtc}"],
                                                                strict=True)]
            got = frame[f"{name}{dy}"].tolist()
            assert pd.Series(got).equals(pd.Series(expected, dtype="float64")), name
            assert 0 not in got
            checked += pd.Series(got).notna().sum()
    assert checked > 100


def test_dates_are_iso8601_and_ct_values_in_their_codelists(converted):
    study, _, done = converted
    for name in ("DM", *MINE):
        spec, frame = study.sdtm[name], done[name]
        for v in spec.variables:
            values = frame[v.name]
            if v.name.endswith("DTC"):
                assert values[values != ""].str.match(ISO8601).all(), (name, v.name)
            levels = [vl for vl in spec.value_level if vl.variable == v.name and vl.codelist]
            checks = [(frame[list(vl.where)].isin(vl.where).all(axis=1), vl.codelist) for vl in levels]
            if not checks and v.codelist and v.type == "Char":
                checks = [(values == values, v.codelist)]
            for where, codelist in checks:
                allowed = set(study.codelists[codelist].values())
                assert set(values[where & (values != "")]) <= allowed, (name, v.name)
    assert set(done["SV"]["EPOCH"]) - {""} <= {"SCREENING", "TREATMENT", "FOLLOW-UP"}


# --- derivation order and `distinct` ----------------------------------------------------------

def _variable(name, algorithm=None, **params):
    kind = "Num" if name.endswith("SEQ") else "Char"
    return Variable(name=name, label=name, type=kind, order=0, algorithm=algorithm, params=params)


def _ae_spec(ovarian, variables, **block):
    rules = {"STUDYID": Rule("assign", "STUDYID"), "USUBJID": Rule("usubjid"),
             "AETERM": Rule("assign", "AETERM")}
    return replace(ovarian.sdtm["AE"], variables=tuple(variables), supplemental=(),
                   sources=(SourceBlock(form="ae", map=rules, **block),))


def test_a_variable_is_derived_after_the_variables_it_reads_and_output_in_spec_order(ovarian):
    # AESEQ, listed first (SDTMIG order), orders by AEDECOD, which a later variable derives.
    spec = _ae_spec(ovarian, [
        _variable("STUDYID"), _variable("USUBJID"),
        _variable("AESEQ", "seq", by=["USUBJID"], order=["AEDECOD"]),
        _variable("AETERM"), _variable("AEDECOD", "assign", field="AETERM", upper=True),
    ])
    assert [v.name for v in derivation_order(spec)] == ["AEDECOD", "AESEQ"]
    raw = raw_forms(ovarian, ae=[{"SUBJID": "001", "AETERM": "Rash"}, {"SUBJID": "001", "AETERM": "Fever"}])
    ae = convert_domain(ovarian, spec, raw, {})
    assert list(ae.columns[:5]) == ["STUDYID", "USUBJID", "AESEQ", "AETERM", "AEDECOD"]
    assert ae.set_index("AEDECOD")["AESEQ"].to_dict() == {"FEVER": 1.0, "RASH": 2.0}


def test_implicit_reads_and_query_words_count_as_inputs(ovarian):
    # seq without `order` reads the dataset keys; a condition reads the words of its query.
    spec = replace(_ae_spec(ovarian, [
        _variable("AESEQ", "seq"),
        _variable("AEOUT", "condition", when="AEDECOD != ''", then="AETERM"),
        _variable("AEDECOD", "assign", field="AETERM"),
    ]), keys=("USUBJID", "AEDECOD", "AESEQ"))
    assert [v.name for v in derivation_order(spec)] == ["AEDECOD", "AESEQ", "AEOUT"]


def test_variables_that_read_each_other_are_a_spec_error(ovarian):
    spec = _ae_spec(ovarian, [_variable("AEDECOD", "assign", field="AELLT"),
                              _variable("AELLT", "assign", field="AEDECOD")])
    with pytest.raises(SpecError, match="read each other: AEDECOD -> AELLT -> AEDECOD"):
        derivation_order(spec)


def test_distinct_keeps_the_first_row_per_key_after_where(ovarian):
    spec = _ae_spec(ovarian, [_variable("STUDYID"), _variable("USUBJID"), _variable("AETERM")],
                    where="AESER == 'Yes'", distinct=("SUBJID", "AETERM"))
    raw = raw_forms(ovarian, ae=[
        {"SUBJID": "001", "AETERM": "Rash", "AESER": "No"},    # dropped by where, before distinct
        {"SUBJID": "001", "AETERM": "Rash", "AESER": "Yes"},   # first serious Rash of 001: kept
        {"SUBJID": "001", "AETERM": "Rash", "AESER": "Yes"},   # repeat: dropped
        {"SUBJID": "002", "AETERM": "Rash", "AESER": "Yes"},   # another subject: kept
    ])
    ae = convert_domain(ovarian, spec, raw, {})
    assert ae["_ROW"].tolist() == [2, 4]


def test_distinct_on_a_field_the_form_lacks_is_a_spec_error(ovarian):
    spec = _ae_spec(ovarian, [_variable("STUDYID")], distinct=("NOSUCH",))
    with pytest.raises(SpecError, match="distinct names"):
        convert_domain(ovarian, spec, raw_forms(ovarian, ae=[{"SUBJID": "001"}]), {})


def test_an_unknown_or_missing_algorithm_parameter_is_named_with_the_valid_ones(tmp_path):
    study = Path(shutil.copytree(study_folder("ovarian"), tmp_path / "study"))
    (study / "sdtm" / "AE.yaml").write_text(
        "extends: AE\nsources:\n  - form: ae\n    map:\n"
        "      AEOUT: {algorithm: assign_ct, field: AEOUT, with: {codlist: OUT}}\n"
        "      AEDECOD: {algorithm: hardcode}\n")
    problems = "\n".join(p.message for p in check_rules(load_study(study)))
    assert ("AE.AEOUT: assign_ct has no parameter 'codlist'; did you mean 'codelist'? "
            "(its parameters: field, codelist, map)") in problems
    assert "AE.AEDECOD: hardcode needs parameter 'value'" in problems
