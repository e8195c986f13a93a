"""Properties of the RECIST 1.1 time-point table (adam/response.py compute_recist_overall) over
every combination of target, non-target and new-lesion assessments."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from adam.response import compute_recist_overall

TARGET = ["CR", "PR", "SD", "PD", "NE", ""]  # "" = no target lesions
NONTARGET = ["CR", "NON-CR/NON-PD", "PD", "NE", ""]  # "" = no non-target lesions
NEW = ["Y", "N", "NE", ""]  # "" / NE = not known
visits = st.lists(st.tuples(st.sampled_from(TARGET), st.sampled_from(NONTARGET), st.sampled_from(NEW)),
                  min_size=1, max_size=40)


def overall(rows, spell=lambda v: v) -> list[str]:
    target, nontarget, new = (pd.Series([spell(r[i]) for r in rows], dtype="string") for i in range(3))
    return compute_recist_overall(target, nontarget, new).tolist()


@settings(max_examples=200, deadline=None)
@given(rows=visits)
def test_the_table(rows):
    for (tgt, ntg, new), result in zip(rows, overall(rows), strict=True):
        progression = "PD" in (tgt, ntg) or new == "Y"
        assert result in {"CR", "PR", "SD", "PD", "NE", "NON-CR/NON-PD"}
        # any progression is PD, and PD is only ever progression
        assert (result == "PD") == progression
        if progression:
            continue
        # CR: every lesion present is gone, at least one kind was followed, and no new lesion
        assert (result == "CR") == (tgt in ("CR", "") and ntg in ("CR", "") and (tgt, ntg) != ("", "")
                                    and new == "N")
        # NON-CR/NON-PD only without target lesions
        assert result != "NON-CR/NON-PD" or tgt == ""
        # nothing followed, or target lesions not evaluable: not evaluable
        if (tgt, ntg) == ("", "") or tgt == "NE":
            assert result == "NE"
        # target PR (or CR held back by the rest) is PR; target SD is SD
        if tgt == "PR" or (tgt == "CR" and result != "CR"):
            assert result == "PR"
        if tgt == "SD":
            assert result == "SD"


@settings(max_examples=100, deadline=None)
@given(rows=visits)
def test_each_time_point_is_judged_alone_and_spelling_does_not_matter(rows):
    # the result of a row does not depend on its neighbours, nor on case or padding
    together = overall(rows)
    assert together == [overall([r])[0] for r in rows]
    assert overall(rows, spell=lambda v: f" {v.lower()} ") == together
