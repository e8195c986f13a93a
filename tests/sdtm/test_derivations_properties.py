"""Properties of --DY (sdtm/derivations.py compute_study_day) over any pair of dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sdtm.derivations import compute_study_day

dates = st.dates(dt.date(1950, 1, 1), dt.date(2080, 12, 31))
clock = st.one_of(st.just(""), st.times().map(lambda t: t.strftime("T%H:%M")))


def study_days(days: list[dt.date], reference: dt.date, times: list[str] | None = None) -> np.ndarray:
    dtc = [d.isoformat() + (t if times else "") for d, t in zip(days, times or [""] * len(days), strict=True)]
    return compute_study_day(pd.Series(dtc), pd.Series([reference.isoformat()] * len(days))).to_numpy()


@settings(max_examples=100, deadline=None)
@given(days=st.lists(dates, min_size=1, max_size=30), reference=dates)
def test_no_day_zero_and_the_reference_is_day_1(days, reference):
    dy = study_days([*days, reference], reference)
    assert (dy != 0).all()
    assert dy[-1] == 1


@settings(max_examples=100, deadline=None)
@given(days=st.lists(dates, min_size=2, max_size=30), reference=dates)
def test_study_day_is_monotone_in_the_date(days, reference):
    ordered = sorted(days)
    dy = study_days(ordered, reference)
    assert (np.diff(dy) >= 0).all()
    # and strictly so: different dates never share a study day
    assert len(set(dy)) == len(set(ordered))


@settings(max_examples=100, deadline=None)
@given(reference=dates, n=st.integers(1, 3000))
def test_days_mirror_around_the_reference(reference, n):
    # n days after is day n + 1, n days before is day -n: no day 0 between them.
    after, before = reference + dt.timedelta(days=n), reference - dt.timedelta(days=n)
    dy_after, dy_before = study_days([after, before], reference)
    assert dy_after == n + 1 and dy_before == -n
    assert dy_after - 1 == -dy_before


@settings(max_examples=100, deadline=None)
@given(days=st.lists(dates, min_size=1, max_size=10), reference=dates, data=st.data())
def test_a_time_of_day_does_not_change_the_study_day(days, reference, data):
    times = data.draw(st.lists(clock, min_size=len(days), max_size=len(days)))
    assert (study_days(days, reference, times) == study_days(days, reference)).all()


@settings(max_examples=60, deadline=None)
@given(day=dates, reference=dates, cut=st.sampled_from([4, 7]))
def test_partial_dates_have_no_study_day(day, reference, cut):
    partial = pd.Series([day.isoformat()[:cut]])
    assert np.isnan(compute_study_day(partial, pd.Series([reference.isoformat()])).iloc[0])
    assert np.isnan(compute_study_day(pd.Series([day.isoformat()]), partial).iloc[0])
