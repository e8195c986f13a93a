import pandas as pd
import pytest

from adam.adsl import (
    build_adsl,
    combine_supp,
    compute_agegr,
    compute_eosstt,
    derive_var_extreme_dt,
    derive_vars_declared_dates,
    derive_vars_declared_flags,
    derive_vars_exposure_period,
    derive_vars_merged,
)


def _ts(values):
    return pd.Series(pd.to_datetime(values, format="ISO8601"), dtype="datetime64[ns]")


# ---- pharmaverse reference: same builder, admiral template parameters ----------------

ADSL_KEYS = [
    "TRTSDT",
    "TRTEDT",
    "TRTSDTM",
    "TRTEDTM",
    "TRTSTMF",
    "TRTETMF",
    "TRTDURD",
    "DTHDT",
    "DTHDTF",
    "DTHFL",
    "LSTALVDT",
    "EOSDT",
    "EOSSTT",
    "RANDDT",
    "SAFFL",
    "AGEGR1",
]


@pytest.fixture(scope="module")
def adsl_vs_reference(pharmaversesdtm, pharmaverseadam):
    sdtm = {name: pharmaversesdtm(name) for name in ("dm", "ex", "ds", "ae", "lb")}
    # admiral's template: valid doses (EXDOSE > 0 or placebo), LSTALVDT from AE start/end,
    # LB and TRTEDT, age groups <18 / 18-64 / >64 — all builder defaults.
    ours = build_adsl(sdtm["dm"], sdtm["ex"], sdtm["ds"], ae=sdtm["ae"], lb=sdtm["lb"])
    reference = pharmaverseadam("adsl")
    merged = ours.merge(reference, on="USUBJID", how="outer", suffixes=("", "_REF"), indicator=True)
    return merged


def test_adsl_has_one_record_per_reference_subject(adsl_vs_reference):
    assert len(adsl_vs_reference) == 306
    assert (adsl_vs_reference["_merge"] == "both").all()


@pytest.mark.parametrize("variable", ADSL_KEYS)
def test_adsl_agrees_with_pharmaverseadam(adsl_vs_reference, differs, variable):
    merged = adsl_vs_reference
    disagree = differs(merged[variable], merged[f"{variable}_REF"])
    # no documented divergence: every subject must agree
    assert merged.loc[disagree, ["USUBJID", variable, f"{variable}_REF"]].empty


def test_adsl_reference_comparison_is_not_vacuous(adsl_vs_reference):
    # the comparison covers real values: treated subjects, deaths, randomised subjects
    counts = adsl_vs_reference[["TRTSDT", "DTHDT", "RANDDT", "LSTALVDT"]].notna().sum()
    assert counts.to_dict() == {"TRTSDT": 254, "DTHDT": 3, "RANDDT": 254, "LSTALVDT": 254}


# ---- small tables: CAR-T parameters ------------------------------------------------

CART = "EXTRT.str.contains('CAR-T')"
LYMPHODEPLETION = "EXTRT in ['FLUDARABINE', 'CYCLOPHOSPHAMIDE']"


def _ex():
    rows = [
        # subject 1: Flu/Cy on days -5..-3, infusion with time on day 0
        ("1", 1, "FLUDARABINE", 30.0, "2024-03-01", "2024-03-01"),
        ("1", 2, "CYCLOPHOSPHAMIDE", 500.0, "2024-03-01", "2024-03-01"),
        ("1", 3, "FLUDARABINE", 30.0, "2024-03-03", "2024-03-03"),
        ("1", 4, "ANTI-MESO CAR-T CELLS", 1.0, "2024-03-06T10:15", "2024-03-06T10:40"),
        # subject 2: lymphodepleted but never infused
        ("2", 1, "FLUDARABINE", 30.0, "2024-04-01", "2024-04-01"),
        # subject 3: infusion with a partial date: not a usable start (no imputation)
        ("3", 1, "ANTI-MESO CAR-T CELLS", 1.0, "2024-05", "2024-05"),
    ]
    frame = pd.DataFrame(rows, columns=["USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXSTDTC", "EXENDTC"])
    return frame.assign(STUDYID="S")


def _subjects():
    return pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2", "3"]})


