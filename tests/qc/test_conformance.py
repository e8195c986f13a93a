"""Each conformance rule on a small study where it holds and one where it fails."""

import pandas as pd
import pytest

from qc.conformance import RULES
from qc.rules import run_rules

BY_ID = {rule.id: rule for rule in RULES}


def run(rule_id, **datasets):
    findings, runs, _ = run_rules(datasets, [BY_ID[rule_id]])
    return findings, runs


def dm(**extra):
    base = {"USUBJID": ["S1", "S2"], "RFSTDTC": ["2024-05-14", "2024-06-01"],
            "RFXSTDTC": ["2024-05-09", "2024-05-27"], "RFXENDTC": ["2024-05-14", "2024-06-01"],
            "DTHFL": ["", ""], "DTHDTC": ["", ""]}
    return pd.DataFrame(base | extra)


def test_every_rule_is_declared_once_with_a_known_severity():
    assert len(BY_ID) == len(RULES)
    assert {r.severity for r in RULES} <= {"error", "warning", "notice"}


def test_subject_in_dm():
    # Holds: every AE subject is in DM.
    ae = pd.DataFrame({"USUBJID": ["S1", "S2"], "AESEQ": [1.0, 1.0]})
    assert run("XD-SUBJ-IN-DM", DM=dm(), AE=ae)[0] == []
    # Fails: S9 has an AE but no DM record.
    ae = pd.DataFrame({"USUBJID": ["S1", "S9"], "AESEQ": [1.0, 1.0]})
    (finding,), _ = run("XD-SUBJ-IN-DM", DM=dm(), AE=ae)
    assert (finding.rule, finding.dataset, finding.usubjid, finding.row, finding.seq) == (
        "XD-SUBJ-IN-DM", "AE", "S9", 2, 1.0)


def test_subject_in_dm_not_run_without_dm():
    # No DM at all: NOT RUN with the reason, never passed.
    _, (run_,) = run("XD-SUBJ-IN-DM", AE=pd.DataFrame({"USUBJID": ["S1"]}))
    assert run_.status == "not run" and "DM" in run_.reason


def test_subject_in_adsl():
    adsl = pd.DataFrame({"USUBJID": ["S1"]})
    assert run("XD-SUBJ-IN-ADSL", ADSL=adsl, ADAE=pd.DataFrame({"USUBJID": ["S1"]}))[0] == []
    (finding,), _ = run("XD-SUBJ-IN-ADSL", ADSL=adsl, ADAE=pd.DataFrame({"USUBJID": ["S1", "S2"]}))
    assert (finding.dataset, finding.usubjid, finding.row) == ("ADAE", "S2", 2)


def test_study_day():
    # Holds: day after RFSTDTC is 2, the day before is -1, a partial date is not judged.
    ae = pd.DataFrame({"USUBJID": ["S1", "S1", "S1"], "AESEQ": [1.0, 2.0, 3.0],
                       "AESTDTC": ["2024-05-15", "2024-05-13", "2024-05"],
                       "AESTDY": [2.0, -1.0, 5.0]})
    assert run("XD-DY", DM=dm(), AE=ae)[0] == []
    # Fails: day 0, and a day that does not match the dates (RFSTDTC itself is day 1).
    ae = pd.DataFrame({"USUBJID": ["S1", "S1"], "AESEQ": [1.0, 2.0],
                       "AESTDTC": ["2024-05-13", "2024-05-14"], "AESTDY": [0.0, 2.0]})
    findings, _ = run("XD-DY", DM=dm(), AE=ae)
    assert [(f.variable, f.row, f.value) for f in findings] == [("AESTDY", 1, "0"), ("AESTDY", 2, "2")]
    assert "give 1" in findings[1].message


def test_seq_unique_across_split_datasets():
    # Holds: LBCH and LBHE number one LB domain without repeats.
    lbch = pd.DataFrame({"DOMAIN": ["LB"], "USUBJID": ["S1"], "LBSEQ": [1.0]})
    lbhe = pd.DataFrame({"DOMAIN": ["LB"], "USUBJID": ["S1"], "LBSEQ": [2.0]})
    assert run("XD-SEQ-UNIQUE", LBCH=lbch, LBHE=lbhe)[0] == []
    # Fails: the same LBSEQ in both parts of the split domain.
    lbhe = pd.DataFrame({"DOMAIN": ["LB"], "USUBJID": ["S1"], "LBSEQ": [1.0]})
    findings, _ = run("XD-SEQ-UNIQUE", LBCH=lbch, LBHE=lbhe)
    assert sorted((f.dataset, f.row, f.seq) for f in findings) == [("LBCH", 1, 1.0), ("LBHE", 1, 1.0)]


