import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adam.qlq import C15PAL_SCALES, ScaleDefinition, compute_scale_score, compute_scale_scores


def form(responses, subject="S1", visit="BASELINE"):
    """One completed form in long layout: item number -> response (None = not answered)."""
    return pd.DataFrame({
        "USUBJID": subject,
        "AVISIT": visit,
        "QSTESTCD": [f"C15PAL{n:02d}" for n in responses],
        "QSSTRESN": [np.nan if r is None else float(r) for r in responses.values()],
    })


CODES = {f"C15PAL{n:02d}": n for n in range(1, 16)}


def scores(data, **kwargs):
    result = compute_scale_scores(data, ["USUBJID", "AVISIT"], item_codes=CODES, **kwargs)
    return result.set_index("PARAMCD")["AVAL"]


ALL_TWOS = {n: 2 for n in range(1, 15)} | {15: 5}


def test_scales_cover_the_fifteen_items_once():
    # every C15-PAL item belongs to exactly one scale (Groenvold 2006, docs/clinical.md table)
    items = sorted(i for s in C15PAL_SCALES for i in s.items)
    assert items == list(range(1, 16))
    assert {s.code: s.items for s in C15PAL_SCALES}["PF"] == (1, 2, 3)
    assert {s.code: s.items for s in C15PAL_SCALES}["EF"] == (13, 14)


def test_hand_computed_scores_from_the_manual_formulas():
    # PF items 1,2,3 = 1,2,2: RS = 5/3, 100 * (1 - (5/3 - 1)/3) = 77.78
    # FA items 7,11 = 3,4: RS = 3.5, 100 * (3.5 - 1)/3 = 83.33
    # QL item 15 = 5: 100 * (5 - 1)/6 = 66.67
    responses = ALL_TWOS | {1: 1, 2: 2, 3: 2, 7: 3, 11: 4, 15: 5}
    result = scores(form(responses))
    assert result["PF"] == pytest.approx(100 * (1 - (5 / 3 - 1) / 3))
    assert result["PF"] == pytest.approx(77.7778, abs=1e-4)
    assert result["FA"] == pytest.approx(250 / 3)
    assert result["QL"] == pytest.approx(400 / 6)
    # EF items 13,14 = 2,2: 100 * (1 - 1/3); single-item symptom DY = 2: 33.33
    assert result["EF"] == pytest.approx(200 / 3)
    assert result["DY"] == pytest.approx(100 / 3)


def test_output_layout_and_categories():
    result = compute_scale_scores(form(ALL_TWOS), ["USUBJID", "AVISIT"], item_codes=CODES,
                                  paramcd_prefix="C15")
    assert result["PARAMCD"].tolist() == ["C15PF", "C15EF", "C15FA", "C15NV", "C15PA",
                                          "C15DY", "C15SL", "C15AP", "C15CO", "C15QL"]
    categories = dict(zip(result["PARAMCD"], result["PARCAT2"], strict=True))
    assert categories["C15PF"] == categories["C15EF"] == "Functional"
    assert categories["C15PA"] == "Symptom"
    assert categories["C15QL"] == "Global"


def test_half_rule_three_item_scale():
    # PF with 2 of 3 answered is scored from those two; with 1 of 3 it is missing
    two = scores(form(ALL_TWOS | {1: 4, 2: 2, 3: None}))
    assert two["PF"] == pytest.approx(100 * (1 - (3 - 1) / 3))
    one = scores(form(ALL_TWOS | {1: 4, 2: None, 3: None}))
    assert np.isnan(one["PF"])


def test_half_rule_two_item_scale():
    # EF with 1 of 2 answered (exactly half) is scored from that item; 0 of 2 is missing
    half = scores(form(ALL_TWOS | {13: 3, 14: None}))
    assert half["EF"] == pytest.approx(100 * (1 - 2 / 3))
    none = scores(form(ALL_TWOS | {13: None, 14: None}))
    assert np.isnan(none["EF"])


def test_single_item_scales_missing_when_unanswered():
    # unanswered constipation item and overall QoL item: those scales are missing only
    result = scores(form(ALL_TWOS | {10: None, 15: None}))
    assert np.isnan(result["CO"]) and np.isnan(result["QL"])
    assert result.drop(["CO", "QL"]).notna().all()


