import pandas as pd
import pytest

from sdtm import engine
from sdtm.algorithms import PARAMETERS, REGISTRY, Call, Context, algorithm, compute_ct, run
from specs.errors import InputError, SpecError
from specs.loader import load_study
from tests.sdtm.rawforms import raw_forms

engine.load_algorithms()


@pytest.fixture(scope="module")
def study():
    return load_study("ovarian")


def ctx_for(study, domain="AE", **rows):
    return Context(study, study.sdtm[domain], raw_forms(study, **rows))


def call(target, name, field=None, form="ae", **params):
    return Call(target, name, field, params, form)


def test_assign_strips_and_upper_cases(study):
    ctx = ctx_for(study, ae=[{"SUBJID": "1", "AETERM": "  Fever "}])
    assert run(ctx.raw["ae"], call("AETERM", "assign", "AETERM"), ctx).tolist() == ["Fever"]
    assert run(ctx.raw["ae"], call("AETERM", "assign", "AETERM", upper=True), ctx).tolist() == ["FEVER"]


def test_assign_ct_value_decode_synonym_and_map(study):
    ctx = ctx_for(study, ae=[
        # value matched ignoring case
        {"SUBJID": "1", "AEREL": "Possibly related", "AESER": "Yes", "AEOUT": "fatal"},
        # synonym (sponsor codelist); decode No → N
        {"SUBJID": "1", "AEREL": "Definitely related", "AESER": "No", "AEOUT": ""},
    ])
    data = ctx.raw["ae"]
    assert run(data, call("AEREL", "assign_ct", "AEREL"), ctx).tolist() == ["POSSIBLY RELATED", "RELATED"]
    assert run(data, call("AESER", "assign_ct", "AESER"), ctx).tolist() == ["Y", "N"]
    assert run(data, call("AEOUT", "assign_ct", "AEOUT"), ctx).tolist() == ["FATAL", ""]  # blank stays blank
    # a sponsor wording mapped in the rule
    mapped = run(data, call("AEOUT", "assign_ct", "AEREL", map={"Possibly related": "UNKNOWN",
                                                                 "Definitely related": "FATAL"}), ctx)
    assert mapped.tolist() == ["UNKNOWN", "FATAL"]


def test_unmapped_ct_term_names_term_file_rows_codelist_and_values(study):
    ctx = ctx_for(study, ae=[{"SUBJID": "1", "AEOUT": "Resolved"}, {"SUBJID": "1", "AEOUT": "Fatal"},
                             {"SUBJID": "2", "AEOUT": "Resolved"}])
    with pytest.raises(InputError) as err:
        run(ctx.raw["ae"], call("AEOUT", "assign_ct", "AEOUT"), ctx)
    text = str(err.value)
    assert "'Resolved' (rows 1, 3)" in text and "ae.csv" in text and "codelist OUT" in text
    assert "RECOVERED/RESOLVED" in text and err.value.row == 1 and err.value.column == "AEOUT"


def test_map_target_outside_the_codelist_is_a_spec_error(study):
    ctx = ctx_for(study, ae=[{"SUBJID": "1", "AEOUT": "Resolved"}])
    with pytest.raises(SpecError, match="not in codelist OUT"):
        run(ctx.raw["ae"], call("AEOUT", "assign_ct", "AEOUT", map={"Resolved": "RESOLVED"}), ctx)


def test_compute_ct_returns_unmapped_mask(study):
    mapped, unmapped = compute_ct(pd.Series(["F", "female", "x", ""]), study.codelists["SEX"])
    assert mapped.tolist() == ["F", "F", "", ""] and unmapped.tolist() == [False, False, True, False]


def test_hardcode_text_and_number(study):
    ctx = ctx_for(study, ae=[{"SUBJID": "1"}, {"SUBJID": "2"}])
    assert run(ctx.raw["ae"], call("DOMAIN", "hardcode", value="AE"), ctx).tolist() == ["AE", "AE"]
    assert run(ctx.raw["ae"], call("X", "hardcode", value=2), ctx).tolist() == [2.0, 2.0]


def test_condition_on_the_raw_record(study):
    ctx = ctx_for(study, ae=[{"SUBJID": "1", "AEONGO": "Yes"}, {"SUBJID": "2", "AEONGO": "No"}])
    rule = call("AEENRTPT", "condition", when="AEONGO == 'Yes'",
                then={"algorithm": "hardcode", "with": {"value": "ONGOING"}})
    assert run(ctx.raw["ae"], rule, ctx).tolist() == ["ONGOING", ""]
    # `else` and a bare field name as the rule
    rule = call("X", "condition", when="AEONGO == 'Yes'", then="SUBJID", **{"else": "AEONGO"})
    assert run(ctx.raw["ae"], rule, ctx).tolist() == ["1", "No"]


