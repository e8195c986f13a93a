import pandas as pd
import pytest

from adam.adsl import build_adsl
from adam.flags import derive_var_extreme_flag
from adam.occds import build_occds, derive_var_trtemfl


def _ts(values):
    return pd.Series(pd.to_datetime(values, format="ISO8601"), dtype="datetime64[ns]")


# ---- pharmaverse reference: admiral ADAE template parameters -------------------------

ADAE_KEYS = [
    "ASTDT",
    "ASTDTM",
    "ASTDTF",
    "ASTTMF",
    "AENDT",
    "AENDTM",
    "AENDTF",
    "AENTMF",
    "ASTDY",
    "AENDY",
    "TRTEMFL",
    "ASEV",
    "AOCCIFL",
]


@pytest.fixture(scope="module")
def adae_vs_reference(pharmaversesdtm, pharmaverseadam):
    sdtm = {name: pharmaversesdtm(name) for name in ("dm", "ex", "ds", "ae", "lb", "suppae")}
    adsl = build_adsl(sdtm["dm"], sdtm["ex"], sdtm["ds"], ae=sdtm["ae"], lb=sdtm["lb"])
    # admiral template: TEAE window 30 days after TRTEDT, severity from AESEV,
    # no toxicity grade, no lymphodepletion
    ours = build_occds(
        sdtm["ae"],
        adsl,
        supp=sdtm["suppae"],
        teae_window_days=30,
        severity="AESEV",
    )
    # the template's AOCCIFL: first occurrence of the most severe TEAE per subject,
    # reproduced with the generic flag function
    ours["ASEVN"] = ours["ASEV"].map({"MILD": 1, "MODERATE": 2, "SEVERE": 3, "DEATH THREATENING": 4})
    ours = derive_var_extreme_flag(
        ours, ["USUBJID"], ["-ASEVN", "ASTDTM", "AESEQ"], "AOCCIFL", filter="TRTEMFL == 'Y'"
    )
    reference = pharmaverseadam("adae")
    return ours.merge(reference, on=["USUBJID", "AESEQ"], how="outer", suffixes=("", "_REF"), indicator=True)


def test_adae_has_every_reference_record(adae_vs_reference):
    assert len(adae_vs_reference) == 1191
    assert (adae_vs_reference["_merge"] == "both").all()


@pytest.mark.parametrize("variable", ADAE_KEYS)
def test_adae_agrees_with_pharmaverseadam(adae_vs_reference, differs, variable):
    merged = adae_vs_reference
    disagree = differs(merged[variable], merged[f"{variable}_REF"])
    # no documented divergence: every record must agree
    assert merged.loc[disagree, ["USUBJID", "AESEQ", variable, f"{variable}_REF"]].empty


def test_adae_reference_comparison_is_not_vacuous(adae_vs_reference):
    merged = adae_vs_reference
    # imputed start dates (day and month), non-emergent AEs and ended AEs are all covered
    assert merged["ASTDTF"].value_counts().to_dict() == {"D": 15, "M": 11}
    assert merged["TRTEMFL"].isna().sum() == 69
    assert merged["AENDT"].notna().sum() == 718


# ---- TRTEMFL rules on a small table ---------------------------------------------------


def _trtemfl_cases():
    rows = [
        # (start, end, trt start, trt end, expected)
        ("2024-03-01", "2024-03-05", "2024-03-06", "2024-03-06", None),  # AE before infusion
        (None, "2024-03-05", "2024-03-06", "2024-03-06", None),  # no start, ended before
        (None, None, "2024-03-06", "2024-03-06", "Y"),  # missing start date: conservative
        ("2024-03-06", None, "2024-03-06", "2024-03-06", "Y"),  # starts on infusion day
        ("2024-03-01", None, "2024-03-06", "2024-03-06", None),  # before, ongoing, no worsening
        ("2024-04-05", None, "2024-03-06", "2024-03-06", "Y"),  # window edge: TRTEDT + 30
        ("2024-04-06", None, "2024-03-06", "2024-03-06", None),  # one day past the window
        ("2024-03-07", None, None, None, None),  # never treated
        ("2024-03-10", "2024-03-12", "2024-03-06", None, "Y"),  # no end date: no upper limit
    ]
    frame = pd.DataFrame(rows, columns=["ASTDTM", "AENDTM", "TRTSDT", "TRTEDT", "EXPECTED"])
    for name in ("ASTDTM", "AENDTM", "TRTSDT", "TRTEDT"):
        frame[name] = _ts(frame[name])
    return frame