def test_item_row_absent_counts_as_unanswered():
    # a form whose record for item 9 is absent altogether: NV missing, others scored
    responses = {n: r for n, r in ALL_TWOS.items() if n != 9}
    result = scores(form(responses))
    assert np.isnan(result["NV"])
    assert result["AP"] == pytest.approx(100 / 3)


def test_extremes_are_0_and_100():
    # best possible answers: functional 100, symptoms 0, QL 100; worst: the reverse
    best = scores(form({n: 1 for n in range(1, 15)} | {15: 7}))
    worst = scores(form({n: 4 for n in range(1, 15)} | {15: 1}))
    assert best["PF"] == best["EF"] == best["QL"] == 100
    assert best.drop(["PF", "EF", "QL"]).eq(0).all()
    assert worst["PF"] == worst["EF"] == worst["QL"] == 0
    assert worst.drop(["PF", "EF", "QL"]).eq(100).all()


def test_wide_input_gives_the_same_scores():
    # one column per item, mapped by item_columns
    responses = ALL_TWOS | {1: 3, 13: None, 15: 6}
    wide = pd.DataFrame([{"USUBJID": "S1", "AVISIT": "BASELINE"}
                         | {f"Q{n}": r for n, r in responses.items()}])
    from_wide = compute_scale_scores(wide, ["USUBJID", "AVISIT"],
                                     item_columns={f"Q{n}": n for n in range(1, 16)})
    from_long = compute_scale_scores(form(responses), ["USUBJID", "AVISIT"], item_codes=CODES)
    pd.testing.assert_frame_equal(from_wide, from_long)


def test_several_forms_are_scored_separately():
    # two visits of one subject and another subject; no mixing of items between forms
    data = pd.concat([form(ALL_TWOS | {7: 4, 11: 4}, "S1", "BASELINE"),
                      form(ALL_TWOS | {7: 1, 11: 1}, "S1", "MONTH 1"),
                      form(ALL_TWOS, "S2", "BASELINE")], ignore_index=True)
    before = data.copy()
    result = compute_scale_scores(data, ["USUBJID", "AVISIT"], item_codes=CODES)
    pd.testing.assert_frame_equal(data, before)
    fatigue = result[result["PARAMCD"] == "FA"].set_index(["USUBJID", "AVISIT"])["AVAL"]
    assert fatigue[("S1", "BASELINE")] == 100
    assert fatigue[("S1", "MONTH 1")] == 0
    assert fatigue[("S2", "BASELINE")] == pytest.approx(100 / 3)
    assert len(result) == 3 * len(C15PAL_SCALES)


def test_out_of_range_and_duplicate_responses_are_errors():
    with pytest.raises(ValueError, match="item 'C15PAL15' has response 8.0"):
        scores(form(ALL_TWOS | {15: 8}))
    with pytest.raises(ValueError, match="item 'C15PAL04' has response 5.0"):
        scores(form(ALL_TWOS | {4: 5}))
    twice = pd.concat([form(ALL_TWOS), form({4: 3})], ignore_index=True)
    with pytest.raises(ValueError, match="answered more than once"):
        scores(twice)


def test_scale_definition_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        ScaleDefinition("XX", "Unknown", (1,), (1, 4), "mood")


# --- properties -------------------------------------------------------------------------

four_point = st.one_of(st.none(), st.integers(1, 4))


@settings(max_examples=80, deadline=None)
@given(answers=st.lists(four_point, min_size=14, max_size=14),
       ql=st.one_of(st.none(), st.integers(1, 7)))
def test_scores_stay_within_0_and_100(answers, ql):
    result = scores(form(dict(enumerate(answers, start=1)) | {15: ql}))
    observed = result.dropna()
    assert ((observed >= 0) & (observed <= 100)).all()


@settings(max_examples=50, deadline=None)
@given(raw=st.lists(st.floats(1, 4), min_size=2, max_size=10, unique=True).map(sorted))
def test_functional_score_falls_and_symptom_score_rises_with_raw_score(raw):
    functional = compute_scale_score(raw, low=1, high=4, kind="functional")
    symptom = compute_scale_score(raw, low=1, high=4, kind="symptom")
    assert np.all(np.diff(functional) < 0)
    assert np.all(np.diff(symptom) > 0)
    assert functional + symptom == pytest.approx(np.full(len(raw), 100.0))