def test_condition_runs_each_branch_on_its_own_rows_only(study):
    # Items on two scales: a 1-7 answer is outside the 1-4 codelist, but only the other
    # branch maps it, so neither branch fails on the other's rows.
    ctx = ctx_for(study, "QS")
    data = pd.DataFrame({"_RESPONSES": ["C15PAL4", "C15PAL7", "C15PAL4", ""],
                         "_VALUE": ["2", "7", "", ""]})
    rule = call("QSORRES", "condition", form=None, when="_RESPONSES == 'C15PAL7'",
                then={"algorithm": "assign_ct", "field": "_VALUE", "with": {"codelist": "C15PAL7"}},
                **{"else": {"algorithm": "assign_ct", "field": "_VALUE", "with": {"codelist": "C15PAL4"}}})
    assert run(data, rule, ctx).tolist() == ["A little", "7", "", ""]
    # the same 7 through the 1-4 codelist is still an error
    wrong = call("QSORRES", "condition", form=None, when="_RESPONSES != ''",
                 then={"algorithm": "assign_ct", "field": "_VALUE", "with": {"codelist": "C15PAL4"}})
    with pytest.raises(InputError, match="not in codelist C15PAL4"):
        run(data, wrong, ctx)


def test_condition_with_numbers_is_null_where_false(study):
    ctx = ctx_for(study, ae=[{"SUBJID": "1", "AEONGO": "Yes"}, {"SUBJID": "2", "AEONGO": "No"}])
    rule = call("X", "condition", when="AEONGO == 'Yes'",
                then={"algorithm": "hardcode", "with": {"value": 1}})
    out = run(ctx.raw["ae"], rule, ctx)
    assert out.dtype == "float64" and out.iloc[0] == 1.0 and pd.isna(out.iloc[1])
    # no row holds: the `then` rule runs on no rows and every value is blank
    rule = call("X", "condition", when="AEONGO == 'Maybe'", then="SUBJID")
    assert run(ctx.raw["ae"], rule, ctx).tolist() == ["", ""]


def test_decode_names_a_code_and_refuses_one_outside_the_codelist(study):
    ctx = ctx_for(study, "TU")
    data = pd.DataFrame({"TUTESTCD": ["TUMIDENT", "", "TUMIDENT"]})
    rule = call("TUTEST", "decode", form=None, field="TUTESTCD", codelist="TUTESTCD")
    assert run(data, rule, ctx).tolist() == ["Tumor Identification", "", "Tumor Identification"]
    with pytest.raises(InputError, match="without a decode in codelist TUTESTCD"):
        run(pd.DataFrame({"TUTESTCD": ["NOSUCH"]}), rule, ctx)


def test_condition_with_a_bad_query_is_a_spec_error(study):
    ctx = ctx_for(study, ae=[{"SUBJID": "1"}])
    with pytest.raises(SpecError, match="cannot be evaluated"):
        run(ctx.raw["ae"], call("X", "condition", when="NOSUCH == 1", then="SUBJID"), ctx)


def test_iso8601_rule_and_impossible_date(study):
    ctx = ctx_for(study, ae=[{"SUBJID": "1", "AESTDAT": "UN MAY 2024", "AESTTIM": ""},
                             {"SUBJID": "1", "AESTDAT": "14 MAY 2024", "AESTTIM": "09:30"}])
    rule = call("AESTDTC", "iso8601", date="AESTDAT", time="AESTTIM")
    assert run(ctx.raw["ae"], rule, ctx).tolist() == ["2024-05", "2024-05-14T09:30"]
    # impossible date: error names file, row, column and value
    ctx = ctx_for(study, ae=[{"SUBJID": "1", "AESTDAT": "01 FEB 2024"},
                             {"SUBJID": "1", "AESTDAT": "31 FEB 2024"}])
    with pytest.raises(InputError) as err:
        run(ctx.raw["ae"], call("AESTDTC", "iso8601", date="AESTDAT"), ctx)
    assert (err.value.file, err.value.row, err.value.column, err.value.value) == (
        "ae.csv", 2, "AESTDAT", "31 FEB 2024")