def ae_frame(**columns):
    return pd.DataFrame({"DOMAIN": "AE", "USUBJID": ["S1"], "AESEQ": [1.0]} | columns)


def test_serious_ae_has_a_criterion():
    # Holds: serious because of hospitalisation.
    ae = ae_frame(AESER=["Y"], AESHOSP=["Y"], AESDTH=["N"])
    assert run("XD-AESER-CRITERION", AE=ae)[0] == []
    # Fails: serious, but no criterion is Y.
    ae = ae_frame(AESER=["Y"], AESHOSP=["N"], AESDTH=[""])
    (finding,), (run_,) = run("XD-AESER-CRITERION", AE=ae)
    assert (finding.rule, finding.row, finding.usubjid) == ("XD-AESER-CRITERION", 1, "S1")
    assert run_.p21_id == "SD0009" and "AESLIFE" in run_.reason  # partial criteria are noted


def test_aesdth_iff_fatal():
    # Holds: death with a fatal outcome, and a recovered non-fatal AE.
    ae = pd.DataFrame({"DOMAIN": "AE", "USUBJID": ["S1", "S1"], "AESEQ": [1.0, 2.0],
                       "AESDTH": ["Y", "N"], "AEOUT": ["FATAL", "RECOVERED/RESOLVED"]})
    assert run("XD-AESDTH-AEOUT", AE=ae)[0] == []
    # Fails both ways: fatal outcome without AESDTH, AESDTH without fatal outcome.
    ae = ae.assign(AESDTH=["N", "Y"])
    findings, _ = run("XD-AESDTH-AEOUT", AE=ae)
    assert [f.row for f in findings] == [1, 2]


def test_death_consistent_across_dm_ds_ae():
    dead = dm(DTHFL=["Y", ""], DTHDTC=["2024-07-01", ""])
    ds = pd.DataFrame({"DOMAIN": "DS", "USUBJID": ["S1"], "DSSEQ": [1.0], "DSDECOD": ["DEATH"]})
    ae = ae_frame(AESDTH=["Y"])
    # Holds: S1 dies in DM, DS and AE alike.
    findings, runs = run("XD-DEATH", DM=dead, DS=ds, AE=ae)
    assert findings == [] and {r.status for r in runs} == {"passed"}
    # Fails: DM says nobody died.
    findings, _ = run("XD-DEATH", DM=dm(), DS=ds, AE=ae)
    assert sorted((f.dataset, f.row) for f in findings) == [("AE", 1), ("DS", 1)]
    # Fails: DTHFL without DTHDTC and without a DS death record.
    findings, _ = run("XD-DEATH", DM=dm(DTHFL=["", "Y"]), DS=ds.iloc[0:0], AE=ae.iloc[0:0])
    assert [(f.dataset, f.usubjid) for f in findings] == [("DM", "S2"), ("DM", "S2")]


def test_exposure_within_reference_period():
    # Holds: lymphodepletion on RFXSTDTC, infusion on RFXENDTC.
    ex = pd.DataFrame({"DOMAIN": "EX", "USUBJID": ["S1", "S1"], "EXSEQ": [1.0, 2.0],
                       "EXSTDTC": ["2024-05-09", "2024-05-14"], "EXENDTC": ["2024-05-11", "2024-05-14"]})
    assert run("XD-EX-IN-RFX", DM=dm(), EX=ex)[0] == []
    # Fails: an exposure after RFXENDTC.
    ex.loc[1, "EXSTDTC"] = ex.loc[1, "EXENDTC"] = "2024-05-20"
    (finding,), _ = run("XD-EX-IN-RFX", DM=dm(), EX=ex)
    assert (finding.row, finding.seq, finding.value) == (2, 2.0, "2024-05-20")


def test_supp_resolves_to_parent():
    ae = ae_frame()
    # Holds: IDVARVAL "1" names AESEQ 1.0 of S1.
    supp = pd.DataFrame({"RDOMAIN": ["AE"], "USUBJID": ["S1"], "IDVAR": ["AESEQ"], "IDVARVAL": ["1"],
                         "QNAM": ["AETRTEM"], "QVAL": ["Y"]})
    assert run("XD-SUPP-PARENT", AE=ae, SUPPAE=supp)[0] == []
    # Fails: AESEQ 7 does not exist.
    (finding,), _ = run("XD-SUPP-PARENT", AE=ae, SUPPAE=supp.assign(IDVARVAL=["7"]))
    assert (finding.dataset, finding.row, finding.value) == ("SUPPAE", 1, "7")
    assert "no AE record with AESEQ = 7" in finding.message