def test_car_t_treatment_is_the_infusion():
    got = derive_vars_exposure_period(_subjects(), _ex(), filter_ex=CART)
    # infusion start and end time kept (end seconds imputed to :59, as admiral's
    # time_imputation="last"); TRTSDT = TRTEDT = infusion date
    assert got["TRTSDTM"].tolist()[0] == pd.Timestamp("2024-03-06 10:15")
    assert got["TRTEDTM"].tolist()[0] == pd.Timestamp("2024-03-06 10:40:59")
    assert got["TRTSDT"].iloc[0] == got["TRTEDT"].iloc[0] == pd.Timestamp("2024-03-06")
    # collected times: no time imputation flag
    assert got["TRTSTMF"].isna().iloc[0]
    # never infused, or infusion date partial: no treatment dates
    assert got["TRTSDT"].iloc[1:].isna().all()


def test_lymphodepletion_period_from_its_own_filter():
    got = derive_vars_exposure_period(
        _subjects(), _ex(), filter_ex=LYMPHODEPLETION, start_var="LDSTDTM", end_var="LDENDTM"
    )
    assert got["LDSTDT"].tolist()[:2] == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-04-01")]
    # date-only end imputed to the end of the day, flagged H
    assert got["LDENDTM"].iloc[0] == pd.Timestamp("2024-03-03 23:59:59")
    assert got["LDENTMF"].iloc[0] == "H"
    assert got["LDSTDT"].isna().iloc[2]


def test_build_adsl_car_t():
    dm = pd.DataFrame(
        {
            "STUDYID": "S",
            "DOMAIN": "DM",
            "USUBJID": ["1", "2", "3"],
            "AGE": [45.0, 70.0, None],
            "ARM": "Flu/Cy then CAR-T",
            "ACTARM": ["Flu/Cy then CAR-T", "Flu/Cy then CAR-T", ""],
            "DTHDTC": ["2024-06", "", ""],
            "DTHFL": ["Y", "", ""],
        }
    )
    ds = pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["1", "2"],
            "DSCAT": "DISPOSITION EVENT",
            "DSDECOD": ["DEATH", "WITHDRAWAL BY SUBJECT"],
            "DSSTDTC": ["2024-06-20", "2024-04-02"],
        }
    )
    ae = pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["1", "1"],
            "AESTDTC": ["2024-03-07", "2024-05"],
            "AEENDTC": ["2024-03-09", ""],
        }
    )
    cm = pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["1", "1"],
            "CMCAT": ["NEW ANTICANCER THERAPY", "CONCOMITANT"],
            "CMSTDTC": ["2024-05-10", "2024-03-02"],
        }
    )
    tu = pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["1", "2", "3", "3"],
            "TUSTRESC": ["TARGET", "TARGET", "NON-TARGET", "TARGET"],
            "VISIT": ["SCREENING", "SCREENING", "SCREENING", "MONTH 3"],
        }
    )
    got = build_adsl(
        dm,
        _ex(),
        ds,
        ae=ae,
        cm=cm,
        treatment_filter=CART,
        lymphodepletion_filter=LYMPHODEPLETION,
        randomization_filter=None,
        age_groups=[[18, 64, "<65"], [65, 120, ">=65"]],
        last_alive_dtc=[["ae", "AESTDTC"], ["ae", "AEENDTC"], ["ds", "DSSTDTC", "DSDECOD != 'DEATH'"]],
        new_therapy_filter="CMCAT == 'NEW ANTICANCER THERAPY'",
        evaluable_filter="TUSTRESC == 'TARGET' and VISIT == 'SCREENING'",
        tu=tu,
    ).set_index("USUBJID")
    # safety population = infused subjects (subject 3's infusion record exists)
    assert got["SAFFL"].tolist() == ["Y", "N", "Y"]
    assert got.loc["1", "TRTSDT"] == got.loc["1", "TRTEDT"] == pd.Timestamp("2024-03-06")
    assert got.loc["1", "TRTDURD"] == 1
    assert got.loc["1", "LDSTDT"] == pd.Timestamp("2024-03-01")
    # partial death date imputed to the first of the month, flagged D
    assert got.loc["1", "DTHDT"] == pd.Timestamp("2024-06-01")
    assert got.loc["1", "DTHDTF"] == "D"
    # last known alive: latest of AE start/end (partial "2024-05" → 1 May) and disposition
    # dates, but the disposition "DEATH" (the date of death) is left out by its condition
    assert got.loc["1", "LSTALVDT"] == pd.Timestamp("2024-05-01")
    assert got.loc["2", "LSTALVDT"] == pd.Timestamp("2024-04-02")
    # death is a discontinuation; no disposition record yet: ongoing
    assert got["EOSSTT"].tolist() == ["DISCONTINUED", "DISCONTINUED", "ONGOING"]
    # a missing age gets no group: "Missing" is no AGEGR1 term
    assert got["AGEGR1"].tolist()[:2] == ["<65", ">=65"]
    assert pd.isna(got.loc["3", "AGEGR1"])
    # response-evaluable: 1 infused with a baseline target; 2 has a target but no infusion;
    # 3 is infused (partial date, still SAFFL = Y) but its only target lesion is not at baseline
    assert got["RSEVALFL"].tolist() == ["Y", "N", "N"]
    assert got.loc["1", "NACTDT"] == pd.Timestamp("2024-05-10")
    assert pd.isna(got.loc["2", "NACTDT"])
    assert pd.isna(got.loc["3", "TRT01A"])  # blank ACTARM read as missing
    assert "RANDDT" not in got