def test_usubjid_convention(study):
    ctx = ctx_for(study, ae=[{"SUBJID": "102-007", "SITEID": "102"}])
    assert run(ctx.raw["ae"], call("USUBJID", "usubjid"), ctx).tolist() == ["MESO-OV-101-102-007"]
    per_site = call("USUBJID", "usubjid", parts=["STUDYID", "SITEID", "SUBJID"], sep="/")
    assert run(ctx.raw["ae"], per_site, ctx).tolist() == ["MESO-OV-101/102/102-007"]


def test_checkbox_needs_an_answer_to_say_no(study):
    ctx = ctx_for(study, ae=[{"SUBJID": "1", "AESER": "Yes", "AESDTH": "X"},   # ticked → Y
                             {"SUBJID": "1", "AESER": "Yes", "AESDTH": ""},    # answered, unticked → N
                             {"SUBJID": "1", "AESER": "", "AESDTH": ""}])      # not answered → blank
    rule = call("AESDTH", "checkbox", "AESDTH", answered="AESER")
    assert run(ctx.raw["ae"], rule, ctx).tolist() == ["Y", "N", ""]


def test_per_subject_takes_one_value_from_another_form(study):
    ctx = ctx_for(study, "DM",
                  enrol=[{"SUBJID": "1"}, {"SUBJID": "2"}, {"SUBJID": "3"}],
                  lymphodepletion=[{"SUBJID": "1", "EXSTDAT": "11 MAR 2024"},
                                   {"SUBJID": "1", "EXSTDAT": "10 MAR 2024"},
                                   {"SUBJID": "2", "EXSTDAT": "02 APR 2024"}])
    inner = {"algorithm": "iso8601", "with": {"date": "EXSTDAT"}}
    data = ctx.raw["enrol"]
    params = {"form": "lymphodepletion", "rule": inner}
    earliest = Call("RFXSTDTC", "per_subject", None, params | {"pick": "min"}, "enrol")
    first = run(data, earliest, ctx)
    assert first.tolist() == ["2024-03-10", "2024-04-02", ""]  # subject 3 never lymphodepleted
    by_row = Call("X", "per_subject", None, params | {"pick": "first"}, "enrol")
    assert run(data, by_row, ctx).tolist() == ["2024-03-11", "2024-04-02", ""]


def test_combine_first_and_max(study):
    ctx = ctx_for(study, "DS", disposition=[
        {"SUBJID": "1", "DSTERM": "", "DSDECOD": "Completed"},
        {"SUBJID": "2", "DSTERM": "Moved away", "DSDECOD": "Lost to follow-up"},
    ])
    rule = Call("DSTERM", "combine", None, {"rules": ["DSTERM", "DSDECOD"]}, "disposition")
    assert run(ctx.raw["disposition"], rule, ctx).tolist() == ["Completed", "Moved away"]
    rule = Call("X", "combine", None, {"rules": ["DSTERM", "DSDECOD"], "pick": "max"}, "disposition")
    assert run(ctx.raw["disposition"], rule, ctx).tolist() == ["Completed", "Moved away"]


def test_registry_dispatch_and_unknown_name(study):
    @algorithm("test_double", params={"field": "the raw field"})
    def double(data, call, ctx):
        return data[call.field] + data[call.field]

    ctx = ctx_for(study, ae=[{"SUBJID": "1", "AETERM": "ab"}])
    assert REGISTRY["test_double"] is double
    assert run(ctx.raw["ae"], call("X", "test_double", "AETERM"), ctx).tolist() == ["abab"]
    with pytest.raises(SpecError, match="did you mean 'assign'"):
        run(ctx.raw["ae"], call("X", "asign", "AETERM"), ctx)
    with pytest.raises(ValueError, match="registered twice"):
        algorithm("test_double", params={})(lambda d, c, x: d)
    del REGISTRY["test_double"], PARAMETERS["test_double"]


def test_missing_raw_column_names_the_spec(study):
    ctx = ctx_for(study, ae=[{"SUBJID": "1"}])
    with pytest.raises(InputError, match="needs column 'NOPE'"):
        run(ctx.raw["ae"], call("AETERM", "assign", "NOPE"), ctx)


def test_shared_results_are_computed_once_per_frame_and_key(study):
    ctx = ctx_for(study)
    frame, other = pd.DataFrame({"A": [1]}), pd.DataFrame({"A": [1]})
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    # same frame and key: computed once; another key or another (equal) frame: computed again
    assert ctx.shared(frame, "k", compute) == ctx.shared(frame, "k", compute) == 1
    assert ctx.shared(frame, "j", compute) == 2 and ctx.shared(other, "k", compute) == 3