def test_trtemfl_rules():
    cases = _trtemfl_cases()
    got = derive_var_trtemfl(cases, trt_start_date="TRTSDT", trt_end_date="TRTEDT", end_window=30)
    expected = cases["EXPECTED"].astype("string")
    pd.testing.assert_series_equal(got["TRTEMFL"], expected, check_names=False)


def test_trtemfl_without_window_has_no_upper_limit():
    cases = _trtemfl_cases()
    got = derive_var_trtemfl(cases, trt_start_date="TRTSDT")
    # one day past the 30-day window is emergent when no window is given
    assert got["TRTEMFL"].iloc[6] == "Y"


def test_trtemfl_worsening_after_treatment():
    frame = pd.DataFrame(
        {
            "ASTDTM": _ts(["2024-03-01", "2024-03-01", "2024-03-01"]),
            "AENDTM": _ts([None, None, "2024-03-05"]),
            "TRTSDTM": _ts(["2024-03-06 10:00"] * 3),
            "AEITOXGR": ["1", "2", "1"],
            "AETOXGR": ["3", "2", "3"],
        }
    )
    got = derive_var_trtemfl(frame, initial_intensity="AEITOXGR", intensity="AETOXGR")
    # started before and worsened: Y; same grade: not emergent; ended before infusion: not
    assert got["TRTEMFL"].tolist() == ["Y", pd.NA, pd.NA]


def test_trtemfl_compares_date_times():
    # admiral's defaults compare ASTDTM with TRTSDTM (docs/decisions.md D3), not dates
    rows = [
        # (start, end, treatment start, expected)
        ("2024-03-06 08:00", None, "2024-03-06 10:00", None),  # AE at 08:00, infusion at 10:00
        ("2024-03-06 10:00", None, "2024-03-06 10:00", "Y"),  # starts as the infusion starts
        ("2024-03-06 23:00", None, "2024-03-06 10:00", "Y"),  # later on the infusion day
        ("2024-03-05 22:00", "2024-03-06 09:00", "2024-03-06 10:00", None),  # ended before the infusion
        ("2024-03-05 22:00", "2024-03-06 12:00", "2024-03-06 10:00", None),  # ongoing at the infusion
    ]
    frame = pd.DataFrame(rows, columns=["ASTDTM", "AENDTM", "TRTSDTM", "EXPECTED"])
    for name in ("ASTDTM", "AENDTM", "TRTSDTM"):
        frame[name] = _ts(frame[name])
    got = derive_var_trtemfl(frame)
    pd.testing.assert_series_equal(got["TRTEMFL"], frame["EXPECTED"].astype("string"), check_names=False)


def test_trtemfl_needs_window_and_end_together():
    with pytest.raises(ValueError, match="trt_end_date and end_window"):
        derive_var_trtemfl(_trtemfl_cases(), trt_start_date="TRTSDT", end_window=30)


# ---- ADAE builder on a CAR-T table ----------------------------------------------------


def _car_t_adsl():
    return pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["1", "2"],
            "LDSTDT": _ts(["2024-03-01", "2024-03-01"]),
            "TRTSDTM": _ts(["2024-03-06 10:00", "2024-03-06 10:00"]),
            "TRTSDT": _ts(["2024-03-06", "2024-03-06"]),
            "TRTEDT": _ts(["2024-03-06", "2024-03-06"]),
            "DTHDT": _ts(["2024-04-10", None]),
            "EOSDT": _ts(["2024-04-10", None]),
            "AGE": [50.0, 60.0],
        }
    )