def test_compute_eosstt():
    status = pd.Series(["COMPLETED", "ADVERSE EVENT", "SCREEN FAILURE", None])
    # completed; any other reason discontinued; screen failures not applicable; no record ongoing
    assert compute_eosstt(status).tolist() == ["COMPLETED", "DISCONTINUED", pd.NA, "ONGOING"]


def test_compute_agegr_bounds_inclusive():
    ages = pd.Series([17.0, 18.0, 64.0, 65.0, None])
    assert compute_agegr(ages).tolist()[:4] == ["<18", "18-64", "18-64", ">64"]
    # missing age: no group by default, admiral's "Missing" on request
    assert pd.isna(compute_agegr(ages).iloc[4])
    assert compute_agegr(ages, missing_label="Missing").iloc[4] == "Missing"


def test_derive_var_extreme_dt_imputes_partial_dates_to_first():
    subjects = _subjects()
    lb = pd.DataFrame(
        {"STUDYID": "S", "USUBJID": ["1", "1", "2"], "LBDTC": ["2024-07", "2024-06-30T08:00", "2024"]}
    )
    got = derive_var_extreme_dt(subjects, "LSTALVDT", sources=[(lb, "LBDTC")])
    # "2024-07" counts as 1 July, later than the complete 30 June;
    # admiral's "M" imputes month and day, so "2024" counts as 1 January 2024
    assert got["LSTALVDT"].tolist()[:2] == [pd.Timestamp("2024-07-01"), pd.Timestamp("2024-01-01")]
    assert pd.isna(got["LSTALVDT"].iloc[2])


def test_derive_vars_merged_needs_order_for_several_records():
    # two disposition events for one subject without an order is ambiguous
    ds = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "1"], "DSSTDTC": ["2024-01-01", "2024-02-01"]})
    with pytest.raises(ValueError, match="more than one record"):
        derive_vars_merged(_subjects(), ds, ["STUDYID", "USUBJID"], {"EOSDTC": "DSSTDTC"})
    got = derive_vars_merged(
        _subjects(), ds, ["STUDYID", "USUBJID"], {"EOSDTC": "DSSTDTC"}, order=["DSSTDTC"], mode="last"
    )
    assert got["EOSDTC"].tolist()[0] == "2024-02-01"


def test_combine_supp_by_idvar_and_subject():
    ae = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "1"], "AESEQ": [1.0, 2.0]})
    supp = pd.DataFrame(
        {
            "STUDYID": "S",
            "RDOMAIN": "AE",
            "USUBJID": ["1", "1"],
            "IDVAR": ["AESEQ", ""],
            "IDVARVAL": ["2", ""],
            "QNAM": ["AEGRSCL", "SUBJQ"],
            "QVAL": ["ASTCT 2019", "X"],
        }
    )
    got = combine_supp(ae, supp)
    # record-level qualifier matched on AESEQ (numeric vs text); subject-level on all records
    assert got["AEGRSCL"].isna().iloc[0]
    assert got["AEGRSCL"].iloc[1] == "ASTCT 2019"
    assert got["SUBJQ"].tolist() == ["X", "X"]


def test_build_adsl_names_a_missing_source_dataset():
    dm = pd.DataFrame(
        {"STUDYID": "S", "USUBJID": ["1"], "AGE": [40.0], "ARM": "A", "ACTARM": "A", "DTHDTC": ""}
    )
    ds = pd.DataFrame(
        {"STUDYID": "S", "USUBJID": ["1"], "DSCAT": "X", "DSDECOD": "X", "DSSTDTC": "2024-01-01"}
    )
    # the default last-alive sources read AE and LB, which were not given
    with pytest.raises(ValueError, match=r"\['ae', 'lb'\]"):
        build_adsl(dm, _ex(), ds)
    # the response-evaluable flag reads TU
    with pytest.raises(ValueError, match=r"\['tu'\]"):
        build_adsl(dm, _ex(), ds, last_alive_dtc=[], evaluable_filter="TUSTRESC == 'TARGET'")
    # a last-alive source must be a dataset build_adsl reads
    with pytest.raises(ValueError, match=r"the parameters name \[.xx.\]"):
        build_adsl(dm, _ex(), ds, last_alive_dtc=[["xx", "XXDTC"]])


