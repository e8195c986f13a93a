"""DM-only derivations: planned and actual arm, and the reason an arm is null.

A subject's planned arm (ARMCD/ARM) is the study's one arm in a single-arm study; in a study of
several arms it is the arm collected for the subject, on the form and field the spec names
(`with: {form: randomisation, field: RANDARM}`: the raw value is an ARMCD or ARM of study.yaml),
null for a subject never assigned. ACTARMCD/ACTARM are the planned arm for a subject who received
any study treatment (`treated`, a DM date such as RFXSTDTC, is not blank) and null otherwise. A
null arm gets its reason in ARMNRS (SDTMIG 3.4 section 5.2, DM assumption 4): `NOT ASSIGNED`
where no arm was assigned, `ASSIGNED, NOT TREATED` where one was but no treatment followed
(docs/decisions.md D1, D11). A subject who stops part-way through the arm stays in it: the actual
arm describes the path started, not its completion.
"""

from __future__ import annotations

import pandas as pd

from sdtm.algorithms import Call, Context, algorithm, per_subject, rows_of, text
from specs.errors import InputError

NOT_TREATED = "ASSIGNED, NOT TREATED"
NOT_ASSIGNED = "NOT ASSIGNED"

ASSIGNED = {"form": "the raw form holding each subject's assigned arm (needed with several arms)",
            "field": "the field of `form` holding the arm: an ARMCD or ARM of study.yaml"}
TREATED = {"treated": "the DM date that is not blank for a subject who received study treatment "
                      "(default RFXSTDTC)"}


def _assigned_codes(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """Each DM row's planned ARMCD ("" when the subject was never assigned an arm)."""
    arms = ctx.study.arms
    form, field = call.params.get("form"), call.params.get("field")
    if not form and len(arms) == 1:
        return pd.Series(arms[0].armcd, index=data.index, dtype="string")
    if not form or not field:
        raise ctx.spec_error(
            f"{call.target}: this study has {len(arms)} arms ({', '.join(a.armcd for a in arms)}); "
            f"say where each subject's arm is collected: `with: {{form: FORM, field: FIELD}}`")
    by_name = {a.armcd.upper(): a.armcd for a in arms} | {a.arm.upper(): a.armcd for a in arms}
    if form in ctx.raw:
        raw = ctx.raw[form]
        values = text(raw, field, Call(call.target, "arm", field, {}, form), ctx)
        unknown = (values != "") & ~values.str.upper().isin(list(by_name))
        if unknown.any():
            raise InputError(
                f"DM.{call.target}: the arm collected is not an arm of study.yaml",
                file=f"{form}.csv", row=rows_of(raw, unknown)[0], column=field,
                value=values[unknown].iloc[0],
                expected="one of " + ", ".join(f"{a.armcd} ({a.arm})" for a in arms))
    collected = per_subject(data, Call(call.target, "per_subject", field, {"form": form}, call.form), ctx)
    return collected.str.upper().map(by_name).astype("string").fillna("")


def _treated(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    return text(data, call.params.get("treated", "RFXSTDTC"), call, ctx) != ""


@algorithm("arm", params={"value": "ARMCD or ARM (default ARMCD)",
                          "actual": "true: the actual arm, null for a subject never treated",
                          **TREATED, **ASSIGNED})
def arm(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """The subject's arm: ARMCD/ARM, or ACTARMCD/ACTARM with `actual` (the planned arm once any
    study treatment was given). One arm: every subject's. Several: the arm collected on `form`."""
    part = call.params.get("value", "ARMCD")
    if part not in ("ARMCD", "ARM"):
        raise ctx.spec_error(f"{call.target}: arm `value` must be ARMCD or ARM, not {part!r}")
    codes = _assigned_codes(data, call, ctx)
    if part == "ARM":
        codes = codes.map({a.armcd: a.arm for a in ctx.study.arms}).astype("string").fillna("")
    return codes.where(_treated(data, call, ctx), "") if call.params.get("actual") else codes


@algorithm("armnrs", params={**TREATED, **ASSIGNED})
def armnrs(data: pd.DataFrame, call: Call, ctx: Context) -> pd.Series:
    """Why an arm is null: `NOT ASSIGNED` without a planned arm, `ASSIGNED, NOT TREATED` with one
    but no study treatment (`with: {treated: ...}`), else null."""
    assigned = _assigned_codes(data, call, ctx) != ""
    treated = _treated(data, call, ctx)
    out = pd.Series("", index=data.index, dtype="string")
    out = out.where(assigned, NOT_ASSIGNED)
    return out.where(~assigned | treated, NOT_TREATED)