def _car_t_ae():
    rows = [
        # (USUBJID, AESEQ, AEDECOD, AEBODSYS, start, end, grade, serious, related)
        ("1", 1, "NAUSEA", "GI", "2024-03-02", "2024-03-03", "1", "N", "NOT RELATED"),
        (
            "1",
            2,
            "CYTOKINE RELEASE SYNDROME",
            "IMMUNE",
            "2024-03",
            "2024-03-12",
            "2",
            "Y",
            "PROBABLY RELATED",
        ),
        (
            "1",
            3,
            "IMMUNE EFFECTOR CELL-ASSOCIATED NEUROTOXICITY SYNDROME",
            "NERVOUS",
            "2024-03-09",
            "2024-04",
            "3",
            "Y",
            "DEFINITELY RELATED",
        ),
        ("1", 4, "NAUSEA", "GI", "2024-03-20", "", "1", "N", "NOT RELATED"),
        ("2", 1, "FATIGUE", "GENERAL", "", "", "1", "N", "UNLIKELY RELATED"),
    ]
    ae = pd.DataFrame(
        rows,
        columns=[
            "USUBJID",
            "AESEQ",
            "AEDECOD",
            "AEBODSYS",
            "AESTDTC",
            "AEENDTC",
            "AETOXGR",
            "AESER",
            "AEREL",
        ],
    )
    return ae.assign(STUDYID="S")


def _suppae():
    return pd.DataFrame(
        {
            "STUDYID": "S",
            "RDOMAIN": "AE",
            "USUBJID": ["1", "1", "1", "1", "2"],
            "IDVAR": "AESEQ",
            "IDVARVAL": ["1", "2", "3", "4", "1"],
            "QNAM": "AEGRSCL",
            "QVAL": ["NCI CTCAE 4.03", "ASTCT 2019", "ASTCT 2019", "NCI CTCAE 4.03", "NCI CTCAE 4.03"],
        }
    )


# What the CAR-T library spec (specs/library/adam/ADAE.yaml) turns on: a grade with its scale,
# the lymphodepletion phase, CRS/ICANS and other condition flags, first-occurrence flags.
CAR_T = {
    "toxicity_grade": "AETOXGR",
    "grading_scale": "AEGRSCL",
    "lymphodepletion_start": "LDSTDT",
    "condition_flags": {
        "CRSFL": "AEDECOD.str.upper() == 'CYTOKINE RELEASE SYNDROME'",
        "ICANSFL": "AEDECOD.str.upper() == 'IMMUNE EFFECTOR CELL-ASSOCIATED NEUROTOXICITY SYNDROME'",
        "SERFL": "AESER == 'Y'",
        "RELFL": "AEREL in ['POSSIBLY RELATED', 'PROBABLY RELATED', 'DEFINITELY RELATED']",
    },
    "occurrence_flags": {
        "AOCCFL": ["STUDYID", "USUBJID"],
        "AOCCSFL": ["STUDYID", "USUBJID", "AEBODSYS"],
        "AOCCPFL": ["STUDYID", "USUBJID", "AEBODSYS", "AEDECOD"],
    },
}


@pytest.fixture(scope="module")
def car_t_adae():
    adae = build_occds(_car_t_ae(), _car_t_adsl(), supp=_suppae(), teae_window_days=365, **CAR_T)
    return adae.set_index(["USUBJID", "AESEQ"])


def test_partial_start_in_infusion_month_imputed_to_infusion(car_t_adae):
    # "2024-03" with infusion on 6 March at 10:00: the known parts equal the treatment month
    assert car_t_adae.loc[("1", 2), "ASTDTM"] == pd.Timestamp("2024-03-06 10:00")
    assert car_t_adae.loc[("1", 2), "ASTDTF"] == "D"
    assert car_t_adae.loc[("1", 2), "TRTEMFL"] == "Y"