# ---- subject-level variables the spec declares: dates and population flags ------------------


def _subjects():
    return pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2", "3"], "SAFFL": ["Y", "Y", "N"]})


def _ds_milestones():
    return pd.DataFrame({
        "STUDYID": "S", "USUBJID": ["1", "1", "2", "2"],
        "DSDECOD": ["RANDOMIZED", "COMPLETED", "RANDOMIZED", "RANDOMIZED"],
        "DSSTDTC": ["2024-01-05", "2024-06-01", "2024-02-10", "2024-02"],
    })


def test_declared_dates_first_or_last_record_meeting_the_filter():
    frames = {"ds": _ds_milestones()}
    got = derive_vars_declared_dates(_subjects(), {
        # subject 2 was randomised twice: the first date, its partial one not imputed (no imputation)
        "RANDDT": {"dataset": "ds", "date": "DSSTDTC", "filter": "DSDECOD == 'RANDOMIZED'"},
        # the last of any record, a partial date imputed to the first of the month
        "LASTDSDT": {"dataset": "ds", "date": "DSSTDTC", "mode": "last", "imputation": "M"},
    }, frames).set_index("USUBJID")
    assert got["RANDDT"].tolist()[:2] == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-02-10")]
    assert got.loc["2", "LASTDSDT"] == pd.Timestamp("2024-02-10")
    # subject 3 has no DS record: no date
    assert pd.isna(got.loc["3", "RANDDT"]) and pd.isna(got.loc["3", "LASTDSDT"])


def test_declared_flags_are_y_or_n_and_may_use_the_flags_before_them():
    got = derive_vars_declared_flags(_subjects(), {
        # exists in DS (admiral derive_var_merged_exist_flag): subject 3 has no DS record at all
        "ITTFL": {"dataset": "ds", "condition": "DSDECOD == 'RANDOMIZED'"},
        # a condition on the subject's own record, using ITTFL declared just before
        "EFFFL": "ITTFL == 'Y' and SAFFL == 'Y'",
        # a completion record: subject 2 has DS records, none of them meets it
        "COMPLFL": {"dataset": "ds", "condition": "DSDECOD == 'COMPLETED'"},
    }, {"ds": _ds_milestones()})
    assert got["ITTFL"].tolist() == ["Y", "Y", "N"]
    assert got["EFFFL"].tolist() == ["Y", "Y", "N"]
    assert got["COMPLFL"].tolist() == ["Y", "N", "N"]


def test_an_adsl_without_lymphodepletion_from_spec_alone(melanoma_adam):
    # melanoma: two randomised arms, no lymphodepletion (no LDSTDT/LDENDT anywhere), ITTFL declared
    adsl = melanoma_adam["ADSL"].set_index("SUBJID")
    assert not {"LDSTDT", "LDENDT", "RSEVALFL", "NACTDT"} & set(adsl.columns)
    assert adsl.loc["101-001", "RANDDT"] == pd.Timestamp("2024-01-20")
    assert adsl.loc["101-001", "TRTSDT"] == pd.Timestamp("2024-01-22")
    assert adsl.loc["101-001", "TRTEDT"] == pd.Timestamp("2024-03-25")
    assert adsl.loc["101-001", "TRTDURD"] == 64
    # 101-004 was randomised to dacarbazine and withdrew before any dose: in ITT, not in safety
    assert adsl.loc["101-004", ["ITTFL", "SAFFL", "TRT01P"]].tolist() == [
        "Y", "N", "Dacarbazine 1000 mg/m2 every 3 weeks"]
    assert pd.isna(adsl.loc["101-004", "TRT01A"]) and pd.isna(adsl.loc["101-004", "TRTSDT"])
    assert adsl["ITTFL"].tolist() == ["Y"] * 8
    # 102-002 died on 20 April; the disposition DEATH does not count as a last alive date
    assert adsl.loc["102-002", ["DTHFL", "EOSSTT"]].tolist() == ["Y", "DISCONTINUED"]
    assert adsl.loc["102-002", "DTHDT"] == pd.Timestamp("2024-04-20")
    assert adsl.loc["102-002", "LSTALVDT"] < adsl.loc["102-002", "DTHDT"]
