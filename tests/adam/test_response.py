import pandas as pd
import pytest

from adam.response import (
    compute_aval_resp,
    compute_recist_overall,
    derive_param_bor,
    derive_param_confirmed_bor,
    select_assessments,
)

START = pd.Timestamp("2024-01-01")


def _day(n):
    return START + pd.Timedelta(days=n - 1)


def _ovr(assessments):
    """OVR records from {subject: [(study day, response), ...]}."""
    rows = [
        {
            "STUDYID": "S",
            "USUBJID": subject,
            "PARAMCD": "OVR",
            "ADT": _day(day),
            "AVALC": response,
            "ANL01FL": "Y",
        }
        for subject, visits in assessments.items()
        for day, response in visits
    ]
    return pd.DataFrame(rows)


def _adsl(subjects, **dates):
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": subjects, "TRTSDT": START})
    for name, values in dates.items():
        adsl[name] = pd.to_datetime(pd.Series(values)).astype("datetime64[ns]")
    return adsl


def _best(derive, assessments, adsl=None, **kwargs):
    adsl = _adsl(list(assessments)) if adsl is None else adsl
    result = derive(_ovr(assessments), adsl, **kwargs)
    paramcd = result["PARAMCD"].iloc[-1]
    best = result[result["PARAMCD"] == paramcd].set_index("USUBJID")
    return {s: (row.AVALC, row.ADT, row.AVAL) for s, row in best.iterrows()}


def test_compute_recist_overall_table():
    cases = [
        # target, non-target, new lesion, expected (RECIST 1.1 table 1 and 2)
        ("CR", "CR", "N", "CR"),  # all gone
        ("CR", "NON-CR/NON-PD", "N", "PR"),  # non-target remains
        ("CR", "NE", "N", "PR"),  # non-target not evaluated
        ("CR", None, "N", "CR"),  # no non-target disease at baseline
        ("CR", "CR", None, "PR"),  # new lesions not known: no CR
        ("PR", "NE", "N", "PR"),
        ("SD", "NON-CR/NON-PD", "N", "SD"),
        ("NE", "NON-CR/NON-PD", "N", "NE"),  # target not all evaluated
        ("PD", "CR", "N", "PD"),
        ("SD", "PD", "N", "PD"),
        ("CR", "CR", "Y", "PD"),  # unequivocal new lesion
        (None, "CR", "N", "CR"),  # non-target disease only
        (None, "NON-CR/NON-PD", "N", "NON-CR/NON-PD"),
        (None, "NE", "N", "NE"),
        ("", "", "", "NE"),  # nothing assessed (blank from XPT)
    ]
    target, nontarget, new, expected = (pd.Series(col) for col in zip(*cases, strict=True))
    result = compute_recist_overall(target, nontarget, new)
    assert result.tolist() == expected.tolist()


def test_aval_coding():
    codes = compute_aval_resp(pd.Series(["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING"]))
    assert codes.tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert compute_aval_resp(pd.Series(["Y"])).isna().all()


