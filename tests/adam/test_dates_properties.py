"""Properties of ADaM date imputation (adam/dates.py): an imputed date stays within what the
partial date allows, first ≤ truth ≤ last, and a missing year is never invented."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from adam.dates import compute_dtf, impute_dtc_dt, impute_dtc_dtm

moments = st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2080, 12, 31, 23, 59, 59)).map(
    lambda m: m.replace(microsecond=0))
# How much of the true date the --DTC keeps: to the day, the month or the year.
DATE_CUTS = {"day": 10, "month": 7, "year": 4}


def one(values) -> pd.Series:
    return pd.Series(list(values), dtype="string")


@settings(max_examples=80, deadline=None)
@given(true=moments, kept=st.sampled_from(list(DATE_CUTS)))
def test_first_and_last_imputation_bracket_the_true_date(true, kept):
    dtc = one([true.date().isoformat()[:DATE_CUTS[kept]]])
    first = impute_dtc_dt(dtc, highest_imputation="M", date_imputation="first").iloc[0]
    mid = impute_dtc_dt(dtc, highest_imputation="M", date_imputation="mid").iloc[0]
    last = impute_dtc_dt(dtc, highest_imputation="M", date_imputation="last").iloc[0]
    assert first <= pd.Timestamp(true.date()) <= last
    assert first <= mid <= last
    # the first and last of the period: the whole period and nothing more
    period = {"day": "D", "month": "M", "year": "Y"}[kept]
    assert first == pd.Timestamp(true.date()).to_period(period).start_time
    assert last == pd.Timestamp(true.date()).to_period(period).end_time.normalize()


@settings(max_examples=80, deadline=None)
@given(true=moments, cut=st.sampled_from([4, 7, 10, 13, 16]))
def test_datetime_imputation_brackets_the_true_moment(true, cut):
    # --DTC kept to the year, month, day, hour or minute; seconds are never collected here.
    dtc = one([true.isoformat()[:cut]])
    truth = pd.Timestamp(true.replace(second=0) if cut == 16 else true)
    first = impute_dtc_dtm(dtc, highest_imputation="M", date_imputation="first",
                           time_imputation="first").iloc[0]
    last = impute_dtc_dtm(dtc, highest_imputation="M", date_imputation="last",
                          time_imputation="last").iloc[0]
    assert first <= truth <= last


@settings(max_examples=60, deadline=None)
@given(true=moments, level=st.sampled_from(["n", "D", "M"]),
       rule=st.sampled_from(["first", "mid", "last", "06-15"]))
def test_a_complete_date_is_never_changed(true, level, rule):
    dtc = one([true.date().isoformat()])
    result = impute_dtc_dt(dtc, highest_imputation=level, date_imputation=rule)
    assert result.iloc[0] == pd.Timestamp(true.date())
    assert compute_dtf(dtc, result).isna().all()


@settings(max_examples=40, deadline=None)
@given(level=st.sampled_from(["n", "D", "M"]), rule=st.sampled_from(["first", "mid", "last"]),
       dtc=st.sampled_from(["", "--05-14", "---14", "-----T10:30"]))
def test_a_missing_year_is_never_imputed(level, rule, dtc):
    # up to month-level imputation a --DTC without a year stays missing
    assert impute_dtc_dt(one([dtc]), highest_imputation=level, date_imputation=rule).isna().all()
    assert impute_dtc_dtm(one([dtc]), highest_imputation=level, date_imputation=rule).isna().all()


@settings(max_examples=60, deadline=None)
@given(true=moments, kept=st.sampled_from(list(DATE_CUTS)), level=st.sampled_from(["n", "D", "M"]))
def test_imputation_stops_at_the_highest_level(true, kept, level):
    # a part above the highest imputation level is not imputed: the date stays missing
    dtc = one([true.date().isoformat()[:DATE_CUTS[kept]]])
    result = impute_dtc_dt(dtc, highest_imputation=level).iloc[0]
    needed = {"day": "n", "month": "D", "year": "M"}[kept]
    allowed = ["n", "D", "M"].index(level) >= ["n", "D", "M"].index(needed)
    assert pd.isna(result) != allowed
    if allowed and kept != "day":
        assert compute_dtf(dtc, pd.Series([result])).iloc[0] == {"month": "D", "year": "M"}[kept]


@settings(max_examples=80, deadline=None)
@given(true=moments, bound=moments, kept=st.sampled_from(["month", "year"]))
def test_a_minimum_date_moves_the_imputation_but_not_out_of_the_period(true, bound, kept):
    dtc = one([true.date().isoformat()[:DATE_CUTS[kept]]])
    plain = impute_dtc_dt(dtc, highest_imputation="M").iloc[0]
    last = impute_dtc_dt(dtc, highest_imputation="M", date_imputation="last").iloc[0]
    bounded = impute_dtc_dt(dtc, highest_imputation="M",
                            min_dates=[pd.Series([pd.Timestamp(bound.date())])]).iloc[0]
    assert plain <= bounded <= last
    if plain <= pd.Timestamp(bound.date()) <= last:
        assert bounded == pd.Timestamp(bound.date())
    else:
        assert bounded == plain

