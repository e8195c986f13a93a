"""Each conformance rule on a small study where it holds and one where it fails."""

import pandas as pd

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


def ae_frame(**columns):
    return pd.DataFrame({"DOMAIN": "AE", "USUBJID": ["S1"], "AESEQ": [1.0]} | columns)


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