def test_relrec_resolves():
    ae = ae_frame()
    relrec = pd.DataFrame({"RDOMAIN": ["AE", "AE"], "USUBJID": ["S1", ""], "IDVAR": ["AESEQ", "AESPID"],
                           "IDVARVAL": ["1", ""], "RELID": ["R1", "R2"]})
    # Holds: a record relationship and a dataset relationship (AESPID is a variable of AE).
    assert run("XD-RELREC", AE=ae.assign(AESPID=["E1"]), RELREC=relrec)[0] == []
    # Fails: AE has no AESPID, so the dataset-level relationship does not resolve.
    (finding,), _ = run("XD-RELREC", AE=ae, RELREC=relrec)
    assert (finding.row, finding.variable) == (2, "IDVAR")


def test_adam_source_resolves():
    ae = ae_frame()
    adtte = pd.DataFrame({"USUBJID": ["S1"], "PARAMCD": ["TTAE"], "SRCDOM": ["AE"],
                          "SRCVAR": ["AESTDTC"], "SRCSEQ": [1.0]})
    # Holds: AE record 1 exists and AESTDTC is an AE variable.
    assert run("XD-ADAM-SOURCE", AE=ae.assign(AESTDTC=["2024-05-20"]), ADTTE=adtte)[0] == []
    # Fails: SRCSEQ 2 does not exist, SRCVAR is unknown.
    findings, _ = run("XD-ADAM-SOURCE", AE=ae.assign(AESTDTC=["2024-05-20"]),
                      ADTTE=pd.concat([adtte, adtte.assign(SRCSEQ=[2.0]), adtte.assign(SRCVAR=["XX"])],
                                      ignore_index=True))
    assert [f.row for f in findings] == [2, 3]


def test_adam_source_notes_unavailable_sources():
    # The source domain is not among the datasets: the run passes only with a note saying so.
    adtte = pd.DataFrame({"USUBJID": ["S1"], "SRCDOM": ["AE"], "SRCVAR": ["AESTDTC"], "SRCSEQ": [1.0]})
    _, (run_,) = run("XD-ADAM-SOURCE", ADTTE=adtte)
    assert "AE" in run_.reason


def test_adsl_equals_dm():
    adsl = pd.DataFrame({"USUBJID": ["S1", "S2"], "AGE": [54.0, 61.0], "SEX": ["F", "F"]})
    demo = dm(AGE=[54.0, 61.0], SEX=["F", "F"])
    assert run("XD-ADSL-DM", ADSL=adsl, DM=demo)[0] == []
    # Fails: ADSL.AGE of S2 differs from DM.AGE.
    (finding,), _ = run("XD-ADSL-DM", ADSL=adsl.assign(AGE=[54.0, 62.0]), DM=demo)
    assert (finding.variable, finding.usubjid, finding.value) == ("AGE", "S2", "62")


def test_treatment_emergent_flag():
    adsl = pd.DataFrame({"USUBJID": ["S1"], "TRTSDT": pd.to_datetime(["2024-05-14"]),
                         "TRTEDT": pd.to_datetime(["2024-05-14"])})
    adae = pd.DataFrame({"USUBJID": ["S1", "S1"], "ASTDT": pd.to_datetime(["2024-05-14", "2024-05-01"]),
                         "AENDT": pd.to_datetime(["2024-05-20", "2024-05-02"]), "TRTEMFL": ["Y", ""]})
    # Holds: the AE on the infusion day is emergent, one that ended before is not.
    assert run("XD-TRTEMFL", ADSL=adsl, ADAE=adae)[0] == []
    # Fails: flags swapped.
    findings, _ = run("XD-TRTEMFL", ADSL=adsl, ADAE=adae.assign(TRTEMFL=["", "Y"]))
    assert [f.row for f in findings] == [1, 2]