def test_infusion_day_aes_by_time():
    # subject 1 is infused on 6 March at 10:00 (_car_t_adsl)
    rows = [
        # (AESEQ, start, expected TRTEMFL, expected LDEMFL)
        (1, "2024-03-06T08:00", None, "Y"),  # AE at 08:00, before the infusion: lymphodepletion phase
        (2, "2024-03-06", "Y", None),  # time unknown: imputed to the infusion time, emergent
        (3, "2024-03-06T10:30", "Y", None),  # after the infusion the same day
    ]
    ae = pd.DataFrame(rows, columns=["AESEQ", "AESTDTC", "TRTEMFL", "LDEMFL"]).assign(
        STUDYID="S", USUBJID="1", AEENDTC="", AEDECOD="NAUSEA", AEBODSYS="GI", AETOXGR="1", AESER="N",
        AEREL="NOT RELATED")
    got = build_occds(ae.drop(columns=["TRTEMFL", "LDEMFL"]), _car_t_adsl(), teae_window_days=365,
                      **(CAR_T | {"grading_scale": None}))
    for flag in ("TRTEMFL", "LDEMFL"):
        pd.testing.assert_series_equal(got[flag], ae[flag].astype("string"), check_names=False)
    # the imputed time is flagged
    assert got.loc[1, "ASTDTM"] == pd.Timestamp("2024-03-06 10:00") and got.loc[1, "ASTTMF"] == "H"


def test_end_date_imputed_to_last_day_capped_by_death(car_t_adae):
    # "2024-04" would be 30 April, but death on 10 April caps it
    assert car_t_adae.loc[("1", 3), "AENDTM"] == pd.Timestamp("2024-04-10 23:59:59")
    assert car_t_adae.loc[("1", 3), "AENDTF"] == "D"


def test_ae_during_lymphodepletion(car_t_adae):
    # started on day -4: lymphodepletion phase, not treatment-emergent, study day -4
    row = car_t_adae.loc[("1", 1)]
    assert row["LDEMFL"] == "Y"
    assert pd.isna(row["TRTEMFL"])
    assert row["ASTDY"] == -4
    assert car_t_adae["LDEMFL"].notna().sum() == 1


def test_missing_start_date_is_emergent_and_ongoing_ae_has_no_end(car_t_adae):
    row = car_t_adae.loc[("2", 1)]
    assert row["TRTEMFL"] == "Y"
    assert pd.isna(row["ASTDT"]) and pd.isna(row["AENDT"])
    # an ongoing AE has no end date and no end imputation flag
    assert pd.isna(car_t_adae.loc[("1", 4), "AENDTM"])
    assert pd.isna(car_t_adae.loc[("1", 4), "AENTMF"])


def test_grade_with_its_scale_and_condition_flags(car_t_adae):
    assert car_t_adae["ATOXGR"].tolist() == ["1", "2", "3", "1", "1"]
    assert car_t_adae["ATOXGRN"].tolist() == [1, 2, 3, 1, 1]
    assert car_t_adae.loc[("1", 2), "ATOXSCL"] == "ASTCT 2019"
    assert car_t_adae["CRSFL"].notna().sum() == 1 and car_t_adae.loc[("1", 2), "CRSFL"] == "Y"
    assert car_t_adae.loc[("1", 3), "ICANSFL"] == "Y"
    assert car_t_adae["SERFL"].notna().sum() == 2
    # probably/definitely related: flagged; not/unlikely related: not
    assert car_t_adae["RELFL"].tolist() == [pd.NA, "Y", "Y", pd.NA, pd.NA]


def test_first_occurrence_flags_among_teaes(car_t_adae):
    # subject 1: the lymphodepletion-phase nausea does not count; the first TEAE is CRS
    # (imputed to 6 March); the second nausea is the first TEAE nausea
    assert car_t_adae["AOCCFL"].tolist() == [pd.NA, "Y", pd.NA, pd.NA, "Y"]
    assert car_t_adae["AOCCPFL"].tolist() == [pd.NA, "Y", "Y", "Y", "Y"]
    assert car_t_adae["AOCCSFL"].tolist() == [pd.NA, "Y", "Y", "Y", "Y"]


