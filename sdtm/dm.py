"""DM-only derivations: planned and actual arm, and the reason an arm is null.

The shipped studies are single-arm: every enrolled subject is assigned the study's one arm
(ARMCD/ARM); ACTARMCD/ACTARM are the same arm for a subject who received any study treatment
(`treated`, a DM date such as RFXSTDTC, is not blank) and null otherwise, with ARMNRS
`ASSIGNED, NOT TREATED` (SDTMIG 3.4 section 5.2). A subject who stops part-way through the arm
stays in it: the actual arm describes the path started, not its completion.
"""

from __future__ import annotations

import pandas as pd

from sdtm.algorithms import Call, Context, algorithm, text

NOT_TREATED = "ASSIGNED, NOT TREATED"


def _the_arm(ctx: Context, call: Call):
    if len(ctx.study.arms) != 1:
        raise ctx.spec_error(f"{call.target}: the arm algorithms handle single-arm studies only; "
                             f"this study has {len(ctx.study.arms)} arms")
    return ctx.study.arms[0]


def _treated(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    return text(data, call.params.get("treated", "RFXSTDTC"), call, ctx) != ""


TREATED = {"treated": "the DM date that is not blank for a subject who received study treatment "
                      "(default RFXSTDTC)"}


@algorithm("arm", params={"value": "ARMCD or ARM (default ARMCD)",
                          "actual": "true: the actual arm, null for a subject never treated", **TREATED})
def arm(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """The study's one arm (single-arm studies): ARMCD/ARM, or ACTARMCD/ACTARM with `actual`."""
    chosen = _the_arm(ctx, call)
    part = call.params.get("value", "ARMCD")
    if part not in ("ARMCD", "ARM"):
        raise ctx.spec_error(f"{call.target}: arm `value` must be ARMCD or ARM, not {part!r}")
    value = chosen.armcd if part == "ARMCD" else chosen.arm
    out = pd.Series(value, index=data.index, dtype="string")
    return out.where(_treated(data, call, ctx), "") if call.params.get("actual") else out


@algorithm("armnrs", params=TREATED)
def armnrs(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """`ASSIGNED, NOT TREATED` where the subject has no study treatment (`with: {treated: ...}`)."""
    return pd.Series(NOT_TREATED, index=data.index, dtype="string").where(~_treated(data, call, ctx), "")
