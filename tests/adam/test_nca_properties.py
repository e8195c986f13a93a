"""Properties of the NCA engine (adam/nca.py) not covered in test_nca.py: AUC scales with the
concentrations, does not depend on where the clock starts, and adds up over adjacent intervals."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from adam.nca import compute_auc, compute_aucint

METHODS = st.sampled_from(["linear", "lin up/log down"])
# Sample times on a 1/1000-day grid (as in test_nca.py), concentrations quantifiable.
times = st.lists(st.integers(100, 100_000), min_size=2, max_size=8, unique=True).map(
    lambda ms: [m / 1000 for m in sorted(ms)])


@st.composite
def profiles(draw) -> tuple[list[float], list[float]]:
    t = draw(times)
    return t, draw(st.lists(st.floats(0.01, 1e4), min_size=len(t), max_size=len(t)))


@settings(max_examples=60, deadline=None)
@given(profile=profiles(), factor=st.floats(0.001, 1000), method=METHODS)
def test_auc_scales_with_the_concentrations(profile, factor, method):
    t, c = profile
    scaled = compute_auc(t, [factor * x for x in c], method)
    assert scaled == pytest.approx(factor * compute_auc(t, c, method))


@settings(max_examples=60, deadline=None)
@given(profile=profiles(), shift=st.integers(-100, 1000), method=METHODS)
def test_auc_does_not_depend_on_the_clock_origin(profile, shift, method):
    t, c = profile
    assert compute_auc([x + shift for x in t], c, method) == pytest.approx(compute_auc(t, c, method))


@settings(max_examples=60, deadline=None)
@given(profile=profiles(), cuts=st.lists(st.floats(0, 1), min_size=3, max_size=3), method=METHODS)
@example(profile=([0.617, 0.618, 0.619, 0.62, 10.792], [1.0] * 5), cuts=[0.0, 1.0, 0.5], method="linear")
def test_aucint_adds_up_over_adjacent_intervals(profile, cuts, method):
    # [a, c] = [a, b] + [b, c] with a < b < c inside the samples, whatever the segment rules
    t, c = profile
    # min(): t[0] + 1.0 * (t[-1] - t[0]) can round to just after the last sample, where an
    # interval past a still quantifiable last sample is rightly not estimable (NaN)
    a, b, e = (min(t[-1], t[0] + f * (t[-1] - t[0])) for f in sorted(cuts))
    assume(a < b < e)
    whole = compute_aucint(t, c, a, e, method)
    assert compute_aucint(t, c, a, b, method) + compute_aucint(t, c, b, e, method) == pytest.approx(whole)
    # and over the whole profile it is AUClast
    assert compute_aucint(t, c, t[0], t[-1], method) == pytest.approx(compute_auc(t, c, method))