def test_adsl_variables_joined(car_t_adae):
    assert car_t_adae["AGE"].tolist() == [50.0] * 4 + [60.0]


@pytest.mark.parametrize("start_before_end, start_day", [(False, 1), (True, -2)])
def test_a_partial_start_is_imputed_no_later_than_the_end_when_asked(start_before_end, start_day):
    # Started some day in March, ended on 8 March, two days before the infusion on 10 March:
    # admiral's template imputes the infusion (ASTDY 1 > AENDY -2); bounded by the end, it is 8 March.
    ae = pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"], "AESEQ": [1.0], "AESTDTC": ["2024-03"],
                       "AEENDTC": ["2024-03-08"], "AETERM": ["A"], "AEDECOD": ["A"]})
    adsl = pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"], "TRTSDT": [pd.Timestamp("2024-03-10")],
                         "TRTSDTM": [pd.Timestamp("2024-03-10 10:00")],
                         "TRTEDT": [pd.Timestamp("2024-03-10")], "DTHDT": [pd.NaT], "EOSDT": [pd.NaT]})
    out = build_occds(ae, adsl, teae_window_days=None, start_before_end=start_before_end)
    assert out.loc[0, "ASTDY"] == start_day and out.loc[0, "AENDY"] == -2
    assert out.loc[0, "ASTDTF"] == "D" and pd.isna(out.loc[0, "TRTEMFL"])


# ---- the OCCDS structure on a study without CAR-T (melanoma) ---------------------------


def test_occds_on_melanoma_has_no_car_t_variable(melanoma_adam):
    adae = melanoma_adam["ADAE"]
    # built from the spec alone: no lymphodepletion phase, grading scale, CRS or ICANS
    assert not {"LDSTDT", "LDEMFL", "ATOXSCL", "CRSFL", "ICANSFL"} & set(adae.columns)
    assert len(adae) == 6


def test_occds_on_melanoma_dates_study_days_and_flags(melanoma_adam):
    adae = melanoma_adam["ADAE"].set_index("USUBJID")
    # fatigue from 5 Feb, first dose 22 Jan: day 15; ended 20 Feb: day 30
    row = adae.loc["PD1-MEL-301-101-001"]
    assert (row["ASTDY"], row["AENDY"], row["TRTEMFL"]) == (15, 30, "Y")
    # colitis 33 days after the first dose, 11 days after the second (and last) dose: within 30 days
    assert adae.loc["PD1-MEL-301-101-003", "TRTEMFL"] == "Y"
    # the serious colitis is the only serious event; every event is its subject's first TEAE
    assert adae["SERFL"].fillna("").tolist().count("Y") == 1
    assert adae["AOCCFL"].tolist() == ["Y"] * 6
    assert adae["ATOXGRN"].tolist() == [1, 2, 3, 1, 3, 1]
    # ADSL variables joined by subject
    assert adae.loc["PD1-MEL-301-101-002", "TRT01A"] == "Dacarbazine 1000 mg/m2 every 3 weeks"


def test_occds_reads_the_domain_its_spec_names():
    # Clinical events (CE) instead of AE: --STDTC/--ENDTC and --SEQ of that domain; the second
    # headache is not the first occurrence (ordered by ASTDTM, CESEQ)
    ce = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "1"], "CESEQ": [1.0, 2.0],
                       "CEDECOD": ["HEADACHE", "HEADACHE"], "CESTDTC": ["2024-03-08", "2024-03-07"],
                       "CEENDTC": ["2024-03-09", ""]})
    out = build_occds(ce, _car_t_adsl(), domain="CE", teae_window_days=None,
                      occurrence_flags={"AOCCPFL": ["USUBJID", "CEDECOD"]})
    assert out["ASTDY"].tolist() == [3, 2] and out["AENDY"].tolist()[0] == 4
    assert out["AOCCPFL"].tolist() == [pd.NA, "Y"]