def test_treatment_emergent_flag_compares_date_times():
    # admiral derive_var_trtemfl, first rule first; S1 is infused on 14 May at 10:00
    adsl = pd.DataFrame({"USUBJID": ["S1"], "TRTSDTM": pd.to_datetime(["2024-05-14 10:00"]),
                         "TRTSDT": pd.to_datetime(["2024-05-14"]), "TRTEDT": pd.to_datetime(["2024-05-14"])})
    rows = [
        # (start, end, TRTEMFL)
        ("2024-05-14 08:00", None, ""),  # AE at 08:00 before the 10:00 infusion: not emergent
        ("2024-05-14 10:00", None, "Y"),  # start without time on the infusion day, imputed to 10:00
        ("2024-05-14 10:00", "2024-05-12 23:59:59", ""),  # "2024-05" imputed to the infusion, but it
        # ended on 12 May: the end-before-treatment rule comes first
        (None, None, "Y"),  # start unknown: emergent
    ]
    adae = pd.DataFrame(rows, columns=["ASTDTM", "AENDTM", "TRTEMFL"]).assign(USUBJID="S1")
    adae[["ASTDTM", "AENDTM"]] = adae[["ASTDTM", "AENDTM"]].apply(pd.to_datetime)
    adae["ASTDT"] = adae["ASTDTM"].dt.normalize()
    assert run("XD-TRTEMFL", ADSL=adsl, ADAE=adae)[0] == []
    # Fails: every flag flipped; the AE before the infusion is not judged (a worsening after the
    # infusion could make it emergent).
    findings, _ = run("XD-TRTEMFL", ADSL=adsl, ADAE=adae.assign(TRTEMFL=["Y", "", "Y", ""]))
    assert [(f.row, f.message) for f in findings] == [
        (2, "ASTDTM within treatment but TRTEMFL not Y (ASTDTM 2024-05-14T10:00)"),
        (3, "TRTEMFL = Y but the event ended before TRTSDTM (ASTDTM 2024-05-14T10:00)"),
        (4, "ASTDTM missing but TRTEMFL not Y (ASTDTM missing)"),
    ]


def test_paramcd_param_one_to_one():
    adlb = pd.DataFrame({"USUBJID": ["S1"] * 3, "PARAMCD": ["ALT", "ALT", "AST"],
                         "PARAM": ["Alanine (U/L)", "Alanine (U/L)", "Aspartate (U/L)"]})
    assert run("DS-PARAM-1TO1", ADLB=adlb)[0] == []
    # Fails: one PARAMCD with two PARAM texts; one finding per conflicting pair.
    findings, _ = run("DS-PARAM-1TO1", ADLB=adlb.assign(PARAM=["Alanine (U/L)", "ALT", "Aspartate (U/L)"]))
    assert [(f.row, f.value) for f in findings] == [(1, "ALT"), (2, "ALT")]


@pytest.mark.parametrize("avalc, bad_row", [(["CR", "PR", "CR"], None), (["CR", "PR", "PR"], 3)])
def test_avalc_consistent_with_aval(avalc, bad_row):
    # Within BOR, CR is 1 and PR is 2; a PR coded 1 is inconsistent.
    adrs = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "PARAMCD": "BOR", "AVAL": [1.0, 2.0, 1.0],
                         "AVALC": avalc})
    findings, _ = run("DS-AVALC-AVAL", ADRS=adrs)
    assert [f.row for f in findings if f.row == bad_row] == ([] if bad_row is None else [bad_row])
    assert bool(findings) == (bad_row is not None)


def test_text_is_ascii():
    # Holds: ASCII text, numbers and missing values.
    ts = pd.DataFrame({"TSSEQ": [1.0, 2.0], "TSPARMCD": ["TITLE", "INDIC"],
                       "TSVAL": ["Alzheimer's Disease", None]})
    findings, (run_,) = run("DS-ASCII", TS=ts)
    assert findings == [] and run_.status == "passed" and run_.p21_id == "SD1029"
    # Fails: the Windows apostrophe of the CDISC pilot's ts.xpt, and an accent; each value is
    # named with its non-ASCII characters and their code points.
    findings, _ = run("DS-ASCII", TS=ts.assign(TSVAL=["Alzheimer’s Disease", "Café"]))
    assert [(f.dataset, f.variable, f.row, f.seq, f.value) for f in findings] == [
        ("TS", "TSVAL", 1, 1.0, "Alzheimer’s Disease"), ("TS", "TSVAL", 2, 2.0, "Café")]
    assert findings[0].message == ("TSVAL has non-ASCII characters: ’ (U+2019) (XPT v5 for the FDA "
                                   "is ASCII only)")