@pytest.mark.parametrize(
    ("visits", "bor", "cbor"),
    [
        # PR then PD before the SD minimum: PR unconfirmed and too early for SD -> PD
        ([(22, "PR"), (36, "PD")], ("PR", 22), ("PD", 36)),
        # PR, one NE, PR 42 days later: confirmed PR dated at the first PR
        ([(43, "PR"), (64, "NE"), (85, "PR")], ("PR", 43), ("PR", 43)),
        # PR, two NE, PR: too many NE between -> falls back to SD (PR at day 43 >= 42 days)
        ([(43, "PR"), (64, "NE"), (85, "NE"), (106, "PR")], ("PR", 43), ("SD", 43)),
        # PR after CR before the confirming PR: PR not confirmed, CR not confirmed -> SD
        ([(43, "PR"), (57, "CR"), (85, "PR")], ("CR", 57), ("SD", 43)),
        # CR unconfirmed (last assessment) falls back to SD at the CR date
        ([(22, "SD"), (50, "CR")], ("CR", 50), ("SD", 50)),
        # CR confirmed by CR 28 days later
        ([(43, "CR"), (71, "CR")], ("CR", 43), ("CR", 43)),
        # CR confirmed by a CR only 21 days later: not confirmed -> SD
        ([(43, "CR"), (64, "CR")], ("CR", 43), ("SD", 43)),
        # SD before the minimum only -> NE
        ([(22, "SD")], ("NE", 22), ("NE", 22)),
        # assessments after the first PD are not used
        ([(22, "PD"), (43, "CR"), (71, "CR")], ("PD", 22), ("PD", 22)),
        # non-measurable disease only
        ([(22, "NON-CR/NON-PD"), (43, "NON-CR/NON-PD")], ("NON-CR/NON-PD", 43), ("NON-CR/NON-PD", 43)),
        # only an assessment before the reference date: no analysis record -> MISSING
        ([(-5, "CR")], ("MISSING", None), ("MISSING", None)),
    ],
)
def test_bor_and_confirmed_bor_scenarios(visits, bor, cbor):
    assessments = {"01": visits}
    for derive, (avalc, day) in ((derive_param_bor, bor), (derive_param_confirmed_bor, cbor)):
        got_avalc, got_adt, got_aval = _best(derive, assessments)["01"]
        assert got_avalc == avalc
        assert (pd.isna(got_adt) and day is None) or got_adt == _day(day)
        assert got_aval == compute_aval_resp(pd.Series([avalc]))[0]


def test_no_post_baseline_assessment_is_missing():
    # subject 02 is in ADSL but has no OVR record at all
    result = _best(derive_param_confirmed_bor, {"01": [(43, "CR")]}, adsl=_adsl(["01", "02"]))
    avalc, adt, aval = result["02"]
    assert (avalc, aval) == ("MISSING", 7)
    assert pd.isna(adt)


def test_no_pr_after_cr_can_be_switched_off():
    # same data as the "PR after CR" scenario: without the rule the PR is confirmed
    visits = {"01": [(43, "PR"), (57, "CR"), (85, "PR")]}
    avalc, adt, _ = _best(derive_param_confirmed_bor, visits, no_pr_after_cr=False)["01"]
    assert (avalc, adt) == ("PR", _day(43))


def test_parameters_confirmation_days_max_ne_and_sd_minimum():
    # CR confirmed 21 days later counts when confirmation_days=21
    short = _best(derive_param_confirmed_bor, {"01": [(43, "CR"), (64, "CR")]}, confirmation_days=21)
    assert short["01"][0] == "CR"
    # two NE between allowed when max_ne_between=2
    two_ne = {"01": [(43, "PR"), (64, "NE"), (85, "NE"), (106, "PR")]}
    assert _best(derive_param_confirmed_bor, two_ne, max_ne_between=2)["01"][0] == "PR"
    # SD at day 22 counts when the SD minimum is 21 days
    assert _best(derive_param_bor, {"01": [(22, "SD")]}, sd_min_days=21)["01"][0] == "SD"


def test_new_anticancer_therapy_and_end_of_window_cut_assessments():
    visits = {"01": [(43, "PR"), (71, "PR")]}
    # new anticancer therapy on day 60: the confirming PR is not used -> SD
    adsl = _adsl(["01"], NACTDT=[_day(60)])
    result = _best(derive_param_confirmed_bor, visits, adsl=adsl, nact_date="NACTDT")
    assert result["01"][:2] == ("SD", _day(43))
    # an assessment window of 50 days after the reference date has the same effect
    result = _best(derive_param_confirmed_bor, visits, end_window_days=50)
    assert result["01"][:2] == ("SD", _day(43))
    # an assessment on the day therapy starts is not used either: nothing left -> MISSING
    adsl = _adsl(["01"], NACTDT=[_day(43)])
    result = _best(derive_param_bor, visits, adsl=adsl, nact_date="NACTDT")
    assert result["01"][0] == "MISSING"


def test_select_assessments_reference_date_and_first_pd():
    data = _ovr({"01": [(-3, "SD"), (22, "SD"), (43, "PD"), (64, "PR")]})
    used = select_assessments(data, _adsl(["01"]))
    # before the reference date and after the first PD are dropped
    assert used["ADT"].tolist() == [_day(22), _day(43)]
