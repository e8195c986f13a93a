"""Properties of the ISO 8601 builder (sdtm/dates.py) over any EDC date, partial or complete."""

from __future__ import annotations

import calendar
import datetime as dt
import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from adam.dates import split_dtc
from sdtm.dates import MONTHS, compute_date, compute_iso8601

# ISO 8601 as SDTMIG 4.4 writes collected dates: right-truncated, or a hyphen for an unknown
# part followed by a known one (only a time can follow an unknown day here).
ISO = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?"
                 r"|\d{4}-(0[1-9]|1[0-2]|-)-(0[1-9]|[12]\d|3[01]|-)T([01]\d|2[0-3]):[0-5]\d")

dates = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))
times = st.one_of(st.none(), st.times().map(lambda t: t.strftime("%H:%M")))


@st.composite
def edc_dates(draw) -> tuple[str, dt.date, str]:
    """An EDC date text, the true date behind it, and what is known: 'day', 'month' or 'year'."""
    true = draw(dates)
    known = draw(st.sampled_from(["day", "month", "year"]))
    day = f"{true.day:02d}" if known == "day" else "UN"
    month = MONTHS[true.month - 1] if known != "year" else "UNK"
    return f"{day} {month} {true.year}", true, known


def iso(date: str, time: str | None = None) -> tuple[str, bool]:
    value, bad = compute_iso8601(pd.Series([date]), None if time is None else pd.Series([time]))
    return value.iloc[0], bool(bad.iloc[0])


@settings(max_examples=150, deadline=None)
@given(edc=edc_dates(), time=times)
def test_any_valid_edc_date_gives_iso8601_truncated_to_what_is_known(edc, time):
    text, true, known = edc
    value, bad = iso(text, time)
    assert not bad and ISO.fullmatch(value), value
    prefix = {"day": true.isoformat(), "month": true.isoformat()[:7], "year": str(true.year)}[known]
    if time is None:
        assert value == prefix
    else:
        # with a time, unknown date parts stay as hyphens so the time keeps its place
        hyphens = {"day": "", "month": "--", "year": "----"}[known]
        assert value == f"{prefix}{hyphens}T{time}"


@settings(max_examples=150, deadline=None)
@given(edc=edc_dates(), time=times)
def test_parts_read_back_by_adam_are_the_collected_ones(edc, time):
    # SDTM writes, ADaM splits: the known parts survive, the unknown ones are missing.
    text, true, known = edc
    value, _ = iso(text, time)
    parts = split_dtc(pd.Series([value])).iloc[0]
    assert parts["year"] == str(true.year)
    assert (parts["month"] == f"{true.month:02d}") if known != "year" else pd.isna(parts["month"])
    assert (parts["day"] == f"{true.day:02d}") if known == "day" else pd.isna(parts["day"])
    clock = (parts["hour"], parts["minute"])
    assert pd.isna(parts["hour"]) if time is None else clock == tuple(time.split(":"))


@settings(max_examples=150, deadline=None)
@given(true=dates, time=times)
def test_complete_dates_round_trip(true, time):
    # DD MON YYYY -> ISO 8601 -> date is the identity; the time does not move the date.
    text = f"{true.day:02d} {MONTHS[true.month - 1]} {true.year}"
    value, bad = iso(text, time)
    assert not bad
    assert value[:10] == true.isoformat()
    assert compute_date(pd.Series([value])).iloc[0] == pd.Timestamp(true)


@settings(max_examples=100, deadline=None)
@given(year=st.integers(1900, 2100), month=st.integers(1, 12), extra=st.integers(1, 4))
def test_days_past_the_end_of_the_month_are_invalid(year, month, extra):
    day = calendar.monthrange(year, month)[1] + extra
    if day > 99:
        return
    value, bad = iso(f"{day:02d} {MONTHS[month - 1]} {year}")
    assert bad and value == ""


@settings(max_examples=100, deadline=None)
@given(hour=st.integers(0, 99), minute=st.integers(0, 99), true=dates)
def test_times_outside_the_clock_are_invalid(hour, minute, true):
    text = f"{true.day:02d} {MONTHS[true.month - 1]} {true.year}"
    value, bad = iso(text, f"{hour:02d}:{minute:02d}")
    assert bad == (hour > 23 or minute > 59)
    assert (value == "") == bad
