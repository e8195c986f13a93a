import dataclasses

import pandas as pd
import pytest

from adam.sources import (
    LAST_ADEQUATE_CENSOR,
    PD_EVENT,
    CensorSource,
    EventSource,
    bor_events,
    compute_condition,
    confirmed_bor_events,
    describe_events,
    start_censor,
)


def test_compute_condition_query_callable_and_none():
    data = pd.DataFrame({"PARAMCD": ["PD", "PD", "OVR"], "AVALC": ["Y", None, "Y"]})
    # query string: a missing AVALC compares as False
    assert compute_condition(data, "PARAMCD == 'PD' and AVALC == 'Y'").tolist() == [
        True,
        False,
        False,
    ]

    def is_ovr(frame):
        """Overall response records"""
        return frame["PARAMCD"] == "OVR"

    # callable
    assert compute_condition(data, is_ovr).tolist() == [False, False, True]
    # no filter: every record
    assert compute_condition(data, None).tolist() == [True, True, True]


def test_event_and_censor_values_are_checked():
    # an event must have CNSR 0
    with pytest.raises(ValueError, match="censor must be 0"):
        EventSource(dataset_name="adrs", date="ADT", censor=1, evntdesc="PD")
    # a censoring must have a positive CNSR
    with pytest.raises(ValueError, match="positive"):
        CensorSource(dataset_name="adsl", date="LSTALVDT", censor=0, evntdesc="Alive")
    # a censoring may use another positive value
    assert CensorSource(dataset_name="adsl", date="EOSDT", censor=2).censor == 2


def test_sources_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PD_EVENT.date = "ASTDT"


def test_describe_names_kind_date_and_filter():
    text = PD_EVENT.describe()
    assert text.startswith("Event (CNSR = 0): Disease Progression, date ADRS.ADT")
    assert "PARAMCD == 'PD'" in text
    # a prepared dataset is explained by its method text, not its internal name
    assert "last adequate assessment" in LAST_ADEQUATE_CENSOR.describe()
    assert "adequate" not in LAST_ADEQUATE_CENSOR.describe().split("(")[0]
    assert start_censor("RANDDT", "Randomization").describe() == (
        "Censored (CNSR = 1): Randomization, date ADSL.RANDDT from dataset adsl."
    )

    def before_cutoff(frame):
        """Records before the data cut-off"""
        return frame["ADT"] < pd.Timestamp("2024-01-01")

    source = CensorSource(dataset_name="adrs", date="ADT", filter=before_cutoff, evntdesc="X")
    assert "where Records before the data cut-off" in source.describe()


def test_response_rules_describe_their_parameters():
    text = describe_events(confirmed_bor_events(confirmation_days=21, sd_min_days=35))
    lines = text.splitlines()
    # one numbered line per rule, in order of evaluation
    assert [line.split(":")[0] for line in lines[1:]] == [
        "1. CR",
        "2. PR",
        "3. SD",
        "4. NON-CR/NON-PD",
        "5. PD",
        "6. NE",
        "7. MISSING",
    ]
    assert "CR followed by CR at least 21 days later, at most 1 NE in between" in lines[1]
    assert "and no PR after CR" in lines[2]
    assert "at least 35 days after the reference date" in lines[3]
    # unconfirmed BOR has no confirmation text
    assert "followed by" not in describe_events(bor_events())


def test_a_query_the_data_cannot_answer_names_the_query():
    # A misspelt variable in a spec's condition: a clear error, not a pandas traceback.
    import pytest

    from specs.errors import InputError

    with pytest.raises(InputError, match="the condition `AVALX > 1` cannot be evaluated"):
        compute_condition(pd.DataFrame({"AVAL": [1.0]}), "AVALX > 1")
